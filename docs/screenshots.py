"""Regenerate docs/screenshot-desktop.png and docs/screenshot-phone.png.

Runs ``unspin serve``'s application on a free port of 127.0.0.1 with a small
index holding the demo article, checks the demo's spun copy in headless
Chromium (Debian's ``chromium`` package) and saves the page at a laptop and a
phone width::

    python docs/screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright

from unspin import Config, demo
from unspin.index import Index
from unspin.web import create_app

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--font-render-hinting=none",
]


def serve(db: str) -> tuple[uvicorn.Server, threading.Thread, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(Config(), db=db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}/"


def run_check(page: Page, url: str) -> None:
    page.goto(url)
    page.fill("#text", demo.SPUN)
    page.click("#submit")
    page.wait_for_selector("#marked .hl")
    page.wait_for_selector("#trace article.match")
    page.evaluate("document.activeElement && document.activeElement.blur()")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent), help="folder for the PNG files")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "demo.sqlite")
        with Index(db) as index:
            index.add([(demo.ARTICLE_ID, demo.ARTICLE), ("school-choir", demo.UNRELATED)])
        server, thread, url = serve(db)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                # laptop: the result with one finding's evidence open
                page = browser.new_page(viewport={"width": 1366, "height": 1060}, color_scheme="light")
                run_check(page, url)
                page.evaluate("window.scrollTo(0, document.getElementById('results').offsetTop - 12)")
                page.locator("#marked .hl", has_text="stated").first.click()
                page.wait_for_selector("#popover:not([hidden])")
                page.screenshot(path=str(out / "screenshot-desktop.png"))
                # phone: the verdict and the marked text
                phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                         is_mobile=True, has_touch=True, color_scheme="light")
                run_check(phone, url)
                phone.evaluate("window.scrollTo(0, document.getElementById('results').offsetTop - 8)")
                phone.screenshot(path=str(out / "screenshot-phone.png"))
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    print(f"wrote {out / 'screenshot-desktop.png'} and {out / 'screenshot-phone.png'}")


if __name__ == "__main__":
    main()
