"""Single-record lookup: one new record (a check-in, a referral) against a stored run.

An integrator sends one person's canonical fields and wants the people already linked
who are likely the same, ranked, with the evidence, in well under a second, against a
million stored records. The lookup therefore reuses the batch instead of imitating it:

1. the record goes through the batch's own standardizer (`standardize_chunk`, a one-row
   extract whose columns are named after the canonical fields);
2. candidates come from indexed queries on the `records` table, one per candidate key;
   the keys mirror the batch's blocking rules (identifiers, phonetic names with the
   birth year, the full date, the date with day and month swapped, contact details).
   A key that matches more records than its cap is skipped, as the batch skips blocks
   too large to say anything;
3. the candidates' stored standardized values and the query form a small records frame,
   and the batch's comparison, rule and scoring functions run on the (query, candidate)
   pairs with the run's stored model. Term frequencies are the values' shares in the
   whole stored run, as in the batch, so an exact copy of a stored record scores a
   stored pair exactly as the batch did;
4. candidates are ranked by match probability and reduced to one per entity (its best
   member).

The model, its comparisons and the name frequency tables are built once per run and
kept in the process (`lookup_index`).
"""

from __future__ import annotations

import json
import re
import threading
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from linker import columns as C
from linker.comparisons import REGISTRY, DomainComparison
from linker.errors import DataContractError
from linker.features import RecordFeatures, derive_columns, prepare_features
from linker.linkage import compare_pairs, rebuild_comparisons, term_frequencies, year_gaps
from linker.mapping import SEX_CODES, FieldSpec, SexCodes, SourceMapping
from linker.rules import CONTRADICTION, contradictions
from linker.run_frequencies import COUNTRY_RECORDS, TF_FROM_JSON, WITHIN_COUNTRY
from linker.standardize.records import RECORD_DTYPES, standardize_chunk
from linker.store.runs import latest_run
from linker.store.schema import Record, Run
from linker.store.search import SearchQuery
from models import FellegiSunterModel

QUERY_SOURCE: Final = "query"  # the source name a query record gets when it names none
# Fields a query may carry: the mapping's canonical fields, plus who sends it.
QUERY_FIELDS: Final[tuple[str, ...]] = (C.SOURCE, C.RECORD_KEY, *C.MAPPABLE_FIELDS)
MAX_VALUE_LENGTH: Final = 300
MAX_K: Final = 100
_SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_KEY_COLUMN = "__record_key"
# Derived query values for keys that look the query up differently from how it reads.
CITED_SOURCE: Final = "cited_source"
CITED_KEY: Final = "cited_record_key"
DOB_SWAPPED: Final = "dob_day_month_swapped"
# Columns the candidates frame carries besides the canonical ones.
STORE_ID: Final = "store_id"
ENTITY: Final = "entity"
ENTITY_A_NUMBER: Final = "entity_a_number"
FOUND_BY: Final = "found_by"


@dataclass(frozen=True)
class CandidateKey:
    """One indexed query on `records`: stored `columns` equal the query's `values`.

    `values` names the query's standardized fields feeding each column (default: the
    same names); the key is used only when the query has all of them. `cap` is the most
    records a key may return: more means the value is too common to say anything.
    """

    name: str
    columns: tuple[str, ...]
    cap: int
    values: tuple[str, ...] = ()

    @property
    def query_fields(self) -> tuple[str, ...]:
        return self.values or self.columns


