from __future__ import annotations

import pytest

from unspin.report import Finding, apply_findings, match_case


def test_apply_findings_replays_in_any_order() -> None:
    text = "The mayor stated the work would commence soon."
    f1 = Finding(10, 16, "stated", "said", 0.9)
    f2 = Finding(32, 40, "commence", "begin", 0.8)
    assert apply_findings(text, [f2, f1]) == "The mayor said the work would begin soon."


def test_apply_findings_rejects_mismatch_and_overlap() -> None:
    text = "abc def"
    with pytest.raises(ValueError, match="text there is"):
        apply_findings(text, [Finding(0, 3, "xyz", "q", 1.0)])
    with pytest.raises(ValueError, match="overlaps"):
        apply_findings(text, [Finding(0, 3, "abc", "q", 1.0), Finding(2, 5, "c d", "q", 1.0)])


def test_match_case() -> None:
    assert match_case("according to", "Inning accordance with") == "According to"
    assert match_case("said", "STATED") == "SAID"
    assert match_case("said", "stated") == "said"
    # a word shared with the spun phrase keeps its capitals there, but a capital that may only
    # start the sentence is not a name's
    assert match_case("fast fourier transform", "quick Fourier remodel") == "fast Fourier transform"
    assert match_case("fast fourier transform", "Quick Fourier remodel") == "Fast Fourier transform"
    assert match_case("nlp tools", "NLP instruments") == "NLP tools"
    assert match_case("type 1 diabetes", "Diabetes mellitus") == "Type 1 diabetes"


def test_apply_findings_refuses_spans_outside_the_text() -> None:
    import pytest

    text = "The mayor stated it."
    for start, end in ((10, 5), (-5, -1), (18, 40)):
        with pytest.raises(ValueError, match="lies outside the text"):
            apply_findings(text, [Finding(start, end, text[max(start, 0):end], "X", 0.9)])
