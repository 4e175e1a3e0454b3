"""The SQLite trace index: add, duplicates, skips, remove, reopen, crash safety."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from unspin import demo
from unspin.errors import IndexCorruptError
from unspin.index import FORMAT_VERSION, Index, open_index
from unspin.inputs import Record, Skip

REPO = Path(__file__).resolve().parents[1]

_NAMES = ["Harlow", "Penrith", "Oban", "Truro", "Selby", "Ripon", "Wells", "Bude", "Ely", "Alnwick"]
_THINGS = ["library", "bakery", "ferry", "museum", "market", "school", "garden", "station", "theatre", "bridge"]


def make_doc(i: int) -> str:
    """A small invented news item, different for every i (names and numbers vary)."""
    town = _NAMES[i % 10] + str(i)
    thing = _THINGS[(i // 10) % 10]
    return (
        f"The {thing} in {town} will close for {i % 7 + 2} weeks from 1{i % 9} May, the council of {town} "
        f"announced on Friday. Officials said that the work, which is expected to cost {i * 13 + 1000} pounds, "
        f"was needed because the roof of the {thing} had been damaged by storms in {1990 + i % 30}. "
        f"Residents of {town} have been asked to use the {thing} in {_NAMES[(i + 3) % 10]} until it reopens, "
        f"and a free bus will run twice a day from the square to the {thing} there."
    )


@pytest.fixture()
def index(tmp_path: Path) -> Index:
    idx = Index(tmp_path / "t.db")
    yield idx
    idx.close()


def test_add_trace_remove(index: Index) -> None:
    s = index.add([(demo.ARTICLE_ID, demo.ARTICLE, {"lang": "en"}), ("concert", demo.UNRELATED)])
    assert (s.added, s.duplicates, s.skipped) == (2, 0, 0)
    assert len(index) == 2 and demo.ARTICLE_ID in index
    assert index.get(demo.ARTICLE_ID).text == demo.ARTICLE
    assert index.get(demo.ARTICLE_ID).meta == {"lang": "en"}
    matches = index.trace(demo.SPUN)
    assert [m.id for m in matches] == [demo.ARTICLE_ID]
    m = matches[0]
    assert m.coverage > 0.9 and m.score >= index.config.trace_threshold
    assert set(m.to_dict()) == {"id", "score", "coverage", "passages", "substitutions"}
    assert index.trace(demo.UNRELATED) == [] or index.trace(demo.UNRELATED)[0].id == "concert"
    assert index.remove([demo.ARTICLE_ID, "nope"]) == 1
    assert len(index) == 1 and demo.ARTICLE_ID not in index
    assert index.trace(demo.SPUN) == []
    assert index._db.execute("SELECT count(*) FROM postings p JOIN docs d USING (doc)").fetchone()[0] == \
        index._db.execute("SELECT count(*) FROM postings").fetchone()[0]


def test_duplicates_and_skips(index: Index) -> None:
    s = index.add(
        [
            Record("a", make_doc(1)),
            Record("a", make_doc(2)),  # same id, another text: a conflict, not a copy
            Record("b", make_doc(1)),  # same text as a
            Record("c", "   \n "),  # empty
            Record("d", "bin\x00ary text"),
            Skip("broken.jsonl:3", "not valid JSON (JSONDecodeError)"),
            ("e", make_doc(3)),
            ("g", make_doc(5) + " \ud83d"),  # a lone surrogate: no file can hold it, so neither can the index
        ]
    )
    assert (s.added, s.duplicates, s.conflicts, s.skipped) == (2, 1, 1, 4)
    assert dict(s.duplicate_examples) == {"b": "same text as a"} and s.conflict_examples == ["a"]
    assert sorted(index.ids()) == ["a", "e"]
    s2 = index.add([("e", make_doc(3)), ("f", make_doc(4)), ("a", make_doc(6))])
    assert (s2.added, s2.duplicates, s2.conflicts) == (1, 1, 1)
    assert s2.duplicate_examples == [("e", "id already indexed")]


@pytest.mark.parametrize("rate", [0.0, 0.3])
def test_trace_two_sources_and_top(index: Index, rate: float) -> None:
    from unspin.synth import spin

    index.add([(f"d{i}", make_doc(i)) for i in range(40)])
    text = spin(make_doc(5) + "\n\n" + make_doc(17), rate, seed=1).text
    matches = index.trace(text, top=5)
    assert {m.id for m in matches[:2]} == {"d5", "d17"}
    for m in matches[:2]:
        assert 0.3 < m.coverage < 0.7
        assert all(text[s.query[0] : s.query[1]] == s.spun for s in m.substitutions)
    if rate:
        assert sum(len(m.substitutions) for m in matches[:2]) >= 10
    assert len(index.trace(text, top=1)) == 1
    with pytest.raises(ValueError, match="top"):
        index.trace(text, top=0)


def test_reopen_keeps_documents(tmp_path: Path) -> None:
    with Index(tmp_path / "r.db") as idx:
        idx.add([(f"d{i}", make_doc(i)) for i in range(5)])
    with Index(tmp_path / "r.db") as idx:
        assert len(idx) == 5
        assert idx.integrity_check() == "ok"
        assert idx.trace(make_doc(3))[0].id == "d3"


def test_refuses_what_is_not_an_index(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    with pytest.raises(IndexCorruptError, match="not an unspin index"):
        Index(bad)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x(y)").connection.commit()
    with pytest.raises(IndexCorruptError, match="not an unspin index"):
        Index(other)
    with pytest.raises(IndexCorruptError, match="does not exist"):
        Index(tmp_path / "missing.db", create=False)


def test_other_fingerprint_scheme_is_refused(tmp_path: Path) -> None:
    from unspin.config import Config

    with Index(tmp_path / "s.db", Config(trace_ngram=5)):
        pass
    with Index(tmp_path / "s.db") as idx:  # the stored scheme wins over the config
        assert idx.fingerprinter.n == 5
    con = sqlite3.connect(tmp_path / "s.db")
    con.execute("UPDATE info SET value = '99' WHERE key = 'version'")
    con.execute("DROP INDEX docs_digest")
    con.commit()
    assert con.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
    con.close()
    with pytest.raises(IndexCorruptError, match="format version 99"):
        Index(tmp_path / "s.db")
    # refused as it was: not switched to WAL, not given the tables or indexes this version makes
    con = sqlite3.connect(tmp_path / "s.db")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'docs_digest'").fetchone()[0] == 0
    con.close()
    with pytest.raises(IndexCorruptError, match="format version 99"):
        open_index(tmp_path / "s.db")  # (what trace opens: a refused index is left unlocked too)
    # an index of an older fingerprint scheme (version 2 split words at invisible characters)
    con = sqlite3.connect(tmp_path / "s.db")
    con.execute("UPDATE info SET value = ? WHERE key = 'version'", (str(FORMAT_VERSION),))
    con.execute("UPDATE info SET value = 'skeleton-v2:n=5:w=10' WHERE key = 'scheme'")
    con.commit()
    con.close()
    with pytest.raises(IndexCorruptError, match="built with fingerprints skeleton-v2.*rebuild it"):
        Index(tmp_path / "s.db")


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from test_index import make_doc
    from unspin.index import Index

    index = Index({db!r})
    commits = [0]

    def trace(sql):
        if sql == "COMMIT":
            commits[0] += 1
        elif commits[0] == 3 and sql.startswith("INSERT INTO postings"):
            # the 4th batch: its documents are written, its postings half written, nothing committed
            os.kill(os.getpid(), signal.SIGKILL)

    index._db.set_trace_callback(trace)
    index.add([(f"d{{i}}", make_doc(i)) for i in range(300)], batch_size=50)
    """
)


