from __future__ import annotations

import pytest

from unspin.detect import Engine
from unspin.resources import default_resources
from unspin.spelling import Speller, american_variant


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(default_resources())


@pytest.mark.parametrize(
    ("british", "american"),
    [("organisation", "organization"), ("realised", "realized"), ("colour", "color"), ("defence", "defense"),
     ("centre", "center"), ("travelled", "traveled"), ("analyse", "analyze"), ("programme", "program"),
     ("favourite", "favorite"), ("catalogue", "catalog")],
)
def test_british_spellings_map_to_the_american_the_model_knows(speller: Speller, british: str, american: str) -> None:
    assert speller.american(british) == american
    assert speller.same_word(british, american) and speller.same_word(american, british)


@pytest.mark.parametrize("word", ["four", "hour", "tour", "rise", "promise", "exercise", "fence", "since", "pulled",
                                  "killed", "called", "acre", "noise", "wise", "otherwise", "franchise"])
def test_lookalikes_are_left_alone(speller: Speller, word: str) -> None:
    # the rules propose a variant for some of these ("rize", "hor"); the resources reject it
    assert speller.american(word) == word
    assert not speller.same_word(word, american_variant(word) or word + "x")


def test_british_text_is_not_flagged_for_its_spelling() -> None:
    engine = Engine()
    text = (
        "The organisers said the programme would be analysed by the defence ministry, which had "
        "realised that the centre's colour scheme and its travelling exhibition needed reorganising "
        "before the festival opened to visitors in the autumn."
    )
    for f in engine.check(text).findings:
        assert not engine.speller.same_word(f.text.lower(), f.original.lower()), f
