"""Name frequencies of a stored run, for the single-record lookup's term-frequency
adjustment ("GARCIA" agreeing says less than a rare surname agreeing).

The records table indexes phone and address keys but not these derived name columns, so
`persist_run` counts them from the run's frame and stores them with the run.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from linker import columns as C
from linker.features import FAMILY_SORTED, derive_columns

# Term-frequency columns the records table does not hold, with the canonical columns
# (kept in each record's standardized JSON) they derive from.
TF_FROM_JSON: Final[dict[str, tuple[str, ...]]] = {
    C.GIVEN_NAME_CANONICAL: (C.GIVEN_NAME_CANONICAL,),
    FAMILY_SORTED: (C.FAMILY_NAME_1, C.FAMILY_NAME_2),
}


def count_term_frequencies(records: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per term-frequency column the records table does not hold, how many records of
    a run carry each value: what `persist_run` stores with the run."""
    derived = derive_columns(records)
    out = {}
    for column in TF_FROM_JSON:
        values = derived[column] if column in derived else records[column]
        counts = values.dropna().astype(str).value_counts()
        out[column] = {str(k): int(v) for k, v in counts.items()}
    return out
