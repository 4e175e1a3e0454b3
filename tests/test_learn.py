"""Learning a substitution lexicon from traced pairs, and using it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from unspin import Config
from unspin.demo import ARTICLE, NEW_SPUN, SPUN, UNRELATED
from unspin.detect import Engine
from unspin.index import Index
from unspin.learn import learn
from unspin.lexicon import Lexicon

# plain prose that happens to use one of the spinner's words
PLAIN = (
    "Residents have grumbled for years that the queues at the post office waste their "
    "mornings, and the council has promised to look at the problem again this winter."
)
KEPT_TOO = " The harbour authorities were not consulted about the closure, a spokesman for the port said."

def _traced(tmp_path: Path) -> list:  # type: ignore[type-arg]
    index = Index(tmp_path / "demo.db")
    index.add([("article", ARTICLE), ("school", UNRELATED)])
    try:
        return [(SPUN, index.trace(SPUN))]
    finally:
        index.close()


def test_learns_the_swapped_pairs(tmp_path: Path) -> None:
    lex, summary = learn(_traced(tmp_path))
    assert summary.used == 1 and summary.pairs >= 10
    pairs = {(e.spun, e.original) for e in lex}
    assert {("grumbled", "complained"), ("lengthy", "long"), ("stated", "said")} <= pairs
    assert all(e.source == "learned" for e in lex)


def test_a_text_is_learned_from_once(tmp_path: Path) -> None:
    """The lexicon names the texts it learned from (by digest, kept in its file), so learning from
    the same copy again, or from the same copy given twice, counts nothing twice."""
    traced = _traced(tmp_path)
    lex, summary = learn(traced + traced)
    assert summary.used == 1 and summary.skipped.get("text already learned") == 1
    path = tmp_path / "lex.tsv"
    lex.save(path)
    again, summary = learn(traced, Lexicon.load(path))
    assert summary.used == 0 and summary.pairs == 0
    assert {(e.spun, e.original, e.count) for e in again} == {(e.spun, e.original, e.count) for e in lex}
    # a copy no source was found for is not remembered: once its source is indexed, it teaches
    unmatched, summary = learn([(SPUN, [])])
    assert not unmatched.learned_from


def test_weak_matches_teach_nothing(tmp_path: Path) -> None:
    lex, summary = learn(_traced(tmp_path), min_score=1.01)
    assert len(lex) == 0 and summary.skipped == {"weak match": 1}


def test_learned_lexicon_sharpens_detection(tmp_path: Path) -> None:
    lex, _ = learn(_traced(tmp_path))
    path = tmp_path / "learned.tsv"
    lex.save(path)
    default, learned = Engine(Config()), Engine(Config(lexicon_path=str(path)))
    before = {(f.text, f.original) for f in default.check(NEW_SPUN).findings}
    after = {(f.text, f.original) for f in learned.check(NEW_SPUN).findings}
    assert ("grumbled", "complained") not in before
    assert {("grumbled", "complained"), ("authorities", "officials"), ("following", "next")} <= after
    # the finding says what the lexicon saw, for a person to check
    (grumbled,) = [f for f in learned.check(NEW_SPUN).findings if f.text == "grumbled"]
    assert grumbled.signals["lexicon_kind"] == "learned"
    assert (grumbled.signals["lexicon_swaps"], grumbled.signals["lexicon_kept"]) == (1.0, 0.0)
    assert grumbled.signals["lexicon_evidence"] == pytest.approx(0.5)  # 1 / (1 + 0 + 1)
    assert Lexicon.load(path).originals("grumbled")[0].original == "complained"
    # in prose that reads as written, what a spinner once did is no evidence: the learned
    # record is weighed by the document's spun probability (a curated one is not)
    assert learned.check(PLAIN).findings == ()
    curated = tmp_path / "curated.tsv"
    curated.write_text("# unspin-lexicon 2\ngrumbled\tcomplained\t1\tcurated\n", encoding="utf-8")
    (finding,) = Engine(Config(lexicon_path=str(curated))).check(PLAIN).findings
    assert finding.text == "grumbled" and finding.signals["lexicon_kind"] == "curated"


def test_learning_counts_the_phrases_the_spinner_left_alone(tmp_path: Path) -> None:
    index = Index(tmp_path / "demo.db")
    index.add([("article", ARTICLE + KEPT_TOO), ("school", UNRELATED)])
    try:
        traced = [(SPUN + KEPT_TOO, index.trace(SPUN + KEPT_TOO))]
    finally:
        index.close()
    lex, _ = learn(traced)
    # "authorities" was the spinner's word for "officials" once and left as written once
    assert lex.originals("authorities")[0].original == "officials"
    assert lex.kept("authorities") == 1 and lex.kept("stated") == 0
    # so a learned "authorities" is weaker evidence than a learned "stated", seen once and never kept
    gen = Engine(Config(), lexicon=lex).candidates
    (authorities,) = gen.lexicon_hits(("authorities",))
    (stated,) = gen.lexicon_hits(("stated",))
    assert authorities.learned and stated.learned
    assert authorities.lexicon_evidence == pytest.approx(1 / 3)  # 1 swap / (1 swap + 1 kept + 1)
    assert stated.lexicon_evidence == pytest.approx(1 / 2)


def test_learn_command(tmp_path: Path) -> None:
    db, spun, out = tmp_path / "c.db", tmp_path / "spun.txt", tmp_path / "lex.tsv"
    Index(db).add([("article", ARTICLE)])
    spun.write_text(SPUN, encoding="utf-8")
    for _ in range(2):  # the same copy again (a rerun after an interruption, say) counts nothing twice
        proc = subprocess.run(
            [sys.executable, "-m", "unspin", "learn", str(db), str(spun), "-o", str(out)],
            capture_output=True, text=True, timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
    assert "skipped: 1 text already learned" in proc.stdout
    assert Lexicon.load(out).originals("grumbled")[0].count == 1
    # another copy extends the same lexicon
    spun.write_text(SPUN + " Residents stated that they would welcome the change.", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "unspin", "learn", str(db), str(spun), "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "pairs learned" in proc.stdout, proc.stderr
    assert Lexicon.load(out).originals("grumbled")[0].count == 2
    # and the readable report of a later copy says what the lexicon saw
    later = tmp_path / "later.txt"
    later.write_text(NEW_SPUN, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "unspin", "check", str(later), "--lexicon", str(out)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "(learned: swapped 2×, left 0×)" in proc.stdout


def test_a_british_spun_word_is_looked_up_as_the_detector_spells_it() -> None:
    # learned from British copies: the detector reads "utilising" as "utilizing"
    lex = Lexicon()
    lex.add("utilising", "using", 3)
    lex.add_kept("utilising", 1)
    engine = Engine(Config(), lexicon=lex)
    engine.check("The council is utilising the old harbour bridge again after the repairs were finished.")
    (hit,) = engine.candidates.lexicon_hits(("utilizing",))
    assert hit.original == ("using",) and hit.learned
    assert hit.lexicon_evidence == pytest.approx(3 / 5)  # 3 swaps / (3 + 1 kept + 1)
    assert engine.lexicon.kept("utilizing") == 1
