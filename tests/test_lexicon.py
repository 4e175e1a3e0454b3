from __future__ import annotations

from pathlib import Path

import pytest

from unspin.errors import ResourceError
from unspin.lexicon import (
    CERTAIN_WEIGHT,
    HEADER,
    Lexicon,
    builtin_lexicon,
    import_pairs,
    is_certain,
)


def test_round_trip_and_counts(tmp_path: Path) -> None:
    lex = Lexicon()
    lex.add("Stated", "said", 2, "learned:test")
    lex.add("stated", "said", 1, "learned:test")
    lex.add("stated", "declared", 1, "curated")
    lex.add("same", "same")  # identity pairs are ignored
    path = tmp_path / "lex.tsv"
    lex.save(path)
    back = Lexicon.load(path)
    assert [(e.original, e.count) for e in back.originals("stated")] == [("said", 3.0), ("declared", 1.0)]
    assert "same" not in back and len(back) == 2
    assert path.read_text(encoding="utf-8").startswith(HEADER + "\n")
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write leaves no temp file


def test_merge_keeps_both() -> None:
    a, b = Lexicon(), Lexicon()
    a.add("huge information", "big data", 1, "x")
    b.add("huge information", "big data", 2, "y")
    b.add("astute city", "smart city", 1, "y")
    m = a.merge(b)
    assert m.originals("huge information")[0].count == 3
    assert m.max_len == 2 and "astute city" in m
    # the detector skips spans whose first word starts no spun phrase
    assert m.first_words == {"huge", "astute"} and a.first_words == {"huge"}
    a.add("Stated", "said")
    assert "stated" in a.first_words


def test_kept_counts_round_trip_and_merge(tmp_path: Path) -> None:
    # version 2 records how often the spinner left a phrase as it was, as a row with the phrase twice
    lex = Lexicon()
    lex.add("told", "said", 24)
    lex.add_kept("Told", 14)
    lex.add_kept("told", 0)  # nothing to record
    with pytest.raises(ValueError):
        lex.add_kept("told", -1)
    path = tmp_path / "lex.tsv"
    lex.save(path)
    assert "told\ttold\t14\tkept\n" in path.read_text(encoding="utf-8")
    back = Lexicon.load(path)
    assert back.kept("told") == 14 and back.kept("said") == 0
    assert len(back) == 1 and [e.original for e in back] == ["said"]  # a kept row is no swap
    other = Lexicon()
    other.add_kept("told", 6)
    assert back.merge(other).kept("told") == 20 and back.kept("told") == 14


def test_version_1_files_still_load(tmp_path: Path) -> None:
    path = tmp_path / "old.tsv"
    path.write_text("# unspin-lexicon 1\nstated\tsaid\t3\tlearned\n", encoding="utf-8")
    lex = Lexicon.load(path)
    assert lex.originals("stated")[0].count == 3 and lex.kept("stated") == 0


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("spun\toriginal\t1\tx\n", "first line"),
        (HEADER + "\nonly\ttwo\n", "4 tab-separated"),
        (HEADER + "\na\tb\tmany\tx\n", "not a number"),
        (HEADER + "\na\tb\t-3\tx\n", "positive"),
        (HEADER + "\na\tb\t0\tx\n", "positive"),
        (HEADER + "\na\tb\tnan\tx\n", "positive"),
        (HEADER + "\na\ta\tinf\tkept\n", "at most 1e"),
        # (a count so large that float arithmetic on it fails made every check fail)
        (HEADER + "\na\tb\t1e16\tcurated\n", "at most 1e"),
        (HEADER + "\na\ta\t1e20\tkept\n", "at most 1e"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ResourceError, match=needle):
        Lexicon.load(path)


def test_builtin_lexicon_loads() -> None:
    lex = builtin_lexicon()
    assert lex.originals("inning accordance with")[0].original == "according to"
    assert len(lex) > 10


def test_import_pairs_reads_a_tortured_phrase_list() -> None:
    text = (
        "tortured\texpected\tpapers\n"
        "counterfeit consciousness\tartificial intelligence (AI)\t120\n"
        "quick Fourier remodel\tFast Fourier Transform (FFT)\t5\n"
        "2D turbulent guide\t2D chaotic map\t1\n"
        "bosom malignancy\t???\t3\n"
        "same thing\tSame  thing\t1\n"
        "\n"
        "# a comment\n"
        "lone\n"
        "precision , review\taccuracy , recall\t2\n"
    )
    got = import_pairs(text, 4.0, "list")
    assert got.header
    assert {(e.spun, e.original, e.count, e.source) for e in got.lexicon} == {
        ("counterfeit consciousness", "artificial intelligence", 4.0, "curated"),
        ("quick fourier remodel", "fast fourier transform", 4.0, "curated"),
    }
    # rows left out, by reason: numbers or punctuation in the spun phrase, an unknown original,
    # the spun phrase as its own original, no original at all
    assert sorted(got.skipped.values()) == [[4, 10], [5], [6], [9]]
    assert got.skipped["the original is unknown"] == [5]
    # without a header row the first row is a pair
    assert not import_pairs("stated\tsaid\n").header
    with pytest.raises(ValueError):
        import_pairs("a\tb\n", 0.0)
    with pytest.raises(ResourceError, match="no pairs found"):
        import_pairs("\n# nothing\n", 4.0, "list")


