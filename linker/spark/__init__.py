"""The Spark engine: `linker reconcile --engine spark`, the same batch on a cluster.

pyspark is optional (`pip install '.[spark]'`): nothing here imports it until a Spark
run starts, so `import linker` and every other command work without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from linker.spark.session import SparkEngineError, SparkSettings

if TYPE_CHECKING:
    from linker.reconcile import ReconcileResult

__all__ = ["SparkEngineError", "SparkSettings", "reconcile_on_spark"]


def reconcile_on_spark(*args: Any, **kwargs: Any) -> ReconcileResult:
    """See `linker.spark.engine.reconcile_on_spark` (imported on first use)."""
    from linker.spark.engine import reconcile_on_spark as run

    return run(*args, **kwargs)
