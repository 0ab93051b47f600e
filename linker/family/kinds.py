"""The vocabulary of the family graph: relation kinds, their strength, the frame's columns.

Kinds follow DESIGN.md's `relations.csv`. ``parent_of`` and ``sponsor_of`` are directed
(a -> b: parent -> child, sponsor -> child); the others are symmetric and written once,
with the smaller entity id first, so a pair never appears twice under one kind.

Strong relations say two people are family (or, for a sponsor, are answerable for a
child); family groups are the connected components over them. Weak links (a shared
phone or address) only say where to look: a shelter's address or a relative's phone is
shared by people who are nothing to each other, so they never join family groups.
"""

from __future__ import annotations

from typing import Final, Literal

RelationKind = Literal[
    "co_traveler",
    "parent_of",
    "sibling_of",
    "spouse_of",
    "sponsor_of",
    "shared_phone",
    "shared_address",
]
CO_TRAVELER: Final = "co_traveler"
PARENT_OF: Final = "parent_of"
SIBLING_OF: Final = "sibling_of"
SPOUSE_OF: Final = "spouse_of"
SPONSOR_OF: Final = "sponsor_of"
SHARED_PHONE: Final = "shared_phone"
SHARED_ADDRESS: Final = "shared_address"

STRONG_KINDS: Final[tuple[str, ...]] = (CO_TRAVELER, PARENT_OF, SIBLING_OF, SPOUSE_OF, SPONSOR_OF)
WEAK_KINDS: Final[tuple[str, ...]] = (SHARED_PHONE, SHARED_ADDRESS)
RELATION_KINDS: Final[tuple[str, ...]] = STRONG_KINDS + WEAK_KINDS
DIRECTED_KINDS: Final = frozenset({PARENT_OF, SPONSOR_OF})
# Kinds that make two people relatives (a sponsor is one only through a stated kinship).
KIN_KINDS: Final = frozenset({CO_TRAVELER, PARENT_OF, SIBLING_OF, SPOUSE_OF})

Strength = Literal["strong", "weak"]
STRONG: Final = "strong"
WEAK: Final = "weak"

# --- columns of a relations frame (relations.csv) -------------------------------------
ENTITY_A: Final = "entity_a"
ENTITY_B: Final = "entity_b"
RELATION: Final = "relation"
EVIDENCE: Final = "evidence"
STRENGTH: Final = "strength"
INFERRED: Final = "inferred"  # False when an extract states it (a sponsor's "MOTHER")
SOURCES: Final = "sources"  # agencies whose records support it, ";"-joined ("cbp;hhs")
SUPPORT: Final = "support"  # how many events / rows / shared values support it
STATED: Final = "stated"  # the stated relationship, for sponsor_of ("MOTHER"), else empty
RELATION_COLUMNS: Final[tuple[str, ...]] = (
    ENTITY_A,
    ENTITY_B,
    RELATION,
    EVIDENCE,
    STRENGTH,
    INFERRED,
    SOURCES,
    SUPPORT,
    STATED,
)

# --- columns of the crowded-contacts frame (shared_contacts.csv) -----------------------
CONTACT_KIND: Final = "contact"  # "address" or "phone"
CONTACT_VALUE: Final = "value"  # the address key or phone shared
N_ENTITIES: Final = "people"  # distinct entities holding it
N_FAMILIES: Final = "families"  # distinct family groups among them
FAMILY_GROUP_ID: Final = "family_group_id"  # per entity: its family group ("F" + smallest id)

# Stated relationships (linker.standardize.demographics codes) that imply a kind.
STATED_PARENT: Final = frozenset({"MOTHER", "FATHER", "PARENT"})
STATED_SIBLING: Final = frozenset({"SIBLING"})
STATED_SPOUSE: Final = frozenset({"SPOUSE"})
# Stated relationships that make a sponsor a relative of the child.
STATED_KIN: Final = frozenset(
    {
        "MOTHER",
        "FATHER",
        "PARENT",
        "STEPPARENT",
        "SIBLING",
        "GRANDPARENT",
        "AUNT_UNCLE",
        "COUSIN",
        "SPOUSE",
        "OTHER_RELATIVE",
    }
)
