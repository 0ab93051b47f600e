"""Single-record lookup (linker/lookup.py) against a small real run in a SQLite store."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from linker import columns as C
from linker.comparisons import REGISTRY
from linker.errors import DataContractError
from linker.features import FAMILY_SORTED, derive_columns
from linker.lookup import (
    ENTITY,
    LookupIndex,
    lookup_index,
    search_query,
    standardize_query,
)
from linker.store import Store
from linker.store.schema import Pair, Record, Run
from linker.store.search import SearchQuery


@pytest.fixture(scope="module")
def store(review_store_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The review run's store, one copy for the module (lookups only read)."""
    path = tmp_path_factory.mktemp("lookup") / "linker.db"
    shutil.copyfile(review_store_template, path)
    opened = Store.open(f"sqlite:///{path}")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def index(store: Store) -> LookupIndex:
    with store.session() as session:
        return lookup_index(session)


def canonical_input(std: dict[str, Any]) -> dict[str, str]:
    """A query built back from a stored record's standardized values: what an integrator
    holding the same person's data would send."""
    fields: dict[str, Any] = {
        C.SOURCE: std[C.SOURCE],
        "given_name": std[C.GIVEN_NAME],
        "middle_name": std[C.MIDDLE_NAME],
        "family_name_1": std[C.FAMILY_NAME_1],
        "family_name_2": std[C.FAMILY_NAME_2],
        "dob": std[C.DOB],
        "sex": std[C.SEX],
        "country": std[C.COUNTRY],
        "a_number": std[C.A_NUMBER],
        "document_id": std[C.DOCUMENT_ID],
        "address": " ".join(
            p for p in (std[C.ADDRESS_NUMBER], std[C.ADDRESS_STREET], std[C.ADDRESS_UNIT]) if p
        )
        or None,
        "city": std[C.CITY],
        "state": std[C.STATE],
        "postal_code": std[C.POSTAL_CODE],
        "phone": std[C.PHONE],
    }
    return {k: str(v) for k, v in fields.items() if v is not None}


def _stored(store: Store, where: Any, limit: int) -> list[Record]:
    with store.session() as session:
        return list(session.scalars(select(Record).where(where).order_by(Record.id).limit(limit)))


def _typo(name: str) -> str:
    """Swap two adjacent letters in the middle of a name (a typist's slip)."""
    i = max(1, len(name) // 2)
    return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :] if len(name) > 2 else name


def test_an_exact_copy_scores_stored_pairs_as_the_batch_did(store: Store, index: LookupIndex):
    """Same standardizer, comparisons, term frequencies and model: a copy of a stored
    record scores each of its stored pairs with the batch's own probability."""
    checked = 0
    with store.session() as session:
        pairs = session.execute(
            select(Pair, Record)
            .join(Record, Record.id == Pair.left_id)
            .where(Pair.match_probability > 0.05)
            .order_by(Pair.id)
            .limit(400)
        ).all()
        for pair, left in pairs:
            std = left.standardized_values()
            right = session.get(Record, pair.right_id)
            assert right is not None
            other = right.standardized_values()
            # Partial dates and scoped ids do not round-trip through a query's fields.
            if {std[C.DOB_QUALITY], other[C.DOB_QUALITY]} - {"full", "missing"}:
                continue
            if std[C.PERSON_ID] or std[C.CROSS_REFERENCE] or other[C.CROSS_REFERENCE]:
                continue
            scored = index.score_records(session, canonical_input(std))
            row = scored[scored[C.RECORD_KEY] == right.record_key]
            row = row[row[C.SOURCE] == right.source]
            if row.empty:  # found by a batch rule the lookup has no index for
                continue
            assert row[C.MATCH_PROBABILITY].iloc[0] == pytest.approx(
                pair.match_probability, rel=1e-9, abs=1e-12
            )
            checked += 1
            if checked == 15:
                break
    assert checked >= 10


