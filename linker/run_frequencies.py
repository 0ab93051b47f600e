"""Name frequencies of a stored run, for the single-record lookup's term-frequency
adjustment ("GARCIA" agreeing says less than a rare surname agreeing).

The records table indexes phone and address keys but not these derived name columns, so
`persist_run` counts them from the run's frame and stores them with the run.
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from linker import columns as C
from linker.features import COUNTRY_TF_COLUMNS, FAMILY_SORTED, derive_columns

# Term-frequency columns the records table does not hold, with the canonical columns
# (kept in each record's standardized JSON) they derive from.
TF_FROM_JSON: Final[dict[str, tuple[str, ...]]] = {
    C.GIVEN_NAME_CANONICAL: (C.GIVEN_NAME_CANONICAL,),
    FAMILY_SORTED: (C.FAMILY_NAME_1, C.FAMILY_NAME_2),
}


# Keys of the stored counts beside the columns': records per country, and per
# COUNTRY_TF_COLUMNS column its values' counts within each country.
COUNTRY_RECORDS: Final = "@country"
WITHIN_COUNTRY: Final = "@within_country"


def count_term_frequencies(records: pd.DataFrame) -> dict[str, Any]:
    """Per term-frequency column the records table does not hold, how many records of
    a run carry each value: what `persist_run` stores with the run. Also the records per
    country (COUNTRY_RECORDS) and, per COUNTRY_TF_COLUMNS column, each country's counts
    of its values (WITHIN_COUNTRY: column -> country -> value -> count), for the shares
    within a country (`linker.features.shares_within_country`)."""
    derived = derive_columns(records)

    def values_of(column: str) -> pd.Series:
        return derived[column] if column in derived else records[column]

    out: dict[str, Any] = {}
    for column in TF_FROM_JSON:
        counts = values_of(column).dropna().astype(str).value_counts()
        out[column] = {str(k): int(v) for k, v in counts.items()}
    country = records[C.COUNTRY].astype(object)
    out[COUNTRY_RECORDS] = {str(k): int(v) for k, v in country.dropna().value_counts().items()}
    within: dict[str, dict[str, dict[str, int]]] = {}
    for column in COUNTRY_TF_COLUMNS:
        values = values_of(column).astype(object)
        both = pd.DataFrame({"country": country, "value": values}).dropna()
        counts = both.astype(str).value_counts()
        per_country: dict[str, dict[str, int]] = {}
        for (place, value), n in counts.items():
            per_country.setdefault(str(place), {})[str(value)] = int(n)
        within[column] = per_country
    out[WITHIN_COUNTRY] = within
    return out
