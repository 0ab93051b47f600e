"""How an extract writes what its mapping leaves undeclared, settled once per extract
before any chunk is standardized: the order of day and month in each date column without
a format, whether it holds spreadsheet serial numbers, and the codes of a sex column
(M/F, ISO/IEC 5218 digits, or Spanish H/M, where "M" is mujer).

A declared strftime format says whether 05/08/2010 is 8 May or 5 August. Without one,
the column's own values say it: an HHS extract written the Latin American way holds
17/02/1964, which can only be day first. Were each chunk to decide alone, the last few
rows of a file (none of them past the 12th) could read the other way from the rest of
it, so the order is read from the extract's first rows and every chunk is given it
(`FieldSpec.day_first`). A sex column is settled the same way (`FieldSpec.sex_codes`):
one chunk of an H/M column holding only "M" could not tell male from mujer.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Final

import pandas as pd

from linker.ingest import iter_chunks
from linker.mapping import DATE_FIELDS, FieldSpec, Mapping, SourceMapping
from linker.standardize.dates import column_day_first, column_serial
from linker.standardize.demographics import column_sex_codes
from linker.standardize.records import column_values

# Rows read to settle the order: a day past the 12th turns up in about 60% of dates,
# so a few thousand rows leave no doubt and the cost stays a fraction of a chunk.
SAMPLE_ROWS: Final = 20_000
# Rows read when only a sex column is open: both sexes turn up within a few rows, and
# reading 20,000 rows of every extract cost 0.2 s at a million records.
SEX_SAMPLE_ROWS: Final = 2_000


def settle_readings(mapping: Mapping, *, sample_rows: int = SAMPLE_ROWS) -> Mapping:
    """The mapping with `day_first` and `serial` set on every date field that has no
    format, and `sex_codes` on every sex field that declares none."""
    return dataclasses.replace(
        mapping, sources=tuple(_settled(s, sample_rows) for s in mapping.sources)
    )


def date_orders(mapping: Mapping) -> dict[str, dict[str, bool]]:
    """Per source, whether each date field of its primary person reads day first:
    declared by the field's format ("%d/%m/%Y"), or settled from its values (call on a
    settled mapping). A field with no telling (no format, or a format without both a
    numeric day and month) is left out.

    Kept with a run so that one new record said to come from a source (the service's
    lookup) reads "05/06/2015" as that source's extract does.
    """
    orders: dict[str, dict[str, bool]] = {}
    for source in mapping.sources:
        fields = {f.name: _reads_day_first(f) for f in source.fields if f.name in DATE_FIELDS}
        known = {name: order for name, order in fields.items() if order is not None}
        if known:
            orders[source.name] = known
    return orders


def sex_codes(mapping: Mapping) -> dict[str, str]:
    """Per source, the codes its sex column is read in (call on a settled mapping).

    Kept with a run beside `date_orders`, so that one new record said to come from a
    source whose extract writes H/M reads "M" as mujer, as that extract did.
    """
    codes: dict[str, str] = {}
    for source in mapping.sources:
        spec = source.field("sex")
        if spec is not None and spec.sex_codes is not None:
            codes[source.name] = spec.sex_codes
    return codes


def _reads_day_first(spec: FieldSpec) -> bool | None:
    if spec.format is None:
        return spec.day_first
    day, month = spec.format.find("%d"), spec.format.find("%m")
    return None if day < 0 or month < 0 else day < month


def _undecided(spec: FieldSpec) -> bool:
    if spec.name == "sex":
        return spec.sex_codes is None
    return spec.name in DATE_FIELDS and spec.format is None and spec.day_first is None


def _settle(spec: FieldSpec, values: pd.Series) -> FieldSpec:
    """The field read from its first values: a date's order of day and month and whether
    it holds spreadsheet serial numbers, or a sex column's codes."""
    if spec.name == "sex":
        return dataclasses.replace(spec, sex_codes=column_sex_codes(values))
    return dataclasses.replace(
        spec, day_first=column_day_first(values), serial=column_serial(values)
    )


def _settled(source: SourceMapping, sample_rows: int) -> SourceMapping:
    every = (*source.fields, *(f for related in source.related for f in related.fields))
    open_fields = [f for f in every if _undecided(f)]
    if not open_fields:
        return source
    if all(f.name == "sex" for f in open_fields):
        sample_rows = min(sample_rows, SEX_SAMPLE_ROWS)
    with contextlib.closing(iter_chunks(source, chunk_rows=sample_rows)) as chunks:
        first = next(chunks, None)  # the file is closed now, not when the generator dies
    if first is None:
        return source  # no rows: nothing to read either way

    def settle(fields: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
        return tuple(
            _settle(f, column_values(first.frame, f)) if _undecided(f) else f for f in fields
        )

    return dataclasses.replace(
        source,
        fields=settle(source.fields),
        related=tuple(dataclasses.replace(r, fields=settle(r.fields)) for r in source.related),
    )
