"""The HTTP API and the web page, as a FastAPI application.

:func:`create_app` builds one application; every piece of state (the detection
engine, the corpus index, the token, the worker limits) lives on that instance,
so tests and embedding programs can hold several.  The endpoints call the same
library functions as the command line and return the same JSON.

Safety rules, all enforced here:

* request bodies over ``Config.max_request_bytes`` get a 413 before they are read;
* detection, restoration and tracing run in worker threads (detection, with
  ``processes``, in worker processes instead), at most ``workers`` (or
  ``processes``) at once, with at most ``max_queue`` more requests waiting
  (beyond that: 503 at once); work that passes ``Config.request_timeout_s``
  gets a 503, and detection stops at its next sentence segment (a batch of documents to
  index that has started by then is finished and answered: a write is never cut in half);
* every error is JSON ``{"error": code, "message": one line}``, never a traceback;
* clients send text, never file-system paths;
* no CORS headers unless origins are allowed explicitly;
* ``POST /api/index`` is refused unless the server was given a token, and then
  needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, MutableMapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote

import anyio
import anyio.to_thread
from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import demo
from .._version import __version__
from ..config import Config
from ..detect import Engine, rejudged
from ..documents import input_text, read_limited
from ..errors import InputError, InputTooLargeError, UnspinError
from ..htmlreport import render as render_report
from ..htmlreport import report_filename
from ..inputs import HTML_SUFFIXES, looks_like_html, page_text
from ..report import Report
from ..text import check_text
from . import MAX_QUEUE, THREAD_WORKERS

log = logging.getLogger(__name__)

T = TypeVar("T")

STATIC_DIR = Path(str(importlib_resources.files("unspin.web").joinpath("static")))

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
}
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


# --- errors -----------------------------------------------------------------------


class ApiError(Exception):
    """An error answered as ``{"error": code, "message": message}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def _error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


_INPUT_CODES = {
    "EmptyInputError": "empty_input",
    "BinaryInputError": "binary_input",
    "EncodingError": "bad_encoding",
    "InputTooLargeError": "too_large",
}


def _input_error(exc: InputError) -> ApiError:
    status = 413 if isinstance(exc, InputTooLargeError) else 400
    # (the command line's advice, where the web has none of its options)
    message = str(exc).replace("pass the right encoding (--encoding latin-1, for example)", "save it as UTF-8")
    message = re.sub(r"; if it is UTF-16 text without a byte-order mark, pass --encoding \S+", "", message)
    return ApiError(status, _INPUT_CODES.get(type(exc).__name__, "bad_input"), message)


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


def _validation_message(request: Request, exc: RequestValidationError) -> tuple[int, str, str]:
    """Turn pydantic's error list into one line a person can act on."""
    content_type = request.headers.get("content-type", "")
    errors = list(exc.errors())
    if request.url.path.endswith("/api/extract") and "multipart/form-data" not in content_type:
        return 415, "unsupported_media_type", "send a multipart/form-data body with the file in a field named 'file'"
    for err in errors:
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            where = err.get("loc", ("body", 0))[-1]
            detail = ctx.get("error", "invalid JSON")
            return 400, "malformed_json", f"the request body is not valid JSON ({detail} at byte {where})"
    body_errors = [e for e in errors if e.get("loc", ("",))[0] == "body"]
    if body_errors and "multipart/form-data" not in content_type:
        is_json = "json" in content_type.split(";")[0] or not content_type
        if not is_json:
            return (
                415,
                "unsupported_media_type",
                f"send the body as JSON with Content-Type: application/json (got {content_type.split(';')[0]!r})",
            )
    parts = []
    for err in errors[:3]:
        loc = [str(x) for x in err.get("loc", ()) if x != "body"]
        field = ".".join(loc)
        kind = err.get("type", "")
        if kind == "missing":
            parts.append(f"{field!r} is required" if field else "a request body is required")
        elif kind == "extra_forbidden":
            parts.append(f"unknown field {field!r}")
        elif kind in ("model_attributes_type", "dict_type", "model_type") and not field:
            parts.append('the body must be a JSON object such as {"text": "..."}')
        elif kind == "string_type":
            parts.append(f"{field!r} must be a string")
        else:
            msg = str(err.get("msg", "is invalid"))
            parts.append(f"{field}: {msg}" if field else msg)
    return 400, "invalid_request", "; ".join(parts) or "the request is invalid"


