"""Trace benchmark on BBC News: unspin against MinHash LSH, LSH Forest and SimHash.

One run: index the deduplicated BBC corpus (less a held-out 15 % of twin groups),
then query with

* spun copies of indexed articles at 10, 20, 30 and 40 % of words changed
  (``unspin.synth.spin``, style ``word``),
* partial copies: a spun (30 %) excerpt of about 30 % of an indexed article,
  inside an unrelated held-out article,
* unrelated held-out articles, as written and spun at 30 %,
* the spun copies at 30 % with their paragraphs (after the first) shuffled ("reordered").

A hit is the source or a near-duplicate twin of it.  Columns:

``recall@1``  the method's first reported match is a hit (its own decision rule:
              unspin's score threshold; MinHashLSH's Jaccard threshold 0.5;
              LSH Forest's top-1; SimHash Hamming distance <= 3 of 64 bits).
``MRR``       mean reciprocal rank of the first hit among the top 10 candidates the
              method returns, ranked without unspin's threshold (unspin: aligned
              candidates by score; LSH: its candidates by estimated Jaccard;
              Forest: its top 10; SimHash: the 10 nearest).
``false``     share of unrelated queries with any reported match (decision rule;
              for the Forest, an estimated Jaccard >= 0.5 of the top-1).

    nice -n 10 python bench/trace.py            # everything (about 10 minutes on 2 cores)
    nice -n 10 python bench/trace.py --limit 300 # a quicker subsample
    nice -n 10 python bench/trace.py --sweep     # the fingerprint n / window sweep
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trace_data import Query, load_bbc, make_queries, split  # noqa: E402

KINDS = ("spun@0.1", "spun@0.2", "spun@0.3", "spun@0.4", "partial", "reordered")
TOPN = 10


class Result:
    """Per query: (rank of the first hit among ranked candidates or None, decision says match, decision top is a hit)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[int | None, bool, bool]]] = defaultdict(list)
        self.seconds = 0.0

    def add(self, kind: str, rank: int | None, decided: bool, decided_hit: bool) -> None:
        self.rows[kind].append((rank, decided, decided_hit))


def rank_of(ids: list[str], targets: frozenset[str]) -> int | None:
    for k, i in enumerate(ids[:TOPN], 1):
        if i in targets:
            return k
    return None


def words(text: str) -> list[str]:
    return text.lower().split()


# --- methods --------------------------------------------------------------------


