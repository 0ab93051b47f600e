"""Facts about each record and each resolved person that the relation rules read.

Everything is integer codes and floats: entities, family groups, surnames and contacts
are factorized once, so the pair rules are numpy comparisons, never string compares in a
loop. Ages are taken at the record's own event: a child who crossed at 9 and again at 12
is a minor in both, whatever today's date is. A related person's row (an HHS sponsor)
has no event date of its own and borrows the row's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from linker import columns as C
from linker.errors import DataContractError
from linker.family import kinds as K

DAYS_PER_YEAR: Final = 365.25
# Internal columns of the facts frame (record level) and the people frame (entity level).
ENTITY: Final = "entity"  # int64 code of the entity, position in the people frame
AGE: Final = "age"  # float years at the record's event, NaN when unknown
BIRTH: Final = "birth"  # fractional birth year, NaN when unknown
SLACK: Final = "slack"  # years the birth may be off: 0 for a full date, 0.5 for a year alone
EVENT: Final = "event"  # fractional event year, NaN when unknown
SURNAME_1: Final = "surname_1"  # int64 code of the stemmed first surname, -1 none
SURNAME_2: Final = "surname_2"
SOUND_1: Final = "sound_1"  # int64 code of the first surname's phonetic key, -1 none
SOUND_2: Final = "sound_2"
UNIT: Final = "unit"  # int64 code of the family group, -1 none
NAME: Final = "name"
BIRTH_YEAR: Final = "birth_year"
MINOR: Final = "minor"
N_RECORDS: Final = "records"
LATEST_EVENT: Final = "latest_event"

# Feminine surname forms that mark no different family (Ivanova is Ivanov's daughter).
_FEMININE: Final = ((re.compile(r"(OV|EV|IN|YN)A$"), r"\1"), (re.compile(r"SKAYA$"), "SKIY"))
_SAME_FAMILY: Final = {"KAUR": "SINGH"}  # Sikh daughters and sons take different names

FACT_INPUT_COLUMNS: Final[tuple[str, ...]] = (
    C.RECORD_ID,
    C.SOURCE,
    C.RECORD_KEY,
    C.ROW_KEY,
    C.ROLE,
    C.FULL_NAME,
    C.FAMILY_NAME_1,
    C.FAMILY_NAME_2,
    C.FAMILY_1_PHONETIC,
    C.FAMILY_2_PHONETIC,
    C.DOB,
    C.DOB_YEAR,
    C.DOB_QUALITY,
    C.SEX,
    C.ADDRESS,
    C.ADDRESS_KEY,
    C.PHONE,
    C.EVENT_DATE,
    C.FAMILY_GROUP,
    C.RELATED_TO,
    C.RELATION,
    C.RELATIONSHIP,
)


@dataclass(frozen=True)
class FamilySettings:
    """Thresholds of the relation rules; the defaults suit the agencies' extracts."""

    adult_age: float = 18.0
    parent_gap: tuple[float, float] = (14.0, 60.0)  # years between a parent and a child
    young_adult_years: float = 6.0  # an adult this close to adult_age may be a unit's child
    max_unit_size: int = 20  # a "family group" larger than this is a placeholder id
    max_shared: int = 12  # a phone / address held by more people is summarized, not paired
    max_sponsored: int = 50  # children of one sponsor compared for siblings
    # Source names by the agency's part in the story (the mapping's names).
    border_source: str = "cbp"  # where families are encountered together
    release_source: str = "ice"  # where released adults check in, with a release address
    custody_source: str = "hhs"  # where unaccompanied children are placed with a sponsor


