"""Facts about each record and each resolved person that the relation rules read.

Everything is integer codes and floats: entities, family groups, surnames and contacts
are factorized once, so the pair rules are numpy comparisons, never string compares in a
loop. Ages are taken at the record's own event: a child who crossed at 9 and again at 12
is a minor in both, whatever today's date is. A related person's row (an HHS sponsor)
has no event date of its own and borrows the row's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from linker import columns as C
from linker.errors import DataContractError
from linker.family import kinds as K
from linker.standardize.text import is_arrow_text, object_text

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
STEM_1: Final = "stem_1"  # text of the stemmed first surname (SURNAME_1's), None none
STEM_2: Final = "stem_2"
UNIT: Final = "unit"  # int64 code of the family group, -1 none
# int64 code of the text column of the same name (first appearance order), -1 none: the
# rules group and count by these, and hashing a million strings again cost more than
# the rules that use them.
CODE_OF: Final[Mapping[str, str]] = {
    C.FULL_NAME: "full_name_code",
    C.SEX: "sex_code",
    C.ADDRESS_KEY: "address_key_code",
    C.PHONE: "phone_code",
}
NAME: Final = "name"
BIRTH_YEAR: Final = "birth_year"
MINOR: Final = "minor"
N_RECORDS: Final = "records"
LATEST_EVENT: Final = "latest_event"

# Feminine surname forms that mark no different family (Ivanova is Ivanov's daughter).
_FEMININE: Final = ((re.compile(r"(OV|EV|IN|YN)A$"), r"\1"), (re.compile(r"SKAYA$"), "SKIY"))
_SAME_FAMILY: Final = {"KAUR": "SINGH"}  # Sikh daughters and sons take different names
# Surnames this long or longer count as shared one typo apart (`Surnames.nearly_matched`).
NEAR_SURNAME_LETTERS: Final = 5

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
    # Source names by the agency's part in the story (the mapping's `agency`; several
    # sources may share one: "cbp_2020", "cbp_2021").
    border_sources: frozenset[str] = frozenset({"cbp"})  # families encountered together
    release_sources: frozenset[str] = frozenset({"ice"})  # released adults check in
    custody_sources: frozenset[str] = frozenset({"hhs"})  # children placed with sponsors

    def with_agencies(self, agencies: Mapping[str, str]) -> FamilySettings:
        """These settings with the sources of each agency taken from `agencies` (source
        name -> "cbp" / "ice" / "hhs", as `Mapping.agencies` gives); unchanged when it
        names none (a run from before agencies were recorded)."""
        if not agencies:
            return self

        def of(agency: str) -> frozenset[str]:
            return frozenset(s for s, a in agencies.items() if a == agency)

        return replace(
            self, border_sources=of("cbp"), release_sources=of("ice"), custody_sources=of("hhs")
        )


def record_facts(
    records: pd.DataFrame, entities: pd.DataFrame, prepared: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per record: its entity code, age at the event, surname codes, family group code.

    Returns the facts frame (one row per record that has an entity, record order kept),
    the entity ids, sorted, whose positions are the codes, and each entity's A-number.
    `prepared` is `prepare_facts(records)` made earlier (while clustering ran, in the
    batch); it is taken over, not copied.
    """
    facts = prepare_facts(records) if prepared is None else prepared
    if C.ENTITY_ID not in entities.columns:
        raise DataContractError("entities lack the entity_id column")
    entity_ids, entity, a_number = _record_entities(facts, entities)
    facts.insert(1, ENTITY, entity)
    # A record without a birth date takes its person's (median over their records).
    birth, slack = facts[BIRTH].to_numpy(), facts[SLACK].to_numpy()
    person_birth = _median_by(entity, birth, len(entity_ids))[entity]
    facts[BIRTH] = np.where(np.isnan(birth), person_birth, birth)
    facts[SLACK] = np.where(np.isnan(birth), 1.0, slack)
    facts[AGE] = facts[EVENT].to_numpy() - facts[BIRTH].to_numpy()
    return facts, entity_ids, a_number


