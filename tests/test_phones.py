from __future__ import annotations

import random

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linker import columns as C
from linker.standardize.phones import (
    _PLAIN_CODES,
    _with_plain_code,
    standardize_phone,
    standardize_phones,
)

HOUSTON = "+17135550123"


def one(value: object, region: str = "US") -> str | None:
    return standardize_phones(pd.Series([value], dtype=object), default_region=region).iloc[0]


@pytest.mark.parametrize(
    "raw",
    [
        "(713) 555-0123",
        "713-555-0123",
        "713.555.0123",
        "7135550123",
        "713 555 0123",
        "(713)555-0123",
        "+1 713 555 0123",
        "+1 (713) 555-0123",
        "+17135550123",
        "1-713-555-0123",
        "1 713 555 0123",
        "17135550123",
        "  713-555-0123  ",
        "713-555-0123 x123",
        "713 555 0123 ext. 45",
        "713-555-0123 extension 7",
        "+1 713 555 0123 #12",
        "７１３-５５５-０１２３",  # full-width digits
        7135550123,
        7135550123.0,
        np.int64(7135550123),
        "7135550123.0",  # a spreadsheet's float, exported as text
        "7135550123.00",
    ],
)
def test_us_formats_read_as_one_e164(raw: object) -> None:
    assert one(raw) == HOUSTON


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(713) 555-0123 / (832) 555-0100", HOUSTON),  # the first valid number
        ("713-555-0123; 832-555-0100", HOUSTON),
        ("713-555-0123 or 832-555-0100", HOUSTON),
        ("713 555 0123 y 832 555 0100", HOUSTON),
        ("555-0100 / 713-555-0123", HOUSTON),  # a short one first is skipped
        ("+502 5555 1234, +1 713 555 0123", "+50255551234"),
        ("999-999-9999 / 000-000-0000", None),  # placeholders stay null
        ("123,456", None),
        ("7135550123.5", None),  # not an integer: no number
    ],
)
def test_a_field_with_several_numbers_keeps_the_first_valid(raw: str, expected: str | None) -> None:
    assert one(raw) == expected
    assert standardize_phone(raw, fast=False) == expected


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+502 5555 1234", "US", "+50255551234"),
        ("00502 5555 1234", "US", "+50255551234"),  # the "00" most of the world dials
        ("011 502 5555 1234", "US", "+50255551234"),  # the U.S. international prefix
        ("+52 55 1234 5678", "US", "+525512345678"),
        # a Mexican mobile with the "1" dropped in 2019 is the same phone as without it
        ("+52 1 55 1234 5678", "US", "+525512345678"),
        ("011 52 1 664 123 4567", "US", "+526641234567"),
        ("1 55 1234 5678", "MX", "+525512345678"),
        ("+52 1 55 1234 567", "US", None),  # one digit short either way
        # a country code written without its "+": another country's valid number
        ("502-5555-1234", "US", "+50255551234"),
        ("(502) 5555-1234", "US", "+50255551234"),
        ("503.7777.1234", "US", "+50377771234"),
        ("52 1 55 1234 5678", "US", "+525512345678"),
        ("57 300 123 4567", "US", "+573001234567"),
        ("50255551234", "US", None),  # no group sets a country code apart
        ("5025 555 1234", "US", None),
        ("5555 1234", "GT", "+50255551234"),  # national number in its own region
        ("00502 5555 1234", "GT", "+50255551234"),
        ("+1 713 555 0123", "GT", HOUSTON),
        ("713-555-0123", "us", HOUSTON),  # region code case-insensitive
        ("416-555-0123", "US", "+14165550123"),  # Canada shares +1
        ("876-555-0123", "US", "+18765550123"),  # Jamaica shares +1
    ],
)
def test_international_and_regions(raw: str, region: str, expected: str | None) -> None:
    assert one(raw, region) == expected


def at_home(value: object, home: object, region: str = "US") -> str | None:
    homes = pd.Series([home], dtype=object)
    return standardize_phones(pd.Series([value], dtype=object), region, homes).iloc[0]


@pytest.mark.parametrize(
    ("raw", "home", "expected"),
    [
        # a run of digits opening with the person's own country code
        ("50255551234", "GT", "+50255551234"),
        ("503 7777 1234", "SV", "+50377771234"),
        ("5215512345678", "MX", "+525512345678"),  # with the Mexican mobile "1" dropped
        # a national number of the person's country
        ("5555 1234", "GT", "+50255551234"),
        ("55551234", "GT", "+50255551234"),
        # read in the default region first, whatever the country
        ("713-555-0123", "GT", HOUSTON),
        ("+502 5555 1234", "MX", "+50255551234"),
        # no home country, or no valid number there: still nothing
        ("50255551234", None, None),
        ("5555 1234", None, None),
        ("50255551234", "US", None),
        ("50255551234", "HN", None),  # +504 is Honduras: a Guatemalan number is not
        ("50455551234", "HN", None),  # no valid Honduran number
        ("0000 0000", "GT", None),  # a placeholder anywhere
        ("30555501992", "GR", None),  # a U.S. number with a digit too many
        ("5555 1234 abc", "GT", None),  # not a number alone
    ],
)
def test_a_number_read_as_nothing_is_read_in_the_home_country(
    raw: str, home: str | None, expected: str | None
) -> None:
    assert at_home(raw, home) == expected


