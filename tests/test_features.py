"""Per-record features (linker/features.py): codes, text, numbers, and pair lookups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import FRAME_PROPERTY, canonical, ordered_pairs, random_records, standardized
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import process
from rapidfuzz.distance import OSA

from linker import columns as C
from linker.comparisons import jaro_winkler
from linker.distinct import per_distinct
from linker.features import (
    CITED_REF,
    FAMILY_SORTED,
    GIVEN_FULL,
    JOINT_GROUPS,
    PHONE_LAST7,
    SELF_REF,
    SINGLE_CODED,
    TEXT_COLUMNS,
    PairFeatures,
    TokenSets,
    _last_seven,
    _phone_last_seven,
    carries_data,
    derive_columns,
    prepare_features,
    reference_form,
    shares_within_country,
    token_subset,
)

# --- derived columns --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f1", "f2", "expected"),
    [
        ("NUNEZ", "GARCIA", "GARCIA NUNEZ"),
        ("GARCIA", "NUNEZ", "GARCIA NUNEZ"),  # either order, one key
        ("NUNEZ", None, "NUNEZ"),
        ("DE LA CRUZ", "LOPEZ", "DE LA CRUZ LOPEZ"),
        ("LOPEZ", "LOPEZ", "LOPEZ LOPEZ"),
        (None, None, None),
    ],
)
def test_family_sorted_ignores_surname_order(f1: object, f2: object, expected: object) -> None:
    records = canonical([{C.FAMILY_NAME_1: f1, C.FAMILY_NAME_2: f2}])
    value = derive_columns(records)[FAMILY_SORTED].iloc[0]
    assert value == expected if expected is not None else pd.isna(value)


def test_family_sorted_from_the_standardizer_agrees_across_orders() -> None:
    records = standardized([{"family_name": "Núñez García"}, {"family_name": "GARCIA NUNEZ"}])
    assert derive_columns(records)[FAMILY_SORTED].tolist() == ["GARCIA NUNEZ"] * 2


@pytest.mark.parametrize(
    ("given", "middle", "expected"),
    [
        ("JOSE", "LUIS", "JOSE LUIS"),
        ("MARIA JOSE", None, "MARIA JOSE"),
        (None, "LUIS", "LUIS"),
        (None, None, None),
    ],
)
def test_given_full_joins_given_and_middle(given: object, middle: object, expected: object) -> None:
    records = canonical([{C.GIVEN_NAME: given, C.MIDDLE_NAME: middle}])
    value = derive_columns(records)[GIVEN_FULL].iloc[0]
    assert value == expected if expected is not None else pd.isna(value)


@pytest.mark.parametrize(
    ("phone", "expected"),
    [("+17135551234", "5551234"), ("+1234567", "1234567"), ("+12345", None), (None, None)],
)
def test_phone_last7_needs_seven_characters(phone: object, expected: object) -> None:
    value = derive_columns(canonical([{C.PHONE: phone}]))[PHONE_LAST7].iloc[0]
    assert value == expected if expected is not None else pd.isna(value)


@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=30))
def test_phone_last7_is_the_same_by_arrow_and_per_distinct(phones: list[str | None]) -> None:
    # Arrow slices code points as Python does, whatever the text: the fast path and the
    # per-distinct path (a column Arrow cannot take) give one key.
    column = pd.Series(phones, dtype=object)
    arrow = _phone_last_seven(column)
    expected = per_distinct(_last_seven, {"phone": column})
    assert arrow.cat.categories.equals(expected.cat.categories)
    assert np.array_equal(arrow.cat.codes.to_numpy(), expected.cat.codes.to_numpy())


def test_phone_last7_takes_a_column_arrow_cannot() -> None:
    # a lone surrogate (from an odd encoding) is not UTF-8: the per-distinct way reads it
    key = _phone_last_seven(pd.Series(["+1713555\ud8001234", "+17135551234", None]))
    assert key.tolist()[:2] == ["55\ud8001234", "5551234"] and pd.isna(key.iloc[2])


def test_self_ref_is_what_a_cross_reference_cites() -> None:
    records = standardized(
        [
            {"source": "ice", "key": "ero-14-0009"},
            {"source": "cbp", "key": "C1", "cross_reference": "ERO14 0009"},
        ]
    )
    derived = derive_columns(records)
    assert derived[SELF_REF].tolist() == ["ice:ERO140009", "cbp:C1"]
    assert derived[CITED_REF].iloc[1] == derived[SELF_REF].iloc[0]
    assert records[C.CROSS_REFERENCE].iloc[1] == "ice:ERO14 0009"  # the record keeps it


@pytest.mark.parametrize(
    ("ref", "form"),
    [
        ("cbp:RGV190000287", "cbp:RGV190000287"),
        ("cbp:rgv-19-000287", "cbp:RGV19000287"),
        ("cbp: RGV 19/000287 ", "cbp:RGV19000287"),
        ("hhs:UC-0000001:sponsor", "hhs:UC0000001SPONSOR"),  # a related person's key
        ("cbp:Ñandú-1", "cbp:AND1"),  # what is not A-Z or 0-9 goes, accented too
        ("cbp:---", None),
        ("cbp:", None),
        ("no source named", None),
        (None, None),
    ],
)
def test_reference_form(ref: str | None, form: str | None) -> None:
    assert reference_form(pd.Series([ref, "ice:X1"], dtype=object)).tolist() == [form, "ice:X1"]


@given(st.lists(st.text(max_size=12) | st.none(), max_size=6))
def test_reference_form_never_raises_and_is_stable(refs: list[str | None]) -> None:
    values = pd.Series([r if r is None else f"src:{r}" for r in refs], dtype=object)
    once = reference_form(values)
    assert once.index.equals(values.index)
    assert reference_form(once).tolist() == once.tolist()
    assert all(v is None or (v.startswith("src:") and v[4:].isalnum()) for v in once)


def test_derive_and_prepare_leave_the_records_untouched() -> None:
    records = standardized([{"given_name": "José", "family_name": "Núñez", "phone": "7135551234"}])
    before = records.copy()
    derive_columns(records)
    prepare_features(records)
    pd.testing.assert_frame_equal(records, before)


def test_all_null_columns_are_fine() -> None:
    features = prepare_features(canonical([{}, {}]))
    for col in (*SINGLE_CODED, *(c for group in JOINT_GROUPS for c in group)):
        if col not in (C.SOURCE, C.ROW_KEY, SELF_REF):
            assert (features.codes[col] == -1).all(), col
    for col in TEXT_COLUMNS:
        assert (features.text_codes[col] == -1).all() and len(features.uniques[col]) == 0
    assert np.isnan(features.numbers[C.DOB_YEAR]).all()


# --- prepare_features -----------------------------------------------------------------


@pytest.mark.parametrize("ids", [[1, 0], [0, 2], [1, 2]])
def test_records_must_be_ordered_by_record_id(ids: list[int]) -> None:
    records = canonical([{}, {}]).assign(**{C.RECORD_ID: ids})
    with pytest.raises(ValueError, match="ordered by record_id"):
        prepare_features(records)


def test_codes_null_is_minus_one_equal_values_share_a_code() -> None:
    records = canonical([{C.SEX: "M"}, {C.SEX: None}, {C.SEX: "M"}, {C.SEX: "F"}])
    codes = prepare_features(records).codes[C.SEX]
    assert codes.dtype == np.int32
    assert codes[1] == -1
    assert codes[0] == codes[2] != codes[3]


def test_joint_groups_share_one_code_space() -> None:
    # The given name of one record and a surname of another compare by code.
    records = canonical(
        [
            {C.GIVEN_NAME_CANONICAL: "LOPEZ", C.FAMILY_NAME_1: "JUAN"},
            {C.GIVEN_NAME_CANONICAL: "JUAN", C.FAMILY_NAME_1: "PEREZ", C.FAMILY_NAME_2: "LOPEZ"},
        ]
    )
    codes = prepare_features(records).codes
    assert codes[C.GIVEN_NAME_CANONICAL][0] == codes[C.FAMILY_NAME_2][1]
    assert codes[C.GIVEN_NAME_CANONICAL][1] == codes[C.FAMILY_NAME_1][0]
    assert codes[C.FAMILY_NAME_2][0] == -1


def test_frequencies_are_shares_of_all_records() -> None:
    records = canonical([{C.PHONE: "+1"}, {C.PHONE: "+1"}, {C.PHONE: "+2"}, {C.PHONE: None}])
    features = prepare_features(records)
    got = features.frequency(C.PHONE, features.codes[C.PHONE])
    np.testing.assert_allclose(got, [0.5, 0.5, 0.25, np.nan])


@pytest.mark.parametrize(
    ("values", "countries", "shares"),
    [
        # a value's share among the records of its own country
        ([0, 0, 1, 0, 2], [0, 0, 0, 1, 1], [2 / 3, 2 / 3, 1 / 3, 1 / 2, 1 / 2]),
        # a null value or country has none; a record without a value still counts in
        # its country's whole, as in the shares over all records
        ([0, -1, 0, 1], [0, 0, -1, 0], [1 / 3, np.nan, np.nan, 1 / 3]),
        ([-1, -1], [-1, 3], [np.nan, np.nan]),
        ([], [], []),
    ],
)
def test_shares_within_country(values: list[int], countries: list[int], shares: list[float]):
    got = shares_within_country(np.array(values, np.int32), np.array(countries, np.int32))
    np.testing.assert_allclose(got, shares)


@given(
    st.lists(
        st.tuples(st.integers(-1, 4), st.integers(-1, 3)),
        max_size=60,
    )
)
def test_shares_within_country_sum_to_one_per_country(rows: list[tuple[int, int]]) -> None:
    values = np.array([v for v, _ in rows], np.int32)
    countries = np.array([c for _, c in rows], np.int32)
    shares = shares_within_country(values, countries)
    known = (values >= 0) & (countries >= 0)
    assert np.isnan(shares[~known]).all()
    assert ((shares[known] > 0) & (shares[known] <= 1)).all()
    for country in set(countries[known].tolist()):
        mine = known & (countries == country)
        # each distinct value's share, once, adds up to the country's share with a value
        distinct = {int(v): s for v, s in zip(values[mine], shares[mine], strict=True)}
        assert sum(distinct.values()) == pytest.approx(mine.sum() / (countries == country).sum())


def test_numbers_are_float_with_nan_and_quality_is_kept() -> None:
    records = standardized([{"dob": "2010-05-06"}, {"dob": "01/01/2011"}, {"dob": None}])
    features = prepare_features(records)
    np.testing.assert_array_equal(features.numbers[C.DOB_YEAR], [2010, 2011, np.nan])
    np.testing.assert_array_equal(features.numbers[C.DOB_MONTH], [5, np.nan, np.nan])
    qualities = [C.DOB_QUALITIES[code] for code in features.dob_quality]
    assert qualities == ["full", "placeholder", "missing"]
    pair = PairFeatures(features, np.array([0, 1]), np.array([1, 2]))
    assert pair.dob_quality_is("l", "full").tolist() == [True, False]
    assert pair.dob_quality_is("r", "missing").tolist() == [False, True]


# --- PairFeatures -----------------------------------------------------------------------


@pytest.fixture()
def pairs() -> PairFeatures:
    records = canonical(
        [
            {C.GIVEN_NAME: "ANA", C.SEX: "F"},
            {C.GIVEN_NAME: None, C.SEX: None},
            {C.GIVEN_NAME: "ANA", C.SEX: "F"},
            {C.GIVEN_NAME: None, C.SEX: None},
        ]
    )
    return PairFeatures(prepare_features(records), np.array([0, 0, 1, 2]), np.array([2, 1, 3, 0]))


def test_text_is_empty_for_null(pairs: PairFeatures) -> None:
    assert pairs.text(C.GIVEN_NAME, "l").tolist() == ["ANA", "ANA", "", "ANA"]
    assert pairs.text(C.GIVEN_NAME, "r").tolist() == ["ANA", "", "", "ANA"]


def test_equal_is_never_true_for_two_nulls(pairs: PairFeatures) -> None:
    assert pairs.equal(C.SEX).tolist() == [True, False, False, True]
    assert pairs.either_null(C.SEX).tolist() == [False, True, True, False]
    assert pairs.either_null(C.GIVEN_NAME).tolist() == [False, True, True, False]  # text column


def test_lookups_are_cached_per_column_and_side(pairs: PairFeatures) -> None:
    assert pairs.code(C.SEX, "l") is pairs.code(C.SEX, "l")
    assert not np.array_equal(pairs.code(C.SEX, "l"), pairs.code(C.SEX, "r"))
    assert len(pairs) == 4


def test_similarity_scores_each_distinct_value_pair_once() -> None:
    values = ["ANA", "ANA", "LUIS", None, "ANA", "LUIS"]
    records = canonical([{C.GIVEN_NAME: v} for v in values])
    left, right = ordered_pairs(len(values))
    calls: list[int] = []

    def scorer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        calls.append(len(a))
        return jaro_winkler(a, b)

    got = PairFeatures(prepare_features(records), left, right).similarity(C.GIVEN_NAME, scorer)
    assert calls == [4]  # (ANA, ANA), (ANA, LUIS), (LUIS, ANA), (LUIS, LUIS)
    assert (got[(left == 3) | (right == 3)] == 0).all()  # a null side scores 0


texts = st.one_of(st.none(), st.text(alphabet="ABJOSÉ Ñ-", max_size=6))


def left_prefix_of_right(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Asymmetric on purpose: catches left and right values swapped before scoring."""
    return np.array([y.startswith(x) + len(x) / 10 for x, y in zip(a, b, strict=True)])


