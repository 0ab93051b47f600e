"""Reading gamma columns safely, and collapsing pairs into comparison-vector patterns.

Every model entry point takes either a DataFrame or a dict of int8 arrays holding
``gamma_<comparison>`` columns. This module checks them once (present, integral, in
range) so the estimators and the scorer can index lookup tables without surprises.

A batch of millions of pairs holds only a few thousand distinct comparison vectors, so
EM runs over ``pattern_counts`` (one row per distinct vector, with its count) rather
than over pairs: the cost of an iteration no longer depends on the number of pairs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeAlias

import numpy as np
import pandas as pd

from linker.columns import gamma_column
from linker.errors import DataContractError

from .comparison import NULL_GAMMA, Comparison

COUNT: Final = "count"  # number of pairs sharing a comparison vector, in pattern_counts
GAMMA_PREFIX: Final = gamma_column("")

# Below this many possible vectors, patterns are counted with one bincount (no sort).
_BINCOUNT_LIMIT = 1 << 24

Gammas: TypeAlias = pd.DataFrame | Mapping[str, Any]


def gamma_arrays(gammas: Gammas, comparisons: Sequence[Comparison]) -> dict[str, np.ndarray]:
    """Checked int8 gamma array per comparison name (-1 for null, 0..K-1 otherwise).

    Missing values (NaN / pd.NA) are read as null (-1): "no evidence" is what they mean.
    Every problem (missing column, out-of-range gamma) is reported at once.
    """
    problems: list[str] = []
    arrays: dict[str, np.ndarray] = {}
    lengths: set[int] = set()
    for comparison in comparisons:
        column = comparison.gamma_column
        if column not in gammas:
            problems.append(f"missing column {column!r} (comparison {comparison.name!r})")
            continue
        try:
            array = _as_int8(gammas[column])
        except (TypeError, ValueError) as e:
            problems.append(f"column {column!r}: {e}")
            continue
        lengths.add(len(array))
        if len(array):
            low, high = int(array.min()), int(array.max())
            if low < NULL_GAMMA or high > comparison.num_levels - 1:
                problems.append(
                    f"column {column!r} holds gammas {low}..{high}, but comparison "
                    f"{comparison.name!r} allows -1..{comparison.num_levels - 1}; the "
                    "comparison spec and the comparison code disagree on the number of levels"
                )
        arrays[comparison.name] = array
    if len(lengths) > 1:
        problems.append(f"gamma columns have different lengths: {sorted(lengths)}")
    if problems:
        raise DataContractError(_join("gamma columns do not fit the model", problems))
    return arrays


def pattern_counts(gammas: Gammas, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per distinct comparison vector with the number of pairs that share it.

    ``columns`` defaults to every ``gamma_*`` column. Nulls stay -1. The result is sorted
    by the vector so it is deterministic; its ``count`` column is int64.
    """
    if columns is None:
        columns = [c for c in gammas if isinstance(c, str) and c.startswith(GAMMA_PREFIX)]
    if not columns:
        raise DataContractError(
            f"no {GAMMA_PREFIX}* columns to count; pass the comparison-level columns "
            f"(one int8 column {GAMMA_PREFIX}<comparison> per comparison)"
        )
    missing = [c for c in columns if c not in gammas]
    if missing:
        raise DataContractError(f"pattern_counts: missing columns {missing}")
    arrays = []
    for column in columns:
        try:
            arrays.append(_as_int8(gammas[column]))
        except (TypeError, ValueError) as e:
            raise DataContractError(f"column {column!r}: {e}") from e
    if len({len(a) for a in arrays}) > 1:
        raise DataContractError("pattern_counts: gamma columns have different lengths")
    below = [c for c, a in zip(columns, arrays, strict=True) if len(a) and a.min() < NULL_GAMMA]
    if below:
        raise DataContractError(f"pattern_counts: gammas below -1 (null) in columns {below}")
    if len(arrays[0]) == 0:
        empty = {c: np.zeros(0, dtype=np.int8) for c in columns}
        return pd.DataFrame({**empty, COUNT: np.zeros(0, dtype=np.int64)})
    # Mixed-radix code of each vector: digit = gamma + 1, so null (-1) becomes 0.
    radices = [int(a.max()) + 2 for a in arrays]
    total = math.prod(radices)
    if total > np.iinfo(np.int64).max // 2:
        frame = pd.DataFrame(dict(zip(columns, arrays, strict=True)))
        grouped = frame.groupby(list(columns), sort=True).size().rename(COUNT).reset_index()
        return grouped.astype({c: np.int8 for c in columns} | {COUNT: np.int64})
    code = _pattern_codes(arrays, radices)
    if total <= _BINCOUNT_LIMIT:
        tally = np.bincount(code, minlength=total)
        keys = np.flatnonzero(tally)
        counts = tally[keys]
    else:
        # Hashed (tens of thousands of distinct vectors among millions of pairs), then
        # the distinct codes sorted: np.unique would sort every pair.
        index, keys = pd.factorize(code)
        counts = np.bincount(index, minlength=len(keys))
        order = np.argsort(keys)
        keys, counts = keys[order], counts[order]
    decoded: dict[str, np.ndarray] = {}
    rest = keys.astype(np.int64)
    for column, radix in zip(reversed(columns), reversed(radices), strict=True):
        decoded[column] = (rest % radix - 1).astype(np.int8)
        rest = rest // radix
    result = pd.DataFrame({c: decoded[c] for c in columns})
    result[COUNT] = counts.astype(np.int64)
    return result


