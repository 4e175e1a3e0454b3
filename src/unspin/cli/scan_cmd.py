"""``unspin scan``: batch detection over files, directories, JSONL and WARC."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import (
    EPILOG,
    add_input_options,
    add_lexicon,
    add_min_confidence,
    add_moby,
    add_spun_threshold,
    all_exist,
    config_from,
    hint_fill,
    known_encoding,
    positive_int,
    valid_time_limit,
    visible,
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser(
        "scan",
        help="check many documents, one JSON line each",
        description=(
            "Check every document under PATH (files, directories searched recursively, .txt/.md/.html, "
            ".jsonl with id and text, .warc/.warc.gz/.wet, .docx/.odt/.pdf) and append one JSON line per document to OUT: "
            '{"id", "verdict", "spun_probability", "findings"}. Rerunning with the same OUT skips the ids '
            "already there, so an interrupted scan resumes."
        ),
        epilog=EPILOG,
    )
    p.add_argument("paths", metavar="PATH", nargs="+", help="files or directories to check")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="JSONL file to append results to")
    p.add_argument("--jobs", type=positive_int, default=1, metavar="N", help="worker processes (default 1)")
    add_lexicon(p)
    add_moby(p)
    add_spun_threshold(p)
    add_min_confidence(p)
    p.add_argument("--time-limit", type=float, metavar="SECONDS",
                   help="stop a document's check after this many seconds and write it as 'uncertain', with "
                        "\"timed_out\": true (default: no limit; a 5 KB article takes about a tenth of a second once "
                        "the candidate store is filled, a fifth before)")
    add_input_options(p, many=True)
    p.add_argument("--reports", metavar="DIR",
                   help="also write each document's HTML report (as check --format html) into DIR, "
                        "named after its id")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..scan import check_destinations, report_path, scan

    all_exist(args.paths)
    config = config_from(args)
    valid_time_limit(args.time_limit)
    options = {"jobs": args.jobs, "tune_gc": True, "reports": args.reports, "time_limit": args.time_limit,
               "encoding": known_encoding(args.encoding)}
    check_destinations(Path(args.output), None if args.reports is None else Path(args.reports), args.paths)
    if args.lexicon:  # (a lexicon that cannot be read is the error, not a note on the store before it)
        from ..lexicon import Lexicon

        Lexicon.load(args.lexicon)
    hint_fill(config)
    checked = [0]  # documents this run has written, for the message when it is interrupted

    def count(n: int) -> None:
        checked[0] = n

    try:
        if sys.stderr.isatty():
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task("checking documents", total=None)

                def show(n: int) -> None:
                    count(n)
                    bar.update(task, completed=n)

                summary = scan(args.paths, args.output, config, progress=show, **options)
        else:
            summary = scan(args.paths, args.output, config, progress=count, **options)
    except KeyboardInterrupt:
        print(f"unspin: interrupted: this run wrote {checked[0]:,} document{'s' if checked[0] != 1 else ''} to "
              f"{args.output}; the same command goes on from there", file=sys.stderr)
        raise SystemExit(130) from None
    print(f"{args.output}: {summary.line()}")
    if summary.skipped and not args.verbose:
        print("(`unspin -v scan ...` names each document skipped)", file=sys.stderr)
    top = summary.top_spun()
    if top:
        more = summary.verdicts["spun"] - len(top)
        print(f"called spun, likeliest first{f' (the first {len(top)}; {more:,} more in the output)' if more else ''}:")
        for prob, doc_id, findings in top:
            page = f"  {report_path(args.reports, doc_id)}" if args.reports else ""
            print(visible(f"  {prob:.2f}  {doc_id}  ({findings} finding{'s' if findings != 1 else ''}){page}"))
    return 0
