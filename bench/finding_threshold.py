"""How a finding's confidence is weighed and cut: phrase F1 on spins against noise on clean text.

    python bench/finding_threshold.py [--docs 10] [--rate 0.2]

Training data only: the BBC *train* split of ``bench/evalkit.bbc_split()``,
``--docs`` articles per synthetic style spun at ``--rate``, and 40 further
clean train articles.  Each text is decoded once with every finding kept;
then, for each document-weight floor ``a`` and threshold ``t``, a finding
stays when ``1 - (1 - language * (a + (1 - a) * p)) * (1 - lexicon) >= t``
(``p`` the document's spun probability), as in ``unspin.detect``.  Prints
phrase precision, recall and F1 on the spins and findings per 1,000 words on
the clean texts.  The engine's choice (``DOC_WEIGHT_FLOOR``,
``Config.finding_threshold``) is marked with ``*``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit as ek  # noqa: E402

_engine: Any = None


def _decode(text: str) -> tuple[float, list[tuple[int, int, str, float, float]]]:
    global _engine
    from unspin.candidates import lexicon_evidence
    from unspin.config import Config
    from unspin.detect import Engine

    if _engine is None:
        _engine = Engine(Config(finding_threshold=0.0))
    r = _engine.check(text)
    return r.spun_probability, [
        (f.start, f.end, f.original, float(f.signals["language_confidence"]),
         lexicon_evidence(float(f.signals["lexicon_count"])))
        for f in r.findings
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10, help="articles per synthetic style (default 10)")
    ap.add_argument("--rate", type=float, default=0.2, help="share of words spun (default 0.2)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = ap.parse_args(argv)
    if ek.data_missing():
        return 2
    from unspin.config import DEFAULT_CONFIG
    from unspin.detect import DOC_WEIGHT_FLOOR

    train = list(ek.bbc_split().train)
    spun: list[ek.Doc] = []
    for k, style in enumerate(ek.FIT_STYLES):
        spun += ek.synthetic(train[500 + k * args.docs : 500 + (k + 1) * args.docs], args.rate, style, seed=9)
    start = 500 + len(ek.FIT_STYLES) * args.docs
    clean = train[start : start + 40]
    with mp.Pool(args.jobs) as pool:
        out = pool.map(_decode, [d.text for d in spun + clean])
    o_spun, o_clean = out[: len(spun)], out[len(spun) :]
    words = sum(len(d.text.split()) for d in clean)
    print(f"{len(spun)} spun ({args.rate:.0%}, {len(ek.FIT_STYLES)} styles) and {len(clean)} clean BBC-train articles")
    print(f"{'floor a':>8} {'thresh t':>9} {'P':>6} {'R':>6} {'F1':>6} {'clean findings/1000 words':>26}")
    for a in (0.7, 0.6, 0.5, 0.4, 0.3):
        for t in (0.5, 0.45, 0.4, 0.35):
            def keep(p: float, fs: list[tuple[int, int, str, float, float]], a: float = a, t: float = t) -> list[Any]:
                w = a + (1 - a) * p
                return [x for x in fs if 1 - (1 - x[3] * w) * (1 - x[4]) >= t]

            prf = ek.PRF()
            for d, (p, fs) in zip(spun, o_spun, strict=True):
                prf.add(ek.phrase_scores([ek.Span(s, e, o) for s, e, o, _, _ in keep(p, fs)], d.edits or ()))
            noise = 1000 * sum(len(keep(p, fs)) for p, fs in o_clean) / words
            mark = "*" if abs(a - DOC_WEIGHT_FLOOR) < 1e-9 and abs(t - DEFAULT_CONFIG.finding_threshold) < 1e-9 else " "
            print(f"{a:>8.2f} {t:>9.2f} {prf.precision:>6.3f} {prf.recall:>6.3f} {prf.f1:>6.3f} {noise:>26.2f} {mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
