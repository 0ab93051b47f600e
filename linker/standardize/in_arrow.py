"""Chunk columns read in Arrow, and the plain reading they must equal.

Arrow's CSV reader holds a block's cells as Arrow text. Turning every cell into a Python
string (and back into Arrow for records.parquet and RAW) cost more than some normalizers
spent on the values themselves, so the standardize workers keep every column but the
key as Arrow parsed it (`columns_in_arrow`). Identifiers, dates, sex, country, phones
and the stated relationship read Arrow text there; names, addresses, fields of several
columns, cross references and the DOB-estimated flag read Python strings, made where
they are read (`python_values`), as the chunk held them before.

Every fast path over Arrow text must give what the same values give as Python strings
(the reading of a chunk parsed row by row, and of any caller's frame). Two helpers keep
that honest: `arrow_values` declines text with a NUL character, where pandas' hashing of
Python strings merges values ("A" and "A\\x00B" share a code when no value is null) and
that reading stays the reference; `python_values` gives any column as Python strings.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linker.mapping import SourceMapping
from linker.standardize.text import is_arrow_text, text_array

# What Python's str.strip() and str.split() take for whitespace (`str.isspace`).
PYTHON_WHITESPACE: Final = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def columns_in_arrow(source: SourceMapping) -> frozenset[str]:
    """The extract's columns a standardize worker keeps in Arrow: all but the key, which
    is checked (stripped, repeats found) as Python strings."""
    return frozenset(source.columns_used()) - {source.key}


def arrow_values(values: pd.Series) -> pa.Array | None:
    """The values as one Arrow text array when pandas holds them in Arrow and none holds
    a NUL character; else None, and the caller reads `python_values`."""
    if not is_arrow_text(values):
        return None
    text = text_array(values)
    if pc.any(pc.match_substring(text, "\x00")).as_py():
        return None
    return text


def python_values(values: pd.Series) -> pd.Series:
    """The values as Python strings and None (what a chunk read row by row holds), for
    text pandas holds in Arrow; any other column as it is."""
    if not is_arrow_text(values):
        return values
    strings = text_array(values).to_numpy(zero_copy_only=False)
    return pd.Series(strings, index=values.index, dtype=object, name=values.name)


def distinct_text(text: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Codes (-1 for null) into the distinct values, in order of first appearance, as
    `pd.factorize` gives them for the same values as Python strings."""
    encoded = text.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)
    return codes, encoded.dictionary


def per_row(distinct: pa.Array, codes: np.ndarray) -> pa.Array:
    """Results per distinct value taken back to the rows; null where the code is -1."""
    return distinct.take(pa.array(codes, mask=codes < 0))


def python_strip(text: pa.Array) -> pa.Array:
    """`str.strip()` of each value: Python's whitespace, which is not Arrow's."""
    return pc.utf8_trim(text, PYTHON_WHITESPACE)


def python_objects(text: pa.Array) -> np.ndarray:
    """Arrow text as an object array of str, None for null (what the normalizers
    return to pandas callers)."""
    return np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
