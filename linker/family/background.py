"""The batch's family stage in a process of its own, begun while clustering runs.

At a million records the family stage is six CPU-seconds of pandas work that holds the
GIL. Run after clustering in the batch's process it was the last stage, with one core
idle all through it and all through clustering (single-threaded too). Its larger part,
`prepare_facts`, reads only the records, so a second process can make it while the
batch clusters, receive the entities the moment they exist, and infer and write the
relations while the batch builds the review queue, the report and the other tables.
The outputs are the same files the in-process stage writes (`linker.family.run`).

The process is a fresh interpreter running this module (``python -m``), not a
multiprocessing child: a fork would share the batch's gigabytes copy-on-write and show
them again as its own resident set, and spawn or forkserver re-run the caller's main
script, which a script without a ``__main__`` guard does not survive. It reads the
fact columns from the run's streamed records file, holds text in Arrow as the batch
does, and answers with the family counts; an error in it is raised again in the batch,
by the same exception where it can travel.

Protocol: the batch writes the record order into the process's folder (beside the
records file, so a rename moves the outputs) and sends the job (records file,
categories, settings, folder) over a socket pair; once clustering has the entities it
writes them (record_id, entity_id) as an Arrow IPC file there and says so. The process
writes relations.csv and shared_contacts.csv into the folder's ``out`` and sends
``("ok", (counts, peak MB))`` or ``("error", exception)``. A batch that fails or is
interrupted closes its end; the process sees the socket close and exits.
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linker import columns as C
from linker.csv_out import write_csv
from linker.errors import DataContractError, LinkerError
from linker.family.graph import CONTACTS_FILE, write_relations
from linker.family.infer import infer_relations
from linker.family.people import FACT_INPUT_COLUMNS, FamilySettings, prepare_facts
from linker.standardize.text import ARROW_TEXT

_log = logging.getLogger(__name__)

# What the process needs of the entities: the relations and the counts do not read
# A-numbers, so clustering's own table is enough, handed over before A-number recovery.
HANDED_OVER: Final = (C.RECORD_ID, C.ENTITY_ID)
_JOIN_SECONDS: Final = 10.0
# In the process's folder: the inputs the batch leaves, and the folder of its outputs.
_RECORD_IDS: Final = "record_ids.npy"
_ENTITIES: Final = "entities.arrow"
_OUT: Final = "out"
_IN_ARROW: Final = {pa.string(): ARROW_TEXT, pa.large_string(): ARROW_TEXT}


class FamilyStageError(LinkerError):
    """The family process failed in a way that has no exception of its own to show."""


class FamilyInBackground:
    """One run's family stage in another process: start it with the records file,
    `give_entities` once clustering has them, `write_into` the output folder, `close`
    always (a `with` block does)."""

    def __init__(
        self,
        records_path: Path,
        record_ids: np.ndarray,
        *,
        categories: Sequence[str] = (),
        settings: FamilySettings | None = None,
    ) -> None:
        """Start the process. `record_ids` is the batch's record order (the facts keep
        it); `categories` the columns the batch holds as categories, read as such.

        Nothing here or in `give_entities` waits for the process: the record order and
        the entities go through files in its folder, the socket carries only short
        messages (a socket's buffer would hold the batch until the process, still
        importing pandas, read megabytes)."""
        self._folder = Path(tempfile.mkdtemp(prefix=".family-", dir=records_path.parent))
        self._answered = False
        self.peak_mb: int | None = None  # the process's peak resident memory, once answered
        try:
            np.save(self._folder / _RECORD_IDS, np.asarray(record_ids, dtype=np.int64))
            (self._folder / _OUT).mkdir()
            ours, theirs = socket.socketpair()
            try:
                # Where this linker is imported from goes first on the child's path, so
                # a source checkout runs its own code.
                root = str(Path(__file__).resolve().parents[2])
                path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
                self._process = subprocess.Popen(
                    [sys.executable, "-m", __name__, str(theirs.fileno())],
                    pass_fds=(theirs.fileno(),),
                    env=os.environ | {"PYTHONPATH": path},
                )
            except BaseException:
                ours.close()
                raise
            finally:
                theirs.close()  # the process holds its own copy: EOF reaches us if it dies
        except BaseException:
            shutil.rmtree(self._folder, ignore_errors=True)
            raise
        self._conn = Connection(ours.detach())
        self._send((str(records_path), tuple(categories), settings, str(self._folder)))

    def give_entities(self, entities: pd.DataFrame) -> None:
        """Hand over each record's entity (the columns of `HANDED_OVER`)."""
        table = pa.Table.from_pandas(entities[list(HANDED_OVER)], preserve_index=False)
        with pa.OSFile(str(self._folder / _ENTITIES), "wb") as sink:
            with pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
        self._send(_ENTITIES)

    def write_into(self, out_dir: Path) -> dict[str, int]:
        """Wait for the relations, move relations.csv and shared_contacts.csv into
        `out_dir`, and return the family counts for summary.json."""
        try:
            kind, payload = self._conn.recv()
            self._answered = True
        except (EOFError, OSError):
            try:
                code = self._process.wait(_JOIN_SECONDS)
            except subprocess.TimeoutExpired:
                code = None
            raise FamilyStageError(
                f"the family process ended without an answer (exit code {code}); run "
                f"again, or with --workers 1 to keep the family stage in the batch's own "
                f"process"
            ) from None
        if kind == "error":
            raise payload
        counts, peak_mb = payload
        self.peak_mb = round(peak_mb)
        _log.info("family stage: its process peaked at %.0f MB", peak_mb)
        for item in (self._folder / _OUT).iterdir():
            os.replace(item, out_dir / item.name)
        return dict(counts)

    def close(self) -> None:
        """End the process (at once if it is still working) and remove its folder."""
        self._conn.close()
        if not self._answered:
            self._process.kill()  # still working for a batch that gave up
        try:
            self._process.wait(_JOIN_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> FamilyInBackground:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _send(self, message: object) -> None:
        try:
            self._conn.send(message)
        except OSError:
            pass  # the process has ended (an error may wait to be read): `write_into` says


def read_fact_inputs(
    records_path: Path, record_ids: np.ndarray, categories: Sequence[str] = ()
) -> pd.DataFrame:
    """The fact columns of a run's records file in the batch's record order: the
    `categories` as categories, other text in Arrow (`ARROW_TEXT`), as the batch
    holds them."""
    present = set(pq.read_schema(records_path).names)
    missing = [c for c in FACT_INPUT_COLUMNS if c not in present]
    if missing:
        raise DataContractError(
            f"{records_path.name} lacks column(s) {', '.join(missing)} needed for the family graph"
        )
    dictionary = [c for c in FACT_INPUT_COLUMNS if c in set(categories)]
    table = pq.read_table(
        records_path, columns=list(FACT_INPUT_COLUMNS), read_dictionary=dictionary
    )
    frame = table.to_pandas(types_mapper=_IN_ARROW.get)
    ids = frame[C.RECORD_ID].to_numpy(np.int64)
    if not np.array_equal(ids, record_ids):
        position = pd.Index(ids).get_indexer(record_ids)
        if (position < 0).any():
            raise FamilyStageError(
                f"the records file {records_path.name} lacks "
                f"{int((position < 0).sum()):,} of the run's records"
            )
        frame = frame.take(position).reset_index(drop=True)
    return frame


def _serve(conn: Connection) -> None:
    """The process: facts from the records, then the relations once entities come."""
    try:
        records_path, categories, settings, folder_name = conn.recv()
        folder = Path(folder_name)
        record_ids = np.load(folder / _RECORD_IDS)
        records = read_fact_inputs(Path(records_path), record_ids, categories)
        prepared = prepare_facts(records)
        # The records' Arrow buffers back to the system: a fifth of the process's peak,
        # counted with the batch's own.
        del records, record_ids
        pa.default_memory_pool().release_unused()
        conn.recv()  # the entities are written
        with pa.memory_map(str(folder / _ENTITIES)) as source:
            entities = pa.ipc.open_file(source).read_all().to_pandas(types_mapper=_IN_ARROW.get)
        family = infer_relations(
            pd.DataFrame(), entities, settings, prepared=prepared, people_details=False
        )
        write_relations(family.relations, folder / _OUT)
        write_csv(family.crowded, folder / _OUT / CONTACTS_FILE)
        conn.send(("ok", (family.counts(), _own_peak_mb())))
    except (EOFError, BrokenPipeError):
        return  # the batch gave up or ended: nobody is waiting
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the batch
        _send_error(conn, error)
    finally:
        conn.close()


def _own_peak_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which starts afresh at exec.
    (`ru_maxrss` would carry the batch's peak at the fork that started the process.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _send_error(conn: Connection, error: BaseException) -> None:
    """The exception itself where it pickles, else a FamilyStageError naming its type
    (messages are the linker's own: counts and column names, never record values)."""
    payload: Any = error
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - any exception that cannot travel is replaced
        payload = FamilyStageError(f"the family stage failed: {type(error).__name__}: {error}")
    try:
        conn.send(("error", payload))
    except (EOFError, BrokenPipeError, OSError):
        pass


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