def record_facts(records: pd.DataFrame, entities: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Per record: its entity code, age at the event, surname codes, family group code.

    Returns the facts frame (one row per record that has an entity, record order kept)
    and the entity ids, sorted, whose positions are the codes.
    """
    missing = [c for c in FACT_INPUT_COLUMNS if c not in records.columns]
    if missing:
        raise DataContractError(
            f"records lack column(s) {', '.join(missing)} needed for the family graph"
        )
    if C.ENTITY_ID not in entities.columns:
        raise DataContractError("entities lack the entity_id column")
    entity_of = _entity_per_record(records, entities)
    entity_ids, entity = np.unique(entity_of, return_inverse=True)
    facts = pd.DataFrame(
        {
            C.RECORD_ID: records[C.RECORD_ID].to_numpy(np.int64),
            ENTITY: entity.astype(np.int64),
            C.SOURCE: _plain_text(records[C.SOURCE]),
            C.RECORD_KEY: _plain_text(records[C.RECORD_KEY]),
            C.ROW_KEY: _plain_text(records[C.ROW_KEY]),
            C.ROLE: _plain_text(records[C.ROLE]),
            C.FULL_NAME: _text(records[C.FULL_NAME]),
            C.SEX: _text(records[C.SEX]),
            C.ADDRESS: _text(records[C.ADDRESS]),
            C.ADDRESS_KEY: _text(records[C.ADDRESS_KEY]),
            C.PHONE: _text(records[C.PHONE]),
            C.EVENT_DATE: _text(records[C.EVENT_DATE]),
            C.FAMILY_GROUP: _text(records[C.FAMILY_GROUP]),
            C.RELATED_TO: _text(records[C.RELATED_TO]),
            C.RELATION: _text(records[C.RELATION]),
            C.RELATIONSHIP: _text(records[C.RELATIONSHIP]),
        }
    )
    facts[EVENT] = _row_event_year(facts)
    birth, slack = _birth_year(records)
    # A record without a birth date takes its person's (median over their records).
    person_birth = pd.Series(birth).groupby(entity).transform("median").to_numpy()
    facts[BIRTH] = np.where(np.isnan(birth), person_birth, birth)
    facts[SLACK] = np.where(np.isnan(birth), 1.0, slack)
    facts[AGE] = facts[EVENT].to_numpy() - facts[BIRTH].to_numpy()
    stems = [_surname_stems(records[c]) for c in (C.FAMILY_NAME_1, C.FAMILY_NAME_2)]
    facts[SURNAME_1], facts[SURNAME_2] = _joint_codes(*stems)
    sounds = [_text(records[c]) for c in (C.FAMILY_1_PHONETIC, C.FAMILY_2_PHONETIC)]
    facts[SOUND_1], facts[SOUND_2] = _joint_codes(*sounds)
    facts[UNIT] = pd.factorize(facts[C.FAMILY_GROUP])[0].astype(np.int64)
    return facts, entity_ids


def people_frame(
    facts: pd.DataFrame, entity_ids: np.ndarray, entities: pd.DataFrame, adult_age: float = 18.0
) -> pd.DataFrame:
    """One row per entity (row position = entity code): what a picture or a list shows.

    ``name`` is the full name most of the person's records give, ``birth_year`` the median
    year, ``age`` and ``minor`` at the person's latest event, ``sources`` the agencies
    holding a record, ``a_number`` the entity's.
    """
    n = len(entity_ids)
    entity = facts[ENTITY].to_numpy()
    name = _most_common(entity, facts[C.FULL_NAME], n)
    sex = _most_common(entity, facts[C.SEX], n)
    birth = pd.Series(facts[BIRTH].to_numpy()).groupby(entity).median().reindex(range(n))
    latest = pd.Series(facts[EVENT].to_numpy()).groupby(entity).max().reindex(range(n))
    age = latest.to_numpy() - birth.to_numpy()
    source_codes, source_names = pd.factorize(facts[C.SOURCE])
    bits = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(bits, entity, np.int64(1) << source_codes.astype(np.int64))
    sources = source_labels(bits, list(source_names))
    a_number = pd.Series(entities[C.A_NUMBER].to_numpy(), index=entities[C.ENTITY_ID].to_numpy())
    a_number = a_number[~a_number.index.duplicated()]
    return pd.DataFrame(
        {
            C.ENTITY_ID: entity_ids,
            NAME: name,
            C.SEX: sex,
            BIRTH_YEAR: pd.array(np.floor(birth.to_numpy()), dtype="Int64"),
            AGE: pd.array(np.floor(age), dtype="Int64"),
            MINOR: age < adult_age,
            C.A_NUMBER: a_number.reindex(entity_ids).to_numpy(),
            K.SOURCES: sources,
            N_RECORDS: np.bincount(entity, minlength=n),
            LATEST_EVENT: latest.to_numpy(),
        }
    )


@dataclass(frozen=True)
class Surnames:
    """Every surname a person is known by, over all their records: an event's record
    often holds one surname or both glued together, another agency's the full pair.

    Held as CSR arrays by entity code: ``code`` (stems, feminine forms folded, and
    phonetic keys in one code space) and ``position`` (1 for a first surname, 2 for a
    second) of entity e are at ``start[e]:start[e + 1]``. ``present`` is, per entity, the
    bitmask of positions it has; ``known`` the sorted keys ``entity * width + code``.
    """

    start: np.ndarray
    code: np.ndarray
    position: np.ndarray
    present: np.ndarray
    known: np.ndarray
    width: int

    @classmethod
    def of(cls, facts: pd.DataFrame, n_entities: int) -> Surnames:
        entity = facts[ENTITY].to_numpy()
        offset = int(max(facts[SURNAME_1].max(), facts[SURNAME_2].max(), -1)) + 1
        width = 2 * offset + 1
        keys = []
        for bit, (stem, sound) in enumerate(((SURNAME_1, SOUND_1), (SURNAME_2, SOUND_2))):
            for column, shift in ((stem, 0), (sound, offset)):
                code = facts[column].to_numpy()
                ok = code >= 0
                # One int64 per (entity, code, position): deduplicated by np.unique.
                keys.append((entity[ok] * width + code[ok] + shift) * 2 + bit)
        flat = np.unique(np.concatenate(keys)) if keys else np.empty(0, np.int64)
        position = (flat % 2) + 1
        entity_code = flat // 2
        owner, code = entity_code // width, entity_code % width
        start = np.searchsorted(owner, np.arange(n_entities + 1))
        present = np.zeros(n_entities, dtype=np.int64)
        np.bitwise_or.at(present, owner, np.int64(1) << (position - 1))
        return cls(
            start=start,
            code=code,
            position=position,
            present=present,
            known=np.unique(entity_code),
            width=width,
        )

    def matched(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per pair, the bitmask of b's surname positions that a is also known by.

        Bit 1: b's first surname is one of a's surnames (any position); bit 2: b's second.
        For an adult a and a child b, bit 1 points to the father's line, bit 2 to the
        mother's, in the Latin order. Each of b's surnames is looked up among a's by
        binary search over the sorted (entity, code) keys.
        """
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        bits = np.zeros(len(a), dtype=np.int64)
        counts = self.start[b + 1] - self.start[b]
        total = int(counts.sum())
        if total == 0:
            return bits
        row = np.repeat(np.arange(len(a)), counts)
        first = np.repeat(self.start[b], counts)
        offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        entry = first + offset
        wanted = a[row] * self.width + self.code[entry]
        at = np.minimum(np.searchsorted(self.known, wanted), len(self.known) - 1)
        hit = self.known[at] == wanted
        np.bitwise_or.at(bits, row[hit], np.int64(1) << (self.position[entry[hit]] - 1))
        return bits

    def shared(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per pair: do the two share any surname?"""
        return self.matched(a, b) > 0

    def same(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per pair: is each surname either has (by position) one of the other's?"""
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        return (
            (self.matched(a, b) == self.present[b])
            & (self.matched(b, a) == self.present[a])
            & (self.present[a] > 0)
        )


# --- internals ----------------------------------------------------------------------------
def _entity_per_record(records: pd.DataFrame, entities: pd.DataFrame) -> np.ndarray:
    """The entity of each record, by record_id when both frames have it, else by key."""
    if C.RECORD_ID in entities.columns:
        table = pd.Series(
            entities[C.ENTITY_ID].to_numpy(), index=entities[C.RECORD_ID].to_numpy(np.int64)
        )
        found = table.reindex(records[C.RECORD_ID].to_numpy(np.int64))
    else:
        # (source, record_key) as one int64 per side; factorizing two string columns once
        # is far cheaper than a MultiIndex of a million string tuples.
        n = len(records)
        source = pd.factorize(
            np.concatenate([_plain_text(records[C.SOURCE]), _plain_text(entities[C.SOURCE])])
        )[0]
        key = pd.factorize(
            np.concatenate(
                [_plain_text(records[C.RECORD_KEY]), _plain_text(entities[C.RECORD_KEY])]
            )
        )[0]
        joint = key.astype(np.int64) * (int(source.max(initial=0)) + 1) + source
        table = pd.Series(entities[C.ENTITY_ID].to_numpy(dtype=object), index=joint[n:])
        found = table[~table.index.duplicated()].reindex(joint[:n])
    values = found.to_numpy(dtype=object)
    lost = pd.isna(values)
    if lost.any():
        raise DataContractError(
            f"{int(lost.sum()):,} records have no entity (first at record row "
            f"{int(np.argmax(lost))}); entities must cover every record"
        )
    return values.astype(str)


def _plain_text(values: pd.Series) -> np.ndarray:
    """Object array of a column that is never null (source, keys, role)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return np.asarray(values.astype(str), dtype=object)
    return values.to_numpy(dtype=object)


def _text(values: pd.Series) -> np.ndarray:
    """Object array of strings, None for null or empty (categoricals decoded once)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = np.append(
            values.cat.categories.astype(str).to_numpy(dtype=object), np.array([None], dtype=object)
        )
        out = cats[values.cat.codes.to_numpy()]  # code -1 (null) picks the trailing None
    else:
        out = values.to_numpy(dtype=object, na_value=None).copy()
    blank = pd.isna(out) | (out == "")
    out[blank] = None
    return out


def _year_fraction(iso: np.ndarray) -> np.ndarray:
    """Fractional years of ISO dates ("2019-07-01" -> 2019.5), NaN where unparsable.

    Parsed once per distinct value: a million records hold a few thousand dates.
    """
    codes, uniques = pd.factorize(pd.Series(iso, dtype=object))
    if len(uniques) == 0:
        return np.full(len(iso), np.nan)
    parsed = pd.to_datetime(pd.Series(uniques, dtype=object), format="%Y-%m-%d", errors="coerce")
    frac = (parsed.dt.year + (parsed.dt.dayofyear - 0.5) / DAYS_PER_YEAR).to_numpy(np.float64)
    return np.where(codes >= 0, frac[np.maximum(codes, 0)], np.nan)


def _row_event_year(facts: pd.DataFrame) -> np.ndarray:
    """The record's event year, or its row's (a sponsor's comes from the child's referral)."""
    own = _year_fraction(facts[C.EVENT_DATE].to_numpy())
    row = pd.factorize(
        pd.Series(facts[C.SOURCE].astype(str)) + "\x1f" + pd.Series(facts[C.ROW_KEY].astype(str))
    )[0]
    row_max = pd.Series(own).groupby(row).transform("max").to_numpy()
    return np.where(np.isnan(own), row_max, own)


def _birth_year(records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Fractional birth year (the full date where trusted, else mid-year of the year) and
    how far off it may be: half a year for a year alone, a year and a half for an
    age-based estimate (its year is itself +-1)."""
    full = _year_fraction(_text(records[C.DOB]))
    year = pd.to_numeric(records[C.DOB_YEAR], errors="coerce").to_numpy(np.float64) + 0.5
    estimated = (_text(records[C.DOB_QUALITY]) == "estimated").astype(np.float64)
    slack = np.where(np.isnan(full), 0.5 + estimated, 0.0)
    return np.where(np.isnan(full), year, full), slack


def _surname_stems(values: pd.Series) -> np.ndarray:
    text = _text(values)
    codes, uniques = pd.factorize(pd.Series(text, dtype=object))
    stems = pd.Series(uniques, dtype=object)
    for pattern, repl in _FEMININE:
        stems = stems.str.replace(pattern, repl, regex=True)
    table = np.append(
        stems.replace(_SAME_FAMILY).to_numpy(dtype=object), np.array([None], dtype=object)
    )
    return table[codes]  # code -1 (null) picks the trailing None


def _joint_codes(*columns: np.ndarray) -> list[np.ndarray]:
    """Codes shared across columns (a first surname equals another's second), -1 for null."""
    both = pd.Series(np.concatenate(columns), dtype=object)
    codes = pd.factorize(both)[0].astype(np.int64)
    return list(np.split(codes, len(columns)))


def _most_common(entity: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per entity code, its most frequent non-null value (ties: the first seen), else None."""
    frame = pd.DataFrame({"e": entity, "v": values}).dropna()
    counts = frame.value_counts(sort=False).rename("n").reset_index()
    best = counts.sort_values(["e", "n"], ascending=[True, False], kind="stable")
    best = best.drop_duplicates("e")
    out = np.full(n, None, dtype=object)
    out[best["e"].to_numpy()] = best["v"].to_numpy()
    return out


def source_labels(bits: np.ndarray, names: list[str]) -> np.ndarray:
    """Each bitmask of sources as their names in sorted order, ";"-joined ("cbp;hhs")."""
    order = np.argsort(names)
    masks, inverse = np.unique(bits, return_inverse=True)
    labels = np.array(
        [";".join(names[i] for i in order if int(m) >> int(i) & 1) for m in masks], dtype=object
    )
    return labels[inverse]