def prepare_facts(records: pd.DataFrame) -> pd.DataFrame:
    """The part of the facts that does not depend on who is who: codes, years, surname
    stems. `record_facts` adds the entity, and the birth year a record lacks from its
    person's other records; until then BIRTH and SLACK are the record's own and AGE
    is not yet read.

    Apart so that the batch can make it while clustering runs (`linker.family.background`):
    it is most of the facts' time and needs only the records.
    """
    missing = [c for c in FACT_INPUT_COLUMNS if c not in records.columns]
    if missing:
        raise DataContractError(
            f"records lack column(s) {', '.join(missing)} needed for the family graph"
        )
    group_codes, group_labels = _labels(records[C.FAMILY_GROUP])
    source = _plain_text(records[C.SOURCE])
    row_key = _plain_text(records[C.ROW_KEY], per_distinct=False)
    coded = {column: _text_and_codes(records[column]) for column in CODE_OF}
    facts = pd.DataFrame(
        {
            C.RECORD_ID: records[C.RECORD_ID].to_numpy(np.int64, copy=True),
            C.SOURCE: source,
            C.RECORD_KEY: _plain_text(records[C.RECORD_KEY], per_distinct=False),
            C.ROW_KEY: row_key,
            C.ROLE: _plain_text(records[C.ROLE]),
            C.FULL_NAME: coded[C.FULL_NAME][0],
            C.SEX: coded[C.SEX][0],
            C.ADDRESS: _text(records[C.ADDRESS]),
            C.ADDRESS_KEY: coded[C.ADDRESS_KEY][0],
            C.PHONE: coded[C.PHONE][0],
            C.EVENT_DATE: _text(records[C.EVENT_DATE]),
            C.FAMILY_GROUP: _decoded(group_codes, group_labels),
            C.RELATED_TO: _text(records[C.RELATED_TO]),
            C.RELATION: _text(records[C.RELATION]),
            C.RELATIONSHIP: _text(records[C.RELATIONSHIP]),
        },
        copy=False,  # each column is its own new array: no 2-D block to stack them into
    )
    facts[EVENT] = _row_event_year(_year_fraction(records[C.EVENT_DATE]), source, row_key)
    facts[BIRTH], facts[SLACK] = _birth_year(records)
    facts[AGE] = np.nan
    stems = [_surname_stems(records[c]) for c in (C.FAMILY_NAME_1, C.FAMILY_NAME_2)]
    facts[SURNAME_1], facts[SURNAME_2] = _joint_codes(*stems)
    facts[STEM_1], facts[STEM_2] = (_decoded(codes, labels) for codes, labels in stems)
    sounds = [_labels(records[c]) for c in (C.FAMILY_1_PHONETIC, C.FAMILY_2_PHONETIC)]
    facts[SOUND_1], facts[SOUND_2] = _joint_codes(*sounds)
    facts[UNIT] = _first_seen(group_codes)
    for column, (_, codes) in coded.items():
        facts[CODE_OF[column]] = codes
    return facts


