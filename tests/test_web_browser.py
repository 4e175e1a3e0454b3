"""The web page in real headless Chromium (Debian's ``chromium``, driven by Playwright).

A real uvicorn server runs the application in a thread on a free port of
127.0.0.1; the browser talks to nothing else.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import unspin
from unspin import Config, demo

CHROMIUM = os.environ.get("UNSPIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)"),
]
pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install 'unspin[web]'")

import uvicorn  # noqa: E402
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from conftest import build_demo_index  # noqa: E402
from unspin.web import create_app  # noqa: E402

TOKEN = "browser-test-token"


class LiveServer:
    """uvicorn serving one application in a background thread."""

    def __init__(self, app: Any) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(create_app(Config())) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None)
    # the page must not reach for anything outside this server
    outside: list[str] = []
    pg.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
        else (outside.append(route.request.url), route.abort()),
    )
    yield pg
    context.close()
    assert not outside, f"the page requested outside addresses: {outside}"
    assert not errors, f"errors in the page: {errors}"


def check_text(page: Page, server: LiveServer, text: str) -> None:
    page.goto(server.url + "/")
    page.fill("#text", text)
    page.click("#submit")
    expect(page.locator("#results")).to_be_visible(timeout=30_000)


def test_paste_check_and_see_highlights_and_restored_text(page: Page, server: LiveServer) -> None:
    check_text(page, server, demo.SPUN)
    highlights = page.locator("#marked .hl")
    expect(highlights.first).to_be_visible()
    count = highlights.count()
    assert count >= 2
    expected = unspin.check(demo.SPUN)
    assert count == len(expected.findings)
    # the highlights are exactly the findings' spans
    assert highlights.all_inner_texts() == [f.text for f in expected.findings]
    # verdict with its probability
    expect(page.locator("#verdict-label")).to_contain_text(expected.verdict)
    expect(page.locator("#probability")).to_have_text(f"{round(expected.spun_probability * 100)}%")
    # restored text: the inline diff shows each change, the clean copy is the server's restored text
    expect(page.locator("#restored ins")).to_have_count(count)
    assert page.locator("#restored ins").all_inner_texts() == [f.original for f in expected.findings]
    page.click("#view-clean")
    expect(page.locator("#restored ins")).to_have_count(0)
    assert page.locator("#restored").inner_text().strip() == expected.restored.strip()
    # findings table lists them too
    expect(page.locator("#findings tbody tr")).to_have_count(count)


def test_click_a_highlight_to_see_its_evidence(page: Page, server: LiveServer) -> None:
    check_text(page, server, demo.SPUN)
    finding = max(unspin.check(demo.SPUN).findings, key=lambda f: f.confidence)
    i = list(unspin.check(demo.SPUN).findings).index(finding)
    hl = page.locator(f'#marked .hl[data-index="{i}"]')
    hl.click()
    pop = page.locator("#popover")
    expect(pop).to_be_visible()
    expect(hl).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#popover-title")).to_contain_text(finding.original)
    expect(page.locator("#popover-confidence")).to_contain_text(f"{round(finding.confidence * 100)}%")
    evidence = page.locator("#popover-evidence li")
    assert evidence.count() >= 2
    expect(page.locator("#popover-evidence")).to_contain_text("Language model")
    for alt in finding.alternatives[:2]:
        expect(pop).to_contain_text(alt.text)
    # the popover stays inside the viewport
    box = pop.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1280
    page.click("#popover-close")
    expect(pop).to_be_hidden()
    expect(hl).to_be_focused()


def test_keyboard_only(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/")
    page.focus("#text")
    page.keyboard.insert_text(demo.SPUN)
    page.keyboard.press("Control+Enter")
    first = page.locator("#marked .hl").first
    expect(first).to_be_visible(timeout=30_000)
    # focus moves to the result; Tab reaches the first highlight, Enter opens it, Escape closes it
    expect(page.locator("#results")).to_be_focused()
    page.keyboard.press("Tab")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#popover")).to_be_visible()
    expect(page.locator("#popover-title")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#popover")).to_be_hidden()
    expect(first).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#marked .hl").nth(1)).to_be_focused()


def test_upload_an_html_file(page: Page, server: LiveServer, tmp_path: Path) -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in demo.SPUN.split("\n\n"))
    upload = tmp_path / "article.html"
    upload.write_text(f"<!doctype html><html><head><title>x</title><script>evil()</script></head><body>{paragraphs}</body></html>")
    page.goto(server.url + "/")
    page.set_input_files("#file", str(upload))
    expect(page.locator("#status")).to_contain_text("Loaded article.html")
    value = page.input_value("#text")
    assert "Inning accordance with council authorities" in value and "evil" not in value
    page.click("#submit")
    expect(page.locator("#marked .hl").first).to_be_visible(timeout=30_000)


def test_errors_are_shown(page: Page, server: LiveServer, tmp_path: Path) -> None:
    page.goto(server.url + "/")
    page.click("#submit")
    expect(page.locator("#error")).to_have_text("Paste or upload a text first.")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    page.set_input_files("#file", str(binary))
    expect(page.locator("#error")).to_contain_text("PNG image")


def test_phone_width(browser: Browser, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        check_text(page, server, demo.SPUN)
        page.locator("#marked .hl").first.click()
        pop = page.locator("#popover")
        expect(pop).to_be_visible()
        box = pop.bounding_box()
        assert box is not None and box["width"] <= 390 and box["y"] + box["height"] <= 844 + 1  # a bottom sheet
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, "the page scrolls sideways at phone width"
    finally:
        context.close()


def test_api_docs_render_offline(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/docs")
    ops = page.locator(".opblock")
    expect(ops.first).to_be_visible(timeout=20_000)
    summaries = " ".join(page.locator(".opblock-summary-path").all_inner_texts())
    for path in ("/api/check", "/api/restore", "/api/trace", "/api/index", "/api/health"):
        assert path in summaries


# --- with an index: traced sources ---------------------------------------------------------------


@pytest.fixture(scope="module")
def indexed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = tmp_path_factory.mktemp("browser-index") / "corpus.sqlite"
    build_demo_index(db)
    with LiveServer(create_app(Config(), db=str(db), token=TOKEN)) as live:
        yield live


def test_traced_source_side_by_side(page: Page, indexed_server: LiveServer) -> None:
    check_text(page, indexed_server, demo.SPUN)
    trace = page.locator("#trace")
    expect(trace).to_be_visible()
    match = trace.locator("article.match").first
    expect(match).to_be_visible(timeout=30_000)
    expect(match.locator("h3")).to_have_text(demo.ARTICLE_ID)
    passage = match.locator(".passage").first
    expect(passage).to_contain_text("Your text")
    expect(passage).to_contain_text("Source")
    # swapped words are marked on both sides
    assert match.locator("mark.swap").count() >= 1
    assert match.locator("mark.orig").count() >= 1
    spun_words = match.locator("mark.swap").all_inner_texts()
    assert all(w.lower() in demo.SPUN.lower() for w in spun_words)
    orig_words = match.locator("mark.orig").all_inner_texts()
    assert all(w.lower() in demo.ARTICLE.lower() for w in orig_words)
    expect(trace).not_to_contain_text(demo.UNRELATED[:40])


def test_upload_a_word_document_and_save_the_report(page: Page, server: LiveServer, tmp_path: Path) -> None:
    from test_documents import PARAGRAPHS, make_docx

    upload = tmp_path / "essay.docx"
    upload.write_bytes(make_docx(PARAGRAPHS))
    page.goto(server.url + "/")
    page.set_input_files("#file", str(upload))
    expect(page.locator("#status")).to_contain_text("Loaded essay.docx (the text of the Word document)")
    assert page.input_value("#text") == "\n\n".join(PARAGRAPHS)
    page.click("#submit")
    expect(page.locator("#marked .hl").first).to_be_visible(timeout=30_000)
    with page.expect_download(timeout=30_000) as info:
        page.click("#save-report")
    download = info.value
    assert download.suggested_filename == "essay-unspin-report.html"
    saved = Path(download.path()).read_text(encoding="utf-8")
    expected = unspin.check("\n\n".join(PARAGRAPHS))
    assert "<title>unspin report: essay.docx</title>" in saved
    assert saved.count("<mark ") == len(expected.findings) > 0
    expect(page.locator("#status")).to_contain_text("Report saved")


def test_technical_text_option(page: Page, server: LiveServer) -> None:
    from unspin.detect import rejudged

    text = demo.SPUN
    plain = unspin.check(text)
    strict = rejudged(text, plain, Config(spun_threshold=0.9, short_spun_threshold=0.9))
    page.goto(server.url + "/")
    page.fill("#text", text)
    page.check("#technical")
    page.click("#submit")
    expect(page.locator("#results")).to_be_visible(timeout=30_000)
    expect(page.locator("#verdict-label")).to_contain_text(strict.verdict)
    expect(page.locator("#probability")).to_have_text(f"{round(strict.spun_probability * 100)}%")
    # the demo's copy scores between the default threshold and 0.9: the option changes the verdict
    assert (plain.verdict, strict.verdict) == ("spun", "uncertain")
