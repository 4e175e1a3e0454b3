"""The C inner loops of the decoder (unspin._speedups) against their Python reference.

``unspin.detect._gains`` and ``unspin.detect._beam`` are the specification; the C versions
must give the very same answers (same floats, same tie-breaks), since a build without the
extension must report exactly what a build with it reports.  Random segments with many
candidates, phrase candidates, lexicon candidates and tied costs exercise the preselection,
the beam's pruning and its tie-breaking.
"""

from __future__ import annotations

import os
import random

import pytest

from unspin import detect
from unspin.candidates import Candidate
from unspin.resources import default_resources

if os.environ.get("UNSPIN_REQUIRE_SPEEDUPS"):  # CI sets it: there the extension must have been built
    import unspin._speedups  # noqa: F401
else:
    pytest.importorskip("unspin._speedups", reason="the optional C extension is not built here")

VOCAB = (
    "the of and to a in said that for officials domestic dog residential puppy according "
    "accordance with inning stated plan spring work commence begin start mayor council "
    "large big huge data information artificial intelligence counterfeit consciousness "
    "people humans jobs roles noise sound qqzxv blorft"
).split()


def _fast():  # type: ignore[no-untyped-def]
    fast = default_resources().lm.fast_decoder
    if fast is None and os.environ.get("UNSPIN_REQUIRE_SPEEDUPS"):
        pytest.fail("the C extension is built but the language model does not use it")
    if fast is None:
        pytest.skip("the C language model is not in use (UNSPIN_PURE_PYTHON or a failed self-check)")
    return fast


def _candidates(rng: random.Random, n_left: int, count: int) -> list[Candidate]:
    out = []
    for _ in range(count):
        length = rng.choice([1, 1, 1, 2, 3])
        length = min(length, n_left)
        original = tuple(rng.choice(VOCAB) for _ in range(rng.choice([1, 1, 2, 3])))
        source = rng.choice(["thesaurus", "related", "embedding", "lexicon", "function"])
        prior = rng.choice([-0.5, -1.0, -1.5, -0.25 * rng.randint(0, 12)])
        count_ = rng.choice([0.0, 1.0, 3.0]) if source == "lexicon" else 0.0
        out.append(Candidate(length, original, prior, source, count_))
    return out


def _position(rng: random.Random) -> tuple[list[str], int, list[Candidate]]:
    """A random segment, a position in it and candidates there (up to three times PRESELECT)."""
    words = [rng.choice(VOCAB) for _ in range(rng.randint(1, 9))]
    i = rng.randrange(len(words))
    return words, i, _candidates(rng, len(words) - i, rng.randint(1, 3 * detect.PRESELECT))


def _rank_constants() -> tuple[object, ...]:
    return (detect.PRESELECT, detect.PRIOR_WEIGHT, detect.TOPIC_WEIGHT, detect.SUBSTITUTION_COST,
            detect.LOCAL_MARGIN, detect.MAX_CANDIDATES)


def test_gains_in_c_equal_the_python_reference() -> None:
    fast, lm = _fast(), default_resources().lm
    rng = random.Random(11)
    for _ in range(400):
        words, i, cands = _position(rng)
        assert fast.gains(words, i, cands, detect.PRESELECT, detect.PRIOR_WEIGHT) == detect._gains(lm, words, i, cands)


def test_rank_in_c_equals_the_python_reference() -> None:
    """Scoring, topic gains (one-word swaps from the score table, phrases through the callback),
    the sort, the margin and the cut, and the best counted one-word gain."""
    import numpy as np

    fast, lm = _fast(), default_resources().lm
    rng = random.Random(7)
    index = {w: r for r, w in enumerate(VOCAB[:-3])}  # the last words have no vector
    scores = np.array([rng.choice([-0.2, 0.0, 0.1, 0.35]) for _ in index], dtype=np.float32)

    def topic_gain(spun: list[str], original: tuple[str, ...]) -> float:
        return 0.01 * (len(original) - len(spun)) + 0.001 * len(original[0])

    constants = _rank_constants()
    for trial in range(400):
        words, i, cands = _position(rng)
        if trial % 5 == 0:  # the moby source is not counted in the best gain
            cands = [Candidate(c.length, c.original, c.prior, "moby", 0.0) for c in cands]

        def topic(spun: list[str], original: tuple[str, ...]) -> float:
            if len(spun) == 1 and len(original) == 1:
                a, b = index.get(original[0]), index.get(spun[0])
                return 0.0 if a is None or b is None else float(scores[a] - scores[b])
            return topic_gain(spun, original)

        want = detect._rank(lm, words, i, cands, topic)
        assert fast.rank(words, i, cands, constants, index, scores, topic_gain, detect.UNCOUNTED) == want
        # no document topic: every topic gain is 0.0 and the callback is never called
        want = detect._rank(lm, words, i, cands, lambda s, o: 0.0)
        assert fast.rank(words, i, cands, constants, index, None, None, detect.UNCOUNTED) == want


