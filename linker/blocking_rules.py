"""Which records are worth comparing: the domain's blocking keys and default rules.

Blocking must keep nearly every true pair (recall >= 99.5% on the sample extracts and
FEBRL) while comparing a tiny share of all pairs. No single key survives the errors in
these extracts, so the default is a union of rules, each tolerant of different errors:
identifiers (A-number, document, agency person id, a cross-reference), phonetic names with
the birth year (typos, accents, B/V), names with the full date (a wrong year), the
unordered name pair (first/last swapped), a shared surname with the full date (one
surname dropped), and contact details with the given name (address or phone shared).
"""

from __future__ import annotations

import pandas as pd

from blocking import BlockingResult, BlockingRule, SortedNeighbourhoodRule, generate_pairs
from linker import columns as C
from linker.distinct import per_distinct
from linker.features import (
    CITED_REF,
    FAMILY_SORTED,
    SELF_REF,
    carries_data,
    derive_columns,
)

# Derived blocking key columns.
XREF_KEY = "xref_key"  # what a record cites, or for a record no one cites, itself
NAME_PAIR = "name_pair_key"  # phonetic given and first surname, in sorted order
GIVEN_INITIAL = "given_initial"
ANY_SURNAME_2 = "family_2_or_1_phonetic"  # second surname's code, or the first's if alone
DOB_MONTH_DAY_UNORDERED = "dob_md_unordered"  # year + {day, month} in sorted order

DEFAULT_MAX_BLOCK_SIZE = 2000


def blocking_frame(records: pd.DataFrame, derived: pd.DataFrame | None = None) -> pd.DataFrame:
    """Records' key columns plus the derived keys above, ready for `generate_pairs`.

    `derived` is `derive_columns(records)` when the caller already has it (the batch
    computes it once for blocking and comparison)."""
    derived = derive_columns(records) if derived is None else derived
    given, fam1 = records[C.GIVEN_PHONETIC], records[C.FAMILY_1_PHONETIC]
    phonetics = {"given": given, "fam1": fam1}
    # year, then the smaller and the larger of month and day, as one integer YYYYSSLL
    # (integers factorize far faster than the equivalent text keys)
    month = records[C.DOB_MONTH].astype("Int64")
    day = records[C.DOB_DAY].astype("Int64")
    small = month.where(month <= day, day)
    large = day.where(month <= day, month)
    md = records[C.DOB_YEAR].astype("Int64") * 10_000 + small * 100 + large
    cited = derived[CITED_REF]
    return pd.DataFrame(
        {
            C.RECORD_ID: records[C.RECORD_ID],
            C.SOURCE: records[C.SOURCE],
            C.A_NUMBER: records[C.A_NUMBER],
            C.DOCUMENT_ID: records[C.DOCUMENT_ID],
            C.PERSON_ID: records[C.PERSON_ID],
            XREF_KEY: cited.where(cited.notna(), derived[SELF_REF]),
            C.GIVEN_PHONETIC: given,
            FAMILY_SORTED: derived[FAMILY_SORTED],
            C.FAMILY_1_PHONETIC: fam1,
            ANY_SURNAME_2: per_distinct(
                _second_or_first,
                {"fam2": records[C.FAMILY_2_PHONETIC], "fam1": fam1},
            ),
            NAME_PAIR: per_distinct(_name_pair, phonetics),
            GIVEN_INITIAL: per_distinct(_initial, {"given": records[C.GIVEN_NAME]}),
            C.GIVEN_NAME: records[C.GIVEN_NAME],
            C.DOB: records[C.DOB],
            C.DOB_YEAR: records[C.DOB_YEAR],
            DOB_MONTH_DAY_UNORDERED: md,
            C.PHONE: records[C.PHONE],
            C.POSTAL_CODE: records[C.POSTAL_CODE],
            C.ADDRESS_NUMBER: records[C.ADDRESS_NUMBER],
            C.ADDRESS_STREET: records[C.ADDRESS_STREET],
        },
        # The records' own arrays, not one stacked copy of every text column (pandas
        # consolidates a dict's columns by dtype unless told not to copy): blocking only
        # reads them.
        copy=False,
    )


def _name_pair(frame: pd.DataFrame) -> pd.Series:
    """The given and first-surname phonetic keys in sorted order: swap-insensitive."""
    given, fam1 = frame["given"], frame["fam1"]
    lo = given.where(fam1.isna() | (given <= fam1), fam1)
    hi = fam1.where(fam1.isna() | (given <= fam1), given)
    return (lo + "|" + hi).where(given.notna() & fam1.notna())


