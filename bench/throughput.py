"""Detection throughput of one process as its caches warm up, as in a long crawl.

    python bench/throughput.py [--docs 20] [--warmup 200] [--moby] [--store fresh|filled|keep|off]

``bench/detect.py`` measures speed on the first documents a fresh process
sees, where per-word candidates are mostly computed anew.  A crawl checks
many documents per process, and the candidate, neighbour and language-model
caches fill with the common words.  This script checks ``--docs`` 5 KB
articles (BBC test text) right after loading, then ``--warmup`` more, then
``--docs`` further ones, and prints CPU time per document for both batches.

The candidate store (``unspin.candstore``) keeps each word's candidates on disk
for later processes.  ``--store fresh`` (the default) gives this run an empty
one in a temporary cache folder (with copies of the parsed resources), as on a
machine's first run; ``--store filled`` does the same and first runs
``unspin cache --fill --jobs 2`` into it (untimed), as on a machine prepared for
a crawl; ``--store keep`` uses the cache folder as it is (``$UNSPIN_CACHE``; run
twice to time a store an earlier run filled); ``--store off`` runs without one.
Set ``UNSPIN_PURE_PYTHON=1`` to time the engine without its C extension.  The last
column is the share of the CPU time spent in the garbage collector.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit as ek  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20, help="documents timed per batch (default 20)")
    ap.add_argument("--warmup", type=int, default=200, help="documents checked between the batches (default 200)")
    ap.add_argument("--moby", action="store_true", help="with the Moby thesaurus candidates (Config.use_moby)")
    ap.add_argument("--store", choices=("fresh", "filled", "keep", "off"), default="fresh",
                    help="candidate store: empty in a temporary folder (default), filled there by "
                         "`unspin cache --fill` first, the cache folder as it is, or none")
    args = ap.parse_args(argv)
    if ek.data_missing():
        return 2
    with tempfile.TemporaryDirectory(prefix="unspin-store-") as tmp:
        if args.store in ("fresh", "filled"):
            os.environ["UNSPIN_CACHE"] = str(ek.empty_store_cache(tmp))
        if args.store == "filled":
            t0 = time.perf_counter()
            done = subprocess.run(ek.fill_store_command(args.moby), capture_output=True, text=True)
            if done.returncode != 0:
                print(f"unspin cache --fill failed: {done.stderr.strip()[-500:]}", file=sys.stderr)
                return 1
            print(f"store filled by `unspin cache --fill --jobs 2` in {time.perf_counter() - t0:.0f} s (untimed)")
        return run(args)


def run(args: argparse.Namespace) -> int:
    import unspin
    from unspin.config import Config

    config = Config(use_moby=args.moby, cache_candidates=args.store != "off")

    texts = ek.five_kb_articles(ek.bbc_split().test, 1 + 2 * args.docs + args.warmup)
    if len(texts) < 1 + 2 * args.docs + args.warmup:
        print(f"only {len(texts)} articles of 5 KB available; ask for fewer", file=sys.stderr)
        return 2
    unspin.check(texts[0], config)  # loads the resources; not timed

    # CPU time inside the garbage collector (its callbacks bracket every collection)
    in_gc = {"total": 0.0, "since": 0.0}

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            in_gc["since"] = time.process_time()
        else:
            in_gc["total"] += time.process_time() - in_gc["since"]

    gc.callbacks.append(on_gc)

    def timed(batch: list[str]) -> tuple[float, float]:
        """CPU seconds per document, and the share of them spent collecting garbage."""
        cpu, gc0 = time.process_time(), in_gc["total"]
        for t in batch:
            unspin.check(t, config)
        spent = time.process_time() - cpu
        return spent / len(batch), (in_gc["total"] - gc0) / spent

    first, first_gc = timed(texts[1 : 1 + args.docs])
    timed(texts[1 + args.docs : 1 + args.docs + args.warmup])
    later, later_gc = timed(texts[1 + args.docs + args.warmup :])
    print(f"{'batch':<40} {'docs/s/core':>11} {'ms/doc':>7} {'in gc':>6}")
    print(f"{f'first {args.docs} after loading':<40} {1 / first:>11.2f} {1000 * first:>7.0f} {first_gc:>6.0%}")
    print(f"{f'{args.docs} after {args.docs + args.warmup} documents':<40} {1 / later:>11.2f} {1000 * later:>7.0f}"
          f" {later_gc:>6.0%}")
    from unspin.resources import default_resources

    c_ext = "on" if default_resources().lm.fast else "off (UNSPIN_PURE_PYTHON or not built)"
    print("CPU seconds of one process; 5 KB articles made of BBC test text" + ("; --moby" if args.moby else "")
          + f"; candidate store: {args.store}; C extension: {c_ext}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
