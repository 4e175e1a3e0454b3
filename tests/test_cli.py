"""The command line, run as a real process (and parsed in-process for usage errors)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from unspin import __version__
from unspin.cli import build_parser, main
from unspin.demo import SPUN


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "unspin", *args], input=stdin, capture_output=True, timeout=300
    )
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int, needle: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0]


def test_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"unspin {__version__}"


def test_help_on_every_subcommand() -> None:
    parser = build_parser()
    names = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"check", "restore", "demo"} <= set(names)
    for name in names:
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    # (a count that is no whole number of at least 1 is a usage error for every command alike)
    counts = (["scan", "x", "-o", "y", "--jobs", "0"], ["cache", "--fill", "--jobs", "0"], ["cache", "--fill", "--words", "0"],
              ["index", "x.db", "x", "--workers", "0"], ["scan", "x", "-o", "y", "--max-bytes", "-5"])
    for argv in (["check"], ["check", "x", "--format", "xml"], ["no-such-command"], [], *counts):
        with pytest.raises(SystemExit) as info:
            code = main(argv)
            raise SystemExit(code)
        assert info.value.code == 2, argv


@pytest.mark.parametrize(
    ("stdin", "needle"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "executable"),
        (b"\x00\x01\x02binary\x00", "NUL"),
        (b"na\xefve caf\xe9 text", "not valid UTF-8"),
    ],
)
def test_bad_input_is_one_line_exit_1(stdin: bytes, needle: str) -> None:
    assert_one_line_error(run("check", "-", stdin=stdin), 1, needle)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert_one_line_error(run("check", str(tmp_path / "nope.txt")), 1, "no such file")
    assert_one_line_error(run("restore", str(tmp_path)), 1, "is a directory")


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 100, encoding="utf-8")
    proc = run("check", str(path), "--max-bytes", "100")
    # the reading stops one byte past the limit, so the size is not claimed; the option is named
    assert_one_line_error(proc, 1, "input is over the limit of 100 bytes; split it or raise --max-bytes")


def test_check_json_schema_and_replay(tmp_path: Path) -> None:
    path = tmp_path / "spun.txt"
    path.write_text(SPUN, encoding="utf-8")
    proc = run("check", str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert list(data) == ["verdict", "spun_probability", "findings", "restored"]
    assert data["verdict"] in ("spun", "clean", "uncertain")
    assert 0.0 <= data["spun_probability"] <= 1.0
    assert data["findings"], "the demo's spun article must yield findings"
    pieces, pos = [], 0
    for f in data["findings"]:
        assert set(f) == {"start", "end", "text", "original", "confidence", "alternatives", "signals"}
        assert SPUN[f["start"] : f["end"]] == f["text"]
        pieces += [SPUN[pos : f["start"]], f["original"]]
        pos = f["end"]
    assert "".join(pieces) + SPUN[pos:] == data["restored"]


def test_check_and_restore_read_an_html_pages_main_text(tmp_path: Path) -> None:
    pytest.importorskip("trafilatura", reason="reading HTML needs the trace extra (trafilatura)")
    paragraphs = "".join(f"<p>{p}</p>" for p in SPUN.split("\n\n") if p.strip())
    page = (
        "<html><head><title>Council news</title><style>p {color: red}</style></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/sport'>Sport</a></nav>"
        f"<article>{paragraphs}</article><footer>Copyright the Example Gazette</footer></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    proc = run("check", str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert "<p>" not in data["restored"] and "color: red" not in data["restored"]
    assert "According to council" in data["restored"]
    assert any(f["text"].lower().startswith("inning accordance") for f in data["findings"])
    # standard input with --html, or a whole page (it opens with <html> or <!DOCTYPE html>) without
    proc = run("restore", "-", "--html", stdin=page.encode())
    assert proc.returncode == 0, proc.stderr
    assert "According to council" in proc.stdout and "<article>" not in proc.stdout
    proc = run("restore", "-", stdin=("<!-- saved -->\n<!DOCTYPE html>\n" + page).encode())
    assert "According to council" in proc.stdout and "<article>" not in proc.stdout
    assert "an HTML page: its main text is checked" in proc.stderr
    # a fragment of markup is not a page: it is read as written
    assert "<article>" in run("restore", "-", stdin=f"<article>{paragraphs}</article>".encode()).stdout
    empty = tmp_path / "empty.htm"
    empty.write_text("<html><body><script>var x = 1;</script></body></html>", encoding="utf-8")
    assert_one_line_error(run("check", str(empty)), 1, "no text found in the HTML page")


def test_restore_from_stdin_prints_only_text() -> None:
    proc = run("restore", "-", stdin=SPUN.encode())
    assert proc.returncode == 0, proc.stderr
    assert "According to council" in proc.stdout
    assert "Inning accordance" not in proc.stdout


def test_moby_option_adds_loose_thesaurus_findings() -> None:
    text = (
        "The residential puppy has lived close by people for a great many years. Researchers state that "
        "canines were the principal creatures to be tamed by people, and their hues run from white to dark brown."
    )
    plain = json.loads(run("check", "-", "--format", "json", stdin=text.encode()).stdout)
    proc = run("check", "-", "--format", "json", "--moby", stdin=text.encode())
    assert proc.returncode == 0, proc.stderr
    loose = json.loads(proc.stdout)
    assert not any(f["signals"]["source"] == "moby" for f in plain["findings"])
    assert {"text": "hues", "original": "colors"} in [
        {"text": f["text"], "original": f["original"]} for f in loose["findings"] if f["signals"]["source"] == "moby"
    ]
    restored = run("restore", "-", "--moby", stdin=text.encode())
    assert restored.returncode == 0 and "their colors" in restored.stdout


def test_check_readable_report() -> None:
    proc = run("check", "-", stdin=SPUN.encode())
    assert proc.returncode == 0, proc.stderr
    assert "verdict:" in proc.stdout and "findings" in proc.stdout
    # the document's evidence in words: findings among the content words, and the share of
    # words that fit neither neighbour beside what clean news shows
    evidence = " ".join(proc.stdout.split("evidence:", 1)[1].split("\n\n")[0].split())
    assert re.match(r"\d+ substitutions? found among \d+ content words; \d+% of the words fit neither neighbour "
                    r"\(about 20% in clean news\)", evidence), evidence


def test_document_evidence_reads_the_reports_counts() -> None:
    from unspin.cli.detect_cmd import document_evidence
    from unspin.report import Report

    report = Report("spun", 0.9, (), "", features={"content_words": 50, "known_words": 40, "isolated_words": 14})
    assert document_evidence(report).startswith("0 substitutions found among 50 content words; 35% of the words")
    assert document_evidence(Report("uncertain", 0.5, (), "", reason="too short")) == ""


def test_encoding_option() -> None:
    text = "Le caf\u00e9 est tr\u00e8s bon. " * 3
    proc = run("restore", "-", "--encoding", "latin-1", stdin=text.encode("latin-1"))
    assert proc.returncode == 0, proc.stderr


def test_demo_runs() -> None:
    proc = run("demo")
    assert proc.returncode == 0, proc.stderr
    assert "restored text" in proc.stdout and "verdict" in proc.stdout
    # the fourth part learns the spinner's pairs from the traced copy and finds them in a later copy
    assert "swapped pairs learned from 1 traced copy" in proc.stdout
    assert "grumbled ← complained" in proc.stdout.split("learn: the spinner's dictionary")[1]


def test_cache_lists_and_clears_only_unspins_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path))
    assert main(["cache"]) == 0 and "no unspin cache files" in capsys.readouterr().out
    (tmp_path / "wordnet-t3-0.1.0-1-2.pickle").write_bytes(b"x" * 2_000_000)
    (tmp_path / "candidates-abc.sqlite").write_bytes(b"y" * 1_000_000)
    (tmp_path / "notes.txt").write_text("not unspin's")
    (tmp_path / "my_classifier.pickle").write_bytes(b"z")  # (another tool's pickle: it was deleted)
    (tmp_path / "moby-notes.pickle").write_bytes(b"z")
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert "WordNet, parsed" in out and "candidate store" in out and "notes.txt" not in out and "3.0 MB" in out
    assert "my_classifier" not in out and "moby-notes" not in out
    assert "candidates-abc.sqlite  (unreadable)" in out  # not a database
    from unspin.candidates import Candidate
    from unspin.candstore import CandidateStore

    store = CandidateStore(tmp_path / "candidates-def.sqlite")
    store.add("stated", (Candidate(1, ("said",), -0.3, "thesaurus"),))
    store.add("takes place", ())
    store.flush()
    store.close()
    assert main(["cache"]) == 0 and "candidates-def.sqlite  (2 words and phrases)" in capsys.readouterr().out
    (tmp_path / "candidates-def.sqlite").unlink()
    (tmp_path / ".unspin-k2x_9q.tmp").write_bytes(b"half a pickle")  # (a cache write cut short)
    assert main(["cache"]) == 0 and "left by a write cut short" in capsys.readouterr().out
    assert main(["cache", "--clear"]) == 0 and "removed 3 of 3 files" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["moby-notes.pickle", "my_classifier.pickle", "notes.txt"]
    monkeypatch.setenv("UNSPIN_CACHE", "off")
    assert main(["cache"]) == 0 and "caching is off" in capsys.readouterr().out


def test_check_spun_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--spun-threshold sets the probability a text must reach to be called spun; nonsense is refused."""
    f = tmp_path / "spun.txt"
    f.write_text(SPUN, encoding="utf-8")
    assert main(["check", str(f), "--format", "json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["verdict"] == "spun" and plain["spun_probability"] < 0.99
    threshold = f"{plain['spun_probability'] + 0.01:.4f}"
    assert main(["check", str(f), "--format", "json", "--spun-threshold", threshold]) == 0
    strict = json.loads(capsys.readouterr().out)
    assert strict["verdict"] == "uncertain" and strict["spun_probability"] == plain["spun_probability"]
    assert strict["findings"] == plain["findings"]
    assert_one_line_error(run("check", str(f), "--spun-threshold", "0.1"), 1, "--spun-threshold must be above")



def test_min_confidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--min-confidence keeps only the findings at least that confident, in the report and in the
    restored text; the verdict does not change; nonsense is refused."""
    f = tmp_path / "spun.txt"
    f.write_text(SPUN, encoding="utf-8")
    assert main(["check", str(f), "--format", "json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    cut = sorted(x["confidence"] for x in plain["findings"])[len(plain["findings"]) // 2]
    assert main(["check", str(f), "--format", "json", "--min-confidence", str(cut)]) == 0
    strict = json.loads(capsys.readouterr().out)
    assert strict["findings"] == [x for x in plain["findings"] if x["confidence"] >= cut]
    assert 0 < len(strict["findings"]) < len(plain["findings"])
    assert (strict["verdict"], strict["spun_probability"]) == (plain["verdict"], plain["spun_probability"])
    assert main(["restore", str(f), "--min-confidence", str(cut)]) == 0
    assert capsys.readouterr().out == strict["restored"]  # (SPUN ends with a newline: none is added)
    assert_one_line_error(run("check", str(f), "--min-confidence", "1.5"), 1, "--min-confidence must be between 0 and 1")


def test_lexicon_import_then_check_restores_the_listed_phrases(tmp_path: Path) -> None:
    """A screener's tortured-phrase list, as such lists come (tortured<TAB>expected<TAB>papers with
    a header), becomes a lexicon that `check --lexicon` restores wherever its phrases stand."""
    listing = tmp_path / "tortured.tsv"
    listing.write_text(
        "tortured\texpected\tpapers\n"
        "mystery layer\thidden layer\t12\n"
        "quick Fourier remodel\tFast Fourier Transform (FFT)\t5\n"
        "2D turbulent guide\t2D chaotic map\t1\n"
        "bosom picture\t???\t2\n",
        encoding="utf-8",
    )
    out = tmp_path / "lex.tsv"
    proc = run("lexicon", "import", str(listing), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "2 pairs read" in proc.stdout and "its first row named the columns" in proc.stdout
    assert "left out 1 rows: the original is unknown (lines 5)" in proc.stderr
    assert "left out 1 rows: the spun phrase holds numbers" in proc.stderr
    assert out.read_text(encoding="utf-8").startswith("# unspin-lexicon 2\n")
    text = ("The network has one mystery layer and an output layer, as most do today. "
            "The authors propose a new method based on quick Fourier remodel for this task.")
    restored = run("restore", "--lexicon", str(out), "-", stdin=text.encode()).stdout
    assert "one hidden layer and" in restored and "on fast Fourier transform for" in restored
    assert "hidden layer" not in run("restore", "-", stdin=text.encode()).stdout  # not without the list
    # importing again extends the file; nothing new
    again = run("lexicon", "import", str(listing), "-o", str(out), "--weight", "2")
    assert again.returncode == 0 and "has 2 pairs (0 new)" in again.stdout


def test_lexicon_import_errors(tmp_path: Path) -> None:
    assert_one_line_error(run("lexicon", "import", str(tmp_path / "none.tsv"), "-o", str(tmp_path / "o")), 1,
                          "no such file")
    assert_one_line_error(run("lexicon", "import", "-", "-o", str(tmp_path / "o"), stdin=b"\n# only\n"), 1,
                          "no pairs found")
    assert_one_line_error(run("lexicon", "import", "-", "-o", str(tmp_path / "o"), stdin=b"a\xff\tb\n"), 1,
                          "not valid UTF-8")
    latin = run("lexicon", "import", "-", "-o", str(tmp_path / "l.tsv"), "--encoding", "latin-1",
                stdin="café noir\tblack coffee\n".encode("latin-1"))
    assert latin.returncode == 0 and "café noir\tblack coffee" in (tmp_path / "l.tsv").read_text(encoding="utf-8")
    for bad in ("-1", "nan", "inf", "1e308"):  # out of range: a processing error, as for every command
        assert_one_line_error(run("lexicon", "import", "-", "-o", str(tmp_path / "o"), "--weight", bad,
                                  stdin=b"a\tb\n"), 1, "--weight must be above 0 and at most 50")
    proc = run("lexicon", "import", "-", "-o", str(tmp_path / "o"), "--weight", "abc", stdin=b"a\tb\n")
    assert proc.returncode == 2 and "argument --weight" in proc.stderr  # no number: a usage error
    assert not (tmp_path / "o").exists()


def test_paths_and_options_are_checked_before_any_work(tmp_path: Path) -> None:
    """Bad paths and numbers are one-line errors, not tracebacks after the work is done."""
    text = tmp_path / "a.txt"
    text.write_text(SPUN, encoding="utf-8")
    assert_one_line_error(run("scan", str(tmp_path / "none"), "-o", str(tmp_path / "o.jsonl")), 1,
                          "no such file or directory")
    assert_one_line_error(run("index", str(tmp_path / "i.db"), str(tmp_path / "none")), 1, "no such file or directory")
    assert not (tmp_path / "i.db").exists()
    assert_one_line_error(run("scan", str(text), "-o", str(tmp_path)), 1, "is a directory")
    assert_one_line_error(run("scan", str(text), "-o", str(tmp_path / "no" / "o.jsonl")), 1, "no such folder")
    assert_one_line_error(run("check", str(text), "--lexicon", str(tmp_path)), 1, "is a directory")
    assert_one_line_error(run("learn", str(tmp_path / "i.db"), str(text), "-o", str(tmp_path)), 1, "is a directory")
    proc = run("check", str(text), "--max-bytes", "-5")
    assert proc.returncode == 2 and "must be at least 1" in proc.stderr


def test_a_damaged_index_is_a_one_line_error(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from unspin.index import Index

    db = tmp_path / "i.db"
    with Index(str(db)) as index:
        index.add([("a", SPUN)])

    def damaged(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(Index, "trace", damaged)
    text = tmp_path / "a.txt"
    text.write_text(SPUN, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        main(["trace", str(db), str(text)])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "i.db: the index file is damaged (database disk image is malformed)" in err and "Traceback" not in err


def test_the_readable_report_never_passes_escape_sequences_to_the_terminal() -> None:
    text = SPUN.replace("stated", "\x1b]0;owned\x07stated", 1) + "\x1b[2J\n"
    out = run("check", "-", stdin=text.encode()).stdout
    assert "findings" in out and "\x1b" not in out and "\x07" not in out
    assert "\u241b]0;owned\u2407" in out and "\u241b[2J" in out


def test_cache_fill_says_at_once_when_the_folder_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from unspin.cli import cache_cmd

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path))
    monkeypatch.setattr(cache_cmd.os, "access", lambda path, mode: False)  # (root may write anywhere)
    with pytest.raises(SystemExit) as exit_:
        main(["cache", "--fill"])
    assert exit_.value.code == 1 and "cannot be written" in capsys.readouterr().err


def test_user_text_in_readable_reports_is_never_markup(tmp_path: Path) -> None:
    """Brackets in ids and in originals were read as Rich markup: "report [final].txt" showed as
    "report .txt", and "[/]" ended the command in a traceback."""
    lexicon = tmp_path / "brackets.tsv"
    lexicon.write_text("# unspin-lexicon 2\nmystery layer\thidden [/]layer\t5\tcurated\n", encoding="utf-8")
    text = tmp_path / "t.txt"
    text.write_text("The mystery layer of the network was studied by the team in detail.", encoding="utf-8")
    proc = run("check", "--lexicon", str(lexicon), str(text))
    assert proc.returncode == 0, proc.stderr
    assert "hidden [/]layer" in proc.stdout
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "report [final].txt").write_text(SPUN, encoding="utf-8")
    db = tmp_path / "c.db"
    assert run("index", str(db), str(corpus)).returncode == 0
    (tmp_path / "q.txt").write_text(SPUN, encoding="utf-8")
    proc = run("trace", str(db), str(tmp_path / "q.txt"))
    assert proc.returncode == 0, proc.stderr
    assert "report [final].txt" in proc.stdout


def test_output_and_input_failures_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(SPUN, encoding="utf-8")
    if Path("/dev/full").exists():  # (a disk that is full)
        with open("/dev/full", "w") as full:
            proc = subprocess.run([sys.executable, "-m", "unspin", "check", str(tmp_path / "t.txt"), "--format", "json"],
                                  stdout=full, stderr=subprocess.PIPE, timeout=300, text=True)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr and "No space left" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "unspin", "check", "-"], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300, preexec_fn=lambda: __import__("os").close(0))
    assert_one_line_error(subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout, proc.stderr), 1,
                          "no standard input")


def test_learn_refuses_thresholds_out_of_range(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(SPUN, encoding="utf-8")
    for value in ("nan", "1.5", "-0.1"):
        proc = run("learn", str(tmp_path / "none.db"), str(tmp_path / "t.txt"), "-o", str(tmp_path / "x.lex"),
                   "--min-score", value)
        assert_one_line_error(proc, 1, "--min-score must be from 0 to 1")


def test_writers_of_one_lexicon_take_turns(tmp_path: Path) -> None:
    import fcntl
    import os

    from unspin.cli import only_writer

    target = tmp_path / "x.lex"
    with only_writer(str(target)):
        fd = os.open(tmp_path, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):  # (another process's learn or import waits here)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    with only_writer(str(target)):  # free again
        pass


def test_check_stops_at_its_time_limit(tmp_path: Path) -> None:
    long_text = tmp_path / "long.txt"
    long_text.write_text("\n\n".join([SPUN] * 40), encoding="utf-8")
    assert_one_line_error(run("check", str(long_text), "--time-limit", "1e-6"), 1, "ran past the time limit of 1e-06 s")
    assert_one_line_error(run("restore", str(long_text), "--time-limit", "0"), 1, "--time-limit must be a positive")
    proc = run("check", str(long_text), "--time-limit", "600", "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["verdict"] == "spun"


def test_encoding_must_be_a_text_encoding(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text(SPUN, encoding="utf-8")
    for name, needle in (("rot13", "not a text encoding"), ("nosuch", "no such encoding")):
        assert_one_line_error(run("scan", str(tmp_path / "d"), "-o", str(tmp_path / "o.jsonl"), "--encoding", name), 1, needle)


def test_the_commands_share_their_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One set of option helpers: scan and serve take --moby as check does, trace takes --lexicon
    (its pairs verify swaps), learn reads its files with --encoding and --max-bytes."""
    from unspin.cli import config_from

    parser = build_parser()
    for argv in (["check", "x", "--moby"], ["scan", "x", "-o", "o.jsonl", "--moby"], ["restore", "x", "--moby"]):
        assert config_from(parser.parse_args(argv)).use_moby, argv
    config = config_from(parser.parse_args(["scan", "x", "-o", "o", "--lexicon", "l.tsv", "--max-bytes", "7",
                                            "--spun-threshold", "0.6", "--min-confidence", "0.5"]))
    assert (config.lexicon_path, config.max_input_bytes, config.finding_threshold) == ("l.tsv", 7, 0.5)
    assert config_from(parser.parse_args(["trace", "db", "x", "--lexicon", "l.tsv"])).lexicon_path == "l.tsv"
    assert parser.parse_args(["serve", "--moby"]).moby
    db = tmp_path / "corpus.db"
    (tmp_path / "a.txt").write_text(SPUN, encoding="utf-8")
    assert main(["index", str(db), str(tmp_path / "a.txt")]) == 0
    copy = tmp_path / "copy.txt"
    copy.write_text(SPUN, encoding="utf-8")
    capsys.readouterr()
    assert_one_line_error(run("trace", str(db), str(copy), "--lexicon", str(tmp_path / "missing.tsv")), 1, "missing.tsv")
    assert_one_line_error(run("learn", str(db), str(copy), "-o", str(tmp_path / "l.tsv"), "--max-bytes", "10"), 1,
                          "over the limit of 10 bytes")
    latin = tmp_path / "latin.txt"
    latin.write_bytes(SPUN.replace("the", "th\u00e9").encode("latin-1", "replace"))
    assert_one_line_error(run("learn", str(db), str(latin), "-o", str(tmp_path / "l.tsv")), 1, "not valid UTF-8")
    assert main(["learn", str(db), str(latin), "-o", str(tmp_path / "l.tsv"), "--encoding", "latin-1"]) == 0
    # the note on filling the store names the store the command uses
    from unspin.cli import hint_fill
    from unspin.config import Config

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UNSPIN_CACHE", str(tmp_path / "empty-cache"))
        capsys.readouterr()
        hint_fill(Config(use_moby=True))
        assert "`unspin cache --fill --moby --jobs N`" in capsys.readouterr().err
        hint_fill(Config())
        assert "`unspin cache --fill --jobs N`" in capsys.readouterr().err
