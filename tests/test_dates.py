from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linker import columns as C
from linker.errors import ConfigError, DataContractError
from linker.standardize.dates import (
    DOB_INVALID,
    EVENT_DATE_INVALID,
    standardize_dob,
    standardize_event_date,
)

TODAY = date(2024, 6, 1)
NA = None  # expected null part

# raw value, declared format, expected (dob, year, month, day, quality, invalid)
DOB_CASES = [
    # ISO and its variants
    ("2005-03-14", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("2005/03/14", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("2005.03.14", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("20050314", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("2005-03-14 00:00:00", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("2005-03-14T10:22:33Z", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("  2005-3-4  ", None, ("2005-03-04", 2005, 3, 4, "full", False)),
    # US and day-first slashes
    ("03/14/2005", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("3/14/2005 10:00 AM", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("14/03/2005", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("03/04/2005", None, ("2005-03-04", 2005, 3, 4, "full", False)),  # ambiguous: month-first
    ("03/04/2005", "%d/%m/%Y", ("2005-04-03", 2005, 4, 3, "full", False)),  # follows fmt
    ("03142005", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("14032005", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    # two-digit years: never in the future
    ("3/14/05", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("3/14/24", None, ("2024-03-14", 2024, 3, 14, "full", False)),
    ("7/14/24", None, ("1924-07-14", 1924, 7, 14, "full", False)),
    ("3/14/30", None, ("1930-03-14", 1930, 3, 14, "full", False)),
    ("14-MAR-05", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    # two digits first that can be no day: a year, then month and day
    ("96-02-22", None, ("1996-02-22", 1996, 2, 22, "full", False)),
    ("96/22/02", None, ("1996-02-22", 1996, 2, 22, "full", False)),  # day and month swapped
    ("05-03-14", None, ("2014-05-03", 2014, 5, 3, "full", False)),  # 05 can be a month
    ("03/14/05", "%m/%d/%y", ("2005-03-14", 2005, 3, 14, "full", False)),
    ("03/14/70", "%m/%d/%y", ("1970-03-14", 1970, 3, 14, "full", False)),
    # month names, English and Spanish, with diacritics
    ("14-MAR-2005", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("14 Mar 2005", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("14MAR2005", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("March 14, 2005", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("Monday, March 14th, 2005", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("2005 Mar 14", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("14 de marzo de 2005", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("14-ENE-2005", None, ("2005-01-14", 2005, 1, 14, "full", False)),
    ("3 de abril de 2005", None, ("2005-04-03", 2005, 4, 3, "full", False)),
    ("agosto 3, 2001", None, ("2001-08-03", 2001, 8, 3, "full", False)),
    ("31 DICIEMBRE 1999", None, ("1999-12-31", 1999, 12, 31, "full", False)),
    ("Sábado 3 de agosto de 2002", None, ("2002-08-03", 2002, 8, 3, "full", False)),
    ("1º de mayo de 2010", None, ("2010-05-01", 2010, 5, 1, "full", False)),
    ("12 févr. 2003", None, ("2003-02-12", 2003, 2, 12, "full", False)),
    ("14 de março de 2005", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("２００５-０３-１４ １０:００", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ("2005-03-14t10:00:00z", None, ("2005-03-14", 2005, 3, 14, "full", False)),
    # partial dates
    ("2005", None, (NA, 2005, NA, NA, "year", False)),
    ("2005.0", None, (NA, 2005, NA, NA, "year", False)),
    ("03/2005", None, (NA, 2005, 3, NA, "year_month", False)),
    ("2005-03", None, (NA, 2005, 3, NA, "year_month", False)),
    ("marzo 2005", None, (NA, 2005, 3, NA, "year_month", False)),
    ("2005-03-00", None, (NA, 2005, 3, NA, "year_month", False)),
    # placeholders: only the year is trusted
    ("01/01/2005", None, (NA, 2005, NA, NA, "placeholder", False)),
    ("2005-01-01", "%Y-%m-%d", (NA, 2005, NA, NA, "placeholder", False)),
    ("1 de enero de 1990", None, (NA, 1990, NA, NA, "placeholder", False)),
    ("2005-00-00", None, (NA, 2005, NA, NA, "placeholder", False)),
    ("00/00/2005", None, (NA, 2005, NA, NA, "placeholder", False)),
    # a declared format; values that do not fit fall back to inference
    ("03/14/2005", "%m/%d/%Y", ("2005-03-14", 2005, 3, 14, "full", False)),
    ("25/04/2005", "%m/%d/%Y", ("2005-04-25", 2005, 4, 25, "full", False)),  # swapped
    ("2005-04-25", "%m/%d/%Y", ("2005-04-25", 2005, 4, 25, "full", False)),
    ("2005-25-04", None, ("2005-04-25", 2005, 4, 25, "full", False)),
    ("2005", "%Y", (NA, 2005, NA, NA, "year", False)),
    ("03/2005", "%m/%Y", (NA, 2005, 3, NA, "year_month", False)),
    # an impossible day or month: invalid, the row keeps going with the year alone
    ("13/13/2005", None, (NA, 2005, NA, NA, "year", True)),
    ("13/13/05", None, (NA, 2005, NA, NA, "year", True)),
    ("2005-13-14", None, (NA, 2005, NA, NA, "year", True)),
    ("32/01/2005", None, (NA, 2005, NA, NA, "year", True)),
    ("2005-02-30", None, (NA, 2005, NA, NA, "year", True)),
    ("02/30/2005", "%m/%d/%Y", (NA, 2005, NA, NA, "year", True)),
    ("31 febrero 2005", None, (NA, 2005, NA, NA, "year", True)),
    ("2004-02-29", None, ("2004-02-29", 2004, 2, 29, "full", False)),
    ("2005-02-29", None, (NA, 2005, NA, NA, "year", True)),
    # unreadable, or no year to trust: invalid and missing
    ("1899-05-05", None, (NA, NA, NA, NA, "missing", True)),
    ("1850", None, (NA, NA, NA, NA, "missing", True)),
    ("2024-06-02", None, (NA, NA, NA, NA, "missing", True)),  # after today
    ("2024-06-01", None, ("2024-06-01", 2024, 6, 1, "full", False)),  # today itself
    ("2025", None, (NA, NA, NA, NA, "missing", True)),
    ("07/2024", None, (NA, NA, NA, NA, "missing", True)),
    ("garbage", None, (NA, NA, NA, NA, "missing", True)),
    ("14 Foo 2005", None, (NA, NA, NA, NA, "missing", True)),
    ("12345", None, (NA, NA, NA, NA, "missing", True)),
    # nulls and written stand-ins for "no date" are missing but not invalid
    (None, None, (NA, NA, NA, NA, "missing", False)),
    (np.nan, None, (NA, NA, NA, NA, "missing", False)),
    (pd.NA, None, (NA, NA, NA, NA, "missing", False)),
    (pd.NaT, None, (NA, NA, NA, NA, "missing", False)),
    ("", None, (NA, NA, NA, NA, "missing", False)),
    ("   ", None, (NA, NA, NA, NA, "missing", False)),
    ("\t\n", "%m/%d/%Y", (NA, NA, NA, NA, "missing", False)),
    ("UNKNOWN", None, (NA, NA, NA, NA, "missing", False)),
    ("Desconocido", None, (NA, NA, NA, NA, "missing", False)),
    ("00/00/0000", None, (NA, NA, NA, NA, "missing", False)),
    # non-string values from Parquet or spreadsheets
    (pd.Timestamp("2005-03-14"), None, ("2005-03-14", 2005, 3, 14, "full", False)),
    (date(2001, 2, 3), None, ("2001-02-03", 2001, 2, 3, "full", False)),
    (20050314, None, ("2005-03-14", 2005, 3, 14, "full", False)),
    (20050314.0, None, ("2005-03-14", 2005, 3, 14, "full", False)),
    (12.5, None, (NA, NA, NA, NA, "missing", True)),
    ("2005.5", None, (NA, 2005, 5, NA, "year_month", False)),
    # cells exported to keep a spreadsheet from reading them as numbers or dates
    ('="03/14/2005"', None, ("2005-03-14", 2005, 3, 14, "full", False)),
    ('="2005-03-14"', "%Y-%m-%d", ("2005-03-14", 2005, 3, 14, "full", False)),
    ("'03/14/2005", "%m/%d/%Y", ("2005-03-14", 2005, 3, 14, "full", False)),
    ('="20050314"', None, ("2005-03-14", 2005, 3, 14, "full", False)),
]

DOB_COLUMNS = [C.DOB, C.DOB_YEAR, C.DOB_MONTH, C.DOB_DAY, C.DOB_QUALITY, DOB_INVALID]


def _row(frame: pd.DataFrame, i: int = 0) -> tuple[object, ...]:
    return tuple(None if pd.isna(v) else v for v in frame.iloc[i].tolist())


@pytest.mark.parametrize(("raw", "fmt", "expected"), DOB_CASES)
def test_dob_cases(raw: object, fmt: str | None, expected: tuple[object, ...]) -> None:
    out = standardize_dob(pd.Series([raw], dtype=object), fmt=fmt, today=TODAY)
    assert list(out.columns) == DOB_COLUMNS
    assert _row(out) == expected


def test_the_same_text_reads_as_each_declared_format_says_in_turn() -> None:
    # Readings are remembered per text and format (and day), never per text alone.
    for fmt, expected in [("%d/%m/%Y", 4), ("%m/%d/%Y", 3), ("%d/%m/%Y", 4), (None, 3)]:
        out = standardize_dob(pd.Series(["03/04/2005"], dtype=object), fmt=fmt, today=TODAY)
        assert out[C.DOB_MONTH].iloc[0] == expected, fmt
    for today, year in [(date(2024, 6, 1), 2005), (date(2004, 6, 1), 1905)]:
        out = standardize_dob(pd.Series(["03/04/05"], dtype=object), today=today)
        assert out[C.DOB_YEAR].iloc[0] == year, today


def test_dob_whole_column_and_dtypes() -> None:
    raws = [raw for raw, fmt, _ in DOB_CASES if fmt is None]
    expected = [exp for _, fmt, exp in DOB_CASES if fmt is None]
    index = pd.Index([f"r{i}" for i in range(len(raws))])
    out = standardize_dob(pd.Series(raws, index=index, dtype=object), today=TODAY)
    assert out.index.equals(index)
    assert [_row(out, i) for i in range(len(out))] == expected
    assert str(out[C.DOB_YEAR].dtype) == "Int16"
    assert str(out[C.DOB_MONTH].dtype) == "Int8"
    assert str(out[C.DOB_DAY].dtype) == "Int8"
    assert out[DOB_INVALID].dtype == bool
    assert set(out[C.DOB_QUALITY]) <= set(C.DOB_QUALITIES)


def test_string_and_datetime_dtypes_are_read() -> None:
    text = pd.Series(["2005-03-14", None], dtype="string")
    stamps = pd.Series(pd.to_datetime(["2005-03-14", None]))
    for values in (text, stamps):
        out = standardize_dob(values, today=TODAY)
        assert out[C.DOB].tolist() == ["2005-03-14", None]
        assert out[C.DOB_QUALITY].tolist() == ["full", "missing"]


@pytest.mark.parametrize(
    ("flag", "quality"),
    [
        ("Y", "estimated"),
        ("yes", "estimated"),
        ("True", "estimated"),
        (True, "estimated"),
        (1, "estimated"),
        ("1", "estimated"),
        ("Sí", "estimated"),
        (" si ", "estimated"),
        ("N", "full"),
        ("No", "full"),
        (False, "full"),
        (0, "full"),
        ("", "full"),
        (None, "full"),
        (np.nan, "full"),
        (pd.NA, "full"),
    ],
)
def test_estimated_flag(flag: object, quality: str) -> None:
    values = pd.Series(["2005-03-14"], index=[7])
    out = standardize_dob(values, estimated=pd.Series([flag], index=[7], dtype=object), today=TODAY)
    assert out[C.DOB_QUALITY].iloc[0] == quality
    assert out[C.DOB_YEAR].iloc[0] == 2005
    if quality == "estimated":
        assert out[C.DOB].iloc[0] is None
        assert pd.isna(out[C.DOB_MONTH].iloc[0]) and pd.isna(out[C.DOB_DAY].iloc[0])
    else:
        assert out[C.DOB].iloc[0] == "2005-03-14"


def test_estimated_keeps_missing_and_invalid_as_they_are() -> None:
    values = pd.Series([None, "garbage", "2005", "2005-02-30"])
    flags = pd.Series(["Y", "Y", "Y", "Y"])
    out = standardize_dob(values, estimated=flags, today=TODAY)
    # an impossible date's year is an estimate like any other, still counted invalid
    assert out[C.DOB_QUALITY].tolist() == ["missing", "missing", "estimated", "estimated"]
    assert out[DOB_INVALID].tolist() == [False, True, False, True]
    assert out[C.DOB_YEAR].tolist() == [pd.NA, pd.NA, 2005, 2005]


def test_estimated_must_share_the_index() -> None:
    with pytest.raises(DataContractError):
        standardize_dob(pd.Series(["2005"], index=[1]), estimated=pd.Series(["Y"], index=[2]))


@pytest.mark.parametrize("fmt", ["%m/%d", "%Q/%Y", "%d-%m-%-Y"])
def test_bad_format_is_a_config_error(fmt: str) -> None:
    with pytest.raises(ConfigError):
        standardize_dob(pd.Series(["2005"]), fmt=fmt)


def test_default_today_rejects_next_year() -> None:
    next_year = str(date.today().year + 1)
    out = standardize_dob(pd.Series([next_year, "2000"]))
    assert out[DOB_INVALID].tolist() == [True, False]


def test_input_is_not_mutated() -> None:
    values = pd.Series([" 2005-03-14 ", None], dtype=object)
    before = values.copy()
    standardize_dob(values, estimated=pd.Series(["Y", "N"]), today=TODAY)
    standardize_event_date(values)
    pd.testing.assert_series_equal(values, before)


@pytest.mark.parametrize(
    ("raw", "fmt", "iso", "invalid"),
    [
        ("2019-05-03 14:22:00", None, "2019-05-03", False),
        ("05/03/2019", None, "2019-05-03", False),
        ("05/03/2019", "%d/%m/%Y", "2019-03-05", False),
        ("3 de mayo de 2019", None, "2019-05-03", False),
        ("2020-01-01", None, "2020-01-01", False),  # no placeholder logic for events
        ("2019", None, None, True),
        ("2019-03", None, None, True),
        ("2019-00-00", None, None, True),
        ("2019-02-30", None, None, True),
        ("1850-01-02", None, None, True),
        ("not a date", None, None, True),
        (None, None, None, False),
        (np.nan, None, None, False),
        (pd.NA, None, None, False),
        ("", None, None, False),
        ("  ", None, None, False),
    ],
)
def test_event_date_cases(raw: object, fmt: str | None, iso: str | None, invalid: bool) -> None:
    out = standardize_event_date(pd.Series([raw], index=["k"], dtype=object), fmt=fmt)
    assert list(out.columns) == [C.EVENT_DATE, EVENT_DATE_INVALID]
    assert out.index.tolist() == ["k"]
    assert out[C.EVENT_DATE].iloc[0] == iso
    assert bool(out[EVENT_DATE_INVALID].iloc[0]) is invalid


# --- properties ------------------------------------------------------------------------

formats = st.sampled_from([None, "%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d", "%m/%d/%y"])
texts = st.lists(st.one_of(st.text(max_size=14), st.none(), st.just(" 03/14/2005 ")), max_size=6)


@given(st.lists(st.one_of(st.text(), st.none()), max_size=8), formats)
def test_dob_never_raises_and_keeps_the_index(texts: list[str | None], fmt: str | None) -> None:
    index = pd.RangeIndex(100, 100 + len(texts))
    values = pd.Series(texts, index=index, dtype=object)
    out = standardize_dob(values, fmt=fmt, today=TODAY)
    events = standardize_event_date(values, fmt=fmt, today=TODAY)
    assert out.index.equals(index) and events.index.equals(index)
    assert set(out[C.DOB_QUALITY]) <= set(C.DOB_QUALITIES)
    # invalid rows carry no parts; full rows carry all three
    assert out.loc[out[DOB_INVALID], C.DOB_YEAR].isna().all()
    full = out[C.DOB_QUALITY] == "full"
    assert out.loc[full, [C.DOB, C.DOB_MONTH, C.DOB_DAY]].notna().all().all()
    # the ISO output reads back as the same parts (idempotence)
    again = standardize_dob(out[C.DOB], today=TODAY)
    parts = [C.DOB, C.DOB_YEAR, C.DOB_MONTH, C.DOB_DAY]
    pd.testing.assert_frame_equal(again.loc[full, parts], out.loc[full, parts])
    assert not again.loc[~full, C.DOB].notna().any()


@given(texts, texts, formats)
def test_each_value_is_read_on_its_own(
    values: list[str | None], others: list[str | None], fmt: str | None
) -> None:
    """Rows read the same in any order; with a declared format, also next to any other
    rows (undeclared, the column's day/month order comes from all its values)."""
    alone = standardize_dob(pd.Series(values, dtype=object), fmt=fmt, today=TODAY)
    backwards = standardize_dob(pd.Series(values[::-1], dtype=object), fmt=fmt, today=TODAY)
    assert [_row(backwards.iloc[::-1], i) for i in range(len(values))] == [
        _row(alone, i) for i in range(len(values))
    ]
    if fmt is None:
        return
    mixed = standardize_dob(pd.Series(others + values[::-1], dtype=object), fmt=fmt, today=TODAY)
    tail = mixed.iloc[len(others) :].iloc[::-1]
    assert [_row(tail, i) for i in range(len(values))] == [
        _row(alone, i) for i in range(len(values))
    ]


# A column with no declared format: ambiguous dates follow the order its other values show.
UNDECLARED_COLUMNS = [
    # Latin American order: 17/02 can only be day-first, so 05/08 is 5 August
    (["17/02/1964", "05/08/2010"], ["1964-02-17", "2010-08-05"]),
    (["17.02.1964", "05.08.2010", "31-12-1999"], ["1964-02-17", "2010-08-05", "1999-12-31"]),
    # U.S. order, or no evidence either way: month first
    (["02/17/1964", "05/08/2010"], ["1964-02-17", "2010-05-08"]),
    (["05/08/2010", "03/04/2001"], ["2010-05-08", "2001-03-04"]),
    # a U.S. column with one day-first slip stays month-first (the slip still reads)
    (["02/17/1964", "12/25/1990", "25/12/1991", "05/08/2010"],
     ["1964-02-17", "1990-12-25", "1991-12-25", "2010-05-08"]),
    # other spellings say nothing about the order
    (["2010-08-05", "5 Aug 2010", "17/02/1964", "05/08/2010"],
     ["2010-08-05", "2010-08-05", "1964-02-17", "2010-08-05"]),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "iso"), UNDECLARED_COLUMNS)
def test_undeclared_column_order_comes_from_its_values(raw: list[str], iso: list[str]) -> None:
    assert standardize_dob(pd.Series(raw), today=TODAY)[C.DOB].tolist() == iso
    assert standardize_event_date(pd.Series(raw), today=TODAY)[C.EVENT_DATE].tolist() == iso


def _serial(day: date) -> str:
    return str((day - date(1899, 12, 30)).days)


@given(
    st.lists(
        st.dates(min_value=date(1930, 1, 1), max_value=TODAY), min_size=20, max_size=40, unique=True
    )
)
def test_a_column_of_spreadsheet_serial_numbers_reads_as_their_dates(born: list[date]) -> None:
    # A date cell exported as a number: 33000 is 7 May 1990. Stand-ins stay missing.
    column = pd.Series([_serial(d) for d in born] + ["UNKNOWN", f"{_serial(born[0])}.0"])
    out = standardize_dob(column, today=TODAY)
    expected = [d.isoformat() if (d.month, d.day) != (1, 1) else None for d in born]
    assert out[C.DOB].tolist() == [*expected, None, expected[0]]
    assert not out[DOB_INVALID].any()
    events = standardize_event_date(column.iloc[:-2], today=TODAY)
    assert events[C.EVENT_DATE].tolist() == [d.isoformat() for d in born]


def test_serial_numbers_need_a_column_of_them() -> None:
    assert standardize_dob(pd.Series(["33000"]), today=TODAY)[DOB_INVALID].all()  # one alone
    column = [f"{m:02d}/15/1980" for m in range(1, 13)] * 3 + ["33000"]  # a stray number
    assert standardize_dob(pd.Series(column), today=TODAY)[DOB_INVALID].tolist()[-1]
    serials = pd.Series([str(33000 + i) for i in range(30)])
    assert standardize_dob(serials, fmt="%m/%d/%Y", today=TODAY)[DOB_INVALID].all()  # declared


def test_declared_format_orders_ambiguous_dates_whatever_the_column_shows() -> None:
    raw = pd.Series(["17/02/1964", "05/08/2010"])
    out = standardize_dob(raw, fmt="%m/%d/%Y", today=TODAY)
    assert out[C.DOB].tolist() == ["1964-02-17", "2010-05-08"]


@given(
    st.lists(st.dates(min_value=date(1900, 1, 1), max_value=TODAY), max_size=12),
    st.sampled_from(["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%m-%d-%y"]),
)
def test_a_column_in_one_order_reads_as_if_declared(born: list[date], fmt: str) -> None:
    """Any column of dates written in one order, with one date that shows the order
    (a day over 12), reads undeclared exactly as with its format declared."""
    column = pd.Series([d.strftime(fmt) for d in [date(1990, 8, 25), *born]])
    undeclared = standardize_dob(column, today=TODAY)
    declared = standardize_dob(column, fmt=fmt, today=TODAY)
    pd.testing.assert_frame_equal(undeclared, declared)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.sampled_from(["%Y-%m-%d", "%m/%d/%Y", "%d %b %Y", "%B %d, %Y", "%Y%m%d", "%d-%b-%Y"]),
)
def test_written_dates_read_back(born: date, fmt: str) -> None:
    text = born.strftime(fmt)
    for declared in (None, fmt):
        out = standardize_dob(pd.Series([text]), fmt=declared, today=TODAY)
        if (born.month, born.day) == (1, 1):
            assert _row(out)[1:5] == (born.year, None, None, "placeholder")
        else:
            assert _row(out) == (born.isoformat(), born.year, born.month, born.day, "full", False)
        # reading the ISO output again gives the same parts
        iso = out[C.DOB].iloc[0]
        if iso is not None:
            again = standardize_dob(pd.Series([iso]), today=TODAY)
            assert _row(again) == _row(out)
