"""A quick development check of a decoder change, on data the benchmark does not report.

    python bench/dev_eval.py [--set detect.PRESELECT=5 ...] [--threshold 0.4] [--offset 500]
                             [--docs 40] [--rate 0.2] [--tortured 300] [--jobs 2] [--json FILE]

``bench/detect.py`` reports on the BBC *test* split; tuning the engine on it
would leave no honest figure.  This script measures on training-side data
instead, in about a minute:

* ``--docs`` BBC *train* articles from ``--offset`` on (by default after the
  first 500, which ``bench/train_models.py`` fits the models on), clean and
  spun at ``--rate`` in the ``word``, ``moby``, ``loose``, ``neighbour`` and
  ``common`` styles (seed 7);
* the real word-spinner pairs (a development set too: read them, do not tune
  on them alone);
* the first ``--tortured`` phrases of the *dev* part of the tortured-phrase
  list (never the held-out part) in the benchmark's carrier sentence.

``--set MODULE.NAME=VALUE`` overrides a constant of ``unspin.detect`` or
``unspin.candidates`` for this run (the candidate store is off, so stored
candidates never mix runs); ``--threshold`` sets ``Config.finding_threshold``.
Run it before and after a change and compare the tables: restored words
against words wrongly changed, phrase F1, findings per clean article.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit as ek  # noqa: E402

STYLES = ("word", "moby", "loose", "neighbour", "common")
SEED = 7


def override(assignments: list[str]) -> None:
    """Apply ``module.NAME=VALUE`` settings to unspin.detect / unspin.candidates."""
    import unspin.candidates
    import unspin.detect

    modules = {"detect": unspin.detect, "candidates": unspin.candidates}
    for item in assignments:
        target, sep, value = item.partition("=")
        mod_name, dot, name = target.partition(".")
        if not sep or not dot or mod_name not in modules:
            raise SystemExit(f"--set {item!r}: expected detect.NAME=VALUE or candidates.NAME=VALUE")
        mod = modules[mod_name]
        if not hasattr(mod, name):
            raise SystemExit(f"--set {item!r}: unspin.{mod_name} has no {name}")
        old = getattr(mod, name)
        if isinstance(old, bool):
            new: Any = value.lower() in ("1", "true", "yes")
        elif isinstance(old, (int, float)):
            new = type(old)(value)
        else:
            raise SystemExit(f"--set {item!r}: only numbers and booleans can be set")
        setattr(mod, name, new)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE",
                    help="override a constant of unspin.detect or unspin.candidates (repeatable)")
    ap.add_argument("--threshold", type=float, default=None, help="Config.finding_threshold (default: the engine's)")
    ap.add_argument("--offset", type=int, default=500, help="first BBC train article used (default 500)")
    ap.add_argument("--docs", type=int, default=40, help="BBC train articles (default 40)")
    ap.add_argument("--rate", type=float, default=0.2, help="spin rate of the synthetic sets (default 0.2)")
    ap.add_argument("--tortured", type=int, default=300, help="dev tortured phrases (default 300)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)
    if ek.data_missing():
        return 2
    os.environ["UNSPIN_CACHE"] = "off"  # no stored candidates from another setting
    override(args.set)
    from unspin.config import Config

    config = Config(cache_candidates=False) if args.threshold is None else Config(
        cache_candidates=False, finding_threshold=args.threshold)
    train = ek.bbc_split().train[args.offset : args.offset + args.docs]
    if len(train) < args.docs:
        print(f"only {len(train)} BBC train articles from {args.offset}", file=sys.stderr)
        return 2
    sets: dict[str, list[ek.Doc]] = {"clean": list(train)}
    for style in STYLES:
        sets[f"{style}@{args.rate}"] = ek.synthetic(train, args.rate, style, SEED)
    sets["real word pairs"] = [s for s, _ in ek.real_pairs() if s.style == "word"]
    dev, _ = ek.tortured_split()
    rows = dev[: args.tortured]

    t = time.time()
    system = ek.Unspin(config)
    labelled = [(name, d) for name, docs in sets.items() for d in docs]
    carriers = [ek.Doc(f"tortured{i}", ek.tortured_case(r)[0], 1, "tortured", "tortured") for i, r in enumerate(rows)]
    outs = ek.run_system(system, [d for _, d in labelled] + carriers, jobs=args.jobs)
    doc_outs, tort_outs = outs[: len(labelled)], outs[len(labelled) :]

    by_set: dict[str, tuple[list[ek.Doc], list[ek.Outcome]]] = {}
    for (name, d), o in zip(labelled, doc_outs, strict=True):
        by_set.setdefault(name, ([], []))
        by_set[name][0].append(d)
        by_set[name][1].append(o)
    clean_probs = [o.probability for o in by_set["clean"][1]]
    result: dict[str, Any] = {"settings": args.set, "threshold": config.finding_threshold, "sets": {}}
    print(f"dev check: {' '.join(args.set) or 'engine as it is'}; finding threshold {config.finding_threshold}; "
          f"BBC train [{args.offset}:{args.offset + args.docs}]; {time.time() - t:.0f}s")
    head = f"{'set':18} {'flagged':>8} {'AUC':>6} {'P':>6} {'R':>6} {'F1':>6} {'restored':>9} {'broken':>7} {'chrF+':>6}"
    print(head)
    print("-" * len(head))
    for name, (docs, outs_) in by_set.items():
        sc = ek.score_set(docs, outs_)
        row: dict[str, float] = {"flagged": sc.flagged}
        if name == "clean":
            row["findings_per_doc"] = sum(len(o.findings) for o in outs_) / len(outs_)
            print(f"{name:18} {sc.flagged:8.1%}   (findings per article {row['findings_per_doc']:.2f})")
        else:
            row["auc"] = ek.roc_auc([o.probability for o in outs_], clean_probs)
            assert sc.prf and sc.restore
            row.update(precision=sc.prf.precision, recall=sc.prf.recall, f1=sc.prf.f1,
                       restored=sc.restore.restored_share, broken=sc.restore.broken_share,
                       chrf_gain=sc.chrf_restored - sc.chrf_spun)
            print(f"{name:18} {sc.flagged:8.1%} {row['auc']:6.3f} {row['precision']:6.3f} {row['recall']:6.3f} "
                  f"{row['f1']:6.3f} {row['restored']:9.1%} {row['broken']:7.1%} {row['chrf_gain']:6.2f}")
        result["sets"][name] = row
    restored = ek.share(ek.tortured_ok(o.restored, r) for o, r in zip(tort_outs, rows, strict=True))
    changed = ek.share(ek.carrier_changed(o.restored) for o in tort_outs)
    result["sets"]["tortured dev"] = {"restored": restored, "carrier_changed": changed}
    print(f"{'tortured dev':18} restored {restored:.1%} of {len(rows)}, carrier changed {changed:.1%}")
    print("flagged: verdict 'spun'; AUC against the clean articles; P/R/F1: findings overlapping true edits;\n"
          "restored: substituted words given back; broken: untouched words changed; chrF+: chrF gain of restoring")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