def osa(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return process.cpdist(a, b, scorer=OSA.distance)


SCORERS = {
    "jaro_winkler": jaro_winkler,
    "osa": osa,
    "token_subset": token_subset,
    "asymmetric": left_prefix_of_right,
}


@FRAME_PROPERTY
@given(
    values=st.lists(texts, min_size=1, max_size=8),
    picks=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=30),
    scorer=st.sampled_from(sorted(SCORERS)),
)
def test_similarity_equals_scoring_every_pair(
    values: list[str | None], picks: list[tuple[int, int]], scorer: str
) -> None:
    n = len(values)
    left = np.array([a % n for a, _ in picks], dtype=np.int64)
    right = np.array([b % n for _, b in picks], dtype=np.int64)
    records = canonical([{C.GIVEN_NAME: v, C.ADDRESS: v} for v in values])
    pairs = PairFeatures(prepare_features(records), left, right)
    for column in (C.GIVEN_NAME, C.ADDRESS):
        got = pairs.similarity(column, SCORERS[scorer])
        expected = [
            float(SCORERS[scorer](np.array([values[a]]), np.array([values[b]]))[0])
            if values[a] is not None and values[b] is not None
            else 0.0
            for a, b in zip(left, right, strict=True)
        ]
        np.testing.assert_allclose(got, expected)


