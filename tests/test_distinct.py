"""Derivations per distinct input (linker/distinct.py): the same values as row by row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from linker.distinct import per_distinct, text_categorical, value_codes

NAMES = st.sampled_from(["GARCIA", "NUNEZ", "LOPEZ", "DE LA CRUZ", "Ñ", "A\x00B", "A", ""])
CELLS = st.one_of(st.none(), NAMES)


def _joined(frame: pd.DataFrame) -> pd.Series:
    """A row-wise derivation with nulls both in and out."""
    a, b = frame["a"], frame["b"]
    return (a + "|" + b).where(a.notna() & b.notna(), a.where(a.notna(), b))


@settings(max_examples=60)
@given(st.lists(st.tuples(CELLS, CELLS), max_size=40), st.booleans())
def test_per_distinct_equals_the_row_by_row_derivation(
    rows: list[tuple[str | None, str | None]], as_category: bool
) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b"], dtype=object, index=np.arange(len(rows)) * 3)
    inputs = {c: frame[c].astype("category") if as_category else frame[c] for c in frame}
    derived = per_distinct(_joined, inputs)
    # row by row over the values the inputs hold (pandas' categories may merge "A" and
    # "A\x00B": that is the input, not per_distinct's doing)
    expected = _joined(pd.DataFrame({c: inputs[c].astype(object) for c in inputs}))
    assert derived.index.equals(frame.index)
    assert isinstance(derived.dtype, pd.CategoricalDtype)
    assert list(derived.cat.categories) == sorted(set(expected.dropna()))
    assert derived.astype(object).where(derived.notna(), None).tolist() == [
        None if pd.isna(v) else v for v in expected
    ]


@given(st.lists(st.one_of(CELLS, st.just("\ud800")), max_size=40))
def test_categories_are_the_sorted_distinct_values(values: list[str | None]) -> None:
    # Exact where pandas is not: astype("category") takes "A" and "A\x00B" for one value
    # (C-string hashing), and Arrow cannot hold a lone surrogate (numpy sorts then).
    series = pd.Series(values, dtype=object)
    made = per_distinct(lambda frame: frame["a"], {"a": series})
    categories = sorted({v for v in values if v is not None})
    assert list(made.cat.categories) == categories
    assert made.cat.codes.tolist() == [-1 if v is None else categories.index(v) for v in values]


def test_value_codes_keep_null_and_take_a_categoricals_codes() -> None:
    text = pd.Series(["B", None, "A", "B"], dtype=object)
    assert value_codes(text).tolist() == [0, -1, 1, 0]
    assert value_codes(text.astype("category")).tolist() == [1, -1, 0, 1]


def test_an_empty_frame_derives_an_empty_column() -> None:
    empty = pd.Series([], dtype=object)
    derived = per_distinct(_joined, {"a": empty, "b": empty})
    assert len(derived) == 0 and isinstance(derived.dtype, pd.CategoricalDtype)


@settings(max_examples=60)
@given(st.lists(CELLS, max_size=40))
def test_text_categorical_is_the_per_distinct_key(values: list[str | None]) -> None:
    # Arrow's encoding of a whole column gives the categorical per_distinct gives for
    # the identity: the same sorted categories (NUL inside a value kept) and codes.
    index = pd.Index(np.arange(len(values)) * 2)
    column = pd.Series(values, dtype=object, index=index)
    arrow = text_categorical(pa.array(values, type=pa.string()), index)
    expected = per_distinct(lambda frame: frame["v"], {"v": column})
    assert arrow.index.equals(index)
    assert arrow.cat.categories.equals(expected.cat.categories)
    assert arrow.cat.categories.dtype == object
    assert np.array_equal(arrow.cat.codes.to_numpy(), expected.cat.codes.to_numpy())
