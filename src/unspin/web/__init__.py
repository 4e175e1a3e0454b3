"""The web page and HTTP API (``unspin serve``): a thin FastAPI layer over the library.

Needs the ``web`` extra (``pip install 'unspin[web]'``); importing :mod:`unspin`
never imports FastAPI.  Build an application with :func:`create_app`::

    from unspin.web import create_app
    app = create_app(db="corpus.sqlite", token=None)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