# Words drawn from a few, so that containment is common; spaces of several kinds and
# runs of them, repeats, empty and blank values, and values wider than TokenSets.WIDTH.
_word = st.sampled_from(["ANA", "MARIA", "JOSE", "LUIS", "DE", "A", "ANAMARIA", "JOSÉ"])
_space = st.sampled_from([" ", "  ", "\t", "\u00a0", "\u2003"])
token_texts = st.builds(
    lambda words, spaces, lead: lead
    + "".join(w + s for w, s in zip(words, spaces[: len(words)], strict=True)),
    st.lists(_word, max_size=7),
    st.lists(_space, min_size=7, max_size=7),
    st.sampled_from(["", " "]),
)


@FRAME_PROPERTY
@given(
    values=st.lists(token_texts, min_size=1, max_size=8),
    picks=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=40),
)
def test_token_sets_answer_as_token_set_ratio(
    values: list[str], picks: list[tuple[int, int]]
) -> None:
    n = len(values)
    left = np.array([a % n for a, _ in picks], dtype=np.int64)
    right = np.array([b % n for _, b in picks], dtype=np.int64)
    tokens = TokenSets.of(np.array(values, dtype=object))
    narrow = ~(tokens.wide[left] | tokens.wide[right])
    got = tokens.contained(left[narrow], right[narrow])
    text = np.array(values, dtype=object)
    expected = token_subset(text[left[narrow]], text[right[narrow]])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("JOSE", "JOSE EMILIO", True),  # one part of a compound given name
        ("EMILIO JOSE", "JOSE EMILIO", True),  # order is not looked at
        ("JOSE JOSE", "JOSE", True),  # repeats count once
        ("JOSE", "JOSEFINA", False),  # words, not prefixes
        ("ANA MARIA", "MARIA LUISA", False),  # overlap is not containment
        ("A B C D E", "A B C D E F", True),  # wider than WIDTH: rapidfuzz decides
        ("A B C D E", "A B C D X F", False),
    ],
)
def test_tokens_contained_reads_words_as_sets(a: str, b: str, expected: bool) -> None:
    records = canonical([{C.GIVEN_NAME: a}, {C.GIVEN_NAME: b}])
    pairs = PairFeatures(prepare_features(records), np.array([0, 1]), np.array([1, 0]))
    got = pairs.tokens_contained(GIVEN_FULL, np.ones(2, dtype=bool))
    assert got.tolist() == [expected, expected]