def test_home_countries_are_read_per_row() -> None:
    values = pd.Series(["50255551234", "50255551234", "5555 1234", None], index=[7, 3, 9, 1])
    homes = pd.Series(["GT", "HN", "GT", "GT"], index=[7, 3, 9, 1])
    out = standardize_phones(values, "US", homes)
    assert out.index.tolist() == [7, 3, 9, 1]
    assert out.tolist() == ["+50255551234", None, "+50255551234", None]


@pytest.mark.parametrize(
    "raw",
    [
        None,
        np.nan,
        pd.NA,
        "",
        "   ",
        "N/A",
        "none",
        "Unknown",
        "DESCONOCIDO",
        "0000000000",  # placeholders
        "2222222222",
        "999-999-9999",
        "1-111-111-1111",
        "123-456-7890",  # area code starting with 1
        "023-456-7890",  # area code starting with 0
        "713-055-0123",  # exchange starting with 0
        "713-155-0123",  # exchange starting with 1
        "555-0123",  # too short
        "713-555-012",
        "12",
        "713-555-01234",  # too long
        "30555501992",  # a U.S. number with a digit too many is no Greek number
        "415 555 0100 9",  # a stray digit: its first group is no country code
        "4155550100 9",
        "abc",
        "+",
        "x123",
        "7" * 300,
    ],
)
def test_invalid_or_missing_is_null(raw: object) -> None:
    assert one(raw) is None


def test_same_index_name_and_dtype() -> None:
    values = pd.Series(["713-555-0123", None, "bad"], index=["r9", "r1", "r9"])
    out = standardize_phones(values)
    assert out.index.equals(values.index)
    assert out.name == C.PHONE
    assert out.dtype == object
    assert out.tolist() == [HOUSTON, None, None]


def test_empty_series() -> None:
    out = standardize_phones(pd.Series([], dtype=object))
    assert out.empty and out.dtype == object


def test_input_not_mutated() -> None:
    values = pd.Series(["(713) 555-0123", None])
    before = values.copy()
    standardize_phones(values)
    pd.testing.assert_series_equal(values, before)


def test_fast_path_agrees_with_phonenumbers() -> None:
    """The U.S. shortcut must give what phonenumbers.parse + is_valid_number gives."""
    rng = random.Random(7)
    shapes = [
        "({a}) {b}-{c}",
        "{a}-{b}-{c}",
        "{a}.{b}.{c}",
        "{a}{b}{c}",
        "+1 {a} {b} {c}",
        "1-{a}-{b}-{c}",
        "1{a}{b}{c}",
        "{a}-{b}-{c} x12",
    ]
    sample = [
        rng.choice(shapes).format(
            a=f"{rng.randint(200, 999)}",
            b=f"{rng.randint(0, 999):03d}",
            c=f"{rng.randint(0, 9999):04d}",
        )
        for _ in range(3000)
    ]
    sample += ["4165550123", "8765550123", "2222222222", "8005550199", "9005550199"]
    fast = [standardize_phone(v) for v in sample]
    slow = [standardize_phone(v, fast=False) for v in sample]
    assert fast == slow
    assert 0 < sum(v is not None for v in fast) < len(sample)  # both kinds exercised


def _with_code(rng: random.Random, code: str, region: str) -> str:
    """A number of `region` (an example of some type, perhaps mistyped, shortened or
    lengthened, or random digits) written with its code, in random groups and
    separators, with or without "+"."""
    example = phonenumbers.example_number_for_type(region, rng.randrange(12))
    if example is not None and rng.random() < 0.6:
        national = str(example.national_number)
        if rng.random() < 0.4:
            at = rng.randrange(len(national))
            national = national[:at] + rng.choice("0123456789") + national[at + 1 :]
        if rng.random() < 0.2:
            national = national[:-1] if rng.random() < 0.5 else national + rng.choice("0123456789")
        if rng.random() < 0.1:
            national = "1" + national  # Mexico's old mobile "1", and elsewhere a stray digit
    else:
        national = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 16)))
    digits = code + national
    cut = len(code) if rng.random() < 0.8 else rng.randint(1, len(digits))
    groups, at = [digits[:cut]], cut
    while at < len(digits):
        size = rng.randint(1, 5)
        groups.append(digits[at : at + size])
        at += size
    separator = rng.choice([" ", "-", ".", ""])
    text = separator.join(groups) if separator else digits
    return "+" + text if rng.random() < 0.6 else text


