"""Batch detection: unspin scan over files, directories and JSONL, resumable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from unspin.demo import ARTICLE, SPUN
from unspin.errors import InputError
from unspin.scan import done_ids, scan


def _corpus(root: Path) -> Path:
    docs = root / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "spun.txt").write_text(SPUN, encoding="utf-8")
    (docs / "sub" / "article.md").write_text(ARTICLE, encoding="utf-8")
    (docs / "empty.txt").write_text("  \n", encoding="utf-8")
    (docs / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with open(docs / "feed.jsonl", "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "feed-1", "text": SPUN}) + "\n")
        fh.write("{not json\n")
    return docs


def _lines(path: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    return {d["id"]: d for d in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def test_scan_checks_every_document_and_skips_bad_ones(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    summary = scan([_corpus(tmp_path)], out)
    got = _lines(out)
    assert set(got) == {"spun.txt", "sub/article.md", "feed-1"}
    assert got["spun.txt"]["verdict"] == "spun" and got["spun.txt"]["findings"]
    assert got["sub/article.md"]["verdict"] == "clean"
    assert set(got["spun.txt"]) == {"id", "verdict", "spun_probability", "findings"}
    assert summary.checked == len(got)
    # the empty file, the PNG and the bad JSONL line, each with its reason
    assert sum(summary.skipped.values()) == 3
    assert any("empty" in r for r in summary.skipped) and any("PNG" in r for r in summary.skipped)


def test_scan_resumes_and_repairs_a_cut_line(tmp_path: Path) -> None:
    docs = _corpus(tmp_path)
    out = tmp_path / "out.jsonl"
    scan([docs], out)
    full = out.read_text(encoding="utf-8").splitlines()
    # as if killed while writing the last line
    out.write_text("\n".join(full[:-1]) + "\n" + full[-1][: len(full[-1]) // 2], encoding="utf-8")
    assert len(done_ids(out)) == len(full) - 1
    summary = scan([docs], out)
    assert summary.checked == 1 and summary.resumed == len(full) - 1
    assert sorted(out.read_text(encoding="utf-8").splitlines()) == sorted(full)


def test_scan_command_with_two_jobs(tmp_path: Path) -> None:
    docs, out = _corpus(tmp_path), tmp_path / "out.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "unspin", "scan", str(docs), "-o", str(out), "--jobs", "2"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "checked" in proc.stdout and "skipped" in proc.stdout
    got = _lines(out)
    assert got["spun.txt"]["verdict"] == "spun"
    # the documents called spun are named, likeliest first, with their probability and findings
    spun = sorted((d for d in got.values() if d["verdict"] == "spun"), key=lambda d: (-d["spun_probability"], d["id"]))
    listed = proc.stdout.split("called spun, likeliest first:\n")[1].splitlines()
    assert listed == [f"  {d['spun_probability']:.2f}  {d['id']}  ({len(d['findings'])} findings)" for d in spun]


def test_scan_summary_keeps_the_likeliest_spun_documents() -> None:
    from unspin.scan import TOP_SPUN, ScanSummary

    summary = ScanSummary()
    for k in range(3 * TOP_SPUN):
        summary.add({"id": f"d{k}", "verdict": "spun" if k % 3 else "clean", "spun_probability": k / 100, "findings": []})
    top = summary.top_spun()
    assert [t[1] for t in top] == [f"d{k}" for k in range(3 * TOP_SPUN - 1, -1, -1) if k % 3][:TOP_SPUN]
    assert summary.verdicts == {"spun": 2 * TOP_SPUN, "clean": TOP_SPUN} and summary.checked == 3 * TOP_SPUN


def test_scan_tunes_the_garbage_collector_only_when_asked(tmp_path: Path) -> None:
    """The command line's scan owns its process and sets its collector for a long run of checks
    after the first document; a library caller's scan leaves the collector alone."""
    import gc

    from unspin.scan import GC_THRESHOLDS

    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        scan([_corpus(tmp_path)], tmp_path / "plain.jsonl")
        assert gc.get_threshold() == (700, 10, 10)
        frozen = gc.get_freeze_count()
        scan([_corpus(tmp_path / "again")], tmp_path / "tuned.jsonl", tune_gc=True)
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > frozen
        # and the reports are the same
        assert _lines(tmp_path / "plain.jsonl") == _lines(tmp_path / "tuned.jsonl")
    finally:
        gc.unfreeze()
        gc.set_threshold(*saved)


