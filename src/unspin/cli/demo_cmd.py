"""``unspin demo``: the whole pipeline on a built-in example."""

from __future__ import annotations

import argparse

from .. import demo
from ..config import Config
from ..detect import Engine
from . import EPILOG
from .detect_cmd import print_report


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser(
        "demo",
        help="run the pipeline on a built-in spun article",
        description="Run detection and restoration on a short article and a spun copy written by the unspin team.",
        epilog=EPILOG,
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.rule import Rule

    console = Console(highlight=False)
    engine = Engine(Config())
    console.print(Rule("1. detect and restore: the spun copy"))
    report = engine.check(demo.SPUN)
    print_report(demo.SPUN, report)
    console.print(Rule("restored text"))
    console.print(report.restored)
    console.print(Rule("2. the untouched original, for comparison"))
    original = engine.check(demo.ARTICLE)
    console.print(f"verdict: {original.verdict} (spun probability {original.spun_probability:.2f}), {len(original.findings)} findings")
    console.print(Rule("3. trace: find the source of the spun copy in an index"))
    _trace_section()
    return 0


def _trace_section() -> None:
    import tempfile
    from pathlib import Path

    from ..index import Index
    from .trace_cmd import print_trace

    with tempfile.TemporaryDirectory(prefix="unspin-demo-") as tmp:
        with Index(Path(tmp) / "demo.db") as index:
            index.add([(demo.ARTICLE_ID, demo.ARTICLE), ("school-concert", demo.UNRELATED)])
            matches = index.trace(demo.SPUN)
            print_trace(demo.SPUN, matches, index, index.config.trace_threshold)
