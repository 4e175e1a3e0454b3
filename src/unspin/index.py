"""The corpus index: documents and their spin-robust fingerprints in one SQLite file.

Layout (format version 1)::

    info(key, value)                 format, version, n-gram size, window, fingerprint scheme
    docs(doc, id, digest, text, meta, fps)
        doc     integer key; id the caller's id (unique)
        digest  64-bit hash of the whitespace-normalised text (exact duplicates)
        text    zlib-compressed UTF-8 text, so matches can be verified and shown
        meta    JSON object
        fps     the document's fingerprints (little-endian int64), for removal
    postings(hash, doc)              one row per fingerprint; index postings_hash(hash, doc)

Safety: WAL journal, one transaction per batch of documents.  A process killed
mid-batch loses only that batch; SQLite rolls it back on the next open, and
rerunning the same ``add`` skips the ids already present, so exactly the
missing documents are added.  A first load into an empty index drops the
``postings_hash`` index and builds it once at the end (much faster than
growing it row by row); if that run is killed, the next open rebuilds it.

Tracing: the query's fingerprints are looked up, candidate documents ranked by
the idf-weighted count of shared fingerprints, and the best candidates
verified by alignment (:mod:`unspin.align`); a :class:`Match` is reported
when its alignment score reaches :attr:`Config.trace_threshold`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import multiprocessing
import os
import re
import sqlite3
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .align import Aligner, Passage, Substitution, Tokens
from .config import Config
from .errors import IndexCorruptError, UnspinError
from .fingerprint import SCHEME_VERSION, Fingerprinter
from .inputs import Item, Record, Skip, reason_kind, records_from_texts
from .lexicon import Lexicon, builtin_lexicon
from .resources import Resources
from .text import MISREAD_CP1252, check_text, control_problem

log = logging.getLogger(__name__)

FORMAT = "unspin-index"
FORMAT_VERSION = 1
BATCH_SIZE = 2000  # documents a transaction of Index.add writes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(
    doc INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    digest INTEGER NOT NULL,
    text BLOB NOT NULL,
    meta TEXT NOT NULL,
    fps BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_digest ON docs(digest);
CREATE TABLE IF NOT EXISTS postings(hash INTEGER NOT NULL, doc INTEGER NOT NULL);
"""
_POSTINGS_INDEX = "CREATE INDEX IF NOT EXISTS postings_hash ON postings(hash, doc)"


@dataclass(frozen=True, slots=True)
class Match:
    """A source of the traced text, with the evidence.

    ``score`` (0..1) grows with the number of the query's words the source
    explains (copied, or swapped for a known synonym); ``coverage`` is the
    share of the query's words inside copied passages.  Offsets are character
    offsets: ``passage.query`` into the traced text, ``passage.source`` into
    the source document's text.
    """

    id: str
    score: float
    coverage: float
    passages: tuple[Passage, ...]
    substitutions: tuple[Substitution, ...]
    shared_fingerprints: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of one match in ``unspin trace --format json``."""
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "coverage": round(self.coverage, 4),
            "passages": [p.to_dict() for p in self.passages],
            "substitutions": [s.to_dict() for s in self.substitutions],
        }


@dataclass
class AddSummary:
    """What :meth:`Index.add` did: counts and the reason for each skip."""

    added: int = 0
    duplicates: int = 0
    skipped: int = 0
    skip_reasons: Counter[str] = field(default_factory=Counter)
    skip_examples: list[tuple[str, str]] = field(default_factory=list)
    duplicate_examples: list[tuple[str, str]] = field(default_factory=list)
    conflicts: int = 0  # not added: the id is indexed already, for another text
    conflict_examples: list[str] = field(default_factory=list)

    def conflict(self, doc_id: str) -> None:
        self.conflicts += 1
        if len(self.conflict_examples) < 20:
            self.conflict_examples.append(doc_id)

    def skip(self, where: str, reason: str) -> None:
        self.skipped += 1
        self.skip_reasons[reason_kind(reason)] += 1
        if len(self.skip_examples) < 20:
            self.skip_examples.append((where, reason))

    def duplicate(self, doc_id: str, why: str) -> None:
        self.duplicates += 1
        if len(self.duplicate_examples) < 20:
            self.duplicate_examples.append((doc_id, why))

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "skipped": self.skipped,
            "skip_reasons": dict(self.skip_reasons),
        }


_SURROGATE = re.compile("[\ud800-\udfff]")  # half of an encoded character: no file can hold it


def _text_problem(text: Any, max_bytes: int) -> str:
    """Why a document's text cannot be indexed ('' when it can); a fast form of check_text."""
    if not isinstance(text, str):
        return f"text is {type(text).__name__}, not a string"
    if len(text) * 4 > max_bytes and len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        return f"too large (over {max_bytes:,} bytes)"
    if not text.strip():
        return "empty text"
    if "\x00" in text:
        return "binary (contains NUL bytes)"
    if _SURROGATE.search(text):
        return "not valid Unicode text (a lone surrogate)"
    problem = control_problem(text)
    if not problem:
        return ""
    return f"{'misread text' if problem.endswith(MISREAD_CP1252) else 'binary'}: it has {problem}"


