"""Detection past one machine: ``unspin scan`` as a Spark job.

unspin does not distribute work itself; a crawl larger than one machine is a Spark
DataFrame of documents, and :func:`scan_dataframe` checks it where Spark runs its
Python workers, giving a DataFrame of the very lines ``unspin scan`` writes (the same
function, :func:`unspin.scan.check_record`, makes them)::

    from pyspark.sql import SparkSession
    from unspin.spark import scan_dataframe

    spark = SparkSession.builder.getOrCreate()
    docs = spark.read.json("crawl/*.jsonl")                  # columns id, text
    lines = scan_dataframe(docs, time_limit=60)
    lines.write.json("results")                              # or filter verdict == 'spun'

Each Python worker loads the resources once (some seconds) and keeps its engine for every
partition it is given (Spark reuses its Python workers by default), so give it partitions
of hundreds of documents or more; unspin must be installed, with the same version and
extras, wherever the workers run (and ``unspin cache --fill`` run on each machine first, as
before any crawl); a learned lexicon (``Config.lexicon_path``) must be readable at that path on
every machine.  Findings are kept as a JSON string (their evidence is nested); a text
that cannot be checked (empty, binary, too large, or a row without an id) gets verdict
``"uncertain"`` with the reason in ``error``, instead of failing the job; ``reason`` says why
any "uncertain" verdict is so, as in scan's lines.  Needs the ``spark`` extra (pyspark).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from .config import Config
from .errors import InputError
from .inputs import Record
from .scan import check_record, tune_gc_once, valid_time_limit

_engines: dict[Config, Any] = {}  # per Python worker: one engine per configuration, kept across partitions

# the columns of the result, in order (findings as a JSON string)
COLUMNS = ("id", "verdict", "spun_probability", "findings", "timed_out", "reason", "error")
NO_ID = "no id to report it under (the id column is null); not checked"


def _schema() -> Any:
    from pyspark.sql.types import BooleanType, DoubleType, StringType, StructField, StructType

    return StructType([
        StructField("id", StringType(), True),  # (null where the row had none: see NO_ID)
        StructField("verdict", StringType(), False),
        StructField("spun_probability", DoubleType(), True),
        StructField("findings", StringType(), False),
        StructField("timed_out", BooleanType(), False),
        StructField("reason", StringType(), True),
        StructField("error", StringType(), True),
    ])


def check_rows(
    rows: Iterable[tuple[Any, Any]], config: Config | None = None, time_limit: float | None = None,
    *, tune_gc: bool = False,
) -> Iterator[tuple[str | None, str, float | None, str, bool, str | None, str | None]]:
    """The result rows (:data:`COLUMNS`) of ``(id, text)`` pairs: what each Spark partition runs.
    Usable without Spark too (it is plain Python).  With ``tune_gc`` (Spark's workers, which do
    nothing else) the process's garbage collector is set for a long run of checks after its first
    check, as ``unspin scan``'s workers do (:func:`unspin.scan.tune_gc_once`)."""
    from .detect import Engine

    config = config or Config()
    engine = _engines.get(config)
    if engine is None:
        engine = Engine(config)
        engine.prepare()  # (the resources load before the first document's time limit starts)
        _engines[config] = engine
    for raw_id, text in rows:
        if raw_id is None:  # (scan skips a record without an id; a row is reported, not dropped)
            yield None, "uncertain", None, "[]", False, NO_ID, NO_ID
            continue
        doc_id = str(raw_id)
        if not isinstance(text, str):
            why = f"no text to check (the text column holds {type(text).__name__})"
            yield doc_id, "uncertain", None, "[]", False, why, why
            continue
        try:
            line = check_record(engine, Record(doc_id, text), None, time_limit)
        except InputError as exc:
            yield doc_id, "uncertain", None, "[]", False, str(exc), str(exc)
            continue
        if tune_gc:
            tune_gc_once()
        timed_out = bool(line.get("timed_out", False))  # (then its reason is the error too)
        reason = line.get("reason")
        yield (doc_id, line["verdict"], line["spun_probability"], json.dumps(line["findings"], ensure_ascii=False),
               timed_out, reason, reason if timed_out else None)


def scan_dataframe(
    df: Any, *, id_col: str = "id", text_col: str = "text", config: Config | None = None,
    time_limit: float | None = None,
) -> Any:
    """Check every row of the Spark DataFrame ``df`` (its ``id_col`` and ``text_col`` columns) and
    return a DataFrame of :data:`COLUMNS`, one row per document, as ``unspin scan`` would write them
    (lazily: nothing runs until an action such as ``write`` or ``collect``)."""
    missing = [c for c in (id_col, text_col) if c not in df.columns]
    if missing:
        raise ValueError(f"the DataFrame has no column {missing[0]!r} (its columns: {', '.join(df.columns)})")
    valid_time_limit(time_limit)
    config = config or Config()
    pairs = df.select(id_col, text_col).rdd.map(tuple)
    rows = pairs.mapPartitions(lambda part: check_rows(part, config, time_limit, tune_gc=True))
    return df.sparkSession.createDataFrame(rows, _schema())
