"""Checks in worker processes, for ``unspin serve --processes N`` (``create_app(processes=N)``).

A check is Python code that holds the interpreter lock for its whole length, so the worker
threads of one server process take turns on one core.  Worker processes each load their
own engine (memory: the resources once per process) and check side by side, one core each.
This module is what the workers import: nothing of FastAPI, only the engine.
"""

from __future__ import annotations

import time

from ..config import Config
from ..detect import Engine
from ..report import Report
from ..scan import exit_with_parent, tune_gc_for_checks

_engine: Engine | None = None


def start(config: Config) -> None:
    """A worker's initialiser: its engine, with the resources loaded by a first check."""
    global _engine
    exit_with_parent()
    _engine = Engine(config)
    _engine.prepare()
    tune_gc_for_checks()  # the process does nothing but checks


def ready() -> bool:
    """Whether this worker has its engine (the server waits on one such call per worker)."""
    return _engine is not None


def check(text: str, timeout: float) -> Report:
    """Check ``text``; the check stops (:class:`~unspin.errors.CheckTimeout`) once ``timeout``
    seconds have passed since it started here."""
    if _engine is None:
        raise RuntimeError("unspin.web.pool.check runs in a worker started with unspin.web.pool.start")
    return _engine.check(text, deadline=time.monotonic() + timeout)


