"""Dates of birth and event dates: one reading of every way the agencies write a date.

A date of birth is the strongest evidence after the A-number, but only for the parts
that were really known. Officers default an unknown birthday to 1 January, write
"2005-00-00", give a year alone, or estimate from apparent age; so a DOB is kept as
year / month / day parts plus a quality (`columns.DOB_QUALITIES`) that says which parts
the comparison may trust, and the ISO string is filled only when all three are.

Reading order for one value: the mapping's declared strftime format first, then
inference (ISO, compact, US or day-first slashes, month names in English, Spanish,
Portuguese and French, two-digit years). A slash date whose first part is over 12 is
day-first whatever the declared format says: extracts mix both orders in one column.
Ambiguous ones (both parts <= 12) follow the declared format's order. Without one, the
column decides: day-first when more of its distinct values can only be day-first
(17/02/1964) than can only be month-first (02/17/1964), else month-first. An HHS extract
written the Latin American way then reads 05/08/2010 as 5 August, like its neighbours.

Two digits first that can be no day ("96-02-22") are a year, with month and day after.
A two-digit year is placed in the latest century that keeps the date on or before
`today`, because nobody is born in the future.

Values repeat heavily, so each distinct raw value is read once and mapped back.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import is_datetime64_any_dtype
from unidecode import unidecode

from linker import columns as C
from linker.errors import ConfigError, DataContractError
from linker.standardize.in_arrow import (
    arrow_values,
    distinct_text,
    per_row,
    python_objects,
    python_values,
)
from linker.standardize.text import MEMO_SIZE, spreadsheet_cells, whole_number_text

DOB_INVALID: Final = "dob_invalid"  # bool: a value was written but cannot be a birth date
EVENT_DATE_INVALID: Final = "event_date_invalid"  # bool: written but not a full date

MIN_YEAR: Final = 1900  # earlier years are typing errors in these extracts

_Q = {name: i for i, name in enumerate(C.DOB_QUALITIES)}
_QUALITY_NAMES = pa.array(C.DOB_QUALITIES, pa.string())

# Written stand-ins for "no date": null, not invalid (nothing was really written).
_NULL_TOKENS: Final = frozenset(
    {
        "NA", "N/A", "N.A.", "NONE", "NULL", "NAN", "NAT", "UNKNOWN", "UNK", "DESCONOCIDO",
        "DESCONOCIDA", "NO DATA", "-", "--", "?", "00/00/0000", "0000-00-00", "00000000",
        "0000", "00/00/00", "0/0/0000",
    }
)  # fmt: skip

_MONTHS: Final[dict[str, int]] = {
    # English
    "JANUARY": 1, "FEBRUARY": 2, "MARCH": 3, "APRIL": 4, "MAY": 5, "JUNE": 6, "JULY": 7,
    "AUGUST": 8, "SEPTEMBER": 9, "OCTOBER": 10, "NOVEMBER": 11, "DECEMBER": 12,
    "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9,
    "SEPT": 9, "OCT": 10, "NOV": 11, "DEC": 12,
    # Spanish
    "ENERO": 1, "FEBRERO": 2, "MARZO": 3, "ABRIL": 4, "MAYO": 5, "JUNIO": 6, "JULIO": 7,
    "AGOSTO": 8, "SEPTIEMBRE": 9, "SETIEMBRE": 9, "OCTUBRE": 10, "NOVIEMBRE": 11,
    "DICIEMBRE": 12, "ENE": 1, "ABR": 4, "AGO": 8, "SET": 9, "DIC": 12,
    # Portuguese (Brazil) and French (Haiti, West Africa)
    "JANEIRO": 1, "FEVEREIRO": 2, "MARCO": 3, "MAIO": 5, "JUNHO": 6, "JULHO": 7,
    "SETEMBRO": 9, "OUTUBRO": 10, "NOVEMBRO": 11, "DEZEMBRO": 12, "FEV": 2, "MAI": 5,
    "OUT": 10, "DEZ": 12, "JANVIER": 1, "FEVRIER": 2, "MARS": 3, "AVRIL": 4, "JUIN": 6,
    "JUILLET": 7, "AOUT": 8, "OCTOBRE": 10, "NOVEMBRE": 11, "DECEMBRE": 12,
    "JANV": 1, "FEVR": 2, "AVR": 4, "JUIL": 7,
}  # fmt: skip

# Words around a written-out date that carry no part of it ("Monday, March 14th, 2005",
# "14 de marzo de 2005").
_FILLER: Final = frozenset(
    {
        "DE", "DEL", "THE", "OF", "ST", "ND", "RD", "TH", "ER", "RO", "ERO", "O",
        "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY",
        "MON", "TUE", "TUES", "WED", "THU", "THUR", "THURS", "FRI", "SAT", "SUN",
        "LUNES", "MARTES", "MIERCOLES", "JUEVES", "VIERNES", "SABADO", "DOMINGO",
    }
)  # fmt: skip

# A time of day after the date ("2005-03-14 00:00:00", "3/14/2005 10:00 AM",
# "2005-03-14T10:22:33Z"); RE2 syntax, run by Arrow on upper-cased text.
_TIME_OF_DAY: Final = (
    r"[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AP]\.?M\.?)?"
    r"\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?$"
)
_TIME_RE = re.compile(_TIME_OF_DAY)
_YMD = re.compile(r"^(\d{4})([-/. ])(\d{1,2})\2(\d{1,2})$")
_NUMERIC3 = re.compile(r"^(\d{1,2})([-/. ])(\d{1,2})\2(\d{4}|\d{2})$")
_COMPACT8 = re.compile(r"^\d{8}$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_YEAR = re.compile(r"^\d{4}$")
_SPLIT = re.compile(r"[\s,./\-]+")
_DIGIT_ALPHA = re.compile(r"(?<=\d)(?=[A-Z])|(?<=[A-Z])(?=\d)")


@dataclass(frozen=True, slots=True)
class _Parts:
    """The parts one value spells. month/day: None when not written, 0 when written as 00."""

    year: int
    month: int | None = None
    day: int | None = None


_NULL: Final = _Parts(-1)  # the value stands for "no date"; distinct from unreadable (None)
# What a date of birth can be trusted for: year, month, day (-1 untrusted), a quality
# code, and whether the value was impossible (its year kept all the same).
_Trusted = tuple[int, int, int, int, bool]


@dataclass(frozen=True, slots=True)
class _Format:
    """A declared strftime format and what it says about part order and presence."""

    fmt: str
    has_month: bool
    has_day: bool
    two_digit_year: bool
    day_first: bool
    regex: re.Pattern[str] | None = None  # `_strptime_regex(fmt)`


def standardize_dob(
    values: pd.Series,
    fmt: str | None = None,
    estimated: pd.Series | None = None,
    today: date | None = None,
    day_first: bool | None = None,
    serial: bool | None = None,
) -> pd.DataFrame:
    """Dates of birth as trusted parts: DOB, DOB_YEAR, DOB_MONTH, DOB_DAY, DOB_QUALITY.

    Also returns `DOB_INVALID` (bool): a value was written but is unreadable or
    impossible (month 13, 30 February, before 1900, after `today`). An impossible day
    or month keeps its year (quality "year"); every other such row gets quality
    "missing" and null parts. `estimated` (Y/N, Yes/No, True/False, 1/0, Sí)
    marks age-based estimates: where true only the year is kept. `day_first` orders
    ambiguous numeric dates when `fmt` is None; None lets these values decide
    (`written_day_first`). `serial` reads five-digit numbers as spreadsheet serial dates
    when `fmt` is None; None lets these values decide (`written_as_serials`).
    """
    columns, invalid = dob_columns(values, fmt, estimated, today, day_first, serial)
    made = {k: python_objects(v) if isinstance(v, pa.Array) else v for k, v in columns.items()}
    return pd.DataFrame(made | {DOB_INVALID: invalid}, index=values.index)


def dob_columns(
    values: pd.Series,
    fmt: str | None = None,
    estimated: pd.Series | None = None,
    today: date | None = None,
    day_first: bool | None = None,
    serial: bool | None = None,
) -> tuple[dict[str, Any], np.ndarray]:
    """`standardize_dob`'s columns, DOB and DOB_QUALITY as Arrow text (as records.parquet
    takes them), and `DOB_INVALID` apart."""
    today = today or date.today()
    spec = _parse_format(fmt)
    codes, uniques = _distinct_texts(values)
    day_first = _undeclared_order(spec, day_first, uniques)
    serial = _undeclared_serial(spec, serial, uniques)
    if serial:
        read = [_serial_dob(value, fmt, today, day_first) for value in uniques]
    else:
        read = [_read_dob(value, fmt, today, day_first) for value in uniques]
    # One row of parts per distinct value, and a last one for null; then one column each.
    parts = np.array([*read, _NO_DATE], dtype=np.int16).T.copy()
    take = np.where(codes < 0, len(uniques), codes)
    year = parts[0][take]
    month, day, quality = (parts[k][take].astype(np.int8) for k in (1, 2, 3))
    invalid = parts[4][take].astype(bool)
    if estimated is not None:
        if not estimated.index.equals(values.index):
            raise DataContractError(
                "the DOB-estimated flags must have the same index as the dates they qualify"
            )
        flagged = _truthy(python_values(estimated)) & (year >= 0)
        quality[flagged] = _Q["estimated"]
        month[flagged] = -1
        day[flagged] = -1
    full = quality == _Q["full"]
    columns = {
        C.DOB: _iso(year, month, day, full),
        C.DOB_YEAR: pd.arrays.IntegerArray(year, year < 0),
        C.DOB_MONTH: pd.arrays.IntegerArray(month, month < 0),
        C.DOB_DAY: pd.arrays.IntegerArray(day, day < 0),
        C.DOB_QUALITY: _QUALITY_NAMES.take(pa.array(quality)),
    }
    return columns, invalid


def standardize_event_date(
    values: pd.Series,
    fmt: str | None = None,
    today: date | None = None,
    day_first: bool | None = None,
    serial: bool | None = None,
) -> pd.DataFrame:
    """Encounter / referral dates as ISO strings: EVENT_DATE and `EVENT_DATE_INVALID`.

    Same reading as `standardize_dob`, without placeholder logic: an event date is a
    record of when something happened, so 1 January is taken at its word. A value
    that is not a full calendar date (a year alone, "2019-03", "2019-00-00") cannot
    give an ISO date and is counted invalid. `today` only places two-digit years;
    `day_first` and `serial` are as for `standardize_dob`.
    """
    iso, invalid = event_date_array(values, fmt, today, day_first, serial)
    return pd.DataFrame(
        {C.EVENT_DATE: python_objects(iso), EVENT_DATE_INVALID: invalid}, index=values.index
    )


def event_date_array(
    values: pd.Series,
    fmt: str | None = None,
    today: date | None = None,
    day_first: bool | None = None,
    serial: bool | None = None,
) -> tuple[pa.Array, np.ndarray]:
    """`standardize_event_date`'s EVENT_DATE as Arrow text (as records.parquet takes it),
    and `EVENT_DATE_INVALID`."""
    today = today or date.today()
    spec = _parse_format(fmt)
    codes, uniques = _distinct_texts(values)
    day_first = _undeclared_order(spec, day_first, uniques)
    serial = _undeclared_serial(spec, serial, uniques)
    n = len(uniques)
    iso = np.full(n + 1, None, dtype=object)
    invalid = np.zeros(n + 1, dtype=bool)
    for i, value in enumerate(uniques):
        parts = (_serial_parts(value) if serial else None) or _read(value, spec, today, day_first)
        if parts is _NULL:
            continue
        text = _event_iso(parts) if parts is not None else None
        if text is None:
            invalid[i] = True
        iso[i] = text
    return per_row(pa.array(iso[:n], pa.string()), codes), invalid[np.where(codes < 0, n, codes)]


# --- trust rules --------------------------------------------------------------------


# What a date of birth gives when nothing was written, and when what was written cannot
# be a birth date (unreadable, or impossible with no year to keep).
_NO_DATE: Final[_Trusted] = (-1, -1, -1, _Q["missing"], False)
_UNREADABLE: Final[_Trusted] = (-1, -1, -1, _Q["missing"], True)


@functools.lru_cache(maxsize=MEMO_SIZE)
def _read_dob(text: str, fmt: str | None, today: date, day_first: bool = False) -> _Trusted:
    """`_dob_parts` of the text's parts: `_NO_DATE` for a written "no date",
    `_UNREADABLE` if unreadable or impossible with no year to keep. Memoized: a worker
    sees the same dates in every chunk. Keyed by the format's text, not its `_Format`
    (a dataclass hashes every field at each call)."""
    parts = _read(text, _parse_format(fmt), today, day_first)
    if parts is _NULL:
        return _NO_DATE
    return (_dob_parts(parts, today) if parts is not None else None) or _UNREADABLE


def _serial_dob(text: str, fmt: str | None, today: date, day_first: bool) -> _Trusted:
    """`_read_dob`, a spreadsheet serial number read as the date it counts to."""
    counted = _serial_parts(text)
    if counted is None:
        return _read_dob(text, fmt, today, day_first)
    return _dob_parts(counted, today) or _UNREADABLE


def _dob_parts(parts: _Parts, today: date) -> _Trusted | None:
    """(year, month, day, quality code, impossible) with -1 for untrusted parts; None
    if nothing can be trusted.

    An impossible day or month (month 13, 30 February) still comes with a year that
    is nearly always right (a slip of the day or month): the year is kept, as a year
    alone, and the value is flagged impossible. Linkage then has the year to agree on,
    and the family rules an age.
    """
    y, m, d = parts.year, parts.month, parts.day
    if y < MIN_YEAR or y > today.year:
        return None
    if m is None:
        return y, -1, -1, _Q["year"], False
    if m == 0:  # "2005-00-00": the month was never known
        return y, -1, -1, _Q["placeholder"], False
    if m > 12:
        return y, -1, -1, _Q["year"], True
    if d is None or d == 0:
        if (y, m) > (today.year, today.month):
            return None
        return y, m, -1, _Q["year_month"], False
    try:
        born = date(y, m, d)
    except ValueError:
        return y, -1, -1, _Q["year"], True
    if born > today:
        return None
    if m == 1 and d == 1:  # the agencies' default for an unknown birthday
        return y, -1, -1, _Q["placeholder"], False
    return y, m, d, _Q["full"], False


def _event_iso(parts: _Parts) -> str | None:
    if parts.year < MIN_YEAR or not parts.month or not parts.day:
        return None
    try:
        return date(parts.year, parts.month, parts.day).isoformat()
    except ValueError:
        return None


def _iso(year: np.ndarray, month: np.ndarray, day: np.ndarray, full: np.ndarray) -> pa.Array:
    """ISO text where `full` (a calendar date from `MIN_YEAR` on), null elsewhere, made
    once per distinct date by Arrow's own date formatting (YYYY-MM-DD)."""
    codes = np.full(len(year), -1, dtype=np.intp)
    packed = year[full].astype(np.int32) * 10_000 + month[full].astype(np.int32) * 100 + day[full]
    keys, codes[full] = np.unique(packed, return_inverse=True)
    months = (keys // 10_000 - 1970).astype("M8[Y]").astype("M8[M]")
    months += (keys // 100 % 100 - 1).astype("m8[M]")
    days = months.astype("M8[D]") + (keys % 100 - 1).astype("m8[D]")
    return per_row(pa.array(days, pa.date32()).cast(pa.string()), codes)


# --- reading one value ------------------------------------------------------------


def _read(text: str, spec: _Format | None, today: date, day_first: bool = False) -> _Parts | None:
    """The parts a text spells; `_NULL` for a written "no date"; None if unreadable.

    `day_first` orders ambiguous numeric dates when no format is declared."""
    if not text.isascii():  # full-width digits, accented month names
        text = _TIME_RE.sub("", unidecode(text).upper()).strip()
    if not text or text in _NULL_TOKENS:
        return _NULL
    if spec is not None:
        parts = _read_with_format(text, spec, today)
        if parts is not None:
            return parts
    return _infer(text, spec.day_first if spec else day_first, today)


def _read_with_format(text: str, spec: _Format, today: date) -> _Parts | None:
    parsed = _strptime(text, spec)
    if parsed is None:
        return None
    month = parsed.month if spec.has_month else None
    day = parsed.day if spec.has_day and spec.has_month else None
    if spec.two_digit_year:
        return _Parts(_full_year(parsed.year % 100, month, day, today), month, day)
    return _Parts(parsed.year, month, day)


def _infer(text: str, day_first: bool, today: date) -> _Parts | None:
    text = whole_number_text(text)  # 20050314.0 / 2005.0 from a spreadsheet
    if _YEAR.match(text):
        return _Parts(int(text))
    if match := _YMD.match(text):
        return _swapped(int(match.group(1)), int(match.group(3)), int(match.group(4)))
    if match := _NUMERIC3.match(text):
        return _numeric(match.group(1), match.group(3), match.group(4), day_first, today)
    if _COMPACT8.match(text):
        y, m, d = int(text[:4]), int(text[4:6]), int(text[6:])
        if text[:2] in ("19", "20") and m <= 12 and d <= 31:
            return _Parts(y, m, d)
        return _numeric(text[:2], text[2:4], text[4:], day_first, today)
    if match := _YEAR_MONTH.match(text):
        return _Parts(int(match.group(1)), int(match.group(2)))
    if match := _MONTH_YEAR.match(text):
        return _Parts(int(match.group(2)), int(match.group(1)))
    return _with_month_name(text, today)


def _swapped(y: int, m: int, d: int) -> _Parts:
    """A month over 12 with a day that could be a month: the parts were swapped."""
    if m > 12 and 0 < d <= 12:
        return _Parts(y, d, m)
    return _Parts(y, m, d)


def _numeric(a: str, b: str, y: str, day_first: bool, today: date) -> _Parts | None:
    first, second = int(a), int(b)
    if len(a) == 2 and len(y) == 2 and first > 31:  # "96-02-22": no day, so the year first
        parts = _swapped(0, second, int(y))
        return _Parts(_full_year(first, parts.month, parts.day, today), parts.month, parts.day)
    if first > 12 and second > 12:  # no month: an impossible date, its year still read
        year = int(y) if len(y) == 4 else _full_year(int(y), None, None, today)
        return _Parts(year, first, second)
    if first > 12 or (day_first and second <= 12):
        month, day = second, first
    else:
        month, day = first, second
    year = int(y) if len(y) == 4 else _full_year(int(y), month, day, today)
    return _Parts(year, month, day)


def _with_month_name(text: str, today: date) -> _Parts | None:
    tokens = [t for t in _SPLIT.split(_DIGIT_ALPHA.sub(" ", text)) if t and t not in _FILLER]
    months = [t for t in tokens if not t.isdigit()]
    numbers = [t for t in tokens if t.isdigit()]
    if len(months) != 1 or months[0] not in _MONTHS or not 1 <= len(numbers) <= 2:
        return None
    month = _MONTHS[months[0]]
    if len(numbers) == 1:  # "March 2005"
        return _Parts(int(numbers[0]), month) if len(numbers[0]) == 4 else None
    first, second = numbers
    if len(first) == 4 and len(second) <= 2:  # "2005 MAR 14"
        return _Parts(int(first), month, int(second))
    if len(first) > 2:
        return None
    if len(second) == 4:  # "14 MAR 2005", "MARCH 14, 2005"
        return _Parts(int(second), month, int(first))
    if len(second) == 2:  # "14-MAR-05"
        return _Parts(_full_year(int(second), month, int(first), today), month, int(first))
    return None


def _strptime(text: str, spec: _Format) -> date | None:
    """`datetime.strptime(text, spec.fmt)` as a date, None where it raises ValueError."""
    if spec.regex is None:
        try:
            return datetime.strptime(text, spec.fmt).date()
        except ValueError:
            return None
    found = spec.regex.match(text)
    if found is None or found.end() != len(text):
        return None  # strptime: "does not match format" / "unconverted data remains"
    parts = found.groupdict()
    try:
        return date(int(parts["Y"]), int(parts.get("m", 1)), int(parts.get("d", 1)))
    except ValueError:  # strptime's own check of the calendar date
        return None


# What CPython's `_strptime.TimeRE` matches for %Y, %m and %d.
_STRPTIME_DIRECTIVES: Final = {
    "Y": r"(?P<Y>\d\d\d\d)",
    "m": r"(?P<m>1[0-2]|0[1-9]|[1-9])",
    "d": r"(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])",
}


def _strptime_regex(fmt: str) -> re.Pattern[str] | None:
    """The regex strptime builds for a format of %Y, %m, %d (each at most once) and
    literal text, or None for any other format (strptime itself then reads it).

    strptime spends most of its time on locale checks and bookkeeping around one regex
    match; a date-of-birth column has tens of thousands of distinct values per chunk.
    Literal text is matched exactly and a run of whitespace as any run of whitespace,
    as strptime does.
    """
    pieces = re.split(r"(%.)", fmt)
    directives = pieces[1::2]
    if len(set(directives)) != len(directives) or "%Y" not in directives:
        return None
    pattern = ""
    for k, piece in enumerate(pieces):
        if k % 2:
            if piece[1] not in _STRPTIME_DIRECTIVES:
                return None
            pattern += _STRPTIME_DIRECTIVES[piece[1]]
        else:
            if "%" in piece:
                return None
            pattern += r"\s+".join(re.escape(part) for part in re.split(r"\s+", piece))
    return re.compile(pattern, re.IGNORECASE)


def _full_year(yy: int, month: int | None, day: int | None, today: date) -> int:
    """The latest century that keeps the date on or before today."""
    year = 2000 + yy
    if (year, month or 1, day or 1) > (today.year, today.month, today.day):
        year -= 100
    return year


@functools.lru_cache(maxsize=64)
def _parse_format(fmt: str | None) -> _Format | None:
    if fmt is None or fmt == "":
        return None
    directives = re.findall(r"%-?(.)", fmt)
    if not {"Y", "y"} & set(directives):
        raise ConfigError(f"date format {fmt!r} has no year (%Y or %y)")
    try:
        datetime.strptime(datetime(2005, 3, 14).strftime(fmt), fmt)
    except ValueError as e:
        raise ConfigError(f"date format {fmt!r} is not a strftime format: {e}") from e
    month_at = [i for i, d in enumerate(directives) if d in "mbB"]
    day_at = [i for i, d in enumerate(directives) if d in "dej"]
    return _Format(
        fmt=fmt,
        has_month=bool(month_at),
        has_day=bool(day_at),
        two_digit_year="y" in directives and "Y" not in directives,
        day_first=bool(month_at and day_at and day_at[0] < month_at[0]),
        regex=_strptime_regex(fmt),
    )


# --- Series plumbing --------------------------------------------------------------

_TRUE_WORDS: Final = frozenset(
    {"Y", "YES", "TRUE", "T", "1", "SI", "S", "ESTIMATED", "ESTIMATE", "EST", "ESTIMADO",
     "ESTIMADA", "1.0", "APPROX", "APPROXIMATE", "APROXIMADO", "APROXIMADA", "X"}
)  # fmt: skip


def _truthy(flags: pd.Series) -> np.ndarray:
    """Boolean-ish flags (Y/N, Yes/No, True/False, 1/0, Sí) as a bool array; nulls false."""
    codes, uniques = _factorize(flags)
    known = np.zeros(len(uniques) + 1, dtype=bool)
    for i, value in enumerate(uniques):
        if isinstance(value, bool | np.bool_ | int | float | np.integer | np.floating):
            known[i] = value == 1
        else:
            text = unidecode(str(value)).strip().upper().rstrip(".")
            known[i] = text in _TRUE_WORDS
    return known[np.where(codes < 0, len(uniques), codes)]


# Day and month of a numeric date as written (first, second), for the column's order.
_FIRST_SECOND: Final = r"^(?P<first>\d{1,2})[-/. ](?P<second>\d{1,2})[-/. ](?:\d{4}|\d{2})$"


def _undeclared_order(spec: _Format | None, day_first: bool | None, texts: list[str]) -> bool:
    """Whether ambiguous dates read day first when no format is declared (else unused)."""
    if spec is not None:
        return False
    return written_day_first(texts) if day_first is None else day_first


# Spreadsheet serial dates: days since 30 December 1899, what a date cell exported as a
# number shows ("33000" is 7 May 1990). A five-digit number alone could be anything, so
# a column is read this way only when nearly all its distinct values are such numbers
# (1930 to 2049), and there are enough of them to say so.
_EXCEL_EPOCH: Final = date(1899, 12, 30)
_SERIAL: Final = re.compile(r"\d{5}")
_SERIAL_RANGE: Final = (
    (date(1930, 1, 1) - _EXCEL_EPOCH).days,
    (date(2049, 12, 31) - _EXCEL_EPOCH).days,
)
_SERIAL_MIN_VALUES: Final = 20
_SERIAL_SHARE: Final = 0.9


def _undeclared_serial(spec: _Format | None, serial: bool | None, texts: list[str]) -> bool:
    """Whether five-digit numbers read as serial dates (never with a declared format)."""
    if spec is not None:
        return False
    return written_as_serials(texts) if serial is None else serial


def column_serial(values: pd.Series) -> bool:
    """`written_as_serials` of a raw column (any dtype, nulls)."""
    return written_as_serials(_distinct_texts(values)[1])


def written_as_serials(texts: Sequence[str]) -> bool:
    """Whether a column's distinct values are spreadsheet serial dates: nearly all of them
    five-digit numbers from 1930 to 2049, its written "no date" stand-ins aside."""
    if len(texts) < _SERIAL_MIN_VALUES:
        return False
    low, high = _SERIAL_RANGE
    serials = written = 0
    for text in texts:
        if not text or text in _NULL_TOKENS:
            continue
        number = whole_number_text(text)
        serials += bool(_SERIAL.fullmatch(number)) and low <= int(number) <= high
        written += 1
        if written == _SERIAL_MIN_VALUES and serials < _SERIAL_SHARE * written:
            return False  # the usual case, decided on the first values
    return serials >= _SERIAL_MIN_VALUES and serials >= _SERIAL_SHARE * written


def _serial_parts(text: str) -> _Parts | None:
    """The date a spreadsheet serial number counts to; None for any other text."""
    number = whole_number_text(text)
    if not _SERIAL.fullmatch(number):
        return None
    counted = _EXCEL_EPOCH + timedelta(days=int(number))
    return _Parts(counted.year, counted.month, counted.day)


def column_day_first(values: pd.Series) -> bool:
    """`written_day_first` of a raw column (any dtype, nulls, times of day)."""
    return written_day_first(_distinct_texts(values)[1])


def written_day_first(texts: Sequence[str]) -> bool:
    """Whether a column without a declared format writes its numeric dates day first:
    more distinct values whose first part is over 12 (only a day) than whose second is.
    `texts` are distinct values, upper-case, without a time of day."""
    if not texts:
        return False
    parts = pc.extract_regex(pa.array(list(texts), pa.string()), _FIRST_SECOND)
    first = pc.cast(pc.struct_field(parts, "first"), pa.int16()).to_numpy(zero_copy_only=False)
    second = pc.cast(pc.struct_field(parts, "second"), pa.int16()).to_numpy(zero_copy_only=False)
    read = ~np.isnan(first.astype(np.float32))
    first, second = first[read], second[read]
    only_day_first = int(((first > 12) & (second <= 12)).sum())
    only_month_first = int(((second > 12) & (first <= 12)).sum())
    return only_day_first > only_month_first


def _distinct_texts(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes (-1 for null) into the distinct values as upper-case text without a time.

    Event timestamps are nearly all distinct ("2019-05-03 14:22:31") but fall on few
    days, so the time of day is cut by Arrow over the distinct values and the rest is
    factorized again: the per-value parser then sees one text per day.
    """
    arrow = arrow_values(values)
    if arrow is not None:  # encoded by Arrow, no Python string per row
        codes, array = distinct_text(arrow)
    else:
        codes, array = _distinct_python(python_values(values))
    array = spreadsheet_cells(pc.utf8_upper(pc.utf8_trim_whitespace(array)))
    array = pc.utf8_trim_whitespace(pc.replace_substring_regex(array, _TIME_OF_DAY, ""))
    encoded = pc.dictionary_encode(array)
    days = np.append(encoded.indices.to_numpy(zero_copy_only=False), -1)
    return days[codes], encoded.dictionary.to_pylist()


def _distinct_python(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    if is_datetime64_any_dtype(values.dtype):
        values = values.dt.normalize()
    codes, uniques = _factorize(values)
    texts = [u if type(u) is str else _text(u) for u in uniques]
    try:
        return codes, pa.array(texts, pa.string())
    except (pa.ArrowException, UnicodeError):  # lone surrogates
        return codes, pa.array([t.encode("utf-8", "replace").decode() for t in texts], pa.string())


def _text(value: object) -> str:
    """A non-text cell as text: 20050314.0 -> "20050314", a Timestamp in ISO form."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _factorize(values: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Codes (-1 for null) and distinct values; unhashable junk is read as its repr."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:
        codes, uniques = pd.factorize(values.map(_hashable), use_na_sentinel=True)
    return np.asarray(codes), list(uniques)


def _hashable(value: object) -> object:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
