"""Phone numbers to E.164 ("+17135550123"), or null when not a real number.

A shared phone number is strong evidence that two records are one person (or one
family), so a wrong number is worse than none: placeholders ("000-000-0000",
"999-999-9999") and typos would link strangers who share the same garbage. We
therefore keep a number only if `phonenumbers.is_valid_number` accepts it (a real area
code and exchange for its region), not merely `is_possible_number` (right length):
a length check accepts "123-456-7890" and "555-555-5555". The price is that a number
from an area code newer than the pinned `phonenumbers` metadata reads as null.

Most numbers in the extracts are plain U.S. numbers and `phonenumbers` reads about
20,000 a second, so with a U.S. default region the usual shapes ("(713) 555-0123",
"713.555.0123", "1-713-555-0123", "+1 713 555 0123", extensions) are checked against
the U.S. number patterns of the `phonenumbers` metadata itself; so are digit groups
with a country code ("+502 5610 8296", "52 33 4693 5405"), against the patterns of the
countries whose codes need no more than the digits to tell (`_with_plain_code`), and
everything else (Canada and the Caribbean, the UK's +44, numbers with brackets, invalid
U.S. numbers) goes to `phonenumbers.parse`. The readings agree by construction; tests
check it on samples.

A field holding several numbers ("713-555-0123 / 832-555-0100", "... or ...") keeps the
first valid one, found by `phonenumbers.PhoneNumberMatcher`; a spreadsheet's float
written out as text ("7135550123.0") is read as the integer it holds.
A Mexican mobile written with the "1" Mexico dropped in 2019 ("+52 1 55 1234 5678")
reads as the number dialled today, so records from before and after the change agree.

Without a "+" or "00" prefix a number is read in the default region first. One that is
no valid number there, and whose first group of digits is another country's code
("502-5555-1234": a Guatemalan number written with its country code, no "+"), reads as
that country's number when it is a valid one: an extract of U.S. and home-country
numbers mixed has no one region to declare. A mistyped U.S. number stays null ("415
555 0100 9" is no Swiss number: 415 is no country code).

A number that is still nothing is read in the person's own country, when the record
gives one (`home_countries`, the standardized country of citizenship): a run of digits
that opens with that country's code ("50255551234" for a Guatemalan) or is a national
number there ("5555 1234"). Without a group set apart, or a country to go by, a run of
digits stays null: the digits of a U.S. number with one too many ("30555501992") can
spell a valid number somewhere, and a phone read as the wrong number is evidence
against the records of one person, where null is none. A source whose numbers are all
foreign and national still does best with its `phone_region`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

from linker import columns as C
from linker.standardize.in_arrow import (
    arrow_values,
    distinct_text,
    per_row,
    python_objects,
    python_strip,
    python_values,
)
from linker.standardize.text import whole_number_text

# Parsing stops here: nothing longer is a phone number (phonenumbers' own limit is 250).
_MAX_LENGTH = 100
_MEXICO = 52

_NULL_TOKENS = frozenset(
    {"", "NA", "NAN", "NONE", "NULL", "UNKNOWN", "UNK", "DESCONOCIDO", "SINTELEFONO", "NOPHONE"}
)
_NOT_WORD = re.compile(r"[\W_]")
_NULL_TOKEN_TEXT = pa.array(sorted(_NULL_TOKENS), pa.string())
_DIGIT = re.compile("[0-9]")
_NOT_DIGIT = re.compile("[^0-9]")
# A number and nothing else: digits with spaces, dots, dashes or brackets between.
_DIGITS_ONLY = re.compile(r"\(?[0-9][0-9 .()\-]*", re.ASCII)
_FIRST_GROUP = re.compile(r"\(?([0-9]+)[ .)\-]", re.ASCII)
# While no null token has a digit, text with a digit needs no null-token check.
_NULL_TOKEN_DIGITS = any(c.isdigit() for token in _NULL_TOKENS for c in token)

# "(713) 555-0123", "713.555.0123", "1-713-555-0123", "+1 713 555 0123 x12".
_US_SHAPE_PATTERN = (
    r"(?:\+?1[ .\-]?)?\(?(?P<area>[2-9]\d\d)\)?[ .\-]?(?P<exchange>\d{3})[ .\-]?"
    r"(?P<line>\d{4})(?: ?(?:x|ext\.?|extension|#) ?\d{1,6})?"
)
_US_SHAPE = re.compile(_US_SHAPE_PATTERN, re.IGNORECASE | re.ASCII)
# What separates two numbers written in one field: "/", ";", ",", "|", "&", " or ", " y ".
_SEVERAL = re.compile(r"[/;,|&]| (?:or|y|o) ", re.IGNORECASE)


def _valid_pattern(regions: list[str]) -> re.Pattern[str]:
    """Union of the number-type patterns `is_valid_number` tries for these regions.

    For the U.S. alone: a +1 number matching it is a valid U.S. number (the U.S. is the
    first region tried for +1). For every NANP region: a +1 number matching none of
    them is invalid everywhere, with no need to ask `phonenumbers`.
    """
    patterns = []
    for region in regions:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if meta is None:
            continue
        descs = (
            meta.fixed_line,
            meta.mobile,
            meta.toll_free,
            meta.premium_rate,
            meta.shared_cost,
            meta.personal_number,
            meta.voip,
            meta.pager,
            meta.uan,
            meta.voicemail,
        )
        patterns += [
            d.national_number_pattern
            for d in descs
            if d is not None
            and d.national_number_pattern
            and (not d.possible_length or 10 in d.possible_length)
        ]
    return re.compile("|".join(f"(?:{p})" for p in dict.fromkeys(patterns)))


_NANP_REGIONS = frozenset(phonenumbers.region_codes_for_country_code(1))
_US_VALID = _valid_pattern(["US"])
_NANP_VALID = _valid_pattern(sorted(_NANP_REGIONS))


def _us_numbers(texts: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """The U.S. shortcut of `_one` over many texts at once, by Arrow's RE2.

    Returns (decided, e164): where `decided`, `e164` is `_one`'s answer (None for an
    invalid or placeholder number); elsewhere `_one` must read the text. Only ASCII
    texts are decided here: on them RE2 reads every pattern as Python's re does (the
    shape is ASCII-only and case-insensitive; the metadata patterns see ASCII digits),
    and submatches follow the same leftmost-first rule. Asking phonenumbers' patterns
    once per number in Python was most of the cost of the common numbers.
    """
    ascii_texts = [t if t is not None and t.isascii() else None for t in texts]
    return _us_numbers_of(pa.array(ascii_texts, pa.string()))


def _us_numbers_of(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """`_us_numbers` of Arrow text (its ASCII values; null is never decided)."""
    n = len(texts)
    decided = np.zeros(n, dtype=bool)
    e164 = np.full(n, None, dtype=object)
    is_ascii = pc.fill_null(pc.string_is_ascii(texts), False).to_numpy(zero_copy_only=False)
    ascii_rows = np.flatnonzero(is_ascii)
    if not len(ascii_rows):
        return decided, e164
    text = texts if len(ascii_rows) == n else texts.take(pa.array(ascii_rows, pa.int64()))
    shaped = pc.fill_null(pc.match_substring_regex(text, f"(?i)^(?:{_US_SHAPE_PATTERN})$"), False)
    if not pc.any(shaped).as_py():
        return decided, e164
    rows = ascii_rows[shaped.to_numpy(zero_copy_only=False)]
    parts = pc.extract_regex(pc.filter(text, shaped), f"(?i)^(?:{_US_SHAPE_PATTERN})$")
    national = pc.binary_join_element_wise(*parts.flatten(), "")
    placeholder = pc.equal(
        pc.utf8_slice_codeunits(national, 1), pc.utf8_slice_codeunits(national, 0, -1)
    )
    nanp = pc.match_substring_regex(national, f"^(?:{_NANP_VALID.pattern})$")
    us = pc.match_substring_regex(national, f"^(?:{_US_VALID.pattern})$")
    invalid = pc.or_(placeholder, pc.invert(nanp))
    valid = pc.and_(pc.invert(invalid), us)
    decided[rows] = pc.or_(invalid, valid).to_numpy(zero_copy_only=False)
    e164[rows] = pc.if_else(
        valid, pc.binary_join_element_wise("+1", national, ""), pa.scalar(None, pa.string())
    ).to_numpy(zero_copy_only=False)
    return decided, e164


def standardize_phones(
    values: pd.Series, default_region: str = "US", home_countries: pd.Series | None = None
) -> pd.Series:
    """E.164 strings ("+17135550123"), None for invalid, placeholder or missing numbers.

    `default_region` (ISO 3166-1 alpha-2) is how a number without "+" / "00" is read.
    `home_countries` (alpha-2 per row, aligned with `values`) is where a number that
    reads as nothing there is read next, a run of digits (see the module docstring).
    Extensions are dropped. Same index as `values`, object dtype, named PHONE.
    """
    e164 = phone_array(values, default_region, home_countries)
    return pd.Series(python_objects(e164), index=values.index, name=C.PHONE, dtype=object)


def phone_array(
    values: pd.Series, default_region: str = "US", home_countries: pd.Series | None = None
) -> pa.Array:
    """`standardize_phones` as Arrow text, as records.parquet takes it."""
    region = default_region.upper()
    fast = region == "US"
    nanp = region in _NANP_REGIONS
    codes, texts = _distinct_texts(values)
    if fast:
        decided, e164 = _us_numbers_of(texts.arrow)
    else:
        decided = np.zeros(len(texts.arrow), dtype=bool)
        e164 = np.full(len(texts.arrow), None, dtype=object)
    undecided = np.flatnonzero(~decided)
    for i, text in zip(undecided, texts.at(undecided), strict=True):
        e164[i] = _one(text, region, fast=fast, nanp=nanp)
    out = per_row(pa.array(e164, pa.string()), codes)
    if home_countries is None:
        return out
    return _read_at_home(out, codes, texts, e164, home_countries, region)


@dataclass(frozen=True)
class _Texts:
    """`_text` of each distinct value: as Arrow text (null for None, and for a text Arrow
    cannot hold, a lone surrogate, which no fast path reads), and as Python strings
    where those were made."""

    arrow: pa.Array
    python: list[str | None] | None = None

    def at(self, rows: np.ndarray) -> list[str | None]:
        if self.python is not None:
            return [self.python[i] for i in rows]
        return self.arrow.take(pa.array(rows, pa.int64())).to_pylist()


def _distinct_texts(values: pd.Series) -> tuple[np.ndarray, _Texts]:
    """Codes (-1 for null) into the distinct values, and their `_text`. Text pandas holds
    in Arrow is read there: `_text` of ASCII values by Arrow kernels, each step as
    Python takes it; any other value (rare) by `_text` itself."""
    arrow = arrow_values(values)
    if arrow is None:
        codes, uniques = pd.factorize(python_values(values).to_numpy(dtype=object))
        texts = [_text(v) for v in uniques]
        try:
            return codes, _Texts(pa.array(texts, pa.string()), texts)
        except (pa.ArrowException, UnicodeError):  # lone surrogates
            readable = [t if t is None or t.isascii() else None for t in texts]
            return codes, _Texts(pa.array(readable, pa.string()), texts)
    codes, distinct = distinct_text(arrow)
    text = python_strip(distinct)
    long = pc.greater(pc.utf8_length(text), _MAX_LENGTH)
    dotted = pc.match_substring(text, ".")  # whole_number_text's "." (few do)
    if pc.any(dotted).as_py():
        whole = pc.replace_substring_regex(pc.filter(text, dotted), r"^([0-9]+)\.0*$", r"\1")
        text = pc.replace_with_mask(text, dotted, whole)
    null = long
    maybe = pc.invert(pc.match_substring_regex(text, "[0-9]"))  # `maybe_null` (few)
    if pc.any(maybe).as_py():
        word = pc.replace_substring_regex(pc.filter(text, maybe), "[^A-Za-z0-9]+", "")
        token = pc.is_in(pc.utf8_upper(word), value_set=_NULL_TOKEN_TEXT)
        null = pc.or_(long, pc.replace_with_mask(maybe, maybe, token))
    text = pc.if_else(null, pa.scalar(None, pa.string()), text)
    other = pc.invert(pc.string_is_ascii(distinct))
    if pc.any(other).as_py():
        by_python = [_text(v) for v in distinct.filter(other).to_pylist()]
        text = pc.replace_with_mask(text, other, pa.array(by_python, pa.string()))
    return codes, _Texts(text)


def _read_at_home(
    out: pa.Array,
    codes: np.ndarray,
    texts: _Texts,
    e164: np.ndarray,
    home_countries: pd.Series,
    region: str,
) -> pa.Array:
    """`out` where a run of digits read as nothing in `region` is a valid number of the
    row's home country; each distinct (text, country) is read once."""
    digits_only = pc.match_substring_regex(texts.arrow, f"^(?:{_DIGITS_ONLY.pattern})$")
    unread = pd.isna(e164) & pc.fill_null(digits_only, False).to_numpy(zero_copy_only=False)
    if not unread.any():
        return out
    rows = np.flatnonzero(np.append(unread, False)[codes])  # code -1 (null) never
    homes = python_values(home_countries).to_numpy(dtype=object)[rows]
    known = np.array([isinstance(h, str) for h in homes], dtype=bool)
    rows, homes = rows[known], homes[known]
    if not len(rows):
        return out
    pairs = pd.DataFrame({"text": codes[rows], "home": homes})
    pair_codes, distinct = pd.MultiIndex.from_frame(pairs).factorize()
    text_codes = np.array([t for t, _ in distinct], dtype=np.intp)
    read = np.empty(len(distinct), dtype=object)
    for k, (text, (_, home)) in enumerate(zip(texts.at(text_codes), distinct, strict=True)):
        read[k] = _home_number(str(text), home, region)  # digits: never None
    mask = np.zeros(len(out), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(out, mask, pa.array(read[pair_codes], pa.string()))


def _home_number(text: str, home: str, region: str) -> str | None:
    """`text` (digits and separators) as a number of the country `home`: opening with
    its country code ("50255551234" in GT) or national there ("5555 1234"); None when
    it is neither, or `home` is the default region (already read there)."""
    home = home.upper()
    code = phonenumbers.country_code_for_region(home)
    if code == 0 or home == region:
        return None
    digits = _NOT_DIGIT.sub("", text)
    candidates: list[tuple[str, str | None]] = []
    if digits.startswith(str(code)):
        candidates.append(("+" + digits, None))
    candidates.append((text, home))
    for candidate, candidate_region in candidates:
        try:
            number = phonenumbers.parse(candidate, candidate_region)
        except NumberParseException:
            continue
        if number.country_code != code:
            continue
        number = _without_mobile_one(number)
        if phonenumbers.is_valid_number(number):
            return _e164(number)
    return None


def standardize_phone(
    value: object, default_region: str = "US", *, fast: bool = True
) -> str | None:
    """One value; `fast=False` skips the U.S. shortcut (tests check both agree)."""
    region = default_region.upper()
    return _one(_text(value), region, fast=fast and region == "US", nanp=region in _NANP_REGIONS)


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer():  # 7135550123.0 from a spreadsheet
            value = int(value)
    text = str(value).strip()
    if len(text) > _MAX_LENGTH:
        return None
    if "." in text:  # "7135550123.0": a spreadsheet's float, read as text
        text = whole_number_text(text)
    maybe_null = _NULL_TOKEN_DIGITS or not _DIGIT.search(text)
    if maybe_null and _NOT_WORD.sub("", text).upper() in _NULL_TOKENS:
        return None
    return text


def _one(text: str | None, region: str, *, fast: bool, nanp: bool) -> str | None:
    if text is None:
        return None
    if fast:
        match = _US_SHAPE.fullmatch(text)
        if match:
            national = "".join(match.groups())
            if _placeholder(national) or not _NANP_VALID.fullmatch(national):
                return None
            if _US_VALID.fullmatch(national):
                return "+1" + national
        read, e164 = _with_plain_code(text)
        if read:
            return e164
    if nanp and text.startswith("00"):
        # "00" is how most of the world dials out; NANP dials 011 and no NANP number
        # starts with 0, so "00502 5555 1234" can only mean +502.
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        number = _with_country_code(text, region) or number
    if number is not None:
        number = _without_mobile_one(number)
    if number is None or not phonenumbers.is_valid_number(number):
        if not _SEVERAL.search(text):
            return None
        # "(713) 555-0123 / (832) 555-0100": a field holding more than one number keeps
        # the first valid one, as a clerk lists the person's own number first.
        number = next((m.number for m in phonenumbers.PhoneNumberMatcher(text, region)), None)
        if number is None:
            return None
    return _e164(number)


# --- numbers written with their country code, without phonenumbers ----------------------

# Digit groups set apart by one space, dot or dash, perhaps after a "+" ("+502 5610
# 8296", "52 33 4693 5405").
_GROUPED_DIGITS = re.compile(r"\+?[0-9]+(?:[ .\-][0-9]+)*", re.ASCII)
# The number types `phonenumbers` tries, after the general description, for validity.
_NUMBER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def _opens_with_zero(pattern: str) -> bool:
    """Whether every match of `pattern` at the start of a text begins with "0"."""
    items = list(re._parser.parse(pattern))  # type: ignore[attr-defined]
    zero = (re._constants.LITERAL, ord("0"))  # type: ignore[attr-defined]
    return bool(items) and items[0] == zero


def _metadata(region: str) -> phonenumbers.PhoneMetadata:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    assert meta is not None, region  # every region of COUNTRY_CODE_TO_REGION_CODE has some
    return meta


def _plain_country_codes() -> dict[str, str]:
    """Country code (as text) -> its region, for the codes `_with_plain_code` reads: a
    code of one region (no leading digits choose among several), whose national prefix,
    if any, only a number starting with 0 could lose in `phonenumbers.parse`."""
    plain = {}
    for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        if (
            code == 1
            or len(regions) != 1
            or regions[0] == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
        ):
            continue
        meta = _metadata(regions[0])
        if meta.leading_digits is not None:
            continue
        prefix = meta.national_prefix_for_parsing or meta.national_prefix
        if prefix is None or _opens_with_zero(prefix):
            plain[str(code)] = regions[0]
    return plain


_PLAIN_CODES = _plain_country_codes()
_ANY_CODE = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
# How many digits a NANP number may have: ten, and seven for Canada's service numbers.
_NANP_LENGTHS = frozenset(
    length
    for region in _NANP_REGIONS
    if (general := _metadata(region).general_desc) is not None
    for length in general.possible_length
)


@lru_cache(maxsize=4096)
def _valid_in(region: str, length: int) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """The two patterns a national number of `length` digits must both match to pass
    `is_valid_number` in `region`: the general description's, and some number type's,
    each with its possible lengths, as `phonenumbers` checks them. None when no number
    of that length is valid there."""
    meta = _metadata(region)

    def pattern(desc: phonenumbers.PhoneNumberDesc | None) -> str | None:
        if desc is None or (desc.possible_length and length not in desc.possible_length):
            return None
        return desc.national_number_pattern

    general = pattern(meta.general_desc)
    types = [pattern(getattr(meta, name)) for name in _NUMBER_TYPES]
    either = "|".join(f"(?:{p})" for p in dict.fromkeys(types) if p is not None)
    if general is None or not either:
        return None
    return re.compile(general), re.compile(either)


def _is_valid_in(region: str, national: str) -> bool:
    patterns = _valid_in(region, len(national))
    return patterns is not None and all(p.fullmatch(national) for p in patterns)


def _with_plain_code(text: str) -> tuple[bool, str | None]:
    """(True, `_one`'s answer) where it can be had without `phonenumbers`, else (False,
    None): for digit groups (`_GROUPED_DIGITS`) that are no NANP number, the shape of
    nearly every foreign number in the extracts. `phonenumbers` read those at about 70
    microseconds each, nearly three quarters of the time spent on phones.

    Decided here, always as `_one` decides them (tests hold the two equal on numbers of
    every country read here):

    - "+" and a code of `_PLAIN_CODES`: that country's number;
    - no "+", not opening with 0 or 1, 11 to 15 digits (too many for NANP, so `_one`
      reads them with the country code their first group spells): that country's
      number when the code is a plain one, nothing when the first group is no code;
    - no "+", not opening with 0 or 1, a count of digits no NANP number has: nothing.

    The steps are `phonenumbers`' own on its metadata: the code is the first one to
    three digits that are a country's code, the rest the national number (one starting
    with 0 is left to `phonenumbers`: a national prefix or Italy's leading zero concerns
    only those), valid when it matches its region's general pattern and a number
    type's, lengths included. Mexico's old mobile "1" goes as in `_without_mobile_one`.
    """
    if not text or text[0] in "01" or not _GROUPED_DIGITS.fullmatch(text):
        return False, None
    digits = _NOT_DIGIT.sub("", text)
    code = next((digits[:k] for k in (1, 2, 3) if digits[:k] in _ANY_CODE), None)
    if text[0] != "+":
        if not 11 <= len(digits) <= 15:
            return len(digits) not in _NANP_LENGTHS, None
        first_group = _FIRST_GROUP.match(text)
        if first_group is None or first_group[1] != code:
            return True, None  # `_with_country_code` declines, and NANP cannot read it
    region = _PLAIN_CODES.get(code) if code is not None else None
    if code is None or region is None:
        return False, None
    national = digits[len(code) :]
    if not 2 <= len(national) <= 17 or national[0] == "0":
        return False, None
    valid = _is_valid_in(region, national)
    if not valid and code == str(_MEXICO) and len(national) == 11 and national[0] == "1":
        if national[1] == "0":  # `_without_mobile_one` would lose that 0 too
            return False, None
        national = national[1:]
        valid = _is_valid_in(region, national)
    if not valid or _placeholder(national):
        return True, None
    return True, f"+{code}{national}"


def _e164(number: PhoneNumber) -> str | None:
    """A valid number in E.164, None for a placeholder."""
    if _placeholder(str(number.national_number)):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _with_country_code(text: str, region: str) -> PhoneNumber | None:
    """The number `text` spells when it opens with another country's code set apart and
    no "+" before it ("502-5555-1234", "(52) 1 55 1234 5678"), else None; the caller
    checks it is a valid number (see the module docstring).

    Only digits and the usual separators qualify, 11 to 15 digits with no leading 0
    (an outside-dialling prefix, handled before) or NANP "1" (the default reading),
    and the first group of digits must be the country code itself: a U.S. number with
    a stray digit ("415 555 0100 9") would otherwise read as a Swiss one."""
    if not _DIGITS_ONLY.fullmatch(text):
        return None
    digits = _NOT_DIGIT.sub("", text)
    if not 11 <= len(digits) <= 15 or digits[0] in "01":
        return None
    try:
        number = phonenumbers.parse("+" + digits, None)
    except NumberParseException:
        return None
    first_group = _FIRST_GROUP.match(text)
    if first_group is None or first_group[1] != str(number.country_code):
        return None
    if number.country_code == phonenumbers.country_code_for_region(region):
        return None
    return number


def _without_mobile_one(number: PhoneNumber) -> PhoneNumber:
    """A Mexican mobile as written until 2019, "+52 1 55 1234 5678", as dialled since.

    Mexico dropped the "1" that marked a mobile called from abroad in August 2019, and
    the numbering plan no longer accepts it; records from the years before still carry
    it. The same phone must compare equal in both forms, so the "1" goes when what
    follows it is a valid number. Any other number comes back as it is."""
    national = str(number.national_number)
    if number.country_code != _MEXICO or len(national) != 11 or not national.startswith("1"):
        return number
    if phonenumbers.is_valid_number(number):
        return number
    shorter = PhoneNumber(country_code=_MEXICO, national_number=int(national[1:]))
    return shorter if phonenumbers.is_valid_number(shorter) else number


def _placeholder(national: str) -> bool:
    """One digit repeated ("2222222222"): typed to fill a mandatory field."""
    return len(set(national)) == 1
