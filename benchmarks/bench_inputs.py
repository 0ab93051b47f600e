"""What the other tools read: our standardized records, flattened into plain columns.

Splink and recordlinkage both get the same table built from the same canonical records,
so differences in the bench come from linkage, not from what each tool was shown. Kept
apart from the runners so that neither tool's package is needed to import the other's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linker import columns as C

UNIQUE_ID = "unique_id"
GIVEN = "given_name"
FAMILY = "family_name"  # both surnames, space-separated
DOB = "dob"  # ISO string when the whole date is trusted, else null
BIRTH_YEAR = "birth_year"  # also for partial dates
A_NUMBER = "a_number"
DOCUMENT = "document_id"
POSTCODE = "postal_code"
STREET = "street"  # house number and street
SEX = "sex"
COUNTRY = "country"
PHONE = "phone"


def tool_input(records: pd.DataFrame) -> pd.DataFrame:
    """One row per canonical record: record id (as unique_id), source, and the fields."""
    number = records[C.ADDRESS_NUMBER].astype(object)
    street_name = records[C.ADDRESS_STREET].astype(object)
    street = (number.fillna("") + " " + street_name.fillna("")).str.strip()
    year = records[C.DOB_YEAR].astype("Int64")
    birth_year = year.astype(str).where(year.notna())
    return pd.DataFrame(
        {
            UNIQUE_ID: records[C.RECORD_ID].astype(np.int64).to_numpy(),
            C.SOURCE: records[C.SOURCE].astype(str).to_numpy(),
            GIVEN: records[C.GIVEN_NAME].astype(object).to_numpy(),
            FAMILY: records[C.FAMILY_NAME].astype(object).to_numpy(),
            DOB: records[C.DOB].astype(object).to_numpy(),
            BIRTH_YEAR: birth_year.to_numpy(),
            A_NUMBER: records[C.A_NUMBER].astype(object).to_numpy(),
            DOCUMENT: records[C.DOCUMENT_ID].astype(object).to_numpy(),
            POSTCODE: records[C.POSTAL_CODE].astype(object).to_numpy(),
            STREET: street.where(street != "").to_numpy(),
            SEX: records[C.SEX].astype(object).to_numpy(),
            COUNTRY: records[C.COUNTRY].astype(object).to_numpy(),
            PHONE: records[C.PHONE].astype(object).to_numpy(),
        }
    )


def present_columns(table: pd.DataFrame) -> set[str]:
    """Columns with at least one value: the others get no comparison and no blocking."""
    return {c for c in table.columns if table[c].notna().any()}


def entities_of(records: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """source, record_key, entity_id for every record, from (record_id, entity_id).

    A record the clusters do not mention is an entity of its own.
    """
    entity = (
        clusters.drop_duplicates(C.RECORD_ID)
        .set_index(C.RECORD_ID)[C.ENTITY_ID]
        .astype(str)
        .reindex(records[C.RECORD_ID].to_numpy())
    )
    alone = "single-" + records[C.RECORD_ID].astype(str)
    return pd.DataFrame(
        {
            C.SOURCE: records[C.SOURCE].to_numpy(),
            C.RECORD_KEY: records[C.RECORD_KEY].to_numpy(),
            C.ENTITY_ID: np.where(entity.isna(), alone.to_numpy(), entity.to_numpy()),
        }
    )
