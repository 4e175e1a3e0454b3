"""``unspin index`` and ``unspin trace``: build a corpus index, find the sources of a text."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..index import BATCH_SIZE, AddSummary, Index, Match, open_index
from . import (
    EPILOG,
    add_input_options,
    all_exist,
    cli_wording,
    config_from,
    known_encoding,
    positive_int,
    read_input,
    visible,
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser(
        "index",
        help="create or extend a corpus index for trace",
        description=(
            "Add documents to a trace index (an SQLite file, created when missing). PATH may be a "
            "file or a directory (searched recursively): .txt, .md, .html (boilerplate removed), "
            ".jsonl (one {\"id\", \"text\"} object a line), .warc/.warc.gz/.wet, .docx/.odt/.pdf. A file's id is its "
            "path relative to the directory given, or its name when given itself. Ids already "
            "indexed with the same text are skipped, so an interrupted run can simply be run again; an id "
            "indexed for another text is a conflict, not added (exit 1)."
        ),
        epilog=EPILOG,
    )
    p.add_argument("db", metavar="DB", help="index file (created when missing)")
    p.add_argument("paths", metavar="PATH", nargs="+", help="files or directories to index")
    p.add_argument("--workers", type=positive_int, default=1, metavar="N", help="processes computing fingerprints (default 1)")
    p.add_argument("--batch-size", type=positive_int, default=BATCH_SIZE, metavar="N",
                   help=f"documents per transaction (default {BATCH_SIZE})")
    add_input_options(p, many=True)
    p.add_argument("--format", choices=("text", "json"), default="text", help="summary format (default: text)")
    p.set_defaults(func=run_index)

    p = sub.add_parser(
        "trace",
        help="find the indexed sources of a (spun) text",
        description="Find the documents of an index that a text was copied or spun from, with the copied passages and swapped words.",
        epilog=EPILOG,
    )
    p.add_argument("db", metavar="DB", help="index file built by 'unspin index'")
    p.add_argument("file", metavar="FILE", help="text file to trace, or - for standard input")
    p.add_argument("--top", type=positive_int, default=5, metavar="K", help="report at most K sources (default 5)")
    p.add_argument("--all", action="store_true", help="also report sources below the score threshold")
    p.add_argument("--format", choices=("text", "json", "html"), default="text",
                   help="output format (default: text; html: one self-contained page with each source's passages "
                        "beside the traced text's and the swapped words marked, to save and share)")
    add_input_options(p, many=False)
    p.add_argument("--lexicon", metavar="PATH",
                   help="extra substitution lexicon: its pairs count as known swaps when a copy is aligned")
    p.set_defaults(func=run_trace)


def run_index(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..inputs import read_inputs

    config = config_from(args)
    all_exist(args.paths)  # (before the index is made or opened)
    fallback = known_encoding(args.encoding)
    err = Console(stderr=True, highlight=False)
    with Index(args.db, config) as index:
        items = read_inputs(args.paths, config.max_input_bytes, fallback=fallback)
        with Progress(
            SpinnerColumn(),
            TextColumn("indexing"),
            BarColumn(bar_width=None),
            TextColumn("{task.fields[added]:,} added, {task.fields[dupes]:,} duplicates, {task.fields[skipped]:,} skipped"),
            TimeElapsedColumn(),
            console=err,
            disable=not err.is_terminal,
            transient=True,
        ) as bar:
            task = bar.add_task("index", total=None, added=0, dupes=0, skipped=0)

            def progress(s: AddSummary) -> None:
                bar.update(task, added=s.added, dupes=s.duplicates, skipped=s.skipped)

            summary = index.add(items, batch_size=args.batch_size, workers=args.workers, progress=progress)
        total = index.recount()  # (another index run may have added documents meanwhile)
    if args.format == "json":
        out = summary.to_dict() | {"documents": total}
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        conflicts = f", {summary.conflicts:,} conflicting ids" if summary.conflicts else ""
        print(f"{args.db}: {summary.added:,} added, {summary.duplicates:,} duplicates{conflicts}, "
              f"{summary.skipped:,} skipped; {total:,} documents in the index")
        for reason, count in summary.skip_reasons.most_common():
            print(f"  skipped {count:,}: {cli_wording(reason)}")
        for where, reason in summary.skip_examples[:10]:
            print(visible(f"    {where}: {cli_wording(reason)}"))
        for doc_id, why in summary.duplicate_examples[:5]:
            print(visible(f"  duplicate {doc_id}: {why}"))
    if summary.conflicts:
        shown = visible(", ".join(summary.conflict_examples[:5])) + (", ..." if summary.conflicts > 5 else "")
        print(f"unspin: error: {summary.conflicts:,} documents not added: their ids ({shown}) are in the index "
              "already for other texts; a file's id is its path under the folder given, so index the folders' "
              "parent instead (or put them in a new index)", file=sys.stderr)
        return 1
    return 0


def run_trace(args: argparse.Namespace) -> int:
    config = config_from(args)
    text = read_input(args.file, config, args.encoding)
    with open_index(args.db, config) as index:  # (IndexCorruptError where there is none: "build it first")
        matches = index.trace(text, top=args.top, all=args.all)
        if args.format == "json":
            json.dump({"matches": [m.to_dict() for m in matches]}, sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        elif args.format == "html":
            from ..htmlreport import render_trace

            sources = {m.id: index.get(m.id).text for m in matches}
            name = "" if args.file == "-" else os.path.basename(args.file)
            sys.stdout.write(render_trace(text, matches, sources, indexed=len(index), source=name))
        else:
            print_trace(text, matches, index, config.trace_threshold)
    return 0


def print_trace(text: str, matches: list[Match], index: Index, threshold: float) -> None:
    """A readable report: the sources, then each copied passage beside its source, swaps marked."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if not matches:
        console.print(f"no source found in {len(index):,} indexed documents (score threshold {threshold:.2f})")
        return
    summary = Table(title=f"{len(matches)} source(s) in {len(index):,} indexed documents")
    summary.add_column("#", justify="right")
    summary.add_column("source")
    summary.add_column("score", justify="right")
    summary.add_column("coverage", justify="right")
    summary.add_column("passages", justify="right")
    summary.add_column("swaps", justify="right")
    for k, m in enumerate(matches, 1):
        summary.add_row(str(k), Text(visible(m.id)), f"{m.score:.2f}", f"{m.coverage:.0%}", str(len(m.passages)), str(len(m.substitutions)))
    console.print(summary)
    for k, m in enumerate(matches, 1):
        source = index.get(m.id).text
        # (ids and texts as Text: their brackets are no markup)
        title = Text(f"{k}. {visible(m.id)}  (score {m.score:.2f}, coverage {m.coverage:.0%})")
        table = Table(title=title, show_lines=True, expand=True)
        table.add_column("traced text", ratio=1)
        table.add_column("source", ratio=1)
        for p in m.passages:
            q = Text(visible(text[p.query[0] : p.query[1]]))
            s = Text(visible(source[p.source[0] : p.source[1]]))
            for sub in m.substitutions:
                if p.query[0] <= sub.query[0] and sub.query[1] <= p.query[1]:
                    style = "bold red" if sub.evidence != "unverified" else "red"
                    q.stylize(style, sub.query[0] - p.query[0], sub.query[1] - p.query[0])
                if p.source[0] <= sub.source[0] and sub.source[1] <= p.source[1]:
                    style = "bold green" if sub.evidence != "unverified" else "green"
                    s.stylize(style, sub.source[0] - p.source[0], sub.source[1] - p.source[0])
            table.add_row(q, s)
        console.print(table)
        if m.substitutions:
            swaps = ", ".join(f"{s.spun} ← {s.original}" for s in m.substitutions[:40])
            more = f" (+{len(m.substitutions) - 40} more)" if len(m.substitutions) > 40 else ""
            console.print(Text(f"swapped words (spun ← original): {swaps}{more}"))