def _second_or_first(frame: pd.DataFrame) -> pd.Series:
    return frame["fam2"].where(frame["fam2"].notna(), frame["fam1"])


def _initial(frame: pd.DataFrame) -> pd.Series:
    return frame["given"].str[:1]


DEFAULT_RULES: tuple[BlockingRule | SortedNeighbourhoodRule, ...] = (
    BlockingRule("a_number", (C.A_NUMBER,)),
    BlockingRule("document_id", (C.DOCUMENT_ID,)),
    BlockingRule("person_id", (C.PERSON_ID,)),
    BlockingRule("cross_reference", (XREF_KEY,)),
    BlockingRule("names_birth_year", (C.GIVEN_PHONETIC, C.FAMILY_1_PHONETIC, C.DOB_YEAR)),
    BlockingRule("given_dob", (C.GIVEN_PHONETIC, C.DOB)),
    BlockingRule("surname_dob", (C.FAMILY_1_PHONETIC, C.DOB)),
    BlockingRule("second_surname_dob", (ANY_SURNAME_2, C.DOB)),
    BlockingRule("name_pair_birth_year", (NAME_PAIR, C.DOB_YEAR)),
    BlockingRule("given_dob_day_month_unordered", (C.GIVEN_PHONETIC, DOB_MONTH_DAY_UNORDERED)),
    # Names alone, for records whose date is missing or wrong. Common names make blocks
    # too large to say anything and are skipped by a tighter size guard. (At a million
    # sample records, guards of 150 and 40 gave 2.4M more pairs for 268 true pairs no
    # other rule finds; pairwise F1 was 0.9859 with them and 0.9861 without.)
    BlockingRule("given_both_surnames", (C.GIVEN_PHONETIC, FAMILY_SORTED), max_block_size=50),
    BlockingRule("name_pair", (NAME_PAIR,), max_block_size=25),
    # Contact details: a shelter's address or phone is shared by hundreds, so these
    # rules only pair records in small groups. (The address with the given initial, and
    # the postcode with the surname, were dropped: at a million sample records they
    # added 2.3M pairs for 42 true pairs no other rule finds.)
    BlockingRule("phone_initial", (C.PHONE, GIVEN_INITIAL), max_block_size=100),
    # Every name garbled: the date with the place, or the house number with the place.
    BlockingRule("dob_postcode", (C.DOB, C.POSTAL_CODE), max_block_size=100),
    BlockingRule(
        "house_postcode_year", (C.ADDRESS_NUMBER, C.POSTAL_CODE, C.DOB_YEAR), max_block_size=100
    ),
    BlockingRule(
        "street_initial", (C.ADDRESS_NUMBER, C.ADDRESS_STREET, GIVEN_INITIAL), max_block_size=100
    ),
    BlockingRule("house_surname", (C.ADDRESS_NUMBER, C.FAMILY_1_PHONETIC), max_block_size=100),
    # A date of birth alone says something only where few people share it (small files,
    # rare dates); the tight guard skips the rest.
    BlockingRule("dob_alone", (C.DOB,), max_block_size=25),
    # Typos late in a name with no usable date: neighbours in name order.
    SortedNeighbourhoodRule("name_neighbourhood", (FAMILY_SORTED, C.GIVEN_NAME), window=3),
)


def block_records(
    records: pd.DataFrame,
    rules: tuple[BlockingRule | SortedNeighbourhoodRule, ...] = DEFAULT_RULES,
    *,
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    link_only: bool = False,
    derived: pd.DataFrame | None = None,
    workers: int = 1,
) -> BlockingResult:
    """Candidate pairs for the records; rules whose keys are all empty are skipped.

    `link_only` drops pairs inside one source (linking two files, as FEBRL 4); `workers`
    threads share the rules (the pairs do not depend on it).
    """
    frame = blocking_frame(records, derived)
    used = {k for r in rules for k in r.columns}
    filled = {k for k in used if carries_data(frame[k])}
    usable = tuple(r for r in rules if set(r.columns) <= filled)
    return generate_pairs(
        frame,
        usable,
        group_column=C.SOURCE if link_only else None,
        link_within_groups=not link_only,
        default_max_block_size=max_block_size,
        workers=workers,
    )
