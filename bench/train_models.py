"""Fit the finding model and the document model of unspin's detector.

    python bench/train_models.py [--docs 250] [--write]

Data: the BBC *train* part of ``bench/evalkit.bbc_split()`` (never the test
part, never the real spun pages) and synthetic spins of it by
``unspin.synth.spin`` at rates 0.1-0.4 in all styles but ``moby`` and ``common`` (see TRAIN_STYLES).

1. Finding model: every decoded finding (all confidences) on clean and spun
   documents, labelled 1 when it overlaps a true edit; logistic regression on
   the features in ``Finding.signals``.
2. Document model: logistic regression on ``Report.features`` of clean
   documents (label 0) and their spins (label 1), computed with the new
   finding model.

With ``--write`` the models go to ``src/unspin/data/{finding,doc}_model.json``.
Prints held-out (last quarter of the documents) AUC and accuracy for both.

With ``--doc-only`` only the document model is fitted, over the packaged
finding model (to add a document feature without refitting the finding model).

With ``--moby`` only the finding model used with ``Config(use_moby=True)`` is
fitted (``finding_model_moby.json``): the documents are decoded with the Moby
candidates and spun in every style, ``moby`` included, so that the model
learns how far a Moby finding can be trusted.  The document model is shared:
Moby findings do not count towards it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit  # noqa: E402
from unspin.config import Config  # noqa: E402
from unspin.detect import Engine, LogisticModel  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "src" / "unspin" / "data"
FINDING_FEATURES = [
    "lm_gain", "channel_prior", "fit", "spun_unigram", "original_unigram",
    "lexicon", "related", "span_words", "candidates", "embedding", "similarity",
    "topic_gain", "function", "moby",
]
DOC_FEATURES = [
    "finding_rate", "strong_rate", "confidence_mass", "mean_confidence",
    "gain1_rate", "gain2_rate", "isolated", "function_excess",
]
RATES = (0.1, 0.2, 0.3, 0.4)
# Every synthetic style but "moby", which bench/detect.py keeps as a held-out thesaurus the
# models were not fitted to.  Fitted on, its spins (little of which the detector can see) made
# the document model flag clean text more readily: with the Moby candidates on, 73% recall on
# 10% word spins at a 1% false-positive rate against 79% without them (bench/verdict_threshold.py).
# "common" (added later, from the real pairs' spinners) is held out likewise: it measures how
# far the models carry to spinners that write everyday words.
TRAIN_STYLES = tuple(s for s in evalkit.FIT_STYLES if s != "moby")
MOBY_STYLES = evalkit.FIT_STYLES  # --moby: moby included


def corpus(n: int, styles: tuple[str, ...] = TRAIN_STYLES) -> list[evalkit.Doc]:
    train = list(evalkit.bbc_split().train)[: 2 * n]
    clean, to_spin = train[:n], train[n : 2 * n]
    spun = []
    rng = random.Random(7)
    for k, d in enumerate(to_spin):
        style, rate = styles[k % len(styles)], rng.choice(RATES)
        spun.extend(evalkit.synthetic([d], rate, style, seed=k))
    docs = clean + spun
    random.Random(11).shuffle(docs)
    return docs


def overlaps(f_start: int, f_end: int, edits: tuple[evalkit.Edit, ...] | None) -> bool:
    return any(f_start < e.end and e.start < f_end for e in edits or () if e.end > e.start)


def finding_data(engine: Engine, docs: list[evalkit.Doc]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels (1: overlaps a true edit) and document index of every finding
    ``engine`` decodes in ``docs`` (give it ``finding_threshold=0.0`` to keep them all)."""
    rows, labels, doc_of = [], [], []
    for k, d in enumerate(docs):
        for f in engine.check(d.text).findings:
            rows.append([float(f.signals[n]) for n in FINDING_FEATURES])
            labels.append(1 if d.label and overlaps(f.start, f.end, d.edits) else 0)
            doc_of.append(k)
    return np.array(rows), np.array(labels), np.array(doc_of)


def doc_data(engine: Engine, docs: list[evalkit.Doc]) -> tuple[np.ndarray, np.ndarray]:
    """Document features and labels of ``docs`` as ``engine`` (and its finding model) sees them."""
    feats = [[float(engine.check(d.text).features.get(n, 0.0)) for n in DOC_FEATURES] for d in docs]
    return np.array(feats), np.array([d.label for d in docs])


