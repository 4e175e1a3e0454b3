"""``unspin lexicon import``: a lexicon from a list of known swaps, such as a tortured-phrase list."""

from __future__ import annotations

import argparse
import os
import sys

from ..config import Config
from ..lexicon import CERTAIN_WEIGHT, IMPORT_WEIGHT, IMPORT_WORD_PAIRS, Lexicon, import_pairs
from . import EPILOG, CommandError, only_writer, read_input, writable_file


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser(
        "lexicon",
        help="make a lexicon from a list of known swaps (e.g. tortured phrases)",
        description="Work with substitution lexicons, the files `unspin check --lexicon` reads.",
        epilog=EPILOG,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import",
        help="make a lexicon from a list of spun<TAB>original pairs",
        description=(
            "Read FILE, one spun<TAB>original pair per line (further columns are ignored, so a "
            "tortured-phrase list's tortured<TAB>expected<TAB>papers rows work as they are; a first row "
            "of column names, blank lines and # comments are skipped), and write the lexicon OUT "
            "(created, or extended when it exists). Each pair is curated with --weight; from "
            f"{CERTAIN_WEIGHT:g} up, `unspin check --lexicon OUT` restores the pair wherever its phrase "
            "stands, whatever its language model prefers there. Rows the detector could never match "
            "(numbers or punctuation in the spun phrase) or without a known original are left out "
            "and counted."
        ),
        epilog=EPILOG,
    )
    imp.add_argument("file", metavar="FILE", help="the list of pairs (UTF-8), or - for standard input")
    imp.add_argument("--encoding", help="the list's encoding (default: UTF-8, or UTF-16 with a BOM)")
    imp.add_argument("-o", "--output", metavar="OUT", required=True, help="lexicon file to create or extend")
    imp.add_argument("--weight", type=float, default=IMPORT_WEIGHT,
                     help=f"curated weight of each pair (evidence 1 - 0.5**weight; default {IMPORT_WEIGHT:g}; at {CERTAIN_WEIGHT:g} "
                          "or more a pair is restored wherever it stands, lower makes it one candidate among "
                          "the thesaurus's)")
    imp.add_argument("--word-pairs", type=int, default=IMPORT_WORD_PAIRS, metavar="N",
                     help="also take the word swaps that at least N listed phrases show ('counterfeit' for "
                          "'artificial'), as learned evidence that counts as far as the text reads spun "
                          f"(default {IMPORT_WORD_PAIRS}; 0: none)")
    p.set_defaults(func=run)


MAX_WEIGHT = 50.0  # evidence 1 - 2**-50: as certain as a float can say


def run(args: argparse.Namespace) -> int:
    # (as for the other commands' numbers: one that does not parse is a usage error, one out of
    # range a processing error)
    if not 0 < args.weight <= MAX_WEIGHT:  # (NaN fails too)
        raise CommandError(f"--weight must be above 0 and at most {MAX_WEIGHT:g}, got {args.weight:g}")
    if args.word_pairs < 0:
        raise CommandError(f"--word-pairs must be 0 or more, got {args.word_pairs}")
    writable_file(args.output)
    where = "standard input" if args.file == "-" else args.file
    text = read_input(args.file, Config(), args.encoding)  # (a list of pairs is text like any other: the same checks)
    imported = import_pairs(text, args.weight, where, args.word_pairs)
    with only_writer(args.output):  # (read, changed and written by one process at a time)
        lexicon = Lexicon.load(args.output) if os.path.exists(args.output) else Lexicon()
        before = len(lexicon)
        lexicon = lexicon.updated(imported.lexicon)  # (weights set, not added up: an import can be repeated)
        lexicon.save(args.output)
    for why, lines in sorted(imported.skipped.items()):
        shown = ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else "")
        print(f"{where}: left out {len(lines)} rows: {why} (lines {shown})", file=sys.stderr)
    print(f"{len(imported.lexicon) - imported.word_pairs} pairs read from {where}"
          f"{' (its first row named the columns)' if imported.header else ''}, "
          f"{imported.word_pairs} word swaps taken from them; "
          f"lexicon {args.output} has {len(lexicon)} pairs ({len(lexicon) - before} new)")
    return 0
