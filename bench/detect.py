"""Benchmark of detection and restoration (issue 3), unspin beside baselines.

    python bench/detect.py --quick            # small subsets, under 2 minutes
    python bench/detect.py --jobs 2           # the full run (about 10 minutes on 2 cores)
    python bench/detect.py --json out.json    # also write every number measured
    python bench/detect.py --gate             # the CI gate metrics on the gate subset
    python bench/detect.py --write-floors     # rewrite tests/gates/detect_floors.json from them

Data come from ../shared/data (or $UNSPIN_DATA); see bench/evalkit.py for the
split rule, the ground truth and the metric definitions.  Baselines:
identity (restores nothing), tortured-lookup (the dev split of
tortured_phrases_dev.tsv as an exact-match lexicon) and glove-lr (averaged
GloVe 6B 50d vectors + logistic regression trained on BBC-train against
synthetic spins of it; document level only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evalkit as ek  # noqa: E402

FLOORS = ek.REPO / "tests" / "gates" / "detect_floors.json"

FULL = {"bbc_test": 200, "word30": 200, "synth": 40, "train": 400, "tortured": 600, "speed_docs": 20}
QUICK = {"bbc_test": 24, "word30": 24, "synth": 8, "train": 80, "tortured": 60, "speed_docs": 3}


# --- formatting ---------------------------------------------------------------------


def fmt(v: Any, pct: bool = False, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, int):
        return str(v)
    if pct:
        return f"{100 * v:.1f}%"
    return f"{v:.{digits}f}"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]], note: str = "") -> None:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    print(f"\n## {title}")
    line = "  ".join(str(h).ljust(w) if i == 0 else str(h).rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True)))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    if note:
        print(note)


def progress(label: str) -> Any:
    start = time.time()

    def cb(i: int, n: int) -> None:
        if i == n or i % 25 == 0:
            print(f"\r  {label}: {i}/{n} ({time.time() - start:.0f}s)", end="" if i < n else "\n", file=sys.stderr, flush=True)

    return cb


# --- speed probe (runs in a fresh process so its memory is the engine's alone) ------------

SPEED_REPEATS = 3  # fresh processes per speed probe; the median is reported


def speed_probe(n: int, moby: bool = False) -> dict[str, float]:
    texts = ek.five_kb_articles(ek.bbc_split().test, n + 1)
    import unspin
    from unspin.config import Config

    config = Config(use_moby=moby)
    t0 = time.perf_counter()
    unspin.check(texts[0], config)  # loads resources; not timed
    load_s = time.perf_counter() - t0
    rss_after_load = ek.peak_rss_mb()
    ek.calibration_workload()
    wall = cpu = calibration = 0.0
    for t in texts[1:]:
        w0, c0 = time.perf_counter(), time.process_time()
        unspin.check(t, config)
        wall, cpu = wall + time.perf_counter() - w0, cpu + time.process_time() - c0
        c0 = time.process_time()
        ek.calibration_workload()  # (after each document: the machine's speed of the moment)
        calibration += time.process_time() - c0
    m = len(texts) - 1
    return {
        "docs": m,
        "mean_chars": sum(len(t) for t in texts[1:]) / m,
        "docs_per_cpu_second": m / cpu,
        "docs_per_wall_second": m / wall,
        "ms_per_doc_cpu": 1000 * cpu / m,
        "calibration_ms": 1000 * calibration / m,
        "cost_in_calibrations": cpu / calibration,
        "first_call_s": load_s,
        "peak_rss_mb_after_load": rss_after_load,
        "peak_rss_mb": ek.peak_rss_mb(),
    }


def run_speed_probe(n: int, moby: bool = False, repeats: int = SPEED_REPEATS) -> dict[str, Any]:
    """The probe in a fresh process with an empty candidate store, as on a machine's first run;
    then ``unspin cache --fill --jobs 2`` into another empty store (``fill_s``) and the probe
    again with (a copy of) that store (``filled_store_*``), as on a machine prepared for a crawl.
    Each probe runs ``repeats`` times, each in a fresh process and store (one run of 20 documents
    varied by a third between sittings): the rates are the medians, ``*_runs`` all of them."""
    import shutil
    import statistics

    flags = ["--moby"] if moby else []
    cmd = [sys.executable, __file__, "--speed-probe", str(n), *flags]

    def probe(cache: Path) -> dict[str, Any]:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env={**os.environ, "UNSPIN_CACHE": str(cache)})
        if p.returncode != 0:
            return {"error": p.stderr.strip()[-500:]}
        return json.loads(p.stdout.strip().splitlines()[-1])

    with tempfile.TemporaryDirectory(prefix="unspin-probe-") as tmp:
        firsts, filled = [], []
        for k in range(repeats):
            firsts.append(probe(ek.empty_store_cache(Path(tmp) / f"empty{k}")))
            if "error" in firsts[-1]:
                return firsts[-1]
        filled_dir = ek.empty_store_cache(Path(tmp) / "filled")
        t0 = time.perf_counter()
        p = subprocess.run(ek.fill_store_command(moby), capture_output=True, text=True, timeout=900,
                           env={**os.environ, "UNSPIN_CACHE": str(filled_dir)})
        fill_s = time.perf_counter() - t0
        if p.returncode != 0:
            return {"error": p.stderr.strip()[-500:]}
        for k in range(repeats):
            copy = Path(tmp) / f"filled{k}"
            shutil.copytree(filled_dir, copy)  # each run starts from the store as filled
            filled.append(probe(copy))
            if "error" in filled[-1]:
                return filled[-1]
    rates = [r["docs_per_cpu_second"] for r in firsts]
    filled_rates = [r["docs_per_cpu_second"] for r in filled]
    costs = [r["cost_in_calibrations"] for r in firsts]
    filled_costs = [r["cost_in_calibrations"] for r in filled]
    median = sorted(firsts, key=lambda r: r["docs_per_cpu_second"])[len(firsts) // 2]
    return {**median, "docs_per_cpu_second": statistics.median(rates), "docs_per_cpu_second_runs": rates,
            "cost_in_calibrations": statistics.median(costs), "cost_in_calibrations_runs": costs,
            "fill_s": fill_s, "filled_store_docs_per_cpu_second": statistics.median(filled_rates),
            "filled_store_docs_per_cpu_second_runs": filled_rates,
            "filled_store_cost_in_calibrations": statistics.median(filled_costs),
            "filled_store_cost_in_calibrations_runs": filled_costs,
            "filled_store_ms_per_doc_cpu": statistics.median(r["ms_per_doc_cpu"] for r in filled)}


def baseline_speed(system: ek.System, texts: Sequence[str], passes: int = 10) -> float:
    """A peer's documents per CPU-second: the median of ``passes`` timed passes over ``texts``
    after an untimed one.  A pass of 20 texts takes the lookup peer about 0.15 s, so one pass
    alone read its warm-up and the machine's jitter (single passes ranged 116-160 documents/s
    within a minute in session 13; medians of 10 passes 166-180)."""
    for t in texts:
        system.run(t)
    rates = []
    for _ in range(passes):
        cpu = time.process_time()
        for t in texts:
            system.run(t)
        rates.append(len(texts) / max(1e-9, time.process_time() - cpu))
    return statistics.median(rates)


# --- the benchmark ------------------------------------------------------------------------


def build_sets(sizes: dict[str, int], quick: bool) -> tuple[dict[str, list[ek.Doc]], dict[str, Any]]:
    split = ek.bbc_split()
    bbc = list(split.test[: sizes["bbc_test"]])
    sets: dict[str, list[ek.Doc]] = {"clean:bbc_test": bbc}
    sets["clean:clean_only"] = ek.clean_only()
    pairs = ek.real_pairs()
    sets["clean:real_originals"] = [o for _, o in pairs]
    combos = [(st, r) for st in ek.SYNTH_STYLES for r in ek.SYNTH_RATES]
    if quick:
        combos = [(st, r) for st, r in combos if st == "word" or r == 0.3]
    for st, r in combos:
        n = sizes["word30"] if (st, r) == ("word", 0.3) else sizes["synth"]
        sets[f"synth:{st}@{r}"] = ek.synthetic(bbc[:n], r, st, seed=0)
    for fam in ("word", "fluent"):
        sets[f"real_pairs:{fam}"] = [s for s, _ in pairs if s.style == fam]
    for fam in ("word", "tortured"):
        sets[f"spun_only:{fam}"] = [d for d in ek.spun_only() if d.style == fam]
    # technical prose (library docstrings, read from the installed packages), clean and spun
    technical = ek.technical_prose("test")[: sizes["synth"] if quick else None]
    if technical:
        sets["clean:technical"] = technical
        sets["tech_synth:word@0.3"] = ek.synthetic(technical, 0.3, "word", seed=0)
    info = {
        "bbc_total": len(split.train) + len(split.test) + len(split.dropped),
        "bbc_train": len(split.train),
        "bbc_test": len(split.test),
        "bbc_dropped_duplicates": len(split.dropped),
        "bbc_duplicate_groups": split.groups,
        "technical_paragraphs": len(technical),
        "technical_versions": ek.technical_versions(),
    }
    return sets, info


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small subsets (under 2 minutes)")
    ap.add_argument("--json", metavar="PATH", help="write the measured numbers as JSON")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes for unspin (default 1)")
    ap.add_argument("--no-glove", action="store_true", help="skip the GloVe baseline")
    ap.add_argument("--bbc-test", type=int, help="BBC test articles (default 200; quick 40)")
    ap.add_argument("--synth", type=int, help="articles per synthetic style/rate other than word@0.3 (default 40; quick 8)")
    ap.add_argument("--gate", action="store_true", help="print the CI gate metrics and exit")
    ap.add_argument("--write-floors", action="store_true", help="measure the gate metrics and rewrite the floors file")
    ap.add_argument("--moby", action="store_true",
                    help="unspin with the Moby thesaurus candidates (Config.use_moby; not with --write-floors)")
    ap.add_argument("--speed-probe", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.speed_probe:
        print(json.dumps(speed_probe(args.speed_probe, args.moby)))
        return 0
    if args.moby and args.write_floors:
        ap.error("--write-floors measures the default engine; leave out --moby")
    if ek.data_missing():
        return 2
    command = "python " + " ".join(shlex.quote(a) for a in (sys.argv if argv is None else ["bench/detect.py", *argv]))
    if args.gate or args.write_floors:
        return gate(args.write_floors, command, args.moby)

    sizes = dict(QUICK if args.quick else FULL)
    if args.bbc_test:
        sizes["bbc_test"] = args.bbc_test
        sizes["word30"] = args.bbc_test
    if args.synth:
        sizes["synth"] = args.synth
    started = time.time()
    import unspin

    print(f"# unspin detection/restoration benchmark ({'quick' if args.quick else 'full'})")
    print(f"command:   {command}")
    print(f"started:   {dt.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"unspin:    {unspin.__version__}  commit {git_commit()}")
    print(f"data:      {ek.data_dir()}")
    print(f"machine:   {os.cpu_count()} cpus, jobs={args.jobs}")
    if args.moby:
        print("engine:    Config(use_moby=True) (--moby)")

    sets, info = build_sets(sizes, args.quick)
    dev, held = ek.tortured_split()
    from unspin.config import Config

    systems: list[ek.System] = [ek.Unspin(Config(use_moby=args.moby)), ek.Identity(), ek.TorturedLookup(dev)]
    if not args.no_glove:
        try:
            t = time.time()
            glove = ek.GloveLR()
            train = list(ek.bbc_split().train[: sizes["train"]])
            glove.fit(train + ek.mixed_spins(train, seed=1))
            info["glove_train_docs"] = 2 * len(train)
            info["glove_train_s"] = round(time.time() - t, 1)
            systems.append(glove)
        except ImportError as exc:
            print(f"note: glove-lr baseline skipped ({exc}); pip install 'unspin[bench]' pyarrow")

    results: dict[str, dict[str, ek.SetScores]] = {s.name: {} for s in systems}
    errors: list[tuple[str, str]] = []
    unspin_outcomes: dict[str, list[ek.Outcome]] = {}
    for sysm in systems:
        for name, docs in sets.items():
            if sysm.name == "unspin":
                outs = ek.run_system(sysm, docs, args.jobs, progress(f"unspin {name}"))
                errors += [(d.id, o.error) for d, o in zip(docs, outs, strict=True) if o.error]
                unspin_outcomes[name] = outs
            else:
                outs = ek.run_system(sysm, docs)
            results[sysm.name][name] = ek.score_set(docs, outs)

    out: dict[str, Any] = {"command": command, "started": dt.datetime.now().isoformat(timespec="seconds"),
                           "unspin_version": unspin.__version__, "commit": git_commit(), "data": info,
                           "sizes": {k: len(v) for k, v in sets.items()}, "systems": {}}
    print_data(sets, info, dev, held)
    doc = print_documents(sets, systems, results, out)
    print_phrases(sets, systems, results, out)
    print_per_pair(sets, unspin_outcomes)
    with tempfile.TemporaryDirectory() as folder:  # unspin with the dev list imported as a lexicon
        listed = ek.unspin_with_list(dev, folder, args.moby)
        tort = print_tortured([*systems, listed], dev, held, sizes["tortured"], out)
    spd = print_speed(systems, sizes["speed_docs"], out, args.moby)
    print_targets(doc, results, tort, spd, out)
    if errors:
        print(f"\n## Engine errors ({len(errors)})")
        for i, e in errors[:20]:
            print(f"  {i}: {e}")
    out["errors"] = errors
    print(f"\nfinished in {time.time() - started:.0f}s; peak RSS of this process "
          f"{ek.peak_rss_mb():.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=_json_default), encoding="utf-8")
        print(f"numbers written to {args.json}")
    return 0


def _json_default(o: Any) -> Any:
    if isinstance(o, float) and math.isnan(o):
        return None
    return str(o)


def git_commit() -> str:
    try:
        p = subprocess.run(["git", "-C", str(ek.REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(ek.REPO), "status", "--porcelain", "src"], capture_output=True, text=True)
        return p.stdout.strip() + (" (+uncommitted changes in src)" if dirty.stdout.strip() else "")
    except OSError:
        return "?"


def print_data(sets: dict[str, list[ek.Doc]], info: dict[str, Any], dev: list[Any], held: list[Any]) -> None:
    rows = [[name, str(len(docs)), fmt(sum(len(d.text) for d in docs) / max(1, len(docs)), digits=0),
             str(sum(1 for d in docs for e in (d.edits or ()) if e.kind in ("substitute", "insert"))) if docs and docs[0].edits is not None else "-"]
            for name, docs in sets.items()]
    table("Data", ["set", "docs", "mean chars", "gold edits"], rows,
          f"BBC: {info['bbc_total']} articles, {info['bbc_duplicate_groups']} duplicate groups, "
          f"{info['bbc_dropped_duplicates']} duplicates dropped, train {info['bbc_train']} / test {info['bbc_test']}. "
          f"Tortured phrases: dev {len(dev)} / held-out {len(held)}. Technical prose: {info['technical_paragraphs']} "
          f"docstring paragraphs ({', '.join(f'{k} {v}' for k, v in info['technical_versions'].items())}).")


def print_documents(sets: dict[str, list[ek.Doc]], systems: list[ek.System],
                    results: dict[str, dict[str, ek.SetScores]], out: dict[str, Any]) -> dict[str, Any]:
    wild_neg = {s.name: results[s.name]["clean:clean_only"].probs + results[s.name]["clean:real_originals"].probs for s in systems}
    thr = {s.name: ek.threshold_for_fpr(results[s.name]["clean:bbc_test"].probs, 0.01) for s in systems}
    header = ["set", "n"]
    for s in systems:
        header += [f"{s.name} verdict", "@1%FPR", "AUC"]
    rows = []
    doc: dict[str, Any] = {"threshold_1pct_fpr_bbc": thr}
    for name in sets:
        row = [name, str(len(sets[name]))]
        for s in systems:
            sc = results[s.name][name]
            at_thr = ek.share(p > thr[s.name] for p in sc.probs)
            if name.startswith("clean:"):
                auc = math.nan
            elif name.startswith("synth:"):
                auc = ek.roc_auc(sc.probs, results[s.name]["clean:bbc_test"].probs)
            elif name.startswith("tech_synth:"):
                auc = ek.roc_auc(sc.probs, results[s.name]["clean:technical"].probs)
            else:
                auc = ek.roc_auc(sc.probs, wild_neg[s.name])
            row += [fmt(sc.flagged, pct=True), fmt(at_thr, pct=True), fmt(auc)]
            doc.setdefault(s.name, {})[name] = {"flagged": sc.flagged, "flagged_at_1pct_fpr": at_thr, "auc": auc,
                                                "uncertain": sc.uncertain, "errors": sc.errors}
        rows.append(row)
    wild_pos = [n for n in sets if n.startswith(("real_pairs:", "spun_only:"))]
    row = ["wild spun (all, vs wild clean)", str(sum(len(sets[n]) for n in wild_pos))]
    for s in systems:
        probs = [p for n in wild_pos for p in results[s.name][n].probs]
        auc = ek.roc_auc(probs, wild_neg[s.name])
        row += [fmt(_flag_share(results[s.name], wild_pos), pct=True),
                fmt(ek.share(p > thr[s.name] for p in probs), pct=True), fmt(auc)]
        doc[s.name]["wild_all"] = {"auc": auc}
    rows.append(row)
    pair_pos = ["real_pairs:word", "real_pairs:fluent"]
    row = ["real pairs vs their own originals", str(sum(len(sets[n]) for n in pair_pos))]
    for s in systems:
        probs = [p for n in pair_pos for p in results[s.name][n].probs]
        auc = ek.roc_auc(probs, results[s.name]["clean:real_originals"].probs)
        row += [fmt(_flag_share(results[s.name], pair_pos), pct=True),
                fmt(ek.share(p > thr[s.name] for p in probs), pct=True), fmt(auc)]
        doc[s.name]["real_pairs_vs_originals"] = {"auc": auc}
    rows.append(row)
    table("Document level", header, rows,
          "verdict: share flagged by the system's own verdict (recall on spun sets, false-positive rate on clean:* sets);\n"
          "@1%FPR: share above the system's threshold that flags at most 1% of clean:bbc_test;\n"
          "AUC: synth:* against clean:bbc_test (the same articles unspun), tech_synth:* against clean:technical\n"
          "(docstring paragraphs of the installed numpy, scipy and scikit-learn); real pages against\n"
          "clean:clean_only + clean:real_originals (topics differ: spun pages are mostly health/science, clean pages\n"
          "mostly news), so the last row, each real pair's spun text against the originals, is the topic-matched one.\n"
          "'uncertain' verdicts count as not flagged.")
    unc = {s.name: sum(results[s.name][n].uncertain for n in sets) for s in systems}
    if any(unc.values()):
        print("uncertain verdicts: " + ", ".join(f"{k} {v}" for k, v in unc.items()))
    out["document"] = doc
    return doc


def _flag_share(res: dict[str, ek.SetScores], names: list[str]) -> float:
    n = sum(res[x].n for x in names)
    return sum(res[x].flagged * res[x].n for x in names) / n if n else math.nan


def print_phrases(sets: dict[str, list[ek.Doc]], systems: list[ek.System],
                  results: dict[str, dict[str, ek.SetScores]], out: dict[str, Any]) -> None:
    restorers = [s for s in systems if s.restores]
    gold_sets = [n for n in sets if sets[n] and sets[n][0].edits is not None]
    h1 = ["set"]
    for s in restorers:
        h1 += [f"{s.name} P", "R", "F1", "F1 exact"]
    h2 = ["set", "chrF spun"]
    for s in restorers:
        h2 += [f"{s.name} restored", "broken", "chrF"]
    r1, r2 = [], []
    ph: dict[str, Any] = {}
    for name in gold_sets:
        row1, row2 = [name], [name, fmt(results["unspin"][name].chrf_spun, digits=1)]
        for s in restorers:
            sc = results[s.name][name]
            assert sc.prf and sc.prf_exact and sc.restore
            row1 += [fmt(sc.prf.precision), fmt(sc.prf.recall), fmt(sc.prf.f1), fmt(sc.prf_exact.f1)]
            row2 += [fmt(sc.restore.restored_share, pct=True), fmt(sc.restore.broken_share, pct=True), fmt(sc.chrf_restored, digits=1)]
            ph.setdefault(s.name, {})[name] = {
                "precision": sc.prf.precision, "recall": sc.prf.recall, "f1": sc.prf.f1,
                "precision_exact": sc.prf_exact.precision, "recall_exact": sc.prf_exact.recall, "f1_exact": sc.prf_exact.f1,
                "findings": sc.prf.n_pred, "gold_spans": sc.prf.n_gold,
                "restored_share": sc.restore.restored_share, "broken_share": sc.restore.broken_share,
                "substituted_words": sc.restore.substituted, "untouched_words": sc.restore.untouched,
                "chrf_restored": sc.chrf_restored, "chrf_spun": sc.chrf_spun,
            }
        r1.append(row1)
        r2.append(row2)
    table("Phrase level (sets with known originals)", h1, r1,
          "A finding is correct when it overlaps a true edit (substitution or insertion) of the spun text;\n"
          "'F1 exact' needs the same span.  Identity flags nothing (P undefined, R 0).")
    table("Restoration", h2, r2,
          "restored: share of substituted original words that the restored text gives back exactly (case-insensitive,\n"
          "by token alignment of restored vs original); broken: share of words the spinner left alone that the\n"
          "restored text changed; chrF (n=1..6, beta=2, corpus level) of restored vs original, beside spun vs original.")
    out["phrase_and_restoration"] = ph


def print_per_pair(sets: dict[str, list[ek.Doc]], outcomes: dict[str, list[ek.Outcome]]) -> None:
    rows = []
    for name in ("real_pairs:word", "real_pairs:fluent"):
        for d, o in zip(sets[name], outcomes[name], strict=True):
            assert d.edits is not None and d.original is not None
            prf = ek.phrase_scores(o.findings, d.edits)
            rc = ek.restoration_counts(d.original, d.text, o.restored, d.edits)
            rows.append([d.id, d.style, str(prf.n_gold), str(prf.n_pred), fmt(prf.precision), fmt(prf.recall),
                         f"{rc.restored}/{rc.substituted}", f"{rc.broken}/{rc.untouched}",
                         fmt(o.probability), "error" if o.error else "spun" if o.flagged else "uncertain" if o.uncertain else "clean"])
    table("unspin on each real pair", ["pair", "style", "gold", "found", "P", "R", "restored", "broken", "prob", "verdict"], rows)


def print_tortured(systems: list[ek.System], dev: list[ek.Tortured], held: list[ek.Tortured], limit: int,
                   out: dict[str, Any]) -> dict[str, Any]:
    from unspin.lexicon import builtin_lexicon

    lex = builtin_lexicon()
    held_keys = {" ".join(r.tortured.lower().split()) for r in held}
    contaminated = sorted(k for k in held_keys if k in lex)
    parts = {"dev": dev[:limit], "held-out": held[:limit],
             "held-out, not in unspin's lexicon": [r for r in held[:limit] if " ".join(r.tortured.lower().split()) not in lex]}
    header = ["part", "n"]
    restorers = [s for s in systems if s.restores and s.name != "identity"]
    for s in restorers:
        header += [f"{s.name} restored", "flagged", "carrier changed"]
    rows = []
    res: dict[str, Any] = {"contaminated": contaminated}
    cache: dict[tuple[str, str], tuple[bool, bool, bool]] = {}
    for part, rows_ in parts.items():
        row = [part, str(len(rows_))]
        for s in restorers:
            ok, flagged, damaged = [], [], []
            for r in rows_:
                key = (s.name, r.tortured)
                if key not in cache:
                    text, _, (a, b) = ek.tortured_case(r)
                    o = s.run(text)
                    cache[key] = (ek.tortured_ok(o.restored, r), any(f.start < b and a < f.end for f in o.findings),
                                  ek.carrier_changed(o.restored))
                ok.append(cache[key][0])
                flagged.append(cache[key][1])
                damaged.append(cache[key][2])
            row += [fmt(ek.share(ok), pct=True), fmt(ek.share(flagged), pct=True), fmt(ek.share(damaged), pct=True)]
            res.setdefault(s.name, {})[part] = {"n": len(rows_), "restored": ek.share(ok), "flagged": ek.share(flagged),
                                                "carrier_changed": ek.share(damaged)}
        rows.append(row)
    table("Unseen tortured phrases", header, rows,
          f"Each phrase in the carrier {ek.CARRIER!r};\n"
          "restored = the text reads '... on <expected> for ...' (case-insensitive, parenthesised acronyms ignored);\n"
          "flagged = a finding overlaps the phrase; carrier changed = a word of the neutral carrier itself was changed\n"
          "(a false positive).  Rows whose expected phrase is unknown ('???') are left out.\n"
          "tortured-lookup's lexicon is the dev part only; unspin+list is unspin with the same dev part imported as a\n"
          "lexicon (`unspin lexicon import`, weight 4: restored wherever it stands).  Held-out phrases found in unspin's built-in lexicon: "
          f"{len(contaminated)}{' (' + ', '.join(contaminated[:5]) + ')' if contaminated else ''}.")
    out["tortured"] = res
    return res


def runs(rates: list[float] | None) -> str:
    """``rates`` as 'runs a, b, c'."""
    return "runs " + ", ".join(fmt(r, digits=2) for r in rates) if rates else "one run"


def print_speed(systems: list[ek.System], n: int, out: dict[str, Any], moby: bool = False) -> dict[str, Any]:
    probe = run_speed_probe(n, moby)
    texts = ek.five_kb_articles(ek.bbc_split().test, n)
    rows = []
    if "error" in probe:
        rows.append(["unspin", "error", str(probe["error"])[:80], "", ""])
    else:
        rows.append(["unspin", fmt(probe["docs_per_cpu_second"], digits=2), fmt(probe["ms_per_doc_cpu"], digits=0),
                     fmt(probe["peak_rss_mb"], digits=0), fmt(probe["first_call_s"], digits=1)])
    speeds = {}
    for s in systems:
        if s.name != "unspin":
            speeds[s.name] = baseline_speed(s, texts)
            rows.append([s.name, fmt(speeds[s.name], digits=1), fmt(1000 / speeds[s.name], digits=1), "", ""])
    table("Speed and memory (single process, ~5 KB articles made of BBC test text)",
          ["system", "docs/s/core", "ms/doc", "peak RSS MB", "first call s"], rows,
          "docs/s/core = documents per CPU-second of one process (robust to other load on the machine);\n"
          "unspin is measured in a fresh process (peak RSS is the engine's: Python + resources), after one\n"
          "untimed call that loads resources, with an empty candidate store (a machine's first run); "
          f"median of {len(probe.get('docs_per_cpu_second_runs', [])) or 1} fresh processes "
          f"({runs(probe.get('docs_per_cpu_second_runs'))}).\n"
          "After `unspin cache --fill --jobs 2` into another empty store "
          f"({fmt(probe.get('fill_s'), digits=0)} s wall): "
          f"{fmt(probe.get('filled_store_docs_per_cpu_second'), digits=2)} docs/s/core "
          f"({runs(probe.get('filled_store_docs_per_cpu_second_runs'))})."
          + _ratio_line(probe, speeds.get("tortured-lookup")) + _calibration_line(probe))
    out["speed"] = {"unspin": probe, **{k: {"docs_per_cpu_second": v} for k, v in speeds.items()}}
    return probe


def _calibration_line(probe: dict[str, Any]) -> str:
    """unspin's CPU time per document in units of a fixed Python workload timed after each document
    in the same process (``evalkit.calibration_workload``): steadier than the rates from run to run,
    so the figure to compare between sessions (lower is faster)."""
    if "error" in probe or "cost_in_calibrations" not in probe:
        return ""
    return ("\nCost per document in calibration units (its CPU time over a fixed Python workload's, timed "
            "after each document in the same process; lower is faster): "
            f"empty store {probe['cost_in_calibrations']:.1f} ({runs(probe.get('cost_in_calibrations_runs'))}), "
            f"filled store {probe['filled_store_cost_in_calibrations']:.2f} "
            f"({runs(probe.get('filled_store_cost_in_calibrations_runs'))}).")


def _ratio_line(probe: dict[str, Any], peer: float | None) -> str:
    """unspin's rates as multiples of the tortured-phrase lookup's in the same run (the peers' rates
    are medians of 10 warm passes; compare sessions by these ratios, not by raw rates)."""
    if not peer or "error" in probe:
        return ""
    empty, filled = probe.get("docs_per_cpu_second"), probe.get("filled_store_docs_per_cpu_second")
    parts = [f"empty store {empty / peer:.3f}" if empty else "", f"filled store {filled / peer:.3f}" if filled else ""]
    return "\nAs a ratio to tortured-lookup's docs/s/core in this run: " + ", ".join(p for p in parts if p) + "."


def print_targets(doc: dict[str, Any], results: dict[str, dict[str, ek.SetScores]], tort: dict[str, Any],
                  spd: dict[str, Any], out: dict[str, Any]) -> None:
    u = results["unspin"]
    bbc_fpr = u["clean:bbc_test"].flagged
    rw = u["real_pairs:word"]
    w30 = u["synth:word@0.3"]
    rows = []

    def add(what: str, value: float, target: str, ok: bool, pct: bool = True) -> None:
        rows.append([what, fmt(value, pct=pct), target, "MET" if ok else "SHORT"])

    add("FPR on BBC test (verdict)", bbc_fpr, "<= 1%", bbc_fpr <= 0.01)
    add("recall synth word@0.3 (verdict)", w30.flagged, ">= 90%", w30.flagged >= 0.9)
    add("recall real word-spinner pairs (verdict)", rw.flagged, ">= 90%", rw.flagged >= 0.9)
    r_thr = doc["unspin"]["synth:word@0.3"]["flagged_at_1pct_fpr"]
    add("recall synth word@0.3 at 1% FPR threshold", r_thr, ">= 90%", r_thr >= 0.9)
    r_thr2 = doc["unspin"]["real_pairs:word"]["flagged_at_1pct_fpr"]
    add("recall real word pairs at 1% FPR threshold", r_thr2, ">= 90%", r_thr2 >= 0.9)
    assert rw.prf and rw.restore
    add("phrase F1 real word pairs (overlap)", rw.prf.f1, ">= 0.70", rw.prf.f1 >= 0.7, pct=False)
    add("restored substituted words, real word pairs", rw.restore.restored_share, ">= 50%", rw.restore.restored_share >= 0.5)
    sp = spd.get("docs_per_cpu_second", math.nan)
    add("docs/s per core, 5 KB articles", sp, ">= 50", sp >= 50, pct=False)
    table("Targets of issue 3 (unspin)", ["target", "measured", "goal", "status"], rows,
          f"clean_only FPR (verdict): {fmt(u['clean:clean_only'].flagged, pct=True)}; "
          f"held-out tortured restored: {fmt(tort.get('unspin', {}).get('held-out', {}).get('restored'), pct=True)}.")
    out["targets"] = {r[0]: {"measured": r[1], "goal": r[2], "status": r[3]} for r in rows}


# --- the gate -----------------------------------------------------------------------------


def gate(write: bool, command: str, moby: bool = False) -> int:
    from unspin.config import Config

    data = ek.gate_data()
    t = time.time()
    with tempfile.TemporaryDirectory() as folder:
        measured = ek.gate_metrics(ek.Unspin(Config(use_moby=moby)), data,
                                   ek.unspin_with_list(data.tortured_dev, folder, moby))
    fp = data.fingerprint()
    rows = [[k, fmt(v)] for k, v in measured.items()]
    table(f"Gate metrics ({time.time() - t:.0f}s; fingerprint {fp[:16]}...)", ["metric", "measured"], rows)
    if write:
        ek.write_floors(
            FLOORS, measured, fp, command=command, commit=git_commit(),
            about="Floors of the detection gate (tests/test_detect_gate.py): each metric must stay >= its floor. "
                  "Floors are the measured value minus a small margin (bench/evalkit.py GATE_MARGINS); raise them "
                  "as the engine improves, lower them only in a commit that says why.",
            subset=f"first {ek.GATE_BBC_DOCS} BBC test articles, their 30% word spins (seed {ek.GATE_SEED}), "
                   f"all real pairs, {len(data.tortured)} held-out tortured phrases, the first "
                   f"{len(data.tortured_dev)} dev ones with those imported as a lexicon",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
