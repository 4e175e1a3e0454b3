"""Golden cases (tests/golden/cases.json): spun sentences, clean prose and human paraphrase."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import unspin

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "golden" / "cases.json").read_text(encoding="utf-8"))


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if "xfail" in case else []
        out.append(pytest.param(case, id=case["id"], marks=marks))
    return out


def test_cases_are_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    for c in CASES:
        assert c["kind"] in ("spun", "clean", "paraphrase")
        assert c["kind"] != "spun" or c["expect"]
        assert ("xfail" in c) == ("now" in c), c["id"]  # a known failure records how it fails
        for e in c.get("expect", []):
            assert e["text"] in c["text"], c["id"]


@pytest.mark.parametrize("case", _params())
def test_golden(case: dict[str, Any]) -> None:
    report = unspin.check(case["text"])
    assert unspin.apply_findings(case["text"], report.findings) == report.restored
    if "verdict_not" in case:
        assert report.verdict != case["verdict_not"], report
    if case["kind"] == "spun":
        got = {(f.text, f.original.lower()) for f in report.findings}
        for e in case["expect"]:
            assert (e["text"], e["original"].lower()) in got, sorted(got)
    else:
        assert report.findings == (), [(f.text, f.original, f.confidence) for f in report.findings]


@pytest.mark.parametrize("case", [c for c in CASES if "xfail" in c], ids=lambda c: c["id"])
def test_known_failures_fail_as_recorded(case: dict[str, Any]) -> None:
    """A known failure's findings as its case records them ("now"), so that a change in how it
    fails (its reason no longer true) is seen, not hidden behind the strict xfail."""
    report = unspin.check(case["text"])
    assert [[f.text, f.original] for f in report.findings] == case["now"]