_CODE_BLOCK = 1 << 18  # rows per block: the block's int64 codes stay in the CPU cache


def _pattern_codes(arrays: list[np.ndarray], radices: list[int]) -> np.ndarray:
    """Mixed-radix code of each row's vector, digit = gamma + 1 (null -1 becomes 0).

    Computed in place, block by block: the code of every row is updated once per column,
    and over ten million rows a fresh array per step (and per step's int64 copy of the
    column) cost seven times as much. The "+ 1" of every digit is one constant, added
    once at the end.
    """
    n = len(arrays[0])
    code = np.empty(n, dtype=np.int64)
    offset = 0
    for radix in radices:
        offset = offset * radix + 1
    for start in range(0, n, _CODE_BLOCK):
        part = code[start : start + _CODE_BLOCK]
        part[:] = 0
        for array, radix in zip(arrays, radices, strict=True):
            part *= radix
            part += array[start : start + _CODE_BLOCK]
        part += offset
    return code


def _as_int8(values: Any) -> np.ndarray:
    """int8 copy-free where possible; NaN / NA -> -1; non-integral values rejected."""
    if isinstance(values, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        series = pd.Series(values, copy=False)
        if series.dtype == np.int8:
            return series.to_numpy()  # a Series is always one-dimensional
        if not (
            pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_float_dtype(series.dtype)
        ):
            raise TypeError(f"must hold integers, got dtype {series.dtype}")
        as_float = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        array = np.asarray(values)
        if array.ndim != 1:
            raise ValueError(f"must be one-dimensional, got shape {array.shape}")
        if array.dtype == np.int8:
            return array
        if array.dtype.kind not in "iuf":
            raise TypeError(f"must hold integers, got dtype {array.dtype}")
        as_float = array.astype(np.float64)
    as_float = np.where(np.isnan(as_float), float(NULL_GAMMA), as_float)
    if np.any(as_float != np.round(as_float)) or np.any((as_float < -128) | (as_float > 127)):
        raise ValueError("must hold whole numbers that fit an int8 (-1 for null, 0..K-1)")
    return as_float.astype(np.int8)


def _join(head: str, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{head}: {problems[0]}"
    return head + ":\n" + "\n".join(f"  - {p}" for p in problems)