# The batch's blocking rules (linker/blocking_rules.py), as indexed equality queries.
CANDIDATE_KEYS: Final[tuple[CandidateKey, ...]] = (
    CandidateKey("a_number", (C.A_NUMBER,), cap=100),
    CandidateKey("document_id", (C.DOCUMENT_ID,), cap=100),
    CandidateKey("person_id", (C.PERSON_ID,), cap=100),
    CandidateKey(
        "cross_reference", (C.SOURCE, C.RECORD_KEY), cap=1, values=(CITED_SOURCE, CITED_KEY)
    ),
    CandidateKey("names_birth_year", (C.FAMILY_1_PHONETIC, C.GIVEN_PHONETIC, C.DOB_YEAR), cap=500),
    CandidateKey(
        "name_pair_birth_year",
        (C.FAMILY_1_PHONETIC, C.GIVEN_PHONETIC, C.DOB_YEAR),
        cap=500,
        values=(C.GIVEN_PHONETIC, C.FAMILY_1_PHONETIC, C.DOB_YEAR),
    ),
    CandidateKey("surname_birth_year", (C.FAMILY_1_PHONETIC, C.DOB_YEAR), cap=400),
    CandidateKey("dob", (C.DOB,), cap=200),
    CandidateKey("dob_day_month_swapped", (C.DOB,), cap=200, values=(DOB_SWAPPED,)),
    CandidateKey("names", (C.FAMILY_1_PHONETIC, C.GIVEN_PHONETIC), cap=300),
    CandidateKey("phone", (C.PHONE,), cap=100),
    CandidateKey("address", (C.ADDRESS_KEY,), cap=100),
)
_TF_INDEXED: Final = frozenset({C.PHONE, C.ADDRESS_KEY})


@dataclass(frozen=True)
class Candidate:
    """One existing entity, through its member most like the query."""

    source: str
    record_key: str
    entity_id: str
    a_number: str | None  # the entity's A-number (recovered or original)
    match_probability: float
    match_weight: float
    contradiction: str | None  # the hard rule saying "not one person", if one fires
    explanation: dict[str, dict[str, Any]]  # comparison -> {"level", "weight"}
    found_by: tuple[str, ...]  # candidate keys that found this record

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "record_key": self.record_key,
            "entity_id": self.entity_id,
            "a_number": self.a_number,
            "match_probability": self.match_probability,
            "match_weight": self.match_weight,
            "contradiction": self.contradiction,
            "explanation": self.explanation,
            "found_by": list(self.found_by),
        }


def check_query(record: Any) -> dict[str, str | None]:
    """The query's fields, or DataContractError naming every problem at once."""
    if not isinstance(record, Mapping):
        raise DataContractError("the record must be a JSON object of canonical fields")
    problems = []
    unknown = sorted(str(k) for k in record if k not in QUERY_FIELDS)
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(QUERY_FIELDS)}")
    clean: dict[str, str | None] = {}
    for name in QUERY_FIELDS:
        value = record.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.append(f"field {name} must be a string or null, not {type(value).__name__}")
        elif len(value) > MAX_VALUE_LENGTH:
            problems.append(f"field {name} is longer than {MAX_VALUE_LENGTH} characters")
        elif not is_text(value):
            problems.append(f"field {name} holds characters that are not text (lone surrogates)")
        elif value.strip():
            clean[name] = value
    source = clean.get(C.SOURCE)
    if source is not None and not _SOURCE_NAME.match(source):
        problems.append("field source must be a source name (lower-case letters, digits, _)")
    xref = clean.get("cross_reference")
    if xref is not None and ":" not in xref:
        problems.append("field cross_reference must read '<source>:<record_key>'")
    if problems:
        raise DataContractError("; ".join(problems))
    return clean


