"""Row-wise derivations computed once per distinct combination of their inputs.

A million records hold a few tens of thousands of distinct surname pairs: building a key
from the surnames row by row does the same string work dozens of times over and leaves a
million Python strings that every later stage hashes again. Here the derivation runs on
one representative row per distinct combination, and the result comes back as a
categorical, whose integer codes blocking and comparison take as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linker.standardize.text import factorize, sorted_codes


def value_codes(values: pd.Series) -> np.ndarray:
    """int64 codes of a column, -1 for null; a categorical's own codes cost nothing."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(dtype=np.int64)
    codes, _ = factorize(values)
    return codes.astype(np.int64)


def _sorted_codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Codes and categories with the categories sorted, as `astype("category")` sorts
    them, so the codes follow value order, as sorted neighbourhood blocking needs."""
    codes, uniques = factorize(values)
    order = _text_order(uniques)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    if len(rank):
        codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
    return codes, pd.Index(uniques[order], dtype=object)


def _text_order(values: np.ndarray) -> np.ndarray:
    """The order that sorts distinct values: Arrow's sort for text (bytewise UTF-8 is
    code-point order, Python's), ten times faster than numpy comparing Python objects;
    numpy's for anything else (numbers, lone surrogates)."""
    try:
        return pc.sort_indices(pa.array(values, type=pa.string())).to_numpy()
    except (pa.ArrowException, UnicodeError):
        return np.argsort(values, kind="stable")


def _categorical(codes: np.ndarray, categories: pd.Index, index: pd.Index) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=index)


def per_distinct(
    derive: Callable[[pd.DataFrame], pd.Series], inputs: Mapping[str, pd.Series]
) -> pd.Series:
    """`derive(frame of inputs)`, evaluated on the distinct input rows only, for every row.

    `derive` must be row-wise (each output depends on its own input row alone) and gets
    object columns, None or NaN for null. Returns a categorical Series on the inputs'
    index with sorted categories; null wherever `derive` gives null.
    """
    columns = list(inputs.values())
    index = columns[0].index
    combined = np.zeros(len(index), dtype=np.int64)
    for values in columns:
        codes = value_codes(values) + 1  # null is a value of its own here
        combined, _ = pd.factorize(combined * (int(codes.max(initial=0)) + 1) + codes)
        combined = combined.astype(np.int64, copy=False)
    # Any row of a combination stands for all of them.
    representative = np.zeros(int(combined.max(initial=-1)) + 1, dtype=np.int64)
    representative[combined] = np.arange(len(combined))
    distinct = pd.DataFrame(
        {
            name: values.iloc[representative].astype(object).to_numpy()
            for name, values in inputs.items()
        }
    )
    codes, categories = _sorted_codes(np.asarray(derive(distinct), dtype=object))
    return _categorical(codes[combined], categories, index)


def text_categorical(values: pa.Array, index: pd.Index) -> pd.Series:
    """An Arrow text array as `per_distinct` returns a key: a categorical on `index` with
    sorted categories, null where the array is null.

    For a key computed by Arrow on every row (when nearly every value is distinct, as
    phone numbers are, one representative per distinct value saves nothing): Arrow
    hashes and sorts without the GIL and makes a Python string per category only.
    """
    encoded = values.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes, dictionary = sorted_codes(codes, encoded.dictionary)
    categories = dictionary.to_numpy(zero_copy_only=False)
    return _categorical(codes, pd.Index(categories, dtype=object), index)
