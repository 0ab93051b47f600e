"""The Spark engine gives the local engine's answer, and fails with errors that teach.

One small Spark session (local[2], 4 shuffle partitions, no UI) serves the module; the
equivalence test runs both engines on the same sample extracts, with reviewer decisions
that blocking alone would not produce, and compares everything the outputs are made of.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from blocking.pairs import RULE
from linker import columns as C
from linker.cli import main
from linker.decisions import (
    DECIDED_AT,
    DECISION,
    LEFT_KEY,
    LEFT_SOURCE,
    REVIEWER,
    RIGHT_KEY,
    RIGHT_SOURCE,
)
from linker.mapping import load_mapping
from linker.reconcile import ReconcileResult, reconcile
from linker.sampledata import generate_sample
from linker.spark import SparkEngineError, SparkSettings, reconcile_on_spark
from linker.spark.session import spark_session, to_pandas
from linker.spark.standardize import standardize_on_spark
from linker.standardize import run
from linker.standardize.settle import date_orders, settle_readings

pytest.importorskip("pyspark")

TEST_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "1g",
}


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    with spark_session(SparkSettings(master="local[2]", conf=TEST_CONF)) as session:
        yield session


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spark-sample")
    generate_sample(people=300, seed=11, out_dir=out)
    return out / "mapping.toml"


def _decisions(records: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """A `match` between two records blocking never paired, and a `distinct` on a link."""
    keys = records[[C.SOURCE, C.RECORD_KEY]]
    compared = set(zip(pairs[C.RECORD_ID_L], pairs[C.RECORD_ID_R], strict=True))
    far = next((0, j) for j in range(len(records) - 1, 0, -1) if (0, j) not in compared)
    linked = pairs.loc[pairs[C.MATCH_PROBABILITY] > 0.99].iloc[0]
    chosen = [
        (far, "match"),
        ((int(linked[C.RECORD_ID_L]), int(linked[C.RECORD_ID_R])), "distinct"),
    ]
    return pd.DataFrame(
        [
            {
                LEFT_SOURCE: keys.iloc[a][C.SOURCE],
                LEFT_KEY: keys.iloc[a][C.RECORD_KEY],
                RIGHT_SOURCE: keys.iloc[b][C.SOURCE],
                RIGHT_KEY: keys.iloc[b][C.RECORD_KEY],
                DECISION: decision,
                REVIEWER: "tester",
                DECIDED_AT: "2025-01-01T00:00:00+00:00",
            }
            for (a, b), decision in chosen
        ]
    )


def _assert_same_result(local: ReconcileResult, distributed: ReconcileResult) -> None:
    pd.testing.assert_frame_equal(local.records, distributed.records)
    pd.testing.assert_frame_equal(local.pairs, distributed.pairs)
    pd.testing.assert_frame_equal(local.entities, distributed.entities)
    pd.testing.assert_frame_equal(local.review_queue, distributed.review_queue)
    pd.testing.assert_frame_equal(local.rejects, distributed.rejects)
    assert local.model.to_json() == distributed.model.to_json()
    np.testing.assert_array_equal(local.all_weights, distributed.all_weights)
    assert local.counts == distributed.counts
    assert local.warnings == distributed.warnings


# About a minute on an idle 2-core machine (Spark's per-stage overhead, not the data).
@pytest.mark.slow
def test_spark_engine_gives_the_local_entities(spark: object, sample: Path) -> None:
    mapping = load_mapping(sample)
    first = reconcile(mapping)
    decisions = _decisions(first.records, first.pairs)
    local = reconcile(mapping, decisions=decisions)
    distributed = reconcile_on_spark(mapping, decisions=decisions, spark=spark)
    # The decisions were applied: the pair blocking missed was scored, and both bind.
    assert local.counts["pairs_compared"] == first.counts["pairs_compared"] + 1
    assert (local.pairs[RULE] == -1).sum() == 1
    entity = local.entities.set_index([C.SOURCE, C.RECORD_KEY])[C.ENTITY_ID]
    together = [
        entity[(row[LEFT_SOURCE], row[LEFT_KEY])] == entity[(row[RIGHT_SOURCE], row[RIGHT_KEY])]
        for _, row in decisions.iterrows()
    ]
    assert together == [True, False]
    key = [C.SOURCE, C.RECORD_KEY]
    same = local.entities.merge(distributed.entities, on=key, suffixes=("_local", "_spark"))
    assert len(same) == len(local.entities) == len(distributed.entities)
    assert (same[f"{C.ENTITY_ID}_local"] == same[f"{C.ENTITY_ID}_spark"]).all()
    _assert_same_result(local, distributed)
    assert distributed.date_orders == local.date_orders and local.date_orders["hhs"]["dob"]
    assert distributed.sex_codes == local.sex_codes and local.sex_codes["cbp"] == "letters"


def test_spark_reads_undeclared_date_columns_as_the_local_engine(
    spark: object, tmp_path: Path
) -> None:
    # Day-first dates and spreadsheet serial numbers, no format declared, and chunks so
    # small that the last ones cannot tell alone: both engines settle each column first.
    rows = ["K,NAME,DOB,EVENT", "1,ANA LOPEZ,17/02/1964,41000"]
    rows += [f"{i},ANA LOPEZ,05/08/20{i:02d},{41000 + 37 * i}" for i in range(2, 30)]
    (tmp_path / "hhs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "m.toml").write_text(
        '[[sources]]\nname = "hhs"\npath = "hhs.csv"\nkey = "K"\n'
        '  [sources.fields]\n  full_name = "NAME"\n  dob = "DOB"\n  event_date = "EVENT"\n',
        encoding="utf-8",
    )
    mapping = load_mapping(tmp_path / "m.toml")
    distributed = standardize_on_spark(spark, mapping, chunk_rows=4)
    read = to_pandas(distributed.records.select(C.RECORD_KEY, C.DOB, C.EVENT_DATE))
    read = read.sort_values(C.RECORD_KEY, key=lambda k: k.astype(int), ignore_index=True)
    assert read[C.DOB].iloc[1] == "2002-08-05"  # day first, as row 1 shows
    assert read[C.EVENT_DATE].iloc[0] == "2012-04-01"  # serial 41000
    assert read[C.EVENT_DATE].notna().all()
    local = run.iter_standardized(mapping, chunk_rows=4, workers=1)
    records = pd.concat([frame for frame, _ in local], ignore_index=True)
    assert read[C.DOB].tolist() == records[C.DOB].tolist()
    assert read[C.EVENT_DATE].tolist() == records[C.EVENT_DATE].tolist()
    # and the run keeps the order for a lookup of one new record, as the local one does
    assert distributed.date_orders["hhs"]["dob"] is True
    assert distributed.date_orders == date_orders(settle_readings(mapping))


def _reconcile_args(sample: Path, out: Path, master: str) -> list[str]:
    return [
        "reconcile",
        str(sample),
        "--out",
        str(out),
        "--quiet",
        "--engine",
        "spark",
        "--spark-master",
        master,
    ]


def test_bad_master_url_is_a_clear_error_and_writes_nothing(sample: Path, tmp_path: Path) -> None:
    with pytest.raises(SparkEngineError, match=r"master URL 'spork://x'.*local\[\*\]"):
        reconcile_on_spark(load_mapping(sample), spark=SparkSettings(master="spork://x"))
    kept = tmp_path / "run"
    kept.mkdir()
    (kept / "entities.csv").write_text("from an earlier run\n")
    fresh = tmp_path / "fresh"
    for out in (kept, fresh):
        result = CliRunner().invoke(main, _reconcile_args(sample, out, "spork://x"))
        assert result.exit_code == 1, result.output
        assert "--spark-master" in result.output
    assert sorted(p.name for p in kept.iterdir()) == ["entities.csv"]
    assert (kept / "entities.csv").read_text() == "from an earlier run\n"
    assert not fresh.exists()


def _run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import sys; from linker.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.parametrize("java_home", ["/nonexistent/jdk", None])
def test_no_java_is_a_clear_error_and_writes_nothing(
    sample: Path, tmp_path: Path, java_home: str | None
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "PYSPARK_PYTHON")}
    env["PATH"] = str(tmp_path / "no-java-here")  # nothing on PATH, java included
    if java_home is not None:
        env["JAVA_HOME"] = java_home
    out = tmp_path / "run"
    done = _run_cli(_reconcile_args(sample, out, "local[2]"), env)
    assert done.returncode == 1, done.stderr
    expected = "JAVA_HOME is '/nonexistent/jdk'" if java_home else "no Java found"
    assert expected in done.stderr
    assert "Java 17" in done.stderr
    assert not out.exists()


def test_linker_works_without_pyspark(sample: Path, tmp_path: Path) -> None:
    """pyspark is an optional extra: import linker and the local commands never need it."""
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "import linker, linker.spark, linker.reconcile\n"
        "from linker.cli import main\n"
        "sys.exit(main())"
    )
    args = [
        "reconcile",
        str(sample),
        "--out",
        str(tmp_path / "run"),
        "--quiet",
        "--engine",
        "spark",
    ]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "pip install '.[spark]'" in done.stderr
    local = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "standardize",
            str(sample),
            "--out",
            str(tmp_path / "std"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert local.returncode == 0, local.stderr
    assert (tmp_path / "std" / "records.parquet").is_file()
