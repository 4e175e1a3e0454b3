"""The HTTP API, through FastAPI's test client (and one real ``unspin serve``)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'unspin[web]'")
pytest.importorskip("httpx", reason="FastAPI's test client needs httpx")

from fastapi.testclient import TestClient  # noqa: E402

import unspin  # noqa: E402
from conftest import build_demo_index  # noqa: E402
from unspin import Config, demo  # noqa: E402
from unspin.cli import main as cli_main  # noqa: E402
from unspin.web import create_app  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TOKEN = "s3cret-token-for-tests"


def client_for(config: Config | None = None, **kwargs: object) -> TestClient:
    app = create_app(config or Config(), warm_up=False, **kwargs)  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return client_for()


def assert_error(response, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["message"] and "\n" not in body["message"]
    assert "Traceback" not in response.text
    if code is not None:
        assert body["error"] == code, body
    return body  # type: ignore[no-any-return]


# --- health, page, docs ----------------------------------------------------------------


def test_health(client: TestClient) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["version"] == unspin.__version__
    assert body["index"] is False and body["indexing"] is False
    assert body["max_request_bytes"] == Config().max_request_bytes


def test_openapi_describes_every_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in [
        ("/api/check", "post"), ("/api/restore", "post"), ("/api/trace", "post"), ("/api/index", "post"),
        ("/api/health", "get"), ("/api/extract", "post"), ("/api/documents/{doc_id}", "get"),
    ]:
        assert method in paths[path], path
    check_schema = paths["/api/check"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert check_schema["$ref"].endswith("/CheckOut")


def test_docs_are_served_locally(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    html = r.text
    assert "cdn" not in html.lower()
    assert "/docs-assets/swagger-ui-bundle.js" in html
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200


def test_page_and_static_files_have_no_external_references(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    for asset in ("/static/app.js", "/static/style.css", "/static/favicon.svg"):
        a = client.get(asset)
        assert a.status_code == 200, asset
        text = a.text.replace("http://www.w3.org/2000/svg", "")
        assert "http://" not in text and "https://" not in text, asset
    assert "http://" not in r.text and "https://" not in r.text


def test_unknown_path_and_method_are_json(client: TestClient) -> None:
    assert_error(client.get("/nope"), 404, "not_found")
    assert_error(client.get("/api/check"), 405, "method_not_allowed")


# --- check and restore -------------------------------------------------------------------


def test_check_returns_the_cli_json(client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = client.post("/api/check", json={"text": demo.SPUN})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"verdict", "spun_probability", "findings", "restored"}
    assert body["verdict"] in ("spun", "clean", "uncertain")
    assert 0.0 <= body["spun_probability"] <= 1.0
    assert body["findings"], "the demo's spun copy should give findings"
    for f in body["findings"]:
        assert demo.SPUN[f["start"] : f["end"]] == f["text"]
        assert {"original", "confidence", "alternatives", "signals"} <= set(f)
    # byte for byte what `unspin check --format json` prints
    path = tmp_path / "spun.txt"
    path.write_text(demo.SPUN, encoding="utf-8")
    capsys.readouterr()
    assert cli_main(["check", "--format", "json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == body


def test_restore(client: TestClient) -> None:
    r = client.post("/api/restore", json={"text": demo.SPUN})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"restored"}
    check = client.post("/api/check", json={"text": demo.SPUN}).json()
    assert body["restored"] == check["restored"] == unspin.apply_findings(
        demo.SPUN, [unspin.Finding(f["start"], f["end"], f["text"], f["original"], f["confidence"]) for f in check["findings"]]
    )
    assert body["restored"] != demo.SPUN


def test_short_text_is_uncertain_not_an_error(client: TestClient) -> None:
    r = client.post("/api/check", json={"text": "Hello there."})
    assert r.status_code == 200
    assert r.json()["verdict"] == "uncertain"
    assert r.json()["findings"] == []


@pytest.mark.parametrize("endpoint", ["/api/check", "/api/restore"])
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"", 400, "invalid_request"),
        (b"{\"text\": \"unterminated", 400, "malformed_json"),
        (b"{text: 1}", 400, "malformed_json"),
        (b"[1, 2]", 400, "invalid_request"),
        (b"\"just a string\"", 400, "invalid_request"),
        (b"{\"text\": 5}", 400, "invalid_request"),
        (b"{}", 400, "invalid_request"),
        (b"{\"text\": \"\"}", 400, "empty_input"),
        (b"{\"text\": \" \\n\\t \"}", 400, "empty_input"),
        (b"{\"text\": \"a\\u0000b c d\"}", 400, "binary_input"),
        (b"{\"path\": \"/etc/passwd\"}", 400, "invalid_request"),
        (b"{\"text\": \"x\", \"file\": \"/etc/passwd\"}", 400, "invalid_request"),
        (b"\xff\xfe\x00\x89PNG\r\n\x1a\n\x00\x00binary", 400, None),
    ],
)
def test_bad_bodies(client: TestClient, endpoint: str, body: bytes, status: int, code: str | None) -> None:
    r = client.post(endpoint, content=body, headers={"Content-Type": "application/json"})
    assert_error(r, status, code)


def test_messages_say_what_is_wrong(client: TestClient) -> None:
    post = lambda raw: client.post("/api/check", content=raw, headers={"Content-Type": "application/json"})  # noqa: E731
    assert "not valid JSON" in post(b"{oops").json()["message"]
    assert "'text' is required" in post(b"{}").json()["message"]
    assert "'text' must be a string" in post(b'{"text": 1}').json()["message"]
    assert "unknown field 'path'" in post(b'{"text": "a", "path": "/etc"}').json()["message"]
    assert "empty" in post(b'{"text": ""}').json()["message"]


def test_binary_body_with_another_content_type_is_415(client: TestClient) -> None:
    body = assert_error(
        client.post("/api/check", content=b"\x89PNG\r\n\x1a\n\x00\x00\x00", headers={"Content-Type": "application/octet-stream"}),
        415, "unsupported_media_type",
    )
    assert "application/json" in body["message"]
    assert_error(client.post("/api/check", content=b'{"text": "hi"}', headers={"Content-Type": "text/plain"}), 415)


def test_oversized_body_is_413() -> None:
    c = client_for(Config(max_request_bytes=10_000))
    body = assert_error(c.post("/api/check", json={"text": "word " * 4_000}), 413, "too_large")
    assert "10,000" in body["message"]
    # without a Content-Length (chunked), the limit still holds
    chunks = iter([b'{"text": "', b"word " * 4_000, b'"}'])
    assert_error(c.post("/api/check", content=chunks, headers={"Content-Type": "application/json"}), 413, "too_large")
    # a body under the limit passes
    assert c.post("/api/check", json={"text": "word " * 100}).status_code == 200


def test_text_over_max_input_bytes_is_413() -> None:
    c = client_for(Config(max_input_bytes=1_000))
    body = assert_error(c.post("/api/check", json={"text": "word " * 400}), 413, "too_large")
    assert "1,000" in body["message"]


def test_time_limit_gives_503(monkeypatch: pytest.MonkeyPatch) -> None:
    c = client_for(Config(request_timeout_s=0.2))
    state = c.app.state.unspin  # type: ignore[attr-defined]

    def slow_check(text: str) -> unspin.Report:
        time.sleep(1.0)
        raise AssertionError("the time limit should have answered first")

    monkeypatch.setattr(state.engine, "check", slow_check)
    t0 = time.monotonic()
    r = c.post("/api/check", json={"text": demo.SPUN})
    assert time.monotonic() - t0 < 0.9
    body = assert_error(r, 503, "timeout")
    assert "0.2 s" in body["message"]
    assert r.headers["retry-after"]


def test_time_limit_stops_the_work() -> None:
    unspin.check(demo.SPUN)  # load the shared resources outside the limit
    c = client_for(Config(request_timeout_s=1.0), workers=1)
    long_text = demo.SPUN * 2000  # 1.3 MB: tokenised in a fraction of the limit, then some 9 s of decoding
    t0 = time.monotonic()
    assert_error(c.post("/api/check", json={"text": long_text}), 503, "timeout")
    assert time.monotonic() - t0 < 5
    # The only worker is free again at once: the timed-out work stopped rather than running on
    # (were it still running, this request would wait for the worker and time out too).
    time.sleep(0.2)
    r = c.post("/api/check", json={"text": demo.SPUN})
    assert r.status_code == 200, r.text


def test_worker_processes_answer_as_the_library_and_keep_the_time_limit() -> None:
    """``processes``: checks run in worker processes (one core each) and give the library's
    very reports; a check past the time limit stops there and frees its process."""
    with pytest.raises(ValueError, match="processes"):
        create_app(Config(), processes=-1, warm_up=False)
    app = create_app(Config(request_timeout_s=2.0), processes=1)
    with TestClient(app, raise_server_exceptions=False) as c:  # start-up starts the worker
        assert c.app.state.unspin.pool is not None  # type: ignore[attr-defined]
        assert c.get("/api/health").json()["ready"] is True
        r = c.post("/api/check", json={"text": demo.SPUN})
        assert r.status_code == 200, r.text
        assert r.json() == unspin.check(demo.SPUN).to_dict()
        assert c.post("/api/restore", json={"text": demo.SPUN}).json()["restored"] == unspin.restore(demo.SPUN)
        assert_error(c.post("/api/check", json={"text": "   "}), 400, "empty_input")
        t0 = time.monotonic()
        # (1.3 MB: some 9 s of checking on the development machine, far past the 2 s limit)
        assert_error(c.post("/api/check", json={"text": demo.SPUN * 2000}), 503, "timeout")
        assert time.monotonic() - t0 < 6
        time.sleep(0.3)  # the one worker stopped at the limit, so it is free for this one
        assert c.post("/api/check", json={"text": demo.SPUN}).status_code == 200


def test_full_queue_answers_503_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(Config(), workers=1, max_queue=0, warm_up=False)
    state = app.state.unspin
    release = threading.Event()
    real_check = state.engine.check

    def held_check(text: str) -> unspin.Report:
        release.wait(10)
        return real_check(text)

    monkeypatch.setattr(state.engine, "check", held_check)
    answers: list[int] = []
    with TestClient(app, raise_server_exceptions=False) as c:
        first = threading.Thread(target=lambda: answers.append(c.post("/api/check", json={"text": demo.SPUN}).status_code))
        first.start()
        deadline = time.monotonic() + 10
        while state.pending < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        body = assert_error(c.post("/api/check", json={"text": demo.SPUN}), 503, "busy")
        assert "busy" in body["message"]
        release.set()
        first.join(30)
    assert answers == [200]
    assert state.pending == 0


def test_crash_is_json_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    c = client_for()

    def broken(text: str) -> unspin.Report:
        raise RuntimeError("secret internal detail /srv/app/file.py")

    monkeypatch.setattr(c.app.state.unspin.engine, "check", broken)  # type: ignore[attr-defined]
    body = assert_error(c.post("/api/check", json={"text": demo.SPUN}), 500, "internal")
    assert "secret" not in body["message"] and "/srv" not in body["message"]


# --- upload ---------------------------------------------------------------------------------


def test_extract_text_and_html(client: TestClient) -> None:
    r = client.post("/api/extract", files={"file": ("a.txt", demo.SPUN.encode(), "text/plain")})
    assert r.status_code == 200
    assert r.json() == {"text": demo.SPUN, "filename": "a.txt", "format": "text"}
    page = (
        "<!doctype html><html><head><title>T</title><style>p {color: red}</style></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/about'>About us</a></nav><article><h1>Bridge &amp; council</h1>"
        "<p>The mayor <b>stated</b> the work\nwould commence in the spring, and numerous inhabitants were upset by "
        "the news that the old bridge would be shut for most of the year.</p><script>alert(1)</script></article>"
        "<footer>(c) 2024 The Gazette</footer></body></html>"
    )
    r = client.post("/api/extract", files={"file": ("../../etc/page.html", page.encode(), "text/html")})
    assert r.status_code == 200
    body = r.json()
    assert body["format"] == "html"
    assert body["filename"] == "page.html"  # a name, never a path
    # the main text, as `unspin check page.html` reads it: no menu, no footer, no script
    from unspin.inputs import html_to_text

    assert body["text"] == html_to_text(page)
    assert "The mayor stated the work would commence in the spring" in body["text"]
    assert "Home" not in body["text"] and "2024" not in body["text"] and "alert" not in body["text"]


def test_extract_falls_back_to_the_visible_text(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where trafilatura finds no main text (or is not installed), the page's visible text."""
    import unspin.inputs

    monkeypatch.setattr(unspin.inputs, "html_to_text", lambda html: "")
    page = (
        "<!doctype html><html><head><title>T</title><style>p {color: red}</style></head><body>"
        "<h1>Bridge &amp; council</h1><p>The mayor <b>stated</b> the work\nwould commence.</p>"
        "<script>alert(1)</script><ul><li>one</li><li>two</li></ul></body></html>"
    )
    r = client.post("/api/extract", files={"file": ("page.html", page.encode(), "text/html")})
    assert r.json()["text"] == "Bridge & council\n\nThe mayor stated the work would commence.\n\none\n\ntwo"


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("doc.pdf", b"%PDF-1.7 \x00\x01\x02", 400, "binary_input"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00", 400, "binary_input"),
        ("zeros.txt", b"\x00" * 100, 400, "binary_input"),
        ("latin.txt", "caf\u00e9 au lait".encode("latin-1"), 400, "bad_encoding"),
        ("empty.txt", b"", 400, "empty_input"),
        ("blank.html", b"<html><body><script>x()</script></body></html>", 400, "empty_input"),
    ],
)
def test_extract_refuses_what_is_not_text(client: TestClient, name: str, data: bytes, status: int, code: str) -> None:
    body = assert_error(client.post("/api/extract", files={"file": (name, data, "application/octet-stream")}), status, code)
    assert "--encoding" not in body["message"]  # the command line's option, which the web has not


