"""False positives beyond news: unspin on human prose of 17 registers, and on hand-spun versions.

    python bench/registers.py [--threshold 0.9] [--list] [--write-floors]

unspin's models were fitted on BBC news and its false-positive target is measured there (0 of 200
BBC test articles called spun).  This prints, per register of ``bench/data/registers`` (texts written
for unspin: see its README), how many honest texts are called spun, uncertain and clean at the
default thresholds and at ``--threshold`` (the spun threshold the README advises for technical
text), the findings per 100 words, and, on the hand-spun texts, how many are called spun and the
precision and recall of the findings against the words swapped.  ``--list`` prints each honest text
called spun with its findings.  ``--write-floors`` also measures the CI gate's metrics
(:func:`gate_metrics`, checked by tests/test_registers_gate.py) and rewrites
tests/gates/registers_floors.json (floors only go up; see ``evalkit.write_floors``).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit as ek  # noqa: E402
from unspin.config import Config  # noqa: E402
from unspin.detect import Engine, rejudged  # noqa: E402
from unspin.report import Report  # noqa: E402
from unspin.text import tokenize  # noqa: E402

FOLDER = Path(__file__).resolve().parent / "data" / "registers"
FLOORS = Path(__file__).resolve().parents[1] / "tests" / "gates" / "registers_floors.json"
# registers of formal writing, where the news-trained language model reads rare but right words as a
# spinner's (chosen by kind of writing, before any was checked)
FORMAL = frozenset({"abstract", "legal", "oldstyle", "techdoc", "thesaurus"})
GATE_THRESHOLD = 0.9  # the second spun threshold the gate pins (the README's advice for technical text)
GATE_MARGINS = {"handspun_called_spun": 0.04}  # one text of 27; the others take evalkit's 0.02


def gate_fingerprint() -> str:
    """sha256 over the sorted (name, sha256 of the bytes) of the texts the gate reads."""
    h = hashlib.sha256()
    for path in sorted(FOLDER.glob("*.txt")):
        h.update(f"{path.name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return h.hexdigest()


def gate_metrics(engine: Engine | None = None) -> dict[str, float]:
    """What the gate pins, each "higher is better": the shares of honest everyday and formal texts
    not called spun, of all honest texts not called spun at :data:`GATE_THRESHOLD`, of the hand-spun
    texts called spun, and the precision and recall of their findings."""
    honest, spun, _ = _measure(engine or Engine(), Config().with_spun_threshold(GATE_THRESHOLD))
    everyday = [v for r, rows in honest.items() if r not in FORMAL for v, *_ in rows]
    formal = [v for r, rows in honest.items() if r in FORMAL for v, *_ in rows]
    strict = [v9 for rows in honest.values() for _, v9, *_ in rows]
    handspun = [v for rows in spun.values() for v, _, _ in rows]
    prf = ek.PRF()
    for rows in spun.values():
        for *_, p in rows:
            prf.add(p)
    return {
        "everyday_not_spun": sum(v != "spun" for v in everyday) / len(everyday),
        "formal_not_spun": sum(v != "spun" for v in formal) / len(formal),
        "all_not_spun_at_0.9": sum(v != "spun" for v in strict) / len(strict),
        "handspun_called_spun": sum(v == "spun" for v in handspun) / len(handspun),
        "handspun_findings_precision": prf.precision,
        "handspun_findings_recall": prf.recall,
    }


Honest = dict[str, list[tuple[str, str, str, int, int]]]  # register -> (verdict, at the threshold, name, findings, words)
Spun = dict[str, list[tuple[str, str, ek.PRF]]]  # register -> (verdict, at the threshold, findings against the swaps)


def _measure(engine: Engine, strict: Config) -> tuple[Honest, Spun, list[tuple[str, Report]]]:
    """Every text of the folder checked: the honest ones and the hand-spun ones by register, and the
    honest texts called spun with their reports."""
    honest: Honest = defaultdict(list)
    spun: Spun = defaultdict(list)
    flagged = []
    for path in sorted(FOLDER.glob("*.txt")):
        name = path.stem
        if name.endswith(".orig"):
            continue
        text = path.read_text(encoding="utf-8")
        report = engine.check(text)
        verdict, strict_verdict = report.verdict, rejudged(text, report, strict).verdict
        register = name.split("_")[-2]
        if name.startswith("spun_"):
            original = path.with_name(f"{name}.orig.txt").read_text(encoding="utf-8")
            found = [ek.Span(f.start, f.end, f.original, f.confidence) for f in report.findings]
            spun[register].append((verdict, strict_verdict, ek.phrase_scores(found, ek.align_edits(text, original))))
        else:
            honest[register].append((verdict, strict_verdict, name, len(report.findings), _words(text)))
            if verdict == "spun":
                flagged.append((name, report))
    return honest, spun, flagged


def _words(text: str) -> int:
    return sum(1 for t in tokenize(text) if t.kind == "word")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threshold", type=float, default=0.9, help="the second spun threshold reported (default 0.9)")
    ap.add_argument("--list", action="store_true", help="print each honest text called spun, with its findings")
    ap.add_argument("--write-floors", action="store_true", help="also rewrite tests/gates/registers_floors.json")
    args = ap.parse_args(argv)
    engine = Engine()
    t0 = time.perf_counter()
    honest, spun, flagged = _measure(engine, Config().with_spun_threshold(args.threshold))
    print(f"# unspin on human prose beyond news ({FOLDER.relative_to(Path.cwd()) if FOLDER.is_relative_to(Path.cwd()) else FOLDER})")
    print(f"honest texts: spun / uncertain / clean at the default thresholds, spun at {args.threshold:g}, findings per 100 words")
    print(f"{'register':<10} {'texts':>5} {'spun':>5} {'unc.':>5} {'clean':>5} {f'spun@{args.threshold:g}':>8} {'find/100w':>9}"
          f"   {'spun texts':>10} {'spun':>5} {f'spun@{args.threshold:g}':>8} {'P':>5} {'R':>5}")
    totals = [0, 0, 0, 0, 0, 0, 0]
    spun_totals = [0, 0, 0]
    prf_all = ek.PRF()
    for register in sorted(set(honest) | set(spun)):
        rows = honest.get(register, [])
        n = len(rows)
        s = sum(v == "spun" for v, *_ in rows)
        u = sum(v == "uncertain" for v, *_ in rows)
        c = sum(v == "clean" for v, *_ in rows)
        s9 = sum(v9 == "spun" for _, v9, *_ in rows)
        findings, words = sum(r[3] for r in rows), sum(r[4] for r in rows)
        for k, v in enumerate((n, s, u, c, s9, findings, words)):
            totals[k] += v
        srows = spun.get(register, [])
        prf = ek.PRF()
        for *_, p in srows:
            prf.add(p)
        prf_all.add(prf)
        ss, ss9 = sum(v == "spun" for v, _, _ in srows), sum(v9 == "spun" for _, v9, _ in srows)
        spun_totals[0] += len(srows)
        spun_totals[1] += ss
        spun_totals[2] += ss9
        per = f"{100 * findings / words:9.1f}" if words else f"{'-':>9}"
        sp = (f"{len(srows):>10} {ss:>5} {ss9:>8} {prf.precision:>5.2f} {prf.recall:>5.2f}" if srows
              else f"{'-':>10} {'':>5} {'':>8} {'':>5} {'':>5}")
        print(f"{register:<10} {n:>5} {s:>5} {u:>5} {c:>5} {s9:>8} {per}   {sp}")
    n, s, u, c, s9, findings, words = totals
    print(f"{'all':<10} {n:>5} {s:>5} {u:>5} {c:>5} {s9:>8} {100 * findings / words:9.1f}   "
          f"{spun_totals[0]:>10} {spun_totals[1]:>5} {spun_totals[2]:>8} {prf_all.precision:>5.2f} {prf_all.recall:>5.2f}")
    print(f"false-positive rate: {s}/{n} = {s / n:.1%} at the default threshold, {s9}/{n} = {s9 / n:.1%} at "
          f"{args.threshold:g}; spun texts called spun: {spun_totals[1]}/{spun_totals[0]} and "
          f"{spun_totals[2]}/{spun_totals[0]} ({time.perf_counter() - t0:.0f} s)")
    if args.list:
        for name, report in flagged:
            pairs = ", ".join(f"{f.text}->{f.original}" for f in report.findings)
            print(f"{name} ({report.spun_probability:.2f}): {pairs}")
    if args.write_floors:
        import subprocess

        measured = gate_metrics(engine)
        for k, v in measured.items():
            print(f"gate {k:<30} {v:.4f}")
        commit = subprocess.run(["git", "log", "-1", "--format=%h"], capture_output=True, text=True).stdout.strip()
        ek.write_floors(
            FLOORS, measured, gate_fingerprint(), command="python bench/registers.py --write-floors",
            commit=commit or "unknown", margins=GATE_MARGINS,
            about="Floors of the registers gate (tests/test_registers_gate.py): each metric must stay >= its floor. "
                  "Floors are the measured value minus a small margin (bench/registers.py GATE_MARGINS, else 0.02); "
                  "raise them as unspin improves, lower them only in a commit that says why.",
            subset=f"every text of bench/data/registers: honest ones of {len(FORMAL)} formal registers "
                   f"({', '.join(sorted(FORMAL))}) and of the others, and the hand-spun ones",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
