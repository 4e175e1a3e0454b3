"""The HTML report page (``unspin check --format html``, ``POST /api/report``)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import unspin
from unspin.demo import SPUN
from unspin.htmlreport import render
from unspin.report import Finding, Report


class _Page(HTMLParser):
    """The page's tags, and the text inside the element with each id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.texts: dict[str, list[str]] = {}
        self.open: list[tuple[str, str | None]] = []
        self.marks: list[str] = []
        self.in_sup = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        if tag == "mark":
            self.marks.append(a.get("title") or "")
        if tag == "sup":
            self.in_sup += 1
        if tag not in ("meta", "br"):
            self.open.append((tag, a.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "sup":
            self.in_sup -= 1
        while self.open:
            t, _ = self.open.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.in_sup:
            return  # (the findings' numbers are not the text)
        for _, i in self.open:
            if i:
                self.texts.setdefault(i, []).append(data)


def parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    return p


def test_the_page_marks_each_finding_and_keeps_the_text_exact() -> None:
    report = unspin.check(SPUN)
    assert report.findings
    page = parse(render(SPUN, report, source="article.txt", generated=dt.datetime(2026, 1, 2, 3, 4, 5)))
    assert "".join(page.texts["text"]) == SPUN  # the checked text, character for character
    assert "".join(page.texts["restored"]) == report.restored
    assert len(page.marks) == len(report.findings)
    for title, f in zip(page.marks, sorted(report.findings, key=lambda f: f.start), strict=True):
        assert title.startswith(f"likely original: {f.original} (confidence {f.confidence:.2f}")
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags


def test_text_from_the_input_is_escaped() -> None:
    text = 'The mayor stated <script>alert("x")</script> & said "hello" \u2014 <b>bold</b>.'
    start = text.index("stated")
    f = Finding(start, start + 6, "stated", 'said"><script>', 0.9, signals={"lm_gain": 2.0, "source": "<lexicon>"})
    report = Report("spun", 0.9, (f,), unspin.report.apply_findings(text, (f,)), features={})
    html = render(text, report, source="<evil>.txt")
    page = parse(html)
    assert page.tags.count("script") == 0 and "b" not in page.tags
    assert "".join(page.texts["text"]) == text
    assert "".join(page.texts["restored"]) == report.restored
    assert "&lt;evil&gt;.txt" in html


def test_clean_and_uncertain_reports() -> None:
    report = Report("uncertain", 0.5, (), "too short", reason="too short to judge: 2 words, need 8")
    page = parse(render("too short", report))
    assert "".join(page.texts["text"]) == "too short"
    assert "restored" not in page.texts  # nothing to restore: no restored copy
    html = render("too short", report)
    assert "uncertain: unspin cannot tell" in html and "Why: too short to judge: 2 words, need 8" in html


def test_check_format_html(tmp_path: Path) -> None:
    path = tmp_path / "spun article.txt"
    path.write_text(SPUN, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "unspin", "check", str(path), "--format", "html"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("<!DOCTYPE html>")
    assert "<title>unspin report: spun article.txt</title>" in proc.stdout
    assert len(parse(proc.stdout).marks) == len(unspin.check(SPUN).findings)


def test_trace_format_html(tmp_path: Path) -> None:
    from conftest import build_demo_index
    from unspin import demo
    from unspin.index import open_index

    db = tmp_path / "corpus.db"
    build_demo_index(db)
    suspect = tmp_path / "copy.txt"
    suspect.write_text(SPUN, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "unspin", "trace", str(db), str(suspect), "--format", "html"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = proc.stdout
    assert page.startswith("<!DOCTYPE html>") and "<title>unspin trace report: copy.txt</title>" in page
    with open_index(str(db)) as index:
        matches = index.trace(SPUN)
    assert matches and matches[0].id == demo.ARTICLE_ID
    best = matches[0]
    assert f"1. {demo.ARTICLE_ID} (score {best.score:.2f}" in page
    # each swap is marked on both sides: the spun word in the traced passage, its original in the source's
    marks = parse(page).marks
    assert marks.count("") == 0
    spun_side = [t for t in marks if t.startswith("source has: ")]
    orig_side = [t for t in marks if t.startswith("traced text has: ")]
    assert spun_side == [f"source has: {s.original}" for s in sorted(best.substitutions, key=lambda s: s.query)][
        : len(spun_side)] and len(spun_side) > 0
    assert len(orig_side) > 0
    assert "script" not in parse(page).tags


def test_trace_page_without_a_source() -> None:
    from unspin.htmlreport import render_trace

    page = render_trace("Nothing like anything indexed.", [], {}, indexed=2)
    assert "No source found among 2 indexed documents." in page


def test_page_text_of_deep_and_malformed_pages() -> None:
    """A page whose text sits over 255 elements deep read as empty (lxml's parser stops there), and
    a page of unclosed tags took the standard library's parser minutes (a guard against the hang,
    with a generous bound: it takes some hundredths of a second now)."""
    import time

    from unspin.htmltext import visible_text
    from unspin.inputs import html_to_text as main_text

    para = "<p>The mayor stated the work would commence in the spring, and officials said the budget was approved.</p>"
    deep = "<!DOCTYPE html><html><body>" + "<div>" * 300 + para * 20 + "</div>" * 300 + "</body></html>"
    assert main_text(deep).startswith("The mayor stated the work would commence")
    assert visible_text("<p>Hello <b>world</b>, 3 < 4 and a<b ok</p><p>Next</p>") == "Hello world, 3 < 4 and a<b ok\n\nNext"
    image = '<img src="data:image/png;base64,' + "A" * 20_000 + '">'
    assert visible_text(f"<p>Before {image} after</p>") == "Before after"  # (a long tag is still a tag)
    xhtml = '<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>'
    assert main_text(xhtml + "<div>" * 300 + para * 20 + "</div>" * 300 + "</body></html>").startswith("The mayor")
    t = time.perf_counter()
    for unit in ("<p ", '<a x="', "<!--"):
        visible_text("<!DOCTYPE html><html><body>" + unit * 20_000)
    assert time.perf_counter() - t < 10.0
