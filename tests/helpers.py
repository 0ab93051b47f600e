"""Builders of small canonical record frames for the linkage tests.

Two ways in, both giving a records frame of `columns.RECORD_COLUMNS` with record_id
0..n-1 (what `features.prepare_features` requires):

* `standardized(rows)`: raw extract rows (dicts keyed by mappable field names, plus an
  optional "source" and "key") run through the real standardizer, the realistic path for
  names with accents, nicknames, dates in several formats, phones and addresses. Blank
  cells become None first, as `linker.ingest` does before standardizing.
* `canonical(rows)`: the canonical columns written directly (unset ones null), for
  cases the standardizer never produces and for fast random frames in properties.

`gammas_of(records, name, left, right)` compares rows through `PairFeatures`, the path
the pipeline takes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import settings
from hypothesis import strategies as st

from linker import columns as C
from linker.comparisons import REGISTRY
from linker.features import PairFeatures, prepare_features
from linker.mapping import FieldSpec, SourceMapping
from linker.standardize.records import RECORD_DTYPES, standardize_chunk

# The source each test source's cross_reference column cites.
CITED_SOURCE = {"cbp": "ice", "ice": "cbp", "hhs": "ice"}
_TYPED = {c: t for c, t in RECORD_DTYPES.items() if t != "object"}
SOURCE_FIELD = "source"  # raw-row keys that are not mappable fields
KEY_FIELD = "key"


def source_mapping(name: str, fields: Sequence[str]) -> SourceMapping:
    """A mapping whose raw columns are named after the canonical fields they hold."""
    specs = tuple(
        FieldSpec(
            name=f,
            columns=(f,),
            source=CITED_SOURCE[name] if f == "cross_reference" else None,
        )
        for f in fields
    )
    return SourceMapping(
        name=name,
        path=Path(f"{name}.csv"),
        key=KEY_FIELD,
        format="csv",
        encoding=None,
        delimiter=",",
        phone_region="US",
        fields=specs,
    )


def _blank(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def standardized(rows: Sequence[Mapping[str, object]], *, source: str = "cbp") -> pd.DataFrame:
    """Standardize raw rows, keeping their order; a row's "source" / "key" override defaults.

    Keys default to "r<position>"; a field missing from a row is null in it.
    """
    rows = [{SOURCE_FIELD: source, KEY_FIELD: f"r{i}", **r} for i, r in enumerate(rows)]
    fields = sorted({k for r in rows for k in r} - {SOURCE_FIELD, KEY_FIELD})
    parts = []
    for name in dict.fromkeys(str(r[SOURCE_FIELD]) for r in rows):
        at = [i for i, r in enumerate(rows) if r[SOURCE_FIELD] == name]
        columns = {f: [_blank(rows[i].get(f)) for i in at] for f in fields}
        columns[KEY_FIELD] = [str(rows[i][KEY_FIELD]) for i in at]
        raw = pd.DataFrame(columns, dtype=object).assign(**{C.LINE: [i + 2 for i in at]})
        chunk, _ = standardize_chunk(raw, source_mapping(name, fields))
        parts.append(chunk.assign(_at=at))
    records = pd.concat(parts, ignore_index=True).sort_values("_at", kind="stable")
    return renumber(records.drop(columns="_at"))


def canonical(rows: Sequence[Mapping[str, object]], *, source: str = "cbp") -> pd.DataFrame:
    """Canonical records from column values; unset columns null (DOB quality "missing")."""
    defaults = {
        C.SOURCE: lambda i: source,
        C.RECORD_KEY: lambda i: f"r{i}",
        C.ROW_KEY: lambda i: f"r{i}",
        C.ROLE: lambda i: C.PRIMARY_ROLE,
        C.DOB_QUALITY: lambda i: "missing",
        C.LINE: lambda i: i + 2,
        C.RECORD_ID: lambda i: i,
    }
    data = {}
    for col in C.RECORD_COLUMNS:
        values = [r.get(col) for r in rows]
        if col in defaults:
            values = [defaults[col](i) if v is None else v for i, v in enumerate(values)]
        data[col] = values
    return renumber(pd.DataFrame(data, dtype=object))


def renumber(records: pd.DataFrame) -> pd.DataFrame:
    """record_id 0..n-1 in row order, canonical column order and dtypes."""
    out = records.reset_index(drop=True)[list(C.RECORD_COLUMNS)].astype(_TYPED)
    out[C.RECORD_ID] = np.arange(len(out), dtype=np.int64)
    return out


def concat_records(*frames: pd.DataFrame) -> pd.DataFrame:
    """Several records frames as one, renumbered."""
    return renumber(pd.concat(frames, ignore_index=True))


def ordered_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair of distinct positions (both directions), for symmetry checks."""
    left, right = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    keep = left != right
    return left[keep].astype(np.int64), right[keep].astype(np.int64)