def test_tokens_contained_only_where_asked_and_never_for_nulls() -> None:
    records = canonical([{C.GIVEN_NAME: "JOSE"}, {C.GIVEN_NAME: "JOSE"}, {C.GIVEN_NAME: None}])
    pairs = PairFeatures(prepare_features(records), np.array([0, 0, 2]), np.array([1, 1, 0]))
    got = pairs.tokens_contained(GIVEN_FULL, np.array([True, False, True]))
    assert got.tolist() == [True, False, False]


@FRAME_PROPERTY
@given(random_records)
def test_codes_agree_with_values(records: pd.DataFrame) -> None:
    features = prepare_features(records)
    frame = pd.concat([records, derive_columns(records)], axis=1)
    left, right = ordered_pairs(len(records))
    pairs = PairFeatures(features, left, right)
    for col in SINGLE_CODED:
        values = frame[col].to_numpy(dtype=object)
        present = pd.notna(values)
        assert ((features.codes[col] >= 0) == present).all(), col
        same = present[left] & present[right] & (values[left] == values[right])
        np.testing.assert_array_equal(pairs.equal(col), same, err_msg=col)
    for group in JOINT_GROUPS:
        for a in group:
            for b in group:
                va, vb = frame[a].to_numpy(dtype=object), frame[b].to_numpy(dtype=object)
                same = pd.notna(va[left]) & pd.notna(vb[right]) & (va[left] == vb[right])
                np.testing.assert_array_equal(pairs.equal(a, b), same, err_msg=f"{a}~{b}")


