"""The batch's family stage: relations for a finished clustering, written with the run.

The batch keeps only the columns linkage reads in memory; the stated relationship and
the row links (``related_to``, ``relation``, ``relationship``) went straight to the
streamed records file, so they are read back from it here, a few columns only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from linker import columns as C
from linker.csv_out import write_csv
from linker.family.graph import CONTACTS_FILE, write_relations
from linker.family.infer import FamilyRelations, infer_relations
from linker.family.people import FACT_INPUT_COLUMNS, FamilySettings


def run_relations(
    records: pd.DataFrame,
    entities: pd.DataFrame,
    *,
    records_path: Path | None = None,
    settings: FamilySettings | None = None,
    people_details: bool = True,
) -> FamilyRelations:
    """Relations between the entities of a run; columns missing from ``records`` are read
    from ``records_path`` (the run's streamed records.parquet), aligned on record_id."""
    missing = [c for c in FACT_INPUT_COLUMNS if c not in records.columns]
    if missing and records_path is not None:
        extra = pd.read_parquet(records_path, columns=[C.RECORD_ID, *missing])
        extra = extra.set_index(C.RECORD_ID).reindex(records[C.RECORD_ID].to_numpy())
        # A frame of the fact columns alone, sharing the batch's arrays: a copy of the
        # whole records frame (``assign``) cost more than most of the rules.
        present = {c: records[c] for c in FACT_INPUT_COLUMNS if c in records.columns}
        records = pd.DataFrame(present | {c: extra[c].to_numpy() for c in missing}, copy=False)
    return infer_relations(records, entities, settings, people_details=people_details)


def write_family_outputs(
    records: pd.DataFrame,
    entities: pd.DataFrame,
    out_dir: Path,
    *,
    records_path: Path | None = None,
) -> dict[str, int]:
    """relations.csv and shared_contacts.csv into ``out_dir``; returns the counts for
    summary.json (relations per kind, family groups, crowded contacts)."""
    family = run_relations(records, entities, records_path=records_path, people_details=False)
    write_relations(family.relations, out_dir)
    write_csv(family.crowded, out_dir / CONTACTS_FILE)
    return family.counts()
