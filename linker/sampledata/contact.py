"""Where people live and how to call them, and how each agency writes that down.

A household (a family unit after release, a single adult, a sponsor and the children
placed with them) has one true U.S. address in a real destination city, with a plausible
ZIP, and one U.S. phone with a real area code of that city. Records write them in many
ways: suffix spelled out or abbreviated, units as "Apt 4", "#4" or "Unit 4B", a missing
number or ZIP, the city alone, a shelter's address or phone given by hundreds of people,
a home-country mobile number, or nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linker.sampledata import pools
from linker.sampledata.corruption import PAD2, PAD3, PAD4, join

# Exchanges (NXX) a real U.S. number can have: 200-999 without N11, 555 and a few specials.
_EXCHANGES = np.array(
    [x for x in range(200, 1000) if x % 100 != 11 and x not in (555, 950, 958, 959, 976)]
)
_UNIT_LABELS = (("Apt", "APT"), ("Apt.", "APT."), ("#", "#"), ("Unit", "UNIT"))
_UNIT_LETTERS = np.array(["", "", "", "A", "B", "C", "D"], dtype=object)


@dataclass(frozen=True)
class Households:
    number: np.ndarray  # int64 street number
    predir: np.ndarray  # int64 index into pools.DIRECTIONS, -1 none
    street: np.ndarray  # int64 index into pools.streets()
    suffix: np.ndarray  # int64 index into pools.SUFFIXES
    unit: np.ndarray  # object: "4", "12B" or ""
    city: np.ndarray  # int64 index into pools.cities()
    zip: np.ndarray  # int64
    area: np.ndarray  # object: area code
    exchange: np.ndarray  # int64
    line: np.ndarray  # int64


def build_households(rng: np.random.Generator, n: int) -> Households:
    c = pools.cities()
    city = rng.choice(len(c.name), n, p=c.prob)
    zip_ = c.zip_lo[city] + np.floor(rng.random(n) * (c.zip_hi[city] - c.zip_lo[city] + 1)).astype(
        np.int64
    )
    area = c.area_codes[c.area_start[city] + rng.integers(0, 1 << 30, n) % c.area_count[city]]
    long = rng.random(n) < 0.12  # five-digit numbers of long suburban roads
    number = np.where(long, rng.integers(10_000, 30_000, n), rng.integers(100, 10_000, n))
    has_unit = rng.random(n) < 0.35
    unit = np.where(
        has_unit,
        num_str(rng.integers(1, 41, n)) + _UNIT_LETTERS[rng.integers(0, 7, n)],
        "",
    )
    sw = np.array(pools.SUFFIX_WEIGHTS, dtype=float)
    return Households(
        number=number,
        predir=np.where(rng.random(n) < 0.25, rng.integers(0, 4, n), -1),
        street=rng.integers(0, len(pools.streets()), n),
        suffix=rng.choice(len(pools.SUFFIXES), n, p=sw / sw.sum()),
        unit=unit.astype(object),
        city=city,
        zip=zip_,
        area=area,
        exchange=_EXCHANGES[rng.integers(0, len(_EXCHANGES), n)],
        line=rng.integers(0, 10000, n),
    )


_STR = np.array([str(i) for i in range(100_000)], dtype=object)


def num_str(values: np.ndarray) -> np.ndarray:
    """Decimal strings of small non-negative ints (street numbers, units, ZIP codes)."""
    return _STR[values]


@dataclass(frozen=True)
class AddressParts:
    """One record's address as separate strings (CBP style); '' where absent."""

    number: np.ndarray
    street: np.ndarray  # pre-direction, name, suffix and unit
    city: np.ndarray
    state: np.ndarray
    zip: np.ndarray


def _cased(values: list[str], upper: np.ndarray, idx: np.ndarray) -> np.ndarray:
    table = np.array([*values, ""], dtype=object)
    table_up = np.array([*(v.upper() for v in values), ""], dtype=object)
    return np.where(upper, table_up[idx], table[idx])


def address_parts(
    rng: np.random.Generator, hh: Households, idx: np.ndarray, upper: np.ndarray
) -> AddressParts:
    """The households' true addresses as written, with the record's own spelling choices."""
    n = len(idx)
    suffix = hh.suffix[idx]
    variants = np.array([len(s) for s in pools.SUFFIXES])
    pick = np.floor(rng.random(n) * variants[suffix]).astype(np.int64)
    flat = [v for s in pools.SUFFIXES for v in s]
    starts = np.concatenate([[0], np.cumsum(variants)[:-1]])
    suffix_s = _cased(flat, upper, starts[suffix] + pick)
    predir = _cased(list(pools.DIRECTIONS), upper, hh.predir[idx])
    street = _cased(list(pools.streets()), upper, hh.street[idx])
    unit = hh.unit[idx]
    label = rng.integers(0, len(_UNIT_LABELS), n)
    label_s = _cased([lab[0] for lab in _UNIT_LABELS], upper, label)
    unit_s = np.where(unit != "", np.where(label == 2, "#" + unit, label_s + " " + unit), "")
    line = join(predir, street, suffix_s, unit_s)
    c = pools.cities()
    return AddressParts(
        number=num_str(hh.number[idx]),
        street=line,
        city=_cased(list(c.name), upper, hh.city[idx]),
        state=c.state[hh.city[idx]],
        zip=zip5(hh.zip[idx]),
    )


