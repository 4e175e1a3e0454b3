"""Does unspin get better with use?  Detection and restoration with a lexicon learned from traced pairs.

    python bench/learn.py [--styles common,moby,word] [--rate 0.3] [--learn 0,10,30,100]
                          [--eval 40] [--clean 100] [--jobs 2] [--json PATH]

The loop this measures is the one a publisher runs (``unspin index``, ``unspin learn``,
``unspin check --lexicon``): some spun copies of their articles are traced to their sources
and the swapped pairs are learned; later copies by the same spinner are then checked without
their source.  Per synthetic spinner style (``unspin.synth``; ``common`` and ``moby`` are the
styles the detector's models were never fitted to):

1. the first N articles of the BBC *train* part are indexed (with 200 more as distractors),
   spun at ``--rate`` by the style, and each copy traced (``Index.trace``, top match);
2. for each size in ``--learn``, the substitutions of the first k confident matches are learned
   (``unspin.learn.learn``) into a lexicon file;
3. ``unspin.check(text, Config(lexicon_path=...))`` runs on ``--eval`` *test* articles spun by the
   same style (another seed, other articles), and on ``--clean`` other clean test articles.

Columns: phrase F1 (overlap) of the findings, share of substituted words restored exactly, share of
untouched words changed ("broken"), verdict recall on the spun articles, false-positive rate and
findings per 1,000 words on the clean ones.  A learned lexicon that only memorised swaps would
also fire on clean text: the clean columns show what that costs.

A last table does the same on the real word-spinner pairs of ``../shared/data``, leave one pair
out: the lexicon is learned from the other pairs (traced against their originals), then the
held-out pair is checked.  The pairs come from different spinners, so little carries over.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit as ek  # noqa: E402
from unspin.config import Config  # noqa: E402
from unspin.index import Index  # noqa: E402
from unspin.learn import learn  # noqa: E402
from unspin.lexicon import Lexicon  # noqa: E402

LEARN_SEED = 1
EVAL_SEED = 7
DISTRACTORS = 200


def traced_matches(index: Index, docs: list[ek.Doc]) -> list[list[Any]]:
    """The top match of each spun doc (empty where nothing passed the threshold)."""
    return [index.trace(d.text, top=1) for d in docs]


def measure(config: Config, spun: list[ek.Doc], clean: list[ek.Doc], jobs: int) -> dict[str, float]:
    system = ek.Unspin(config)
    s = ek.score_set(spun, ek.run_system(system, spun, jobs))
    c = ek.score_set(clean, outs := ek.run_system(system, clean, jobs))
    words = max(1, sum(len(d.text.split()) for d in clean))
    assert s.prf is not None and s.restore is not None
    return {
        "f1": s.prf.f1, "precision": s.prf.precision, "recall_phrases": s.prf.recall,
        "restored": s.restore.restored_share, "broken": s.restore.broken_share,
        "chrf_gain": s.chrf_restored - s.chrf_spun, "verdict_recall": s.flagged,
        "clean_fpr": c.flagged, "clean_findings_per_1000": 1000 * sum(len(o.findings) for o in outs) / words,
    }


def learned_lexicons(style: str, rate: float, sources: list[ek.Doc], distractors: list[ek.Doc], sizes: list[int],
                     tmp: Path) -> dict[int, Path]:
    """Lexicon files learned from the copies of the first k ``sources`` spun by ``style``, for
    each k of ``sizes``, tracing each copy against an index of ``sources`` and ``distractors``."""
    copies = ek.synthetic(sources[: max(sizes)], rate, style, seed=LEARN_SEED)
    index = Index(tmp / f"{style}.db")
    try:
        index.add([(d.id, d.text) for d in sources + distractors])
        t0 = time.perf_counter()
        matches = traced_matches(index, copies)
        trace_s = time.perf_counter() - t0
    finally:
        index.close()
    right = sum(1 for d, m in zip(sources, matches, strict=True) if m and m[0].id == d.id)
    print(f"  {style}: {right}/{len(copies)} copies traced to their source ({trace_s:.0f} s)", file=sys.stderr)
    out = {}
    for k in sizes:
        lex, _ = learn(zip((d.text for d in copies[:k]), matches[:k], strict=True))
        out[k] = tmp / f"{style}-{k}.tsv"
        lex.save(out[k])
    return out


def run_style(style: str, rate: float, sizes: list[int], n_eval: int, n_clean: int, jobs: int,
              tmp: Path) -> list[dict[str, Any]]:
    split = ek.bbc_split()
    most = max(sizes)
    paths = learned_lexicons(style, rate, list(split.train[:most]), list(split.train[most : most + DISTRACTORS]),
                             sizes, tmp)
    spun = ek.synthetic(list(split.test[:n_eval]), rate, style, seed=EVAL_SEED)
    clean = list(split.test[n_eval : n_eval + n_clean])
    rows = []
    for k, path in paths.items():
        t0 = time.perf_counter()
        pairs = len(Lexicon.load(path))
        rows.append({"style": style, "learned_from": k, "pairs": pairs,
                     **measure(Config(lexicon_path=str(path)), spun, clean, jobs)})
        print(f"  {style} k={k}: {pairs} pairs, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return rows


# --- the CI gate (tests/test_learn_gate.py) ------------------------------------------------

FLOORS = Path(__file__).resolve().parents[1] / "tests" / "gates" / "learn_floors.json"
GATE = {"style": "moby", "rate": 0.3, "learn": 30, "distractors": 30, "eval": 10, "clean": 20}
GATE_MARGINS = {"clean_words_without_finding": 0.001, "clean_specificity": 0.0}


def gate_docs() -> tuple[list[ek.Doc], list[ek.Doc], list[ek.Doc], list[ek.Doc]]:
    """The gate's fixed data: sources to learn from, distractors, test articles to spin, clean ones."""
    split, g = ek.bbc_split(), GATE
    n = int(g["learn"])
    return (list(split.train[:n]), list(split.train[n : n + int(g["distractors"])]),
            list(split.test[: int(g["eval"])]), list(split.test[int(g["eval"]) : int(g["eval"]) + int(g["clean"])]))


