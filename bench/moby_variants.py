"""How many Moby thesaurus candidates the detector should take: one variant per run.

    python bench/moby_variants.py --candidates 3 --min-sim 0.4
    python bench/moby_variants.py --no-moby

For the given setting of ``unspin.detect.MOBY_*`` (or without Moby
candidates), this fits both models as ``bench/train_models.py`` does (the
first 500 BBC *train* articles and its training styles) without writing
them, then measures with them:

* clean BBC train articles 500..800 (never used to fit): the share scoring at
  or above 0.5 and 0.6, and the score that flags 1% of them;
* synthetic spins of BBC train articles 800..860 (word at 10%, moby at 10%
  and 30%, neighbour at 20%): recall at 0.6 and at that 1% threshold, AUC;
* the real word-spinner pairs of ``../shared/data``: each spun page's and
  original's score, the share of substituted words restored and of untouched
  words wrongly changed.

Prints one JSON object; compare variants by running them side by side (each
takes about ten minutes of one core).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit as ek  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", type=int, help="MOBY_CANDIDATES")
    ap.add_argument("--min-sim", type=float, help="MOBY_MIN_SIM")
    ap.add_argument("--prior", type=float, help="MOBY_PRIOR")
    ap.add_argument("--both-ways", type=float, help="MOBY_BOTH_WAYS")
    ap.add_argument("--no-moby", action="store_true", help="no Moby candidates at all")
    ap.add_argument("--docs", type=int, default=250, help="clean training documents (and as many spun ones)")
    args = ap.parse_args(argv)
    if ek.data_missing():
        return 2

    import train_models as tm
    import unspin.detect as detect
    from unspin.config import Config

    for name, value in (("MOBY_CANDIDATES", args.candidates), ("MOBY_MIN_SIM", args.min_sim),
                        ("MOBY_PRIOR", args.prior), ("MOBY_BOTH_WAYS", args.both_ways)):
        if value is not None:
            setattr(detect, name, value)
    use_moby = not args.no_moby
    t0 = time.time()
    docs = tm.corpus(args.docs)
    engine = detect.Engine(Config(finding_threshold=0.0, use_moby=use_moby))
    x, y, _ = tm.finding_data(engine, docs)
    fm, _ = tm.fit(x, y, tm.FINDING_FEATURES, "unspin-finding-model 1")
    engine.finding_model = tm.as_model(fm)
    xd, yd = tm.doc_data(engine, docs)
    dm, _ = tm.fit(xd, yd, tm.DOC_FEATURES, "unspin-doc-model 1", 2.0)
    ev = detect.Engine(Config(use_moby=use_moby))
    ev.finding_model = engine.finding_model
    ev.doc_model = tm.as_model(dm)
    print(f"models fitted in {time.time() - t0:.0f}s", file=sys.stderr)

    train = list(ek.bbc_split().train)
    clean = [ev.check(d.text).spun_probability for d in train[500:800]]
    threshold = ek.threshold_for_fpr(clean, 0.01)
    out: dict[str, object] = {
        "setting": {k: getattr(detect, k) for k in ("MOBY_CANDIDATES", "MOBY_MIN_SIM", "MOBY_PRIOR", "MOBY_BOTH_WAYS")}
        if use_moby else "no moby",
        "clean>=0.5": ek.share(p >= 0.5 for p in clean),
        "clean>=0.6": ek.share(p >= 0.6 for p in clean),
        "threshold_1pct": threshold,
    }
    for style, rate in (("word", 0.1), ("moby", 0.1), ("moby", 0.3), ("neighbour", 0.2)):
        probs = [ev.check(d.text).spun_probability for d in ek.synthetic(train[800:860], rate, style, seed=5)]
        out[f"{style}@{rate}"] = {
            "recall@0.6": ek.share(p >= 0.6 for p in probs),
            "recall@1pct": ek.share(p >= threshold for p in probs),
            "auc": ek.roc_auc(probs, clean),
        }
    counts = ek.RestoreCounts()
    pairs, originals = [], []
    for spun, orig in ek.real_pairs():
        if spun.style != "word":
            continue
        report = ev.check(spun.text)
        pairs.append(round(report.spun_probability, 3))
        originals.append(round(ev.check(orig.text).spun_probability, 3))
        counts.add(ek.restoration_counts(orig.text, spun.text, report.restored, spun.edits or ()))
    out.update(real_pairs=pairs, real_originals=originals,
               restored=counts.restored_share, broken=counts.broken_share, seconds=round(time.time() - t0))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
