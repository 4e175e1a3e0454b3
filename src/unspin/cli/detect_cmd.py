"""``unspin check`` and ``unspin restore``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from ..config import Config
from ..detect import Engine
from ..errors import CheckTimeout, UnspinError
from ..inputs import HTML_SUFFIXES, looks_like_html, page_text
from ..report import Report
from ..report import evidence_summary as document_evidence
from ..text import check_text
from . import (
    EPILOG,
    CommandError,
    add_input_options,
    add_lexicon,
    add_min_confidence,
    add_moby,
    add_spun_threshold,
    config_from,
    read_input,
    valid_time_limit,
    visible,
)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE",
                   help="text file to read (.html/.htm: its main text), or - for standard input")
    p.add_argument("--html", action="store_true",
                   help="read the input as an HTML page and check its main text (implied for .html/.htm files)")
    add_input_options(p, many=False)
    add_lexicon(p)
    add_moby(p)
    p.add_argument("--time-limit", type=float, metavar="SECONDS",
                   help="give up, with an error, when the check takes longer than this (counted once the "
                        "resources are loaded; default: no limit)")
    add_min_confidence(p)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser(
        "check",
        help="detect spun phrases and suggest the originals",
        description="Detect machine-spun phrases in a text (no source needed) and suggest the original wording.",
        epilog=EPILOG,
    )
    _common(p)
    add_spun_threshold(p)
    p.add_argument("--format", choices=("text", "json", "html"), default="text",
                   help="output format (default: text; html: one self-contained page with the text marked, "
                        "the findings' evidence and the restored text, to save and share)")
    p.set_defaults(func=run_check)

    p = sub.add_parser(
        "restore",
        help="print the most likely original wording",
        description="Print the text with each detected substitution replaced by its most likely original.",
        epilog=EPILOG,
    )
    _common(p)
    p.set_defaults(func=run_restore)


PROGRESS_BYTES = 50_000  # inputs at least this large show a progress bar on a terminal


def _check_with_progress(config: Config, text: str, time_limit: float | None = None) -> Report:
    """Run the check, with a progress bar on stderr for long texts when it is a terminal, and
    stopped with a one-line error past ``time_limit`` seconds (counted once the resources are in)."""
    engine = Engine(config)
    deadline = None
    if time_limit is not None:
        engine.prepare()
        deadline = time.monotonic() + time_limit
    try:
        if len(text) < PROGRESS_BYTES or not sys.stderr.isatty():
            return engine.check(text, deadline=deadline)
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("checking sentences", total=None)
            return engine.check(text, deadline=deadline,
                                progress=lambda done, total: bar.update(task, completed=done, total=total))
    except CheckTimeout:
        raise CommandError(f"the check ran past the time limit of {time_limit:g} s ({len(text):,} characters); "
                           "split the text or raise --time-limit") from None


def _read(args: argparse.Namespace, config: Config) -> str:
    """The text to check: the file as it is, or an HTML page's text (:func:`unspin.inputs.page_text`:
    its main text, boilerplate such as menus and footers left out, as every front end reads pages)."""
    text = read_input(args.file, config, args.encoding)
    where = "standard input" if args.file == "-" else args.file
    if not (args.html or args.file.lower().endswith(HTML_SUFFIXES)):
        if not looks_like_html(text):
            return text
        print(f"{where}: an HTML page: its main text is checked", file=sys.stderr)
    try:
        main = page_text(text)
        if not main.strip():
            raise CommandError(f"{where}: no text found in the HTML page")
        return check_text(main, config.max_input_bytes)
    except UnspinError as exc:
        raise CommandError(f"{where}: {exc}") from None


def run_check(args: argparse.Namespace) -> int:
    config = config_from(args)
    limit = valid_time_limit(args.time_limit)
    text = _read(args, config)
    report = _check_with_progress(config, text, limit)
    if args.format == "json":
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif args.format == "html":
        from ..htmlreport import render

        sys.stdout.write(render(text, report, source="" if args.file == "-" else os.path.basename(args.file)))
    else:
        print_report(text, report)
    return 0


def run_restore(args: argparse.Namespace) -> int:
    config = config_from(args)
    limit = valid_time_limit(args.time_limit)
    text = _read(args, config)
    sys.stdout.write(_check_with_progress(config, text, limit).restored)
    if not text.endswith("\n"):
        sys.stdout.write("\n")
    return 0


def print_report(text: str, report: Report) -> None:
    """A readable report: verdict, the text with spans highlighted, and a table of findings."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    colour = {"spun": "bold red", "clean": "bold green", "uncertain": "bold yellow"}[report.verdict]
    line = Text.assemble(("verdict: ", "bold"), (report.verdict, colour), f"  (spun probability {report.spun_probability:.2f})")
    console.print(line)
    if report.reason:
        console.print(Text(visible(f"reason: {report.reason}")))  # (Text: a text's words are no markup)
    evidence = document_evidence(report)
    if evidence:
        console.print(Text(f"evidence: {evidence}"))
    if not report.findings:
        console.print("no substituted phrases found")
        return
    body = Text(visible(text))
    for f in report.findings:
        body.stylize("bold black on yellow" if f.confidence >= 0.8 else "black on bright_yellow", f.start, f.end)
    console.print(body)
    table = Table(title=f"{len(report.findings)} findings", show_lines=False)
    table.add_column("where", justify="right")
    table.add_column("spun")
    table.add_column("likely original")
    table.add_column("conf", justify="right")
    table.add_column("evidence")
    for f in report.findings:
        ev = f"LM gain {f.signals.get('lm_gain', 0):+.1f}, prior {f.signals.get('channel_prior', 0):.1f}, {f.signals.get('source', '')}"
        if f.signals.get("lexicon_kind") == "curated":
            ev += f" (curated, weight {f.signals.get('lexicon_weight', 0):g})"
        if f.signals.get("lexicon_kind") == "learned":
            ev += f" (learned: swapped {f.signals['lexicon_swaps']:g}×, left {f.signals['lexicon_kept']:g}×)"
        table.add_row(f"{f.start}-{f.end}", Text(visible(f.text)), Text(visible(f.original)), f"{f.confidence:.2f}", Text(ev))
    console.print(table)
