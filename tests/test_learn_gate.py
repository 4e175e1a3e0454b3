"""Quality gate of the learning loop: pinned floors on a fixed, fingerprinted subset.

A lexicon is learned from 30 BBC train articles spun in the ``moby`` style and
traced against an index of them and 30 others (bench/learn.py ``gate_metrics``);
other articles spun by that spinner must gain restored words from it, and clean
articles must not pay for it.  Each metric must stay at or above its floor in
tests/gates/learn_floors.json.  Raise floors when unspin improves:

    python bench/learn.py --write-floors

and commit the JSON; never lower a floor without saying why in the commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import evalkit as ek  # noqa: E402

FLOORS = Path(__file__).resolve().parent / "gates" / "learn_floors.json"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bench_learn():  # type: ignore[no-untyped-def]
    if not ek.have_data():
        pytest.skip(f"shared evaluation data not found at {ek.data_dir()} (set {ek.DATA_ENV}); gate not run")
    import learn as bench_learn  # bench/learn.py

    return bench_learn


@pytest.fixture(scope="module")
def floors() -> dict:
    return ek.read_floors(FLOORS)


def test_subset_fingerprint(bench_learn, floors: dict) -> None:  # type: ignore[no-untyped-def]
    assert bench_learn.gate_fingerprint() == floors["fingerprint"], (
        "the learning gate's data subset changed; if that is intended, re-measure with "
        "`python bench/learn.py --write-floors` and commit the floors"
    )


def test_metrics_at_or_above_floors(bench_learn, floors: dict, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    below = ek.below_floors(bench_learn.gate_metrics(tmp_path), floors)
    assert not below, "the learning loop dropped below its pinned floors:\n" + "\n".join(below)