def test_scan_spun_threshold(tmp_path: Path) -> None:
    """--spun-threshold moves the verdict, not the probability: above the spun text's probability
    it is no longer called spun."""
    from unspin.cli import main

    docs = _corpus(tmp_path)
    plain, strict = tmp_path / "plain.jsonl", tmp_path / "strict.jsonl"
    assert main(["scan", str(docs), "-o", str(plain)]) == 0
    p = _lines(plain)["spun.txt"]["spun_probability"]
    assert _lines(plain)["spun.txt"]["verdict"] == "spun" and p < 0.99
    assert main(["scan", str(docs), "-o", str(strict), "--spun-threshold", f"{p + 0.01:.4f}"]) == 0
    line = _lines(strict)["spun.txt"]
    assert line["verdict"] == "uncertain" and line["spun_probability"] == p


def test_a_page_saved_as_text_is_read_as_a_page(tmp_path: Path) -> None:
    """A .txt file holding a whole HTML page gives its main text, not its markup and scripts."""
    import pytest

    pytest.importorskip("trafilatura", reason="reading HTML needs the trace extra (trafilatura)")
    from unspin.inputs import looks_like_html, read_inputs

    body = "".join(f"<p>{p}</p>" for p in ARTICLE.split("\n\n") if p.strip())
    page = f"<!DOCTYPE html><html><head><script>var tracker = 1;</script></head><body>{body}</body></html>"
    (tmp_path / "saved.txt").write_text(page, encoding="utf-8")
    (record,) = read_inputs([tmp_path / "saved.txt"])
    assert "tracker" not in record.text and "<p>" not in record.text
    assert ARTICLE.split("\n\n")[1][:40] in record.text
    assert looks_like_html("  <!-- cached -->\n<HTML lang='en'>") and not looks_like_html("The <html> tag opens a page.")



def test_an_xhtml_file_in_a_folder_is_read_as_a_page(tmp_path: Path) -> None:
    """A folder's .xhtml files are scanned, and read as pages (the web upload reads them so too)."""
    import pytest

    pytest.importorskip("trafilatura", reason="reading HTML needs the trace extra (trafilatura)")
    from unspin.inputs import read_inputs

    body = "".join(f"<p>{p}</p>" for p in ARTICLE.split("\n\n") if p.strip())
    fragment = f"<div><nav>Home | News</nav>{body}</div>"  # no doctype: only the name says it is a page
    (tmp_path / "chapter.xhtml").write_text(fragment, encoding="utf-8")
    (record,) = read_inputs([tmp_path])
    assert record.id == "chapter.xhtml" and "<p>" not in record.text
    assert ARTICLE.split("\n\n")[1][:40] in record.text


def test_scan_writes_a_report_page_per_document(tmp_path: Path) -> None:
    from unspin.scan import report_path

    docs, out, pages = _corpus(tmp_path), tmp_path / "out.jsonl", tmp_path / "reports"
    scan([docs], out, reports=pages)
    got = _lines(out)
    assert len(list(pages.iterdir())) == len(got)  # one page each, and no temporary file left
    for doc_id, line in got.items():
        page = report_path(pages, doc_id).read_text(encoding="utf-8")
        assert f"<title>unspin report: {doc_id}</title>" in page
        assert page.count("<mark ") == len(line["findings"])
    # ids that differ only in characters a file name cannot hold get pages of their own
    assert report_path(pages, "a/b") != report_path(pages, "a_b")
    assert report_path(pages, "sub/article.md").name.startswith("sub_article.md-")
    # the command names each spun document's page
    out2 = tmp_path / "out2.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "unspin", "scan", str(docs), "-o", str(out2), "--jobs", "2", "--reports", str(pages)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    listed = proc.stdout.split("called spun, likeliest first:\n")[1].splitlines()
    assert listed and all(Path(line.split()[-1]).exists() for line in listed)


