"""Function-word and connective swaps: the table, the detector's use of it, the spin style."""

from __future__ import annotations

import pytest

from unspin import Config
from unspin.detect import Engine
from unspin.errors import ResourceError
from unspin.function_phrases import FORMAT, FunctionPhrases, builtin_function_phrases
from unspin.synth import STYLES, spin

TEXT = (
    "Doctors say the disease is common in older people. When the pancreas makes too little "
    "insulin, blood sugar rises because the cells cannot use glucose. Many patients also have "
    "high blood pressure, so they need regular checks. About half of them do not know it."
)


def test_builtin_table_loads_both_ways() -> None:
    table = builtin_function_phrases()
    assert len(table) > 50 and table.max_len >= 5
    assert ("because",) in {s.original for s in table.originals(("on", "the", "grounds", "that"))}
    assert ("at", "the", "point", "when") in {s.spun for s in table.spun_forms(("when",))}
    assert all(s.prior <= 0.0 for v in table.by_spun.values() for s in v)
    assert table.first_words == {spun[0] for spun in table.by_spun} and "on" in table.first_words


@pytest.mark.parametrize(
    "text, message",
    [
        ("because\ton the grounds that\t0.5\n", "first line"),
        (f"{FORMAT}\non the grounds that\tbecause\n", "expected 3 tab-separated fields"),
        (f"{FORMAT}\non the grounds that\tbecause\tmuch\n", "not a number"),
        (f"{FORMAT}\non the grounds that\tbecause\t0\n", "weight outside"),
        (f"{FORMAT}\n\tbecause\t0.5\n", "empty phrase"),
    ],
)
def test_malformed_tables_are_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(ResourceError, match=message):
        FunctionPhrases.parse(text)


def test_comments_and_blank_lines_are_skipped() -> None:
    table = FunctionPhrases.parse(f"{FORMAT}\n# a comment\n\nwithin\tin\t0.2\n")
    assert len(table) == 1 and table.originals(("within",))[0].original == ("in",)


@pytest.mark.parametrize("style", STYLES)
def test_every_spin_style_logs_changes_that_replay(style: str) -> None:
    out = spin(TEXT, 0.4, style, seed=5)  # type: ignore[arg-type]
    assert out.changes, f"{style}: nothing changed at rate 0.4"
    for c in out.changes:
        assert TEXT[c.orig_start : c.orig_end] == c.original
        assert out.text[c.start : c.end] == c.spun
    # replaying the changes on the original gives the spun text
    rebuilt, pos = [], 0
    for c in out.changes:
        rebuilt += [TEXT[pos : c.orig_start], c.spun if c.kind == "substitute" else " " + c.spun]
        pos = c.orig_end
    assert "".join([*rebuilt, TEXT[pos:]]) == out.text


def test_function_style_swaps_function_words() -> None:
    table = builtin_function_phrases()
    out = spin(TEXT, 1.0, "function", seed=1)
    swapped = [c for c in out.changes if tuple(c.original.lower().split()) in table.by_original]
    assert len(swapped) >= 5  # because, when, also, so, about, many, ... all have spinner forms


def test_the_decoder_proposes_originals_of_function_phrases() -> None:
    engine = Engine(Config(finding_threshold=0.0))
    text = (
        "At the point when the organs become dynamic, the skin turns oily on the grounds that "
        "the pores are blocked by dead cells and dirt."
    )
    found = {f.text: f for f in engine.check(text).findings}
    assert found["At the point when"].original == "When"
    assert found["on the grounds that"].original == "because"
    assert found["on the grounds that"].signals["source"] == "function"  # the table, not the lexicon


def test_a_function_phrase_at_a_sentence_start_is_not_taken_for_a_name() -> None:
    engine = Engine(Config(finding_threshold=0.0))
    report = engine.check("In light of the fact that the rain fell all night, the roads were flooded by morning.")
    assert any(f.text == "In light of the fact that" and f.original == "Because" for f in report.findings)


def test_common_style_writes_everyday_words() -> None:
    # the "common" style draws its synonyms by how common they are, the "moby" style by
    # similarity: on the same text its replacements are the more frequent words
    from unspin.resources import default_resources

    lm = default_resources().lm

    def mean_unigram(style: str) -> float:
        words = [w for seed in range(4) for c in spin(TEXT, 0.5, style, seed=seed).changes  # type: ignore[arg-type]
                 for w in c.spun.lower().split()]
        assert words, style
        return sum(lm.logprob(w) for w in words) / len(words)

    assert mean_unigram("common") > mean_unigram("moby") + 0.3