# --- request size limit -------------------------------------------------------------


class LimitsMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413 before the application reads
    them, and add a few security headers to every response."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, size: int | None) -> JSONResponse:
        got = f"is {size:,} bytes, " if size is not None else "is "
        return _error_response(
            413,
            "too_large",
            f"the request body {got}over this server's limit of {self.max_bytes:,} bytes; "
            "send a shorter text or split it",
        )

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + COMMON_HEADERS
            await send(message)

        length = None
        for key, value in scope.get("headers", ()):
            if key == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    await _error_response(400, "bad_request", "invalid Content-Length header")(scope, receive, send_with_headers)
                    return
        if length is not None and length > self.max_bytes:
            await self._too_large(length)(scope, receive, send_with_headers)
            return

        if length is not None:
            # The server delivers no more than Content-Length bytes, so the header decides.
            await self.app(scope, receive, send_with_headers)
            return
        # No length given (chunked): read up to the limit, then hand the body on.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(None)(scope, receive, send_with_headers)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)


# --- request and response models (they document the API in /openapi.json) ----------


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": demo.SPUN[:200]}]})
    text: StrictStr = Field(description="the text to check (plain text, UTF-8)")


def _no_bool(value: object) -> object:
    """A number field refuses true and false (pydantic reads them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not true or false")
    return value


Number = Annotated[float, BeforeValidator(_no_bool)]


class CheckIn(TextIn):
    spun_threshold: Number | None = Field(
        None, gt=0, le=1,
        description="call the text spun only at this spun probability or above (the server's by default; "
        "0.9 for papers and other technical text, which read as odder to a news-trained model)",
    )
    min_confidence: Number | None = Field(
        None, ge=0, le=1,
        description="report and restore only findings at least this confident (at least the server's "
        "finding threshold: weaker findings are not made)",
    )


class ReportIn(CheckIn):
    filename: str | None = Field(None, max_length=255, description="where the text came from, named in the page's title")


class TraceIn(TextIn):
    top: int = Field(5, ge=1, le=50, description="how many candidate sources to return")


class AlternativeOut(BaseModel):
    text: str
    score: float


class FindingOut(BaseModel):
    start: int = Field(description="character offset of the span in the submitted text")
    end: int
    text: str = Field(description="the span as written")
    original: str = Field(description="the most likely original wording")
    confidence: float = Field(description="0..1")
    alternatives: list[AlternativeOut]
    signals: dict[str, Any] = Field(description="the evidence: language-model gain, channel prior, candidate source")


class CheckOut(BaseModel):
    verdict: Literal["spun", "clean", "uncertain"]
    spun_probability: float
    findings: list[FindingOut]
    restored: str
    reason: str | None = Field(None, description="why the verdict is 'uncertain' (too short, not English, ...); "
                               "absent otherwise")


class RestoreOut(BaseModel):
    restored: str


class TraceOut(BaseModel):
    matches: list[dict[str, Any]] = Field(
        description="candidate sources, best first: id, score, coverage, passages [{query:[s,e], source:[s,e]}], "
        "substitutions [{spun, original, query:[s,e], source:[s,e], evidence: thesaurus, lexicon or unverified}]"
    )


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # (not blank: an id of spaces names nothing, and files and JSONL lines never get one)
    id: StrictStr = Field(min_length=1, max_length=500, pattern=r"\S",
                          description="your identifier for the document (a URL, a file name)")
    text: StrictStr = Field(description="the document's text")


class IndexIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[DocumentIn] = Field(min_length=1, max_length=10_000)


class IndexOut(BaseModel):
    added: int = Field(description="documents added")
    duplicates: int = Field(0, description="documents not added: their id (with the same text) or their text is already indexed")
    conflicts: int = Field(0, description="documents not added: their id is already indexed for another text")
    skipped: int = Field(0, description="documents not added because they cannot be indexed (empty, binary, ...)")
    skip_reasons: dict[str, int] = Field(default_factory=dict)
    documents: int = Field(description="documents in the index after adding")


class DocumentOut(BaseModel):
    id: str
    text: str


class ExtractOut(BaseModel):
    text: str
    filename: str
    format: Literal["text", "html", "docx", "odt", "pdf"]


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
    ready: bool = Field(description="the detection resources are loaded")
    index: bool = Field(description="a corpus index is configured, so /api/trace works")
    indexing: bool = Field(description="POST /api/index is enabled (the server has a token)")
    max_request_bytes: int
    request_timeout_s: float


class ErrorOut(BaseModel):
    error: str = Field(description="a short machine-readable code, e.g. too_large, malformed_json")
    message: str = Field(description="one line saying what is wrong and what to do")


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut} for code in codes}


# --- state ------------------------------------------------------------------------------


class _Corpus:
    """The corpus index behind /api/trace and /api/index.

    An SQLite connection belongs to the thread that opened it, so one
    dedicated thread opens the :class:`~unspin.index.Index` and runs every
    operation on it, one at a time.
    """

    def __init__(self, path: str, config: Config, create: bool) -> None:
        from ..index import Index  # the trace part; imported only when a db is given

        self.path = path
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="unspin-index")
        self._index: Any = self.executor.submit(Index, path, config, create=create).result()  # errors surface here

    def trace(self, text: str, top: int) -> dict[str, Any]:
        return {"matches": [m.to_dict() for m in self._index.trace(text, top=top)]}

    def add(self, documents: Sequence[DocumentIn]) -> IndexOut:
        summary = self._index.add([(doc.id, doc.text) for doc in documents])
        return IndexOut(**summary.to_dict(), documents=len(self._index))

    def document(self, doc_id: str) -> str | None:
        try:
            return str(self._index.get(doc_id).text)
        except KeyError:
            return None

    def size(self) -> int:
        return len(self._index)

    def close(self) -> None:
        self.executor.submit(self._index.close).result()
        self.executor.shutdown()


class _TimedEngine(Engine):
    """The detection engine with the calling thread's request deadline: the
    check stops between sentence segments once it has passed
    (:class:`~unspin.errors.CheckTimeout`), so a timed-out request frees its
    worker instead of running on unseen."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.deadlines = threading.local()

    def check(
        self,
        text: str,
        *,
        deadline: float | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Report:
        if deadline is None:
            deadline = getattr(self.deadlines, "value", None)
        return super().check(text, deadline=deadline, progress=progress)


class AppState:
    """Everything one application holds; found at ``app.state.unspin``."""

    def __init__(
        self, config: Config, db: str | None, token: str | None, workers: int, max_queue: int, processes: int = 0
    ) -> None:
        self.config = config
        self.engine = _TimedEngine(config)
        # with processes, checks run in worker processes (unspin.web.pool), one core each
        self.pool: ProcessPoolExecutor | None = None
        if processes:
            import multiprocessing

            from . import pool

            workers = processes
            self.pool = ProcessPoolExecutor(
                processes, mp_context=multiprocessing.get_context("spawn"), initializer=pool.start,
                initargs=(config,),
            )
        self.token = token or None
        # With a token the server may start from an empty index; without one it must exist.
        self.corpus = _Corpus(db, config, create=self.token is not None) if db else None
        self.workers = workers
        self.max_queue = max_queue
        self.pending = 0  # requests running or waiting for a worker
        self.slots = anyio.CapacityLimiter(workers)  # requests wait here, in the event loop
        self.running = threading.BoundedSemaphore(workers)  # work in threads, abandoned work included
        self.ready = False

    async def check(self, text: str) -> Report:
        """``text`` checked in a worker process (with ``processes``) or a worker thread."""
        if self.pool is None:
            return await self.run(self.engine.check, text)
        from . import pool

        return await self.run(pool.check, text, self.config.request_timeout_s, executor=self.pool)

    def _refuse_if_busy(self) -> None:
        """A 503 at once where ``workers`` requests run and ``max_queue`` more wait."""
        if self.pending >= self.workers + self.max_queue:
            raise ApiError(
                503,
                "busy",
                f"the server is busy ({self.pending} requests running or waiting); try again in a few seconds",
                {"Retry-After": "5"},
            )

    async def run(self, func: Callable[..., T], *args: Any, executor: Executor | None = None) -> T:
        """Run ``func(*args)`` in a worker thread (or ``executor``) within the time limit.

        At most ``workers`` run at once and ``max_queue`` more wait; beyond
        that the answer is 503 at once.  The limit counts from the start of
        the work; waiting for a worker is bounded by the queue instead.  In a
        process pool ``func`` itself must stop at the limit (it is given it).
        """
        self._refuse_if_busy()
        timeout = self.config.request_timeout_s

        def job() -> T:
            with self.running:
                self.engine.deadlines.value = time.monotonic() + timeout
                try:
                    return func(*args)
                finally:
                    self.engine.deadlines.value = None

        self.pending += 1
        try:
            async with self.slots:
                with anyio.fail_after(timeout):
                    if executor is None:
                        return await anyio.to_thread.run_sync(job, abandon_on_cancel=True)
                    # a process cannot take the closure: it gets func as it is
                    future = executor.submit(func, *args) if isinstance(executor, ProcessPoolExecutor) else (
                        executor.submit(job))
                    try:
                        return await asyncio.wrap_future(future)
                    finally:
                        future.cancel()  # not started yet: never start it
        except TimeoutError:  # includes CheckTimeout from the engine
            raise ApiError(
                503,
                "timeout",
                f"the request needed more than this server's limit of {timeout:g} s of work; "
                "send a shorter text (or split it)",
                {"Retry-After": "5"},
            ) from None
        except InputError as exc:
            raise _input_error(exc) from None
        finally:
            self.pending -= 1

    async def write(self, func: Callable[..., T], *args: Any, executor: Executor) -> T:
        """Run the index write ``func(*args)`` on ``executor`` (the index's one writer thread).

        A write cannot be stopped once started (part of a batch would be in the index), so the
        time limit applies to its wait for the writer only: a batch that has not started by then
        is never started (503, nothing added), one that has is waited for and answered as done.
        """
        self._refuse_if_busy()
        timeout = self.config.request_timeout_s
        self.pending += 1
        try:
            future = executor.submit(func, *args)
            waited = asyncio.wrap_future(future)
            try:
                with anyio.fail_after(timeout):
                    return await asyncio.shield(waited)
            except TimeoutError:
                if future.cancel():  # still waiting for the writer: it never starts
                    raise ApiError(
                        503,
                        "busy",
                        f"the index was busy writing other batches for more than {timeout:g} s; nothing of "
                        "this batch was added; send it again",
                        {"Retry-After": "5"},
                    ) from None
                return await waited  # started: it finishes, and its answer says what was added
        except InputError as exc:
            raise _input_error(exc) from None
        finally:
            self.pending -= 1

    def check_token(self, request: Request) -> None:
        if self.token is None:
            raise ApiError(
                403,
                "indexing_disabled",
                "adding documents is disabled on this server; start it with a token (unspin serve --token-file FILE) to enable it",
            )
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ApiError(401, "unauthorized", "send the server's token as 'Authorization: Bearer <token>'",
                           {"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            raise ApiError(401, "unauthorized", "the token is wrong", {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    def need_corpus(self) -> _Corpus:
        if self.corpus is None:
            raise ApiError(
                409,
                "no_index",
                "this server has no corpus index, so it cannot trace sources; start it with --db INDEX",
            )
        return self.corpus


def _state(request: Request) -> AppState:
    return request.app.state.unspin


def _checked(state: AppState, text: str) -> str:
    try:
        return check_text(text, state.config.max_input_bytes)
    except InputError as exc:
        raise _input_error(exc) from None


async def _report(request: Request, body: CheckIn) -> tuple[str, Report]:
    """The text of a request, checked as input, and its report, judged by the request's thresholds
    where it sets any (:func:`unspin.detect.rejudged`)."""
    s = _state(request)
    cfg = judge = s.config
    if body.spun_threshold is not None:
        try:
            judge = judge.with_spun_threshold(body.spun_threshold)
        except ValueError as exc:
            raise ApiError(400, "invalid_request", str(exc)) from None
    if body.min_confidence is not None:
        if body.min_confidence < cfg.finding_threshold:
            raise ApiError(400, "invalid_request",
                           f"min_confidence must be at least this server's finding threshold "
                           f"({cfg.finding_threshold}): weaker findings are not made; got {body.min_confidence}")
        judge = judge.replace(finding_threshold=body.min_confidence)
    text = _checked(s, body.text)
    report = await s.check(text)
    return text, rejudged(text, report, judge) if judge is not cfg else report


# --- the application ----------------------------------------------------------------------


def create_app(
    config: Config | None = None,
    db: str | None = None,
    token: str | None = None,
    *,
    cors_origins: Sequence[str] = (),
    workers: int = THREAD_WORKERS,
    max_queue: int = MAX_QUEUE,
    warm_up: bool = True,
    processes: int = 0,
) -> FastAPI:
    """Build the web application.

    Args:
        config: detection and server settings (``max_request_bytes``,
            ``request_timeout_s``, ...); the default :class:`~unspin.Config`.
        db: path of a corpus index for tracing (``unspin index``); without
            one, ``/api/trace`` answers 409.
        token: enables ``POST /api/index`` for clients sending
            ``Authorization: Bearer <token>``; without one it answers 403.
        cors_origins: origins allowed to call the API from other sites'
            pages; none by default.
        workers: detection jobs run at once; others wait their turn.
        max_queue: requests that may wait for a worker; more get 503 at once.
        warm_up: load the detection resources at start-up (a few seconds)
            rather than on the first request.
        processes: check in this many worker processes instead of
            ``workers`` threads (each loads its own resources: some hundreds
            of MB each), so that checks use as many cores.  Started at
            start-up; 0 (the default): checks run in threads.
    """
    config = config or Config()
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if max_queue < 0:
        raise ValueError("max_queue must not be negative")
    if processes < 0:
        raise ValueError("processes must not be negative")
    if token is not None and len(token) < 8:
        raise ValueError("the token must be at least 8 characters long")
    state = AppState(config, db, token, workers, max_queue, processes)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state.pool is not None:
            from . import pool

            log.info("starting %d worker processes", processes)
            # one call per worker: each starts (and loads its resources) for the first it takes
            await asyncio.gather(*(asyncio.wrap_future(state.pool.submit(pool.ready)) for _ in range(processes)))
            state.ready = True
            log.info("ready")
        elif warm_up:
            log.info("loading detection resources")
            await anyio.to_thread.run_sync(state.engine.check, demo.SPUN)
            state.ready = True
            log.info("ready")
        try:
            yield
        finally:
            if state.pool is not None:  # waits for checks under way (each stops at its time limit)
                await anyio.to_thread.run_sync(functools.partial(state.pool.shutdown, wait=True, cancel_futures=True))
            if state.corpus is not None:
                state.corpus.close()

    app = FastAPI(
        title="unspin",
        version=__version__,
        summary="Find machine-spun text, restore its original wording, and trace it to its source.",
        description=(
            "Endpoints take JSON (file uploads: a multipart form) and return JSON. "
            "Errors are `{\"error\": code, \"message\": text}`. "
            f"Request bodies over {config.max_request_bytes:,} bytes get 413; requests needing more than "
            f"{config.request_timeout_s:g} s of work, or arriving while {max_queue} are waiting, get 503."
        ),
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.unspin = state

    # --- error handlers ---
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, code, message = _validation_message(request, exc)
        return _error_response(status, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 404:
            message = f"there is nothing at {request.url.path}; the API is described at /docs"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        elif exc.status_code == 400 and "parsing the body" in message:
            return _error_response(400, "malformed_body", "the request body could not be parsed: send UTF-8 JSON "
                                   "(or, to /api/extract, a multipart form)")
        return _error_response(exc.status_code, _STATUS_CODES.get(exc.status_code, "error"), message,
                               getattr(exc, "headers", None))

    @app.exception_handler(UnspinError)
    async def _unspin_error(request: Request, exc: UnspinError) -> JSONResponse:
        if isinstance(exc, InputError):
            err = _input_error(exc)
            return _error_response(err.status, err.code, err.message)
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
        return _error_response(500, "server_error", str(exc))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        # The server logs the traceback; the client gets one line.
        return _error_response(500, "internal", "the server failed to handle this request; its log has the details")

    # --- API ---
    # (HEAD where GET is, as HTTP asks: uptime monitors use it; the schema lists the GET, since one
    # route of two methods gave both one operation id, which the schema warned of)
    @app.head("/api/health", include_in_schema=False)
    @app.get("/api/health", response_model=HealthOut, tags=["server"], summary="Server status")
    async def health(request: Request) -> HealthOut:
        s = _state(request)
        return HealthOut(
            status="ok",
            version=__version__,
            ready=s.ready or bool(s.engine.res.loaded()),
            index=s.corpus is not None,
            indexing=s.corpus is not None and s.token is not None,
            max_request_bytes=s.config.max_request_bytes,
            request_timeout_s=s.config.request_timeout_s,
        )

    @app.post(
        "/api/check",
        tags=["detect"],
        summary="Detect spun phrases and suggest the originals",
        description="The same JSON object as `unspin check --format json`.",
        responses={200: {"model": CheckOut}, **_errors(400, 413, 415, 503)},
    )
    async def check(body: CheckIn, request: Request) -> JSONResponse:
        _, report = await _report(request, body)
        # (the command line's JSON object, and for an "uncertain" verdict the reason, as scan's
        # lines and the page show it)
        return JSONResponse(report.to_dict() | ({"reason": report.reason} if report.reason else {}))

    @app.post(
        "/api/restore",
        tags=["detect"],
        summary="The most likely original wording",
        description="`restored` is the text that `unspin restore` prints.",
        response_model=RestoreOut,
        responses=_errors(400, 413, 415, 503),
    )
    async def restore(body: CheckIn, request: Request) -> RestoreOut:
        _, report = await _report(request, body)
        return RestoreOut(restored=report.restored)

    @app.post(
        "/api/report",
        tags=["detect"],
        summary="The check as one self-contained HTML page",
        description="The page `unspin check --format html` writes: the verdict and its evidence, the text with "
        "its findings marked, a table of them and the restored text; no scripts, nothing loaded. Sent as an "
        "attachment named after `filename` (`essay-unspin-report.html`; `unspin-report.html` without one).",
        response_class=HTMLResponse,
        responses=_errors(400, 413, 415, 503),
    )
    async def report_page(body: ReportIn, request: Request) -> HTMLResponse:
        text, report = await _report(request, body)
        name = Path(body.filename).name if body.filename else ""
        saved = report_filename(name)
        ascii_name = saved.encode("ascii", "replace").decode("ascii").replace("?", "_")
        return HTMLResponse(
            render_report(text, report, source=name),
            headers={"Content-Disposition": f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(saved)}'},
        )

    @app.post(
        "/api/trace",
        tags=["trace"],
        summary="Find the sources a text was copied and spun from",
        description="The same JSON object as `unspin trace --format json`. Answers 409 when the server has no index.",
        responses={200: {"model": TraceOut}, **_errors(400, 409, 413, 415, 503)},
    )
    async def trace(body: TraceIn, request: Request) -> JSONResponse:
        s = _state(request)
        corpus = s.need_corpus()
        text = _checked(s, body.text)
        result = await s.run(corpus.trace, text, body.top, executor=corpus.executor)
        return JSONResponse(result)

    @app.get(
        "/api/documents/{doc_id:path}",
        tags=["trace"],
        summary="The text of an indexed document",
        response_model=DocumentOut,
        responses=_errors(404, 409),
    )
    async def document(doc_id: str, request: Request) -> DocumentOut:
        s = _state(request)
        corpus = s.need_corpus()
        text = await s.run(corpus.document, doc_id, executor=corpus.executor)
        if text is None:
            shown = doc_id if len(doc_id) <= 200 else f"{doc_id[:200]}... ({len(doc_id):,} characters)"
            raise ApiError(404, "not_found", f"the index has no document {shown!r}")
        return DocumentOut(id=doc_id, text=text)

    @app.post(
        "/api/index",
        tags=["trace"],
        summary="Add documents to the index",
        description="Disabled (403) unless the server was started with a token; then it needs "
        "`Authorization: Bearer <token>` (401 otherwise).",
        response_model=IndexOut,
        responses=_errors(400, 401, 403, 409, 413, 415, 503),
    )
    async def add_documents(body: IndexIn, request: Request) -> IndexOut:
        s = _state(request)
        s.check_token(request)
        corpus = s.need_corpus()
        for k, doc in enumerate(body.documents):  # all or nothing: a batch with a bad document adds none
            try:
                check_text(doc.text, s.config.max_input_bytes)
            except InputError as exc:
                error = _input_error(exc)
                raise ApiError(error.status, error.code, f"documents[{k}] (id {doc.id!r}): {exc}; "
                               "nothing of this batch was added") from None
        return await s.write(corpus.add, body.documents, executor=corpus.executor)

    @app.post(
        "/api/extract",
        tags=["detect"],
        summary="Text from an uploaded .txt, .html, .docx, .odt or .pdf file",
        description="A multipart form with one field `file`. HTML is reduced to its main text as `unspin check` "
        "reads a page (menus and footers left out; where that finds none, or trafilatura is not installed, "
        "to all its visible text); a Word, "
        "OpenDocument or PDF document (known by its bytes) to its text. `format` says which it was.",
        response_model=ExtractOut,
        responses=_errors(400, 413, 415),
    )
    async def extract(
        request: Request,
        file: UploadFile = File(description="a .txt, .html, .docx, .odt or .pdf file"),  # noqa: B008
    ) -> ExtractOut:
        s = _state(request)
        limit = s.config.max_input_bytes
        data = await anyio.to_thread.run_sync(read_limited, file.file, limit)
        name = Path(file.filename or "upload").name
        try:
            text, kind = await s.run(input_text, data, limit)
            is_html = kind is None and (
                name.lower().endswith(HTML_SUFFIXES)
                or (file.content_type or "").startswith(("text/html", "application/xhtml"))
                or looks_like_html(text)
            )
            if is_html:
                text = check_text(await s.run(page_text, text), limit)
        except InputError as exc:
            raise _input_error(exc) from None
        except UnspinError as exc:  # a PDF without pypdf installed here
            raise ApiError(415, "unsupported_media_type", str(exc)) from None
        return ExtractOut(text=text, filename=name, format=kind or ("html" if is_html else "text"))

    @app.get("/api/example", tags=["server"], summary="A spun example text (for the web page)", response_model=TextIn)
    async def example() -> TextIn:
        return TextIn(text=demo.SPUN)

    # --- the page and the docs (all assets local: the machines are offline) ---
    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    docs_assets = _docs_assets()
    if docs_assets is not None:
        app.mount("/docs-assets", StaticFiles(directory=docs_assets), name="docs-assets")

    @app.api_route("/docs", methods=["GET", "HEAD"], include_in_schema=False)
    async def docs() -> HTMLResponse:
        if docs_assets is None:
            return HTMLResponse(
                "<!doctype html><title>unspin API</title><p>The interactive docs need the "
                "<code>fastapi-offline</code> package (pip install 'unspin[web]'). The API description "
                "is at <a href='/openapi.json'>/openapi.json</a>.</p>"
            )
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="unspin API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization"],
        )
    app.add_middleware(LimitsMiddleware, max_bytes=config.max_request_bytes)
    return app


def _docs_assets() -> Path | None:
    """Swagger UI's files from the ``fastapi-offline`` package (no CDN), if installed."""
    try:
        spec_files = importlib_resources.files("fastapi_offline")
    except ModuleNotFoundError:
        return None
    path = Path(str(spec_files.joinpath("static")))
    return path if (path / "swagger-ui-bundle.js").exists() else None
