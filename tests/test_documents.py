"""Word, OpenDocument and PDF files: their text, their errors, and every reader that takes them.

The documents are made here, byte by byte, with the standard library: a .docx and an .odt are
ZIP archives of XML parts, a PDF a few objects with a text stream."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

import unspin
from unspin.demo import SPUN
from unspin.documents import document_kind, document_text, input_text
from unspin.errors import BinaryInputError, EmptyInputError, InputError, InputTooLargeError
from unspin.inputs import Record, Skip, read_inputs

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PARAGRAPHS = SPUN.strip().split("\n\n")


def make_docx(paragraphs: list[str], extra_body: str = "") -> bytes:
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>{body}{extra_body}</w:body></w:document>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", xml)
    return out.getvalue()


def make_odt(paragraphs: list[str]) -> bytes:
    ns = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    body = "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    xml = f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body><office:text>' \
          f'<text:h>A heading</text:h>{body}</office:text></office:body></office:document-content>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")  # stored first, as the format asks
        z.writestr("content.xml", xml)
    return out.getvalue()


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ``lines`` in Helvetica, with a correct cross-reference table."""
    def literal(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 10 Tf", "12 TL", "40 800 Td"] + [f"({literal(line)}) Tj T*" for line in lines] + ["ET"]
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_word_document_text() -> None:
    extra = (
        '<w:p><w:r><w:t>kept</w:t></w:r><w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del>'
        '<w:r><w:tab/><w:t>after a tab</w:t><w:br/><w:t>next line</w:t></w:r></w:p>'
        '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>in a table cell</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
        '<w:p><w:r><w:instrText> PAGE </w:instrText><w:t>x</w:t></w:r></w:p>'
        '<w:p><w:r><w:t>Beside a box.</w:t></w:r><w:r><w:pict><w:txbxContent><w:p><w:r><w:t>Inside the box.</w:t>'
        '</w:r></w:p></w:txbxContent></w:pict></w:r></w:p>'
    )
    data = make_docx(PARAGRAPHS, extra)
    assert document_kind(data) == "docx"
    text = document_text(data, 100_000)
    assert text.startswith("\n\n".join(PARAGRAPHS))  # each paragraph its own block
    assert "kept\tafter a tab\nnext line" in text
    assert "in a table cell" in text
    assert "deleted words" not in text and "PAGE" not in text
    # a text box's paragraph is a paragraph of its own, read once
    assert text.endswith("Beside a box.\n\nInside the box.") and text.count("Inside the box.") == 1


def test_opendocument_text() -> None:
    data = make_odt(PARAGRAPHS)
    assert document_kind(data) == "odt"
    assert document_text(data, 100_000) == "A heading\n\n" + "\n\n".join(PARAGRAPHS)


def test_pdf_text_joins_words_broken_at_line_ends() -> None:
    pytest.importorskip("pypdf", reason="reading PDF needs pypdf: pip install 'unspin[pdf]'")
    data = make_pdf(["The mayor stated that the work would com-", "mence within the month."])
    assert document_kind(data) == "pdf"
    text = document_text(data, 100_000)
    assert "commence within the month." in text
    assert text.startswith("The mayor stated")


def test_plain_text_and_other_archives_are_not_documents() -> None:
    assert document_kind(SPUN.encode()) is None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("data.csv", "a,b\n")
    assert document_kind(out.getvalue()) is None
    with pytest.raises(BinaryInputError, match="ZIP archive"):  # (as before: not text)
        input_text(out.getvalue(), 100_000)
    assert input_text(SPUN.encode(), 100_000) == (SPUN, None)


def test_broken_empty_and_oversized_documents_get_clear_errors() -> None:
    good = make_docx(PARAGRAPHS)
    with pytest.raises(BinaryInputError, match="damaged"):  # a Word file cut short
        document_text(good[: len(good) // 2] + b"\x00" * 10, 100_000, "docx")
    with pytest.raises(EmptyInputError, match="a Word document without any text"):
        document_text(make_docx([]), 100_000)
    with pytest.raises(InputTooLargeError, match="text of a Word document"):
        document_text(good, 500)
    with pytest.raises(InputTooLargeError, match="expands"):  # a small file that expands a lot
        document_text(make_docx(["word " * 20_000]), 2_000)
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("word/document.xml", "<w:document xmlns:w='x'><w:body>")
    with pytest.raises(BinaryInputError, match="not well-formed XML"):
        document_text(broken.getvalue(), 100_000)


def test_pdf_errors() -> None:
    pytest.importorskip("pypdf", reason="reading PDF needs pypdf: pip install 'unspin[pdf]'")
    with pytest.raises(BinaryInputError, match="PDF file that cannot be read"):
        document_text(b"%PDF-1.7 \x00\x01\x02 nothing more", 100_000)
    with pytest.raises(EmptyInputError, match="OCR"):  # a page without a text layer
        document_text(make_pdf([]), 100_000)


def test_encrypted_pdf() -> None:
    pypdf = pytest.importorskip("pypdf", reason="reading PDF needs pypdf: pip install 'unspin[pdf]'")

    def encrypted(user_password: str) -> bytes:
        writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf(["The mayor stated it."]))))
        writer.encrypt(user_password, "owner secret", algorithm="RC4-128")  # (RC4 needs no extra library)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    with pytest.raises(InputError, match="encrypted PDF file: unspin cannot read its text without the password"):
        document_text(encrypted("secret"), 100_000)
    # only an owner password (printing or copying restricted): opened with the empty user password
    assert document_text(encrypted(""), 100_000) == "The mayor stated it."


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "unspin", *args], capture_output=True, text=True, timeout=300)


