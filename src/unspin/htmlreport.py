"""Reports as self-contained HTML pages: what ``unspin check --format html`` and ``unspin trace
--format html`` write.

The page carries the evidence a reader needs without unspin installed: the verdict and what it
rests on, the text with each finding marked and numbered, a table of the findings (likely
original, confidence, the evidence behind each, the other candidates), and the restored text with
its changes marked. It has no scripts and loads nothing (its styles are inline and its
Content-Security-Policy forbids the rest), so it opens offline and can be mailed, attached to a
case or archived; everything from the checked text is escaped.  A trace page shows each source
found, its copied passages beside the traced text's, and the swapped words marked on both sides:
the evidence a publisher sends with a complaint about a spun copy.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import PurePath
from typing import TYPE_CHECKING

from ._version import __version__
from .report import Finding, Report, evidence_summary

if TYPE_CHECKING:
    from .index import Match

VERDICT_WORDS = {
    "spun": "spun: machine-spun text, most likely",
    "clean": "clean: no sign of spinning",
    "uncertain": "uncertain: unspin cannot tell",
}

# where a finding's original came from (``signals["source"]``), in words
SOURCE_WORDS = {
    "thesaurus": "a WordNet synonym",
    "related": "a word WordNet relates",
    "lexicon": "the substitution lexicon",
    "function": "the function-phrase table",
    "embedding": "a word-vector neighbour",
    "moby": "the Moby thesaurus",
}

_STYLE = """
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;background:#fff;
max-width:52rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.meta{color:#56606b;font-size:.9rem;margin:0 0 1.25rem}
.verdict{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;font-weight:700}
.verdict.spun{background:#fde2e1;color:#8e1b14}.verdict.clean{background:#dff3e4;color:#1b5e2d}
.verdict.uncertain{background:#fff1c9;color:#6b4e00}
.text{white-space:pre-wrap;border:1px solid #d8dde3;border-radius:.4rem;padding:1rem;background:#fbfcfd}
mark{background:#ffe88a;color:inherit;border-radius:.15rem;padding:0 .05rem}
mark.strong{background:#ffc94d}
mark sup,td.n{font-size:.7rem;color:#56606b;font-weight:600}
ins{background:#dff3e4;text-decoration:none;border-bottom:2px solid #3c9d5b}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #e4e8ec}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.note{color:#56606b;font-size:.9rem}
table.side{table-layout:fixed}table.side td{white-space:pre-wrap;width:50%}
mark.orig{background:#cdeccf}
@media print{body{margin:0;max-width:none}.text{border:none;padding:0}}
"""


def safe_file_name(name: str, max_bytes: int) -> str:
    """``name`` made part of a file name: path separators and other odd characters as ``_``, at
    most ``max_bytes`` bytes of UTF-8 (file systems allow 255, and a Chinese letter takes 3);
    '' where nothing is left."""
    safe = re.sub(r"[^\w.-]+", "_", name).strip("._")
    return safe.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def report_filename(source: str = "") -> str:
    """The file name of the report page on ``source`` (a file's name; its folders are dropped):
    ``essay-unspin-report.html``, or ``unspin-report.html`` where there is none, so that a
    teacher's thirty saved reports are told apart."""
    stem = safe_file_name(PurePath(source.replace("\\", "/")).stem, 80)
    return f"{stem}-unspin-report.html" if stem else "unspin-report.html"


def render(text: str, report: Report, *, source: str = "", generated: dt.datetime | None = None) -> str:
    """The HTML page of ``report`` on ``text`` (the text it was checked on; its findings' offsets
    point into it).  ``source`` names where the text came from (a file name), ``generated`` when
    (now, by default)."""
    findings = sorted(report.findings, key=lambda f: f.start)
    parts = [
        *_head("unspin report", source, "Checked", text, generated),
        f'<p><span class="verdict {report.verdict}">{escape(VERDICT_WORDS[report.verdict])}</span> '
        f"&nbsp;spun probability {report.spun_probability:.2f}</p>",
    ]
    if report.reason:
        parts.append(f"<p>Why: {escape(report.reason)}</p>")
    evidence = evidence_summary(report)
    if evidence:
        parts.append(f"<p>Evidence: {escape(evidence)}.</p>")
    parts.append(f"<h2>The text, {_count(len(findings), 'finding')} marked</h2>")
    parts.append(f'<div class="text" id="text">{_marked(text, findings)}</div>')
    if findings:
        parts.append("<h2>Findings</h2>")
        parts.append(_table(findings))
        parts.append("<h2>Restored text</h2>")
        parts.append(f'<div class="text" id="restored">{_restored(text, findings)}</div>')
    parts.append(
        '<p class="note">A finding is a word or phrase that reads much less naturally in its context than a '
        "likely original that a spinner's thesaurus turns into it; the confidence weighs that against how spun "
        "the whole text looks. Each finding is evidence to read in context, not proof on its own: writers also "
        "choose unusual words, and technical text reads as odder to unspin than news. The restored text is "
        "unspin's best guess at the wording before spinning.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render_trace(
    text: str, matches: Sequence[Match], sources: Mapping[str, str], *, indexed: int, source: str = "",
    generated: dt.datetime | None = None,
) -> str:
    """The HTML page of a trace of ``text``: its ``matches`` (``Index.trace``), each source's text in
    ``sources`` by id, ``indexed`` documents searched; ``source`` names where the traced text came from."""
    parts = _head("unspin trace report", source, "Traced", text, generated)
    if not matches:
        parts.append(f"<p>No source found among {indexed:,} indexed documents.</p>")
    else:
        parts.append(f"<h2>{_count(len(matches), 'source')} among {indexed:,} indexed documents</h2>")
        rows = ["<table><thead><tr><th>#</th><th>source</th><th>score</th><th>coverage</th><th>passages</th>"
                "<th>swapped words</th></tr></thead><tbody>"]
        for k, m in enumerate(matches, start=1):
            url = m.meta.get("url") if isinstance(m.meta.get("url"), str) else None
            where = escape(m.id) + (f"<br><small>{escape(url)}</small>" if url and url != m.id else "")
            rows.append(f'<tr><td class="n"><a href="#m{k}">{k}</a></td><td>{where}</td><td class="num">{m.score:.2f}</td>'
                        f'<td class="num">{m.coverage:.0%}</td><td class="num">{len(m.passages)}</td>'
                        f'<td class="num">{len(m.substitutions)}</td></tr>')
        rows.append("</tbody></table>")
        parts.append("".join(rows))
        for k, m in enumerate(matches, start=1):
            parts.append(f'<h2 id="m{k}">{k}. {escape(m.id)} (score {m.score:.2f}, coverage {m.coverage:.0%})</h2>')
            src = sources.get(m.id, "")
            rows = ['<table class="side"><thead><tr><th>traced text</th><th>source</th></tr></thead><tbody>']
            for p in m.passages:
                spun = [(s.query, s.original, "spun") for s in m.substitutions
                        if p.query[0] <= s.query[0] and s.query[1] <= p.query[1]]
                orig = [(s.source, s.spun, "orig") for s in m.substitutions
                        if p.source[0] <= s.source[0] and s.source[1] <= p.source[1]]
                rows.append(f"<tr><td>{_spans(text, p.query, spun, 'source has')}</td>"
                            f"<td>{_spans(src, p.source, orig, 'traced text has')}</td></tr>")
            rows.append("</tbody></table>")
            parts.append("".join(rows))
            if m.substitutions:
                swaps = ", ".join(f"{escape(s.spun)} ← {escape(s.original)}" for s in m.substitutions)
                parts.append(f"<p>Swapped words (traced text ← source): {swaps}.</p>")
    parts.append(
        '<p class="note">A source is a document of the index that the traced text shares passages with: copied '
        "word for word or with words swapped for synonyms. Score grows with how many of the traced text's words the "
        "source explains; coverage is the share of its words inside the passages shown.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _head(kind: str, source: str, verb: str, text: str, generated: dt.datetime | None) -> list[str]:
    when = (generated or dt.datetime.now().astimezone()).isoformat(timespec="seconds")
    head = f"{kind}{': ' + source if source else ''}"
    return [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{escape(head)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(head)}</h1>",
        f'<p class="meta">{verb} {escape(when)} by unspin {escape(__version__)}. '
        f"{len(text):,} characters, {len(text.split()):,} words.</p>",
    ]


def _spans(text: str, within: tuple[int, int], spans: list[tuple[tuple[int, int], str, str]], says: str) -> str:
    """``text[within]`` escaped, each of ``spans`` (offsets into ``text``, the other side's word, a class)
    marked; overlapping spans after the first are left unmarked."""
    return _woven(text, within, (
        (a, b, f'<mark class="{cls}" title="{escape(says + ": " + other)}">{escape(text[a:b])}</mark>')
        for (a, b), other, cls in sorted(spans)
    ))


def _woven(text: str, within: tuple[int, int], pieces: Iterable[tuple[int, int, str]]) -> str:
    """``text[within]`` escaped, with each ``(start, end, markup)`` of ``pieces`` (in text order)
    put in place of ``text[start:end]``; a piece overlapping the one before it is left out."""
    out, pos = [], within[0]
    for a, b, markup in pieces:
        if a < pos:
            continue
        out.append(escape(text[pos:a]))
        out.append(markup)
        pos = b
    out.append(escape(text[pos : within[1]]))
    return "".join(out)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _evidence(f: Finding) -> str:
    s = f.signals
    words = [f"language-model gain {float(s.get('lm_gain', 0.0)):+.1f}"]
    if "channel_prior" in s:
        words.append(f"channel prior {float(s['channel_prior']):.1f}")
    if s.get("source"):
        words.append(f"original: {SOURCE_WORDS.get(str(s['source']), str(s['source']))}")
    if s.get("lexicon_kind") == "learned":
        words.append(f"learned: swapped {s.get('lexicon_swaps', 0):g}×, left {s.get('lexicon_kept', 0):g}×")
    elif s.get("lexicon_kind") == "curated":
        words.append(f"curated, weight {float(s.get('lexicon_weight', 0.0)):g}")
    return ", ".join(words)


def _title(f: Finding) -> str:
    return f"likely original: {f.original} (confidence {f.confidence:.2f}; {_evidence(f)})"


def _marked(text: str, findings: list[Finding]) -> str:
    return _woven(text, (0, len(text)), (
        (f.start, f.end,
         f'<mark class="{"strong" if f.confidence >= 0.8 else "weak"}" id="f{n}" title="{escape(_title(f))}">'
         f"{escape(text[f.start : f.end])}<sup>{n}</sup></mark>")
        for n, f in enumerate(findings, start=1)
    ))


def _restored(text: str, findings: list[Finding]) -> str:
    return _woven(text, (0, len(text)), (
        (f.start, f.end, f'<ins title="{escape("was: " + f.text)}">{escape(f.original)}</ins>') for f in findings
    ))


def _table(findings: list[Finding]) -> str:
    rows = [
        "<table><thead><tr><th>#</th><th>spun</th><th>likely original</th><th>confidence</th>"
        "<th>evidence</th><th>other candidates</th></tr></thead><tbody>"
    ]
    for n, f in enumerate(findings, start=1):
        others = ", ".join(escape(a.text) for a in f.alternatives if a.text != f.original)
        rows.append(
            f'<tr><td class="n"><a href="#f{n}">{n}</a></td><td>{escape(f.text)}</td><td>{escape(f.original)}</td>'
            f'<td class="num">{f.confidence:.2f}</td><td>{escape(_evidence(f))}</td><td>{others or "–"}</td></tr>'
        )
    rows.append("</tbody></table>")
    return "".join(rows)
