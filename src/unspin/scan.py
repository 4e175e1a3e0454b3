"""Batch detection over files, directories, JSONL and WARC: one JSON line per document.

Reads the same inputs as ``unspin index`` (:mod:`unspin.inputs`), checks each
document and appends ``{"id", "verdict", "spun_probability", "findings"}`` to
a JSONL file, flushed per document.  A rerun with the same output skips the
ids already written, so an interrupted scan resumes where it stopped (a line
cut off by a kill is dropped and redone).  ``jobs > 1`` checks documents in
that many processes; past one machine, :mod:`unspin.spark` runs the same per-document function
(:func:`check_record`) in a Spark job.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import heapq
import json
import logging
import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from .config import Config
from .detect import Engine
from .errors import CheckTimeout, InputError, UnspinError
from .htmlreport import render, safe_file_name
from .inputs import Record, Skip, output_problem, read_inputs, reason_kind
from .lexicon import Lexicon
from .report import Report

WORKER_GB = 0.4  # about what a worker process holds once its resources are loaded and in use
_worker_engine: Engine | None = None
_worker_reports: str | os.PathLike[str] | None = None
_worker_time_limit: float | None = None
_worker_tuned = False
_worker_error: BaseException | None = None  # why this worker could not make its engine


log = logging.getLogger(__name__)
TOP_SPUN = 10  # documents called spun that a summary names, most likely first


@dataclass
class ScanSummary:
    checked: int = 0
    resumed: int = 0
    timed_out: int = 0  # of the checked: stopped at the time limit (their lines say "uncertain")
    verdicts: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    # (spun probability, id, findings) of the documents this run called spun that are likeliest
    # spun, at most TOP_SPUN, as a heap (kept small: a crawl may call a million documents spun)
    spun: list[tuple[float, str, int]] = field(default_factory=list)

    def add(self, line: dict[str, Any]) -> None:
        """Count one output line."""
        self.checked += 1
        self.verdicts[line["verdict"]] += 1
        if line.get("timed_out"):
            self.timed_out += 1
        if line["verdict"] == "spun":
            item = (float(line["spun_probability"]), str(line["id"]), len(line["findings"]))
            (heapq.heappush if len(self.spun) < TOP_SPUN else heapq.heappushpop)(self.spun, item)

    def top_spun(self) -> list[tuple[float, str, int]]:
        """The documents this run called spun, likeliest first (at most :data:`TOP_SPUN`)."""
        return sorted(self.spun, key=lambda t: (-t[0], t[1]))

    def line(self) -> str:
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(self.verdicts.items())) or "none"
        skipped = sum(self.skipped.values())
        reasons = "; ".join(f"{n} {r}" for r, n in self.skipped.most_common())
        return (
            f"{self.checked} checked ({verdicts}"
            + (f"; {self.timed_out} of them stopped at the time limit" if self.timed_out else "")
            + f"), {self.resumed} already done, {skipped} skipped"
            + (f" ({reasons})" if skipped else "")
        )


def report_path(folder: str | os.PathLike[str], doc_id: str) -> Path:
    """Where ``unspin scan --reports`` keeps the HTML page of document ``doc_id``: its id made a file
    name (path separators and other odd characters as ``_``) and a short
    hash of the id, so that ids that read alike never share a page.  The name is at most 114 bytes
    long (100 of them the id's), whatever the id's letters (file systems allow 255 bytes, and a
    Chinese letter takes 3)."""
    safe = safe_file_name(doc_id, 100) or "document"
    return Path(folder) / f"{safe}-{hashlib.sha1(doc_id.encode('utf-8')).hexdigest()[:8]}.html"


def write_report(folder: str | os.PathLike[str], record: Record, report: Report) -> Path:
    """Write the HTML page of ``report`` (:mod:`unspin.htmlreport`) for ``record`` into ``folder``,
    atomically (a killed scan leaves no half page)."""
    path = report_path(folder, record.id)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(render(record.text, report, source=record.id), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def check_record(
    engine: Engine, record: Record, reports: str | os.PathLike[str] | None = None, time_limit: float | None = None,
) -> dict[str, Any]:
    """The output line of one document (and its HTML page in the folder ``reports``, where given).

    A check that runs past ``time_limit`` seconds stops there, and the line says so: verdict
    "uncertain", no probability, no findings, ``"timed_out": true`` and the reason (a rerun
    skips it like any document written; check it on its own, without the limit, to judge it)."""
    try:
        report = engine.check(record.text, deadline=None if time_limit is None else time.monotonic() + time_limit)
    except CheckTimeout:
        return {
            "id": record.id,
            "verdict": "uncertain",
            "spun_probability": None,
            "findings": [],
            "timed_out": True,
            "reason": f"its check ran past the time limit of {time_limit:g} s ({len(record.text):,} characters)",
        }
    if reports is not None:
        write_report(reports, record, report)
    line: dict[str, Any] = {
        "id": record.id,
        "verdict": report.verdict,
        "spun_probability": round(report.spun_probability, 4),
        "findings": [f.to_dict() for f in report.findings],
    }
    if report.reason:  # why it is "uncertain": not English, too short, or a score between the thresholds
        line["reason"] = report.reason
    return line


def check_destinations(output: Path, reports: Path | None, paths: Sequence[str | os.PathLike[str]] = ()) -> None:
    """Refuse, before any work, an output or reports folder that cannot be written, and a reports
    folder that is, or holds, a folder scanned (``paths``): its pages would be read as documents,
    and leaving them out would leave out the documents too."""
    problem = output_problem(output)
    if problem:
        raise InputError(problem)
    if reports is not None and reports.exists() and not reports.is_dir():
        raise InputError(f"{reports}: is a file; --reports needs a folder (it is made where missing)")
    if reports is not None:
        folder = reports.resolve()
        for p in paths:
            scanned = Path(p).resolve()
            if scanned.is_dir() and scanned.is_relative_to(folder):
                raise InputError(f"{reports}: --reports would write into {p}, a folder scanned; give a folder outside it")


# how every line scan writes begins (json.dumps of a dict whose first key is "id"): a last line
# cut off by a kill starts so, where a user's file that merely lacks its last line end does not
_LINE_START = b'{"id": '


def _scan_line_id(raw: bytes) -> str | None:
    """The id of one whole line of a scan's output, or ``None`` where it is not one: a JSON object
    with a string ``"id"`` and a ``"verdict"``, and no ``"text"`` (which a document to scan has)."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or "verdict" not in obj or "text" in obj:
        return None
    return str(obj["id"])


def done_ids(output: Path) -> set[str]:
    """Ids already in ``output``, a scan's output to resume.

    Only its last line may be unfinished: one that a kill cut off (no line end, the start of a
    record as scan writes them) is removed, a whole record without its line end gets one.  Any
    other line that is not a record of a scan (a JSON object with an ``"id"`` and a ``"verdict"``),
    blank lines aside, means the file is not a scan's output (notes, a document feed given as the
    output by mistake): :class:`~unspin.errors.InputError`, and the file is left as it was."""
    if output.is_dir():
        raise InputError(f"{output}: is a directory; give the file to write the results to")
    if not output.exists():
        return set()
    ids: set[str] = set()
    good = 0
    ends = True  # the last whole record ends its line
    with open(output, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                good += len(raw)
                continue
            doc_id = _scan_line_id(raw)
            if doc_id is None:
                if raw.endswith(b"\n") or not raw.startswith(_LINE_START):
                    raise InputError(
                        f"{output}:{number}: not a line of unspin scan's output, so the file is not one to "
                        "resume; give another output file"
                    ) from None
                break  # the last line, cut off
            ids.add(doc_id)
            good += len(raw)
            ends = raw.endswith(b"\n")
    if good < output.stat().st_size:
        with open(output, "r+b") as fh:
            fh.truncate(good)
    if not ends:
        with open(output, "ab") as fh:
            fh.write(b"\n")
    return ids


def scan(
    paths: list[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    config: Config | None = None,
    *,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    tune_gc: bool = False,
    reports: str | os.PathLike[str] | None = None,
    time_limit: float | None = None,
    encoding: str | None = None,
) -> ScanSummary:
    """Check every document under ``paths``, appending one JSON line each to ``output`` (and
    writing its HTML page into the folder ``reports``, where given: :func:`report_path`).

    Worker processes (``jobs > 1``) tune their garbage collector for a long run of checks
    (:func:`tune_gc_for_checks`); with ``tune_gc`` this process does too, after its first
    document (the command line's ``unspin scan`` asks for it: its process is its own).
    With ``time_limit``, a document whose check needs more seconds than that is stopped and
    written as such (:func:`check_record`), so one huge or pathological document does not hold
    up a crawl; the resources are loaded before the first check is timed.  A text file that is not
    UTF-8 and does not say what it is in is read in ``encoding`` where given.

    ``output`` is locked for the run: a second scan into it while this one runs (a command started
    twice) is refused (:class:`~unspin.errors.InputError`) instead of doing all the work again.
    Where ``output`` or ``reports`` lies inside a folder scanned, it is not read as a document."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    valid_time_limit(time_limit)
    config = config or Config()
    out = Path(output)
    check_destinations(out, None if reports is None else Path(reports), paths)
    summary = ScanSummary()
    # a lexicon that cannot be read is an error now, before anything is created (and not in
    # each worker, as a broken pool)
    engine = Engine(config) if jobs == 1 else None
    if engine is None and config.lexicon_path:
        Lexicon.load(config.lexicon_path)
    own = [out, *([] if reports is None else [Path(reports)])]
    seen: set[str] = set()  # the ids written: those of the output so far, then each checked

    def todo() -> Iterator[Record]:
        for item in read_inputs(list(paths), config.max_input_bytes, fallback=encoding, exclude=own):
            if isinstance(item, Skip):
                summary.skipped[reason_kind(item.reason)] += 1
                log.info("skipped %s: %s", item.where, item.reason)
            elif item.id in seen:
                summary.resumed += 1
            else:
                seen.add(item.id)
                yield item

    with open(out, "a", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{out}: another scan is writing to it now; wait for it to finish") from None
        # (read once the file is this scan's alone: another's half-written last line is no cut-off one)
        seen.update(done_ids(out))
        if reports is not None:
            Path(reports).mkdir(parents=True, exist_ok=True)
        if engine is not None:
            engine.prepare()
            results: Iterator[dict[str, Any]] = (check_record(engine, r, reports, time_limit) for r in todo())
            _write(results, fh, summary, progress, tune_gc)
        else:
            with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(config, reports, time_limit)) as pool:
                try:
                    # in batches, so a large crawl is never read into memory at once
                    for batch in _batches(todo(), 32 * jobs):
                        _write(pool.map(_check_in_worker, batch), fh, summary, progress)
                except BrokenProcessPool:
                    raise UnspinError(
                        f"a worker process ended abruptly (killed, or out of memory: each takes about "
                        f"{WORKER_GB} GB); the {summary.checked} documents written to {out} are kept, and "
                        f"the same command goes on from there (with fewer --jobs if memory is short)"
                    ) from None
    return summary


def _write(
    results: Any, fh: Any, summary: ScanSummary, progress: Callable[[int], None] | None, tune_gc: bool = False
) -> None:
    for line in results:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        fh.flush()
        if tune_gc and summary.checked == 0:
            tune_gc_for_checks()  # the first check has loaded every resource
        summary.add(line)
        if progress is not None:
            progress(summary.checked)


def _batches(items: Iterator[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _init_worker(
    config: Config, reports: str | os.PathLike[str] | None = None, time_limit: float | None = None
) -> None:
    global _worker_engine, _worker_reports, _worker_time_limit, _worker_error
    exit_with_parent()
    try:
        _worker_engine = Engine(config)
        _worker_engine.prepare()
    except Exception as exc:  # raised again by the first check, so the scan stops with its message
        _worker_error = exc   # (an initializer that raises only breaks the pool: a traceback per worker)
    _worker_reports = reports
    _worker_time_limit = time_limit


def exit_with_parent() -> None:
    """End this worker process when its parent is gone, however that ended (a parent killed
    outright never gets to stop its workers, and they would wait on for ever, each holding its
    memory and the files it opened)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="unspin-exit-with-parent", daemon=True).start()


def _check_in_worker(record: Record) -> dict[str, Any]:
    if _worker_error is not None:
        raise _worker_error
    assert _worker_engine is not None
    line = check_record(_worker_engine, record, _worker_reports, _worker_time_limit)
    tune_gc_once()
    return line


def valid_time_limit(time_limit: float | None) -> float | None:
    """``time_limit`` (seconds per document, or ``None`` for none), refused unless positive."""
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit:g}")
    return time_limit


def tune_gc_once() -> None:
    """:func:`tune_gc_for_checks` the first time this process calls it: what a worker process that
    does nothing else (scan's, Spark's) calls after each check, the first having loaded every
    resource."""
    global _worker_tuned
    if not _worker_tuned:
        tune_gc_for_checks()
        _worker_tuned = True


GC_THRESHOLDS = (20_000, 20, 20)


def tune_gc_for_checks() -> None:
    """Set this process's garbage collector for a long run of checks: what is loaded now (the
    resources, some hundreds of MB of Python objects) moves out of its sight (``gc.freeze``),
    and it runs less often (:data:`GC_THRESHOLDS`, against 700, 10, 10).  A full collection
    walked the resources in about 0.25 s, several times a minute.  Process-wide, so only for
    processes that do nothing else: ``unspin scan``'s own and its workers.

    Measured on 5 KB BBC articles with a filled candidate store, two runs each, in documents
    per CPU-second over docs 1-40, 41-220 and 221-260: 8.8, 10.2, 9.6 without; 10.8, 11.9,
    11.0 with."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