@pytest.mark.parametrize("bulk", [True, False])
def test_killed_indexing_run_is_consistent_and_resumable(tmp_path: Path, bulk: bool) -> None:
    db = tmp_path / "k.db"
    if not bulk:  # a non-empty index: documents are added with the lookup index in place
        with Index(db) as idx:
            idx.add([("seed", make_doc(999))])
    script = KILLER.format(tests=str(REPO / "tests"), db=str(db))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    before = 0 if bulk else 1
    with Index(db) as idx:
        assert idx.integrity_check() == "ok"
        assert len(idx) == before + 150  # three committed batches of 50, the fourth rolled back
        names = {r[0] for r in idx._db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "postings_hash" in names
        s = idx.add([(f"d{i}", make_doc(i)) for i in range(300)], batch_size=50)
        assert (s.added, s.duplicates) == (150, 150)
        assert len(idx) == before + 300
        assert idx.integrity_check() == "ok"
        # no posting is duplicated or orphaned
        n_post = idx._db.execute("SELECT count(*) FROM postings").fetchone()[0]
        n_fps = idx._db.execute("SELECT sum(length(fps)) / 8 FROM docs").fetchone()[0]
        assert n_post == n_fps
        assert idx.trace(make_doc(160))[0].id == "d160"


def test_remove_takes_one_id_too_and_add_refuses_a_missing_id(index: Index) -> None:
    index.add([("solo", make_doc(7))])
    assert index.remove("solo") == 1 and "solo" not in index.ids()
    s = index.add([(None, make_doc(8))])
    assert s.added == 0 and s.skipped == 1 and "None" not in index.ids()  # it was stored as "None"
