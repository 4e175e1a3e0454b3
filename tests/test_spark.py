"""unspin.spark: the scan as a Spark job gives the lines ``unspin scan`` writes.

The Spark tests run a local Spark (two cores) and need pyspark and Java; CI installs the
``spark`` extra and sets UNSPIN_REQUIRE_SPARK, so there they fail instead of skipping.
``check_rows`` (what each partition runs) is tested without Spark too.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from unspin.demo import ARTICLE, SPUN
from unspin.detect import Engine
from unspin.inputs import Record
from unspin.scan import check_record
from unspin.spark import COLUMNS, NO_ID, check_rows

DOCS = [("spun", SPUN), ("article", ARTICLE), ("empty", "   "), ("nothing", None), (7, SPUN[:400])]


def _expected(doc_id: str, text: str) -> tuple[Any, ...]:
    line = check_record(Engine(), Record(doc_id, text))
    findings = json.dumps(line["findings"], ensure_ascii=False)
    return doc_id, line["verdict"], line["spun_probability"], findings, False, line.get("reason"), None


def test_check_rows_gives_scan_lines_and_never_fails_on_bad_text() -> None:
    rows = {r[0]: r for r in check_rows(DOCS)}
    assert set(rows) == {"spun", "article", "empty", "nothing", "7"}
    assert rows["spun"] == _expected("spun", SPUN) and rows["spun"][1] == "spun"
    assert rows["article"] == _expected("article", ARTICLE)
    assert rows["7"] == _expected("7", SPUN[:400])  # ids are strings, as in scan's output
    assert rows["empty"][1:5] == ("uncertain", None, "[]", False) and "empty" in rows["empty"][6]
    assert rows["empty"][5] == rows["empty"][6]  # (an "uncertain" verdict always has its reason)
    assert rows["nothing"][1] == "uncertain" and "NoneType" in rows["nothing"][6]
    stopped = {r[0]: r for r in check_rows(DOCS[:2], time_limit=1e-9)}
    assert all(r[1] == "uncertain" and r[2] is None and r[4] is True and "time limit" in r[6] for r in stopped.values())
    assert all(len(r) == len(COLUMNS) for r in rows.values())
    # a row without an id is reported (under none), not checked and not given the id "None"
    (no_id,) = check_rows([(None, SPUN)])
    assert no_id[:5] == (None, "uncertain", None, "[]", False) and no_id[5] == no_id[6] == NO_ID


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    required = bool(os.environ.get("UNSPIN_REQUIRE_SPARK"))
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        if required:
            pytest.fail("UNSPIN_REQUIRE_SPARK is set but pyspark is not installed (pip install -e '.[spark]')")
        pytest.skip("pyspark is not installed (the spark extra)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if required:
            pytest.fail("UNSPIN_REQUIRE_SPARK is set but there is no Java for Spark")
        pytest.skip("Spark needs Java, and there is none here")
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]").appName("unspin-tests")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_scan_dataframe_in_spark_equals_the_scan(spark: Any) -> None:
    from unspin.spark import scan_dataframe

    df = spark.createDataFrame([(str(i), t) for i, t in DOCS], ["doc", "body"]).repartition(2)
    out = scan_dataframe(df, id_col="doc", text_col="body")
    assert tuple(out.columns) == COLUMNS
    rows = {r["id"]: tuple(r) for r in out.collect()}
    assert rows["spun"] == _expected("spun", SPUN)
    assert rows["article"] == _expected("article", ARTICLE)
    assert rows["empty"][1] == "uncertain" and "empty" in rows["empty"][5]
    assert rows["nothing"][1] == "uncertain" and rows["nothing"][5]
    spun = [r["id"] for r in out.filter(out.verdict == "spun").collect()]
    assert "spun" in spun and "article" not in spun
    stopped = scan_dataframe(df, id_col="doc", text_col="body", time_limit=1e-9).filter("timed_out").count()
    assert stopped == 3  # every checkable text (the empty and missing ones are not checked at all)
    with pytest.raises(ValueError, match="no column 'id'"):
        scan_dataframe(df)


def test_check_rows_leaves_the_garbage_collector_alone_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Called directly (a library user's process), check_rows must not retune the process's
    collector; Spark's workers ask it to (scan_dataframe passes tune_gc)."""
    import gc

    import unspin.scan

    monkeypatch.setattr(unspin.scan, "_worker_tuned", False)  # as in a fresh process
    before = gc.get_threshold()
    list(check_rows(DOCS[:1]))
    assert gc.get_threshold() == before and unspin.scan._worker_tuned is False
