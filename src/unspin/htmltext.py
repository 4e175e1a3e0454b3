"""The visible text of an HTML page (standard library only): what unspin.inputs.page_text reads
where trafilatura is not installed or finds no main text.

Scripts, styles and other non-content elements are dropped; block elements
(paragraphs, headings, list items, table rows, ``<br>``) become line breaks,
paragraphs are separated by a blank line, and runs of spaces collapse.  This is
deliberately simple: it keeps everything a reader sees, navigation included.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "math", "iframe", "object", "canvas"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
_BLOCK = frozenset(
    """address article aside blockquote body dd details dialog div dl dt fieldset figcaption figure footer
    form h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol p pre section summary table tbody td tfoot th
    thead title tr ul caption""".split()
)
_SPACES = re.compile(r"[ \t\f\v\r\n\u00a0]+")


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0

    def _flush(self) -> None:
        raw = "".join(self.current)
        self.current = []
        if self.pre_depth:
            text = raw.strip("\n")
        else:
            text = "\n".join(_SPACES.sub(" ", line).strip() for line in raw.split("\n"))
            text = text.strip()
        if text.strip():
            self.blocks.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.skip_depth = 0  # a <head> left open ends where the body starts
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip_depth += 1
            return
        if tag == "br":
            self.current.append("\n")
        elif tag in _BLOCK:
            self._flush()
            if tag == "pre":
                self.pre_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.current.append("\n")
        elif tag in _BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag in _BLOCK:
            self._flush()
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if not self.pre_depth:
            data = data.replace("\n", " ")
        self.current.append(data)

    def text(self) -> str:
        self._flush()
        return "\n\n".join(self.blocks)


# a "<" that opens no tag, i.e. no ">" before the next "<": the standard library's parser reads on
# from each to the end of the page looking for one, which took quadratic time (a 60 KB page of
# "<p " a minute of the server's CPU); written as text instead.  (Linear: each look ahead stops at
# the next "<" or ">", so no stretch of the page is read twice.)
_LONE_OPENER = re.compile(r"<(?![^<>]*>)")


def visible_text(html: str) -> str:
    """The visible text of ``html``: one paragraph per block element, blank lines between."""
    parser = _Extractor()
    parser.feed(_LONE_OPENER.sub("&lt;", html))
    parser.close()
    return parser.text()