def gate_fingerprint() -> str:
    return ek.fingerprint([d for part in gate_docs() for d in part])


def gate_metrics(tmp: Path) -> dict[str, float]:
    """What the gate pins, each "higher is better": with a lexicon learned from the gate's traced
    Moby-style copies, phrase F1 and restoration on other copies by that spinner, the restoration
    gained over no lexicon, and on clean articles the share not flagged and one less their findings per word."""
    sources, distractors, tests, clean = gate_docs()
    style, rate = str(GATE["style"]), float(GATE["rate"])
    path = learned_lexicons(style, rate, sources, distractors, [len(sources)], tmp)[len(sources)]
    spun = ek.synthetic(tests, rate, style, seed=EVAL_SEED)
    without = measure(Config(), spun, [], 1)
    learned = measure(Config(lexicon_path=str(path)), spun, clean, 1)
    return {
        "phrase_f1": learned["f1"],
        "restored": learned["restored"],
        "restored_gain": learned["restored"] - without["restored"],
        "clean_specificity": 1.0 - learned["clean_fpr"],
        "clean_words_without_finding": 1.0 - learned["clean_findings_per_1000"] / 1000,
    }


def run_real(tmp: Path, jobs: int) -> list[dict[str, Any]]:
    pairs = [(s, o) for s, o in ek.real_pairs() if s.style == "word"]
    rows = []
    totals = {"without": ek.RestoreCounts(), "with": ek.RestoreCounts()}
    prf = {"without": ek.PRF(), "with": ek.PRF()}
    for k, (spun, _) in enumerate(pairs):
        others = [p for j, p in enumerate(pairs) if j != k]
        index = Index(tmp / f"real{k}.db")
        try:
            index.add([(o.id, o.text) for _, o in others])
            matches = traced_matches(index, [s for s, _ in others])
        finally:
            index.close()
        lex, summary = learn(zip((s.text for s, _ in others), matches, strict=True))
        path = tmp / f"real{k}.tsv"
        lex.save(path)
        row: dict[str, Any] = {"pair": spun.id, "pairs_learned": len(lex), "matches_used": summary.used}
        for name, config in (("without", Config()), ("with", Config(lexicon_path=str(path)))):
            out = ek.Unspin(config).run(spun.text)
            assert spun.edits is not None and spun.original is not None
            rc = ek.restoration_counts(spun.original, spun.text, out.restored, spun.edits)
            p = ek.phrase_scores(out.findings, spun.edits)
            totals[name].add(rc)
            prf[name].add(p)
            row[f"restored_{name}"] = f"{rc.restored}/{rc.substituted}"
            row[f"broken_{name}"] = f"{rc.broken}/{rc.untouched}"
        rows.append(row)
    rows.append({"pair": "all", "pairs_learned": "", "matches_used": "",
                 **{f"restored_{n}": f"{totals[n].restored_share:.1%}" for n in totals},
                 **{f"broken_{n}": f"{totals[n].broken_share:.1%}" for n in totals},
                 **{f"f1_{n}": round(prf[n].f1, 3) for n in prf}})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--styles", default="common,moby,word", help="synthetic spinner styles (default common,moby,word)")
    ap.add_argument("--rate", type=float, default=0.3, help="share of words the spinner changes (default 0.3)")
    ap.add_argument("--learn", default="0,10,30,100", help="numbers of traced copies to learn from (default 0,10,30,100)")
    ap.add_argument("--eval", type=int, default=40, help="spun test articles checked (default 40)")
    ap.add_argument("--clean", type=int, default=100, help="clean test articles checked (default 100)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--json", metavar="PATH", help="also write the numbers here")
    ap.add_argument("--gate", action="store_true", help="measure the CI gate's metrics only (tests/test_learn_gate.py)")
    ap.add_argument("--write-floors", action="store_true", help="measure them and rewrite tests/gates/learn_floors.json")
    args = ap.parse_args(argv)
    if ek.data_missing():
        return 2
    if args.gate or args.write_floors:
        return gate(args.write_floors, "python " + " ".join(["bench/learn.py", *(sys.argv[1:] if argv is None else argv)]))
    sizes = sorted({int(x) for x in args.learn.split(",")})
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="unspin-learn-") as tmp:
        for style in args.styles.split(","):
            rows += run_style(style, args.rate, sizes, args.eval, args.clean, args.jobs, Path(tmp))
        real = run_real(Path(tmp), args.jobs)
    print(f"# unspin: detection and restoration with a lexicon learned from traced copies (rate {args.rate})")
    print(f"{args.eval} spun BBC test articles per style, {args.clean} clean ones; learned from the first k of "
          f"{max(sizes)} BBC train articles spun by the same style and traced against an index of them "
          f"and {DISTRACTORS} others")
    cols = [("style", "style", "{}"), ("k", "learned_from", "{}"), ("pairs", "pairs", "{}"), ("F1", "f1", "{:.3f}"),
            ("restored", "restored", "{:.1%}"), ("broken", "broken", "{:.1%}"), ("chrF+", "chrf_gain", "{:+.1f}"),
            ("recall", "verdict_recall", "{:.0%}"), ("clean FPR", "clean_fpr", "{:.1%}"),
            ("clean f/1k words", "clean_findings_per_1000", "{:.2f}")]
    ek_table(cols, rows)
    print()
    print("# the real word-spinner pairs, each checked with a lexicon learned from the other pairs")
    rcols = [("pair", "pair", "{}"), ("pairs learned", "pairs_learned", "{}"),
             ("restored without", "restored_without", "{}"), ("restored with", "restored_with", "{}"),
             ("broken without", "broken_without", "{}"), ("broken with", "broken_with", "{}")]
    ek_table(rcols, real)
    last = real[-1]
    print(f"phrase F1 without {last['f1_without']}, with {last['f1_with']}")
    print(f"\nfinished in {time.perf_counter() - start:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"command": " ".join(sys.argv), "synthetic": rows, "real": real},
                                              indent=1, default=str))
    return 0


