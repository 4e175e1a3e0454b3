"""``unspin serve``: the web page and HTTP API (needs the ``web`` extra)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from dataclasses import replace

from ..config import Config
from ..scan import WORKER_GB
from ..web import MAX_QUEUE, THREAD_WORKERS
from . import (
    EPILOG,
    CommandError,
    add_lexicon,
    add_moby,
    add_spun_threshold,
    config_from,
    hint_fill,
    non_negative_int,
    positive_int,
    valid_time_limit,
)

TOKEN_ENV = "UNSPIN_TOKEN"
MAX_DEFAULT_PROCESSES = 4  # each worker process holds its own resources (scan.WORKER_GB)
DEFAULT_PROCESSES = min(os.cpu_count() or 1, MAX_DEFAULT_PROCESSES)
WEB_PACKAGES = ("fastapi", "uvicorn", "multipart")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the web page and HTTP API",
        description=(
            "Serve the web page (/) and the HTTP API (/api/..., described at /docs) on this machine. "
            "Adding documents through POST /api/index is enabled only with a token, read from "
            f"--token-file or the {TOKEN_ENV} environment variable."
        ),
        epilog=EPILOG,
    )
    p.add_argument("--db", metavar="INDEX", help="corpus index to trace against (enables /api/trace)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.add_argument("--token-file", metavar="FILE",
                   help=f"file holding the token that enables POST /api/index (or set {TOKEN_ENV})")
    p.add_argument("--max-request-bytes", type=positive_int, metavar="N",
                   help=f"answer 413 to request bodies over N bytes (default {Config.max_request_bytes})")
    p.add_argument("--time-limit", "--timeout", dest="timeout", type=float, metavar="SECONDS",
                   help=f"per-request limit on seconds of work (default {Config.request_timeout_s:g})")
    p.add_argument("--workers", type=positive_int, default=THREAD_WORKERS, metavar="N",
                   help=f"with --processes 0: detection jobs run at once in threads; others queue (default: {THREAD_WORKERS})")
    p.add_argument("--processes", type=non_negative_int, default=DEFAULT_PROCESSES, metavar="N",
                   help="check in N worker processes, one core each (each loads its own resources, "
                        f"about {WORKER_GB} GB); 0: in --workers threads of one process, which share one core "
                        f"(default: this machine's cores, at most {MAX_DEFAULT_PROCESSES}: {DEFAULT_PROCESSES})")
    p.add_argument("--max-queue", type=non_negative_int, default=MAX_QUEUE, metavar="N",
                   help=f"requests that may wait for a worker; more get 503 at once (default: {MAX_QUEUE})")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="allow pages from ORIGIN (e.g. https://example.org) to call the API; repeatable; none by default")
    add_lexicon(p)
    add_moby(p)
    add_spun_threshold(p)
    p.set_defaults(func=run)


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as fh:
                token = fh.read().strip()
        except OSError as exc:
            raise CommandError(f"{args.token_file}: cannot read the token file ({exc.strerror})") from None
        if not token:
            raise CommandError(f"{args.token_file}: the token file is empty")
        return token
    return os.environ.get(TOKEN_ENV, "").strip() or None


def _can_listen(host: str, port: int) -> None:
    """Bind ``host:port`` for a moment, before the resources load for a minute: a port in use or
    a host that is not this machine's is a one-line error now, not the server's exit code 3 later."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CommandError(f"--host {host}: not a name or address this machine has ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    missing = [m for m in WEB_PACKAGES if importlib.util.find_spec(m) is None]
    if missing:
        raise CommandError("unspin serve needs the web extra; run: pip install 'unspin[web]'")
    if not 0 < args.port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, got {args.port}")
    changes: dict[str, object] = {}
    if args.max_request_bytes is not None:
        changes["max_request_bytes"] = args.max_request_bytes
    if args.timeout is not None:
        changes["request_timeout_s"] = valid_time_limit(args.timeout)
    config = replace(config_from(args), **changes)  # type: ignore[arg-type]
    token = _token(args)
    if token is not None and len(token) < 8:
        raise CommandError("the token must be at least 8 characters long")
    if args.db and not os.path.exists(args.db) and token is None:
        raise CommandError(f"{args.db}: no such index; build one with unspin index, "
                           "or give a token to start an empty one and fill it through POST /api/index")
    _can_listen(args.host, args.port)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"unspin: note: listening on {args.host}, reachable from other machines", file=sys.stderr)

    import uvicorn

    from ..web.app import create_app

    try:
        app = create_app(config, db=args.db, token=token, cors_origins=args.cors_origin, workers=args.workers,
                         max_queue=args.max_queue, processes=args.processes)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    hint_fill(config)
    print(f"unspin: loading resources, then serving on http://{_url_host(args.host)}:{args.port}/ "
          "(Ctrl+C stops)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info" if args.verbose else "warning",
                server_header=False, timeout_graceful_shutdown=5)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
