"""Writing the batch's large CSV outputs quickly, in exactly the bytes pandas writes.

entities.csv holds a row per record and relations.csv a row per family link: at a
million records pandas' `to_csv` spends about two seconds on each, formatting one Python
object at a time. Here each column becomes its printed text with Arrow compute (text
quoted as Python's csv module quotes it, integers as digits, booleans as pandas spells
them, missing values empty), the columns are joined into lines, and the lines' bytes are
written as they lie in Arrow's buffer. Columns Arrow would print differently from pandas
(floats, dates, mixed Python objects) send the frame to pandas' own writer, so a reader
never sees which one wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linker.standardize.text import is_arrow_text, text_array

# What makes Python's csv module (pandas' QUOTE_MINIMAL, lines ending in "\n") quote a
# field: the delimiter, the quote, the line terminator. A lone "\r" is written as it is.
_NEEDS_QUOTES = r'[,"\n]'
_ROWS_PER_SLICE = 250_000  # keeps each slice's text well inside 32-bit offsets


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """`frame.to_csv(path, index=False)`, through Arrow when that gives the same bytes."""
    columns = _printed_columns(frame)
    if columns is None:
        frame.to_csv(path, index=False)
        return
    with open(path, "wb") as out:
        out.write(",".join(_quoted(str(c)) for c in frame.columns).encode() + b"\n")
        for start in range(0, len(frame), _ROWS_PER_SLICE):
            fields = [c.slice(start, _ROWS_PER_SLICE) for c in columns]
            lines = pc.binary_join_element_wise(*fields, ",")
            lines = pc.binary_join_element_wise(lines, "", "\n")  # each line + "\n" + ""
            _write_text(out, lines)


def _printed_columns(frame: pd.DataFrame) -> list[pa.Array] | None:
    """Each column as the text pandas prints for it, or None if one cannot be."""
    # One column: the csv module quotes an empty field alone on its row ("").
    if frame.shape[1] < 2:
        return None
    printed = []
    for name in frame.columns:
        column = _printed(frame[name])
        if column is None:
            return None
        printed.append(column)
    return printed


def _printed(series: pd.Series) -> pa.Array | None:
    try:
        values = text_array(series) if is_arrow_text(series) else pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None  # mixed Python objects: pandas prints each with str()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    kind = values.type
    if pa.types.is_boolean(kind):
        text = pc.if_else(values, "True", "False")
    elif pa.types.is_integer(kind):
        text = pc.cast(values, pa.string())
    elif pa.types.is_null(kind):
        text = pa.nulls(len(values), pa.string())
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pc.cast(values, pa.string())
        quote = pc.match_substring_regex(text, _NEEDS_QUOTES)
        if pc.any(quote).as_py():
            doubled = pc.replace_substring(text, '"', '""')
            quoted = pc.binary_join_element_wise('"', doubled, '"', "")
            text = pc.if_else(quote, quoted, text)
    else:
        return None  # floats, dates, bytes: pandas' own formatting
    return pc.fill_null(text, "")


def _write_text(out: BinaryIO, lines: pa.Array) -> None:
    """The bytes of a string array with no nulls, as they lie in its data buffer."""
    _, offsets, data = lines.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
    if len(lines):
        out.write(memoryview(data)[int(bounds[0]) : int(bounds[-1])])


def _quoted(text: str) -> str:
    if any(ch in text for ch in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