def test_beam_in_c_equals_the_python_reference() -> None:
    fast, lm = _fast(), default_resources().lm
    rng = random.Random(5)
    for _ in range(300):
        words = [rng.choice(VOCAB) for _ in range(rng.randint(1, 14))]
        edges: list[list[detect._Edge]] = []
        for i in range(len(words)):
            cands = _candidates(rng, len(words) - i, rng.choice([0, 0, 1, 2, 4, 6]))
            # few distinct topic gains and priors, so that paths tie now and then
            # now and then a certain edge (a curated pair no writer makes), which the path must take
            edges.append([detect._Edge(i, c, 0.0, rng.choice([0.0, 0.0, 0.1]), rng.random() < 0.03) for c in cands])
        assert detect._fast_beam(fast, words, edges) == detect._beam(lm, words, edges)


def test_the_beam_takes_a_certain_edge_whatever_the_language_model_says() -> None:
    """A certain edge is on the best path even where the words as written read far better,
    and of two overlapping ones the longer wins; in C as in Python."""
    fast, lm = _fast(), default_resources().lm
    words = ["he", "said", "that", "it", "was", "over"]
    odd = Candidate(1, ("qqzx",), -3.0, "lexicon", 3.0)  # an unknown word: reads badly anywhere
    edges: list[list[detect._Edge]] = [[] for _ in words]
    edges[1] = [detect._Edge(1, odd, -9.0)]
    assert detect._beam(lm, words, edges) == ()  # not certain: the words as written win
    edges[1] = [detect._Edge(1, odd, -9.0, 0.0, True)]
    chosen = detect._beam(lm, words, edges)
    assert [e.cand for e in chosen] == [odd]
    assert detect._fast_beam(fast, words, edges) == chosen
    short, long = Candidate(1, ("qq",), 0.0, "lexicon", 4.0), Candidate(2, ("zz",), 0.0, "lexicon", 4.0)
    edges = [[] for _ in words]
    edges[1] = [detect._Edge(1, long, 0.0, 0.0, True)]
    edges[2] = [detect._Edge(2, short, 0.0, 0.0, True)]
    chosen = detect._beam(lm, words, edges)
    assert [e.cand for e in chosen] == [long]
    assert detect._fast_beam(fast, words, edges) == chosen


def test_ties_keep_the_first_in_both() -> None:
    """Candidates that read alike (same words, same costs) tie; both loops keep the first,
    in the beam and in the preselection."""
    fast, lm = _fast(), default_resources().lm
    words = ["the", "residential", "puppy", "barked"]
    a = Candidate(1, ("domestic",), -1.0, "thesaurus")
    b = Candidate(1, ("domestic",), -1.0, "related")
    # a topic bonus large enough that the swap wins
    edges = [[], [detect._Edge(1, a, 0.0, 1.0), detect._Edge(1, b, 0.0, 1.0)], [], []]
    chosen = detect._beam(lm, words, edges)
    assert [e.cand for e in chosen] == [a]
    assert detect._fast_beam(fast, words, edges) == chosen
    # more tied states than the beam holds (unknown words all read alike): the pruning's
    # sort must be stable for the same path to come out
    odd = [Candidate(1, (f"qq{c}zx",), -1.0, "thesaurus") for c in "abcdefghij"]
    edges = [[], [detect._Edge(1, c, 0.0, 3.0) for c in odd], [], []]
    chosen = detect._beam(lm, words, edges)
    assert [e.cand for e in chosen] == [odd[0]]
    assert detect._fast_beam(fast, words, edges) == chosen
    same = [Candidate(1, ("domestic",), -1.0, src) for src in ["thesaurus", "related"] * detect.PRESELECT]
    kept = detect._gains(lm, words, 1, same)
    assert [k for k, _ in kept] == list(range(detect.PRESELECT))
    assert fast.gains(words, 1, same, detect.PRESELECT, detect.PRIOR_WEIGHT) == kept