def gate(write: bool, command: str) -> int:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="unspin-learn-gate-") as tmp:
        measured = gate_metrics(Path(tmp))
    fp = gate_fingerprint()
    print(f"# learn gate ({time.perf_counter() - t0:.0f} s; fingerprint {fp[:16]}...)")
    for k, v in measured.items():
        print(f"{k:<32} {v:.4f}")
    if write:
        import subprocess

        commit = subprocess.run(["git", "log", "-1", "--format=%h"], capture_output=True, text=True).stdout.strip()
        g = GATE
        ek.write_floors(
            FLOORS, measured, fp, command=command, commit=commit or "unknown", margins=GATE_MARGINS,
            about="Floors of the learning gate (tests/test_learn_gate.py): each metric must stay >= its floor. "
                  "Floors are the measured value minus a small margin (bench/learn.py GATE_MARGINS, else 0.02); "
                  "raise them as unspin improves, lower them only in a commit that says why.",
            subset=f"lexicon learned from the first {g['learn']} BBC train articles spun {g['style']}@{g['rate']} "
                   f"(seed {LEARN_SEED}) traced against them and {g['distractors']} others; checked on the first "
                   f"{g['eval']} BBC test articles spun so (seed {EVAL_SEED}) and the {g['clean']} test articles after them",
        )
    return 0


def ek_table(cols: list[tuple[str, str, str]], rows: list[dict[str, Any]]) -> None:
    cells = [[fmt.format(r[key]) if key in r and r[key] != "" else "" for _, key, fmt in cols] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, (h, _, _) in enumerate(cols)]
    print("  ".join(h.rjust(w) for (h, _, _), w in zip(cols, widths, strict=True)))
    print("-" * (sum(widths) + 2 * (len(cols) - 1)))
    for c in cells:
        print("  ".join(x.rjust(w) for x, w in zip(c, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
