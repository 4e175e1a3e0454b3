"""Evaluation sets for the trace benchmarks and the CI gate, built from ../shared/data/bbc.

Nothing here is committed data: every set is rebuilt from the shared BBC files
with fixed seeds.  The BBC corpus holds exact and near duplicates; exact ones
are dropped (the first path in sorted order is kept) and near-duplicate
"twins" (word 5-shingle Jaccard >= 0.5) are grouped so that finding a twin of
the source counts as a hit.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BBC = DATA / "bbc"

_WORD = re.compile(r"\w+")


@dataclass
class Corpus:
    ids: list[str]
    texts: dict[str, str]
    twins: dict[str, frozenset[str]]  # id -> ids of its near-duplicate group (itself included)
    exact_dupes: int = 0


@dataclass
class Query:
    kind: str  # "spun@0.3", "partial", "unrelated", ...
    text: str
    source: str | None  # the id it was made from (None for unrelated)
    targets: frozenset[str] = field(default_factory=frozenset)  # ids that count as hits


def load_bbc(root: Path = BBC) -> Corpus:
    if not root.is_dir():
        raise SystemExit(f"BBC data not found at {root}; the shared evaluation data is needed")
    seen: dict[str, str] = {}
    texts: dict[str, str] = {}
    dupes = 0
    for path in sorted(root.glob("*/*.txt")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        key = hashlib.sha1(" ".join(text.split()).encode()).hexdigest()
        if key in seen:
            dupes += 1
            continue
        rel = path.relative_to(root).as_posix()
        seen[key] = rel
        texts[rel] = text
    ids = list(texts)
    return Corpus(ids, texts, _twin_groups(ids, texts), dupes)


def _shingles(text: str, k: int = 5) -> set[int]:
    w = [x.lower() for x in _WORD.findall(text)]
    return {hash(tuple(w[i : i + k])) for i in range(len(w) - k + 1)}


def _twin_groups(ids: list[str], texts: dict[str, str]) -> dict[str, frozenset[str]]:
    sh = {i: _shingles(texts[i]) for i in ids}
    inv: dict[int, list[str]] = defaultdict(list)
    for i in ids:
        for s in sh[i]:
            inv[s].append(i)
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i in ids:
        counts: dict[str, int] = defaultdict(int)
        for s in sh[i]:
            for j in inv[s]:
                if j != i:
                    counts[j] += 1
        for j, c in counts.items():
            if c / max(1, len(sh[i] | sh[j])) >= 0.5:
                parent[find(i)] = find(j)
    groups: dict[str, set[str]] = defaultdict(set)
    for i in ids:
        groups[find(i)].add(i)
    return {i: frozenset(groups[find(i)]) for i in ids}


def split(corpus: Corpus, holdout: float = 0.15, seed: int = 7) -> tuple[list[str], list[str]]:
    """Indexed ids and held-out ids (whole twin groups held out: they are unrelated text)."""
    rng = random.Random(seed)
    groups = sorted({min(g) for g in corpus.twins.values()})
    rng.shuffle(groups)
    held_groups = set(groups[: int(len(groups) * holdout)])
    held = [i for i in corpus.ids if min(corpus.twins[i]) in held_groups]
    indexed = [i for i in corpus.ids if min(corpus.twins[i]) not in held_groups]
    return indexed, held


def unrelated_pool(corpus: Corpus, indexed: list[str], held: list[str], k: int = 8) -> list[str]:
    """Held-out ids sharing no run of ``k`` words with any indexed text.

    BBC follow-up stories reuse whole paragraphs, so a held-out article is
    often a genuine partial copy of an indexed one; those are excluded from
    the unrelated queries (and from the host texts of partial copies).
    """
    grams: set[int] = set()
    for i in indexed:
        grams |= _shingles(corpus.texts[i], k)
    return [h for h in held if not (_shingles(corpus.texts[h], k) & grams)]


def paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


def make_queries(
    corpus: Corpus,
    indexed: list[str],
    held: list[str],
    rates: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4),
    n_spun: int | None = None,
    n_partial: int | None = None,
    n_unrelated: int | None = None,
    seed: int = 11,
    reordered: bool = False,
) -> list[Query]:
    """Spun copies at each rate, partial copies (a spun 30 % excerpt inside unrelated text), unrelated texts;
    with ``reordered``, also the spun copies at 30 % with their paragraphs after the first shuffled
    ("reordered", last, drawn from their own seeded generator: the other queries are as without it)."""
    from unspin.synth import spin

    rng = random.Random(seed)
    held = unrelated_pool(corpus, indexed, held)
    queries: list[Query] = []
    sources = indexed if n_spun is None else rng.sample(indexed, min(n_spun, len(indexed)))
    for rate in rates:
        for k, sid in enumerate(sources):
            spun = spin(corpus.texts[sid], rate, style="word", seed=seed * 1000 + k).text
            queries.append(Query(f"spun@{rate:.1f}", spun, sid, corpus.twins[sid]))
    part_sources = indexed if n_partial is None else rng.sample(indexed, min(n_partial, len(indexed)))
    for k, sid in enumerate(part_sources):
        paras = paragraphs(corpus.texts[sid])
        words = [len(p.split()) for p in paras]
        total = sum(words)
        start = rng.randrange(len(paras))
        # grow a run of paragraphs to about 30 % of the source's words
        a, b, got = start, start, 0
        while got < 0.3 * total and (a > 0 or b < len(paras)):
            if b < len(paras):
                got += words[b]
                b += 1
            else:
                a -= 1
                got += words[a]
        excerpt = "\n\n".join(paras[a:b])
        spun = spin(excerpt, 0.3, style="word", seed=seed * 7000 + k).text
        host = paragraphs(corpus.texts[rng.choice(held)])
        cut = rng.randrange(1, max(2, len(host)))
        text = "\n\n".join(host[:cut] + [spun] + host[cut:])
        queries.append(Query("partial", text, sid, corpus.twins[sid]))
    unrelated = held if n_unrelated is None else rng.sample(held, min(n_unrelated, len(held)))
    for uid in unrelated:
        queries.append(Query("unrelated", corpus.texts[uid], None))
    for k, uid in enumerate(unrelated):
        spun = spin(corpus.texts[uid], 0.3, style="word", seed=seed * 9000 + k).text
        queries.append(Query("unrelated-spun", spun, None))
    if reordered:
        shuffler = random.Random(seed * 13)
        for q in [q for q in queries if q.kind == "spun@0.3"]:
            paras = paragraphs(q.text)
            body = paras[1:]
            shuffler.shuffle(body)
            queries.append(Query("reordered", "\n\n".join(paras[:1] + body), q.source, q.targets))
    return queries