def test_extract_needs_a_multipart_file(client: TestClient) -> None:
    assert_error(client.post("/api/extract", json={"text": "x"}), 415, "unsupported_media_type")
    c = client_for(Config(max_request_bytes=5_000))
    assert_error(c.post("/api/extract", files={"file": ("big.txt", b"word " * 2_000, "text/plain")}), 413, "too_large")


def test_example(client: TestClient) -> None:
    assert client.get("/api/example").json() == {"text": demo.SPUN}


# --- trace and index without an index; the token rule ------------------------------------------


def test_trace_without_index_is_409(client: TestClient) -> None:
    body = assert_error(client.post("/api/trace", json={"text": demo.SPUN}), 409, "no_index")
    assert "--db" in body["message"]
    assert_error(client.get("/api/documents/some-id"), 409, "no_index")


def test_index_is_disabled_without_a_token(client: TestClient) -> None:
    docs = {"documents": [{"id": "a", "text": demo.ARTICLE}]}
    body = assert_error(client.post("/api/index", json=docs), 403, "indexing_disabled")
    assert "token" in body["message"]
    # a guessed token changes nothing
    assert_error(client.post("/api/index", json=docs, headers={"Authorization": "Bearer anything"}), 403)


def test_index_token_rule() -> None:
    c = client_for(token=TOKEN)
    docs = {"documents": [{"id": "a", "text": demo.ARTICLE}]}
    r = c.post("/api/index", json=docs)
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    for header in ("Bearer wrong-token-here", f"Basic {TOKEN}", TOKEN, "Bearer ", f"Bearer {TOKEN}x"):
        assert_error(c.post("/api/index", json=docs, headers={"Authorization": header}), 401, "unauthorized")
    # the right token passes the check; without an index there is nothing to add to
    assert_error(c.post("/api/index", json=docs, headers={"Authorization": f"Bearer {TOKEN}"}), 409, "no_index")
    assert c.get("/api/health").json()["indexing"] is False


