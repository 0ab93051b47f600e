"""Canonical column names, fixed once and flat.

Every stage reads and writes these names; no other module spells them as string
literals. Flat columns pass through Parquet, SQL, JSON and the UI unchanged.
"""

from __future__ import annotations

from typing import Final, Literal

# --- identity of a canonical person record ------------------------------------
RECORD_ID: Final = "record_id"  # int64, run-internal row id (position in the records frame)
SOURCE: Final = "source"  # mapping's source name, e.g. "cbp"
RECORD_KEY: Final = "record_key"  # row key, or "<row key>:<role>" for a related person
ROW_KEY: Final = "row_key"  # the key of the row the person came from
ROLE: Final = "role"  # "primary" or the related role ("sponsor", ...)
LINE: Final = "line"  # 1-based physical line of the row in its file (header = line 1)

PRIMARY_ROLE: Final = "primary"

# --- identifiers ----------------------------------------------------------------
A_NUMBER: Final = "a_number"  # 9 digits, or null when absent / invalid
A_NUMBER_RAW: Final = "a_number_raw"  # as written in the extract
PERSON_ID: Final = "person_id"  # "<source>:<agency person id>" (source-scoped)
DOCUMENT_ID: Final = "document_id"  # upper-case alphanumerics of a passport / ID number
CROSS_REFERENCE: Final = "cross_reference"  # "<other source>:<record key>" cited by this row
FAMILY_GROUP: Final = "family_group"  # "<source>:<group id>" (source-scoped)

# --- names ------------------------------------------------------------------------
GIVEN_NAME: Final = "given_name"  # normalized, upper-case ASCII, tokens space-separated
MIDDLE_NAME: Final = "middle_name"
FAMILY_NAME: Final = "family_name"  # both surnames, space-separated ("HERNANDEZ LOPEZ")
FAMILY_NAME_1: Final = "family_name_1"  # paternal / first surname (particles kept: "DE LA CRUZ")
FAMILY_NAME_2: Final = "family_name_2"  # maternal / second surname, null when only one
GIVEN_NAME_CANONICAL: Final = "given_name_canonical"  # first given token, nickname resolved
FULL_NAME: Final = "full_name"  # "GIVEN MIDDLE FAMILY", for display and token-set scoring
GIVEN_PHONETIC: Final = "given_phonetic"  # phonetic key of GIVEN_NAME_CANONICAL
FAMILY_1_PHONETIC: Final = "family_1_phonetic"
FAMILY_2_PHONETIC: Final = "family_2_phonetic"

# --- dates ------------------------------------------------------------------------
DOB: Final = "dob"  # ISO "YYYY-MM-DD" when all three parts are trusted, else null
DOB_YEAR: Final = "dob_year"  # Int16, null when unknown
DOB_MONTH: Final = "dob_month"  # Int8, null when unknown or untrusted (placeholder)
DOB_DAY: Final = "dob_day"  # Int8, null when unknown or untrusted
DOB_QUALITY: Final = "dob_quality"  # see DobQuality
EVENT_DATE: Final = "event_date"  # ISO date of the encounter / check-in / referral

DobQuality = Literal["full", "placeholder", "year_month", "year", "estimated", "missing"]
DOB_QUALITIES: Final[tuple[str, ...]] = (
    "full",  # day, month and year trusted
    "placeholder",  # 1 January (or 1/1 style default): only the year is trusted
    "year_month",  # written without a day
    "year",  # written as a year alone, or the year of an impossible date (month 13)
    "estimated",  # an age-based estimate: the year is +-1
    "missing",  # absent, or every part impossible
)

# --- demographics ---------------------------------------------------------------
SEX: Final = "sex"  # "M", "F" or null
COUNTRY: Final = "country"  # ISO 3166-1 alpha-2, or null

# --- address and phone -----------------------------------------------------------
ADDRESS: Final = "address"  # normalized one-line form (US: "123 MAIN ST APT 4 HOUSTON TX 77001")
ADDRESS_NUMBER: Final = "address_number"
ADDRESS_STREET: Final = "address_street"  # normalized street name with suffix ("MAIN ST")
ADDRESS_UNIT: Final = "address_unit"
CITY: Final = "city"
STATE: Final = "state"  # USPS two-letter code
POSTAL_CODE: Final = "postal_code"  # ZIP5
ADDRESS_KEY: Final = "address_key"  # "<number> <street> <zip5 or city>" for blocking, null if weak
PHONE: Final = "phone"  # E.164, or null

# --- a second person on the same row ---------------------------------------------
RELATED_TO: Final = "related_to"  # record_key of the row's primary person, null for primaries
RELATION: Final = "relation"  # relation kind from this person to the primary ("sponsor_of")
RELATIONSHIP: Final = "relationship"  # the stated relationship text, normalized ("MOTHER")

RAW: Final = "raw"  # JSON object of the source columns this person was read from

# Canonical fields a mapping may name (right-hand side is a column spec).
MAPPABLE_FIELDS: Final[tuple[str, ...]] = (
    "a_number",
    "given_name",
    "middle_name",
    "family_name",
    "family_name_1",
    "family_name_2",
    "full_name",
    "dob",
    "dob_estimated",
    "sex",
    "country",
    "address",
    "city",
    "state",
    "postal_code",
    "phone",
    "event_date",
    "family_group",
    "person_id",
    "document_id",
    "cross_reference",
)

# The columns of a standardized records frame, in order.
RECORD_COLUMNS: Final[tuple[str, ...]] = (
    RECORD_ID,
    SOURCE,
    RECORD_KEY,
    ROW_KEY,
    ROLE,
    LINE,
    A_NUMBER,
    A_NUMBER_RAW,
    GIVEN_NAME,
    MIDDLE_NAME,
    FAMILY_NAME,
    FAMILY_NAME_1,
    FAMILY_NAME_2,
    GIVEN_NAME_CANONICAL,
    FULL_NAME,
    GIVEN_PHONETIC,
    FAMILY_1_PHONETIC,
    FAMILY_2_PHONETIC,
    DOB,
    DOB_YEAR,
    DOB_MONTH,
    DOB_DAY,
    DOB_QUALITY,
    SEX,
    COUNTRY,
    ADDRESS,
    ADDRESS_NUMBER,
    ADDRESS_STREET,
    ADDRESS_UNIT,
    CITY,
    STATE,
    POSTAL_CODE,
    ADDRESS_KEY,
    PHONE,
    EVENT_DATE,
    FAMILY_GROUP,
    PERSON_ID,
    DOCUMENT_ID,
    CROSS_REFERENCE,
    RELATED_TO,
    RELATION,
    RELATIONSHIP,
    RAW,
)

# Pair frames (blocking / comparison / scoring).
RECORD_ID_L: Final = "record_id_l"
RECORD_ID_R: Final = "record_id_r"
MATCH_WEIGHT: Final = "match_weight"
MATCH_PROBABILITY: Final = "match_probability"
ENTITY_ID: Final = "entity_id"


def gamma_column(comparison: str) -> str:
    """Name of the int8 comparison-level column for a comparison."""
    return f"gamma_{comparison}"
