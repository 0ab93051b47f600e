"""Hand-built records and entities for the family-graph tests.

`Person` rows name their entity directly (the clustering is not under test here);
`frames(rows)` gives the records frame (canonical columns, via tests.helpers) and the
entities frame (record_id -> entity_id, with an A-number column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from helpers import canonical

from linker import columns as C


@dataclass
class Person:
    entity: str
    key: str
    given: str
    family_1: str | None
    family_2: str | None = None
    dob: str | None = None
    event: str | None = "2020-06-01"
    source: str = "cbp"
    group: str | None = None  # family group id, source-scoped by frames()
    sex: str | None = None
    address_key: str | None = None
    phone: str | None = None
    sponsor_of: str | None = None  # the row key of the child this related person sponsors
    stated: str | None = None  # the stated relationship

    def row(self) -> dict[str, Any]:
        family = " ".join(p for p in (self.family_1, self.family_2) if p)
        related = self.sponsor_of is not None
        return {
            C.SOURCE: self.source,
            C.RECORD_KEY: f"{self.sponsor_of}:sponsor" if related else self.key,
            C.ROW_KEY: self.sponsor_of if related else self.key,
            C.ROLE: "sponsor" if related else C.PRIMARY_ROLE,
            C.GIVEN_NAME: self.given,
            C.FAMILY_NAME: family or None,
            C.FAMILY_NAME_1: self.family_1,
            C.FAMILY_NAME_2: self.family_2,
            C.FAMILY_1_PHONETIC: self.family_1,
            C.FAMILY_2_PHONETIC: self.family_2,
            C.FULL_NAME: f"{self.given} {family}".strip(),
            # A year alone ("2018") stands for a 1 January placeholder of that year.
            C.DOB: self.dob if self.dob and len(self.dob) > 4 else None,
            C.DOB_YEAR: int(self.dob[:4]) if self.dob else None,
            C.DOB_QUALITY: _quality(self.dob),
            C.SEX: self.sex,
            C.ADDRESS: self.address_key,
            C.ADDRESS_KEY: self.address_key,
            C.PHONE: self.phone,
            C.EVENT_DATE: None if related else self.event,
            C.FAMILY_GROUP: f"{self.source}:{self.group}" if self.group else None,
            C.RELATED_TO: self.sponsor_of,
            C.RELATION: "sponsor_of" if related else None,
            C.RELATIONSHIP: self.stated,
        }


def _quality(dob: str | None) -> str:
    if not dob:
        return "missing"
    return "full" if len(dob) > 4 else "placeholder"


def frames(people: list[Person]) -> tuple[pd.DataFrame, pd.DataFrame]:
    records = canonical([p.row() for p in people])
    entities = pd.DataFrame(
        {
            C.RECORD_ID: records[C.RECORD_ID].to_numpy(),
            C.SOURCE: records[C.SOURCE].to_numpy(),
            C.RECORD_KEY: records[C.RECORD_KEY].to_numpy(),
            C.ENTITY_ID: [p.entity for p in people],
            C.A_NUMBER: None,
        }
    )
    return records, entities


def family_unit() -> list[Person]:
    """Father, mother and two children crossing together (Latin surnames)."""
    return [
        Person("E_father", "c1", "JUAN", "GARCIA", "LOPEZ", "1985-03-01", group="G1", sex="M"),
        Person("E_mother", "c2", "ANA", "PEREZ", "RAMOS", "1988-05-01", group="G1", sex="F"),
        Person("E_kid1", "c3", "LUIS", "GARCIA", "PEREZ", "2012-01-01", group="G1", sex="M"),
        Person("E_kid2", "c4", "ROSA", "GARCIA", "PEREZ", "2015-07-01", group="G1", sex="F"),
    ]