def test_scan_says_when_the_candidate_store_is_empty(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """A crawl over an empty candidate store is told of `unspin cache --fill`; once the store
    holds enough, it is not."""
    import unspin.cli
    from unspin.cli import main
    from unspin.detect import stored_candidates

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "spun.txt").write_text(SPUN, encoding="utf-8")
    assert stored_candidates() == 0
    assert main(["scan", str(docs), "-o", str(tmp_path / "a.jsonl")]) == 0
    assert "unspin cache --fill" in capsys.readouterr().err
    held = stored_candidates()
    assert held is not None and held > 0  # the scan stored the candidates it worked out
    monkeypatch.setattr(unspin.cli, "FILLED_ENOUGH", held)
    assert main(["scan", str(docs), "-o", str(tmp_path / "b.jsonl")]) == 0
    assert "unspin cache --fill" not in capsys.readouterr().err
    monkeypatch.setenv("UNSPIN_CACHE", "off")
    assert stored_candidates() is None


def test_scan_stops_a_check_at_the_time_limit(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """With a time limit, a document whose check needs longer is written as stopped
    ("uncertain", no probability, ``timed_out``) and the scan goes on; a rerun does not check it
    again. Without one, or with a generous one, documents are judged as before."""
    import pytest

    from unspin.cli import main

    docs = _corpus(tmp_path)
    judged, stopped = tmp_path / "judged.jsonl", tmp_path / "stopped.jsonl"
    scan([docs], judged, time_limit=600.0)
    summary = scan([docs], stopped, time_limit=1e-9, jobs=2)  # (every deadline has passed at once)
    full, cut = _lines(judged), _lines(stopped)
    assert set(full) == set(cut) == {"spun.txt", "sub/article.md", "feed-1"}
    assert full["spun.txt"]["verdict"] == "spun" and "timed_out" not in full["spun.txt"]
    for doc_id, line in cut.items():
        assert line["verdict"] == "uncertain" and line["spun_probability"] is None and line["findings"] == []
        assert line["timed_out"] is True and "time limit of 1e-09 s" in line["reason"], doc_id
    assert summary.timed_out == summary.checked == 3 and "3 of them stopped at the time limit" in summary.line()
    assert scan([docs], stopped, time_limit=1e-9).resumed == 3  # written, so not checked again
    with pytest.raises(ValueError, match="time_limit"):
        scan([docs], tmp_path / "x.jsonl", time_limit=0)
    assert main(["scan", str(docs), "-o", str(tmp_path / "z.jsonl"), "--time-limit", "1e-9"]) == 0
    assert "3 of them stopped at the time limit" in capsys.readouterr().out
    assert all(line["timed_out"] for line in _lines(tmp_path / "z.jsonl").values())
    with pytest.raises(SystemExit) as exit_:
        main(["scan", str(docs), "-o", str(tmp_path / "y.jsonl"), "--time-limit", "-1"])
    assert exit_.value.code == 1
    assert "--time-limit must be a positive number" in capsys.readouterr().err


def test_scan_never_resumes_into_a_file_that_is_not_its_output(tmp_path: Path) -> None:
    """A file whose whole lines are not scan records is someone else's: refused, left as it was
    (it was cut at its first such line before).  Blank lines are no harm; a last record without
    its line end gets one instead of being glued to the next."""
    docs = _corpus(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\nmore notes\n", encoding="utf-8")
    with pytest.raises(InputError, match="notes.txt:1: not a line of unspin scan's output"):
        scan([docs], notes)
    assert notes.read_text(encoding="utf-8") == "my notes\nmore notes\n"
    out = tmp_path / "out.jsonl"
    scan([docs], out)
    full = out.read_text(encoding="utf-8").splitlines()
    out.write_text("\n" + "\n".join(full[:2]) + "\ngarbage\n" + "\n".join(full[2:]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=":4: not a line"):
        scan([docs], out)
    out.write_text("\n" + "\n".join(full), encoding="utf-8")  # a blank first line; no line end at the last
    summary = scan([docs], out)
    assert summary.checked == 0 and summary.resumed == len(full)
    assert out.read_text(encoding="utf-8") == "\n" + "\n".join(full) + "\n"
    with pytest.raises(InputError, match="is a directory"):
        scan([docs], tmp_path)
    with pytest.raises(InputError, match="no such folder"):
        scan([docs], tmp_path / "nowhere" / "out.jsonl")
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="needs a folder"):
        scan([docs], tmp_path / "out2.jsonl", reports=tmp_path / "afile")
    assert not (tmp_path / "out2.jsonl").exists()


def test_documents_of_the_same_name_under_two_folders_are_both_checked(tmp_path: Path) -> None:
    """Ids are unique within a scan: the second "x.txt" is named under its folder, the same
    file given twice and an id repeated in a JSONL file are skipped with the reason; a rerun
    with the same arguments names them alike and resumes."""
    for name, text in (("a", SPUN), ("b", ARTICLE)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.txt").write_text(text, encoding="utf-8")
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"id": "f", "text": t}) + "\n" for t in (SPUN, ARTICLE)), encoding="utf-8")
    args = [tmp_path / "a", tmp_path / "b", tmp_path / "a" / "x.txt", feed]
    out = tmp_path / "out.jsonl"
    summary = scan(args, out)  # type: ignore[arg-type]
    got = _lines(out)
    assert set(got) == {"x.txt", f"{(tmp_path / 'b').as_posix()}/x.txt", "f"}
    assert got["x.txt"]["verdict"] == "spun" and got[f"{(tmp_path / 'b').as_posix()}/x.txt"]["verdict"] == "clean"
    assert sorted(summary.skipped) == ["duplicate id", "read twice"]
    again = scan(args, out)  # type: ignore[arg-type]
    assert again.checked == 0 and again.resumed == 3


