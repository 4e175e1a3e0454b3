"""``unspin index`` and ``unspin trace``: real processes for the main paths, in-process for the rest."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from unspin import demo
from unspin.cli import main
from unspin.inputs import Record, Skip, read_inputs

HTML = """<!doctype html><html><head><title>Bridge</title></head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/sport">Sport</a></nav>
<article><h1>City council approves plan</h1>
<p>{body}</p></article>
<footer>Copyright 2026 Example Town Gazette. All rights reserved. Contact us.</footer>
</body></html>"""

CONCERT = (
    "The school choir will perform its winter concert in the main hall on Friday evening, and the "
    "orchestra of the town will join them for the second half of the programme. Tickets are free for "
    "parents, but the music teacher asked families to arrive early because only 240 seats are available."
)


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "unspin", *args], input=stdin, capture_output=True, timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def make_warc(path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for uri, ctype, body in [
            ("https://example.org/concert", "text/plain; charset=utf-8", CONCERT.encode()),
            ("https://example.org/logo.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ]:
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=http))


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "news").mkdir(parents=True)
    (root / "news" / "bridge.txt").write_text(demo.ARTICLE, encoding="utf-8")
    (root / "notes.md").write_text("# Notes\n\n" + CONCERT.replace("choir", "band"), encoding="utf-8")
    (root / "page.html").write_text(HTML.format(body=demo.UNRELATED.strip() + " " + CONCERT), encoding="utf-8")
    (root / "empty.txt").write_text("  \n", encoding="utf-8")
    (root / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (root / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (root / "ignored.csv").write_text("a,b\n1,2\n")
    lines = [json.dumps({"id": "j1", "text": "A first JSONL document about trains and timetables in the north.", "lang": "en"}), "{not json", json.dumps({"text": "no id"}), ""]
    with gzip.open(root / "more.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    make_warc(root / "crawl.warc.gz")
    return root


def test_read_inputs_ids_and_skip_reasons(corpus: Path) -> None:
    items = list(read_inputs([corpus, corpus / "news" / "bridge.txt"]))
    records = {i.id: i for i in items if isinstance(i, Record)}
    skips = {i.where: i.reason for i in items if isinstance(i, Skip)}
    assert set(records) == {"news/bridge.txt", "notes.md", "page.html", "j1", "https://example.org/concert"}
    assert "read twice" in skips["bridge.txt"]  # given again after the folder that holds it
    assert records["j1"].meta == {"lang": "en"}
    page = records["page.html"].text
    assert "winter concert" in page and "All rights reserved" not in page and "Home" not in page
    assert "empty" in skips["empty.txt"]
    assert "PNG" in skips["image.txt"]
    assert "UTF-8" in skips["latin1.txt"]
    assert "JSON" in skips["more.jsonl.gz:2"] and "id" in skips["more.jsonl.gz:3"]
    assert "not text" in skips["https://example.org/logo.png"]
    assert not any("ignored" in k for k in list(records) + list(skips))


def test_index_then_trace_json(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    proc = run("index", str(db), str(corpus))
    assert proc.returncode == 0, proc.stderr
    assert "5 added, 0 duplicates, 6 skipped; 5 documents in the index" in proc.stdout
    assert "image.txt" in proc.stdout and "more.jsonl.gz:2" in proc.stdout
    again = run("index", str(db), str(corpus), "--format", "json")
    assert json.loads(again.stdout) == {
        "added": 0, "duplicates": 5, "conflicts": 0, "skipped": 6, "documents": 5,
        "skip_reasons": json.loads(again.stdout)["skip_reasons"],
    }
    proc = run("trace", str(db), "-", "--format", "json", stdin=demo.SPUN.encode())
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert list(out) == ["matches"]
    (m,) = out["matches"]
    assert list(m) == ["id", "score", "coverage", "passages", "substitutions"]
    assert m["id"] == "news/bridge.txt" and m["coverage"] > 0.9
    for p in m["passages"]:
        assert list(p) == ["query", "source"]
    for s in m["substitutions"]:
        assert list(s) == ["spun", "original", "query", "source", "evidence"]
        assert s["evidence"] in ("thesaurus", "lexicon", "unverified")
        assert demo.SPUN[s["query"][0] : s["query"][1]] == s["spun"]
        assert demo.ARTICLE[s["source"][0] : s["source"][1]] == s["original"]
    assert any(s["spun"] == "commence" and s["original"] == "begin" and s["evidence"] == "thesaurus"
               for s in m["substitutions"])


def test_trace_text_report_and_options(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "c.db"
    assert main(["index", str(db), str(corpus)]) == 0
    capsys.readouterr()
    spun = tmp_path / "spun.txt"
    spun.write_text(demo.SPUN, encoding="utf-8")
    assert main(["trace", str(db), str(spun)]) == 0
    out = capsys.readouterr().out
    assert "news/bridge.txt" in out and "commence" in out and "begin" in out
    unrelated = tmp_path / "walk.txt"
    unrelated.write_text("Our walking club met at the old mill before dawn and followed the river for nine miles.", encoding="utf-8")
    assert main(["trace", str(db), str(unrelated), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"matches": []}
    assert main(["trace", str(db), str(unrelated)]) == 0
    assert "no source found" in capsys.readouterr().out
    assert main(["trace", str(db), str(spun), "--format", "json", "--all", "--top", "1"]) == 0
    assert len(json.loads(capsys.readouterr().out)["matches"]) == 1


def test_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "t.txt"
    text.write_text(demo.SPUN, encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["trace", str(tmp_path / "missing.db"), str(text)])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and "unspin index" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit) as exc:
        main(["trace", str(tmp_path / "x.db"), str(text), "--top", "0"])
    assert exc.value.code == 2
    assert "at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["index", str(tmp_path / "x.db")])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["index", str(text), str(tmp_path)])
    assert exc.value.code == 1
    assert "not an unspin index" in capsys.readouterr().err


def test_index_says_when_another_folders_files_take_the_same_ids(tmp_path: Path) -> None:
    """Files of the same name in two folders indexed one after the other: the second folder's
    texts used to be dropped as "duplicates" (rc 0) and could never be traced."""
    for name, text in (("a", demo.ARTICLE), ("b", demo.UNRELATED)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "i.db"
    assert run("index", str(db), str(tmp_path / "a")).returncode == 0
    proc = run("index", str(db), str(tmp_path / "b"))
    assert proc.returncode == 1 and "0 added, 0 duplicates, 1 conflicting ids" in proc.stdout
    assert "1 documents not added: their ids (x.txt) are in the index already for other texts" in proc.stderr
    again = run("index", str(db), str(tmp_path / "a"))  # the same files again are plain duplicates
    assert again.returncode == 0 and "0 added, 1 duplicates, 0 skipped" in again.stdout


def test_ids_never_drive_the_terminal(tmp_path: Path) -> None:
    """An id from a crawl or the API may hold escape sequences: the commands print them as symbols."""
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "e\x1b[41mRED\x1b]0;title\x07", "text": demo.ARTICLE}) + "\n", encoding="utf-8")
    db = tmp_path / "i.db"
    assert run("index", str(db), str(feed)).returncode == 0
    proc = run("trace", str(db), "-", stdin=demo.SPUN.encode())
    assert proc.returncode == 0 and "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "e\u241b[41mRED\u241b]0;title\u2407" in proc.stdout


def test_crawl_files_as_crawls_have_them(tmp_path: Path) -> None:
    """A .jsonl.gz cut off mid-download gives the records before the damage and a skip (it was
    a traceback that stopped the whole run); a WARC error page is skipped so that the later,
    good capture of the same address gets its id; a page's charset in its HTTP header is
    honoured; text files that are not UTF-8 are read in the encoding given for them."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    feed = "".join(json.dumps({"id": f"d{i}", "text": CONCERT + f" Number {i}."}) + "\n" for i in range(300))
    whole = gzip.compress(feed.encode("utf-8"))
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    items = list(read_inputs([tmp_path / "cut.jsonl.gz"]))
    records, skips = [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Skip)]
    assert records and records[0].id == "d0" and len(skips) == 1 and "truncated" in skips[0].reason

    page = f"<html><head><title>T</title></head><body><article><p>{CONCERT} Caf\u00e9 \u00a35.</p></article></body></html>"
    with open(tmp_path / "crawl.warc.gz", "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for status, body, charset in [("503 Service Unavailable", b"<html><body><h1>503</h1></body></html>", "utf-8"),
                                      ("200 OK", page.encode("latin-1"), "iso-8859-1")]:
            http = StatusAndHeaders(status, [("Content-Type", f"text/html; charset={charset}")], protocol="HTTP/1.1")
            record = writer.create_warc_record("https://news.example/story", "response", payload=io.BytesIO(body),
                                               http_headers=http)
            writer.write_record(record)
    items = list(read_inputs([tmp_path / "crawl.warc.gz"]))
    (record,) = [i for i in items if isinstance(i, Record)]
    assert "Caf\u00e9 \u00a35" in record.text and "winter concert" in record.text
    assert [i.reason for i in items if isinstance(i, Skip)] == ["HTTP status 503, not a page's content"]

    (tmp_path / "lat").mkdir()
    (tmp_path / "lat" / "l.txt").write_bytes(("The price was \u00a35, " + CONCERT).encode("latin-1"))
    (tmp_path / "lat" / "u.txt").write_text("Caf\u00e9 au lait. " + CONCERT, encoding="utf-8")
    assert [type(i) for i in read_inputs([tmp_path / "lat"])] == [Skip, Record]
    texts = {i.id: i.text for i in read_inputs([tmp_path / "lat"], fallback="latin-1") if isinstance(i, Record)}
    assert texts["l.txt"].startswith("The price was \u00a35") and texts["u.txt"].startswith("Caf\u00e9")
    db = tmp_path / "lat.db"
    assert main(["index", str(db), str(tmp_path / "lat"), "--encoding", "latin-1"]) == 0
    with pytest.raises(SystemExit):
        main(["index", str(db), str(tmp_path / "lat"), "--encoding", "klingon"])