def test_a_perturbed_copy_finds_its_entity_first(store: Store, index: LookupIndex):
    records = _stored(
        store, (Record.dob.is_not(None)) & (Record.family_1_phonetic.is_not(None)), 40
    )
    found = 0
    with store.session() as session:
        for record in records:
            query = canonical_input(record.standardized_values())
            query.pop("a_number", None)  # the person arrives without the shared key
            query["family_name_1"] = _typo(query["family_name_1"])
            year, month, day = query["dob"].split("-")
            if int(day) <= 12:
                query["dob"] = f"{year}-{day}-{month}"
            best = index.match(session, query, k=3)
            found += bool(best) and best[0].entity_id == record.entity_id
    assert found / len(records) >= 0.95


def test_the_answer_carries_keys_entity_and_explanation(store: Store, index: LookupIndex):
    record = _stored(store, Record.a_number.is_not(None), 1)[0]
    with store.session() as session:
        best = index.match(session, canonical_input(record.standardized_values()), k=5)
    top = best[0]
    assert top.entity_id == record.entity_id
    assert top.a_number == record.a_number
    assert "a_number" in top.found_by
    assert top.explanation["given_name"]["level"] == "exact"
    assert set(top.explanation) == {c.name for c in index.comparisons}
    assert json.loads(json.dumps(top.to_json()))["entity_id"] == record.entity_id
    assert len({c.entity_id for c in best}) == len(best)  # one line per entity


def test_the_index_is_built_once_per_run(store: Store, index: LookupIndex):
    with store.session() as session:
        assert lookup_index(session) is index
    assert index.records > 1000
    assert index.tf_counts[C.GIVEN_NAME_CANONICAL].sum() <= index.records


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"given": "ANA"}, "unknown field(s) given"),
        ({"given_name": 12, "family_name": "LOPEZ"}, "given_name must be a string"),
        ({"given_name": "x" * 301}, "longer than 300"),
        ({"sex": "F", "country": "HN"}, "no usable matching field"),
        ({"given_name": "ANA"}, "no usable matching field"),
        ({"a_number": "not a number"}, "no usable matching field"),
        ({"source": "CBP!", "a_number": "A012345678"}, "source must be a source name"),
        ({"cross_reference": "nocolon"}, "cross_reference must read"),
        (["given_name"], "must be a JSON object"),
    ],
)
def test_bad_input_is_a_data_contract_error(
    store: Store, index: LookupIndex, record: Any, message: str
):
    with store.session() as session, pytest.raises(DataContractError, match=re.escape(message)):
        index.match(session, record)


@pytest.mark.parametrize("k", [0, 101, "3", True, 2.5])
def test_k_is_bounded(store: Store, index: LookupIndex, k: Any):
    with store.session() as session, pytest.raises(DataContractError, match="k must be"):
        index.match(session, {"a_number": "A012345678"}, k=k)


def test_the_query_is_standardized_like_an_extract():
    std = standardize_query(
        {"full_name": "Soto Perez, María José", "dob": "2011-03-04", "phone": "(713) 555-0101"}
    )
    assert (std[C.GIVEN_NAME], std[C.MIDDLE_NAME]) == ("MARIA", "JOSE")
    assert std[C.FAMILY_NAME_1] == "SOTO"
    assert std[C.DOB_YEAR] == 2011 and std[C.DOB_QUALITY] == "full"
    assert std[C.PHONE] == "+17135550101"


names = st.sampled_from(["MARIA", "JOSE", "ANA", "LUIS", "CARMEN", "JUAN", "ROSA", "KEVIN"])
surnames = st.sampled_from(["LOPEZ", "HERNANDEZ", "GARCIA", "MARTINEZ", "PEREZ", "CRUZ"])


