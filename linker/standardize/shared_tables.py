"""Data handed between this process and its workers through RAM-backed files.

A worker's chunk of standardized records is tens of megabytes (the raw rows as JSON are
half of it). Pickled into the process pool's pipe, it crosses in pipe-buffer-sized
writes that the kernel copies on both sides: measured on a million records, about 4 CPU
seconds of system time, a tenth of the whole standardize stage. Written as an Arrow IPC
file into a directory on tmpfs (`/dev/shm`) and read back here, the same tables cost
under a second.

As `torch.multiprocessing` does for tensors, the move happens when a result is pickled:
a worker's result carries the directory (`pipeline.Standardized.spill`), its pickling
writes the records to a file there and sends only the path, and unpickling here reads
the file into memory and deletes it. Where no RAM-backed directory has room, or writing
fails, the table goes through the pipe as before; the records are the same either way.
The blocks of CSV bytes the workers parse go out the same way (`write_spilled_bytes`).

The files hold personal data (the raw rows), so they live in a directory only this user
can open (mode 0700), each is deleted as soon as it is read, and the directory goes at
the end of the stage. A run killed outright cannot clean up; a later run removes what a
dead process left (the directory is named after the process that made it) once nothing
has been written there for `ORPHAN_AFTER_SECONDS`: a process id from another container
sharing the mount is not one this process can see alive.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

# Where tmpfs is usually mounted on Linux; anything else would be a disk write.
RAM_DIRECTORY = Path("/dev/shm")
# Free room the directory must have: a few chunks are in flight at once, and a shared
# memory mount sized for a container's defaults (64 MiB) would only fill up.
MIN_FREE_BYTES = 1 << 30
ORPHAN_AFTER_SECONDS = 600
_PREFIX = "linker-"


@contextlib.contextmanager
def spill_directory(base: Path = RAM_DIRECTORY) -> Iterator[Path | None]:
    """A private directory on tmpfs for the duration of the block, or None when there is
    no such mount with room. Whatever a cancelled task left in it is removed at the end."""
    try:
        _remove_orphans(base)
        usable = base.is_dir() and shutil.disk_usage(base).free >= MIN_FREE_BYTES
        prefix = f"{_PREFIX}{os.getpid()}-"
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=base)) if usable else None
    except OSError:
        path = None
    try:
        yield path
    finally:
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)


def _remove_orphans(base: Path) -> None:
    """Remove the spill directories of processes that no longer run (killed mid-run)."""
    if not base.is_dir():
        return
    idle_since = time.time() - ORPHAN_AFTER_SECONDS
    for path in base.glob(f"{_PREFIX}*-*"):
        pid = path.name.removeprefix(_PREFIX).split("-", 1)[0]
        if not pid.isdigit() or not path.is_dir():
            continue
        state = path.stat()
        if state.st_uid != os.getuid() or state.st_mtime > idle_since:
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # alive under another user, or not ours to signal
            continue


def write_spilled(table: pa.Table, directory: Path) -> Path | None:
    """The table as an Arrow IPC file in `directory`, or None if it could not be written
    (the directory is gone or full: the caller sends the table itself)."""

    def write(name: str) -> None:
        with pa.OSFile(name, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)

    return _written(write, ".arrow", directory)


def write_spilled_bytes(data: bytes, directory: Path) -> Path | None:
    """`data` as a file in `directory`, or None if it could not be written."""

    def write(name: str) -> None:
        with open(name, "wb") as sink:
            sink.write(data)

    return _written(write, ".bytes", directory)


def _written(write: Callable[[str], None], suffix: str, directory: Path) -> Path | None:
    try:
        handle, name = tempfile.mkstemp(suffix=suffix, dir=directory)
    except OSError:
        return None
    os.close(handle)
    try:
        write(name)
    except (OSError, pa.ArrowException):
        with contextlib.suppress(OSError):
            os.unlink(name)
        return None
    return Path(name)


def read_spilled(path: Path) -> pa.Table:
    """The table written by `write_spilled`, read into this process's memory (no mapping
    of the file is kept), and the file deleted."""
    try:
        with pa.OSFile(str(path), "rb") as source:
            return pa.ipc.open_file(source).read_all()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def read_spilled_bytes(path: Path) -> bytes:
    """The bytes written by `write_spilled_bytes`, and the file deleted."""
    try:
        return path.read_bytes()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
