"""The family stage split in two (records-only facts, then entities) and run in a
process of its own (`linker.family.background`): the same relations, counts and files
as the stage run in the batch's process, errors raised again in the batch, nothing
left behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from family_data import Person, family_unit, frames

from linker import columns as C
from linker.errors import DataContractError
from linker.family.background import (
    FamilyInBackground,
    FamilyStageError,
    read_fact_inputs,
)
from linker.family.graph import CONTACTS_FILE, RELATIONS_FILE
from linker.family.infer import infer_relations
from linker.family.people import FACT_INPUT_COLUMNS, prepare_facts, record_facts
from linker.family.run import write_family_outputs


def _people() -> list[Person]:
    """A family unit, a sponsored child and a shelter: every kind of rule fires."""
    shelter = "100 MAIN ST 78040"
    return [
        *family_unit(),
        Person("E_kid1", "c9", "LUIS", "GARCIA", "PEREZ", "2012-01-01", source="ice"),
        Person("E_uac", "h1", "MARIA", "LOPEZ", "DIAZ", "2010-02-02", source="hhs"),
        Person(
            "E_sponsor",
            "h1s",
            "JOSE",
            "LOPEZ",
            "RUIZ",
            "1980-01-01",
            source="hhs",
            sponsor_of="h1",
            stated="father",
        ),
        *(
            Person(
                f"E_s{i}",
                f"s{i}",
                f"NAME{chr(65 + i)}",
                f"SUR{chr(65 + i)}",
                dob=f"19{70 + i}-01-01",
                address_key=shelter,
                source="ice",
            )
            for i in range(15)
        ),
        Person("E_p1", "p1", "ANA", "TORRES", dob="1990-01-01", phone="+17135550123"),
        Person("E_p2", "p2", "EVA", "SOTO", dob="1991-01-01", phone="+17135550123"),
    ]


def _records_file(tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame, Path]:
    records, entities = frames(_people())
    path = tmp_path / "records.parquet"
    records[list(FACT_INPUT_COLUMNS)].to_parquet(path, index=False)
    return records, entities, path


def test_facts_prepared_before_the_entities_are_the_facts_made_with_them() -> None:
    records, entities = frames(_people())
    whole, ids, a_numbers = record_facts(records, entities)
    prepared = prepare_facts(records)
    assert "entity" not in prepared.columns
    split, split_ids, split_a = record_facts(pd.DataFrame(), entities, prepared)
    pd.testing.assert_frame_equal(split, whole)
    assert split_ids.tolist() == ids.tolist() and split_a.tolist() == a_numbers.tolist()
    # a record without a birth date took its person's: E_kid1's ICE record has one,
    # so the borrowed birth must equal the CBP record's
    kid = split[split[C.RECORD_KEY].isin(["c3", "c9"])]
    assert kid["birth"].nunique() == 1


def test_relations_without_people_details_are_the_same_relations() -> None:
    records, entities = frames(_people())
    full = infer_relations(records, entities)
    lean = infer_relations(records, entities.drop(columns=[C.A_NUMBER]), people_details=False)
    pd.testing.assert_frame_equal(lean.relations, full.relations)
    assert lean.counts() == full.counts()
    assert set(lean.people.columns) == {C.ENTITY_ID, "family_group_id"}
    assert len(lean.relations) > 5  # the scenario is not empty: the comparison means something


def test_a_process_of_its_own_writes_the_same_files_and_counts(tmp_path: Path) -> None:
    records, entities, path = _records_file(tmp_path)
    here = tmp_path / "here"
    here.mkdir()
    expected = write_family_outputs(records, entities, here)

    there = tmp_path / "there"
    there.mkdir()
    with FamilyInBackground(path, records[C.RECORD_ID].to_numpy()) as job:
        job.give_entities(entities)
        counts = job.write_into(there)
    assert counts == expected
    for name in (RELATIONS_FILE, CONTACTS_FILE):
        assert (there / name).read_bytes() == (here / name).read_bytes(), name
    assert counts["crowded_addresses"] == 1 and counts["relations_sponsor_of"] == 1
    # its working folder (beside the records file) is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "records.parquet", "there"]


def test_the_facts_keep_the_batchs_record_order_whatever_the_files(tmp_path: Path) -> None:
    records, _, path = _records_file(tmp_path)
    ids = records[C.RECORD_ID].to_numpy()
    shuffled = pd.read_parquet(path).sample(frac=1.0, random_state=3)
    shuffled.to_parquet(path, index=False)
    read = read_fact_inputs(path, ids, categories=(C.SEX, C.DOB))
    assert read[C.RECORD_ID].tolist() == ids.tolist()
    assert isinstance(read[C.SEX].dtype, pd.CategoricalDtype)
    assert read[C.FULL_NAME].tolist() == records[C.FULL_NAME].tolist()
    with pytest.raises(FamilyStageError, match="lacks 1 of the run's records"):
        read_fact_inputs(path, np.append(ids, ids.max() + 1))


def test_an_error_in_the_process_is_raised_in_the_batch(tmp_path: Path) -> None:
    records, entities, path = _records_file(tmp_path)
    kept = [c for c in FACT_INPUT_COLUMNS if c != C.RELATIONSHIP]
    records[kept].to_parquet(path, index=False)
    with FamilyInBackground(path, records[C.RECORD_ID].to_numpy()) as job:
        job.give_entities(entities)  # the process may be gone already: no error here
        with pytest.raises(DataContractError, match="lacks column.s. relationship"):
            job.write_into(tmp_path)
    assert not list(tmp_path.glob(".family-*"))


def test_entities_that_miss_records_are_the_same_error_as_in_the_batch(tmp_path: Path) -> None:
    records, entities, path = _records_file(tmp_path)
    with FamilyInBackground(path, records[C.RECORD_ID].to_numpy()) as job:
        job.give_entities(entities.iloc[1:])
        with pytest.raises(DataContractError, match="1 records have no entity"):
            job.write_into(tmp_path)


def test_closing_before_the_entities_ends_the_process(tmp_path: Path) -> None:
    records, _, path = _records_file(tmp_path)
    job = FamilyInBackground(path, records[C.RECORD_ID].to_numpy())
    process = job._process
    job.close()
    assert process.poll() is not None  # ended, not left waiting for entities
    assert not list(tmp_path.glob(".family-*"))