def test_certain_pairs_are_curated_and_weighed_enough() -> None:
    assert is_certain(CERTAIN_WEIGHT, "curated") and is_certain(6.0, "learned,curated")
    assert not is_certain(CERTAIN_WEIGHT - 0.01, "curated")
    assert not is_certain(50.0, "learned")


def test_import_pairs_takes_the_word_swaps_several_phrases_show() -> None:
    """A spinner that wrote "counterfeit consciousness" writes "counterfeit" for "artificial"
    elsewhere too: a word swap that two listed phrases show is added as learned evidence (weighed
    by how spun the rest of the text reads), never as a certain pair."""
    text = (
        "counterfeit consciousness\tartificial intelligence\n"
        "counterfeit neural organizations\tartificial neural networks\n"
        "profound learning\tdeep learning\n"
        "of the counterfeit\tof the artificial\n"  # function words are no swaps; this one shows it a third time
        "huge information examination\tbig data analysis\n"  # "huge" for "big" once only
        "counterfeit money detection\tcounterfeit money recognition\n"  # "counterfeit" left as it is once
    )
    got = import_pairs(text)
    learned = {(e.spun, e.original, e.count, e.source) for e in got.lexicon if e.source != "curated"}
    assert learned == {("counterfeit", "artificial", 3.0, "learned:list")}
    assert got.word_pairs == 1
    assert got.lexicon.kept("counterfeit") == 1.0  # weaker evidence: a spinner does not always swap it
    assert all(not is_certain(e.count, e.source) for e in got.lexicon if e.source != "curated")
    assert {e.spun for e in import_pairs(text, word_pairs=1).lexicon} >= {"huge", "profound", "organizations"}
    assert import_pairs(text, word_pairs=0).word_pairs == 0
    with pytest.raises(ValueError):
        import_pairs(text, word_pairs=-1)


def test_importing_again_sets_weights_instead_of_adding_them(tmp_path: Path) -> None:
    """A row listed twice counts once, and a pair imported again (or with another weight) takes the
    weight given: weights added up crossed the certain threshold unasked, or overflowed to inf,
    which no command would read back."""
    text = "irregular woodland\trandom forest\n" * 3
    got = import_pairs(text, 1.5)
    assert [(e.spun, e.count) for e in got.lexicon] == [("irregular woodland", 1.5)]
    assert got.skipped == {"listed before": [2, 3]}
    lex = got.lexicon
    for weight in (2.0, 2.0, 4.0):
        lex = lex.updated(import_pairs(text, weight).lexicon)
        assert [e.count for e in lex] == [weight]
    learned = Lexicon()
    learned.add("tamed", "domesticated", 2, "learned")
    learned.add_kept("tamed", 5)
    merged = learned.updated(import_pairs("tamed\tdomesticated\n", 2.0).lexicon)
    assert [(e.count, e.source) for e in merged] == [(2.0, "curated")] and merged.kept("tamed") == 5
    # saved with the permissions the file had (mkstemp makes 0600 files)
    path = tmp_path / "lex.tsv"
    lex.save(path)
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o640)
    lex.save(path)
    assert path.stat().st_mode & 0o777 == 0o640
    # and read back with an editor's byte-order mark
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert len(Lexicon.load(path)) == 1


@pytest.mark.parametrize("first", ["Tortured phrase\tExpected phrase", "tortured\tcorrect", "spun_phrase\toriginal_phrase"])
def test_a_header_row_is_known_by_its_column_words(first: str) -> None:
    got = import_pairs(f"{first}\nmystery layer\thidden layer\n")
    assert got.header and [e.spun for e in got.lexicon] == ["mystery layer"]
    assert not import_pairs("mystery layer\thidden layer\n").header


def test_counts_read_back_exactly_and_a_phrase_the_file_cannot_hold_is_refused(tmp_path: Path) -> None:
    """Counts were written with six digits: a pair seen a million times stopped counting across
    learn runs, and a curated 2.9999999 read back as a certain 3.  A spun phrase starting with "#"
    was written as a row and read back as a comment (lost)."""
    path = tmp_path / "lex.tsv"
    lex = Lexicon()
    lex.add("stated", "said", 1_000_000)
    lex.add("huge information", "big data", 2.9999999, "curated")
    lex.add_kept("stated", 1234567)
    lex.save(path)
    for _ in range(3):  # three learn runs into the same file
        lex = Lexicon.load(path)
        lex.add("stated", "said", 3)
        lex.save(path)
    back = Lexicon.load(path)
    assert {e.spun: e.count for e in back} == {"stated": 1_000_009, "huge information": 2.9999999}
    assert back.kept("stated") == 1234567
    assert "stated\tsaid\t1000009\tlearned" in path.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="must not start with '#'"):
        Lexicon().add("#win", "victory")
    with pytest.raises(ValueError, match="must not start with '#'"):
        Lexicon().add_kept("  #win", 2)
    tagged = Lexicon()
    tagged.add("win", "#victory")  # (an original may: only a row's first column marks a comment)
    assert [(e.spun, e.original) for e in Lexicon.parse(tagged.dumps())] == [("win", "#victory")]