def _digest(text: str) -> int:
    norm = " ".join(text.split()).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(norm, digest_size=8).digest(), "little", signed=True)


# --- worker processes ------------------------------------------------------------

_WORKER_FP: Fingerprinter | None = None


def _worker_init(n: int, w: int) -> None:
    global _WORKER_FP
    ignore_interrupts()
    _WORKER_FP = Fingerprinter(n, w)


def ignore_interrupts() -> None:
    """In a worker process: leave Ctrl-C to the parent, which stops the pool and says so once,
    instead of every worker printing a KeyboardInterrupt traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_fingerprint(texts: list[str]) -> list[np.ndarray]:
    assert _WORKER_FP is not None
    return [f.hashes for f in _WORKER_FP.fingerprints_many(texts)]


class Index:
    """A trace index in one SQLite file: opens it, or creates it when missing.

    >>> with Index("corpus.db") as index:             # doctest: +SKIP
    ...     index.add([("a1", "text of a1 ..."), ("a2", "...")])
    ...     matches = index.trace(suspect_text, top=5)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        config: Config | None = None,
        *,
        create: bool = True,
        resources: Resources | None = None,
    ) -> None:
        self.path = Path(path)
        self.config = config or Config()
        if not create and not self.path.exists():
            raise IndexCorruptError(f"index {self.path} does not exist; build it first with: unspin index {self.path} PATH...")
        if self.path.is_dir():
            raise IndexCorruptError(f"{self.path} is a directory; give the path of an index file")
        if self.path.exists() and self.path.stat().st_size > 0:
            with open(self.path, "rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    raise IndexCorruptError(f"{self.path} is not an unspin index (not an SQLite file)")
        self._resources = resources
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=60)
            # what the file is, found before anything is written to it: another program's
            # database given by mistake is refused as it was, never switched to WAL or given tables
            # (nor is an index of another version or fingerprint scheme changed before it is refused)
            try:
                self._check_kind(create)
                self._check_info(self._read_info())
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("PRAGMA cache_size=-262144")  # 256 MiB
                self._db.executescript(_SCHEMA)
                self._init_info()
                self._db.execute(_POSTINGS_INDEX)  # rebuilt here if a bulk load was interrupted
            except BaseException:
                self._db.close()
                raise
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{self.path}: cannot open the index ({exc})") from None
        self.fingerprinter = Fingerprinter(self._n, self._w, resources)
        self._aligner: Aligner | None = None
        self._count = self._db.execute("SELECT count(*) FROM docs").fetchone()[0]

    # --- setup -----------------------------------------------------------------

    def _columns(self, table: str) -> list[str]:
        return [r[1] for r in self._db.execute(f"PRAGMA table_info({table})")]

    def _check_kind(self, create: bool) -> None:
        """Refuse a database that is not an unspin index (or, where ``create`` is off, one with
        nothing in it), reading only."""
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            if not create:
                raise IndexCorruptError(
                    f"{self.path} is empty, not an index; build it first with: unspin index {self.path} PATH..."
                )
            return
        try:
            row = self._db.execute("SELECT value FROM info WHERE key = 'format'").fetchone()
        except sqlite3.DatabaseError:  # no info table, or one of another shape
            row = None
        if row is None and tables <= {"info", "docs", "postings"} and self._columns("info") == ["key", "value"] and (
            "docs" not in tables or "digest" in self._columns("docs")
        ):
            return  # the first index run stopped before it wrote what the index is: made again here
        if row is None or row[0] != FORMAT:
            raise IndexCorruptError(f"{self.path} is an SQLite file but not an unspin index; it was left as it was")

    def _read_info(self) -> dict[str, str]:
        """What the index's ``info`` table says it is (nothing where there is no table yet)."""
        if not self._columns("info"):
            return {}
        return dict(self._db.execute("SELECT key, value FROM info").fetchall())

    def _init_info(self) -> None:
        info = self._read_info()
        if not info:
            values = {
                "format": FORMAT,
                "version": str(FORMAT_VERSION),
                "ngram": str(self.config.trace_ngram),
                "window": str(self.config.trace_window),
                "scheme": Fingerprinter(self.config.trace_ngram, self.config.trace_window).signature,
            }
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR IGNORE INTO info VALUES (?, ?)", values.items())
            self._db.execute("COMMIT")
            info = self._read_info()
        self._check_info(info)

    def _check_info(self, info: dict[str, str]) -> None:
        """Refuse an index of another format version or fingerprint scheme (``info`` empty: an
        index not made yet, nothing to check); sets the n-gram size and window it was made with."""
        if not info:
            return
        if info.get("format") != FORMAT:
            raise IndexCorruptError(f"{self.path} is an SQLite file but not an unspin index")
        if info.get("version") != str(FORMAT_VERSION):
            raise IndexCorruptError(
                f"{self.path} has index format version {info.get('version')}, this unspin reads {FORMAT_VERSION}; rebuild it"
            )
        self._n, self._w = int(info["ngram"]), int(info["window"])
        expected = f"skeleton-v{SCHEME_VERSION}:n={self._n}:w={self._w}"
        if info.get("scheme") != expected:
            raise IndexCorruptError(
                f"{self.path} was built with fingerprints {info.get('scheme')}, this unspin makes {expected}; rebuild it"
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return int(self._count)

    def recount(self) -> int:
        """The number of documents in the index file now, counted again: :func:`len` counts what
        this process has added since it opened the index, not what another process added meanwhile."""
        self._count = self._db.execute("SELECT count(*) FROM docs").fetchone()[0]
        return int(self._count)

    def __contains__(self, doc_id: object) -> bool:
        return self._db.execute("SELECT 1 FROM docs WHERE id = ?", (str(doc_id),)).fetchone() is not None

    def ids(self) -> Iterator[str]:
        for (doc_id,) in self._db.execute("SELECT id FROM docs ORDER BY doc"):
            yield doc_id

    def get(self, doc_id: str) -> Record:
        """The stored document (text and metadata) with this id."""
        row = self._db.execute("SELECT id, text, meta FROM docs WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise KeyError(doc_id)
        return Record(row[0], zlib.decompress(row[1]).decode("utf-8"), json.loads(row[2]))

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    # --- adding and removing ---------------------------------------------------------

    def add(
        self,
        items: Iterable[Item | tuple[Any, ...]],
        *,
        batch_size: int = BATCH_SIZE,
        workers: int = 1,
        bulk: bool | None = None,
        progress: Callable[[AddSummary], None] | None = None,
    ) -> AddSummary:
        """Add documents: :class:`Record`, ``(id, text)`` or ``(id, text, meta)``.

        :class:`~unspin.inputs.Skip` items (from :func:`unspin.inputs.read_inputs`)
        are counted in the summary.  Ids already in the index with the same text, and texts
        equal to an indexed text, are counted as duplicates and not added; an id already in
        the index for another text is a conflict, not added either and counted apart (files
        of the same name in folders indexed one after the other).  Each batch is
        one transaction.  ``workers > 1`` computes fingerprints in that many
        processes.  ``bulk`` (default: when the index is empty) builds the
        fingerprint lookup index once at the end.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if workers < 1:
            raise ValueError("workers must be at least 1")
        summary = AddSummary()
        if bulk is None:
            bulk = self._count == 0
        if bulk:
            self._db.execute("DROP INDEX IF EXISTS postings_hash")
        try:
            batches = self._batches(records_from_texts(items), batch_size, summary)
            if workers > 1:
                ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
                with ctx.Pool(workers, initializer=_worker_init, initargs=(self._n, self._w)) as pool:
                    pending = ((batch, pool.apply_async(_worker_fingerprint, ([r.text for r in batch],))) for batch in batches)
                    window: list[tuple[list[Record], Any]] = []
                    for item in pending:
                        window.append(item)
                        if len(window) > workers + 1:
                            batch, res = window.pop(0)
                            self._write(batch, res.get(), summary, progress)
                    for batch, res in window:
                        self._write(batch, res.get(), summary, progress)
            else:
                for batch in batches:
                    fps = [f.hashes for f in self.fingerprinter.fingerprints_many([r.text for r in batch])]
                    self._write(batch, fps, summary, progress)
        finally:
            if bulk:
                self._db.execute(_POSTINGS_INDEX)
        return summary

    def _batches(self, records: Iterator[Item], batch_size: int, summary: AddSummary) -> Iterator[list[Record]]:
        batch: list[Record] = []
        for rec in records:
            if isinstance(rec, Skip):
                summary.skip(rec.where, rec.reason)
                continue
            if not isinstance(rec.id, str) or not rec.id:
                summary.skip(repr(rec.id), "empty id" if not rec.id else f"id is {type(rec.id).__name__}, not a string")
                continue
            problem = _text_problem(rec.text, self.config.max_input_bytes)
            if problem:
                summary.skip(rec.id, problem)
                continue
            batch.append(rec)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _write(
        self,
        batch: list[Record],
        fps: list[np.ndarray],
        summary: AddSummary,
        progress: Callable[[AddSummary], None] | None,
    ) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            digests = [_digest(rec.text) for rec in batch]
            seen_ids: dict[str, int] = dict(self._existing("id", "id, digest", [rec.id for rec in batch]))
            seen_digests: dict[int, str] = dict(self._existing("digest", "digest, id", digests))
            next_doc = (db.execute("SELECT max(doc) FROM docs").fetchone()[0] or 0) + 1
            doc_rows = []
            post_rows: list[tuple[int, int]] = []
            for rec, hashes, digest in zip(batch, fps, digests, strict=True):
                if rec.id in seen_ids:
                    if seen_ids[rec.id] == digest:
                        summary.duplicate(rec.id, "id already indexed")
                    else:  # another document under the same id: never dropped as if it were a copy
                        summary.conflict(rec.id)
                    continue
                twin = seen_digests.get(digest)
                if twin is not None:
                    summary.duplicate(rec.id, f"same text as {twin}")
                    continue
                seen_ids[rec.id] = digest
                seen_digests[digest] = rec.id
                doc = next_doc
                next_doc += 1
                doc_rows.append(
                    (
                        doc,
                        rec.id,
                        digest,
                        zlib.compress(rec.text.encode("utf-8", "surrogatepass"), 1),
                        json.dumps(rec.meta, ensure_ascii=False, default=str),
                        hashes.astype("<i8").tobytes(),
                    )
                )
                post_rows.extend(zip(hashes.tolist(), [doc] * hashes.shape[0], strict=True))
            db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)", doc_rows)
            db.executemany("INSERT INTO postings VALUES (?, ?)", post_rows)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        summary.added += len(doc_rows)
        self._count += len(doc_rows)
        if progress is not None:
            progress(summary)

    def _existing(self, column: str, select: str, values: list[Any]) -> list[Any]:
        """Rows of docs whose ``column`` is among ``values`` (in chunks of 500 parameters)."""
        out: list[Any] = []
        for k in range(0, len(values), 500):
            chunk = values[k : k + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT {select} FROM docs WHERE {column} IN ({marks})", chunk).fetchall()
            out.extend(r[0] if len(r) == 1 else tuple(r) for r in rows)
        return out

    def remove(self, ids: Iterable[str] | str) -> int:
        """Remove documents by id (in one transaction); returns how many were there.  A single id
        may be given as it is (it used to be read as its characters, each an id)."""
        if isinstance(ids, str):
            ids = [ids]
        db = self._db
        removed = 0
        db.execute("BEGIN IMMEDIATE")
        try:
            for doc_id in ids:
                row = db.execute("SELECT doc, fps FROM docs WHERE id = ?", (doc_id,)).fetchone()
                if row is None:
                    continue
                doc, blob = row
                hashes = np.frombuffer(blob, dtype="<i8").tolist()
                db.executemany("DELETE FROM postings WHERE hash = ? AND doc = ?", [(h, doc) for h in hashes])
                db.execute("DELETE FROM docs WHERE doc = ?", (doc,))
                removed += 1
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        self._count -= removed
        return removed

    # --- tracing ----------------------------------------------------------------------

    @property
    def aligner(self) -> Aligner:
        if self._aligner is None:
            lex: Lexicon | None = None
            if self.config.use_builtin_lexicon:
                lex = builtin_lexicon()
            if self.config.lexicon_path:
                extra = Lexicon.load(self.config.lexicon_path)
                lex = extra if lex is None else lex.merge(extra)
            self._aligner = Aligner(self._resources, lex, self.config.trace_min_passage_words)
        return self._aligner

    def candidates(self, text: str, limit: int = 20) -> list[tuple[int, float, int]]:
        """``(doc, weight, shared)`` of the documents sharing the most fingerprints with ``text``."""
        hashes = self.fingerprinter.fingerprints(text).hashes.tolist()
        cap = self.config.trace_max_df
        n_docs = max(1, self._count)
        weight: dict[int, float] = {}
        shared: Counter[int] = Counter()
        cur = self._db.cursor()
        for h in hashes:
            docs = [d for (d,) in cur.execute("SELECT doc FROM postings WHERE hash = ? LIMIT ?", (h, cap + 1))]
            if not docs or len(docs) > cap:
                continue
            idf = math.log(1.0 + n_docs / len(docs))
            for d in docs:
                weight[d] = weight.get(d, 0.0) + idf
                shared[d] += 1
        ranked = sorted(weight.items(), key=lambda kv: -kv[1])[:limit]
        return [(d, w, shared[d]) for d, w in ranked]

    def trace(self, text: str, top: int = 5, *, all: bool = False) -> list[Match]:
        """The indexed sources of ``text``, best first.

        Only matches scoring at least :attr:`Config.trace_threshold` are
        returned unless ``all`` is true.
        """
        if top < 1:
            raise ValueError(f"top must be at least 1, got {top}")
        check_text(text, self.config.max_input_bytes)
        cands = self.candidates(text, limit=top + self.config.trace_candidates)
        if not cands:
            return []
        best = cands[0][1]
        # candidates far below the best are chance overlaps; verify the rest
        cands = [c for c in cands if c[1] >= 0.1 * best]
        qt = Tokens.of(text)
        aligner = self.aligner
        matches: list[Match] = []
        for doc, _weight, n_shared in cands:
            row = self._db.execute("SELECT id, text, meta FROM docs WHERE doc = ?", (doc,)).fetchone()
            if row is None:  # removed meanwhile
                continue
            source = zlib.decompress(row[1]).decode("utf-8")
            al = aligner.align(text, source, qt)
            if not all and al.score < self.config.trace_threshold:
                continue
            matches.append(
                Match(row[0], al.score, al.coverage, al.passages, al.substitutions, n_shared, json.loads(row[2]))
            )
        matches.sort(key=lambda m: (-m.score, -m.coverage, m.id))
        return matches[:top]


def open_index(path: str | os.PathLike[str], config: Config | None = None) -> Index:
    """Open an existing index (a clear error when it does not exist)."""
    return Index(path, config, create=False)


__all__ = ["AddSummary", "Index", "Match", "UnspinError", "open_index"]
