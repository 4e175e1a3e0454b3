"""``unspin learn``: a substitution lexicon from spun copies traced to their sources."""

from __future__ import annotations

import argparse
import os
import sys

from ..learn import MIN_COVERAGE, MIN_SCORE
from ..lexicon import Lexicon
from . import (
    EPILOG,
    CommandError,
    UsageError,
    add_input_options,
    config_from,
    only_writer,
    read_input,
    writable_file,
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser(
        "learn",
        help="learn swapped word pairs from spun copies traced in an index",
        description=(
            "Trace each spun FILE against the index DB and add the word pairs swapped in its best match, "
            "where that is confident, to the lexicon OUT (created, or extended when it exists), with how often "
            "the spinner left each spun word as it was. Use the lexicon with `unspin check --lexicon OUT`."
        ),
        epilog=EPILOG,
    )
    p.add_argument("db", metavar="DB", help="index file made by `unspin index`")
    p.add_argument("files", metavar="FILE", nargs="+", help="spun texts to learn from (- for standard input)")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="lexicon file to create or extend")
    p.add_argument("--min-score", type=float, default=MIN_SCORE,
                   help=f"use matches scoring at least this (default {MIN_SCORE:g})")
    p.add_argument("--min-coverage", type=float, default=MIN_COVERAGE,
                   help=f"and covering at least this share (default {MIN_COVERAGE:g})")
    add_input_options(p, many=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..index import open_index
    from ..learn import learn

    if args.files.count("-") > 1:
        raise UsageError("standard input (-) can be given only once")
    for name, value in (("--min-score", args.min_score), ("--min-coverage", args.min_coverage)):
        if not 0 <= value <= 1:  # (NaN fails too: it would let every match through)
            raise CommandError(f"{name} must be from 0 to 1, got {value:g}")
    config = config_from(args)
    writable_file(args.output)
    if os.path.exists(args.output):
        Lexicon.load(args.output)  # (a damaged lexicon is an error now, not after the tracing)
    index = open_index(args.db, config)
    try:
        traced = []
        for path in args.files:
            text = read_input(path, config, args.encoding)
            found = index.trace(text, top=1)
            if not found:
                print(f"{path}: no source found in the index", file=sys.stderr)
            traced.append((text, found))
    finally:
        index.close()
    with only_writer(args.output):  # (read, extended and written by one learn at a time)
        lexicon = Lexicon.load(args.output) if os.path.exists(args.output) else Lexicon()
        before = len(lexicon)
        lexicon, summary = learn(traced, lexicon, min_score=args.min_score, min_coverage=args.min_coverage)
        lexicon.save(args.output)
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(summary.skipped.items())) or "none"
    print(
        f"{summary.used} of {summary.matches} matches used; {summary.pairs} pairs learned "
        f"({len(lexicon) - before} new); skipped: {skipped}; lexicon {args.output} has {len(lexicon)} pairs"
    )
    return 0