def test_an_indented_comment_is_a_comment() -> None:
    """A hand-written lexicon's indented "#" line is a comment (it was read as a row, and is now
    one a lexicon cannot hold)."""
    lex = Lexicon.parse("# unspin-lexicon 2\n  # stated\tsaid\t1\tcurated\nstated\tsaid\t2\tcurated\n")
    assert [(e.spun, e.original, e.count) for e in lex] == [("stated", "said", 2.0)]


def test_a_learned_pair_the_builtin_lexicon_lists_too_stays_learned(tmp_path: Path) -> None:
    """A user's learned record of a pair the built-in lexicon also lists was added to the built-in
    weight and read as curated: 3 swaps of "stated" (left alone 14 times) made an honest "as the
    report stated" "a swap no writer makes".  The weight and the swaps are kept apart (and written
    as two rows); the pair is judged by its curated weight, which its swaps neither raise nor
    replace (a learned candidate beside it, weighed by how spun the text reads, could drop it)."""
    import unspin
    from unspin.config import Config
    from unspin.lexicon import builtin_lexicon

    lex = Lexicon()
    lex.add("stated", "said", 3)
    lex.add_kept("stated", 14)
    merged = builtin_lexicon().merge(lex)
    (e,) = [e for e in merged.originals("stated") if e.original == "said"]
    assert (e.weight, e.learned, e.certain) == (0.3, 3.0, False)
    for back in (Lexicon.parse(merged.dumps()), Lexicon(merged), merged.merge(Lexicon())):  # (two rows in the file)
        (b,) = [b for b in back.originals("stated") if b.original == "said"]
        assert (b.weight, b.learned) == (0.3, 3.0)
    # each part is summed on its own (the swaps were the total less the weight, and 2 swaps beside a
    # weight of 0.3 read 1.9999999999999998), and reads back exactly
    mixed = Lexicon()
    for _ in range(2):
        mixed.add("x", "y", 0.1, "curated")
        mixed.add("x", "y", 1)
    mixed.add("x", "y", 0.1, "curated")
    (m,) = mixed.originals("x")
    assert (m.weight, m.learned) == (0.1 + 0.1 + 0.1, 2.0)
    (r,) = Lexicon.parse(mixed.dumps()).originals("x")
    assert (r.weight, r.learned) == (m.weight, 2.0) and "x\ty\t2\tlearned" in mixed.dumps()
    assert not Lexicon.parse("# unspin-lexicon 2\nx y\tz\t2\tcurated\nx y\tz\t5\tlearned\n").originals("x y")[0].certain
    path = tmp_path / "learned.tsv"
    lex.save(path)
    text = ("The committee published its annual report on Monday. As the report stated, the budget for schools "
            "will rise next year, and the chair thanked the volunteers who helped the town during the long winter.")
    # one candidate of the pair: the curated weight, with the swaps' evidence beside it (never added to it)
    from unspin.detect import Engine

    engine = Engine(Config(lexicon_path=str(path)))
    engine._lexicon_ready()
    (said,) = [c for c in engine.candidates.lexicon_hits(("stated",)) if c.original == ("said",)]
    assert (said.lexicon_count, said.learned, not said.certain) == (0.3, False, True)
    assert said.swaps_evidence == pytest.approx(3 / (3 + 14 + 1))
    plain, learned = unspin.check(text), unspin.check(text, Config(lexicon_path=str(path)))
    assert plain.verdict == learned.verdict == "clean"
    assert not any(f.signals.get("lexicon_kind") == "curated" and f.signals.get("lexicon_weight", 0) > 1
                   for f in learned.findings)


def test_learned_swaps_never_drop_a_curated_finding(tmp_path: Path) -> None:
    """A pair the built-in lexicon lists, learned again from a user's copies, is found where the
    built-in lexicon alone finds it (its learned candidate, weighed by how spun the text reads, won
    the beam over the curated one and the finding was gone)."""
    import unspin
    from unspin.config import Config

    text = ("The council said on Monday that large information from the new sensors will help plan bus routes. "
            "The system goes live next spring, and residents can read the results on the council website.")
    learned = Lexicon()
    learned.add("large information", "big data", 2)
    learned.save(tmp_path / "user.tsv")
    found = [(f.text, f.original, f.signals.get("lexicon_kind")) for f in unspin.check(text).findings]
    assert ("large information", "big data", "curated") in found
    with_user = [(f.text, f.original, f.signals.get("lexicon_kind"))
                 for f in unspin.check(text, Config(lexicon_path=str(tmp_path / "user.tsv"))).findings]
    assert ("large information", "big data", "curated") in with_user