def test_an_uncertain_line_says_why(tmp_path: Path) -> None:
    (tmp_path / "fr.txt").write_text(
        "Le conseil municipal a annoncé hier que le pont serait réparé avant la fin de l'automne prochain.",
        encoding="utf-8")
    out = tmp_path / "out.jsonl"
    scan([tmp_path / "fr.txt"], out)
    line = _lines(out)["fr.txt"]
    assert line["verdict"] == "uncertain" and "English" in line["reason"]


def test_links_and_loops_of_links_read_each_file_once(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "a.txt").write_text(SPUN, encoding="utf-8")
    (docs / "sub" / "loop").symlink_to("..")  # docs/sub/loop/sub/loop/... without end
    (docs / "again.txt").symlink_to(docs / "sub" / "a.txt")
    out = tmp_path / "out.jsonl"
    summary = scan([docs], out)
    assert summary.checked == 1 and list(_lines(out)) == ["sub/a.txt"]  # the file, not the link to it
    assert set(summary.skipped) == {"read twice"}


def test_a_file_without_its_last_line_end_is_no_cut_off_scan(tmp_path: Path) -> None:
    """Only a last line that starts as scan writes its lines is a line a kill cut off; a user's
    file without a final line end (notes, a JSON array) or a feed of documents given as the
    output by mistake is refused and left as it was (the notes were deleted, the feed reported
    "already done")."""
    docs = _corpus(tmp_path)
    for name, content in (("notes.txt", "Meeting notes: call the publisher on Monday"), ("n.json", "[1, 2, 3]"),
                          ("feed.jsonl", json.dumps({"id": "b1", "text": SPUN}) + "\n"),
                          ("mixed.jsonl", '{"id": "x", "verdict": "clean", "findings": []}\nmy notes')):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        with pytest.raises(InputError, match="not a line of unspin scan's output"):
            scan([docs], path)
        assert path.read_text(encoding="utf-8") == content, name
    cut = tmp_path / "cut.jsonl"
    cut.write_text('{"id": "spun.txt", "verdict": "sp', encoding="utf-8")  # killed in its first line
    assert done_ids(cut) == set() and cut.read_text(encoding="utf-8") == ""


