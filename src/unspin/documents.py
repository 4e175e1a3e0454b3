"""Text out of office documents: Word (.docx), OpenDocument (.odt) and PDF files.

Essays, papers and reports reach unspin as documents more often than as plain text, so the
readers (``unspin check``, ``restore``, ``scan``, ``index`` and the web page's upload) take them
as they come and check their text.  A document is known by its first bytes, not its name:
a PDF starts ``%PDF``; a Word or OpenDocument file is a ZIP archive holding
``word/document.xml`` or an OpenDocument ``mimetype``.

Word and OpenDocument text is read with the standard library (``zipfile`` and
``xml.etree``, which resolves no external entities): each paragraph becomes a line, a
paragraph break a blank line, so sentences never run across them; deleted tracked changes and
field codes are left out.  PDF text needs ``pypdf`` (``pip install 'unspin[pdf]'``); words
hyphenated across a line end are joined again.  A scanned PDF without a text layer, an
encrypted one, or an archive that expands past :data:`EXPAND_LIMIT` times the input limit get
a clear error, as every other input does.

The findings' offsets are offsets into the extracted text, which ``--format json`` and the
report carry as their ``restored`` text's source.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import BinaryIO, Literal
from xml.etree import ElementTree

from .errors import BinaryInputError, EmptyInputError, InputError, InputTooLargeError, UnspinError

Kind = Literal["docx", "odt", "pdf"]

# What each kind is called in messages.
KIND_NAMES: dict[str, str] = {"docx": "a Word document", "odt": "an OpenDocument text", "pdf": "a PDF file"}
DOCUMENT_SUFFIXES = (".docx", ".odt", ".pdf")
# A document file may be this many times the text limit (pictures and fonts make it larger than its
# text); its text, and what its archive expands to, are held to the limit itself, times this.
FILE_FACTOR = 20
EXPAND_LIMIT = 20

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODT_MIME = b"application/vnd.oasis.opendocument.text"
_PDF_MAGIC, _ZIP_MAGIC = b"%PDF", b"PK\x03\x04"


def document_kind(data: bytes) -> Kind | None:
    """The kind of document ``data`` is (``"docx"``, ``"odt"`` or ``"pdf"``), or ``None``
    where it is not one of them (plain text, HTML, or another ZIP archive)."""
    if data.startswith(_PDF_MAGIC):
        return "pdf"
    if not data.startswith(_ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if "word/document.xml" in names:
                return "docx"
            # (the mimetype entry is a few dozen bytes; a larger one is not read, let alone expanded)
            if "mimetype" in names and z.getinfo("mimetype").file_size < 200 and z.read("mimetype").strip() == _ODT_MIME:
                return "odt"
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError):
        return None
    return None


def file_limit(max_bytes: int) -> int:
    """The largest document file read, for a text limit of ``max_bytes``."""
    return max_bytes * FILE_FACTOR


def document_text(data: bytes, max_bytes: int, kind: Kind | None = None) -> str:
    """The text of the document ``data`` (of ``kind``, found from its bytes when not given).

    Raises :class:`~unspin.errors.InputError` (a subclass saying what is wrong) where the file
    is broken, encrypted, holds no text or more than ``max_bytes`` of it, and
    :class:`~unspin.errors.UnspinError` where reading a PDF needs ``pypdf`` and it is not installed.
    """
    kind = kind or document_kind(data)
    if kind is None:
        raise BinaryInputError("input is not a .docx, .odt or PDF document")
    name = KIND_NAMES[kind]
    if len(data) > file_limit(max_bytes):
        raise _too_large(name, data, max_bytes)
    if kind == "pdf":
        text = _pdf_text(data)
    else:
        part = "word/document.xml" if kind == "docx" else "content.xml"
        root = _xml_part(data, part, name, max_bytes * EXPAND_LIMIT)
        text = _docx_text(root) if kind == "docx" else _odt_text(root)
    text = _tidy(text)
    if not text.strip():
        hint = " (a scan? it needs OCR first)" if kind == "pdf" else ""
        raise EmptyInputError(f"input is {name} without any text{hint}")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InputTooLargeError(
            f"the text of {name} is {size:,} bytes, over the limit of {max_bytes:,} bytes; "
            "split it or raise max_input_bytes"
        )
    return text


def _too_large(what: str, data: bytes, max_bytes: int) -> InputTooLargeError:
    """The error for a document file over :func:`file_limit`; its size is not claimed where a
    reader stopped one byte past the limit (:func:`read_limited`) and knows no more than that."""
    told = "" if len(data) == file_limit(max_bytes) + 1 else f" of {len(data):,} bytes"
    return InputTooLargeError(
        f"input is {what}{told}, over the limit of {file_limit(max_bytes):,} bytes "
        f"for documents ({FILE_FACTOR} times the text limit); raise max_input_bytes"
    )


def _xml_part(data: bytes, part: str, name: str, expand_limit: int) -> ElementTree.Element:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            info = z.getinfo(part)
            if info.file_size > expand_limit:
                raise InputTooLargeError(
                    f"input is {name} whose {part} expands to {info.file_size:,} bytes, "
                    f"over the limit of {expand_limit:,}"
                )
            with z.open(info) as fh:
                raw = fh.read(expand_limit + 1)
    except KeyError:
        raise BinaryInputError(f"input is {name} without its {part}: the file is damaged") from None
    except InputError:
        raise
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise BinaryInputError(f"input is {name} that cannot be opened ({exc}): the file is damaged") from None
    if len(raw) > expand_limit:  # (an archive may understate what a part expands to)
        raise InputTooLargeError(f"input is {name} whose {part} expands past the limit of {expand_limit:,} bytes")
    try:
        return ElementTree.fromstring(raw)
    except ElementTree.ParseError as exc:
        raise BinaryInputError(f"input is {name} whose {part} is not well-formed XML ({exc}): the file is damaged") from None


def _docx_text(root: ElementTree.Element) -> str:
    """Word's paragraphs (``w:p``, table cells' too), one a line: runs' text, tabs and breaks."""
    paragraphs: list[str] = []

    def walk(p: ElementTree.Element) -> str:
        # each element before those inside it, with a stack of the open elements' children, not
        # a call per level: a document may nest elements thousands deep
        out: list[str] = []
        stack = [iter(p)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                continue
            tag = child.tag
            if tag == f"{_W}p":
                continue  # a paragraph inside this one (a text box's): a paragraph of its own
            if tag == f"{_W}t" and child.text:
                out.append(child.text)
            elif tag == f"{_W}tab":
                out.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                out.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                out.append("-")
            # w:delText (deleted tracked changes) and w:instrText (field codes) are not text
            stack.append(iter(child))
        return "".join(out)

    for p in root.iter(f"{_W}p"):
        paragraphs.append(walk(p))
    return "\n\n".join(paragraphs)


def _odt_text(root: ElementTree.Element) -> str:
    """OpenDocument's headings and paragraphs (``text:h``, ``text:p``), one a line."""
    paragraphs: list[str] = []

    def walk(el: ElementTree.Element) -> str:
        # an element's text, its children's, then its tail, with a stack of the open elements (and
        # the tail each leaves) rather than a call per level: a document may nest thousands deep
        out: list[str] = [el.text] if el.text else []
        stack: list[tuple[Iterator[ElementTree.Element], str | None]] = [(iter(el), None)]
        while stack:
            children, tail = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if tail:
                    out.append(tail)
                continue
            tag = child.tag
            if tag == f"{_TEXT_NS}s":
                out.append(" " * _spaces(child.get(f"{_TEXT_NS}c")))
            elif tag == f"{_TEXT_NS}tab":
                out.append("\t")
            elif tag == f"{_TEXT_NS}line-break":
                out.append("\n")
            elif tag in (f"{_TEXT_NS}note", f"{_TEXT_NS}tracked-changes"):
                pass  # footnotes and deleted text are not the paragraph's text
            elif tag not in (f"{_TEXT_NS}p", f"{_TEXT_NS}h"):
                if child.text:
                    out.append(child.text)
                stack.append((iter(child), child.tail))  # (its tail once what is inside it is read)
                continue
            if child.tail:
                out.append(child.tail)
        return "".join(out)

    for el in root.iter():
        if el.tag in (f"{_TEXT_NS}p", f"{_TEXT_NS}h"):
            paragraphs.append(walk(el))
    return "\n\n".join(paragraphs)


MAX_SPACES = 50  # spaces one <text:s text:c="N"/> stands for at most (more is layout, not prose)


def _spaces(count: str | None) -> int:
    """The spaces an OpenDocument ``text:s`` element stands for: its count, 1 by default, at most
    :data:`MAX_SPACES` (a count of two billion in a 700-byte file made gigabytes of spaces)."""
    try:
        return max(1, min(MAX_SPACES, int(count or 1)))
    except ValueError:
        return 1


def _pdf_text(data: bytes) -> str:
    try:
        import pypdf
    except ImportError:
        raise UnspinError("reading PDF needs pypdf; run: pip install 'unspin[pdf]'") from None
    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # (it warns about every odd object; errors are ours)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = bool(reader.decrypt(""))  # many PDFs are "encrypted" with an empty password
            except Exception:  # noqa: BLE001 -- pypdf raises various errors for ciphers it lacks
                opened = False
            if not opened:
                raise InputError("input is an encrypted PDF file: unspin cannot read its text without the password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 -- pypdf raises many kinds of error on a broken file
        raise BinaryInputError(f"input is a PDF file that cannot be read ({exc.__class__.__name__}: {exc})") from None
    return "\n\n".join(pages)


_HYPHEN_BREAK = re.compile(r"(?<=[a-z])-\n(?=[a-z])")
_MANY_BLANKS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """Join words hyphenated across line ends ("exam-\\nple"), drop spaces that end lines and
    runs of blank lines (empty paragraphs), so the checker sees the document's prose."""
    text = _HYPHEN_BREAK.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    # (line by line: a pattern for spaces before a line end went over a long run of spaces again
    # from each of its spaces, in quadratic time)
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    return _MANY_BLANKS.sub("\n\n", text).strip()


def input_text(
    data: bytes, max_bytes: int, encoding: str | None = None, fallback: str | None = None
) -> tuple[str, Kind | None]:
    """The text of input bytes and the kind of document they were (``None`` for text):
    a document's extracted text, else the bytes decoded and checked as
    :func:`unspin.text.decode_input` does (``encoding`` and ``fallback`` apply to those only)."""
    from .text import decode_input

    if may_be_document(data) and len(data) > file_limit(max_bytes):
        # (cut short by a reader, a ZIP archive cannot even be told apart: its directory is at the end)
        raise _too_large("a PDF file or ZIP archive", data, max_bytes)
    kind = document_kind(data)
    if kind is not None:
        return document_text(data, max_bytes, kind), kind
    return decode_input(data, max_bytes, encoding, fallback), None


def may_be_document(head: bytes) -> bool:
    """Whether bytes starting with ``head`` may be a document (a PDF or a ZIP archive)."""
    return head.startswith((_PDF_MAGIC, _ZIP_MAGIC))


def read_limited(fh: BinaryIO, max_bytes: int) -> bytes:
    """The bytes of the open file ``fh`` as far as the checks need them: one byte past the text
    limit ``max_bytes`` (enough to know it is too large), or for what may be a document, which may
    be larger than its text, one byte past :func:`file_limit`."""
    data = fh.read(max_bytes + 1)
    if len(data) > max_bytes and may_be_document(data):
        data += fh.read(file_limit(max_bytes) + 1 - len(data))
    return data
