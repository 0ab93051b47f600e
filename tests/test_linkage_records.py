"""How the linkage holds the standardized records: repeated values as categories, other
text in Arrow, the same from either engine (`linker.reconcile.as_linkage_records`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linker import columns as C
from linker.mapping import load_mapping
from linker.reconcile import REPEATED_VALUE_COLUMNS, as_linkage_records, reconcile
from linker.sampledata import generate_sample
from linker.standardize.records import RECORD_DTYPES
from linker.standardize.text import ARROW_TEXT


def _object_records() -> pd.DataFrame:
    """Records as an engine handing Python strings (the Spark collect) gives them."""
    ints = [c for c, dtype in RECORD_DTYPES.items() if dtype == "int64"]
    frame = pd.DataFrame({c: [0, 1] if c in ints else [None, None] for c in C.RECORD_COLUMNS})
    frame = frame.astype(RECORD_DTYPES)
    frame[C.RECORD_ID] = np.array([0, 1], dtype=np.int64)
    frame[C.SOURCE] = ["cbp", "ice"]
    frame[C.RECORD_KEY] = ["E1", "C1"]
    frame[C.ADDRESS] = ["12 MAIN ST", None]
    frame[C.GIVEN_NAME] = ["ANA", "ANA"]
    return frame


def test_object_text_becomes_arrow_text_and_names_become_categories() -> None:
    records = as_linkage_records(_object_records())
    for column in (C.SOURCE, C.RECORD_KEY, C.ADDRESS, C.PHONE, C.A_NUMBER):
        assert records[column].dtype == ARROW_TEXT, column
    for column in REPEATED_VALUE_COLUMNS:
        assert records[column].dtype == "category", column
    assert records[C.ADDRESS].isna().tolist() == [False, True]
    assert records[C.ADDRESS].iloc[0] == "12 MAIN ST"
    assert records[C.GIVEN_NAME].cat.categories.tolist() == ["ANA"]
    assert records[C.RECORD_ID].dtype == np.int64


def test_records_already_in_arrow_are_kept_as_they_are() -> None:
    once = as_linkage_records(_object_records())
    held = once[C.ADDRESS].array
    twice = as_linkage_records(once)
    assert twice[C.ADDRESS].array is held


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root: Path = tmp_path_factory.mktemp("sample")
    generate_sample(300, 3, root)
    return reconcile(load_mapping(root / "mapping.toml"))


def test_a_batch_keeps_its_text_in_arrow_and_writes_python_strings(small_run) -> None:  # type: ignore[no-untyped-def]
    # The local engine never made a Python string per record for these columns ...
    for column in (C.RECORD_KEY, C.ADDRESS, C.PHONE, C.A_NUMBER, C.PERSON_ID):
        assert small_run.records[column].dtype == ARROW_TEXT, column
    # ... and the entities table hands its readers plain strings, None where missing.
    entities = small_run.entities
    for column in (C.SOURCE, C.RECORD_KEY, "a_number_original"):
        values = entities[column].to_numpy()
        assert values.dtype == object
        assert all(v is None or isinstance(v, str) for v in values), column
    lacking = small_run.records[C.A_NUMBER].isna().to_numpy()
    assert lacking.any() and not lacking.all()
    assert entities["a_number_original"].isna().to_numpy().tolist() == lacking.tolist()
    assert all(v is None for v in entities["a_number_original"].to_numpy()[lacking])
