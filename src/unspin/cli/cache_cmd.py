"""``unspin cache``: show, or clear, what unspin keeps in its cache folder."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..resources import cache_root
from . import EPILOG

# what unspin writes there: parsed resources, candidate stores (with SQLite's side files)
PATTERNS = ("*.pickle", "candidates-*.sqlite", "candidates-*.sqlite-wal", "candidates-*.sqlite-shm")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser(
        "cache",
        help="show or clear unspin's cache folder",
        description="List what unspin keeps in its cache folder ($UNSPIN_CACHE, else ~/.cache/unspin): the "
        "parsed thesauri and word vectors, and the candidate store. All of it is rebuilt when needed.",
        epilog=EPILOG,
    )
    p.add_argument("--clear", action="store_true", help="delete those files (not the folder's other contents)")
    p.set_defaults(func=run)


KINDS = {"candidates": "candidate store", "wordnet": "WordNet, parsed", "glove50c": "word vectors, parsed",
         "moby": "Moby lists, parsed"}


def _kind(name: str) -> str:
    prefix = name.split("-", 1)[0]
    return KINDS.get(prefix, prefix)


def run(args: argparse.Namespace) -> int:
    root = cache_root()
    if root is None:
        print("caching is off (UNSPIN_CACHE=off)")
        return 0
    files = sorted({p for pattern in PATTERNS for p in root.glob(pattern) if p.is_file()})
    if not files:
        print(f"{root}: no unspin cache files")
        return 0
    total = 0
    for p in files:
        size = _size(p)
        total += size
        if not args.clear:
            print(f"{size / 1e6:9.1f} MB  {_kind(p.name):<20} {p.name}")
    if args.clear:
        removed = sum(1 for p in files if _remove(p))
        print(f"{root}: removed {removed} of {len(files)} files ({total / 1e6:.1f} MB)")
        return 0 if removed == len(files) else 1
    print(f"{total / 1e6:9.1f} MB  in {root}")
    return 0


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
    except OSError:
        return False
    return True
