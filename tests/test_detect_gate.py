"""Quality gate of detection and restoration: pinned floors on a fixed, fingerprinted subset.

The subset (bench/evalkit.py ``gate_data``): the first 40 BBC test articles,
their 30% word spins, every real spun/original pair, every held-out
tortured phrase, and the first 200 dev ones checked with the dev phrases
imported as a lexicon (a screener's list), all read from ../shared/data at run time.  Each
metric of ``gate_metrics`` must stay at or above its floor in
tests/gates/detect_floors.json.  Raise floors when the engine improves:

    python bench/detect.py --write-floors

and commit the JSON; never lower a floor without saying why in the commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import evalkit as ek  # noqa: E402

FLOORS = Path(__file__).resolve().parent / "gates" / "detect_floors.json"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def floors() -> dict:
    return ek.read_floors(FLOORS)


@pytest.fixture(scope="module")
def gate_data() -> ek.GateData:
    if not ek.have_data():
        pytest.skip(f"shared evaluation data not found at {ek.data_dir()} (set {ek.DATA_ENV}); gate not run")
    return ek.gate_data()


@pytest.fixture(scope="module")
def measured(gate_data: ek.GateData, tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    listed = ek.unspin_with_list(gate_data.tortured_dev, tmp_path_factory.mktemp("list"))
    return ek.gate_metrics(ek.Unspin(), gate_data, listed)


def test_floors_file_is_complete(floors: dict) -> None:
    for name, entry in floors["metrics"].items():
        assert entry["floor"] <= entry["measured"], f"{name}: floor above the value it was measured at"
    assert floors["fingerprint"] and len(floors["fingerprint"]) == 64


def test_subset_fingerprint(gate_data: ek.GateData, floors: dict) -> None:
    assert len(gate_data.bbc) == ek.GATE_BBC_DOCS and gate_data.real and gate_data.tortured
    assert gate_data.fingerprint() == floors["fingerprint"], (
        "the gate's data subset changed (shared data files, the BBC split or the tortured split); "
        "if that is intended, re-measure with `python bench/detect.py --write-floors` and commit the floors"
    )


def test_metrics_at_or_above_floors(measured: dict[str, float], floors: dict) -> None:
    below = ek.below_floors(measured, floors)
    assert not below, "quality dropped below the pinned floors:\n" + "\n".join(below)
