"""Where the verdict thresholds sit: false positives on clean text against recall on spins.

    python bench/verdict_threshold.py [--jobs 2] [--spins 150]

Training data only, and none of it used to fit the models: the BBC *train*
articles after the first 500 (``bench/train_models.py`` fits on the first
500), never the test split or the real pages.  For long texts: the whole
articles (clean) and ``--spins`` of them spun in the ``word`` style at 10% and
30% and the ``function`` style at 20%.  For short texts (fewer than
``Config.short_text_words`` content words, where the stricter short-text
thresholds apply): each article's opening sentences, clean and spun at 30%.

For each threshold it prints the share of clean texts at or above it (the
false-positive rate of a "spun" verdict) and the share of each spun set at or
above it (recall).  The engine's thresholds are marked with ``*``; the
suggested one is the lowest with at most ``--max-fpr`` of clean texts above it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit as ek  # noqa: E402

FIRST_UNUSED = 500  # bench/train_models.py fits on the first 500 training articles


def opening(text: str, max_content: int) -> str:
    """The leading sentences of ``text`` with fewer than ``max_content`` content words."""
    from unspin.text import is_content_word, sentence_spans, tokenize

    toks = tokenize(text)
    end, content = 0, 0
    for a, b in sentence_spans(text, toks):
        n = sum(1 for t in toks[a:b] if is_content_word(t))
        if content + n >= max_content:
            break
        content += n
        end = toks[b - 1].end
    return text[:end]


def table(title: str, clean: list[float], spun: dict[str, list[float]], thresholds: list[float],
          marked: float, max_fpr: float) -> float:
    suggested = next((t for t in thresholds if ek.share(p >= t for p in clean) <= max_fpr), thresholds[-1])
    names = list(spun)
    head = f"{'threshold':>10}  {'clean FPR':>9}  " + "  ".join(f"{n:>14}" for n in names)
    print(f"\n## {title} (clean n={len(clean)}; " + ", ".join(f"{n} n={len(v)}" for n, v in spun.items()) + ")")
    print(head)
    print("-" * len(head))
    for t in thresholds:
        mark = ("*" if abs(t - marked) < 1e-9 else " ") + ("<" if abs(t - suggested) < 1e-9 else " ")
        row = f"{t:>8.3f}{mark}  {ek.share(p >= t for p in clean):>9.2%}  "
        print(row + "  ".join(f"{ek.share(p >= t for p in spun[n]):>14.1%}" for n in names))
    print(f"* the engine's threshold ({marked}); < the lowest with clean FPR <= {max_fpr:.2%} ({suggested})")
    return suggested


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--spins", type=int, default=150, help="articles spun per style and rate (default 150)")
    ap.add_argument("--max-fpr", type=float, default=0.01,
                    help="false-positive rate to stay under (default 1%%, issue 3's goal)")
    args = ap.parse_args(argv)
    if ek.data_missing():
        return 2
    from unspin.config import DEFAULT_CONFIG as cfg

    docs = list(ek.bbc_split().train)[FIRST_UNUSED:]
    short = [ek.Doc(d.id + ":opening", opening(d.text, cfg.short_text_words), 0, "opening") for d in docs]
    short = [d for d in short if len(d.text.split()) >= 20]
    sets = {
        "clean": docs,
        "word@0.1": ek.synthetic(docs[: args.spins], 0.1, "word", seed=101),
        "word@0.3": ek.synthetic(docs[: args.spins], 0.3, "word", seed=103),
        "function@0.2": ek.synthetic(docs[: args.spins], 0.2, "function", seed=102),
        "short clean": short,
        "short word@0.3": ek.synthetic(short[: 2 * args.spins], 0.3, "word", seed=104),
    }
    print(f"BBC train articles {FIRST_UNUSED}..{FIRST_UNUSED + len(docs)} (not used to fit the models); "
          f"jobs={args.jobs}")
    probs: dict[str, list[float]] = {}
    system = ek.Unspin()
    for name, ds in sets.items():
        outs = ek.run_system(system, ds, jobs=args.jobs)
        errors = [o.error for o in outs if o.error]
        if errors:
            print(f"{name}: {len(errors)} errors, first: {errors[0]}", file=sys.stderr)
        probs[name] = [o.probability for o in outs if not o.error]
        print(f"  {name}: {len(ds)} texts", file=sys.stderr)
    grid = [round(0.2 + 0.025 * k, 3) for k in range(25)]
    table("long texts: spun_threshold", probs["clean"],
          {k: probs[k] for k in ("word@0.1", "word@0.3", "function@0.2")}, grid, cfg.spun_threshold, args.max_fpr)
    short_grid = [round(0.5 + 0.025 * k, 3) for k in range(19)]
    table("short texts: short_spun_threshold", probs["short clean"], {"word@0.3": probs["short word@0.3"]},
          short_grid, cfg.short_spun_threshold, args.max_fpr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
