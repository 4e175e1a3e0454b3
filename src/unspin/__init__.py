"""unspin: find machine-spun text, restore its original wording, trace its source.

Quick use::

    import unspin
    report = unspin.check("The residential puppy is an individual from the sort Canis.")
    report.verdict, report.findings, report.restored
    unspin.restore(text)            # just the restored string
"""

from __future__ import annotations

import logging

from ._version import __version__
from .config import Config
from .detect import check, restore
from .errors import (
    BinaryInputError,
    CheckTimeout,
    EmptyInputError,
    EncodingError,
    IndexCorruptError,
    InputError,
    InputTooLargeError,
    ResourceError,
    UnspinError,
)
from .report import Alternative, Finding, Report, apply_findings


def __getattr__(name: str) -> object:
    # Index and Match load the index's modules (SQLite, the fingerprints, the aligner): on first use.
    if name in ("Index", "Match"):
        from . import index

        return getattr(index, name)
    raise AttributeError(f"module 'unspin' has no attribute {name!r}")


logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Alternative",
    "BinaryInputError",
    "CheckTimeout",
    "Config",
    "EmptyInputError",
    "EncodingError",
    "Finding",
    "IndexCorruptError",
    "InputError",
    "Index",
    "InputTooLargeError",
    "Match",
    "Report",
    "ResourceError",
    "UnspinError",
    "__version__",
    "apply_findings",
    "check",
    "restore",
]
