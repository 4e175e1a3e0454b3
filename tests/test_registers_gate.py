"""Quality gate beyond news: pinned floors on the human prose of bench/data/registers.

131 honest texts of 17 registers and 27 hand-spun versions, written for unspin (their README says
how).  The share of everyday and of formal texts not called spun, of all not called spun at the
0.9 threshold, of the hand-spun ones called spun, and their findings' precision and recall must stay
at or above their floors in tests/gates/registers_floors.json.  Raise floors when unspin improves:

    python bench/registers.py --write-floors

and commit the JSON; never lower a floor without saying why in the commit.  The texts are part of
the repository, so this gate never skips.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import evalkit as ek  # noqa: E402
import registers  # noqa: E402  (bench/registers.py)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def floors() -> dict:
    return ek.read_floors(registers.FLOORS)


def test_subset_fingerprint(floors: dict) -> None:
    assert registers.gate_fingerprint() == floors["fingerprint"], (
        "the texts of bench/data/registers changed; if that is intended, re-measure with "
        "`python bench/registers.py --write-floors` and commit the floors"
    )


def test_metrics_at_or_above_floors(floors: dict) -> None:
    below = ek.below_floors(registers.gate_metrics(), floors)
    assert not below, "detection beyond news dropped below its pinned floors:\n" + "\n".join(below)
