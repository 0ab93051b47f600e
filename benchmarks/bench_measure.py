"""Run one tool in its own process and measure it fairly: wall time and peak memory.

Each linkage tool runs as `python -m benchmarks.<runner> ...` in a fresh interpreter, so
one tool's imports, caches and leftover heap never count against another. Two numbers
come back for memory:

* the child's own peak resident set (``VmHWM`` from ``/proc/self/status``), read by the
  runner at the end of its timed section, the same moment for every tool;
* the largest of the child's ``VmHWM`` as the parent last polled it
  (``/proc/<pid>/status``, every 0.2 s) and the summed resident memory of the child's
  process group at each poll, which covers imports, output writing and any worker
  processes the child starts; it also drives the memory cap. The tables quote the larger
  of the two numbers.

Neither ``RUSAGE_CHILDREN`` nor ``os.wait4``'s ``ru_maxrss`` is used: the first is the
maximum over every child ever reaped (one tool's peak would carry into the next row),
and Linux carries the forking parent's peak into a child's ``ru_maxrss`` across exec, so
a bench holding a million truth rows would inflate every small run.

The parent polls the child so that it can stop a run that exceeds its time limit or its
memory cap and report what happened, rather than hang or be killed by the OOM killer.
Runners write ``result.json`` (see :func:`finish_run`) and ``entities.parquet``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
RESULT_FILE = "result.json"
ENTITIES_FILE = "entities.parquet"
POLL_SECONDS = 0.2

Status = Literal["ok", "failed", "timeout", "memory"]


@dataclass(frozen=True)
class Measurement:
    """What the parent saw of one child run."""

    status: Status
    process_seconds: float  # wall time of the whole child process, imports included
    process_peak_mb: float  # polled: the child's VmHWM, or its process group's summed RSS
    result: dict[str, Any]  # the child's result.json ({} when it did not finish)
    log_path: Path

    @property
    def message(self) -> str:
        if self.status == "ok":
            return ""
        if self.status == "timeout":
            return f"stopped after {self.process_seconds:,.0f} s (time limit)"
        if self.status == "memory":
            return f"stopped at {self.process_peak_mb:,.0f} MB (memory cap)"
        return f"failed (see {self.log_path})"


def run_measured(
    module: str,
    args: Sequence[str],
    out_dir: Path,
    *,
    timeout_s: float,
    max_memory_mb: float,
) -> Measurement:
    """Run `python -m <module> <args> --out-dir out_dir` and measure it.

    The child runs with `out_dir` as its working directory (DuckDB spills there, not into
    the repository) and the repository on PYTHONPATH. Its stdout and stderr go to
    `out_dir/run.log`.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in (RESULT_FILE, ENTITIES_FILE):
        (out_dir / stale).unlink(missing_ok=True)
    log_path = out_dir / "run.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", module, *args, "--out-dir", str(out_dir)]
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        child = subprocess.Popen(
            command,
            cwd=out_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill reaches helpers too
        )
        watched = watch_child(child, started, timeout_s, max_memory_mb)
        status, returncode, peak_mb = watched.status, watched.returncode, watched.peak_mb
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {}
    result_path = out_dir / RESULT_FILE
    if status == "ok":
        if returncode == 0 and result_path.is_file():
            result = json.loads(result_path.read_text(encoding="utf-8"))
        else:
            status = "failed"
    return Measurement(status, seconds, peak_mb, result, log_path)


@dataclass(frozen=True)
class Watched:
    """How a watched child ended."""

    status: Status
    returncode: int
    peak_mb: float  # polled: its VmHWM, or its process group's summed RSS
    cpu_seconds: float  # user + system of the child and the workers it waited for


def watch_child(
    child: subprocess.Popen[bytes], started: float, timeout_s: float, max_memory_mb: float
) -> Watched:
    """Poll until the child (started in a session of its own) exits; kill its process
    group past the time limit or the memory cap."""
    polled_peak = 0.0
    while True:
        pid, wait_status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid == child.pid:
            child.returncode = os.waitstatus_to_exitcode(wait_status)
            return Watched("ok", child.returncode, polled_peak, _cpu(usage))
        polled_peak = max(polled_peak, _hwm_mb(child.pid), _group_rss_mb(child.pid))
        over_time = time.perf_counter() - started > timeout_s
        over_memory = polled_peak > max_memory_mb
        if over_time or over_memory:
            _kill_group(child.pid)
            _, wait_status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(wait_status)
            status: Status = "memory" if over_memory else "timeout"
            return Watched(status, child.returncode, polled_peak, _cpu(usage))
        time.sleep(POLL_SECONDS)


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _hwm_mb(pid: int) -> float:
    """A live child's peak resident set so far (0 once it has exited)."""
    return _status_field_mb(Path(f"/proc/{pid}/status"), "VmHWM")


def _group_rss_mb(group: int) -> float:
    """Resident memory of every live process in a process group, summed.

    The runner's own peak misses its worker processes (standardizing runs one per core);
    the group's sum, polled, counts them.
    """
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii", errors="replace").rpartition(")")[2].split()
        except OSError:
            continue  # exited between the listing and the read
        # After the command name: state, ppid, pgrp, ... ; rss (pages) is field 24 of stat.
        if len(fields) > 21 and int(fields[2]) == group:
            total += int(fields[21]) * _PAGE_BYTES / 2**20
    return total


_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _status_field_mb(path: Path, field: str) -> float:
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB
    return 0.0


# --- the runner's side ---------------------------------------------------------------------
def peak_memory_mb() -> float:
    """This process's peak resident set so far (VmHWM), in MB."""
    return _status_field_mb(Path("/proc/self/status"), "VmHWM")


def finish_run(
    out_dir: Path,
    *,
    tool: str,
    entities: pd.DataFrame,
    seconds: float,
    peak_mb: float,
    records: int,
    pairs_compared: int,
    **extra: Any,
) -> None:
    """Write a runner's outputs: entities (source, record_key, entity_id) and result.json.

    Call it after the timed section, with the peak read at the end of that section.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    entities.to_parquet(out_dir / ENTITIES_FILE, index=False)
    result = {
        "tool": tool,
        "seconds": round(seconds, 3),
        "peak_mb": round(peak_mb, 1),
        "records": int(records),
        "pairs_compared": int(pairs_compared),
        **extra,
    }
    (out_dir / RESULT_FILE).write_text(json.dumps(result, indent=2), encoding="utf-8")


def competitor_main(
    description: str,
    tool: str,
    run: Callable[..., tuple[pd.DataFrame, int]],
    versions: Callable[[], dict[str, str]],
) -> None:
    """The command line of a competitor's runner: read our standardized records, link
    them with `run(records, link_only=...)` -> (clusters, pairs compared), time it, and
    write the result the bench reads."""
    from benchmarks.bench_inputs import entities_of

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("records", type=Path)
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--link-only", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    records = pd.read_parquet(args.records)
    clusters, pairs = run(records, link_only=args.link_only)
    entities = entities_of(records, clusters)
    seconds, peak = time.perf_counter() - started, peak_memory_mb()
    finish_run(
        args.out_dir,
        tool=tool,
        entities=entities,
        seconds=seconds,
        peak_mb=peak,
        records=len(records),
        pairs_compared=pairs,
        **versions(),
    )
