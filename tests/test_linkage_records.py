"""How the linkage holds the standardized records: repeated values as categories, other
text in Arrow, the same from either engine (`linker.reconcile.as_linkage_records`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linker import columns as C
from linker.mapping import load_mapping
from linker.reconcile import REPEATED_VALUE_COLUMNS, as_linkage_records, reconcile, write_pairs
from linker.rules import CONTRADICTION
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


@pytest.mark.parametrize(
    ("rows", "rule_as_text"), [(None, False), (None, True), (0, False)], ids=["all", "text", "none"]
)
def test_pairs_parquet_reads_back_as_pandas_wrote_it(  # type: ignore[no-untyped-def]
    small_run, tmp_path: Path, rows: int | None, rule_as_text: bool
) -> None:
    """pairs.parquet is made by Arrow, yet a reader finds what pandas' `to_parquet` of
    Python strings wrote: the same schema, pandas metadata and frame (the local engine's
    rule is a categorical, the Spark engine's text; a run may have no pairs at all)."""
    pairs = small_run.pairs if rows is None else small_run.pairs.head(rows)
    if rule_as_text:
        pairs = pairs.assign(**{CONTRADICTION: pairs[CONTRADICTION].astype(object)})
    records = small_run.records
    assert isinstance(small_run.pairs[CONTRADICTION].dtype, pd.CategoricalDtype)
    assert (small_run.pairs[CONTRADICTION] != "").any()
    write_pairs(pairs, records, tmp_path / "arrow.parquet")
    left, right = pairs[C.RECORD_ID_L].to_numpy(), pairs[C.RECORD_ID_R].to_numpy()
    source = records[C.SOURCE].to_numpy(dtype=object)
    key = records[C.RECORD_KEY].to_numpy(dtype=object)
    pairs.assign(
        **{CONTRADICTION: pairs[CONTRADICTION].to_numpy(dtype=object)},
        left_source=source[left],
        left_record_key=key[left],
        right_source=source[right],
        right_record_key=key[right],
    ).to_parquet(tmp_path / "pandas.parquet", index=False)
    written = pq.read_schema(tmp_path / "arrow.parquet")
    if len(pairs):
        assert written.equals(pq.read_schema(tmp_path / "pandas.parquet"), check_metadata=True)
    else:  # pandas types text it has no value of as null; it is text all the same
        for name in (CONTRADICTION, "left_source", "right_record_key"):
            assert written.field(name).type == pa.string()
    back = pd.read_parquet(tmp_path / "arrow.parquet")
    pd.testing.assert_frame_equal(back, pd.read_parquet(tmp_path / "pandas.parquet"))
    assert len(back) == len(pairs)