def test_malformed_input_is_an_error_not_a_crash() -> None:
    fast = _fast()
    consts = (detect.SUBSTITUTION_COST, detect.PRIOR_WEIGHT, detect.TOPIC_WEIGHT, detect.CERTAIN_GAIN)
    with pytest.raises(ValueError):
        fast.beam(["a", "b"], [[]], 6, consts)  # one list of edges per word
    with pytest.raises(ValueError):  # runs past the segment
        fast.beam(["a", "b"], [[detect._Edge(0, Candidate(3, ("x",), 0.0, "thesaurus"), 0.0)], []], 6, consts)
    with pytest.raises(TypeError):  # an original must be a tuple
        fast.beam(["a"], [[detect._Edge(0, Candidate(1, ["x"], 0.0, "thesaurus"), 0.0)]], 6, consts)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):  # edges are _Edge objects
        fast.beam(["a"], [[(1, ("x",), 0.0, 0.0)]], 6, consts)
    with pytest.raises(IndexError):
        fast.gains(["a"], 3, [], 8, 0.5)
    with pytest.raises(TypeError):
        fast.logprob(3)


def test_settled_untracks_only_tuples_of_atoms() -> None:
    import gc

    from unspin._speedups import settled

    def fresh(*items: object) -> tuple[object, ...]:
        return tuple(list(items))  # made now, so tracked (constant tuples may be untracked already)

    atoms = fresh("word", fresh(fresh("a", 1), fresh("b", 2.5, None, True)), b"x")
    assert gc.is_tracked(atoms)
    assert settled(atoms) is atoms
    assert not gc.is_tracked(atoms) and not gc.is_tracked(atoms[1]) and not gc.is_tracked(atoms[1][0])
    holder = fresh("word", ["a list can take part in a cycle"])
    assert settled(holder) is holder and gc.is_tracked(holder)
    nested = fresh(fresh("a"), fresh("b", {"k": []}))
    settled(nested)
    assert not gc.is_tracked(nested[0]) and gc.is_tracked(nested[1]) and gc.is_tracked(nested)
    assert settled("text") == "text" and settled(3) == 3  # no container: returned as it is


def test_an_engine_keeps_its_caches_out_of_the_garbage_collectors_walk() -> None:
    """The candidates an engine caches, and its lookups' memos, are untracked: a full
    collection walked a quarter million of them (0.42 s after 120 articles) before."""
    import gc

    from unspin.config import Config

    _fast()  # skips where the C language model is not in use
    engine = detect.Engine(Config(cache_candidates=False))  # candidates worked out here, not read from a store
    engine.check(
        "The residential puppy is a tamed relative of the wolf. Professionals state that canines were "
        "the primary creatures to be tamed, and they have lived close by people for a great many years."
    )
    cached = [c for cands in engine._cand_cache.values() for c in cands]
    assert cached, "the check cached no candidates"
    assert not any(gc.is_tracked(c) for c in cached)
    assert not any(gc.is_tracked(cands) for cands in engine._cand_cache.values())
    assert not gc.is_tracked(engine._cand_cache)
    memo = engine.candidates.__dict__["_memo__originals"]
    assert memo and not gc.is_tracked(memo)


def test_rank_reads_any_candidate_by_its_names() -> None:
    """The C loop reads Candidate named tuples by position, having seen that their items are
    its fields in order; a candidate of another kind (fields in another order, or no tuple at
    all) is read by name, so every kind gets the same answer."""
    from dataclasses import dataclass
    from typing import NamedTuple

    class Reordered(NamedTuple):
        source: str
        prior: float
        original: tuple[str, ...]
        lexicon_count: float
        length: int

    @dataclass(frozen=True)
    class Plain:
        length: int
        original: tuple[str, ...]
        prior: float
        source: str
        lexicon_count: float = 0.0

    fast = _fast()
    rng = random.Random(3)
    constants = _rank_constants()
    for _ in range(100):
        words, i, cands = _position(rng)
        want = fast.rank(words, i, cands, constants, {}, None, None, detect.UNCOUNTED)
        reordered = [Reordered(c.source, c.prior, c.original, c.lexicon_count, c.length) for c in cands]
        plain = [Plain(c.length, c.original, c.prior, c.source, c.lexicon_count) for c in cands]
        assert fast.rank(words, i, reordered, constants, {}, None, None, detect.UNCOUNTED) == want
        assert fast.rank(words, i, plain, constants, {}, None, None, detect.UNCOUNTED) == want
        assert fast.rank(words, i, cands, constants, {}, None, None, detect.UNCOUNTED) == want
