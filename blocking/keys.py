"""Derived blocking keys: small registered functions over one column.

Blocking on raw fields misses the matches that matter (a surname written in the
other order, a date of birth with day and month swapped), so rules usually block on
keys derived from the fields. A key is declared as data (`KeySpec`) and computed by a
function found in a registry by name: a new key is one `@register_key` function, never
an edit to an `if` chain.

Key functions take a Series and keyword arguments and return a Series on the same
index. They are vectorized and, because real columns repeat values heavily, they work
on the unique values only and map back. Null stays null, and a key that comes out
blank is null too: an empty string is "no key", and blocking on it would lump every
blank record into one giant block. Phonetic codes are computed by the caller; this
module knows no language.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from blocking.errors import BlockingError

KeyFunction = Callable[..., pd.Series]
F = TypeVar("F", bound=KeyFunction)

_REGISTRY: dict[str, KeyFunction] = {}


def register_key(name: str) -> Callable[[F], F]:
    """Register a key function under `name` (used by `KeySpec.function`).

    The function is called as ``fn(values: pd.Series, **spec.args)`` and must return a
    Series aligned with `values`, null where the key is undefined.
    """

    def decorate(fn: F) -> F:
        if name in _REGISTRY:
            raise BlockingError(f"key function {name!r} is already registered")
        _REGISTRY[name] = fn
        return fn

    return decorate


def key_functions() -> tuple[str, ...]:
    """Names of the registered key functions."""
    return tuple(sorted(_REGISTRY))


def get_key_function(name: str) -> KeyFunction:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise BlockingError(
            f"unknown key function {name!r}; registered: {list(key_functions())!r}"
        ) from None


@dataclass(frozen=True)
class KeySpec:
    """Derive column `name` by applying key function `function` to column `column`."""

    name: str
    column: str
    function: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", dict(self.args))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "column": self.column,
            "function": self.function,
            "args": dict(self.args),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeySpec:
        missing = [f for f in ("name", "column", "function") if f not in data]
        unknown = sorted(set(data) - {"name", "column", "function", "args"})
        problems = []
        if missing:
            problems.append(f"KeySpec: missing field(s) {missing!r}")
        if unknown:
            problems.append(f"KeySpec: unknown field(s) {unknown!r}")
        if problems:
            raise BlockingError(problems)
        return cls(
            name=data["name"],
            column=data["column"],
            function=data["function"],
            args=data.get("args") or {},
        )


def _check_specs(columns: Sequence[str], specs: Sequence[KeySpec]) -> list[str]:
    """Every problem with the specs against a frame with `columns`, in one list."""
    problems: list[str] = []
    available = set(columns)
    for spec in specs:
        label = f"key {spec.name!r}"
        if not isinstance(spec.name, str) or not spec.name:
            problems.append(f"a key spec needs a non-empty name, got {spec.name!r}")
        elif spec.name in available:
            problems.append(f"{label}: a column of that name already exists")
        if spec.column not in available:
            problems.append(
                f"{label}: column {spec.column!r} is neither in the frame nor derived earlier"
            )
        fn = _REGISTRY.get(spec.function)
        if fn is None:
            problems.append(
                f"{label}: unknown key function {spec.function!r}; "
                f"registered: {list(key_functions())!r}"
            )
        else:
            try:
                inspect.signature(fn).bind(None, **spec.args)
            except TypeError as e:
                problems.append(f"{label}: bad args {dict(spec.args)!r} for {spec.function!r}: {e}")
        available.add(spec.name)
    return problems


def derive_keys(frame: pd.DataFrame, specs: Sequence[KeySpec]) -> pd.DataFrame:
    """A copy of `frame` with one new column per spec (the input is not modified).

    Specs run in order, so a spec may derive from a key derived before it (a prefix of
    the sorted tokens, say). All spec problems are reported at once before any work.
    """
    problems = _check_specs(list(frame.columns), specs)
    if problems:
        raise BlockingError(problems)
    derived: dict[str, pd.Series] = {}
    for spec in specs:
        values = derived[spec.column] if spec.column in derived else frame[spec.column]
        out = _REGISTRY[spec.function](values, **spec.args)
        if len(out) != len(values):
            raise BlockingError(
                f"key {spec.name!r}: function {spec.function!r} returned {len(out)} values "
                f"for {len(values)} rows"
            )
        derived[spec.name] = pd.Series(out.array, index=frame.index, name=spec.name)
    new = pd.DataFrame(derived, index=frame.index)
    return pd.concat([frame, new], axis=1)


# --- helpers ----------------------------------------------------------------------


def _per_unique(values: pd.Series, transform: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a vectorized `transform` to the unique non-null values only and map back."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = transform(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    taken = mapped.array.take(codes, allow_fill=True)
    return pd.Series(taken, index=values.index, name=values.name)


def _text(values: pd.Series) -> pd.Series:
    """String dtype, surrounding whitespace removed, blank -> null."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _blank_to_null(text: pd.Series) -> pd.Series:
    return text.mask(text == "")


