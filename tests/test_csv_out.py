"""write_csv gives exactly the bytes of pandas' to_csv, whichever writer it picks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linker import csv_out
from linker.csv_out import write_csv

text = st.one_of(st.none(), st.text(alphabet=st.sampled_from('ab É,"\n\r;-'), max_size=6))


def _pandas_bytes(frame: pd.DataFrame, tmp: Path) -> bytes:
    frame.to_csv(tmp / "pandas.csv", index=False)
    return (tmp / "pandas.csv").read_bytes()


def _ours(frame: pd.DataFrame, tmp: Path) -> bytes:
    write_csv(frame, tmp / "ours.csv")
    return (tmp / "ours.csv").read_bytes()


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(text, st.one_of(st.none(), st.integers(-(10**12), 10**12)), st.booleans()),
        max_size=8,
    )
)
def test_same_bytes_as_pandas(rows: list[tuple], tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("csv")
    frame = pd.DataFrame(rows, columns=["name", "count", "flag"])
    frame["count"] = frame["count"].astype("Int64")
    assert _ours(frame, tmp) == _pandas_bytes(frame, tmp)


@pytest.mark.parametrize(
    ("frame", "by_arrow"),
    [
        (pd.DataFrame({"a": ["x", None, "y"], "b": [1, 2, 3]}), True),
        (pd.DataFrame({"a": pd.Categorical(["x", "y", "x"]), "b": [True, False, True]}), True),
        (pd.DataFrame({"a": ["x, y", "z"], "b": [1, 2]}), True),  # quoted as csv quotes
        (pd.DataFrame({"a": ['say "hi"', "z\r\n"], "b": [1, 2]}), True),
        (pd.DataFrame({"a": ["x", "z"], "b": [0.1, 1 / 3]}), False),  # floats: pandas' repr
        (pd.DataFrame({"a": ["x", 1], "b": [1, 2]}), False),  # mixed objects
        (pd.DataFrame({"a": ["", "x"]}), False),  # one column: pandas quotes a lone ""
        (pd.DataFrame({"a,b": ["x", "y"], "c": [1, 2]}), True),  # a header needing quotes
        (pd.DataFrame({"a": [None, None], "b": [np.nan, np.nan]}), False),
        (pd.DataFrame({"a": [None, None], "b": [1, 2]}), True),
        (pd.DataFrame({"a": pd.Series(["x,y", None], dtype="string[pyarrow]"), "b": [1, 2]}), True),
        (pd.DataFrame({"a": pd.Series([], dtype=object), "b": pd.Series([], dtype="int64")}), True),
    ],
)
def test_writer_choice_and_bytes(frame: pd.DataFrame, by_arrow: bool, tmp_path: Path) -> None:
    assert (csv_out._printed_columns(frame) is not None) is by_arrow
    assert _ours(frame, tmp_path) == _pandas_bytes(frame, tmp_path)