def zip5(z: np.ndarray) -> np.ndarray:
    return PAD2[z // 1000] + PAD3[z % 1000]


def shelter_parts(which: np.ndarray, upper: np.ndarray) -> AddressParts:
    """Addresses of shelters / NGO reception centres (index into pools.SHELTERS)."""
    cols = list(zip(*pools.SHELTERS, strict=True))

    def col(k: int) -> np.ndarray:
        return _cased(list(cols[k]), upper, which)

    street = np.where(col(2) != "", col(1) + " " + col(2), col(1))
    return AddressParts(number=col(0), street=street, city=col(3), state=col(4), zip=col(5))


def choose(mask: np.ndarray, a: AddressParts, b: AddressParts) -> AddressParts:
    """Row-wise a where mask else b."""
    return AddressParts(
        *(np.where(mask, getattr(a, f), getattr(b, f)) for f in AddressParts.__dataclass_fields__)
    )


def take(parts: AddressParts, rows: np.ndarray) -> AddressParts:
    """The parts of the given rows (e.g. the first row of each copy-pasted run)."""
    return AddressParts(*(getattr(parts, f)[rows] for f in AddressParts.__dataclass_fields__))


def blank(parts: AddressParts, mask: np.ndarray, fields: tuple[str, ...]) -> AddressParts:
    """Empty the named fields where mask holds."""
    vals = {f: getattr(parts, f) for f in AddressParts.__dataclass_fields__}
    for f in fields:
        vals[f] = np.where(mask, "", vals[f])
    return AddressParts(**vals)


def one_line(rng: np.random.Generator, parts: AddressParts, no_zip_rate: float) -> np.ndarray:
    """ "123 Main St Apt 4, Houston, TX 77001", sometimes without commas or the ZIP."""
    n = len(parts.number)
    commas = rng.random(n) < 0.75
    street = np.where(parts.number != "", parts.number + " " + parts.street, parts.street)
    zip_ = np.where(rng.random(n) < no_zip_rate, "", parts.zip)
    state_zip = np.where(zip_ != "", parts.state + " " + zip_, parts.state)
    with_commas = street + ", " + parts.city + ", " + state_zip
    without = street + " " + parts.city + " " + state_zip
    return np.where(commas, with_commas, without)


# --- phones ----------------------------------------------------------------------------------

US_FORMATS = ("paren", "dash", "digits", "plus1", "one_dash", "dots")


def us_phone(
    area: np.ndarray, exchange: np.ndarray, line: np.ndarray, style: np.ndarray
) -> np.ndarray:
    """U.S. numbers in the ways clerks write them; style indexes US_FORMATS."""
    out = np.empty(len(area), dtype=object)
    for k in range(len(US_FORMATS)):
        sel = np.flatnonzero(style == k)
        if not len(sel):
            continue
        a, e, ln = area[sel], PAD3[exchange[sel]], PAD4[line[sel]]
        if k == 0:
            out[sel] = "(" + a + ") " + e + "-" + ln
        elif k == 1:
            out[sel] = a + "-" + e + "-" + ln
        elif k == 2:
            out[sel] = a + e + ln
        elif k == 3:
            out[sel] = "+1 " + a + " " + e + " " + ln
        elif k == 4:
            out[sel] = "1-" + a + "-" + e + "-" + ln
        else:
            out[sel] = a + "." + e + "." + ln
    return out


# How a home-country number is written, by the record's U.S. phone style (the clerk's
# habit, US_FORMATS): with "+", the country code with no "+" in its own group ("dash"
# writers) or run into the digits ("digits" writers), or the national number alone.
_FOREIGN_FORMATS = ("plus", "code", "run", "plus", "plus", "national")


def foreign_phone(
    country: np.ndarray, key: np.ndarray, style: np.ndarray | None = None
) -> np.ndarray:
    """A home-country mobile number per person (same person, same number), '' if none known.

    The digits come from the person's stable key by multiplicative hashing, so every record
    of one person shows the same number without storing one per person. `style` (the
    record's U.S. phone style, 0-5; default 0) picks how it is written: "+502 5555 1234",
    "50255551234", "502 5555 1234" or "5555 1234".
    """
    style = np.zeros(len(country), dtype=np.int64) if style is None else style
    iso = pools.country_arrays()["iso2"][country]
    out = np.full(len(country), "", dtype=object)
    for code, (cc, leads, length, groups) in pools.FOREIGN_PHONES.items():
        sel = np.flatnonzero(iso == code)
        if not len(sel):
            continue
        h = (key[sel].astype(np.uint64) * np.uint64(2654435761)) % np.uint64(10**12)
        lead = np.array(leads, dtype=object)[(h % np.uint64(len(leads))).astype(np.int64)]
        for i, row in enumerate(sel):
            rest = length - len(lead[i])
            digits = lead[i] + f"{int(h[i]) // 7:012d}"[-rest:]
            parts, at = [], 0
            for g in groups:
                parts.append(digits[at : at + g])
                at += g
            written = _FOREIGN_FORMATS[int(style[row])]
            if written == "run":
                out[row] = cc + digits
            elif written == "national":
                out[row] = " ".join(parts)
            else:
                out[row] = ("+" if written == "plus" else "") + cc + " " + " ".join(parts)
    return out


# Shelter phones as (area, exchange, line) arrays indexed like pools.SHELTERS.
SHELTER_PHONES: tuple[np.ndarray, np.ndarray, np.ndarray] = (
    np.array([s[6][:3] for s in pools.SHELTERS], dtype=object),
    np.array([int(s[6][3:6]) for s in pools.SHELTERS]),
    np.array([int(s[6][6:]) for s in pools.SHELTERS]),
)
