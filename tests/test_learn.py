"""Learning a substitution lexicon from traced pairs, and using it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from unspin import Config
from unspin.demo import ARTICLE, SPUN, UNRELATED
from unspin.detect import Engine
from unspin.index import Index
from unspin.learn import learn
from unspin.lexicon import Lexicon

NEW_TEXT = (
    "Residents have grumbled for years that the queues at the post office waste their "
    "mornings, and the council has promised to look at the problem again this winter."
)


def _traced(tmp_path: Path) -> list:  # type: ignore[type-arg]
    index = Index(tmp_path / "demo.db")
    index.add([("article", ARTICLE), ("school", UNRELATED)])
    try:
        return index.trace(SPUN)
    finally:
        index.close()


def test_learns_the_swapped_pairs(tmp_path: Path) -> None:
    lex, summary = learn(_traced(tmp_path))
    assert summary.used == 1 and summary.pairs >= 10
    pairs = {(e.spun, e.original) for e in lex}
    assert {("grumbled", "complained"), ("lengthy", "long"), ("stated", "said")} <= pairs
    assert all(e.source == "learned" for e in lex)


def test_weak_matches_teach_nothing(tmp_path: Path) -> None:
    lex, summary = learn(_traced(tmp_path), min_score=1.01)
    assert len(lex) == 0 and summary.skipped == {"weak match": 1}


def test_learned_lexicon_sharpens_detection(tmp_path: Path) -> None:
    lex, _ = learn(_traced(tmp_path))
    path = tmp_path / "learned.tsv"
    lex.save(path)
    before = {(f.text, f.original) for f in Engine(Config()).check(NEW_TEXT).findings}
    after = {(f.text, f.original) for f in Engine(Config(lexicon_path=str(path))).check(NEW_TEXT).findings}
    assert ("grumbled", "complained") not in before
    assert ("grumbled", "complained") in after
    assert Lexicon.load(path).originals("grumbled")[0].original == "complained"


def test_learn_command(tmp_path: Path) -> None:
    db, spun, out = tmp_path / "c.db", tmp_path / "spun.txt", tmp_path / "lex.tsv"
    Index(db).add([("article", ARTICLE)])
    spun.write_text(SPUN, encoding="utf-8")
    for _ in range(2):  # a second run extends the same lexicon
        proc = subprocess.run(
            [sys.executable, "-m", "unspin", "learn", str(db), str(spun), "-o", str(out)],
            capture_output=True, text=True, timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
    assert "pairs learned" in proc.stdout
    assert Lexicon.load(out).originals("grumbled")[0].count == 2
