"""The name rules over many texts at once: one array per field instead of one tuple per
text, so the caller indexes fields per row with numpy.

Each `*_columns` function gives, for a list of texts (None for absent), what the
`name_rules` parser of one text gives for each, field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from linker.standardize.name_rules import (
    NO_FAMILY,
    NO_GIVEN,
    NO_MIDDLE,
    NO_SPLIT,
    family_fields,
    given_fields,
    middle_fields,
    split_full,
    whole_in_family,
    whole_in_given,
)

Fields = tuple[np.ndarray, ...]
ParseMany = Callable[[Sequence[str | None]], Fields]


def _as_columns(rows: Sequence[tuple[Any, ...]], width: int) -> Fields:
    columns = []
    for k in range(width):
        column = np.empty(len(rows), dtype=object)
        column[:] = [row[k] for row in rows]
        columns.append(column)
    return tuple(columns)


def each(parse_one: Callable[[str], tuple[Any, ...]], absent: tuple[Any, ...]) -> ParseMany:
    """`parse_one` applied to each text (`absent` for None), as field columns."""

    def parse(texts: Sequence[str | None]) -> Fields:
        rows = [absent if text is None else parse_one(text) for text in texts]
        return _as_columns(rows, len(absent))

    return parse


given_columns = each(given_fields, NO_GIVEN)
middle_columns = each(middle_fields, NO_MIDDLE)
family_columns = each(family_fields, NO_FAMILY)
full_columns = each(split_full, NO_SPLIT)
whole_in_given_columns = each(whole_in_given, NO_SPLIT)
whole_in_family_columns = each(whole_in_family, NO_SPLIT)