def test_short_tokens_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        create_app(token="short", warm_up=False)


# --- CORS -----------------------------------------------------------------------------------------


def test_cors_closed_by_default(client: TestClient) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    r = client.post("/api/check", json={"text": "Hello there."}, headers=origin)
    assert "access-control-allow-origin" not in r.headers
    pre = client.options("/api/check", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


def test_cors_opens_for_named_origins() -> None:
    c = client_for(cors_origins=["https://friend.example"])
    r = c.post("/api/check", json={"text": "Hello there."}, headers={"Origin": "https://friend.example"})
    assert r.headers["access-control-allow-origin"] == "https://friend.example"
    r = c.post("/api/check", json={"text": "Hello there."}, headers={"Origin": "https://other.example"})
    assert "access-control-allow-origin" not in r.headers


# --- trace with an index ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("index") / "corpus.sqlite"
    build_demo_index(db)
    yield client_for(db=str(db), token=TOKEN)


def test_trace_finds_the_source(indexed: TestClient) -> None:
    r = indexed.post("/api/trace", json={"text": demo.SPUN})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"matches"}
    assert body["matches"][0]["id"] == demo.ARTICLE_ID
    m = body["matches"][0]
    assert m["passages"] and m["substitutions"]
    source = indexed.get(f"/api/documents/{demo.ARTICLE_ID}").json()
    assert source == {"id": demo.ARTICLE_ID, "text": demo.ARTICLE}
    for s in m["substitutions"]:
        assert demo.SPUN[s["query"][0] : s["query"][1]].lower() == s["spun"].lower()
        assert demo.ARTICLE[s["source"][0] : s["source"][1]].lower() == s["original"].lower()
    assert_error(indexed.get("/api/documents/no-such-doc"), 404, "not_found")