def is_text(value: str) -> bool:
    """Encodable as UTF-8: JSON's \\ud800-style escapes can smuggle in lone surrogates,
    which no database driver will store or compare."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def standardize_query(
    record: Mapping[str, str | None],
    date_orders: Mapping[str, Mapping[str, bool]] | None = None,
    sex_codes: Mapping[str, SexCodes] | None = None,
) -> dict[str, Any]:
    """The query's canonical record, standardized exactly as the batch standardizes an
    extract (a one-row extract whose columns carry the canonical fields' names).

    A date such as "05/06/2015" reads as the record's source reads its dates when
    `date_orders` (source -> date field -> day first, as a run keeps them) knows it:
    a new HHS record then reads day first, as the HHS extract did. Otherwise one value
    cannot tell, and it reads month first unless the day is past the 12th. Its sex reads
    in the source's codes (`sex_codes`: "M" is mujer for a source writing H/M), else
    as settled from the one value.
    """
    given = {k: v for k, v in record.items() if v is not None}
    source_name = given.pop(C.SOURCE, None) or QUERY_SOURCE
    key = given.pop(C.RECORD_KEY, None) or "lookup"
    day_first = (date_orders or {}).get(source_name, {})
    codes = (sex_codes or {}).get(source_name)
    specs = []
    for name, value in given.items():
        if name == "cross_reference":
            cited_source, _, cited_key = str(value).partition(":")
            given[name] = cited_key
            specs.append(FieldSpec(name, (name,), source=cited_source))
        else:
            sex_codes_here = codes if name == "sex" else None
            specs.append(
                FieldSpec(name, (name,), day_first=day_first.get(name), sex_codes=sex_codes_here)
            )
    mapping = SourceMapping(
        name=source_name,
        path=Path("."),
        key=_KEY_COLUMN,
        format="csv",
        encoding=None,
        delimiter=",",
        phone_region="US",
        fields=tuple(specs),
    )
    row = pd.DataFrame([{**given, _KEY_COLUMN: key, C.LINE: 1}]).astype(object)
    row[C.LINE] = 1
    standardized, _ = standardize_chunk(row, mapping)
    values = standardized.iloc[0].to_dict()
    return {k: (None if _missing(v) else v) for k, v in values.items()}


def _date_orders(stored: dict[Any, Any]) -> dict[str, dict[str, bool]]:
    """A run's stored date orders, keeping only well-formed entries (a hand-edited or
    older store must not break every lookup)."""
    return {
        str(source): {str(f): order for f, order in fields.items() if isinstance(order, bool)}
        for source, fields in stored.items()
        if isinstance(fields, dict)
    }


def _sex_codes(stored: dict[Any, Any]) -> dict[str, SexCodes]:
    """A run's stored sex codes, keeping only known codes."""
    return {
        str(source): typing.cast(SexCodes, codes)
        for source, codes in stored.items()
        if codes in SEX_CODES
    }


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _query_keys(query: Mapping[str, Any]) -> dict[str, Any]:
    """The standardized query plus the derived values some candidate keys look up."""
    out = dict(query)
    xref = query.get(C.CROSS_REFERENCE)
    if xref:
        out[CITED_SOURCE], _, out[CITED_KEY] = str(xref).partition(":")
    month, day = query.get(C.DOB_MONTH), query.get(C.DOB_DAY)
    if query.get(C.DOB) and month is not None and day is not None and month != day and day <= 12:
        out[DOB_SWAPPED] = f"{int(query[C.DOB_YEAR]):04d}-{int(day):02d}-{int(month):02d}"
    if out.get(C.DOB_YEAR) is not None:
        out[C.DOB_YEAR] = int(out[C.DOB_YEAR])
    return out


def usable_keys(query: Mapping[str, Any]) -> list[CandidateKey]:
    values = _query_keys(query)
    return [k for k in CANDIDATE_KEYS if all(values.get(f) is not None for f in k.query_fields)]


