"""Build hook for the optional C extension; everything else is in pyproject.toml.

``unspin._speedups`` answers the language model's probabilities in C (see its source).
It is optional: where it cannot be built (no C compiler, no Python headers) the
install goes on and unspin uses the pocketsphinx binding, with the same results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "unspin._speedups",
            ["src/unspin/_speedups.c"],
            libraries=["dl", "m"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
