"""Standardization: raw extract values -> comparable canonical values.

Each normalizer takes a pandas Series and returns a Series or DataFrame with the same
index, working on unique values because names, addresses and codes repeat heavily.
`records` routes a mapping's columns through them; `run` drives a whole mapping.
"""

from __future__ import annotations

from linker.standardize.run import (
    StandardizeSummary,
    iter_standardized,
    standardize_mapping,
    write_standardized,
)

__all__ = [
    "StandardizeSummary",
    "iter_standardized",
    "standardize_mapping",
    "write_standardized",
]
