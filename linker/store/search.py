"""Search the latest run for a person: by name (fuzzy), date of birth, A-number, case key.

A reviewer or reunification officer types what they have: a name as written on a form,
maybe a date of birth, maybe an A-number or the case key (`source:record_key`). The query
is standardized with the batch's own functions (names split and phonetically keyed by
`linker.standardize.names`, dates read by `linker.standardize.dates`, A-numbers by
`linker.standardize.identifiers`), so "Soto, Marcela" finds what the batch stored as
MARCELA SOTO; candidates come only from indexed columns (phonetic keys, dob, A-number,
record key), so a search costs a few index lookups even with a million records, and
the candidates are then ranked in one vectorized rapidfuzz pass.

Scores are in [0, 1]: a weighted mean of the criteria given (name similarity, date
agreement, A-number and case-key identity), meant to be read like a probability that the
record is the person asked for. They are not the model's match probability: a search
query is not a record, and most of its fields are empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from sqlalchemy import Row, and_, select
from sqlalchemy.orm import Session

from linker import columns as C
from linker.standardize.dates import standardize_dob
from linker.standardize.identifiers import standardize_a_numbers
from linker.standardize.names import standardize_names
from linker.standardize.text import clean_text, phonetic_code
from linker.store.runs import latest_run
from linker.store.schema import Record

MAX_CANDIDATES: Final = 5_000
MAX_RESULTS: Final = 100
# Weight of each criterion in the score: identifiers are decisive, a name more telling
# than a date of birth (many children share a birthday in one cohort; few share a name).
WEIGHTS: Final = {"name": 2.0, "dob": 1.0, "a_number": 2.0, "case_key": 2.0}
DOB_UNKNOWN: Final = 0.3  # a record without a date neither confirms nor refutes one


@dataclass(frozen=True)
class SearchQuery:
    name: str = ""
    dob: str = ""
    a_number: str = ""
    case_key: str = ""  # "source:record_key"

    @property
    def criteria(self) -> list[str]:
        """Which criteria were given (for the audit log: names, never values)."""
        return [k for k in WEIGHTS if getattr(self, k).strip()]


@dataclass(frozen=True)
class SearchHit:
    source: str
    record_key: str
    entity_id: str
    a_number: str | None
    full_name: str | None
    dob: str | None
    dob_year: int | None
    score: float

    @property
    def target(self) -> str:
        return f"{self.source}:{self.record_key}"


@dataclass(frozen=True)
class _Parsed:
    full_name: str | None
    name_keys: list[str]  # phonetic key of every name token
    given_keys: list[str]
    dob: str | None
    dob_year: int | None
    a_number: str | None
    case_key: tuple[str, str] | None


def _parse(query: SearchQuery) -> _Parsed:
    full_name = None
    keys: list[str] = []
    given: list[str] = []
    if query.name.strip():
        names = standardize_names(full=pd.Series([query.name.strip()], dtype=object)).iloc[0]
        full_name = names[C.FULL_NAME]
        tokens = (clean_text(query.name, keep_digits=False) or "").split()
        keys = sorted({k for k in (phonetic_code(t) for t in tokens) if k})
        given = sorted({k for k in (*keys, names[C.GIVEN_PHONETIC]) if k})
        keys = sorted({*keys, *(k for k in (names[C.FAMILY_1_PHONETIC],) if k)})
    dob = year = None
    if query.dob.strip():
        parsed = standardize_dob(pd.Series([query.dob.strip()], dtype=object)).iloc[0]
        dob = parsed[C.DOB] if isinstance(parsed[C.DOB], str) else None
        year = None if pd.isna(parsed[C.DOB_YEAR]) else int(parsed[C.DOB_YEAR])
    a_number = None
    if query.a_number.strip():
        value = standardize_a_numbers(pd.Series([query.a_number.strip()], dtype=object))
        a_number = value[C.A_NUMBER].iloc[0] if isinstance(value[C.A_NUMBER].iloc[0], str) else None
    case_key = None
    if ":" in query.case_key:
        source, key = query.case_key.strip().split(":", 1)
        case_key = (source.strip(), key.strip())
    return _Parsed(full_name, keys, given, dob, year, a_number, case_key)


_CANDIDATE_COLUMNS = (
    Record.id,
    Record.source,
    Record.record_key,
    Record.entity_id,
    Record.a_number,
    Record.full_name,
    Record.dob,
    Record.dob_year,
)


def _candidates(session: Session, run_id: int, q: _Parsed) -> list[Row[Any]]:
    """Records any given criterion points at, through indexed columns only (the light
    columns, not the JSON: a common surname can bring thousands)."""
    conditions = []
    if q.name_keys:
        by_family = Record.family_1_phonetic.in_(q.name_keys)
        # With a given name too, the records whose given-name key also agrees (either
        # order) come first, so a common surname's flood cannot crowd them out of the
        # capped family-only candidates that forgive a misspelled given name.
        if len(q.name_keys) > 1:
            conditions.append(and_(by_family, Record.given_phonetic.in_(q.given_keys)))
        conditions.append(by_family)
    if q.dob:
        conditions.append(Record.dob == q.dob)
    if q.a_number:
        conditions.append(Record.a_number == q.a_number)
    if q.case_key:
        conditions.append(and_(Record.source == q.case_key[0], Record.record_key == q.case_key[1]))
    found: dict[int, Row[Any]] = {}
    # One query per criterion, each on its own index, rather than one OR the planner
    # may turn into a scan.
    for condition in conditions:
        for row in session.execute(
            select(*_CANDIDATE_COLUMNS)
            .where(Record.run_id == run_id, condition)
            .limit(MAX_CANDIDATES)
        ):
            found.setdefault(row.id, row)
    return list(found.values())


def _dob_agreement(q: _Parsed, dobs: np.ndarray, years: np.ndarray) -> np.ndarray:
    """1 same date; 0.8 day and month swapped; 0.5 same year; 0.3 unknown; 0 else."""
    out = np.zeros(len(dobs))
    known = np.array([d is not None for d in dobs])
    year_known = ~np.isnan(years)
    out[~known & ~year_known] = DOB_UNKNOWN
    if q.dob_year is not None:
        out[(~known) & year_known & (years == q.dob_year)] = 0.5
    if q.dob is not None:
        y, m, d = q.dob.split("-")
        swapped = f"{y}-{d}-{m}"
        same = np.array([x == q.dob for x in dobs])
        swap = np.array([x == swapped for x in dobs]) & ~same
        year_only = known & ~same & ~swap & (years == q.dob_year)
        out[same] = 1.0
        out[swap] = 0.8
        out[year_only] = 0.5
    return out


def search_records(session: Session, query: SearchQuery, *, limit: int = 25) -> list[SearchHit]:
    """Records of the latest run matching the query, best first, scores in [0, 1]."""
    run = latest_run(session)
    if run is None or not query.criteria:
        return []
    q = _parse(query)
    records = _candidates(session, run.id, q)
    if not records:
        return []
    n = len(records)
    weights = np.zeros(n)
    total = np.zeros(n)
    if query.name.strip():
        names = [r.full_name or "" for r in records]
        wanted = q.full_name or query.name.upper()
        # Order-free scores forgive swapped surnames and missing middle names; the
        # plain ratio ranks the name as written above its reorderings.
        scores = [
            process.cdist([wanted], names, scorer=scorer, workers=1)[0]
            for scorer in (fuzz.token_sort_ratio, fuzz.token_set_ratio, fuzz.ratio)
        ]
        total += WEIGHTS["name"] * np.mean(scores, axis=0) / 100.0
        weights += WEIGHTS["name"]
    if query.dob.strip():
        dobs = np.array([r.dob for r in records], dtype=object)
        years = np.array([np.nan if r.dob_year is None else r.dob_year for r in records])
        total += WEIGHTS["dob"] * _dob_agreement(q, dobs, years)
        weights += WEIGHTS["dob"]
    if query.a_number.strip():
        same = np.array([q.a_number is not None and r.a_number == q.a_number for r in records])
        total += WEIGHTS["a_number"] * same
        weights += WEIGHTS["a_number"]
    if query.case_key.strip():
        same = np.array([q.case_key == (r.source, r.record_key) for r in records])
        total += WEIGHTS["case_key"] * same
        weights += WEIGHTS["case_key"]
    score = np.clip(total / weights, 0.0, 1.0)
    order = np.lexsort(([r.record_key for r in records], [r.source for r in records], -score))
    top = order[: max(1, min(limit, MAX_RESULTS))]
    return [
        SearchHit(
            source=records[i].source,
            record_key=records[i].record_key,
            entity_id=records[i].entity_id,
            a_number=records[i].a_number,
            full_name=records[i].full_name,
            dob=records[i].dob,
            dob_year=records[i].dob_year,
            score=round(float(score[i]), 3),
        )
        for i in top
    ]
