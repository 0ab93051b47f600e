"""One batch run, extracts to output folder: what `linker reconcile` does and what the
benchmark times.

Both call :func:`run_batch`, so the benchmark's wall time is the command's work from
reading the extracts to the last output file (report, relations.csv, pairs.parquet),
not a narrower slice of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from linker.mapping import load_mapping
from linker.reconcile import (
    OUTPUTS_STAGE,
    Progress,
    ReconcileResult,
    ReconcileSettings,
    reconcile,
    write_outputs,
)
from linker.run_report import build_report


def run_batch(
    mapping_path: Path,
    out_dir: Path,
    *,
    settings: ReconcileSettings | None = None,
    run: Callable[..., ReconcileResult] = reconcile,
    progress: Progress | None = None,
    **run_options: Any,
) -> ReconcileResult:
    """Reconcile the mapping's extracts and write every output of the run into `out_dir`.

    `run` is the engine (`reconcile`, or the Spark one); `run_options` go to it
    (decisions_path, model_path, decisions). The standardized records stream to a
    partial file inside `out_dir` that becomes records.parquet only when every other
    output is written. A failed run leaves `out_dir` as it found it: no partial file,
    and no folder it created.

    The time spent on the report and the output files is added to the result's
    stage_seconds as OUTPUTS_STAGE.
    """
    settings = settings or ReconcileSettings()
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / ".records.parquet.partial"
    result: ReconcileResult | None = None
    try:
        mapping = load_mapping(mapping_path)
        result = run(
            mapping,
            settings=settings,
            progress=progress,
            records_path=partial,
            **run_options,
        )
        started = time.perf_counter()
        if progress is not None:
            progress(OUTPUTS_STAGE, 0, 1)
        html = build_report(result, str(mapping_path), settings.threshold, settings.review_band)
        write_outputs(
            result,
            out_dir,
            report_html=html,
            records_path=partial,
            started=started,
            agencies=mapping.agencies(),
        )
        if progress is not None:
            progress(OUTPUTS_STAGE, 1, 1)
    except BaseException:
        if result is not None and result.family is not None:
            result.family.close()  # its folder sits in out_dir
        partial.unlink(missing_ok=True)
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()
        raise
    finally:
        partial.unlink(missing_ok=True)
    return result
