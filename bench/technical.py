"""Technical prose at several verdict thresholds: what ``--spun-threshold`` buys on papers.

    python bench/technical.py [--thresholds 0.525,0.8,0.9,0.95,0.98]

The language model and the tuning know news; papers read more like library
documentation.  This prints, for each threshold, the share of clean technical
paragraphs called spun (the "test" half of ``evalkit.technical_prose``: the
docstring paragraphs of the installed numpy, scipy and scikit-learn) and the
share of their synthetic spins that are (30% and 10% word spins, 20% phrase
spins), beside the share of 200 BBC test articles called spun and how many of
the real spun pages of the development data are (the spun-only pages and the
spun side of the word-spinner pairs).  A threshold applies as the engine
applies ``Config.spun_threshold``: texts with fewer than
``Config.short_text_words`` content words keep at least
``Config.short_spun_threshold``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import evalkit as ek  # noqa: E402

DEFAULT_THRESHOLDS = "0.525,0.6,0.7,0.8,0.9,0.95,0.98"


def _scores(docs: Sequence[ek.Doc]) -> list[tuple[float, float] | None]:
    """(spun probability, content words) of each text; None where no verdict is given at all."""
    import unspin

    out: list[tuple[float, float] | None] = []
    for d in docs:
        r = unspin.check(d.text)
        out.append((r.spun_probability, r.features["content_words"]) if r.features else None)
    return out


def _called_spun(score: tuple[float, float] | None, threshold: float, config: Any) -> bool:
    """Whether a text of that score is called spun at ``threshold``, as the engine applies
    ``Config.spun_threshold`` (texts with fewer than ``short_text_words`` content words keep at
    least ``short_spun_threshold``)."""
    if score is None:
        return False
    prob, content = score
    needed = max(threshold, config.short_spun_threshold) if content < config.short_text_words else threshold
    return prob >= needed


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--thresholds", default=DEFAULT_THRESHOLDS, help=f"comma-separated (default {DEFAULT_THRESHOLDS})")
    args = ap.parse_args(argv)
    thresholds = [float(t) for t in args.thresholds.split(",")]
    from unspin import Config

    config = Config()
    technical = ek.technical_prose("test")
    if not technical:
        print("no technical prose: numpy, scipy and scikit-learn are not installed", file=sys.stderr)
        return 1
    sets = {
        "clean technical": technical,
        "30% word spins": ek.synthetic(technical, 0.3, "word", seed=0),
        "10% word spins": ek.synthetic(technical, 0.1, "word", seed=0),
        "20% phrase spins": ek.synthetic(technical, 0.2, "phrase", seed=0),
    }
    if ek.have_data():
        sets["BBC test"] = list(ek.bbc_split().test[:200])
        sets["real spun pages"] = [*ek.spun_only(), *(s for s, _ in ek.real_pairs() if s.style == "word")]
    scores = {name: _scores(docs) for name, docs in sets.items()}
    versions = ", ".join(f"{k} {v}" for k, v in ek.technical_versions().items())
    print(f"# technical prose: {len(technical)} docstring paragraphs ({versions})")
    print("threshold  " + "  ".join(f"{name} ({len(sets[name])})" for name in sets))
    for t in thresholds:
        cells = []
        for name in sets:
            flagged = sum(_called_spun(s, t, config) for s in scores[name])
            cells.append(f"{flagged}" if name == "real spun pages" else f"{flagged / len(sets[name]):.1%}")
        print(f"{t:9}  " + "  ".join(f"{c:>{len(name) + 5}}" for c, name in zip(cells, sets, strict=True)))
    print("(a cell: the share called spun, or for the real pages how many)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