@settings(max_examples=30, deadline=None)
@given(
    given_name=names,
    family=surnames,
    year=st.integers(1960, 2022),
    month=st.integers(1, 12),
    day=st.integers(1, 28),
    k=st.integers(1, 15),
)
def test_probabilities_are_in_range_sorted_and_one_per_entity(
    store: Store,
    index: LookupIndex,
    given_name: str,
    family: str,
    year: int,
    month: int,
    day: int,
    k: int,
):
    record = {
        "given_name": given_name,
        "family_name": family,
        "dob": f"{year}-{month:02d}-{day:02d}",
    }
    with store.session() as session:
        found = index.match(session, record, k=k)
        scored = index.score_records(session, record)
    probabilities = [c.match_probability for c in found]
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert probabilities == sorted(probabilities, reverse=True)
    assert len(found) <= k and len({c.entity_id for c in found}) == len(found)
    assert len(found) == min(k, scored[ENTITY].nunique())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("maria lopez", SearchQuery(name="maria lopez")),
        ("Lopez 2011-03-04", SearchQuery(name="Lopez", dob="2011-03-04")),
        ("A012345678", SearchQuery(a_number="A012345678")),
        ("hhs:UC-0000044:sponsor", SearchQuery(case_key="hhs:UC-0000044:sponsor")),
        ("Ana 3/4/2011 A-12345678", SearchQuery(name="Ana", dob="3/4/2011", a_number="A-12345678")),
    ],
)
def test_search_text_is_split_into_criteria(text: str, expected: SearchQuery):
    assert search_query(text) == expected


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, pd.DataFrame]:
    from linker.mapping import load_mapping
    from linker.reconcile import reconcile
    from linker.sampledata import generate_sample

    base = tmp_path_factory.mktemp("small_run")
    generate_sample(200, 3, base / "sample")
    records_path = base / "records.parquet"
    result = reconcile(load_mapping(base / "sample" / "mapping.toml"), records_path=records_path)
    return result, pd.read_parquet(records_path)


def test_run_frequencies_are_counted_in_the_database(
    database_url: str, small_run: tuple[Any, pd.DataFrame]
):
    """The name frequency tables come from the stored JSON (SQLite json_extract,
    PostgreSQL jsonb): they must equal the counts over the run's records frame."""
    from linker.store.runs import persist_run

    result, records = small_run
    store = Store.open(database_url)
    try:
        run_id = persist_run(store, result, records)
        with store.session() as session:
            stored = LookupIndex.build(session, run_id)  # the counts kept with the run
            best = stored.match(session, canonical_input(_first_named(records)), k=1)
            # A run stored before the counts were kept: counted from the JSON instead.
            session.execute(update(Run).where(Run.id == run_id).values(term_frequencies="{}"))
            built = LookupIndex.build(session, run_id)
    finally:
        store.close()
    expected = {
        C.GIVEN_NAME_CANONICAL: records[C.GIVEN_NAME_CANONICAL].value_counts(),
        FAMILY_SORTED: derive_columns(records)[FAMILY_SORTED].value_counts(),
    }
    for column, counts in expected.items():
        assert dict(built.tf_counts[column].astype(int)) == dict(counts.astype(int))
        assert dict(stored.tf_counts[column].astype(int)) == dict(counts.astype(int))
    assert built.records == len(records)
    assert best and best[0].match_probability > 0.9
    # Given names are also counted within each country; a run stored without those
    # counts has none, and its lookups take the shares over all records.
    both = records[[C.COUNTRY, C.GIVEN_NAME_CANONICAL]].dropna()
    countries = records[C.COUNTRY].value_counts()
    assert stored.country_records == {str(k): int(v) for k, v in countries.items()}
    within = stored.within_country[C.GIVEN_NAME_CANONICAL]
    assert sum(sum(c.values()) for c in within.values()) == len(both)
    country, given = both.iloc[0]
    assert within[country][given] == int(
        ((both[C.COUNTRY] == country) & (both[C.GIVEN_NAME_CANONICAL] == given)).sum()
    )
    assert built.within_country == {} and built.country_records == {}
    assert math.isnan(built._country_share(C.GIVEN_NAME_CANONICAL, given, country))
    share = stored._country_share(C.GIVEN_NAME_CANONICAL, given, country)
    assert share == within[country][given] / stored.country_records[country]


def _first_named(records: pd.DataFrame) -> dict[str, Any]:
    row = records[records[C.DOB].notna() & records[C.FAMILY_NAME_1].notna()].iloc[0]
    return {k: (None if pd.isna(v) else v) for k, v in row.items() if k in C.RECORD_COLUMNS}


