"""The fast family inference against the frame-based formulations it replaced.

The relation rules run on integer codes, numpy self-joins and one sorted key per
relation (linker/family/infer.py, people.py). relations.csv must not change by a byte
for that: which evidence is shown first, the "+N more", the sources and the tie-breaks
follow from the order a pandas merge gives and from pandas' sorting. Each test pits one
of the fast pieces against the plain pandas expression of the same thing, on small
random inputs that collide often.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from family_data import Person, family_unit, frames
from helpers import canonical
from hypothesis import given
from hypothesis import strategies as st

from linker import columns as C
from linker.family import infer_relations
from linker.family import kinds as K
from linker.family.infer import (
    _A,
    _B,
    _EVIDENCE,
    _INFERRED,
    _KIND,
    _SOURCE,
    _STATED,
    _lift,
    _pairs_within,
    _relations_frame,
)
from linker.family.people import (
    CODE_OF,
    ENTITY,
    SOUND_1,
    SOUND_2,
    SURNAME_1,
    SURNAME_2,
    Surnames,
    _decoded,
    _first_seen,
    _joint_codes,
    _labels,
    _most_common,
    _text,
    _text_and_codes,
    fact_codes,
    record_facts,
    source_labels,
)
from linker.standardize.text import ARROW_TEXT

_TEXTS = (None, "", "GARCIA", "PEREZ", "LOPEZ", "garcia", "Ñ", float("nan"))
_HOLDINGS = ("object", "category", "arrow")


# --- self-joins and codes ----------------------------------------------------------------------
@given(st.lists(st.integers(0, 4), max_size=25))
def test_pairs_within_is_a_self_merge_in_merge_order(groups: list[int]) -> None:
    frame = pd.DataFrame({"g": np.array(groups, dtype=np.int64), "i": np.arange(len(groups))})
    merged = frame.merge(frame, on="g", suffixes=("_l", "_r"))
    left, right = _pairs_within(np.array(groups, dtype=np.int64))
    assert left.tolist() == merged["i_l"].tolist()
    assert right.tolist() == merged["i_r"].tolist()


@given(
    st.lists(st.sampled_from(range(len(_TEXTS))), max_size=30),
    st.lists(st.sampled_from(range(len(_TEXTS))), max_size=30),
    st.booleans(),
)
def test_joint_codes_number_the_text_as_factorize_does(
    first: list[int], second: list[int], categorical: bool
) -> None:
    n = min(len(first), len(second))
    columns = [pd.Series([_TEXTS[i] for i in ix[:n]], dtype=object) for ix in (first, second)]
    if categorical:  # as the batch holds surnames
        columns = [c.astype("category") for c in columns]
    text = [_text(c) for c in columns]
    expected = pd.factorize(pd.Series(np.concatenate(text), dtype=object))[0]
    got = np.concatenate(_joint_codes(*[_labels(c) for c in columns]))
    assert got.tolist() == expected.tolist()
    for column, plain in zip(columns, text, strict=True):
        assert _decoded(*_labels(column)).tolist() == plain.tolist()
        codes = _labels(column)[0]
        assert _first_seen(codes).tolist() == pd.factorize(plain)[0].tolist()


@given(st.lists(st.sampled_from(range(len(_TEXTS))), max_size=30), st.sampled_from(_HOLDINGS))
def test_text_and_codes_are_the_text_and_its_factorize(picks: list[int], holding: str) -> None:
    """Whatever holds the column (objects, categories, Arrow text), the codes number the
    text as `pd.factorize` of it does, -1 for none, and `fact_codes` reads them back."""
    values = pd.Series([_TEXTS[i] for i in picks], dtype=object)
    held = _held(values, holding)
    text, codes = _text_and_codes(held)
    assert text.tolist() == _text(values).tolist()
    expected_codes, expected_distinct = pd.factorize(text)
    assert codes.tolist() == expected_codes.tolist()
    facts = pd.DataFrame({C.PHONE: text, CODE_OF[C.PHONE]: codes})
    got_codes, got_distinct = fact_codes(facts, C.PHONE)
    assert got_codes.tolist() == expected_codes.tolist()
    assert got_distinct.tolist() == list(expected_distinct)
    # without the code column (facts made by hand) the text is factorized
    plain_codes, plain_distinct = fact_codes(facts[[C.PHONE]], C.PHONE)
    assert plain_codes.tolist() == expected_codes.tolist()
    assert plain_distinct.tolist() == list(expected_distinct)


def _held(values: pd.Series, holding: str) -> pd.Series:
    if holding == "category":
        return values.astype("category")
    if holding == "arrow":
        return values.where(values.notna(), None).astype(ARROW_TEXT)
    return values


def test_record_facts_hold_the_codes_of_their_text_columns() -> None:
    records = canonical(
        [
            {C.FULL_NAME: "ANA LOPEZ", C.SEX: "F", C.PHONE: "+17135550123"},
            {C.FULL_NAME: "LUIS PEREZ", C.SEX: "M", C.ADDRESS_KEY: "1 MAIN ST 77001"},
            {C.FULL_NAME: "ANA LOPEZ", C.SEX: "F", C.PHONE: "+17135550123"},
            {C.FULL_NAME: None, C.SEX: None, C.ADDRESS_KEY: "1 MAIN ST 77001"},
        ]
    )
    entities = pd.DataFrame(
        {
            C.RECORD_ID: records[C.RECORD_ID],
            C.ENTITY_ID: ["E1", "E2", "E1", "E3"],
            C.A_NUMBER: [None, None, None, None],
        }
    )
    facts, _, _ = record_facts(records, entities)
    for column, code_column in CODE_OF.items():
        assert facts[code_column].tolist() == pd.factorize(facts[column])[0].tolist()
    assert facts[CODE_OF[C.FULL_NAME]].tolist() == [0, 1, 0, -1]
    assert facts[CODE_OF[C.PHONE]].tolist() == [0, -1, 0, -1]


# --- most common value per person --------------------------------------------------------------
def _reference_most_common(entity: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    frame = pd.DataFrame({"e": entity, "v": values}).dropna()
    counts = frame.value_counts(sort=False).rename("n").reset_index()
    best = counts.sort_values(["e", "n"], ascending=[True, False], kind="stable")
    best = best.drop_duplicates("e")
    out = np.full(n, None, dtype=object)
    out[best["e"].to_numpy()] = best["v"].to_numpy()
    return out


def test_most_common_breaks_ties_alphabetically() -> None:
    entity = np.array([0, 0, 1, 1, 1, 2])
    names = np.array(["ROSA", "ANA", "LUIS", "JOSE", "LUIS", None], dtype=object)
    assert _most_common(entity, *_factorized(names), 4).tolist() == ["ANA", "LUIS", None, None]


def _factorized(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, distinct = pd.factorize(values)
    return codes.astype(np.int64), np.asarray(distinct, dtype=object)


@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(_TEXTS[:5])), max_size=40))
def test_most_common_matches_value_counts(rows: list[tuple[int, str | None]]) -> None:
    entity = np.array([e for e, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=object)
    got = _most_common(entity, *_factorized(values), 6)
    assert got.tolist() == _reference_most_common(entity, values, 6).tolist()


# --- lifting candidates to relations -----------------------------------------------------------
def _reference_lift(cands: pd.DataFrame, entity_ids: np.ndarray) -> pd.DataFrame:
    """The frame-based lift: sort, drop duplicates and group-by on the candidates."""
    a, b = cands[_A].to_numpy(np.int64), cands[_B].to_numpy(np.int64)
    kind = cands[_KIND].to_numpy(np.int64)
    sym = np.isin(kind, [i for i, k in enumerate(K.RELATION_KINDS) if k not in K.DIRECTED_KINDS])
    a, b = np.where(sym, np.minimum(a, b), a), np.where(sym, np.maximum(a, b), b)
    key = (a * len(entity_ids) + b) * len(K.RELATION_KINDS) + kind
    c = cands.assign(_key=key, **{_A: a, _B: b}).loc[a != b]
    c = c.sort_values(["_key", _INFERRED], kind="stable").drop_duplicates(["_key", _EVIDENCE])
    support = c.groupby("_key", sort=False).size()
    inferred = c.groupby("_key", sort=False)[_INFERRED].min()
    src_code, src_names = pd.factorize(c[_SOURCE])
    bits = pd.Series(np.int64(1) << np.maximum(src_code, 0).astype(np.int64), index=c.index)
    by_src = c.assign(_bit=bits.where(src_code >= 0, 0)).drop_duplicates(["_key", "_bit"])
    source_bits = by_src.groupby("_key", sort=False)["_bit"].sum()
    first = c.drop_duplicates("_key").set_index("_key")
    support = support.reindex(first.index).to_numpy()
    more = pd.Series(support - 1).astype(str).radd("; +").add(" more").where(support > 1, "")
    weak = np.isin(first[_KIND].to_numpy(), [K.RELATION_KINDS.index(k) for k in K.WEAK_KINDS])
    return pd.DataFrame(
        {
            K.ENTITY_A: entity_ids[first[_A].to_numpy()],
            K.ENTITY_B: entity_ids[first[_B].to_numpy()],
            K.RELATION: np.asarray(K.RELATION_KINDS, dtype=object)[first[_KIND].to_numpy()],
            K.EVIDENCE: (first[_EVIDENCE].astype(str).to_numpy() + more).to_numpy(dtype=object),
            K.STRENGTH: np.where(weak, K.WEAK, K.STRONG),
            K.INFERRED: inferred.reindex(first.index).to_numpy(bool),
            K.SOURCES: source_labels(
                source_bits.reindex(first.index).to_numpy(np.int64), list(src_names)
            ),
            K.SUPPORT: support.astype(np.int64),
            K.STATED: first[_STATED].to_numpy(dtype=object),
        }
    ).sort_values([K.ENTITY_A, K.ENTITY_B, K.RELATION], kind="stable", ignore_index=True)


_CANDIDATE = st.tuples(
    st.integers(0, 4),  # a
    st.integers(0, 4),  # b
    st.integers(0, len(K.RELATION_KINDS) - 1),  # kind
    st.booleans(),  # inferred
    st.sampled_from(["family unit cbp:G1", "family unit cbp:G2", "hhs row 7; stated MOTHER"]),
    st.sampled_from(["cbp", "ice", "hhs", None]),
    st.sampled_from([None, "MOTHER", "UNCLE"]),
)


@given(st.lists(_CANDIDATE, min_size=1, max_size=40))
def test_lift_matches_the_frame_based_lift(rows: list[tuple]) -> None:
    columns = list(zip(*rows, strict=True))
    cands = pd.DataFrame(
        {
            _A: np.array(columns[0], dtype=np.int64),
            _B: np.array(columns[1], dtype=np.int64),
            _KIND: np.array(columns[2], dtype=np.int64),
            _INFERRED: np.array(columns[3], dtype=bool),
            _EVIDENCE: np.array(columns[4], dtype=object),
            _SOURCE: np.array(columns[5], dtype=object),
            _STATED: np.array(columns[6], dtype=object),
        }
    )
    entity_ids = np.array(["E0", "E1", "E2", "E3", "E4"])
    got = _relations_frame(_lift(cands, entity_ids))
    pd.testing.assert_frame_equal(got, _reference_lift(cands, entity_ids), check_dtype=False)


def test_surname_codes_stay_with_their_entity_when_phonetic_codes_outnumber_stems() -> None:
    # Two entities sharing one stem (code 0) but with phonetic keys 0 and 5: a width sized
    # from the stems alone put entity 0's key 5 in entity 1's range.
    facts = pd.DataFrame(
        {
            ENTITY: np.array([0, 1], dtype=np.int64),
            SURNAME_1: np.array([0, 0], dtype=np.int64),
            SURNAME_2: np.array([-1, -1], dtype=np.int64),
            SOUND_1: np.array([5, 0], dtype=np.int64),
            SOUND_2: np.array([-1, -1], dtype=np.int64),
        }
    )
    surnames = Surnames.of(facts, n_entities=2)
    per_entity = [set(surnames.code[surnames.start[e] : surnames.start[e + 1]]) for e in (0, 1)]
    assert len(per_entity[0]) == len(per_entity[1]) == 2  # a stem and a phonetic key each
    assert per_entity[0] & per_entity[1] == {0}  # they share only the stem
    assert surnames.present.tolist() == [1, 1]


# --- the batch's column types --------------------------------------------------------------
def _world() -> list[Person]:
    """Two families (one crossing twice), a sponsored child, shared contacts, and the
    blanks and nulls extracts hold."""
    people = family_unit()
    people += [
        Person("E_father", "c9", "JUAN", "GARCIA", "", "1985-03-01", group="G7", sex="M"),
        Person("E_kid1", "c10", "LUIS", "GARCIA", "PEREZ", "", event="2021-01-05", group="G7"),
        Person("E_aunt", "h1", "ELENA", "IVANOVA", None, "1979-02-02", source="hhs", sex="F",
               sponsor_of="h2", stated="AUNT_UNCLE", phone="+15551234567"),
        Person("E_niece", "h2", "OLGA", "IVANOV", None, "2011-09-09", source="hhs", group=None,
               event="2021-03-01", phone="+15551234567"),
        Person("E_other", "i1", "ROSA", "KAUR", "", None, source="ice", sex="",
               address_key="12 MAIN ST 77001", phone="+15551234567"),
        Person("E_mother", "i2", "ANA", "PEREZ", "RAMOS", "1988-05-01", source="ice",
               address_key="12 MAIN ST 77001"),
    ]  # fmt: skip
    return people


def test_categorical_columns_give_what_object_columns_give() -> None:
    records, entities = frames(_world())
    held = records.copy()
    for column in (C.FAMILY_NAME_1, C.FAMILY_NAME_2, C.FAMILY_1_PHONETIC, C.FAMILY_2_PHONETIC,
                   C.DOB, C.DOB_QUALITY, C.EVENT_DATE, C.SEX, C.ROLE):  # fmt: skip
        held[column] = held[column].astype("category")  # as linker.reconcile holds them
    plain = infer_relations(records, entities)
    fast = infer_relations(held, entities)
    by_key = infer_relations(records, entities.drop(columns=[C.RECORD_ID]))
    assert len(plain.relations) > 10
    for other in (fast, by_key):
        pd.testing.assert_frame_equal(other.relations, plain.relations)
        pd.testing.assert_frame_equal(other.people, plain.people)
        pd.testing.assert_frame_equal(other.facts, plain.facts)
        pd.testing.assert_frame_equal(other.crowded, plain.crowded)