def run_unspin(
    corpus_texts: dict[str, str], indexed: list[str], queries: list[Query], tmp: Path,
    coverage: dict[str, list[float]] | None = None,
) -> tuple[Result, dict[str, list[float]], dict[str, float]]:
    from unspin.index import Index

    res = Result()
    scores: dict[str, list[float]] = defaultdict(list)
    info: dict[str, float] = {}
    with Index(tmp / "bbc.db") as index:
        t = time.perf_counter()
        index.add([(i, corpus_texts[i]) for i in indexed])
        info["index_s"] = time.perf_counter() - t
        threshold = index.config.trace_threshold
        index.trace(queries[0].text)
        lat = []
        t0 = time.perf_counter()
        for q in queries:
            t = time.perf_counter()
            matches = index.trace(q.text, top=TOPN, all=True)
            lat.append(time.perf_counter() - t)
            ids = [m.id for m in matches]
            decided = bool(matches) and matches[0].score >= threshold
            hit = decided and matches[0].id in q.targets
            res.add(q.kind, rank_of(ids, q.targets) if q.targets else None, decided, hit)
            if q.targets:
                best_true = max((m.score for m in matches if m.id in q.targets), default=0.0)
                scores[q.kind].append(best_true)
                if coverage is not None:  # the share of the copy the true source's passages cover
                    coverage[q.kind].append(max((m.coverage for m in matches if m.id in q.targets), default=0.0))
            else:
                scores[q.kind].append(matches[0].score if matches else 0.0)
        res.seconds = time.perf_counter() - t0
        lat.sort()
        info["p50_ms"] = lat[len(lat) // 2] * 1000
        info["p99_ms"] = lat[int(len(lat) * 0.99)] * 1000
        info["threshold"] = threshold
    return res, scores, info


def _shingles(text: str, k: int) -> list[bytes]:
    w = words(text)
    return [" ".join(w[i : i + k]).encode() for i in range(max(1, len(w) - k + 1))]


def run_minhash(corpus_texts: dict[str, str], indexed: list[str], queries: list[Query], k: int) -> Result:
    from datasketch import MinHash, MinHashLSH

    def mh(text: str) -> MinHash:
        m = MinHash(num_perm=128, seed=1)
        m.update_batch(_shingles(text, k))
        return m

    res = Result()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    sigs = {}
    for i in indexed:
        sigs[i] = mh(corpus_texts[i])
        lsh.insert(i, sigs[i])
    t0 = time.perf_counter()
    for q in queries:
        m = mh(q.text)
        found = sorted(lsh.query(m), key=lambda i: -m.jaccard(sigs[i]))
        res.add(q.kind, rank_of(found, q.targets) if q.targets else None, bool(found), bool(found) and found[0] in q.targets)
    res.seconds = time.perf_counter() - t0
    return res


def run_forest(corpus_texts: dict[str, str], indexed: list[str], queries: list[Query], k: int = 3) -> Result:
    from datasketch import MinHash, MinHashLSHForest

    def mh(text: str) -> MinHash:
        m = MinHash(num_perm=128, seed=1)
        m.update_batch(_shingles(text, k))
        return m

    res = Result()
    forest = MinHashLSHForest(num_perm=128)
    sigs = {}
    for i in indexed:
        sigs[i] = mh(corpus_texts[i])
        forest.add(i, sigs[i])
    forest.index()
    t0 = time.perf_counter()
    for q in queries:
        m = mh(q.text)
        ranked = sorted(forest.query(m, TOPN), key=lambda i: -m.jaccard(sigs[i]))
        top = ranked[0] if ranked else None
        decided = top is not None and (bool(q.targets) or m.jaccard(sigs[top]) >= 0.5)
        res.add(q.kind, rank_of(ranked, q.targets) if q.targets else None, decided, decided and top in q.targets)
    res.seconds = time.perf_counter() - t0
    return res


def run_simhash(corpus_texts: dict[str, str], indexed: list[str], queries: list[Query]) -> Result:
    from simhash import Simhash

    def sh(text: str) -> int:
        return int(Simhash(words(text)).value)

    res = Result()
    values = [(i, sh(corpus_texts[i])) for i in indexed]
    t0 = time.perf_counter()
    for q in queries:
        v = sh(q.text)
        dist = sorted((bin(v ^ x).count("1"), i) for i, x in values)[:TOPN]
        ranked = [i for _, i in dist]
        decided = dist[0][0] <= 3
        res.add(q.kind, rank_of(ranked, q.targets) if q.targets else None, decided, decided and ranked[0] in q.targets)
    res.seconds = time.perf_counter() - t0
    return res


# --- report ---------------------------------------------------------------------


def table(results: dict[str, Result], queries: list[Query]) -> None:
    counts = Counter(q.kind for q in queries)
    head = f"{'method':34s}" + "".join(f"{k + ' R@1/MRR':>20s}" for k in KINDS) + f"{'false':>8s}{'false(spun)':>13s}{'s/query':>9s}"
    print(head)
    print("-" * len(head))
    for name, r in results.items():
        line = f"{name:34s}"
        for k in KINDS:
            rows = r.rows.get(k, [])
            if not rows:
                line += f"{'-':>20s}"
                continue
            rec = sum(h for _, _, h in rows) / len(rows)
            mrr = sum(1 / rk for rk, _, _ in rows if rk) / len(rows)
            line += f"{rec:>13.3f}/{mrr:.3f}"
        for k in ("unrelated", "unrelated-spun"):
            rows = r.rows.get(k, [])
            fm = sum(d for _, d, _ in rows) / len(rows) if rows else float("nan")
            line += f"{fm:>8.3f}" if k == "unrelated" else f"{fm:>13.3f}"
        line += f"{r.seconds / max(1, len(queries)) * 1000:>7.1f}ms"
        print(line)
    print("queries: " + ", ".join(f"{k} {n}" for k, n in counts.items()))


def calibration(scores: dict[str, list[float]]) -> None:
    print("\nunspin score threshold: recall@1 needs the true source at or above it; false matches are unrelated queries at or above it")
    kinds = [k for k in (*KINDS, "unrelated", "unrelated-spun") if k in scores]
    print(f"{'threshold':>10s}" + "".join(f"{k:>16s}" for k in kinds))
    for th in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        print(f"{th:>10.2f}" + "".join(f"{sum(s >= th for s in scores[k]) / len(scores[k]):>16.3f}" for k in kinds))
    for k in ("unrelated", "unrelated-spun"):
        if k in scores:
            s = sorted(scores[k])
            print(f"{k}: max score {s[-1]:.3f}, 99th percentile {s[int(0.99 * (len(s) - 1))]:.3f}")
    for k in ("spun@0.3", "partial"):
        if k in scores:
            s = sorted(scores[k])
            print(f"{k}: true-source score 1st percentile {s[int(0.01 * (len(s) - 1))]:.3f}, min {s[0]:.3f}")


def sweep(corpus_texts: dict[str, str], indexed: list[str], queries: list[Query]) -> None:
    """Fingerprint parameters: candidate recall@1/@10 by shared-fingerprint weight (before alignment).

    Besides synthetic spins, the six real spun web pages of shared/data/wild_dev/pairs
    are traced to their originals (added to the index): real spinners also touch
    function words, which long skeleton n-grams do not survive.
    """
    from trace_data import DATA
    from unspin.fingerprint import Fingerprinter

    pairs = sorted((DATA / "wild_dev" / "pairs").glob("pair*"))
    wild = [(f"wild:{p.name}", (p / "original.txt").read_text(encoding="utf-8"), (p / "spun.txt").read_text(encoding="utf-8")) for p in pairs]
    indexed = indexed + [i for i, _, _ in wild]
    corpus_texts = corpus_texts | {i: o for i, o, _ in wild}
    queries = queries + [Query("wild", spun, i, frozenset([i])) for i, _, spun in wild]
    print(f"{'n':>3s}{'w':>4s}{'fp/doc':>8s}" + "".join(f"{k + ' R@1/R@10':>22s}" for k in ("spun@0.4", "partial", "wild"))
          + f"{'unrelated best weight p95/max':>32s}")
    base = Fingerprinter()
    for n, w in [(4, 8), (4, 12), (5, 8), (5, 10), (6, 6), (6, 8), (8, 6), (8, 8), (8, 12), (10, 8), (12, 8)]:
        fp = Fingerprinter(n, w)
        fp._codes = base._codes  # share the word classification cache
        fps = fp.fingerprints_many([corpus_texts[i] for i in indexed])
        inv: dict[int, list[str]] = defaultdict(list)
        for d, f in zip(indexed, fps, strict=True):
            for h in f.hashes.tolist():
                inv[h].append(d)
        stats: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
        unrel: list[float] = []
        for q, f in zip(queries, fp.fingerprints_many([q.text for q in queries]), strict=True):
            sc: Counter[str] = Counter()
            for h in f.hashes.tolist():
                p = inv.get(h)
                if p and len(p) <= 200:
                    for d in p:
                        sc[d] += math.log(1 + len(indexed) / len(p))  # type: ignore[assignment]
            top = [d for d, _ in sc.most_common(10)]
            if q.targets:
                stats[q.kind].append((bool(top) and top[0] in q.targets, any(d in q.targets for d in top)))
            elif q.kind == "unrelated":
                unrel.append(sc.most_common(1)[0][1] if sc else 0.0)
        line = f"{n:>3d}{w:>4d}{sum(len(f) for f in fps) / len(fps):>8.0f}"
        for k in ("spun@0.4", "partial", "wild"):
            rows = stats[k]
            line += f"{sum(a for a, _ in rows) / len(rows):>15.3f}/{sum(b for _, b in rows) / len(rows):.3f}"
        unrel.sort()
        line += f"{unrel[int(0.95 * (len(unrel) - 1))]:>24.1f}/{unrel[-1]:.1f}"
        print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="sources sampled per query kind (default: all indexed)")
    ap.add_argument("--sweep", action="store_true", help="only the fingerprint parameter sweep")
    ap.add_argument("--skip-baselines", action="store_true")
    args = ap.parse_args()
    corpus = load_bbc()
    indexed, held = split(corpus)
    print(f"BBC: {len(corpus.ids) + corpus.exact_dupes} files, {corpus.exact_dupes} exact duplicates dropped, "
          f"{sum(1 for i in corpus.ids if len(corpus.twins[i]) > 1)} in near-duplicate groups; "
          f"{len(indexed)} indexed, {len(held)} held out", flush=True)
    t = time.perf_counter()
    if args.sweep:
        queries = make_queries(corpus, indexed, held, rates=(0.4,), n_spun=args.limit or 300, n_partial=args.limit or 600)
        sweep(corpus.texts, indexed, queries)
        return
    queries = make_queries(corpus, indexed, held, n_spun=args.limit, n_partial=args.limit, reordered=True)
    print(f"{len(queries)} queries built in {time.perf_counter() - t:.0f} s", flush=True)
    results: dict[str, Result] = {}
    coverage: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        res, scores, info = run_unspin(corpus.texts, indexed, queries, Path(tmp), coverage)
    results[f"unspin (threshold {info['threshold']:.2f})"] = res
    print(f"unspin: index built in {info['index_s']:.1f} s; query latency p50 {info['p50_ms']:.1f} ms, p99 {info['p99_ms']:.1f} ms", flush=True)
    if not args.skip_baselines:
        runs: list[tuple[str, Callable[[], Result]]] = [
            ("MinHashLSH t=0.5, 3-shingles", lambda: run_minhash(corpus.texts, indexed, queries, 3)),
            ("MinHashLSH t=0.5, 5-shingles", lambda: run_minhash(corpus.texts, indexed, queries, 5)),
            ("MinHashLSHForest top-1, 3-sh.", lambda: run_forest(corpus.texts, indexed, queries, 3)),
            ("MinHashLSHForest top-1, 5-sh.", lambda: run_forest(corpus.texts, indexed, queries, 5)),
            ("SimHash 64-bit, Hamming <= 3", lambda: run_simhash(corpus.texts, indexed, queries)),
        ]
        for name, fn in runs:
            results[name] = fn()
            print(f"  {name} done", flush=True)
    print()
    table(results, queries)
    calibration(scores)
    print("\nunspin: share of the copy that the true source's passages cover (mean / 10th percentile), by kind")
    for k in KINDS:
        if coverage.get(k):
            c = sorted(coverage[k])
            print(f"  {k:12s} {sum(c) / len(c):.3f} / {c[int(0.1 * (len(c) - 1))]:.3f}")


if __name__ == "__main__":
    main()