def test_xhtml_with_an_xml_declaration_is_a_page() -> None:
    from unspin.inputs import looks_like_html

    head = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">\n'
    assert looks_like_html(head + "<html><body><p>Hi</p></body></html>")
    assert not looks_like_html('<?xml version="1.0"?><rss><channel></channel></rss>')


def test_an_index_refuses_another_programs_database_without_changing_it(tmp_path: Path) -> None:
    import sqlite3

    from unspin.errors import IndexCorruptError
    from unspin.index import Index, open_index

    for n, tables in enumerate((["users(id integer primary key, name text)", "info(k text, v text)"],
                                ["docs(id integer primary key, title text)"], ["info(key text, value text)", "docs(id, body)"])):
        app = tmp_path / f"app{n}.db"
        with sqlite3.connect(app) as db:
            for table in tables:
                db.execute(f"create table {table}")
        before = app.read_bytes()
        for opener in (Index, open_index):
            with pytest.raises(IndexCorruptError, match="not an unspin index"):
                opener(app)
        assert app.read_bytes() == before and not Path(f"{app}-wal").exists(), tables
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(IndexCorruptError, match="is empty, not an index"):
        open_index(empty)  # (trace: a read-only command never makes an index)
    assert empty.stat().st_size == 0


def test_jsonl_ids_must_be_strings_or_whole_numbers(tmp_path: Path) -> None:
    feed = tmp_path / "f.jsonl"
    rows = [{"id": 7, "text": CONCERT}, {"id": True, "text": CONCERT}, {"id": [1, 2], "text": CONCERT},
            {"id": 1.5, "text": CONCERT}]
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    items = list(read_inputs([feed]))
    assert [i.id for i in items if isinstance(i, Record)] == ["7"]
    reasons = [i.reason for i in items if isinstance(i, Skip)]
    assert [r.split(",")[0] for r in reasons] == ['the "id" is bool', 'the "id" is list', 'the "id" is float']


def test_index_counts_what_another_run_added(tmp_path: Path) -> None:
    from unspin.index import Index

    db = tmp_path / "x.db"
    with Index(db) as first:
        with Index(db) as second:
            second.add([("b", CONCERT)])
        assert len(first) == 0 and first.recount() == 1 == len(first)
