"""Trace at scale: index a synthetic corpus of N documents, then query it.

The corpus is recombined from real BBC sentences (../shared/data/bbc), so word
and function-word statistics stay those of news text: each document is about
300 words of sentences, and each sentence is spliced from the first half of one
real sentence and the second half of another, so that a million documents are
not a million shuffles of the same 40,000 sentences.  Documents are generated
on the fly from (seed, number), never held in memory all at once.

Measured: index build rate (documents per second, wall clock, this machine),
peak memory (RSS of this process and its workers), index size on disk, query
latency p50/p99 over spun queries, recall@1 at 30 % swaps.  ``--datasketch``
measures MinHashLSH (threshold 0.5, word 3-shingles, 128 permutations) the
same way, in memory.

    nice -n 10 python bench/trace_scale.py --docs 1000000 --workers 2 --out bench/out/scale.db
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trace_data import load_bbc  # noqa: E402
from unspin.index import Index  # noqa: E402

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def sentence_halves(seed: int = 1) -> tuple[list[str], list[str]]:
    corpus = load_bbc()
    firsts: list[str] = []
    seconds: list[str] = []
    for i in corpus.ids:
        body = corpus.texts[i].split("\n", 1)[-1]
        for sent in _SENT.split(" ".join(body.split())):
            words = sent.split()
            if len(words) < 8:
                continue
            cut = len(words) // 2
            firsts.append(" ".join(words[:cut]))
            seconds.append(" ".join(words[cut:]))
    return firsts, seconds


class SyntheticCorpus:
    def __init__(self, seed: int = 1, words: int = 300) -> None:
        self.firsts, self.seconds = sentence_halves(seed)
        self.seed = seed
        self.words = words

    def doc(self, k: int) -> str:
        rng = random.Random(self.seed * 1_000_003 + k)
        parts: list[str] = []
        n = 0
        while n < self.words:
            sent = f"{rng.choice(self.firsts)} {rng.choice(self.seconds)}"
            parts.append(sent)
            n += sent.count(" ") + 1
        # paragraphs of three sentences
        return "\n\n".join(" ".join(parts[i : i + 3]) for i in range(0, len(parts), 3))

    def records(self, n: int) -> Iterator[tuple[str, str]]:
        for k in range(n):
            yield f"doc{k:07d}", self.doc(k)


_PEAK_TOTAL = [0.0]


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample_total_rss() -> None:
    """Sum the current RSS of this process and its children (workers); keep the maximum."""
    pid = os.getpid()
    try:
        kids = [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        kids = []
    total = (_rss_kb(pid) + sum(_rss_kb(k) for k in kids)) / 1024.0
    _PEAK_TOTAL[0] = max(_PEAK_TOTAL[0], total)


def peak_rss_mb() -> float:
    """Peak memory: the largest sampled sum over all processes, or own + largest child, whichever is larger."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(_PEAK_TOTAL[0], (own + kids) / 1024.0)  # ru_maxrss is KiB on Linux


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished workers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def run_unspin(corpus: SyntheticCorpus, n: int, out: Path, workers: int, queries: int, build: bool = True) -> None:
    if build:
        build_index(corpus, n, out, workers)
    query_index(corpus, n, out, queries)


def build_index(corpus: SyntheticCorpus, n: int, out: Path, workers: int) -> None:
    for suffix in ("", "-wal", "-shm"):
        p = Path(f"{out}{suffix}")
        if p.exists():
            p.unlink()
    t0 = time.perf_counter()
    cpu0 = cpu_seconds()
    last = [t0]

    def progress(s: object) -> None:
        sample_total_rss()
        now = time.perf_counter()
        if now - last[0] > 30:
            added = getattr(s, "added", 0)
            print(f"  {added:,} docs, {added / (now - t0):,.0f} docs/s, peak {peak_rss_mb():,.0f} MB", flush=True)
            last[0] = now

    with Index(out) as index:
        summary = index.add(corpus.records(n), workers=workers, batch_size=5000, progress=progress)
        t_add = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0
    size = sum(Path(f"{out}{s}").stat().st_size for s in ("", "-wal") if Path(f"{out}{s}").exists())
    print(f"unspin: indexed {summary.added:,} docs in {t_add:,.0f} s = {summary.added / t_add:,.0f} docs/s "
          f"(workers={workers}); {cpu / max(1, summary.added) * 1000:.2f} ms CPU per doc (all processes); "
          f"peak RSS {peak_rss_mb():,.0f} MB; index {size / 1e9:.2f} GB on disk; load average {os.getloadavg()[0]:.1f}", flush=True)


def query_index(corpus: SyntheticCorpus, n: int, out: Path, queries: int) -> None:
    from unspin.synth import spin

    rng = random.Random(99)
    picks = [rng.randrange(n) for _ in range(queries)]
    spun = [spin(corpus.doc(k), 0.3, style="word", seed=k).text for k in picks]
    lat: list[float] = []
    hits = 0
    with Index(out) as index:
        index.trace(spun[0])  # load thesaurus, lexicon
        for k, text in zip(picks, spun, strict=True):
            t = time.perf_counter()
            matches = index.trace(text, top=5)
            lat.append((time.perf_counter() - t) * 1000)
            hits += bool(matches) and matches[0].id == f"doc{k:07d}"
    print(f"unspin: {queries} queries at 30% swaps: recall@1 {hits / queries:.3f}; latency p50 {percentile(lat, 50):.1f} ms, "
          f"p99 {percentile(lat, 99):.1f} ms; peak RSS {peak_rss_mb():,.0f} MB", flush=True)


def run_datasketch(corpus: SyntheticCorpus, n: int, queries: int) -> None:
    from datasketch import MinHash, MinHashLSH

    from unspin.synth import spin

    def mh(text: str) -> MinHash:
        w = text.lower().split()
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(w[i : i + 3]).encode() for i in range(len(w) - 2)])
        return m

    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for doc_id, text in corpus.records(n):
        lsh.insert(doc_id, mh(text))
    t_add = time.perf_counter() - t0
    print(f"datasketch MinHashLSH: indexed {n:,} docs in {t_add:,.0f} s = {n / t_add:,.0f} docs/s; peak RSS {peak_rss_mb():,.0f} MB (in memory)", flush=True)
    rng = random.Random(99)
    picks = [rng.randrange(n) for _ in range(queries)]
    lat: list[float] = []
    hits = 0
    for k in picks:
        text = spin(corpus.doc(k), 0.3, style="word", seed=k).text
        t = time.perf_counter()
        found = lsh.query(mh(text))
        lat.append((time.perf_counter() - t) * 1000)
        hits += f"doc{k:07d}" in found
    print(f"datasketch MinHashLSH: {queries} queries at 30% swaps: recall@1 {hits / queries:.3f}; latency p50 {percentile(lat, 50):.1f} ms, "
          f"p99 {percentile(lat, 99):.1f} ms", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--out", type=Path, default=Path("bench/out/scale.db"))
    ap.add_argument("--query-only", action="store_true", help="query an index built before with the same --docs")
    ap.add_argument("--datasketch", type=int, default=0, metavar="N", help="also run MinHashLSH on N documents")
    args = ap.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    corpus = SyntheticCorpus()
    print(f"synthetic corpus: {len(corpus.firsts):,} sentence halves from BBC; {args.docs:,} docs of ~{corpus.words} words; "
          f"{os.cpu_count()} CPUs", flush=True)
    if args.docs:
        run_unspin(corpus, args.docs, args.out, args.workers, args.queries, build=not args.query_only)
    if args.datasketch:
        run_datasketch(corpus, args.datasketch, args.queries)


if __name__ == "__main__":
    main()
