"""The on-disk candidate store: same reports with or without it, and never a failure of its own."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from unspin import Config
from unspin.candidates import Candidate
from unspin.candstore import CandidateStore, fingerprint
from unspin.demo import SPUN
from unspin.detect import Engine
from unspin.resources import default_resources

CANDS = (Candidate(1, ("said",), -0.30102999566398114, "thesaurus"), Candidate(2, ("big", "data"), -1.0, "lexicon", 6.0))


def _load_resources() -> None:
    """Load them before the cache folder moves, so that none is parsed again there."""
    res = default_resources()
    assert res.thesaurus and res.lm and res.embeddings and res.inflector


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _load_resources()
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path))
    return tmp_path


def _summary(engine: Engine, text: str) -> tuple[object, ...]:
    r = engine.check(text)
    return r.spun_probability, r.restored, tuple((f.start, f.end, f.original, f.confidence) for f in r.findings)


def test_a_new_process_reads_the_candidates_and_reports_the_same(cache: Path) -> None:
    first = Engine(Config())
    expected = _summary(first, SPUN)
    assert first._store is not None and first._store.path.parent == cache
    stored = first._store.get_many(w for (w,) in (k for k in first._cand_cache if len(k) == 1))
    assert stored and all(stored[w] == first._cand_cache[(w,)] for w in stored)  # what the engine worked out
    # and the phrases' that have any (under their words joined by spaces): not the many spans
    # that may be thesaurus phrases but have none, which would crowd the words out of a store
    phrases = first._store.get_many(" ".join(k) for k in first._phrase_cache)
    assert phrases and all(phrases[p] == first._phrase_cache[tuple(p.split())] for p in phrases)
    assert set(phrases) == {" ".join(k) for k, cands in first._phrase_cache.items() if cands}

    second = Engine(Config())  # an engine of a new process: its own memory is empty

    def no_thesaurus(word: str) -> tuple[Candidate, ...]:
        raise AssertionError(f"candidates of {word!r} worked out again")

    def only_empty_phrases(words: tuple[str, ...]) -> tuple[Candidate, ...]:
        assert not first._phrase_cache[words], f"candidates of {words!r} worked out again"
        return ()

    second.candidates.single = no_thesaurus  # type: ignore[method-assign]
    second.candidates.phrase = only_empty_phrases  # type: ignore[method-assign]
    assert _summary(second, SPUN) == expected
    assert _summary(Engine(Config(cache_candidates=False)), SPUN) == expected


def test_candidates_round_trip_exactly(cache: Path) -> None:
    store = CandidateStore(cache / "c.sqlite")
    store.add("stated", CANDS)
    store.add("nothing", ())
    assert store.get_many(["stated"]) == {}  # not written before a flush
    store.flush()
    assert store.get_many(["stated", "nothing", "unknown"]) == {"stated": CANDS, "nothing": ()}


def test_a_damaged_file_is_started_again(cache: Path) -> None:
    path = cache / "c.sqlite"
    path.write_bytes(b"this is no database" * 100)
    store = CandidateStore(path)
    assert store.get_many(["stated"]) == {}
    store.add("stated", CANDS)
    store.flush()
    assert CandidateStore(path).get_many(["stated"]) == {"stated": CANDS}


def test_a_store_another_process_holds_is_left_alone(cache: Path) -> None:
    import sqlite3

    # another process makes the file and holds it past the timeout: this one does without the
    # store (it used to take the lock for a damaged file and delete the other's file)
    path = cache / "c.sqlite"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE single (word TEXT PRIMARY KEY, cands TEXT NOT NULL)")
    other.execute("BEGIN EXCLUSIVE")
    other.execute("INSERT INTO single VALUES ('stated', '[]')")
    store = CandidateStore(path)
    assert store.get_many(["stated"]) == {} and store.broken
    other.execute("COMMIT")
    other.close()
    assert CandidateStore(path).get_many(["stated"]) == {"stated": ()}  # the other's word is there


def test_a_store_that_cannot_be_written_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _load_resources()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("UNSPIN_CACHE", str(blocker))  # the cache folder cannot be made
    engine = Engine(Config())
    assert engine._store is not None
    report = engine.check(SPUN)
    assert report.findings and engine._store.broken
    monkeypatch.setenv("UNSPIN_CACHE", "off")
    assert Engine(Config())._store is None


def test_the_file_name_follows_everything_the_candidates_depend_on(cache: Path) -> None:
    assert fingerprint((1,)) != fingerprint((2,))
    names = {Engine(c)._store.path.name for c in (Config(), Config(use_moby=True), Config(use_embeddings=False))}  # type: ignore[union-attr]
    assert len(names) == 3
    assert Engine(Config(), resources=default_resources())._store is None  # resources given: maybe not the default ones


def _child(path: str) -> None:
    store = CandidateStore(Path(path))
    store.add("child", CANDS)
    store.flush()


def test_processes_share_one_file_and_a_fork_opens_its_own_connection(cache: Path) -> None:
    store = CandidateStore(cache / "c.sqlite")
    store.add("parent", CANDS)
    store.flush()  # the parent's connection is open when it forks
    ctx = multiprocessing.get_context("fork")
    for target, args in ((_child, (str(store.path),)), (_fork_add, (store,))):
        p = ctx.Process(target=target, args=args)
        p.start()
        p.join(30)
        assert p.exitcode == 0
    assert set(store.get_many(["parent", "child", "forked"])) == {"parent", "child", "forked"}


def _fork_add(store: CandidateStore) -> None:
    store.add("forked", CANDS)
    store.flush()


def test_threads_share_one_store(cache: Path) -> None:
    """The web server checks texts from several threads with one engine."""
    from concurrent.futures import ThreadPoolExecutor

    from unspin.demo import ARTICLE

    texts = [SPUN, ARTICLE] * 3
    expected = [_summary(Engine(Config(cache_candidates=False)), t) for t in texts]
    engine = Engine(Config())
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda t: _summary(engine, t), texts))
    assert got == expected and engine._store is not None and not engine._store.broken


def test_filling_ahead_stores_what_a_check_works_out(cache: Path) -> None:
    words = sorted({w.strip(".,;:") for w in SPUN.lower().split() if w.strip(".,;:").isalpha() and len(w) > 3})
    checked = Engine(Config(cache_candidates=False))
    checked.check(SPUN)
    filler = Engine(Config())
    assert filler.fill_store(words) == len(words)
    assert filler.fill_store(words) == 0  # all there now
    stored = filler._store.get_many(words)  # type: ignore[union-attr]
    seen = [w for (w, *rest) in checked._cand_cache if not rest and w in stored]
    assert len(seen) >= 5 and all(stored[w] == checked._cand_cache[(w,)] for w in seen)


def test_cache_fill_command(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from unspin.cli import main

    assert main(["cache", "--fill", "--words", "300"]) == 0
    first = capsys.readouterr()
    assert "words and phrases added, 0 already there" in first.out and "phrases into" in first.err
    added = int(first.out.split(": ")[1].split()[0].replace(",", ""))
    assert f"it holds {added:,}" in first.out  # all of it in the file itself, none left in the log
    engine = Engine(Config())
    assert engine._store is not None
    stored = engine._store.get_many(["military service", "world war", "said"])
    assert stored["military service"] and stored["military service"] == engine._phrase_candidates(("military", "service"))
    assert set(stored) == {"military service", "world war", "said"}  # worked out ahead
    assert main(["cache", "--fill", "--words", "300", "--jobs", "2"]) == 0
    assert " 0 words and phrases added" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["cache", "--fill", "--clear"])
    assert info.value.code == 2 and "do not go together" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # fill's options without --fill did nothing before
        main(["cache", "--words", "300", "--jobs", "2"])
    assert info.value.code == 2 and "--words, --jobs only go with --fill" in capsys.readouterr().err


def test_a_new_store_prunes_old_ones_with_their_journals(cache: Path) -> None:
    import os

    from unspin.resources import CACHE_KEEP

    for k in range(4):
        for extra in ("", "-wal", "-shm"):
            old = cache / f"candidates-old{k}.sqlite{extra}"
            old.write_bytes(b"")
            os.utime(old, (1000 + k, 1000 + k))  # old3 the most recently used
    store = CandidateStore(cache / "candidates-new.sqlite")
    store.add("stated", CANDS)
    store.flush()
    kept = sorted(p.name for p in cache.glob("candidates-*.sqlite"))
    assert kept == ["candidates-new.sqlite", "candidates-old2.sqlite", "candidates-old3.sqlite"][:CACHE_KEEP]
    assert not list(cache.glob("candidates-old0.sqlite*")) and not list(cache.glob("candidates-old1.sqlite*"))


def test_the_phrases_filled_ahead_are_the_forms_text_shows() -> None:
    engine = Engine(Config(cache_candidates=False))
    vocabulary = {"take", "takes", "took", "taking", "place", "respiratory", "tract", "tracts", "the"}
    spans = set(engine.candidates.phrase_spans(vocabulary))
    assert {("take", "place"), ("takes", "place"), ("took", "place"), ("respiratory", "tracts")} <= spans
    assert all(all(w in vocabulary for w in span) and 2 <= len(span) <= 3 for span in spans)


def test_filling_keeps_the_phrases_this_process_worked_out_already(cache: Path) -> None:
    engine = Engine(Config())
    assert engine._store is not None
    assert engine.embeddings is not None
    spans = engine.candidates.phrase_spans(set(engine.embeddings.words[:300]))
    worked = {span: engine._phrase_candidates(span) for span in spans}  # in memory before the fill
    assert any(worked.values()) and not all(worked.values())
    keys = [" ".join(span) for span in spans]
    engine.fill_store(keys)
    stored = CandidateStore(engine._store.path).get_many(keys)
    assert stored == {" ".join(span): cands for span, cands in worked.items()}  # with or without candidates