def test_scan_leaves_its_own_output_and_reports_out_of_the_folder_it_scans(tmp_path: Path) -> None:
    docs = _corpus(tmp_path)
    out, reports = docs / "results.jsonl", docs / "reports"
    first = scan([docs], out, reports=reports)
    again = scan([docs], out, reports=reports)
    assert again.checked == 0 and again.resumed == first.checked
    assert sum(again.skipped.values()) == sum(first.skipped.values()) == 3  # the same three bad files only
    assert set(_lines(out)) == {"spun.txt", "sub/article.md", "feed-1"}


def test_a_second_scan_into_the_same_output_is_refused_while_one_runs(tmp_path: Path) -> None:
    import fcntl

    docs = _corpus(tmp_path)
    out = tmp_path / "out.jsonl"
    with open(out, "a", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # (as a scan running in another process holds it)
        with pytest.raises(InputError, match="another scan is writing to it"):
            scan([docs], out)
    assert out.read_text(encoding="utf-8") == ""
    assert scan([docs], out).checked == 3  # once it is free


def test_the_time_limit_starts_after_the_resources_are_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process's first check loads some seconds of resources; that was charged to its first
    document, which was then written as timed out for good."""
    import time

    from unspin.detect import Engine

    loaded = Engine.prepare

    def slow_loading(self: Engine) -> None:
        time.sleep(1.0)  # (as loading the resources takes, on a cold machine, several seconds)
        loaded(self)

    monkeypatch.setattr(Engine, "prepare", slow_loading)
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    scan([tmp_path / "a.txt"], out, time_limit=0.9)
    assert "timed_out" not in _lines(out)["a.txt"]


def test_scan_refuses_a_missing_lexicon_before_it_makes_anything(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from unspin.cli import main

    docs = _corpus(tmp_path)
    for jobs in ("1", "2"):
        out, reports = tmp_path / f"out{jobs}.jsonl", tmp_path / f"rep{jobs}"
        with pytest.raises(SystemExit) as exit_:
            main(["scan", str(docs), "-o", str(out), "--lexicon", str(tmp_path / "nope.tsv"), "--jobs", jobs,
                  "--reports", str(reports)])
        assert exit_.value.code == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "nope.tsv" in err and "Traceback" not in err
        assert not out.exists() and not reports.exists()


def test_report_page_names_stay_short_in_bytes() -> None:
    from unspin.scan import report_path

    name = report_path("r", "新闻" * 200).name
    assert len(name.encode("utf-8")) <= 120 and name.endswith(".html")


def test_reports_into_a_folder_scanned_are_refused(tmp_path: Path) -> None:
    """Report pages written into the folder scanned were read as documents; leaving that folder out
    left out every document (0 checked, exit 0)."""
    docs = _corpus(tmp_path)
    for reports in (docs, tmp_path):
        with pytest.raises(InputError, match="a folder scanned"):
            scan([docs], tmp_path / "out.jsonl", reports=reports)
    assert scan([docs], tmp_path / "out.jsonl", reports=docs / "sub" / "pages").checked == 3  # inside is fine


def test_scan_workers_that_cannot_start_or_die_stop_it_with_one_line(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """A worker whose resources fail to load gives the scan that error (it was a traceback per
    worker and a BrokenProcessPool); a worker killed mid-scan gives a one-line error that says the
    lines written are kept."""
    import os
    import signal

    import pytest

    import unspin.scan
    from unspin.cli import main
    from unspin.errors import ResourceError

    docs = _corpus(tmp_path)
    monkeypatch.setenv("UNSPIN_CACHE", "off")  # (no note on filling the store)

    class Broken(unspin.scan.Engine):  # type: ignore[misc,name-defined]
        def prepare(self) -> None:
            raise ResourceError("the language model is missing; run: pip install pocketsphinx")

    monkeypatch.setattr(unspin.scan, "Engine", Broken)  # (the workers are forked: they see it)
    with pytest.raises(SystemExit) as exit_:
        main(["scan", str(docs), "-o", str(tmp_path / "a.jsonl"), "--jobs", "2"])
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 1 and err.count("\n") == 0 and "Traceback" not in err
    assert err == "unspin: error: the language model is missing; run: pip install pocketsphinx"

    class Dying(unspin.scan.Engine):  # type: ignore[misc,name-defined]
        def prepare(self) -> None:
            os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(unspin.scan, "Engine", Dying)
    with pytest.raises(SystemExit) as exit_:
        main(["scan", str(docs), "-o", str(tmp_path / "b.jsonl"), "--jobs", "2"])
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 1 and err.count("\n") == 0, err
    assert "a worker process ended abruptly" in err and "the same command goes on from there" in err


def test_every_front_end_reads_a_page_with_page_text(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """check and the web upload read a page alike (unspin.inputs.page_text): its main text, else its
    visible text (check refused a page saved as text where trafilatura is not installed); scan and
    index read the main text only, and skip a page with none (a crawl's pages share their menus and
    footers: indexed, they would trace a copy to every page of its site)."""
    import unspin.inputs
    from unspin.cli import main
    from unspin.inputs import Record, page_text, read_inputs

    page = "<!DOCTYPE html><html><body><h1>Bridge news</h1><p>The mayor stated the work would commence.</p></body></html>"
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    (tmp_path / "saved.txt").write_text(page, encoding="utf-8")
    monkeypatch.setattr(unspin.inputs, "html_to_text", lambda html: "")  # (no main text found, or no trafilatura)
    assert page_text(page) == "Bridge news\n\nThe mayor stated the work would commence."
    read = list(read_inputs([tmp_path], 5_000_000))
    assert not [r for r in read if isinstance(r, Record)]
    assert sorted(r.where for r in read) == ["page.html", "saved.txt"] and all("empty" in r.reason for r in read)
    monkeypatch.setenv("UNSPIN_CACHE", "off")
    assert main(["restore", str(tmp_path / "saved.txt")]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("Bridge news\n\nThe mayor") and "<h1>" not in out.out
    assert "an HTML page: its main text is checked" in out.err


def test_an_interrupted_scan_says_what_it_wrote_and_how_to_go_on(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+C said only "unspin: error: interrupted": it says how many documents the run wrote and
    that the same command goes on from there (exit 130, as the README's table says)."""
    import pytest

    import unspin.scan
    from unspin.cli import main

    def interrupted(paths, output, config=None, *, progress=None, **options):  # type: ignore[no-untyped-def]
        for n in (1, 2, 3):
            progress(n)
        raise KeyboardInterrupt

    monkeypatch.setattr(unspin.scan, "scan", interrupted)
    monkeypatch.setenv("UNSPIN_CACHE", "off")
    docs = _corpus(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["scan", str(docs), "-o", str(tmp_path / "out.jsonl")])
    assert exit_.value.code == 130
    err = capsys.readouterr().err.strip()
    assert err == f"unspin: interrupted: this run wrote 3 documents to {tmp_path / 'out.jsonl'}; the same command goes on from there"