def test_numbers_with_a_country_code_agree_with_phonenumbers() -> None:
    """The shortcut for numbers written with their country code (`_with_plain_code`)
    gives what phonenumbers gives, on every country it reads, and decides most."""
    rng = random.Random(11)
    sample = []
    for _ in range(8):
        for code, region in sorted(_PLAIN_CODES.items()):
            sample.append(_with_code(rng, code, region))
    # runs of digits, some with a first group set apart, of every length around NANP's
    for _ in range(1500):
        run = str(rng.randint(2, 9)) + "".join(
            rng.choice("0123456789") for _ in range(rng.randint(2, 18))
        )
        cut = rng.randint(1, 4)
        sample.append(run if rng.random() < 0.5 else f"{run[:cut]} {run[cut:]}")
    fast = [standardize_phone(v) for v in sample]
    slow = [standardize_phone(v, fast=False) for v in sample]
    assert fast == slow
    decided = [v for v in sample if _with_plain_code(v)[0]]
    assert len(decided) > 0.6 * len(sample)
    valid = [
        f for v, f in zip(sample, fast, strict=True) if f is not None and _with_plain_code(v)[0]
    ]
    assert len(valid) > 200  # valid numbers of many countries, not only rejects
    assert len({phonenumbers.parse(v).country_code for v in valid}) > 90


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+502 5610 8296", "+50256108296"),
        ("502-5610-8296", "+50256108296"),  # no "+": the first group is the code
        ("52 33 4693 5405", "+523346935405"),
        ("+52 1 55 1234 5678", "+525512345678"),  # Mexico's old mobile "1" dropped
        ("+58.414.763.5630", "+584147635630"),
        ("+502 2222 2222", None),  # a placeholder
        ("+502 5610 829", None),  # a digit short
        ("50256108296", None),  # no group sets the code apart
        ("5025 610 8296", None),  # the first group is no code
        ("4198 9032", None),  # no NANP number has eight digits
    ],
)
def test_numbers_with_a_country_code_read_without_phonenumbers(
    raw: str, expected: str | None
) -> None:
    assert _with_plain_code(raw) == (True, expected)
    assert standardize_phone(raw, fast=False) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "+44 20 7946 0958",  # +44 is several regions: phonenumbers chooses
        "+39 06 6988 4444",  # a national number opening with 0
        "310-6959",  # seven digits: a Canadian service number
        "416 494 1502",  # ten digits: NANP's reading first
        "(502) 5610 8296",  # brackets: not the shape read in bulk
        "1 502 5610 8296",  # opening with 1: NANP's
    ],
)
def test_other_shapes_are_left_to_phonenumbers(raw: str) -> None:
    assert _with_plain_code(raw) == (False, None)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(_PLAIN_CODES)),
    st.text(alphabet="0123456789", min_size=1, max_size=16),
    st.sampled_from(["", "+"]),
    st.sampled_from([" ", "-", ".", ""]),
    st.integers(min_value=0, max_value=6),
)
def test_bulk_reading_of_a_country_code_is_phonenumbers_reading(
    code: str, national: str, plus: str, separator: str, cut: int
) -> None:
    text = f"{plus}{code}{separator}{national[:cut]}{separator}{national[cut:]}".rstrip(" .-")
    assert standardize_phone(text) == standardize_phone(text, fast=False)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_never_raises(text: str) -> None:
    out = one(text)
    assert out is None or (out.startswith("+") and out[1:].isdigit())


digits = st.text(alphabet="0123456789", min_size=7, max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.one_of(digits, digits.map(lambda d: "+" + d), digits.map(lambda d: "+1" + d[:10])))
def test_e164_is_a_fixed_point(raw: str) -> None:
    first = one(raw)
    if first is not None:
        assert one(first) == first
        assert one(first, "GT") == first  # E.164 does not depend on the default region


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=20), digits), min_size=1, max_size=12))
def test_value_result_is_independent_of_batch(values: list[str | None]) -> None:
    batch = standardize_phones(pd.Series(values, dtype=object)).tolist()
    assert batch == [one(v) for v in values]


countries = st.sampled_from([None, "GT", "HN", "SV", "MX", "US", "CO"])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.text(max_size=20), digits), countries),
        min_size=1,
        max_size=12,
    )
)
def test_home_reading_is_independent_of_batch(rows: list[tuple[str | None, str | None]]) -> None:
    values = pd.Series([v for v, _ in rows], dtype=object)
    homes = pd.Series([h for _, h in rows], dtype=object)
    batch = standardize_phones(values, "US", homes).tolist()
    assert batch == [at_home(v, h) for v, h in rows]
    # a home country only ever fills a number the default region left null
    for got, plain in zip(batch, standardize_phones(values).tolist(), strict=True):
        assert plain is None or got == plain