def test_trace_returns_the_cli_json(indexed: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from unspin.cli import COMMAND_MODULES

    body = indexed.post("/api/trace", json={"text": demo.SPUN, "top": 3}).json()
    db = indexed.app.state.unspin.corpus.path  # type: ignore[attr-defined]
    from unspin.index import open_index

    with open_index(db) as index:
        assert body == {"matches": [m.to_dict() for m in index.trace(demo.SPUN, top=3)]}
    if "trace_cmd" not in COMMAND_MODULES:
        pytest.skip("the unspin trace command is not registered yet")
    path = tmp_path / "spun.txt"
    path.write_text(demo.SPUN, encoding="utf-8")
    capsys.readouterr()
    assert cli_main(["trace", db, str(path), "--top", "3", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == body


def test_index_adds_documents_with_the_token(indexed: TestClient) -> None:
    other = "A quiet village library will open a new reading room for children next month, the head librarian announced on Monday."
    docs = {"documents": [{"id": "library-news", "text": other}]}
    assert_error(indexed.post("/api/index", json=docs), 401)
    r = indexed.post("/api/index", json=docs, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1
    assert r.json()["documents"] == 3
    # the same id again is a duplicate, not an error
    again = indexed.post("/api/index", json=docs, headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert again["added"] == 0 and again["duplicates"] == 1
    assert indexed.get("/api/documents/library-news").json()["text"] == other
    assert indexed.get("/api/health").json()["indexing"] is True
    # a batch with a document that cannot be indexed adds none, and the error names it
    bad = {"documents": [{"id": "fine", "text": other + " Again."}, {"id": "blank", "text": "  "}]}
    body = assert_error(indexed.post("/api/index", json=bad, headers={"Authorization": f"Bearer {TOKEN}"}),
                        400, "empty_input")
    assert "documents[1] (id 'blank')" in body["message"] and "nothing of this batch was added" in body["message"]
    assert indexed.get("/api/documents/fine").status_code == 404


# --- the command ------------------------------------------------------------------------------------


def test_import_unspin_does_not_import_fastapi() -> None:
    code = "import sys, unspin, unspin.cli; unspin.cli.build_parser(); print('fastapi' in sys.modules, 'uvicorn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_serve_without_the_web_extra(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a))
    with pytest.raises(SystemExit) as exc:
        cli_main(["serve"])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install 'unspin[web]'" in err


def test_serve_refuses_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (exit 1: a value out of its range; 2: a count that is no whole number of at least 1, or 0 for
    # the processes and the queue, a usage error as for every command: README, "Exit codes")
    for argv, code, needle in [
        (["serve", "--db", str(tmp_path / "missing.sqlite")], 1, "no such index"),
        (["serve", "--db", str(tmp_path)], 1, "directory"),
        (["serve", "--port", "0"], 1, "--port"),
        (["serve", "--token-file", str(tmp_path / "nope")], 1, "cannot read"),
        (["serve", "--spun-threshold", "1.5"], 1, "--spun-threshold must be"),
        (["serve", "--timeout", "-1"], 1, "--time-limit must be"),
        (["serve", "--time-limit", "0"], 1, "--time-limit must be"),
        (["serve", "--max-request-bytes", "0"], 2, "--max-request-bytes: must be at least 1"),
        (["serve", "--workers", "0"], 2, "--workers: must be at least 1"),
        (["serve", "--processes", "-1"], 2, "--processes: must be at least 0"),
        (["serve", "--max-queue", "x"], 2, "--max-queue: expected a whole number"),
    ]:
        with pytest.raises(SystemExit) as exc:
            cli_main(argv)
        assert exc.value.code == code, argv
        assert needle in capsys.readouterr().err


def test_serve_says_at_once_when_it_cannot_listen(capsys: pytest.CaptureFixture[str]) -> None:
    """A port in use or a host that is not this machine's: a one-line error before the resources
    load, not uvicorn's exit code 3 a minute later."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for argv, needle in [
            (["serve", "--port", str(port)], f"cannot listen on 127.0.0.1:{port}"),
            (["serve", "--host", "no-such-host.invalid"], "--host no-such-host.invalid: not a name or address"),
        ]:
            with pytest.raises(SystemExit) as exc:
                cli_main(argv)
            assert exc.value.code == 1
            err = capsys.readouterr().err.strip()
            assert needle in err and err.count("\n") == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_unspin_serve_runs(tmp_path: Path) -> None:
    import httpx

    port = _free_port()
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from unspin.cli import main; sys.exit(main())", "serve", "--port", str(port), "--token-file", str(token_file),
         "--max-request-bytes", "50000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/api/health", timeout=2).json()
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stdout.read().decode() if proc.stdout else "server died") from None
                time.sleep(0.3)
        assert health["ready"] is True  # resources were loaded before serving
        assert health["max_request_bytes"] == 50_000
        r = httpx.post(f"{base}/api/check", json={"text": demo.SPUN}, timeout=30)
        assert r.status_code == 200 and r.json()["findings"]
        assert httpx.post(f"{base}/api/check", json={"text": "x " * 30_000}, timeout=30).status_code == 413
        assert "server" not in {k.lower() for k in r.headers}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie waiting to be reaped does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads worker processes from /proc")
def test_serve_worker_processes_end_with_the_server() -> None:
    """A server killed outright (no chance to stop its workers) does not leave them running."""
    import httpx

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from unspin.cli import main; sys.exit(main())", "serve", "--port",
         str(port), "--processes", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json()["ready"]:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True)
        workers = [int(p) for p in children.stdout.split()]
        assert workers, "no worker processes"
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers), "worker processes outlived the server"


def test_report_page(client: TestClient) -> None:
    r = client.post("/api/report", json={"text": demo.SPUN, "filename": "../../secret/essay.docx"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    # named after the file, so that saved reports are told apart
    assert r.headers["content-disposition"] == (
        "attachment; filename=\"essay-unspin-report.html\"; filename*=UTF-8''essay-unspin-report.html")
    other = client.post("/api/report", json={"text": demo.SPUN, "filename": "\u00dcberblick 2.docx"})
    assert other.headers["content-disposition"] == (
        "attachment; filename=\"_berblick_2-unspin-report.html\"; "
        "filename*=UTF-8''%C3%9Cberblick_2-unspin-report.html")
    plain = client.post("/api/report", json={"text": demo.SPUN})
    assert plain.headers["content-disposition"].startswith('attachment; filename="unspin-report.html"')
    page = r.text
    assert page.startswith("<!DOCTYPE html>") and "<title>unspin report: essay.docx</title>" in page
    assert page.count("<mark ") == len(unspin.check(demo.SPUN).findings)
    assert_error(client.post("/api/report", json={"text": ""}), 400, "empty_input")
    assert_error(client.post("/api/report", json={"text": "x", "extra": 1}), 400, "invalid_request")


def test_check_with_the_requests_thresholds(client: TestClient) -> None:
    plain = client.post("/api/check", json={"text": demo.SPUN}).json()
    assert plain["verdict"] == "spun" and len(plain["findings"]) >= 2
    # a stricter verdict: same probability and findings, no longer "spun"
    stricter = client.post("/api/check", json={"text": demo.SPUN, "spun_threshold": min(1.0, plain["spun_probability"] + 0.01)})
    assert stricter.status_code == 200, stricter.text
    s = stricter.json()
    assert s["verdict"] == "uncertain" and s["spun_probability"] == plain["spun_probability"]
    assert s["findings"] == plain["findings"]
    # fewer findings: exactly those at least as confident, and the restored text made of them
    cut = sorted(f["confidence"] for f in plain["findings"])[-1]
    fewer = client.post("/api/check", json={"text": demo.SPUN, "min_confidence": cut}).json()
    assert fewer["findings"] == [f for f in plain["findings"] if f["confidence"] >= cut]
    kept = [unspin.Finding(f["start"], f["end"], f["text"], f["original"], f["confidence"]) for f in fewer["findings"]]
    assert fewer["restored"] == unspin.apply_findings(demo.SPUN, kept)
    assert client.post("/api/restore", json={"text": demo.SPUN, "min_confidence": cut}).json() == {"restored": fewer["restored"]}
    page = client.post("/api/report", json={"text": demo.SPUN, "min_confidence": cut}).text
    assert page.count("<mark ") == len(fewer["findings"])
    # what cannot be honoured is refused
    assert_error(client.post("/api/check", json={"text": demo.SPUN, "spun_threshold": 0.1}), 400, "invalid_request")
    body = assert_error(client.post("/api/check", json={"text": demo.SPUN, "min_confidence": 0.1}), 400, "invalid_request")
    assert "finding threshold" in body["message"]
    assert_error(client.post("/api/check", json={"text": demo.SPUN, "spun_threshold": 2}), 400, "invalid_request")


def test_serve_says_when_the_candidate_store_is_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before it serves, `unspin serve` says when the candidate store is (nearly) empty, as scan does."""
    import uvicorn

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    assert cli_main(["serve", "--processes", "0"]) == 0
    assert served and "unspin cache --fill" in capsys.readouterr().err
    monkeypatch.setenv("UNSPIN_CACHE", "off")
    assert cli_main(["serve", "--processes", "0"]) == 0
    assert "unspin cache --fill" not in capsys.readouterr().err


def test_a_lone_surrogate_is_a_bad_request_on_every_endpoint(client: TestClient) -> None:
    """JSON can carry half of an encoded character ("\\ud800"); a check of it used to run and then
    fail while its answer was written (500)."""
    body = '{"text": "The mayor \\ud800 stated the work would commence in the spring and numerous inhabitants were upset."}'
    for path in ("/api/check", "/api/restore", "/api/report"):
        r = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (path, r.status_code, r.text)
        assert r.json()["error"] == "bad_encoding" and "lone surrogate" in r.json()["message"]


def test_a_threshold_must_be_a_number_not_true(client: TestClient) -> None:
    for field in ("spun_threshold", "min_confidence"):
        r = client.post("/api/check", json={"text": demo.SPUN, field: True})
        assert r.status_code == 400 and "expected a number, not true or false" in r.json()["message"], field
    assert client.post("/api/check", json={"text": demo.SPUN, "spun_threshold": 1}).status_code == 200


def test_head_where_get_is(client: TestClient) -> None:
    for path in ("/api/health", "/", "/docs"):
        r = client.head(path)
        assert r.status_code == 200, path


def test_an_index_batch_that_has_started_is_answered_when_done(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch was answered 503 "timeout" when its write took longer than the limit, though it
    was then added in full: a write cannot be stopped once started, so it is waited for; only a
    batch that never got to start is refused, and then nothing of it is added."""
    import threading
    import time

    from unspin.web import app as web_app

    add = web_app._Corpus.add
    gate = threading.Event()

    def slow_add(self, documents):  # type: ignore[no-untyped-def]
        gate.wait(5)  # (a big batch, or a queue of them)
        return add(self, documents)

    monkeypatch.setattr(web_app._Corpus, "add", slow_add)
    c = client_for(Config(request_timeout_s=0.3), db=str(tmp_path / "w.db"), token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    threading.Timer(0.8, gate.set).start()  # the write finishes after the limit has passed
    t0 = time.monotonic()
    r = c.post("/api/index", json={"documents": [{"id": "a", "text": demo.ARTICLE}]}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1 and time.monotonic() - t0 >= 0.7
    assert c.get("/api/documents/a").status_code == 200


def test_a_blank_id_is_refused(tmp_path: Path) -> None:
    c = client_for(db=str(tmp_path / "b.db"), token=TOKEN)
    r = c.post("/api/index", json={"documents": [{"id": "   ", "text": demo.ARTICLE}]},
               headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code in (400, 422), r.text
    assert c.get("/api/documents/%20%20%20").status_code == 404


def test_an_uncertain_verdict_says_why(client: TestClient) -> None:
    """The page's script shows the reason of an "uncertain" verdict, but the API never sent it."""
    body = client.post("/api/check", json={"text": "The mayor stated."}).json()
    assert body["verdict"] == "uncertain" and "too short" in body["reason"]


def test_the_front_ends_rewordings_match_the_librarys_messages() -> None:
    """The command line and the web reword the library's advice on bad input for their own options
    (by replacing text): each replacement must still find the words it replaces, or the advice
    would silently come out in the other front end's terms."""
    from unspin.cli import cli_wording
    from unspin.errors import EncodingError, InputTooLargeError
    from unspin.text import check_text, decode_input
    from unspin.web.app import _input_error

    with pytest.raises(InputTooLargeError) as big:
        check_text("word " * 100, 50)
    assert "raise --max-bytes" in cli_wording(str(big.value)) and "max_input_bytes" not in cli_wording(str(big.value))
    with pytest.raises(EncodingError) as latin:
        decode_input("caf\u00e9 au lait".encode("latin-1"), 1000)
    assert "--encoding" not in _input_error(latin.value).message and "save it as UTF-8" in _input_error(latin.value).message
    utf16 = "A line of text that is long enough to look like a document.".encode("utf-16-le")
    with pytest.raises(Exception) as nobom:  # (NUL bytes: refused, with the UTF-16 hint)
        decode_input(utf16, 1000)
    assert "--encoding utf-16-le" in str(nobom.value)
    assert "--encoding" not in _input_error(nobom.value).message  # type: ignore[arg-type]


def test_the_api_schema_builds_without_warnings(client: TestClient) -> None:
    """/api/health answers GET and HEAD; one route of both gave them one operation id, and
    building the schema warned of the duplicate."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        schema = client.get("/openapi.json").json()
    assert not [str(w.message) for w in caught if "Operation ID" in str(w.message)]
    assert list(schema["paths"]["/api/health"]) == ["get"]
    assert client.head("/api/health").status_code == 200
