"""Starting Spark, and saying clearly why it could not start.

pyspark is an optional extra (`pip install .[spark]`), so it is imported here, lazily,
and nowhere at module level outside this package. The usual reasons a run cannot get a
Spark session are all on the user's machine (no Java, JAVA_HOME pointing nowhere, a
mistyped master URL): each is checked before the JVM is launched, so the error names the
fix instead of a Py4J stack trace, and a failure while launching is caught and mapped too.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from linker.errors import LinkerError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# The forms of master URL Spark accepts (SparkContext.createTaskScheduler).
_MASTER = re.compile(
    r"^(local(\[(\*|\d+)(,\s*\d+)?\])?"
    r"|local-cluster\[\d+,\s*\d+,\s*\d+\]"
    r"|spark://[^/\s]+(,[^/\s]+)*"
    r"|yarn"
    r"|k8s://\S+"
    r"|mesos://\S+)$"
)
MASTER_FORMS = "local[*], local[N], spark://HOST:7077, yarn or k8s://https://HOST:PORT"
# Defaults for a batch: Arrow between the JVM and pandas (mapInPandas, toPandas), and
# no web UI unless asked for. The driver memory only applies when this process starts
# the JVM; in local mode the executors live inside it.
DEFAULT_CONF: dict[str, str] = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "4g",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
}
LOG_LEVEL = "ERROR"  # Spark's WARN lines (a global window, large task binaries) are noise


class SparkEngineError(LinkerError):
    """Spark could not run the batch: not installed, no Java, a bad master URL, a failed job."""


@dataclass(frozen=True)
class SparkSettings:
    """Where the Spark engine runs: the master URL and any extra Spark configuration."""

    master: str = "local[*]"
    conf: Mapping[str, str] = field(default_factory=dict)
    app_name: str = "linker-reconcile"


def check_java() -> None:
    """Raise SparkEngineError naming the fix when Spark would find no Java to launch.

    Spark's launcher uses $JAVA_HOME/bin/java when JAVA_HOME is set, else `java` on PATH.
    """
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if not (java.is_file() and os.access(java, os.X_OK)):
            raise SparkEngineError(
                f"JAVA_HOME is {home!r} but {java} is not an executable: point JAVA_HOME at a "
                "Java 17 or 21 installation (e.g. /usr/lib/jvm/java-17-openjdk-amd64) or "
                "unset it to use the java on PATH; Spark needs Java to run"
            )
        return
    if shutil.which("java") is None:
        raise SparkEngineError(
            "no Java found (JAVA_HOME is not set and there is no java on PATH): install "
            "Java 17 or 21 (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME; "
            "Spark needs Java to run. Or run with --engine local"
        )


def check_master(master: str) -> None:
    if not _MASTER.match(master.strip()):
        raise SparkEngineError(
            f"Spark master URL {master!r} is not one Spark understands: use {MASTER_FORMS} "
            "(--spark-master)"
        )


def _import_pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as e:
        raise SparkEngineError(
            "the Spark engine needs pyspark, which is not installed: pip install '.[spark]' "
            "(or run with --engine local)"
        ) from e
    return pyspark.sql


@contextmanager
def spark_session(settings: SparkSettings) -> Iterator[SparkSession]:
    """A Spark session for one batch, stopped afterwards; errors become SparkEngineError."""
    sql = _import_pyspark()
    check_master(settings.master)
    check_java()
    builder = sql.SparkSession.builder.master(settings.master.strip()).appName(settings.app_name)
    _use_this_python(settings.master)
    conf = DEFAULT_CONF | dict(settings.conf)
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as e:  # Py4J / PySpark errors: no common base class worth naming
        raise SparkEngineError(
            f"Spark could not start with master {settings.master!r}: {_first_line(e)}. "
            f"Check the master URL ({MASTER_FORMS}), that the cluster is reachable, and "
            "that JAVA_HOME points at Java 17 or 21"
        ) from e
    session.sparkContext.setLogLevel(LOG_LEVEL)
    try:
        yield session
    finally:
        session.stop()


def _use_this_python(master: str) -> None:
    """In local mode the Python workers run this interpreter (the project's venv), not
    whatever `python3` is first on PATH; pyspark reads only PYSPARK_PYTHON for that. On a
    cluster the executors' Python is the cluster's: set PYSPARK_PYTHON to an environment
    with linker installed."""
    if master.strip().startswith("local") and not os.environ.get("PYSPARK_PYTHON"):
        os.environ["PYSPARK_PYTHON"] = sys.executable


def to_pandas(frame: DataFrame) -> pd.DataFrame:
    """`DataFrame.toPandas` (Arrow), typed for the callers."""
    return cast(pd.DataFrame, frame.toPandas())


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