def test_check_and_restore_read_documents_whatever_their_names(tmp_path: Path) -> None:
    (tmp_path / "essay.docx").write_bytes(make_docx(PARAGRAPHS))
    (tmp_path / "essay-saved-as.txt").write_bytes(make_odt(PARAGRAPHS))  # known by its bytes
    for name, kind in (("essay-saved-as.txt", "an OpenDocument text"), ("essay.docx", "a Word document")):
        proc = run("check", str(tmp_path / name), "--format", "json")
        assert proc.returncode == 0, proc.stderr
        assert f"{kind}: its text is read" in proc.stderr
        report = json.loads(proc.stdout)
        assert report["findings"], "the demo's spun article, as a document, must yield findings"
    text = document_text(make_docx(PARAGRAPHS), 100_000)  # (the report of essay.docx, the last checked)
    assert report["restored"] == unspin.restore(text) != text
    proc = run("restore", str(tmp_path / "essay.docx"))
    assert proc.returncode == 0 and proc.stdout == unspin.restore(text) + "\n"


def test_a_document_larger_than_the_text_limit_is_read(tmp_path: Path) -> None:
    # pictures make a document larger than its text: the file limit is FILE_FACTOR times the text's
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("word/document.xml", f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>{escape(SPUN)}'
                                        "</w:t></w:r></w:p></w:body></w:document>")
        z.writestr("word/media/image1.png", bytes(range(256)) * 200)  # 51 KB of "picture"
    path = tmp_path / "with-picture.docx"
    path.write_bytes(out.getvalue())
    proc = run("check", str(path), "--max-bytes", "10000", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    proc = run("check", str(path), "--max-bytes", "2000")
    assert proc.returncode == 1 and "raise --max-bytes" in proc.stderr and "Traceback" not in proc.stderr
    # the reader stops one byte past the documents' limit: no size is claimed from that
    assert "input is a PDF file or ZIP archive, over the limit of 40,000 bytes for documents" in proc.stderr


def test_scan_and_index_readers_take_documents(tmp_path: Path) -> None:
    (tmp_path / "a.docx").write_bytes(make_docx(PARAGRAPHS))
    (tmp_path / "b.odt").write_bytes(make_odt(["Plain words here, nothing odd about them at all."]))
    (tmp_path / "c.docx").write_bytes(b"PK\x03\x04 a broken archive")
    items = list(read_inputs([tmp_path]))
    records = {i.id: i for i in items if isinstance(i, Record)}
    skips = {i.where: i.reason for i in items if isinstance(i, Skip)}
    assert records["a.docx"].text.startswith(PARAGRAPHS[0]) and records["a.docx"].meta["format"] == "docx"
    assert records["b.odt"].meta["format"] == "odt"
    assert "ZIP archive" in skips["c.docx"]


def test_web_upload_of_documents() -> None:
    pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'unspin[web]'")
    pytest.importorskip("httpx", reason="FastAPI's test client needs httpx")
    from fastapi.testclient import TestClient

    from unspin.web import create_app

    client = TestClient(create_app())
    r = client.post("/api/extract", files={"file": ("essay.docx", make_docx(PARAGRAPHS), "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert r.json() == {"text": "\n\n".join(PARAGRAPHS), "filename": "essay.docx", "format": "docx"}
    r = client.post("/api/extract", files={"file": ("empty.odt", make_odt([]), "application/octet-stream")})
    assert r.status_code == 200 and r.json()["text"] == "A heading"
    r = client.post("/api/extract", files={"file": ("x.docx", make_docx([]), "application/octet-stream")})
    assert r.status_code == 400 and r.json()["error"] == "empty_input"


def test_pdf_without_pypdf_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from unspin.errors import UnspinError

    monkeypatch.setitem(sys.modules, "pypdf", None)  # (an import of it now fails, as where it is not installed)
    with pytest.raises(UnspinError, match=r"reading PDF needs pypdf; run: pip install 'unspin\[pdf\]'"):
        document_text(make_pdf(["The mayor stated it."]), 100_000)
    # in a folder, that PDF is skipped with the reason, and the other files are read
    (tmp_path / "paper.pdf").write_bytes(make_pdf(["The mayor stated it."]))
    (tmp_path / "note.txt").write_text(SPUN, encoding="utf-8")
    items = {i.where if isinstance(i, Skip) else i.id: i for i in read_inputs([tmp_path])}
    assert isinstance(items["paper.pdf"], Skip) and "needs pypdf" in items["paper.pdf"].reason
    assert isinstance(items["note.txt"], Record)


def _zipped(name: str, xml: str, first: tuple[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        if first:
            z.writestr(*first)
        z.writestr(name, xml)
    return out.getvalue()


def test_documents_nested_thousands_deep_and_huge_space_counts_are_read() -> None:
    """A few hundred bytes of nesting made a RecursionError traceback that stopped a whole scan, and a
    <text:s text:c="2000000000"/> asked for gigabytes of spaces."""
    from unspin.documents import MAX_SPACES, input_text

    run = "<w:r><w:t>The mayor stated the work would commence in the spring.</w:t></w:r>"
    body = f"<w:p>{'<w:smartTag>' * 5000}{run}{'</w:smartTag>' * 5000}</w:p>"
    docx = _zipped("word/document.xml", f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>',
                   ("[Content_Types].xml", '<?xml version="1.0"?><Types/>'))
    text, kind = input_text(docx, 5_000_000)
    assert kind == "docx" and text == "The mayor stated the work would commence in the spring."
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    para = ("<text:p>The mayor<text:s text:c=\"2000000000\"/>stated <text:s text:c=\"x\"/>that "
            f"{'<text:span>' * 5000}the work{'</text:span>' * 5000} would <text:tab/>commence.</text:p>")
    odt = _zipped("content.xml", f'<?xml version="1.0"?><office:document-content {ns}><office:body><office:text>{para}'
                  "</office:text></office:body></office:document-content>",
                  ("mimetype", "application/vnd.oasis.opendocument.text"))
    text, kind = input_text(odt, 5_000_000)
    assert kind == "odt" and text == "The mayor" + " " * MAX_SPACES + "stated  that the work would \tcommence."


def test_tidying_keeps_spaces_inside_lines_and_drops_those_ending_them() -> None:
    from unspin.documents import _tidy

    assert _tidy("a" + " " * 100_000 + "b  \t\nnext line \n\n\n\nlast  ") == "a" + " " * 100_000 + "b\nnext line\n\nlast"
