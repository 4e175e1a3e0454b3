"""Reading documents to index: files, directories, JSONL, HTML, WARC/WET, Word, OpenDocument, PDF.

:func:`read_inputs` yields :class:`Record` (id, text, metadata) for every
readable document and :class:`Skip` (where, reason) for every one that is not:
undecodable, empty, binary, too large, malformed JSON, a WARC record without
text.  Nothing is dropped silently; the caller counts the skips.

Ids: a file found under a directory given on the command line gets its path
relative to that directory (``news/2024/a.txt``); a file given itself gets its
file name.  A JSONL line gets its ``id`` field; a WARC record its target URI
(``WARC-Target-URI``), or the file id and record number when it has none.  An id
that an earlier document of the same call took gets the argument's path in front
(see :func:`read_inputs`).
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config
from .documents import DOCUMENT_SUFFIXES, input_text, read_limited
from .errors import InputError, UnspinError
from .text import check_text, decode_input

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz", ".warc.wet.gz")
ALL_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES + WARC_SUFFIXES + DOCUMENT_SUFFIXES


@dataclass(frozen=True, slots=True)
class Record:
    """A document to index."""

    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Skip:
    """A document (or file) that could not be read, and why."""

    where: str
    reason: str


Item = Record | Skip


def reason_kind(reason: str) -> str:
    """The kind of a skip reason, for counting: its text before any ':' or ' (' detail."""
    return reason.split(":")[0].split(" (")[0].split(";")[0][:60]


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(ALL_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def read_inputs(
    paths: list[str | os.PathLike[str]],
    max_bytes: int = Config.max_input_bytes,
    *,
    fallback: str | None = None,
    exclude: Collection[str | os.PathLike[str]] = (),
) -> Iterator[Item]:
    """Records and skips from files and directories (directories are walked recursively, sorted).

    A text file that is not UTF-8 and does not declare its encoding is read in ``fallback``
    where given (see :func:`unspin.text.decode_input`).  The files and folders of ``exclude`` are
    left out of the folders walked (a scan's own output and report pages, written into the folder
    it scans, are not documents to check on the next run).

    Every record's id is unique: a document whose id an earlier one of the same call took (the
    same file name under two directories, ``a/x.txt`` and ``b/x.txt``) gets its id under the
    argument it came from (``b/x.txt``), which names it the same way on every run with the same
    arguments in the same order; one whose id is taken even so (an id repeated in a JSONL file)
    is a :class:`Skip`, never silently dropped or merged.  A file that an earlier argument read
    already (a file given and the folder it is in), or that a link leads to again, is skipped."""
    left_out = {Path(p).resolve() for p in exclude}
    claimed: dict[str, str] = {}  # record id -> the argument it was read from
    # with several arguments, each file read -> its argument (one entry per file, not per record)
    files_read: dict[str, str] | None = {} if len(paths) > 1 else None
    for raw in paths:
        where = os.fspath(raw)
        current: Path | None = None
        earlier = ""  # the argument that read the current file already, if one did
        for source, item in _read_path(Path(raw), max_bytes, fallback, left_out):
            if files_read is not None and source != current:
                current = source
                earlier = files_read.setdefault(str(source), where)
                earlier = "" if earlier == where else earlier
            if isinstance(item, Record):
                if earlier:
                    yield Skip(item.id, f"read twice: {source} is also under {earlier}")
                    continue
                doc_id = item.id
                if doc_id in claimed:
                    doc_id = _qualified(where, item.id) if claimed[doc_id] != where else doc_id
                    if doc_id in claimed:
                        yield Skip(doc_id, f"duplicate id: a document read from {claimed[item.id]} has the id {item.id!r}")
                        continue
                    item = Record(doc_id, item.text, item.meta)
                claimed[doc_id] = where
            yield item


def output_problem(path: Path) -> str:
    """Why a file cannot be written at ``path`` ('' when it can): it is a folder, its folder is
    missing, or it (or, for a new file, its folder) may not be written.  What every command that
    writes a file checks before its work."""
    if path.is_dir():
        return f"{path}: is a directory; give the file to write"
    folder = path.parent
    if not folder.is_dir():
        return f"{folder}: no such folder for {path.name}"
    if not os.access(path if path.exists() else folder, os.W_OK):
        return f"{path}: permission denied"
    return ""


def _qualified(where: str, doc_id: str) -> str:
    """``doc_id`` of a document read from the argument ``where``, named under it: a directory's
    path in front of the id, a file's path for the file itself or in front of a record's id."""
    path = Path(where)
    if path.is_dir():
        return f"{path.as_posix().rstrip('/')}/{doc_id}"
    return where if doc_id == path.name else f"{where}#{doc_id}"


def _read_path(
    path: Path, max_bytes: int, fallback: str | None = None, left_out: Collection[Path] = ()
) -> Iterator[tuple[Path, Item]]:
    """``(file, item)`` for each item under ``path`` (the file resolved).  In a folder, a file
    reached through a link is read only where the folder does not hold it itself and no other link
    led to it before (a loop of links, ``sub/loop -> ..``, would read the folder again and again);
    the files of ``left_out`` (resolved paths of files or folders) are passed over."""
    if path.is_dir():
        root = path.resolve()
        linked: set[Path] = set()  # files read through a link (few: only these are remembered)
        for sub in sorted(p for p in path.rglob("*") if p.is_file()):
            suffix = _suffix(sub)
            if suffix in ALL_SUFFIXES:
                rel = sub.relative_to(path)
                source = sub.resolve()
                if left_out and any(source == x or source.is_relative_to(x) for x in left_out):
                    continue
                if source != root / rel:  # reached through a link
                    read_here = source.is_relative_to(root) and _suffix(source) in ALL_SUFFIXES
                    if read_here or source in linked:
                        yield source, Skip(rel.as_posix(), f"read twice: a link to {source}")
                        continue
                    linked.add(source)
                for item in read_file(sub, rel.as_posix(), max_bytes, fallback):
                    yield source, item
    elif path.is_file():
        source = path.resolve()
        for item in read_file(path, path.name, max_bytes, fallback):
            yield source, item
    else:
        yield path, Skip(str(path), "no such file or directory")


def read_file(path: Path, file_id: str, max_bytes: int = Config.max_input_bytes, fallback: str | None = None) -> Iterator[Item]:
    """The records of one file; its kind is chosen by its name (.txt/.md, .html, .jsonl, .warc[.gz]),
    but a Word, OpenDocument or PDF document is known by its bytes whatever its name.  A text
    that is not UTF-8 and does not say what it is in is read in ``fallback`` where given."""
    suffix = _suffix(path)
    try:
        if suffix in JSONL_SUFFIXES:
            yield from _read_jsonl(path, file_id, max_bytes)
        elif suffix in WARC_SUFFIXES:
            yield from _read_warc(path, file_id, max_bytes, fallback)
        else:
            with open(path, "rb") as fh:
                data = read_limited(fh, max_bytes)
            try:
                # (too large, empty, binary, undecodable: its error is the skip's reason)
                text, kind = input_text(data, max_bytes, fallback=fallback)
            except UnspinError as exc:  # (and a PDF where pypdf is missing: this file only, not the whole run)
                yield Skip(file_id, str(exc))
                return
            if kind is None and (suffix in HTML_SUFFIXES or looks_like_html(text)):
                text = check_text(page_text(text, fallback=False), max_bytes)
            meta: dict[str, Any] = {"path": str(path)}
            if kind is not None:
                meta["format"] = kind
            yield Record(file_id, text, meta)
    except InputError as exc:
        yield Skip(file_id, str(exc))
    except OSError as exc:
        yield Skip(file_id, f"cannot read: {exc.strerror or exc}")


_HTML_START = re.compile(
    r"\A\s*(?:<\?xml\b[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL
)


def looks_like_html(text: str) -> bool:
    """Whether ``text`` starts like an HTML document (``<!DOCTYPE html>``, ``<html>``, ``<head>`` or
    ``<body>``, after an XML declaration, as XHTML pages begin, and any comments): such a page, saved
    as .txt or piped in, is read as a page rather than as prose whose tag and script words would be
    checked."""
    return _HTML_START.match(text[:4096]) is not None


def page_text(html: str, *, fallback: bool = True) -> str:
    """The text of an HTML page, as every front end reads one: its main text, boilerplate (menus,
    footers) left out (:func:`html_to_text`, where trafilatura is installed), else, where that is
    not installed or finds no main text, all its visible text (:func:`unspin.htmltext.visible_text`).

    Without ``fallback`` (what scan and index read), the main text only: a page trafilatura finds no
    main text in reads as empty (and is skipped), and one read without trafilatura is an error, since
    a crawl's pages share their menus and footers, and indexing them would trace a copy to every page
    of its site.  A person checking one page, who sees the text checked, gets the fallback."""
    try:
        text = html_to_text(html)
    except UnspinError:  # trafilatura is not installed here
        if not fallback:
            raise
        text = ""
    if text.strip() or not fallback:
        return text
    from .htmltext import visible_text

    return visible_text(html)


def html_to_text(html: str) -> str:
    """Main text of an HTML page, boilerplate (menus, footers) stripped, by trafilatura."""
    try:
        import trafilatura
    except ImportError:
        raise UnspinError("reading HTML needs trafilatura; run: pip install 'unspin[trace]'") from None
    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True)
    if not text and "<" in html:
        # lxml's HTML parser stops at 256 levels of elements, and a page whose text sits deeper
        # read as empty (a content farm could hide a copy so); parsed without that limit, once more
        import lxml.html

        try:  # (as bytes: lxml refuses a str that declares an encoding, as XHTML pages do)
            parser = lxml.html.HTMLParser(huge_tree=True, encoding="utf-8")
            tree = lxml.html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=parser)
        except (ValueError, lxml.etree.ParserError):  # (nothing a parser can read)
            return ""
        text = trafilatura.extract(tree, include_comments=False, include_tables=False, favor_recall=True)
    return text or ""


def _read_jsonl(path: Path, file_id: str, max_bytes: int) -> Iterator[Item]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        yield from _jsonl_records(opener(path, "rb"), file_id, max_bytes)
    except (EOFError, zlib.error) as exc:  # (a .gz cut off: a download or copy that did not finish)
        yield Skip(file_id, f"truncated or damaged gzip file ({exc}); the records before the damage were read")


def _jsonl_records(fh: Any, file_id: str, max_bytes: int) -> Iterator[Item]:
    with fh:
        for n, line in enumerate(fh, start=1):
            where = f"{file_id}:{n}"
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield Skip(where, f"not valid JSON ({exc.__class__.__name__})")
                continue
            if not isinstance(obj, dict) or "text" not in obj:
                yield Skip(where, 'no "text" field')
                continue
            doc_id = obj.get("id")
            if doc_id is None or (isinstance(doc_id, str) and not doc_id.strip()):
                yield Skip(where, 'no "id" field')
                continue
            if not isinstance(doc_id, str | int) or isinstance(doc_id, bool):
                # (true, 1.5, a list: Python would name them "True", "1.5", "[1, 2]")
                yield Skip(where, f'the "id" is {type(doc_id).__name__}, not a string or a whole number')
                continue
            text = obj["text"]
            if not isinstance(text, str):
                yield Skip(where, '"text" is not a string')
                continue
            try:
                check_text(text, max_bytes)
            except InputError as exc:
                yield Skip(f"{where} ({doc_id})", str(exc))
                continue
            meta = {k: v for k, v in obj.items() if k not in ("id", "text")}
            yield Record(str(doc_id), text, meta)


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def _header_charset(content_type: str) -> str | None:
    """The character set an HTTP ``Content-Type`` header names, where Python knows it."""
    m = _CHARSET.search(content_type)
    if m is None:
        return None
    try:
        info = codecs.lookup(m.group(1))
    except LookupError:
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _read_warc(path: Path, file_id: str, max_bytes: int, fallback: str | None = None) -> Iterator[Item]:
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ImportError:
        raise UnspinError("reading WARC needs warcio; run: pip install 'unspin[trace]'") from None
    with open(path, "rb") as fh:
        try:
            for n, rec in enumerate(ArchiveIterator(fh), start=1):
                if rec.rec_type not in ("response", "resource", "conversion"):
                    continue
                uri = rec.rec_headers.get_header("WARC-Target-URI") or f"{file_id}#{n}"
                ctype = (rec.http_headers.get_header("Content-Type") if rec.http_headers else None) or (
                    rec.rec_headers.get_header("Content-Type") or ""
                )
                status = rec.http_headers.get_statuscode() if rec.rec_type == "response" and rec.http_headers else None
                if status and not status.startswith("2"):
                    # an error page or a redirect: not the document (a crawler's retry of the same
                    # address comes later in the file, and takes the address as its id)
                    yield Skip(uri, f"HTTP status {status}, not a page's content")
                    continue
                data = rec.content_stream().read(max_bytes + 1)
                try:
                    if rec.rec_type == "response" and "html" not in ctype.lower() and "text" not in ctype.lower():
                        yield Skip(uri, f"not text ({ctype or 'no content type'})")
                        continue
                    # (a page's charset is most often in its HTTP header, not in the page)
                    text = decode_input(data, max_bytes, fallback=_header_charset(ctype) or fallback)
                    if "html" in ctype.lower():
                        text = check_text(page_text(text, fallback=False), max_bytes)
                except InputError as exc:
                    yield Skip(uri, str(exc))
                    continue
                meta = {"warc_file": file_id, "warc_type": rec.rec_type}
                date = rec.rec_headers.get_header("WARC-Date")
                if date:
                    meta["date"] = date
                yield Record(uri, text, meta)
        except Exception as exc:  # warcio raises plain exceptions on broken archives
            if isinstance(exc, UnspinError):
                raise
            yield Skip(file_id, f"broken WARC archive: {exc}")


def records_from_texts(items: Any) -> Iterator[Item]:
    """Records from ``(id, text)`` / ``(id, text, meta)`` tuples or :class:`Record` objects."""
    for item in items:
        if isinstance(item, Record | Skip):
            yield item
        elif isinstance(item, tuple) and len(item) in (2, 3):
            # (an id that is no str or int, None say, is kept as it is, for the index to refuse
            # it as an empty id, not stored as "None")
            doc_id = str(item[0]) if isinstance(item[0], str | int) and not isinstance(item[0], bool) else item[0]
            yield Record(doc_id, item[1], dict(item[2]) if len(item) == 3 else {})
        else:
            raise TypeError(f"expected Record or (id, text[, meta]) tuples, got {type(item).__name__}")


