"""From rows of one extract to canonical person records.

A row holds one primary person and, in some extracts, more (an HHS referral holds the
child and the sponsor). Each person becomes one record of `columns.RECORD_COLUMNS`.
This module only routes columns to the field normalizers; every rule about what a name,
a date or an address looks like lives in those normalizers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from linker import columns as C
from linker.mapping import FieldSpec, SourceMapping
from linker.standardize.addresses import standardize_addresses
from linker.standardize.dates import standardize_dob, standardize_event_date
from linker.standardize.demographics import (
    standardize_countries,
    standardize_relationship,
    standardize_sex,
)
from linker.standardize.identifiers import (
    scope_ids,
    standardize_a_numbers,
    standardize_document_ids,
)
from linker.standardize.names import standardize_names
from linker.standardize.phones import standardize_phones

# Fields whose presence makes a related person worth a record (a blank sponsor block
# on a referral is not a person).
_PERSON_FIELDS = (
    "full_name",
    "given_name",
    "family_name",
    "family_name_1",
    "a_number",
    "dob",
    "document_id",
    "person_id",
)
INVALID_DOB = "dob_invalid"
INVALID_EVENT_DATE = "event_date_invalid"

STRING_COLUMNS = tuple(
    c
    for c in C.RECORD_COLUMNS
    if c not in (C.RECORD_ID, C.LINE, C.DOB_YEAR, C.DOB_MONTH, C.DOB_DAY)
)
RECORD_DTYPES: dict[str, str] = {
    C.RECORD_ID: "int64",
    C.LINE: "int64",
    C.DOB_YEAR: "Int16",
    C.DOB_MONTH: "Int8",
    C.DOB_DAY: "Int8",
} | {c: "object" for c in STRING_COLUMNS}


@dataclass(frozen=True)
class FieldIssues:
    """Values present in the extract but unusable, counted per field for the summary."""

    dob_invalid: int = 0
    event_date_invalid: int = 0

    def __add__(self, other: FieldIssues) -> FieldIssues:
        return FieldIssues(
            self.dob_invalid + other.dob_invalid,
            self.event_date_invalid + other.event_date_invalid,
        )


def standardize_chunk(
    frame: pd.DataFrame, source: SourceMapping
) -> tuple[pd.DataFrame, FieldIssues]:
    """Canonical records (without RECORD_ID) for every person in a chunk of rows."""
    keys = frame[source.key].astype(object)
    primary, issues = _standardize_person(frame, source.fields, source)
    primary[C.RECORD_KEY] = keys.to_numpy()
    primary[C.ROLE] = C.PRIMARY_ROLE
    primary[C.RELATED_TO] = None
    primary[C.RELATION] = None
    primary[C.RELATIONSHIP] = None
    xref = source.field("cross_reference")
    if xref is not None:
        cited = _column_values(frame, xref).str.strip()
        present = cited.notna() & (cited != "")
        primary[C.CROSS_REFERENCE] = (f"{xref.source}:" + cited).where(present, None)
    else:
        primary[C.CROSS_REFERENCE] = None
    people = [primary]
    for related in source.related:
        present = _has_any(frame, related.fields)
        if not present.any():
            continue
        rows = frame.loc[present]
        person, more = _standardize_person(rows, related.fields, source)
        issues += more
        person[C.RECORD_KEY] = (keys[present] + ":" + related.role).to_numpy()
        person[C.ROLE] = related.role
        person[C.RELATED_TO] = keys[present].to_numpy()
        person[C.RELATION] = related.relation
        if related.relationship:
            person[C.RELATIONSHIP] = standardize_relationship(rows[related.relationship]).to_numpy()
        else:
            person[C.RELATIONSHIP] = None
        person[C.CROSS_REFERENCE] = None
        people.append(person)
    records = pd.concat(people, ignore_index=True) if len(people) > 1 else primary
    records[C.SOURCE] = source.name
    records[C.RECORD_ID] = 0
    return records[list(C.RECORD_COLUMNS)].astype(RECORD_DTYPES), issues


def _standardize_person(
    frame: pd.DataFrame, fields: tuple[FieldSpec, ...], source: SourceMapping
) -> tuple[pd.DataFrame, FieldIssues]:
    spec = {f.name: f for f in fields}
    index = frame.index

    def values(name: str) -> pd.Series | None:
        return _column_values(frame, spec[name]) if name in spec else None

    out = standardize_names(
        given=values("given_name"),
        middle=values("middle_name"),
        family=values("family_name"),
        family_1=values("family_name_1"),
        family_2=values("family_name_2"),
        full=values("full_name"),
        index=index,
    )
    out = out.join(standardize_a_numbers(_or_empty(values("a_number"), index)))
    dob_spec = spec.get("dob")
    dob = standardize_dob(
        _or_empty(values("dob"), index),
        fmt=dob_spec.format if dob_spec else None,
        estimated=values("dob_estimated"),
    )
    event_spec = spec.get("event_date")
    event = standardize_event_date(
        _or_empty(values("event_date"), index), fmt=event_spec.format if event_spec else None
    )
    issues = FieldIssues(int(dob[INVALID_DOB].sum()), int(event[INVALID_EVENT_DATE].sum()))
    out = out.join(dob.drop(columns=[INVALID_DOB])).join(event[[C.EVENT_DATE]])
    out[C.SEX] = standardize_sex(_or_empty(values("sex"), index))
    country_spec = spec.get("country")
    out[C.COUNTRY] = standardize_countries(
        _or_empty(values("country"), index),
        codes=country_spec.codes if country_spec else "iso",
    )
    out = out.join(
        standardize_addresses(
            line=values("address"),
            city=values("city"),
            state=values("state"),
            postal_code=values("postal_code"),
            index=index,
        )
    )
    out[C.PHONE] = standardize_phones(
        _or_empty(values("phone"), index), default_region=source.phone_region
    )
    out[C.FAMILY_GROUP] = scope_ids(_or_empty(values("family_group"), index), source.name)
    out[C.PERSON_ID] = scope_ids(_or_empty(values("person_id"), index), source.name)
    out[C.DOCUMENT_ID] = standardize_document_ids(_or_empty(values("document_id"), index))
    out[C.ROW_KEY] = frame[source.key].to_numpy()
    out[C.LINE] = frame[C.LINE].to_numpy()
    used = list(dict.fromkeys(c for f in fields for c in f.columns))
    out[C.RAW] = _raw_json(frame, used)
    return out.reset_index(drop=True), issues


def _column_values(frame: pd.DataFrame, spec: FieldSpec) -> pd.Series:
    """One field's text: a column, or several joined by the separator with blanks skipped."""
    if len(spec.columns) == 1:
        return frame[spec.columns[0]]
    parts = [frame[c].fillna("").astype(str) for c in spec.columns]
    joined = parts[0].str.cat(parts[1:], sep=spec.separator)
    if spec.separator.strip() == "":
        joined = joined.str.split().str.join(" ")
    else:
        sep = spec.separator.strip()
        joined = joined.str.strip(" " + sep)
    return joined.where(joined.str.len() > 0, None).astype(object)


def _or_empty(values: pd.Series | None, index: pd.Index) -> pd.Series:
    return values if values is not None else pd.Series(None, index=index, dtype=object)


def _has_any(frame: pd.DataFrame, fields: tuple[FieldSpec, ...]) -> pd.Series:
    cols = [c for f in fields if f.name in _PERSON_FIELDS for c in f.columns]
    if not cols:
        cols = [c for f in fields for c in f.columns]
    return frame[cols].notna().any(axis=1)


def _raw_json(frame: pd.DataFrame, used: list[str]) -> np.ndarray:
    """The columns a person was read from, as one JSON object per record (for reviewers)."""
    if frame.empty:
        return np.array([], dtype=object)
    text = frame[used].to_json(orient="records", lines=True, force_ascii=False)
    return np.array(text.splitlines(), dtype=object)
