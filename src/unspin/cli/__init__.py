"""The ``unspin`` command line: a thin layer over the library.

Exit codes: 0 success, 1 processing error (bad input, missing resource,
failed job), 2 usage error (unknown option, options that do not go together),
130 interrupted.  Each subcommand lives in its own module and registers itself
through ``register(subparsers)``; those that read one text share :func:`read_input`,
those that give verdicts :func:`add_spun_threshold` and
:func:`with_spun_threshold`, and those that report findings :func:`add_min_confidence` and
:func:`with_min_confidence`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from .._version import __version__
from ..config import Config
from ..documents import KIND_NAMES, input_text, read_limited
from ..errors import UnspinError, file_problem
from ..inputs import output_problem

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

EPILOG = "exit codes: 0 success, 1 processing error (bad input, missing resource), 2 usage error, 130 interrupted"

# Subcommand modules, each with register(subparsers).  Modules whose optional
# dependencies are missing still register and fail with a clear message when run.
COMMAND_MODULES: tuple[str, ...] = (
    "detect_cmd", "demo_cmd", "serve_cmd", "trace_cmd", "learn_cmd", "lexicon_cmd", "scan_cmd", "cache_cmd",
)


class CommandError(Exception):
    """Raised by a subcommand for a processing error; printed as one line, exit 1."""


class UsageError(CommandError):
    """Raised by a subcommand for options that do not go together; printed as one line, exit 2
    (what argparse gives a wrong option)."""


# control characters shown as their pictures (C1 ones as U+FFFD), one character for one so that
# offsets still hold: an escape sequence in a text, or in a document id from a crawl or the API,
# must not drive the reader's terminal
_VISIBLE = {c: 0x2400 + c for c in range(32) if c not in (9, 10, 13)} | {0x7F: 0x2421} | dict.fromkeys(range(0x80, 0xA0), 0xFFFD)


def visible(text: str) -> str:
    """``text`` with its control characters as visible symbols (tabs and line breaks kept)."""
    return text.translate(_VISIBLE)


def _whole_number(value: str, least: int) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {n}")
    return n


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    return _whole_number(value, 1)


def non_negative_int(value: str) -> int:
    """An argparse type: a whole number of at least 0."""
    return _whole_number(value, 0)


def writable_file(path: str) -> str:
    """``path`` if a file can be written there (:func:`unspin.inputs.output_problem`), checked
    before a command does its work; :class:`CommandError` otherwise."""
    problem = output_problem(Path(path))
    if problem:
        raise CommandError(problem)
    return path


@contextlib.contextmanager
def only_writer(path: str) -> Iterator[None]:
    """Hold, for the ``with`` block, the right to read, change and rewrite the file ``path``
    against other unspin processes doing the same (two ``learn`` runs into one lexicon: each
    would write its own pairs over the other's).  The lock is on the file's folder, as the file
    itself is replaced when written; a second process waits, and says that it does."""
    import fcntl

    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"unspin: waiting for another unspin process writing in the folder of {path}", file=sys.stderr)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # (and so the lock goes)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    print(f"unspin: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def valid_time_limit(value: float | None) -> float | None:
    """A ``--time-limit`` value as :func:`unspin.scan.valid_time_limit` allows it (``None``: no limit),
    else a :class:`CommandError` in the option's name."""
    from ..scan import valid_time_limit as allowed

    try:
        return allowed(value)
    except ValueError as exc:
        raise CommandError(f"--{exc}".replace("time_limit", "time-limit", 1)) from None


def all_exist(paths: Sequence[str]) -> None:
    """A :class:`CommandError` naming the first of ``paths`` that does not exist (checked before a
    command makes or opens anything)."""
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise CommandError(f"{missing[0]}: no such file or directory")


def cli_wording(message: str) -> str:
    """A library message as the command line words it: the options' names for the settings."""
    return message.replace("raise max_input_bytes", "raise --max-bytes").replace(
        "read it as cp1252", "read it as cp1252 (--encoding cp1252)")


FALLBACK_ENCODING_HELP = (
    "the encoding of text files that are neither UTF-8 nor say what they are in, e.g. latin-1 "
    "(default: skip them)"
)


def known_encoding(name: str | None) -> str | None:
    """``name`` if Python knows the encoding (``None`` stays ``None``), else a :class:`CommandError`."""
    if name is None:
        return None
    import codecs

    try:
        info = codecs.lookup(name)
    except LookupError:
        raise CommandError(f"--encoding {name!r}: no such encoding") from None
    if not getattr(info, "_is_text_encoding", True):  # (rot13, base64: codecs, but not of text)
        raise CommandError(f"--encoding {name!r}: not a text encoding")
    return name


def read_input(path: str, config: Config, encoding: str | None = None) -> str:
    """Read a text file, or standard input when ``path`` is ``-``, with input checks.  A Word,
    OpenDocument or PDF document gives its text (:mod:`unspin.documents`), with a note on
    standard error saying so."""
    where = "standard input" if path == "-" else path
    limit = config.max_input_bytes
    try:
        if path == "-" and sys.stdin is None:  # (started with standard input closed: cron, a daemon)
            raise CommandError("there is no standard input to read (it is closed); give a file")
        fh = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 -- closed below
    except OSError as exc:
        why = file_problem(exc)
        if why is None:
            raise
        raise CommandError(f"{path}: {why}") from None
    try:
        data = read_limited(fh, limit)
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()
    try:
        text, kind = input_text(data, limit, encoding)
    except UnspinError as exc:
        message = cli_wording(str(exc))
        raise CommandError(f"{where}: {message}") from None
    if kind is not None:
        print(f"{where}: {KIND_NAMES[kind]}: its text is read", file=sys.stderr)
    return text


SPUN_THRESHOLD_HELP = (
    "call a text spun only at this spun probability or above (default 0.525, short texts 0.7; "
    "raise it for papers and other technical text, which a news-trained model reads as odder: "
    "see the README's benchmarks)"
)


def add_spun_threshold(parser: argparse.ArgumentParser) -> None:
    """The ``--spun-threshold P`` option of the commands that give verdicts (check, scan, serve)."""
    parser.add_argument("--spun-threshold", type=float, metavar="P", help=SPUN_THRESHOLD_HELP)


def with_spun_threshold(config: Config, value: float | None) -> Config:
    """``config`` with the threshold ``--spun-threshold`` asks for, for texts of any length (the
    short texts' stricter one raised to it where it is lower)."""
    if value is None:
        return config
    try:
        return config.with_spun_threshold(value)
    except ValueError as exc:
        raise CommandError(f"--{exc}".replace("spun_threshold", "spun-threshold", 1)) from None


def add_min_confidence(parser: argparse.ArgumentParser) -> None:
    """The ``--min-confidence C`` option of the commands that report or apply findings."""
    parser.add_argument(
        "--min-confidence", type=float, metavar="C",
        help="report and restore only findings at least this confident, 0 to 1 (default 0.4; 0.8 keeps "
             "the strongest: fewer words a writer chose are flagged, and fewer swaps are found)",
    )


def with_min_confidence(config: Config, value: float | None) -> Config:
    """``config`` with the finding threshold ``--min-confidence`` asks for."""
    if value is None:
        return config
    if not 0.0 <= value <= 1.0:
        raise CommandError(f"--min-confidence must be between 0 and 1, got {value}")
    return replace(config, finding_threshold=value)


def add_lexicon(parser: argparse.ArgumentParser) -> None:
    """The ``--lexicon PATH`` option of the commands that check texts or verify swaps."""
    parser.add_argument("--lexicon", metavar="PATH", help="extra substitution lexicon (unspin-lexicon format)")


def add_moby(parser: argparse.ArgumentParser) -> None:
    """The ``--moby`` option of the commands that check texts."""
    parser.add_argument("--moby", action="store_true",
                        help="also try the Moby thesaurus's loose synonyms as originals (slower; see Config.use_moby)")


def add_input_options(parser: argparse.ArgumentParser, *, many: bool) -> None:
    """``--encoding`` and ``--max-bytes`` of the commands that read documents: ``many`` (folders,
    feeds: a text file's fallback encoding, documents over the limit skipped) or one text (its
    encoding, an input over the limit refused)."""
    limit = Config.max_input_bytes
    if many:
        parser.add_argument("--encoding", help=FALLBACK_ENCODING_HELP)
        parser.add_argument("--max-bytes", type=positive_int, metavar="N",
                            help=f"skip documents larger than N bytes (default {limit})")
    else:
        parser.add_argument("--encoding", help="input encoding (default: UTF-8, or UTF-16 with a BOM)")
        parser.add_argument("--max-bytes", type=positive_int, metavar="N",
                            help=f"refuse inputs larger than N bytes (default {limit})")


def config_from(args: argparse.Namespace) -> Config:
    """The configuration the options of a command ask for (those it has: ``--lexicon``,
    ``--max-bytes``, ``--moby``, ``--spun-threshold``, ``--min-confidence``)."""
    changes: dict[str, object] = {}
    if getattr(args, "lexicon", None):
        changes["lexicon_path"] = args.lexicon
    if getattr(args, "max_bytes", None) is not None:
        changes["max_input_bytes"] = args.max_bytes
    if getattr(args, "moby", False):
        changes["use_moby"] = True
    config = with_spun_threshold(Config(**changes), getattr(args, "spun_threshold", None))  # type: ignore[arg-type]
    return with_min_confidence(config, getattr(args, "min_confidence", None))


# a store that `unspin cache --fill` filled holds some 200,000 words and phrases; one that a few
# checks filled as they went, a few thousand
FILLED_ENOUGH = 50_000


def hint_fill(config: Config) -> None:
    """Say on standard error when the candidate store is (nearly) empty: a process's first
    documents then spend most of their time working out candidates that `unspin cache --fill`
    stores ahead of time (README, "Benchmarks": 5.22 documents/s per core against 16.94 filled).
    For the commands that check many texts (scan, serve)."""
    from ..detect import stored_candidates

    held = stored_candidates(config)
    if held is not None and held < FILLED_ENOUGH:
        fill = "unspin cache --fill --moby --jobs N" if config.use_moby else "unspin cache --fill --jobs N"
        print(f"unspin: note: the candidate store holds {held:,} words and phrases; `{fill}` "
              "(about 40 s with --jobs 2 on two cores) makes the first checks of every process several times faster",
              file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="unspin",
        description="Find machine-spun text, restore its original wording, and trace it to its source.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"unspin {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f".{name}", __name__)
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.verbose < 2:  # its notes and errors on pages it finds no main text in: unspin says so itself
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        return int(args.func(args) or EXIT_OK)
    except UsageError as exc:
        fail(str(exc), EXIT_USAGE)
    except (CommandError, UnspinError) as exc:
        fail(str(exc))
    except sqlite3.DatabaseError as exc:  # a damaged index (the page cache of a copy cut short, a bad disk)
        db = getattr(args, "db", None)
        fail(f"{db}: the index file is damaged ({exc}); make it again with `unspin index`" if db
             else f"a database file is damaged: {exc}")
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # writing the results: a full disk, a quota, an I/O error
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
