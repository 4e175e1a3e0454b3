"""The scan as a Spark job against ``unspin scan --jobs N`` on the same documents.

    python bench/spark_scan.py [--docs 200] [--cores 2]

Checks ``--docs`` 5 KB articles (BBC test text) twice: with :func:`unspin.scan.scan`
in ``--cores`` worker processes, and with :func:`unspin.spark.scan_dataframe` on a local
Spark with as many cores.  Prints the wall time of each (Spark's includes starting its
Python workers, which load the resources, but not starting Spark itself) and whether every
document got the same verdict, probability and findings both ways.  Needs pyspark and
Java (the ``spark`` extra); the candidate store is used as it is (run ``unspin cache --fill``
first for a crawl's rates).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit as ek  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200, help="5 KB articles to check (default 200)")
    ap.add_argument("--cores", type=int, default=2, help="worker processes / Spark cores (default 2)")
    args = ap.parse_args(argv)
    if ek.data_missing():
        return 2
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        print("pyspark is not installed: pip install -e '.[spark]'", file=sys.stderr)
        return 2
    from unspin.scan import scan
    from unspin.spark import scan_dataframe

    texts = ek.five_kb_articles(ek.bbc_split().test, args.docs)
    docs = [(f"bbc-{k:04d}", t) for k, t in enumerate(texts)]
    with tempfile.TemporaryDirectory(prefix="unspin-spark-") as tmp:
        feed = Path(tmp) / "docs.jsonl"
        feed.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in docs), encoding="utf-8")
        t0 = time.perf_counter()
        scan([feed], Path(tmp) / "out.jsonl", jobs=args.cores)
        local_s = time.perf_counter() - t0
        local = {d["id"]: d for d in map(json.loads, (Path(tmp) / "out.jsonl").read_text().splitlines())}

    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    t0 = time.perf_counter()
    spark = (
        SparkSession.builder.master(f"local[{args.cores}]").appName("unspin-bench")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    start_s = time.perf_counter() - t0
    try:
        df = spark.createDataFrame(docs, ["id", "text"]).repartition(args.cores)
        t0 = time.perf_counter()
        rows = scan_dataframe(df).collect()
        spark_s = time.perf_counter() - t0
    finally:
        spark.stop()
    same = sum(
        1 for r in rows
        if (local[r["id"]]["verdict"], local[r["id"]]["spun_probability"], local[r["id"]]["findings"])
        == (r["verdict"], r["spun_probability"], json.loads(r["findings"]))
    )
    print(f"# unspin.spark.scan_dataframe against unspin scan, {args.docs} 5 KB BBC test articles, {args.cores} cores")
    print("command: python bench/spark_scan.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    print(f"{'run':<40}{'wall s':>8}{'docs/s':>8}")
    print(f"{'unspin scan, ' + str(args.cores) + ' processes':<40}{local_s:8.1f}{args.docs / local_s:8.1f}")
    print(f"{'Spark local[' + str(args.cores) + '] (started in ' + f'{start_s:.0f} s, not counted)':<40}"
          f"{spark_s:8.1f}{args.docs / spark_s:8.1f}")
    print(f"documents with the same verdict, probability and findings both ways: {same} of {len(rows)}")
    return 0 if same == len(rows) == args.docs else 1


if __name__ == "__main__":
    raise SystemExit(main())