def as_model(model: dict) -> LogisticModel:
    """The engine's form of a model :func:`fit` returned."""
    return LogisticModel(model["weights"], model["bias"], model["mean"], model["scale"])


def fit(
    x: np.ndarray, y: np.ndarray, names: list[str], fmt: str, clean_weight: float = 1.0
) -> tuple[dict, LogisticRegression]:
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    n0, n1 = int((y == 0).sum()), int((y == 1).sum())
    weights = {0: clean_weight * len(y) / (2 * n0), 1: len(y) / (2 * n1)}  # balanced, then clean weighed up
    clf = LogisticRegression(C=1.0, max_iter=2000, class_weight=weights)
    clf.fit((x - mean) / scale, y)
    model = {
        "format": fmt,
        "trained": time.strftime("%Y-%m-%d"),
        "command": "python bench/train_models.py " + " ".join(sys.argv[1:]),
        "bias": float(clf.intercept_[0]),
        "weights": {k: float(w) for k, w in zip(names, clf.coef_[0], strict=True)},
        "mean": {k: float(v) for k, v in zip(names, mean, strict=True)},
        "scale": {k: float(v) for k, v in zip(names, scale, strict=True)},
    }
    return model, clf


def evaluate(name: str, clf: LogisticRegression, model: dict, x: np.ndarray, y: np.ndarray, names: list[str]) -> None:
    mean = np.array([model["mean"][k] for k in names])
    scale = np.array([model["scale"][k] for k in names])
    p = clf.predict_proba((x - mean) / scale)[:, 1]
    print(f"{name}: held-out n={len(y)} positives={int(y.sum())} AUC={roc_auc_score(y, p):.3f} "
          f"accuracy@0.5={((p >= 0.5) == y).mean():.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=250, help="clean documents (and as many spun ones)")
    ap.add_argument("--clean-weight", type=float, default=2.0,
                    help="weight of a clean document against a spun one in the document model: the "
                         "probability is calibrated for a corpus with this many clean texts per spun one")
    ap.add_argument("--write", action="store_true", help="write the models into the package")
    ap.add_argument("--doc-only", action="store_true",
                    help="fit only the document model, over the packaged finding model (for a new "
                         "document feature, without refitting the finding model too)")
    ap.add_argument("--moby", action="store_true",
                    help="fit only the finding model used with Config.use_moby (finding_model_moby.json), "
                         "decoding with the Moby candidates, on spins in every style, moby included")
    args = ap.parse_args()
    if args.doc_only and args.moby:
        ap.error("--doc-only and --moby exclude each other: the Moby engine has no document model of its own")
    docs = corpus(args.docs, MOBY_STYLES if args.moby else TRAIN_STYLES)
    cut = len(docs) * 3 // 4
    # every decoded finding, whatever its confidence
    engine = Engine(Config(finding_threshold=0.0, use_moby=args.moby))
    if not args.doc_only:
        t = time.time()
        x, y, doc_idx = finding_data(engine, docs)
        print(f"finding data: {len(y)} findings from {len(docs)} documents in {time.time() - t:.0f}s")
        tr, te = doc_idx < cut, doc_idx >= cut
        finding_model, clf = fit(x[tr], y[tr], FINDING_FEATURES, "unspin-finding-model 1")
        evaluate("finding model", clf, finding_model, x[te], y[te], FINDING_FEATURES)
        print("finding weights:", {k: round(v, 2) for k, v in finding_model["weights"].items()})
        if args.write:
            name = "finding_model_moby.json" if args.moby else "finding_model.json"
            (DATA / name).write_text(json.dumps(finding_model, indent=1) + "\n", encoding="utf-8")
            print(f"wrote {DATA / name}")
        if args.moby:
            return  # the document model is the default one: Moby findings are not counted
        # document features come from every decoded finding, scored by the new finding model
        engine.finding_model = as_model(finding_model)
    xd, yd = doc_data(engine, docs)
    doc_model, dclf = fit(xd[:cut], yd[:cut], DOC_FEATURES, "unspin-doc-model 1", args.clean_weight)
    evaluate("document model", dclf, doc_model, xd[cut:], yd[cut:], DOC_FEATURES)
    print("document weights:", {k: round(v, 2) for k, v in doc_model["weights"].items()})
    if args.write:
        (DATA / "doc_model.json").write_text(json.dumps(doc_model, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {DATA / 'doc_model.json'}")


if __name__ == "__main__":
    main()