@FRAME_PROPERTY
@given(random_records, st.integers(2, 4))
def test_features_do_not_depend_on_the_number_of_threads(
    records: pd.DataFrame, workers: int
) -> None:
    one, many = prepare_features(records), prepare_features(records, workers=workers)
    for name in ("codes", "text_codes", "numbers", "frequencies"):
        a, b = getattr(one, name), getattr(many, name)
        assert list(a) == list(b), name
        for col in a:
            np.testing.assert_array_equal(a[col], b[col], err_msg=f"{name}[{col}]")
    for col in TEXT_COLUMNS:
        assert list(one.uniques[col]) == list(many.uniques[col]), col
        assert all(isinstance(v, str) for v in many.uniques[col]), col


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([None] * 1_500 + ["GARCIA"], True),  # the only value after the rows looked at first
        (["GARCIA"] + [None] * 1_500, True),
        ([None, np.nan, pd.NA] * 600, False),
        ([], False),
    ],
)
def test_carries_data_is_any_not_null(values: list[object], expected: bool) -> None:
    series = pd.Series(values, dtype=object)
    assert carries_data(series) is expected
    assert carries_data(series.astype("category")) is expected


typo_texts = st.one_of(st.none(), st.text(alphabet="0129AĀ\x00-", max_size=5))


@FRAME_PROPERTY
@given(
    values=st.lists(typo_texts, min_size=1, max_size=8),
    picks=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.booleans()), max_size=30),
)
def test_one_edit_apart_is_osa_distance_one(
    values: list[str | None], picks: list[tuple[int, int, bool]]
) -> None:
    n = len(values)
    left = np.array([a % n for a, _, _ in picks], dtype=np.int64)
    right = np.array([b % n for _, b, _ in picks], dtype=np.int64)
    where = np.array([w for _, _, w in picks], dtype=bool)
    records = canonical([{C.A_NUMBER: v, C.DOCUMENT_ID: v} for v in values])
    pairs = PairFeatures(prepare_features(records), left, right)
    for column in (C.A_NUMBER, C.DOCUMENT_ID):
        expected = [
            bool(w) and a is not None and b is not None and OSA.distance(a, b) == 1
            for a, b, w in zip(
                [values[i] for i in left], [values[i] for i in right], where, strict=True
            )
        ]
        assert pairs.one_edit_apart(column, where).tolist() == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1990-04-12", "1990-04-13", True),  # one digit
        ("1990-04-12", "1990-04-21", True),  # adjacent digits swapped
        ("1990-04-12", "1909-04-12", True),
        ("1990-04-12", "1990-12-04", False),  # day and month swapped: a level of its own
        ("1990-04-12", "1991-04-13", False),  # two digits
        ("A12345678", "A1234567", True),  # one dropped: rapidfuzz's part
        ("A12345678", "A123456", False),
    ],
)
def test_one_edit_apart_cases(a: str, b: str, expected: bool) -> None:
    records = canonical([{C.DOCUMENT_ID: a}, {C.DOCUMENT_ID: b}])
    pairs = PairFeatures(prepare_features(records), np.array([0]), np.array([1]))
    assert pairs.one_edit_apart(C.DOCUMENT_ID, np.array([True])).tolist() == [expected]


def test_text_codes_tell_values_apart_past_a_nul() -> None:
    # pandas hashes all-string arrays as C strings, which end at the first NUL
    records = canonical([{C.DOCUMENT_ID: "10"}, {C.DOCUMENT_ID: "10\x001"}, {C.DOCUMENT_ID: "10"}])
    features = prepare_features(records)
    codes = features.text_codes[C.DOCUMENT_ID]
    assert codes[0] == codes[2] != codes[1]
    assert features.uniques[C.DOCUMENT_ID][codes[1]] == "10\x001"