def fact_codes(facts: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """int64 codes (-1 for none) of one of the text columns of `CODE_OF` and the text of
    each code, as ``pd.factorize`` of the column gives them (first appearance order):
    from the code column `record_facts` made, else by factorizing the text."""
    text = facts[column].to_numpy(dtype=object)
    code_column = CODE_OF.get(column)
    if code_column is None or code_column not in facts.columns:
        codes, distinct = pd.factorize(text)
        return codes.astype(np.int64), np.asarray(distinct, dtype=object)
    codes = facts[code_column].to_numpy(np.int64)
    return codes, _text_of_codes(codes, text)


def _text_and_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """`_text(values)` and its codes, renumbered in order of first appearance: -1 for
    none (null or empty), as ``pd.factorize`` of that text numbers it."""
    if isinstance(values.dtype, pd.CategoricalDtype) or is_arrow_text(values):
        codes, labels = _labels(values)
        return _decoded(codes, labels), _first_seen(codes)
    text = _text(values)
    return text, pd.factorize(text)[0].astype(np.int64)


def _text_of_codes(codes: np.ndarray, text: np.ndarray) -> np.ndarray:
    """Each code's text (code k at position k), read at a row holding it."""
    at = np.zeros(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    rows = np.flatnonzero(codes >= 0)
    at[codes[rows]] = rows
    return text[at]


def people_frame(
    facts: pd.DataFrame, entity_ids: np.ndarray, a_number: np.ndarray, adult_age: float = 18.0
) -> pd.DataFrame:
    """One row per entity (row position = entity code): what a picture or a list shows.

    ``name`` is the full name most of the person's records give, ``birth_year`` the median
    year, ``age`` and ``minor`` at the person's latest event, ``sources`` the agencies
    holding a record, ``a_number`` the entity's (as :func:`record_facts` gives it).
    """
    n = len(entity_ids)
    entity = facts[ENTITY].to_numpy()
    name = _most_common(entity, *fact_codes(facts, C.FULL_NAME), n)
    sex = _most_common(entity, *fact_codes(facts, C.SEX), n)
    birth = _median_by(entity, facts[BIRTH].to_numpy(), n)
    latest = _max_by(entity, facts[EVENT].to_numpy(), n)
    age = latest - birth
    source_codes, source_names = pd.factorize(facts[C.SOURCE])
    bits = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(bits, entity, np.int64(1) << source_codes.astype(np.int64))
    sources = source_labels(bits, list(source_names))
    return pd.DataFrame(
        {
            C.ENTITY_ID: entity_ids,
            NAME: name,
            C.SEX: sex,
            BIRTH_YEAR: _whole_years(birth),
            AGE: _whole_years(age),
            MINOR: age < adult_age,
            C.A_NUMBER: a_number,
            K.SOURCES: sources,
            N_RECORDS: np.bincount(entity, minlength=n),
            LATEST_EVENT: latest,
        },
        copy=False,
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
    # The same keys with the position: ``(entity * width + code) * 2 + position - 1``.
    known_at: np.ndarray
    # Text of each stem code (codes below len(stems) are stems, the rest phonetic keys);
    # None for facts without the stems' text.
    stems: np.ndarray | None = None

    @classmethod
    def of(cls, facts: pd.DataFrame, n_entities: int) -> Surnames:
        entity = facts[ENTITY].to_numpy()
        # Stems and phonetic keys are two code spaces: the keys go after every stem
        # and the width holds both, so no code spills into the next entity's range.
        spaces = (SURNAME_1, SURNAME_2, SOUND_1, SOUND_2)
        offset = int(max(max(facts[c].max() for c in spaces), -1)) + 1
        width = 2 * offset + 1
        keys = []
        for bit, (stem, sound) in enumerate(((SURNAME_1, SOUND_1), (SURNAME_2, SOUND_2))):
            for column, shift in ((stem, 0), (sound, offset)):
                code = facts[column].to_numpy()
                ok = code >= 0
                # One int64 per (entity, code, position), deduplicated by a sort.
                keys.append((entity[ok] * width + code[ok] + shift) * 2 + bit)
        flat = _distinct_sorted(np.concatenate(keys))
        position = (flat % 2) + 1
        entity_code = flat // 2
        owner, code = entity_code // width, entity_code % width
        start = np.searchsorted(owner, np.arange(n_entities + 1))
        present = np.zeros(n_entities, dtype=np.int64)
        np.bitwise_or.at(present, owner, np.int64(1) << (position - 1))
        stems = None
        if STEM_1 in facts.columns:  # facts from `record_facts`; hand-built ones may lack it
            stems = np.full(offset, None, dtype=object)
            for column, text in ((SURNAME_1, STEM_1), (SURNAME_2, STEM_2)):
                code_of = facts[column].to_numpy()
                ok = code_of >= 0
                stems[code_of[ok]] = facts[text].to_numpy(dtype=object)[ok]
        return cls(
            start=start,
            code=code,
            position=position,
            present=present,
            known=_distinct_sorted(entity_code),
            width=width,
            known_at=flat,
            stems=stems,
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
        row, entry = self._entries(b)
        if not len(row):
            return bits
        wanted = a[row] * self.width + self.code[entry]
        at = np.minimum(np.searchsorted(self.known, wanted), len(self.known) - 1)
        hit = self.known[at] == wanted
        np.bitwise_or.at(bits, row[hit], np.int64(1) << (self.position[entry[hit]] - 1))
        return bits

    def placed(self, a: np.ndarray, b: np.ndarray, *, b_at: int, a_at: int) -> np.ndarray:
        """Per pair: is one of b's surnames in position ``b_at`` one of a's in position
        ``a_at`` (1 for a first surname, 2 for a second)?

        In the Latin order a child's first surname is its father's first and its second
        its mother's first: the positions tell a parent's line where sharing does not.
        """
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        found = np.zeros(len(a), dtype=bool)
        row, entry = self._entries(b)
        wanted_position = self.position[entry] == b_at
        row, entry = row[wanted_position], entry[wanted_position]
        if not len(row) or not len(self.known_at):
            return found
        wanted = (a[row] * self.width + self.code[entry]) * 2 + (a_at - 1)
        at = np.minimum(np.searchsorted(self.known_at, wanted), len(self.known_at) - 1)
        found[row[self.known_at[at] == wanted]] = True
        return found

    def nearly_matched(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per pair, the bitmask of b's surname positions of which a is known by a
        spelling one letter away (an insertion, a deletion or a substitution: POTILLO
        for PORTILLO), both spellings of at least `NEAR_SURNAME_LETTERS` letters.

        A clerk's typo in one record of a family hides the surname the family shares;
        phonetic keys catch the sound-alike spellings but not a dropped or swapped
        letter. Short surnames are left out: MORA and MORAN are two families.
        """
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        bits = np.zeros(len(a), dtype=np.int64)
        if self.stems is None:
            return bits
        row_b, entry_b = self._stem_entries(b)
        pair, entry_a = self._stem_entries(a[row_b])  # each of b's stems against a's
        row, entry_b = row_b[pair], entry_b[pair]
        if not len(row):
            return bits
        left, right = self.stems[self.code[entry_a]], self.stems[self.code[entry_b]]
        distance = process.cpdist(left, right, scorer=Levenshtein.distance)
        shortest = np.minimum(_lengths(left), _lengths(right))
        hit = (distance == 1) & (shortest >= NEAR_SURNAME_LETTERS)
        np.bitwise_or.at(bits, row[hit], np.int64(1) << (self.position[entry_b[hit]] - 1))
        return bits

    def _entries(self, entity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, entry): every surname entry of each row's entity, with its row."""
        counts = self.start[entity + 1] - self.start[entity]
        row = np.repeat(np.arange(len(entity)), counts)
        offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        return row, np.repeat(self.start[entity], counts) + offset

    def _stem_entries(self, entity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`_entries` of the stems alone (not the phonetic keys)."""
        assert self.stems is not None
        row, entry = self._entries(entity)
        stem = self.code[entry] < len(self.stems)
        return row[stem], entry[stem]

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
def _record_entities(
    records: pd.DataFrame, entities: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sorted entity ids of the records, each record's position among them (its
    entity code) and each entity's A-number (from the first entities row naming it;
    None for all when the entities carry no A-number column).

    Entity ids are hashed once, on the entities frame; a record reaches its id through
    the entities row that holds it (an integer), and only the distinct ids are sorted:
    a million records hold about half as many people.
    """
    id_code, distinct = pd.factorize(entities[C.ENTITY_ID])  # -1 for a null id
    row = _entity_row(records, entities)
    code = np.full(len(row), -1, dtype=np.int64)
    code[row >= 0] = id_code[row[row >= 0]]
    lost = code < 0
    if lost.any():
        raise DataContractError(
            f"{int(lost.sum()):,} records have no entity (first at record row "
            f"{int(np.argmax(lost))}); entities must cover every record"
        )
    used = np.flatnonzero(np.bincount(code, minlength=len(distinct)))
    text = np.asarray(distinct, dtype=object)[used].astype(str)
    entity_ids, position = np.unique(text, return_inverse=True)
    rank = np.full(len(distinct) + 1, -1, dtype=np.int64)  # the last slot: a null id
    rank[used] = position
    of_row = rank[id_code]
    if C.A_NUMBER not in entities.columns:
        return entity_ids, rank[code], np.full(len(entity_ids), None, dtype=object)
    first = np.full(len(entity_ids), len(entities), dtype=np.int64)
    named = np.flatnonzero(of_row >= 0)
    np.minimum.at(first, of_row[named], named)
    a_number = entities[C.A_NUMBER].to_numpy()[first]  # each entity has its records' rows
    return entity_ids, rank[code], a_number


def _entity_row(records: pd.DataFrame, entities: pd.DataFrame) -> np.ndarray:
    """Per record, the entities row that holds it (-1 for none), by record_id when both
    frames have it, else by (source, record_key)."""
    rows = np.arange(len(entities), dtype=np.int64)
    if C.RECORD_ID in entities.columns:
        table = pd.Series(rows, index=entities[C.RECORD_ID].to_numpy(np.int64))
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
                [
                    _plain_text(records[C.RECORD_KEY], per_distinct=False),
                    _plain_text(entities[C.RECORD_KEY], per_distinct=False),
                ]
            )
        )[0]
        joint = key.astype(np.int64) * (int(source.max(initial=0)) + 1) + source
        table = pd.Series(rows, index=joint[n:])
        found = table[~table.index.duplicated()].reindex(joint[:n])
    found_rows = found.to_numpy(dtype=np.float64)  # NaN where no row holds the record
    return np.where(np.isnan(found_rows), -1, found_rows).astype(np.int64)


def _plain_text(values: pd.Series, *, per_distinct: bool = True) -> np.ndarray:
    """Object array of a column that is never null (source, keys, role); text in Arrow
    as `object_text` makes it (`per_distinct=False` for keys, all distinct)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        # Decoded per category, not per record; a null decodes as astype(str) does.
        labels = values.cat.categories.astype(str).to_numpy(dtype=object)
        return np.append(labels, "nan")[values.cat.codes.to_numpy()]
    return object_text(values, per_distinct=per_distinct)


def _labels(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A text column as integer codes (-1 for null or empty) and the text of each code.

    A categorical's codes and categories are used as they are; any other column is
    factorized once. Rules that group, count or compare the column then work on the
    codes and touch each distinct string once.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int64)
        labels = values.cat.categories.astype(str).to_numpy(dtype=object)
    else:
        codes, distinct = pd.factorize(values)
        codes, labels = codes.astype(np.int64), np.asarray(distinct, dtype=object)
    blank = labels == ""
    if blank.any():
        codes = np.where(blank[codes] & (codes >= 0), -1, codes)
    return codes, labels


def _lengths(texts: np.ndarray) -> np.ndarray:
    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def _decoded(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Object array of the codes' text, None for -1."""
    return np.append(labels, np.array([None], dtype=object))[codes]


def _text(values: pd.Series) -> np.ndarray:
    """Object array of strings, None for null or empty (categoricals decoded once)."""
    if isinstance(values.dtype, pd.CategoricalDtype) or is_arrow_text(values):
        # one Python string per distinct value, not per record
        return _decoded(*_labels(values))
    out = values.to_numpy(dtype=object, copy=True)
    out[pd.isna(out)] = None
    out[out == ""] = None
    return out


def _first_seen(codes: np.ndarray) -> np.ndarray:
    """Codes renumbered in order of first appearance (as ``pd.factorize`` of the text
    numbers them), -1 kept: each code's first position, then a sort of the codes."""
    out = np.full(len(codes), -1, dtype=np.int64)
    known = np.flatnonzero(codes >= 0)
    if len(known) == 0:
        return out
    first = np.full(int(codes.max()) + 1, len(codes), dtype=np.int64)
    np.minimum.at(first, codes[known], known)
    seen = np.flatnonzero(first < len(codes))
    rank = np.full(len(first), -1, dtype=np.int64)
    rank[seen[np.argsort(first[seen])]] = np.arange(len(seen))
    out[known] = rank[codes[known]]
    return out


def _year_fraction(values: pd.Series) -> np.ndarray:
    """Fractional years of ISO dates ("2019-07-01" -> 2019.5), NaN where unparsable.

    Parsed once per distinct value: a million records hold a few thousand dates.
    """
    codes, labels = _labels(values)
    if len(labels) == 0:
        return np.full(len(codes), np.nan)
    parsed = pd.to_datetime(pd.Series(labels, dtype=object), format="%Y-%m-%d", errors="coerce")
    frac = (parsed.dt.year + (parsed.dt.dayofyear - 0.5) / DAYS_PER_YEAR).to_numpy(np.float64)
    return np.where(codes >= 0, frac[np.maximum(codes, 0)], np.nan)


def _row_event_year(own: np.ndarray, source: np.ndarray, row_key: np.ndarray) -> np.ndarray:
    """The record's event year, or its row's (a sponsor's comes from the child's referral).

    A row is (source, row key) as one int64; the latest year per row is a ``fmax.at``
    over those integers.
    """
    source_code, sources = pd.factorize(source, use_na_sentinel=False)
    row_code = pd.factorize(row_key, use_na_sentinel=False)[0].astype(np.int64)
    row = row_code * max(len(sources), 1) + source_code
    row_max = _max_by(row, own, int(row.max(initial=-1)) + 1)
    return np.where(np.isnan(own), row_max[row], own)


def _birth_year(records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Fractional birth year (the full date where trusted, else mid-year of the year) and
    how far off it may be: half a year for a year alone, a year and a half for an
    age-based estimate (its year is itself +-1)."""
    full = _year_fraction(records[C.DOB])
    year = pd.to_numeric(records[C.DOB_YEAR], errors="coerce").to_numpy(np.float64) + 0.5
    estimated = (_text(records[C.DOB_QUALITY]) == "estimated").astype(np.float64)
    slack = np.where(np.isnan(full), 0.5 + estimated, 0.0)
    return np.where(np.isnan(full), year, full), slack


def _surname_stems(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A surname column's codes and the stem of each code's surname (feminine forms
    folded): the regular expressions run once per distinct surname."""
    codes, labels = _labels(values)
    stems = pd.Series(labels, dtype=object)
    for pattern, repl in _FEMININE:
        stems = stems.str.replace(pattern, repl, regex=True)
    return codes, stems.replace(_SAME_FAMILY).to_numpy(dtype=object)


def _joint_codes(*columns: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    """Codes shared across columns (a first surname equals another's second), -1 for null.

    Each column comes as (codes, labels). Equal labels get one id (labels are few), and
    the per-record ids are renumbered in order of first appearance, so the codes are the
    ones factorizing the concatenated text would give.
    """
    labels = np.concatenate([column_labels for _, column_labels in columns])
    label_id = np.append(pd.factorize(labels)[0].astype(np.int64), -1)  # last: for nulls
    offsets = np.cumsum([0] + [len(column_labels) for _, column_labels in columns])
    ids = np.concatenate(
        [
            label_id[np.where(codes >= 0, codes + offset, len(labels))]
            for (codes, _), offset in zip(columns, offsets[:-1], strict=True)
        ]
    )
    return list(np.split(_first_seen(ids), len(columns)))


def _median_by(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per code in range(n), the median of its non-NaN values, else NaN."""
    return pd.Series(values).groupby(codes, sort=False).median().reindex(range(n)).to_numpy()


def _max_by(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per code in range(n), the largest non-NaN value, else NaN (``fmax`` skips NaN)."""
    out = np.full(n, np.nan)
    np.fmax.at(out, codes, values)
    return out


def _most_common(entity: np.ndarray, codes: np.ndarray, distinct: np.ndarray, n: int) -> np.ndarray:
    """Per entity code, its most frequent value (ties: the alphabetically first), else
    None; `codes` (-1 for none) and `distinct` as `fact_codes` gives them.

    Each (entity, value) is one int64, counted by a sort; ties are settled by a running
    minimum over each entity's best values, so strings are compared only there and
    never sorted.
    """
    out = np.full(n, None, dtype=object)
    known = codes >= 0
    if not known.any():
        return out
    width = np.int64(len(distinct))
    keys = np.sort(entity[known].astype(np.int64) * width + codes[known])
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    count = np.diff(np.r_[starts, len(keys)])
    owner, value = keys[starts] // width, keys[starts] % width  # sorted by owner
    top = np.zeros(n, dtype=np.int64)
    np.maximum.at(top, owner, count)
    best = count == top[owner]
    owner, text = owner[best], np.asarray(distinct, dtype=object)[value[best]]
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    out[owner[first]] = np.minimum.reduceat(text, first)
    return out


def _whole_years(years: np.ndarray) -> pd.arrays.IntegerArray:
    """Floored years as nullable integers (NaN -> <NA>), built from values and mask:
    ``pd.array(..., dtype="Int64")`` first checks every float is whole."""
    unknown = np.isnan(years)
    return pd.arrays.IntegerArray(np.where(unknown, 0, np.floor(years)).astype(np.int64), unknown)


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting: numpy 2's hash-based unique of int64 keys is many times
    slower than a sort for the millions of keys the surname index holds."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def source_labels(bits: np.ndarray, names: list[str]) -> np.ndarray:
    """Each bitmask of sources as their names in sorted order, ";"-joined ("cbp;hhs")."""
    order = np.argsort(names)
    masks, inverse = np.unique(bits, return_inverse=True)
    labels = np.array(
        [";".join(names[i] for i in order if int(m) >> int(i) & 1) for m in masks], dtype=object
    )
    return labels[inverse]
