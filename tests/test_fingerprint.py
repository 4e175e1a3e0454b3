"""Skeleton fingerprints: what the skeleton keeps, robustness to synonym swaps, winnowing."""

from __future__ import annotations

import pytest

from unspin.fingerprint import Fingerprinter, _stable_hash
from unspin.synth import spin

ARTICLE = (
    "The committee in Rotterdam said on Monday that 3,400 households would receive the new payment. "
    "It was the first time that the scheme had been offered to families outside the capital, and "
    "officials expect most of them to apply before the end of June. According to the report, the "
    "cost of the programme will rise to 48 million euros by 2027, although the minister has said "
    "that the money is already set aside. Critics argue that the rules are too complicated for "
    "older people, who often do not have access to the internet at home. "
) * 2


@pytest.fixture(scope="module")
def fp() -> Fingerprinter:
    return Fingerprinter()


def test_skeleton_keeps_function_words_numbers_and_names(fp: Fingerprinter) -> None:
    sk = fp.skeleton("The committee in Rotterdam said on Monday that 3,400 households would receive it.")
    assert sk[:4] == ["the", "*", "in", "rotterdam"]
    assert "3" in sk and "400" in sk
    assert "committee" not in sk and "households" not in sk  # words a thesaurus offers synonyms for
    assert "*" in sk and "**" not in "".join(sk)  # runs of swappable words collapse to one gap
    assert not any(a == b == "*" for a, b in zip(sk, sk[1:], strict=False))


def test_invisible_characters_and_lookalike_letters_change_no_fingerprint(fp: Fingerprinter) -> None:
    """Zero-width spaces and soft hyphens slipped into a copy's words, or Cyrillic letters for
    Latin ones (to get it past duplicate checks), leave its fingerprints those of the plain text."""
    hidden = ARTICLE.replace("Rotterdam", "Rotter\u200bdam").replace("committee", "com\u00admittee")
    hidden = hidden.replace("the capital", "the \u2060capital").replace("June", "Ju\u200dne")
    assert hidden != ARTICLE
    assert fp.skeleton(hidden) == fp.skeleton(ARTICLE)
    a, b = fp.fingerprints(hidden), fp.fingerprints(ARTICLE)
    assert a.hashes.tolist() == b.hashes.tolist() and a.skeleton_length == b.skeleton_length
    # and so do Cyrillic or Greek letters drawn like the Latin ones they replace
    masked = ARTICLE.replace("committee", "c\u043emmittee").replace("households", "h\u03bfuseholds")
    masked = masked.replace("Rotterdam", "R\u043etterd\u0430m").replace("said", "s\u0430id")
    assert masked != ARTICLE and fp.skeleton(masked) == fp.skeleton(ARTICLE)
    a, b = fp.fingerprints(masked), fp.fingerprints(ARTICLE)
    assert a.hashes.tolist() == b.hashes.tolist()


def test_is_mutable(fp: Fingerprinter) -> None:
    assert fp.is_mutable("begin") and fp.is_mutable("damage")
    assert not fp.is_mutable("the")
    assert not fp.is_mutable("rotterdam")


def test_batch_equals_one_by_one(fp: Fingerprinter) -> None:
    texts = [ARTICLE, "Short text.", "", ARTICLE[:300], "The " * 40]
    many = fp.fingerprints_many(texts)
    for text, got in zip(texts, many, strict=True):
        one = fp.fingerprints(text)
        assert got.hashes.tolist() == one.hashes.tolist()
        assert got.skeleton_length == one.skeleton_length


def test_hashes_are_stable_and_bounded(fp: Fingerprinter) -> None:
    # the same value on every machine and in every process (no Python hash())
    assert _stable_hash("the") == 832785380237047447
    h = fp.fingerprints(ARTICLE).hashes
    assert len(h) > 0 and (h >= 0).all() and (h < 2**47).all()
    assert h.tolist() == sorted(set(h.tolist()))


@pytest.mark.parametrize("rate", [0.3, 0.4])
def test_spun_copy_keeps_most_fingerprints(fp: Fingerprinter, rate: float) -> None:
    original = set(fp.fingerprints(ARTICLE).hashes.tolist())
    spun_text = spin(ARTICLE, rate, style="word", seed=3).text
    assert spun_text != ARTICLE
    spun = set(fp.fingerprints(spun_text).hashes.tolist())
    assert len(original & spun) >= 0.8 * len(original)


def test_winnowing_guarantee_on_shared_run(fp: Fingerprinter) -> None:
    # a shared run of n + w - 1 skeleton tokens always yields a shared fingerprint
    shared = ARTICLE[:400]
    a = "Completely different opening words about gardening and tulips. " + shared
    b = shared + " Then an unrelated ending about football, goals and the weather in Leeds."
    assert len(fp.skeleton(shared)) >= fp.n + fp.w - 1
    common = set(fp.fingerprints(a).hashes.tolist()) & set(fp.fingerprints(b).hashes.tolist())
    assert common


def test_short_and_empty_texts(fp: Fingerprinter) -> None:
    assert len(fp.fingerprints("")) == 0
    assert len(fp.fingerprints("Hello.")) == 0  # fewer skeleton tokens than n
    few = "It was the end of it all."
    assert fp.n <= len(fp.skeleton(few)) < fp.n + fp.w - 1
    assert len(fp.fingerprints(few)) == 1  # fewer than w n-grams: the smallest one is kept


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Fingerprinter(n=0)
    with pytest.raises(ValueError, match="window"):
        Fingerprinter(w=0)
