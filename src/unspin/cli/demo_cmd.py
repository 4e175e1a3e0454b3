"""``unspin demo``: the whole pipeline on a built-in example."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .. import demo
from ..config import Config
from ..detect import Engine
from . import EPILOG
from .detect_cmd import print_report

if TYPE_CHECKING:
    from rich.console import Console

    from ..index import Match


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser(
        "demo",
        help="run the pipeline on a built-in spun article",
        description=(
            "Run detection, restoration, tracing and learning on a short article and spun copies of it "
            "written by the unspin team."
        ),
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
    matches = _trace_section()
    console.print(Rule("4. learn: the spinner's dictionary, from the traced copy"))
    _learn_section(console, engine, matches)
    return 0


def _trace_section() -> list[Match]:
    import tempfile
    from pathlib import Path

    from ..index import Index
    from .trace_cmd import print_trace

    with tempfile.TemporaryDirectory(prefix="unspin-demo-") as tmp:
        with Index(Path(tmp) / "demo.db") as index:
            index.add([(demo.ARTICLE_ID, demo.ARTICLE), ("school-concert", demo.UNRELATED)])
            matches = index.trace(demo.SPUN)
            print_trace(demo.SPUN, matches, index, index.config.trace_threshold)
    return matches


def _learn_section(console: Console, engine: Engine, matches: list[Match]) -> None:
    """What ``unspin learn`` takes from the traced copy, and what it then finds in a later copy."""
    from ..learn import learn
    from ..lexicon import builtin_lexicon

    learned, summary = learn([(demo.SPUN, matches)])
    console.print(f"{summary.pairs} swapped pairs learned from {summary.used} traced copy "
                  f"(`unspin learn DB FILE -o LEXICON` writes them to a file for `unspin check --lexicon`)")
    with_lexicon = Engine(Config(), lexicon=builtin_lexicon().merge(learned))
    before, after = engine.check(demo.NEW_SPUN), with_lexicon.check(demo.NEW_SPUN)
    console.print(f"a later copy by the same spinner: {demo.NEW_SPUN.strip()}")
    console.print(f"without the lexicon: {len(before.findings)} findings; with it: {len(after.findings)}")
    known = {(f.start, f.original) for f in before.findings}
    gained = [f"{f.text} ← {f.original}" for f in after.findings if (f.start, f.original) not in known]
    console.print("found or restored differently with it: " + (", ".join(gained) or "nothing"))
    console.print(f"restored: {after.restored.strip()}")