def _json_text(dialect: str, key: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return cast(Record.standardized, JSONB)[key].astext
    return func.json_extract(Record.standardized, f"$.{key}")


@dataclass
class LookupIndex:
    """What a lookup needs from one stored run, built once and kept in the process."""

    run_id: int
    model: FellegiSunterModel
    comparisons: list[DomainComparison]
    records: int  # how many records the run holds (term-frequency denominator)
    tf_counts: dict[str, pd.Series] = field(default_factory=dict)  # value -> count
    # records per country, and per COUNTRY_TF_COLUMNS column: country -> value -> count
    country_records: dict[str, int] = field(default_factory=dict)
    within_country: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    # source -> date field -> day first, as the run read each extract's dates
    date_orders: dict[str, dict[str, bool]] = field(default_factory=dict)
    # source -> the codes its sex column was read in
    sex_codes: dict[str, SexCodes] = field(default_factory=dict)

    @classmethod
    def build(cls, session: Session, run_id: int) -> LookupIndex:
        run = session.get(Run, run_id)
        if run is None or not run.model_json:
            raise DataContractError(f"run {run_id} is not stored or has no model")
        model = FellegiSunterModel.from_json(json.loads(run.model_json))
        comparisons = rebuild_comparisons(model)
        total = session.scalar(select(func.count()).where(Record.run_id == run_id)) or 0
        dialect = session.get_bind().dialect.name
        stored = json.loads(run.term_frequencies or "{}")
        tf_counts: dict[str, pd.Series] = {}
        for comparison in comparisons:
            column = comparison.tf_column
            if column is None:
                continue
            if column in stored:
                tf_counts[column] = pd.Series(stored[column], dtype="int64")
            elif column in TF_FROM_JSON:  # a run stored before the counts were kept
                tf_counts[column] = _json_value_counts(
                    session, run_id, dialect, column, TF_FROM_JSON[column]
                )
        orders = (run.settings or {}).get("date_orders")
        sex = (run.settings or {}).get("sex_codes")
        return cls(
            run_id,
            model,
            comparisons,
            int(total),
            tf_counts,
            dict(stored.get(COUNTRY_RECORDS, {})),
            dict(stored.get(WITHIN_COUNTRY, {})),
            _date_orders(orders) if isinstance(orders, dict) else {},
            _sex_codes(sex) if isinstance(sex, dict) else {},
        )

    def match(self, session: Session, record: Mapping[str, Any], k: int = 10) -> list[Candidate]:
        """The k entities most likely to hold the person in `record`, best first (each
        through its best-scoring member)."""
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise DataContractError(f"k must be a whole number from 1 to {MAX_K}")
        scored = self.score_records(session, record)
        best = scored.drop_duplicates(ENTITY).head(k)
        return [self._candidate(row) for _, row in best.iterrows()]

    def score_records(self, session: Session, record: Mapping[str, Any]) -> pd.DataFrame:
        """Every candidate record scored against `record`, best first: keys, entity,
        MATCH_WEIGHT, MATCH_PROBABILITY, CONTRADICTION, the gamma and `bf_` (log2
        contribution) of each comparison, and the keys that found it (FOUND_BY)."""
        query = standardize_query(check_query(record), self.date_orders, self.sex_codes)
        keys = usable_keys(query)
        if not keys:
            raise DataContractError(
                "the record has no usable matching field: give an A-number, a document or "
                "agency person id, a phone, an address, a full date of birth, or a given "
                "and a family name"
            )
        found = self._candidates(session, _query_keys(query), keys)
        frame = self._fetch(session, list(found), query)
        scored = self._score(session, frame)
        scored[FOUND_BY] = [tuple(found[i]) for i in scored[STORE_ID]]
        return scored.sort_values(
            [C.MATCH_WEIGHT, C.SOURCE, C.RECORD_KEY], ascending=[False, True, True]
        ).reset_index(drop=True)

    # -- candidates ----------------------------------------------------------------------
    def _candidates(
        self, session: Session, values: Mapping[str, Any], keys: Sequence[CandidateKey]
    ) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for key in keys:
            conditions = [Record.run_id == self.run_id]
            for column, wanted in zip(key.columns, key.query_fields, strict=True):
                conditions.append(getattr(Record, column) == values[wanted])
            ids = session.scalars(select(Record.id).where(*conditions).limit(key.cap + 1)).all()
            if len(ids) > key.cap:
                continue  # too common to tell anyone apart, as an oversized block
            for record_id in ids:
                found.setdefault(int(record_id), []).append(key.name)
        return found

    def _fetch(self, session: Session, ids: list[int], query: Mapping[str, Any]) -> pd.DataFrame:
        """The query (first row) and the candidates' stored standardized values, with
        their store id, entity and the entity's A-number."""
        rows = session.execute(
            select(
                Record.id,
                Record.entity_id,
                Record.a_number,
                Record.standardized,
            ).where(Record.id.in_(ids))
        ).all()
        frame = pd.DataFrame.from_records(
            [dict(query), *(json.loads(r.standardized) for r in rows)],
            columns=list(C.RECORD_COLUMNS),
        )
        frame[C.RECORD_ID] = np.arange(len(frame))
        frame = frame.astype(RECORD_DTYPES)
        frame[STORE_ID] = [-1, *(int(r.id) for r in rows)]
        frame[ENTITY] = [None, *(str(r.entity_id) for r in rows)]
        frame[ENTITY_A_NUMBER] = [None, *(r.a_number for r in rows)]
        return frame

    # -- scoring -------------------------------------------------------------------------
    def _score(self, session: Session, frame: pd.DataFrame) -> pd.DataFrame:
        """The batch's comparisons, rules and model on the (query, candidate) pairs; the
        query is the frame's first row, always the left side."""
        keep = [STORE_ID, C.SOURCE, C.RECORD_KEY, ENTITY, ENTITY_A_NUMBER]
        stored = frame.iloc[1:]
        if stored.empty:
            empty = {c: pd.Series(dtype=object) for c in keep}
            numbers = {c: pd.Series(dtype=float) for c in (C.MATCH_WEIGHT, C.MATCH_PROBABILITY)}
            return pd.DataFrame(empty | numbers | {CONTRADICTION: pd.Series(dtype=object)})
        features = self._with_run_frequencies(session, prepare_features(frame), frame)
        left = np.zeros(len(stored), dtype=np.int64)
        right = np.arange(1, len(frame), dtype=np.int64)
        gammas = compare_pairs(features, left, right, self.comparisons)
        fired = contradictions(gammas, year_gaps(features, left, right))
        tf = term_frequencies(features, left, right, self.comparisons)
        explained = self.model.explain(gammas, tf=tf)
        scored = stored[keep].reset_index(drop=True)
        for part in (gammas, explained):
            for column in part.columns:
                scored[column] = part[column].to_numpy()
        scored[CONTRADICTION] = fired
        return scored

    def _candidate(self, row: pd.Series) -> Candidate:
        explanation = {
            c.name: {
                "level": c.spec.label_of(int(row[c.spec.gamma_column])),
                "weight": round(float(row[f"bf_{c.name}"]), 3),
            }
            for c in self.comparisons
        }
        a_number = row[ENTITY_A_NUMBER]
        return Candidate(
            source=str(row[C.SOURCE]),
            record_key=str(row[C.RECORD_KEY]),
            entity_id=str(row[ENTITY]),
            a_number=None if _missing(a_number) else str(a_number),
            match_probability=float(row[C.MATCH_PROBABILITY]),
            match_weight=round(float(row[C.MATCH_WEIGHT]), 4),
            contradiction=str(row[CONTRADICTION]) or None,
            explanation=explanation,
            found_by=tuple(row[FOUND_BY]),
        )

    def _with_run_frequencies(
        self, session: Session, features: RecordFeatures, frame: pd.DataFrame
    ) -> RecordFeatures:
        """Features whose term frequencies for the query's values (position 0, always the
        left side) are their shares in the whole stored run, not in this small frame."""
        derived = derive_columns(frame.iloc[:1])
        frequencies = dict(features.frequencies)
        for comparison in self.comparisons:
            column = comparison.tf_column
            if column is None:
                continue
            code = int(features.codes[column][0])
            if code < 0:
                continue
            value = derived[column].iloc[0] if column in derived else frame[column].iloc[0]
            table = frequencies[column].copy()
            table[code] = self._run_count(session, column, value) / max(self.records, 1)
            frequencies[column] = table
        # The shares within the query's country, likewise from the whole run: the frame's
        # own would make any value common. A run stored without them (NaN) falls back
        # to the shares over all records.
        shares = {}
        for column, within in features.country_shares.items():
            value = derived[column].iloc[0] if column in derived else frame[column].iloc[0]
            within = within.copy()
            within[0] = self._country_share(column, value, frame[C.COUNTRY].iloc[0])
            shares[column] = within
        return replace(features, frequencies=frequencies, country_shares=shares)

    def _country_share(self, column: str, value: Any, country: Any) -> float:
        records = self.country_records.get(str(country), 0) if not _missing(country) else 0
        if _missing(value) or not records or column not in self.within_country:
            return float("nan")
        return self.within_country[column].get(str(country), {}).get(str(value), 0) / records

    def _run_count(self, session: Session, column: str, value: Any) -> int:
        if column in self.tf_counts:
            return int(self.tf_counts[column].get(value, 0))
        if column in _TF_INDEXED:
            return int(
                session.scalar(
                    select(func.count()).where(
                        Record.run_id == self.run_id, getattr(Record, column) == value
                    )
                )
                or 0
            )
        return 0


def _json_value_counts(
    session: Session, run_id: int, dialect: str, column: str, sources: tuple[str, ...]
) -> pd.Series:
    """How many records of the run hold each value of `column`, a column derived from the
    canonical `sources` kept in the standardized JSON (grouped in the database)."""
    extracted = [_json_text(dialect, s).label(s) for s in sources]
    rows = session.execute(
        select(*extracted, func.count().label("n"))
        .where(Record.run_id == run_id)
        .group_by(*extracted)
    ).all()
    grouped = pd.DataFrame(rows, columns=[*sources, "n"])
    frame = pd.DataFrame(
        {c: pd.Series([None] * len(grouped), dtype=object) for c in C.RECORD_COLUMNS}
    )
    for s in sources:
        frame[s] = grouped[s].astype(object).where(grouped[s].notna(), None)
    derived = derive_columns(frame)
    values = derived[column] if column in derived else frame[column]
    counts = pd.Series(grouped["n"].to_numpy(), index=values.to_numpy())
    return counts[counts.index.notna()].groupby(level=0).sum()


_CACHE: dict[tuple[str, int, str], LookupIndex] = {}
_CACHE_LOCK = threading.Lock()


def lookup_index(session: Session, run: Run | None = None) -> LookupIndex:
    """The lookup index of `run` (default: the latest finished run), built on first use
    and kept per store and run: the model and frequency tables do not change once a run
    is stored, and building them reads every record."""
    run = run or latest_run(session)
    if run is None:
        raise DataContractError("no run is stored yet: run `linker reconcile --db` first")
    # The finish time tells apart two stores that reused one file name and run id.
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = (engine.url.render_as_string(hide_password=True), run.id, str(run.finished_at))
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    built = LookupIndex.build(session, run.id)
    with _CACHE_LOCK:
        # Keep the newest run per store only: older ones are never asked for again.
        for old in [k for k in _CACHE if k[0] == key[0] and k[1] != run.id]:
            del _CACHE[old]
        _CACHE[key] = built
    return built


def explain_levels(explanation: Mapping[str, tuple[int, float]]) -> dict[str, dict[str, Any]]:
    """A stored pair's explanation {comparison: (gamma, weight)} with level labels, the
    shape lookups answer with: {comparison: {"level": label, "weight": log2 weight}}."""
    out = {}
    for name, (gamma, weight) in explanation.items():
        registered = REGISTRY.get(name)
        level = registered.spec.label_of(int(gamma)) if registered else str(gamma)
        out[name] = {"level": level, "weight": round(float(weight), 3)}
    return out


_A_NUMBER_TOKEN = re.compile(r"^A?[#:-]?\d{8,9}$", re.IGNORECASE)
_DATE_TOKEN = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4}|\d{4})$")
_CASE_KEY_TOKEN = re.compile(r"^[a-z][a-z0-9_]{0,31}:\S+$")


def search_query(text: str) -> SearchQuery:
    """Free search text as the search's criteria: a `source:record_key` token is a case
    key, an A-number-shaped token (8-9 digits, A prefix optional) an A-number, a date
    (ISO, m/d/Y or a year alone) the date of birth; the remaining words are the name."""
    case_key = a_number = dob = ""
    words = []
    for token in text.split():
        if not case_key and _CASE_KEY_TOKEN.match(token):
            case_key = token
        elif not a_number and _A_NUMBER_TOKEN.match(token):
            a_number = token
        elif not dob and _DATE_TOKEN.match(token):
            dob = token
        else:
            words.append(token)
    return SearchQuery(name=" ".join(words), dob=dob, a_number=a_number, case_key=case_key)
