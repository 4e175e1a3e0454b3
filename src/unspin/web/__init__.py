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

__all__ = ["MAX_QUEUE", "THREAD_WORKERS", "create_app"]

# create_app's defaults, here where the command line reads them without importing FastAPI
THREAD_WORKERS = 2  # with processes=0: checks run at once in threads (unspin serve --workers)
MAX_QUEUE = 100  # requests that may wait for a worker before the rest get 503 (unspin serve --max-queue)


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
