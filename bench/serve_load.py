"""Load check of ``unspin serve``: concurrent clients posting ~5 KB articles.

    python bench/serve_load.py                      # 50 clients, 60 s, starts its own server
    python bench/serve_load.py --clients 10 --duration 15
    python bench/serve_load.py --url http://127.0.0.1:8000   # a server already running here

Traffic goes only to this machine (the URL must be a loopback address) and the
run stops by itself after ``--duration`` seconds (at most 600).  Articles are
BBC News texts from ``../shared/data/bbc`` (or ``$UNSPIN_DATA/bbc``), spun by
:mod:`unspin.synth` at 30% so each request is a different text; without the
data, spun variants of the built-in demo article.  Prints throughput, latency
percentiles and errors by kind; ``--json FILE`` also writes them as JSON.
The target is no errors at 50 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import httpx

from unspin import demo
from unspin.synth import spin

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("UNSPIN_DATA", REPO.parent / "shared" / "data"))
MAX_DURATION = 600.0


def articles(count: int, size: int, seed: int) -> tuple[list[str], str]:
    """``count`` spun articles of about ``size`` UTF-8 bytes each, and where they came from."""
    rng = random.Random(seed)
    bbc = sorted((DATA / "bbc").glob("*/*.txt"))
    if bbc:
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in rng.sample(bbc, min(len(bbc), 4 * count))]
        source = f"BBC News articles from {DATA / 'bbc'}, spun at 30%"
    else:
        texts = [demo.ARTICLE]
        source = "the built-in demo article, spun at 30%"
    out: list[str] = []
    pool = iter(texts * (1 + 4 * count // len(texts)))
    for i in range(count):
        parts: list[str] = []
        while len("\n\n".join(parts).encode()) < size:
            parts.append(next(pool).strip())
        text = "\n\n".join(parts).encode()[:size].decode("utf-8", "ignore")
        text = text[: text.rfind(" ")] if " " in text else text  # end on a whole word
        out.append(spin(text, rate=0.3, seed=seed + i).text)
    return out, source


def loopback_only(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise SystemExit(f"serve_load: refusing to send load to {host!r}: only this machine (127.0.0.1, ::1, localhost)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, extra: list[str]) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", "import sys; from unspin.cli import main; sys.exit(main())",
           "serve", "--host", "127.0.0.1", "--port", str(port), *extra]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(url: str, proc: subprocess.Popen[bytes] | None, limit: float = 120.0) -> dict[str, object]:
    deadline = time.monotonic() + limit
    while True:
        try:
            health = httpx.get(f"{url}/api/health", timeout=5).json()
            if health.get("ready"):
                return dict(health)
        except httpx.TransportError:
            pass
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"serve_load: the server exited: {err.strip()}")
        if time.monotonic() > deadline:
            raise SystemExit("serve_load: the server did not become ready in time")
        time.sleep(0.5)


async def client(
    http: httpx.AsyncClient, url: str, texts: list[str], start: int, stop_at: float,
    latencies: list[float], errors: Counter[str], sent: list[int],
) -> None:
    i = start
    while time.monotonic() < stop_at:
        text = texts[i % len(texts)]
        i += 7
        t0 = time.monotonic()
        try:
            r = await http.post(f"{url}/api/check", json={"text": text})
            dt = time.monotonic() - t0
            if r.status_code == 200 and "verdict" in r.json():
                latencies.append(dt)
                sent[0] += len(text.encode())
            else:
                errors[f"HTTP {r.status_code}"] += 1
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] += 1


async def run_load(url: str, texts: list[str], clients: int, duration: float) -> dict[str, object]:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    sent = [0]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=httpx.Timeout(120.0), limits=limits) as http:
        t0 = time.monotonic()
        stop_at = t0 + duration
        await asyncio.gather(*(client(http, url, texts, k, stop_at, latencies, errors, sent) for k in range(clients)))
        elapsed = time.monotonic() - t0
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else float("nan")

    return {
        "clients": clients,
        "duration_s": round(elapsed, 1),
        "requests_ok": len(lat),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "throughput_rps": round(len(lat) / elapsed, 2),
        "throughput_kb_s": round(sent[0] / 1000 / elapsed, 1),
        "latency_s": {
            "mean": round(statistics.fmean(lat), 3) if lat else None,
            "p50": round(pct(50), 3), "p90": round(pct(90), 3), "p99": round(pct(99), 3),
            "max": round(lat[-1], 3) if lat else None,
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Load check of unspin serve (loopback only, bounded in time).")
    parser.add_argument("--url", help="a running server on this machine (default: start one on a free port)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60, at most 600)")
    parser.add_argument("--size", type=int, default=5000, help="article size in bytes (default 5000)")
    parser.add_argument("--articles", type=int, default=200, help="distinct articles (default 200)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for the started server (repeatable), e.g. --server-arg=--workers=1")
    args = parser.parse_args()
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be between 0 and {MAX_DURATION:g} seconds")
    if args.clients < 1:
        parser.error("--clients must be at least 1")

    texts, source = articles(args.articles, args.size, args.seed)
    sizes = [len(t.encode()) for t in texts]
    print(f"{len(texts)} articles of {min(sizes):,}-{max(sizes):,} bytes ({source})", file=sys.stderr)

    proc = None
    url = args.url.rstrip("/") if args.url else None
    if url is None:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = start_server(port, args.server_arg)
    loopback_only(url)
    try:
        health = wait_ready(url, proc)
        print(f"server {url} ready (unspin {health.get('version')}); {args.clients} clients for {args.duration:g} s",
              file=sys.stderr)
        result = asyncio.run(run_load(url, texts, args.clients, args.duration))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    result["article_bytes"] = round(statistics.fmean(sizes))
    result["articles"] = source
    lat = result["latency_s"]
    assert isinstance(lat, dict)
    rows = [
        ("clients", f"{result['clients']}"),
        ("duration", f"{result['duration_s']} s"),
        ("article size", f"{result['article_bytes']:,} bytes"),
        ("requests (ok)", f"{result['requests_ok']:,}"),
        ("errors", f"{result['errors']}" + (f" {result['error_kinds']}" if result["errors"] else "")),
        ("throughput", f"{result['throughput_rps']} requests/s ({result['throughput_kb_s']} kB/s of text)"),
        ("latency p50", f"{lat['p50']} s"),
        ("latency p90", f"{lat['p90']} s"),
        ("latency p99", f"{lat['p99']} s"),
        ("latency max", f"{lat['max']} s"),
    ]
    width = max(len(k) for k, _ in rows)
    print("| measure | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k.ljust(width)} | {v} |")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