def _positive_int(fn: str, arg: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BlockingError(f"key function {fn!r}: {arg} must be an integer >= 1, got {value!r}")
    return value


_ISO_DATE = r"^(\d{4})-(\d{2})-(\d{2})$"
_ISO_YEAR = r"^(\d{4})(?:-\d{2}(?:-\d{2})?)?(?:[T ].*)?$"


def _valid_dates(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """True where year-month-day is a real calendar date (null parts -> False)."""
    iso = year + "-" + month + "-" + day
    parsed = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    return pd.Series(parsed.notna().to_numpy(), index=iso.index)


# --- built-in keys ----------------------------------------------------------------


@register_key("prefix")
def prefix(values: pd.Series, n: int) -> pd.Series:
    """The first `n` characters (the whole value when shorter)."""
    n = _positive_int("prefix", "n", n)
    return _per_unique(values, lambda u: _text(u).str.slice(0, n))


@register_key("suffix")
def suffix(values: pd.Series, n: int) -> pd.Series:
    """The last `n` characters (the whole value when shorter)."""
    n = _positive_int("suffix", "n", n)
    return _per_unique(values, lambda u: _text(u).str.slice(-n))


@register_key("year")
def year(values: pd.Series) -> pd.Series:
    """The year (Int64) of a year column, a datetime column or ISO date strings.

    Strings must start with four digits, optionally followed by ``-MM`` / ``-MM-DD``
    and a time; anything else is null. Non-integral numbers are null.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
        values.dtype
    ):
        return values.dt.year.astype("Int64")
    if pd.api.types.is_bool_dtype(values.dtype):
        raise BlockingError("key function 'year': a boolean column has no year")
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = pd.to_numeric(values).astype("Float64")
        whole = numbers.mask(numbers != numbers.round())
        return whole.astype("Int64")

    def from_text(u: pd.Series) -> pd.Series:
        digits = _text(u).str.extract(_ISO_YEAR, expand=False)
        return pd.to_numeric(digits).astype("Int64")

    return _per_unique(values, from_text)


@register_key("sorted_tokens")
def sorted_tokens(values: pd.Series) -> pd.Series:
    """Whitespace tokens sorted alphabetically and joined: "LOPEZ GARCIA" == "GARCIA LOPEZ"."""

    def sort_each(u: pd.Series) -> pd.Series:
        text = _text(u)
        out = [None if pd.isna(v) else " ".join(sorted(v.split())) for v in text.array]
        return pd.Series(out, dtype="string", index=u.index)

    return _per_unique(values, sort_each)


@register_key("first_token")
def first_token(values: pd.Series) -> pd.Series:
    """The first whitespace-separated token."""
    return _per_unique(values, lambda u: _text(u).str.extract(r"^(\S+)", expand=False))


@register_key("last_token")
def last_token(values: pd.Series) -> pd.Series:
    """The last whitespace-separated token."""
    return _per_unique(values, lambda u: _text(u).str.extract(r"(\S+)$", expand=False))


@register_key("digits")
def digits(values: pd.Series) -> pd.Series:
    """Only the ASCII digits (phone numbers, document numbers); null when there are none."""
    return _per_unique(
        values, lambda u: _blank_to_null(_text(u).str.replace(r"[^0-9]+", "", regex=True))
    )


@register_key("swap_day_month")
def swap_day_month(values: pd.Series) -> pd.Series:
    """ISO "YYYY-MM-DD" -> "YYYY-DD-MM", null unless the swapped date is a real date.

    This is the date a record would carry had day and month been entered the other way
    round. Blocking needs equality on one column, so to put a record and its swapped
    twin in one block use `day_month_unordered`; this key serves a rule or comparison
    that tests one record's swap against the other's date.
    """

    def swap(u: pd.Series) -> pd.Series:
        parts = _text(u).str.extract(_ISO_DATE)
        y, m, d = parts[0], parts[1], parts[2]
        swapped = (y + "-" + d + "-" + m).astype("string")
        return swapped.where(_valid_dates(y, d, m))

    return _per_unique(values, swap)


@register_key("day_month_unordered")
def day_month_unordered(values: pd.Series) -> pd.Series:
    """ISO "YYYY-MM-DD" -> "YYYY-lo-hi" with the smaller of month and day first.

    A date and its day/month swap get the same key ("2001-05-03" and "2001-03-05" both
    give "2001-03-05"), so one equality rule blocks them together. Dates that are not
    real calendar dates are null.
    """

    def unordered(u: pd.Series) -> pd.Series:
        parts = _text(u).str.extract(_ISO_DATE)
        y, m, d = parts[0], parts[1], parts[2]
        m_first = (m <= d).fillna(False).to_numpy(dtype=bool)
        lo = pd.Series(np.where(m_first, m, d), index=u.index, dtype="string")
        hi = pd.Series(np.where(m_first, d, m), index=u.index, dtype="string")
        key = (y + "-" + lo + "-" + hi).astype("string")
        return key.where(_valid_dates(y, m, d))

    return _per_unique(values, unordered)
