"""Pools the generator draws from: names, countries, cities, streets, shelters.

Names are held as integer indices into one table per kind (given names, surnames), with
every written form precomputed per table entry: title or upper case, with accents, without,
or with only what cp1252 can encode. Rendering a million names is then one fancy-index
into a small object array, never a per-row string operation. Nicknames, transliteration
variants and the feminine form of Slavic surnames are extra table entries reached through
index arrays, so choosing a variant is integer arithmetic too.

Weights are Zipf-like by rank in the CSV files (most common first): a few surnames
(Hernandez, Garcia, Lopez...) cover a large share, as in the real population, which is what
makes blocking on surname hard.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from unidecode import unidecode

# Form codes: rows of NameTable.forms.
TITLE_ACCENT, TITLE_PLAIN, TITLE_CP1252, UPPER_ACCENT, UPPER_PLAIN, UPPER_CP1252 = range(6)

CULTURES: tuple[str, ...] = ("es", "pt", "ht", "in", "zh", "ru", "uk", "ro", "tr")
TWO_SURNAME_CULTURES: frozenset[str] = frozenset({"es", "pt"})
_GIVEN_ZIPF = 0.8
_SURNAME_ZIPF = 0.85


@dataclass(frozen=True)
class Country:
    iso2: str
    fips: str
    iso3: str
    english: str
    spanish: str
    culture: str


# Weights are per traveller group kind: single adults, family units, unaccompanied children.
COUNTRIES: tuple[tuple[Country, float, float, float], ...] = (
    (Country("MX", "MX", "MEX", "Mexico", "México", "es"), 38, 8, 10),
    (Country("GT", "GT", "GTM", "Guatemala", "Guatemala", "es"), 10, 14, 45),
    (Country("HN", "HO", "HND", "Honduras", "Honduras", "es"), 9, 22, 28),
    (Country("SV", "ES", "SLV", "El Salvador", "El Salvador", "es"), 4, 6, 10),
    (Country("NI", "NU", "NIC", "Nicaragua", "Nicaragua", "es"), 4, 4, 2),
    (Country("VE", "VE", "VEN", "Venezuela", "Venezuela", "es"), 6, 12, 1),
    (Country("CU", "CU", "CUB", "Cuba", "Cuba", "es"), 6, 4, 0.3),
    (Country("EC", "EC", "ECU", "Ecuador", "Ecuador", "es"), 4, 7, 2),
    (Country("CO", "CO", "COL", "Colombia", "Colombia", "es"), 4, 7, 0.5),
    (Country("PE", "PE", "PER", "Peru", "Perú", "es"), 1.5, 2, 0.2),
    (Country("DO", "DR", "DOM", "Dominican Republic", "República Dominicana", "es"), 1, 0.5, 0.2),
    (Country("HT", "HA", "HTI", "Haiti", "Haití", "ht"), 2, 6, 0.5),
    (Country("BR", "BR", "BRA", "Brazil", "Brasil", "pt"), 2, 4, 0.3),
    (Country("IN", "IN", "IND", "India", "India", "in"), 2.5, 0.5, 0.2),
    (Country("CN", "CH", "CHN", "China", "China", "zh"), 2, 0.5, 0.1),
    (Country("RU", "RS", "RUS", "Russia", "Rusia", "ru"), 1.2, 1, 0),
    (Country("UA", "UP", "UKR", "Ukraine", "Ucrania", "uk"), 0.5, 1, 0),
    (Country("RO", "RO", "ROU", "Romania", "Rumania", "ro"), 0.5, 1, 0.1),
    (Country("TR", "TU", "TUR", "Turkey", "Turquía", "tr"), 1.5, 0.5, 0),
)

# Home-country mobile numbers: calling code, leading digits choices, digit count, grouping.
FOREIGN_PHONES: dict[str, tuple[str, tuple[str, ...], int, tuple[int, ...]]] = {
    "GT": ("502", ("3", "4", "5"), 8, (4, 4)),
    "HN": ("504", ("3", "8", "9"), 8, (4, 4)),
    "SV": ("503", ("7",), 8, (4, 4)),
    "NI": ("505", ("8",), 8, (4, 4)),
    "MX": ("52", ("55", "33", "81"), 10, (2, 4, 4)),
    "VE": ("58", ("412", "414", "424", "416"), 10, (3, 3, 4)),
    "CO": ("57", ("300", "310", "311", "315", "320"), 10, (3, 3, 4)),
    "EC": ("593", ("98", "99"), 9, (2, 3, 4)),
    "HT": ("509", ("34", "37", "38", "47"), 8, (4, 4)),
}

# Shelters and NGO reception centres whose address many released people give (fictional
# organisations at plausible addresses in real border and destination cities).
SHELTERS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    # number, street, unit, city, state, zip, phone
    ("1210", "E Overland Ave", "", "El Paso", "TX", "79901", "9155330142"),
    ("806", "S Virginia St", "", "El Paso", "TX", "79901", "9155441871"),
    ("2710", "N Zarzamora St", "", "San Antonio", "TX", "78201", "2107332915"),
    ("1515", "Hidalgo Ave", "Ste 100", "McAllen", "TX", "78501", "9566874210"),
    ("3100", "S Lamar Blvd", "", "Austin", "TX", "78704", "5124478821"),
    ("455", "W Adams St", "", "Phoenix", "AZ", "85003", "6022581466"),
    ("1400", "N Flagler Dr", "", "West Palm Beach", "FL", "33401", "5618324219"),
    ("225", "W 34th St", "Fl 3", "New York", "NY", "10001", "2127365548"),
    ("1919", "W Cermak Rd", "", "Chicago", "IL", "60608", "3124218023"),
    ("650", "Washington St", "", "Denver", "CO", "80203", "3038612207"),
)

# Street suffixes: canonical word, then written variants (canonical first).
SUFFIXES: tuple[tuple[str, ...], ...] = (
    ("Street", "St", "St."),
    ("Avenue", "Ave", "Ave.", "Av"),
    ("Road", "Rd", "Rd."),
    ("Drive", "Dr", "Dr."),
    ("Boulevard", "Blvd", "Blvd."),
    ("Lane", "Ln"),
    ("Court", "Ct"),
    ("Way",),
    ("Place", "Pl"),
    ("Circle", "Cir"),
    ("Parkway", "Pkwy"),
)
SUFFIX_WEIGHTS = (30, 22, 12, 10, 6, 5, 4, 3, 3, 2, 3)
DIRECTIONS = ("N", "S", "E", "W")

# Stated sponsor relationships: English, then Spanish as some case managers write them.
RELATIONSHIPS: dict[str, tuple[str, str]] = {
    "mother": ("Mother", "Madre"),
    "father": ("Father", "Padre"),
    "uncle": ("Uncle", "Tío"),
    "aunt": ("Aunt", "Tía"),
    "brother": ("Brother", "Hermano"),
    "sister": ("Sister", "Hermana"),
    "cousin_m": ("Cousin", "Primo"),
    "cousin_f": ("Cousin", "Prima"),
    "grandmother": ("Grandmother", "Abuela"),
    "grandfather": ("Grandfather", "Abuelo"),
    "friend": ("Family friend", "Amigo de la familia"),
    "other": ("Other", "Otro"),
}


@dataclass(frozen=True)
class NameTable:
    """All names of one kind as parallel arrays; index -1 renders as an empty string."""

    text: tuple[str, ...]
    forms: np.ndarray  # object (6, n + 1): written forms, last column ""
    weight: np.ndarray  # float64 (n,): 0 for entries reached only as a variant
    culture: np.ndarray  # int8 (n,) index into CULTURES
    sex: np.ndarray  # int8 (n,): 0 male, 1 female, -1 either (surnames)
    variant_start: np.ndarray  # int64 (n,) into variant_idx
    variant_count: np.ndarray  # int64 (n,)
    variant_idx: np.ndarray  # int64
    nick_start: np.ndarray
    nick_count: np.ndarray
    nick_idx: np.ndarray
    feminine: np.ndarray  # int64 (n,): the feminine form's index (itself when none)

    def pool(self, culture: str, sex: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Indices and probabilities of the entries drawn for a culture (and sex)."""
        mask = (self.culture == CULTURES.index(culture)) & (self.weight > 0)
        if sex is not None:
            mask &= (self.sex == sex) | (self.sex == -1)
        idx = np.flatnonzero(mask)
        w = self.weight[idx]
        return idx, w / w.sum()


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("linker.sampledata.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _cp1252_safe(text: str) -> str:
    """Keep what cp1252 can encode (Spanish, French accents), transliterate the rest."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            out.append(unidecode(ch))
    return "".join(out)


def _upper(text: str) -> str:
    return unicodedata.normalize("NFC", text.upper())


def _forms(texts: list[str]) -> np.ndarray:
    rows = [
        list(texts),  # the pool's own spelling: title case, particles lower-case
        [unidecode(t) for t in texts],
        [_cp1252_safe(t) for t in texts],
        [_upper(t) for t in texts],
        [unidecode(t).upper() for t in texts],
        [_cp1252_safe(_upper(t)) for t in texts],
    ]
    forms = np.empty((6, len(texts) + 1), dtype=object)
    for r, row in enumerate(rows):
        forms[r, : len(texts)] = row
        forms[r, len(texts)] = ""
    return forms


def _feminine(name: str, culture: str) -> str | None:
    """Feminine form of a surname where the language inflects it (Ivanov -> Ivanova)."""
    if culture == "in" and name in ("Singh", "Sing"):
        return "Kaur"
    if culture not in ("ru", "uk"):
        return None
    if name.endswith(("ov", "ev", "yov", "in", "yn")):
        return name + "a"
    if name.endswith(("skiy", "skyi")):
        return name[:-4] + "skaya"
    return None


def _csr(groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    count = np.array([len(g) for g in groups], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    flat = np.array([i for g in groups for i in g], dtype=np.int64)
    return start, count, flat


def _build_table(
    entries: list[tuple[str, str, int, float]],
    variants: list[tuple[str, str]],
    nicknames: list[tuple[str, str]],
) -> NameTable:
    """entries: (name, culture, sex, weight); variants / nicknames: (name, other)."""
    text: list[str] = []
    culture: list[int] = []
    sex: list[int] = []
    weight: list[float] = []
    key: dict[tuple[str, int], int] = {}

    def add(name: str, cult: int, sx: int, w: float) -> int:
        k = (name, cult)
        if k in key:
            i = key[k]
            if w > 0 and sex[i] != sx:
                sex[i] = -1  # the same name for both sexes (Rosario, Harpreet)
            return i
        key[k] = len(text)
        text.append(name)
        culture.append(cult)
        sex.append(sx)
        weight.append(w)
        return key[k]

    for name, cult, sx, w in entries:
        add(name, CULTURES.index(cult), sx, w)
    base = list(range(len(text)))
    var_of: dict[int, list[int]] = {i: [] for i in base}
    nick_of: dict[int, list[int]] = {i: [] for i in base}
    by_name: dict[str, list[int]] = {}
    for i in base:
        by_name.setdefault(text[i], []).append(i)
    for name, other in variants:
        for i in by_name.get(name, []):
            var_of[i].append(add(other, culture[i], sex[i], 0.0))
    for name, nick in nicknames:
        for i in by_name.get(name, []):
            nick_of[i].append(add(nick, culture[i], sex[i], 0.0))
    fem = list(range(len(text)))
    for i in range(len(text)):
        f = _feminine(text[i], CULTURES[culture[i]])
        if f is not None:
            fem[i] = add(f, culture[i], 1, 0.0)
    fem += list(range(len(fem), len(text)))  # entries added as feminine forms map to themselves
    n = len(text)
    v_start, v_count, v_idx = _csr([var_of.get(i, []) for i in range(n)])
    n_start, n_count, n_idx = _csr([nick_of.get(i, []) for i in range(n)])
    return NameTable(
        text=tuple(text),
        forms=_forms(text),
        weight=np.array(weight, dtype=np.float64),
        culture=np.array(culture, dtype=np.int8),
        sex=np.array(sex, dtype=np.int8),
        variant_start=v_start,
        variant_count=v_count,
        variant_idx=v_idx,
        nick_start=n_start,
        nick_count=n_count,
        nick_idx=n_idx,
        feminine=np.array(fem, dtype=np.int64),
    )


def _zipf(rank: int, s: float) -> float:
    return 1.0 / (rank**s)


@cache
def given_names() -> NameTable:
    rows = _read_csv("given_names.csv")
    rank: dict[tuple[str, str], int] = {}
    entries = []
    for r in rows:
        k = (r["culture"], r["sex"])
        rank[k] = rank.get(k, 0) + 1
        entries.append(
            (r["name"], r["culture"], 0 if r["sex"] == "M" else 1, _zipf(rank[k], _GIVEN_ZIPF))
        )
    variants = [
        (r["name"], r["variant"]) for r in _read_csv("variants.csv") if r["kind"] == "given"
    ]
    nicks = [(r["name"], r["nickname"]) for r in _read_csv("nicknames.csv")]
    return _build_table(entries, variants, nicks)


@cache
def surnames() -> NameTable:
    rows = _read_csv("surnames.csv")
    rank: dict[str, int] = {}
    entries = []
    for r in rows:
        rank[r["culture"]] = rank.get(r["culture"], 0) + 1
        entries.append((r["name"], r["culture"], -1, _zipf(rank[r["culture"]], _SURNAME_ZIPF)))
    variants = [
        (r["name"], r["variant"]) for r in _read_csv("variants.csv") if r["kind"] == "surname"
    ]
    return _build_table(entries, variants, [])


@dataclass(frozen=True)
class Cities:
    name: np.ndarray  # object
    state: np.ndarray  # object
    zip_lo: np.ndarray  # int64
    zip_hi: np.ndarray  # int64
    area_start: np.ndarray
    area_count: np.ndarray
    area_codes: np.ndarray  # object, flat
    prob: np.ndarray


@cache
def cities() -> Cities:
    rows = _read_csv("cities.csv")
    codes = [r["area_codes"].split() for r in rows]
    count = np.array([len(c) for c in codes], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    w = np.array([float(r["weight"]) for r in rows])
    return Cities(
        name=np.array([r["city"] for r in rows], dtype=object),
        state=np.array([r["state"] for r in rows], dtype=object),
        zip_lo=np.array([int(r["zip_lo"]) for r in rows], dtype=np.int64),
        zip_hi=np.array([int(r["zip_hi"]) for r in rows], dtype=np.int64),
        area_start=start,
        area_count=count,
        area_codes=np.array([c for cs in codes for c in cs], dtype=object),
        prob=w / w.sum(),
    )


@cache
def streets() -> np.ndarray:
    return np.array([r["name"] for r in _read_csv("streets.csv")], dtype=object)


@cache
def country_arrays() -> dict[str, np.ndarray]:
    """Country attributes as object arrays indexed like COUNTRIES, plus an empty slot at -1.

    Shared and cached: index into them (which copies), never assign into them.
    """
    keys = ("iso2", "fips", "iso3", "english", "spanish", "culture")
    return {k: np.array([*(getattr(c, k) for c, *_ in COUNTRIES), ""], dtype=object) for k in keys}


def country_weights(kind: int) -> np.ndarray:
    """Probabilities over COUNTRIES for 0 single adults, 1 family units, 2 children."""
    w = np.array([row[1 + kind] for row in COUNTRIES], dtype=np.float64)
    return w / w.sum()
