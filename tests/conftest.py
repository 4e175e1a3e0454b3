from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("UNSPIN_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared evaluation data not found at {SHARED_DATA} (set UNSPIN_DATA)")
    return SHARED_DATA


def build_demo_index(db: Path) -> None:
    """An index holding the demo article and an unrelated text (both written by the unspin team)."""
    from unspin import demo
    from unspin.index import Index

    with Index(str(db)) as index:
        assert index.add([(demo.ARTICLE_ID, demo.ARTICLE), ("school-choir", demo.UNRELATED)]).added == 2