def gammas_of(
    records: pd.DataFrame,
    name: str,
    left: Sequence[int] | np.ndarray = (0,),
    right: Sequence[int] | np.ndarray = (1,),
) -> np.ndarray:
    """Gammas of comparison `name` for the pairs (left[i], right[i]) of `records`."""
    pairs = PairFeatures(
        prepare_features(records),
        np.asarray(left, dtype=np.int64),
        np.asarray(right, dtype=np.int64),
    )
    return REGISTRY[name].gammas(pairs)


def label(name: str, gamma: int) -> str:
    """Label of a comparison's level from its gamma."""
    return REGISTRY[name].spec.label_of(int(gamma))


# --- random small frames for hypothesis --------------------------------------------
# Small pools so values collide often (equal, one typo apart, swapped across columns);
# index 0 of every optional pool is None. A row is a tuple of pool indices, which draws
# fast and shrinks towards nulls.
_GIVEN = (None, "JOSE", "JOSUE", "MARIA", "MARIA JOSE", "GERARDO", "GERMAN", "LOPEZ")
_MIDDLE = (None, "LUIS", "JOSE")
_FAMILY = (None, "LOPEZ", "GARCIA", "GARSIA", "JOSE", "DE LA CRUZ")
_QUALITY = ("full", "full", "full", "placeholder", "year_month", "year", "estimated", "missing")
_YEARS = (2005, 2010, 2011, 2012)
_MONTH_DAY = (1, 2, 3, 12)  # swaps and one-digit typos are frequent
_STREETS = (None, ("123", "MAIN ST"), ("125", "MAIN ST"), ("9", "OAK AVE"))
_PLACES = (None, ("HOUSTON", "TX", "77001"), ("HOUSTON", "TX", "77002"), ("DALLAS", None, None))
_PHONES = (None, "+17135551234", "+12815551234", "+17135559999", "+525512345678")
_A_NUMBERS = (None, "012345678", "012345679", "013245678", "098765432")
_DOCUMENTS = (None, "G123456", "G123457", "X1")
_PERSON_IDS = (None, "cbp:1", "cbp:2")
_SEXES = (None, "M", "F")
_COUNTRIES = (None, "MX", "GT")
_SOURCES = ("cbp", "ice", "hhs")
_XREFS = (None, "cbp:r0", "ice:r1", "hhs:r2", "ice:r3")
_POOLS = (
    _SOURCES, _GIVEN, _MIDDLE, _FAMILY, _FAMILY, _QUALITY, _YEARS, _MONTH_DAY, _MONTH_DAY,
    _STREETS, _PLACES, _PHONES, _A_NUMBERS, _DOCUMENTS, _PERSON_IDS,
    _SEXES, _COUNTRIES, _XREFS,
)  # fmt: skip


def _phonetic(value: str | None) -> str | None:
    return value[:3] if value else None


def _random_row(ix: tuple[int, ...]) -> dict[str, object]:
    v: list[Any] = [pool[i] for pool, i in zip(_POOLS, ix, strict=True)]
    source, given, middle, f1, f2, quality, year, month, day = v[:9]
    street, place, phone, a_number, document, person_id, sex, country, xref = v[9:]
    f2 = f2 if f1 else None
    full = quality == "full"
    address = " ".join(p for p in (*(street or ()), *(place or ())) if p) or None
    return {
        C.SOURCE: source,
        C.GIVEN_NAME: given,
        C.MIDDLE_NAME: middle,
        C.GIVEN_NAME_CANONICAL: given,
        C.GIVEN_PHONETIC: _phonetic(given),
        C.FAMILY_NAME_1: f1,
        C.FAMILY_NAME_2: f2,
        C.FAMILY_NAME: " ".join(p for p in (f1, f2) if p) or None,
        C.FAMILY_1_PHONETIC: _phonetic(f1),
        C.FAMILY_2_PHONETIC: _phonetic(f2),
        C.DOB_QUALITY: quality,
        C.DOB_YEAR: None if quality == "missing" else year,
        C.DOB_MONTH: month if quality in ("full", "year_month") else None,
        C.DOB_DAY: day if full else None,
        C.DOB: f"{year}-{month:02d}-{day:02d}" if full else None,
        C.ADDRESS: address,
        C.ADDRESS_KEY: f"{' '.join(street)} {place[2] or place[0]}" if street and place else None,
        C.CITY: place[0] if place else None,
        C.STATE: place[1] if place else None,
        C.POSTAL_CODE: place[2] if place else None,
        C.PHONE: phone,
        C.A_NUMBER: a_number,
        C.DOCUMENT_ID: document,
        C.PERSON_ID: person_id,
        C.SEX: sex,
        C.COUNTRY: country,
        C.CROSS_REFERENCE: xref,
    }


random_rows = st.tuples(*(st.integers(0, len(pool) - 1) for pool in _POOLS)).map(_random_row)
random_records = st.lists(random_rows, min_size=2, max_size=10).map(canonical)

# Properties that build features per example cost ~30 ms an example, nearly all of it
# fixed (frame construction, factorizing); fewer, larger frames keep them fast.
FRAME_PROPERTY = settings(max_examples=20)