def test_a_record_of_a_source_reads_its_dates_as_that_extract_did(store: Store, index: LookupIndex):
    """The sample's HHS extract writes dates day first, CBP's month first: the run keeps
    that, and a new HHS record's "05/06/2015" is 5 June, scored as the same date of birth
    as its stored copy, where a CBP record's, or one naming no source, reads 6 May."""
    assert index.date_orders["hhs"]["dob"] is True
    assert index.date_orders["cbp"]["dob"] is False
    hhs = _stored(store, (Record.source == "hhs") & Record.dob.is_not(None), 300)
    ambiguous = [
        r
        for r in hhs
        if r.standardized_values()[C.DOB_QUALITY] == "full"
        and int(r.dob[8:]) <= 12
        and r.dob[8:] != r.dob[5:7]
    ][:8]
    assert len(ambiguous) >= 5
    dob_level = REGISTRY["dob"].spec
    with store.session() as session:
        for record in ambiguous:
            query = canonical_input(record.standardized_values())
            year, month, day = query["dob"].split("-")
            query["dob"] = f"{day}/{month}/{year}"  # as the HHS extract writes it
            levels = {}
            for source in ("hhs", "cbp", None):
                asked = {k: v for k, v in query.items() if k != C.SOURCE}
                if source is not None:
                    asked[C.SOURCE] = source
                scored = index.score_records(session, asked)
                own = scored[
                    (scored[C.SOURCE] == "hhs") & (scored[C.RECORD_KEY] == record.record_key)
                ]
                assert len(own) == 1
                levels[source] = dob_level.label_of(int(own["gamma_dob"].iloc[0]))
            assert levels == {"hhs": "exact", "cbp": "day_month_swapped", None: "day_month_swapped"}


def test_standardize_query_reads_sex_in_the_codes_of_its_source():
    """ "M" is male in letters and mujer in Spanish codes; "1" is male in ISO 5218. A
    record naming no source, or one whose codes the run did not keep, reads letters."""
    codes = {"dif": "spanish", "sipinna": "iso5218"}
    cases = [
        ("dif", "M", "F"),
        ("dif", "H", "M"),
        ("sipinna", "1", "M"),
        ("sipinna", "2", "F"),
        ("cbp", "M", "M"),
        (None, "M", "M"),
    ]
    for source, sex, expected in cases:
        query = {"given_name": "ANA", "family_name": "LOPEZ", "sex": sex}
        if source is not None:
            query[C.SOURCE] = source
        assert standardize_query(query, sex_codes=codes)[C.SEX] == expected, (source, sex)


def test_a_record_of_a_source_reads_its_sex_as_that_extract_did(review_db_url: str):
    """The run keeps each source's sex codes; a new record of a source read in Spanish
    codes (M = mujer) agrees on sex with its stored female copy, where the same values
    sent as a CBP record (letters) disagree."""
    opened = Store.open(review_db_url)
    try:
        with opened.session() as session:
            stored = lookup_index(session)
            assert stored.sex_codes == {"cbp": "letters", "ice": "letters", "hhs": "letters"}
            run = session.get(Run, stored.run_id)
            assert run is not None
            session.execute(
                update(Run)
                .where(Run.id == run.id)
                .values(settings={**run.settings, "sex_codes": {"hhs": "spanish", "x": "?"}})
            )
        with opened.session() as session:
            index = LookupIndex.build(session, stored.run_id)
            assert index.sex_codes == {"hhs": "spanish"}  # an unknown code is dropped
            females = [
                r
                for r in session.scalars(
                    select(Record)
                    .where((Record.source == "hhs") & Record.dob.is_not(None))
                    .order_by(Record.id)
                    .limit(200)
                )
                if r.standardized_values()[C.SEX] == "F"
            ][:3]
            assert females
            sex_level = REGISTRY["sex"].spec
            for record in females:
                query = canonical_input(record.standardized_values()) | {"sex": "M"}
                levels = {}
                for source in ("hhs", "cbp"):
                    scored = index.score_records(session, query | {C.SOURCE: source})
                    own = scored[
                        (scored[C.SOURCE] == "hhs") & (scored[C.RECORD_KEY] == record.record_key)
                    ]
                    assert len(own) == 1
                    levels[source] = sex_level.label_of(int(own["gamma_sex"].iloc[0]))
                assert levels == {"hhs": "exact", "cbp": "else"}
    finally:
        opened.close()
