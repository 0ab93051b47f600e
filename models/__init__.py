"""Generic match models over comparison-level columns: no knowledge of the domain.

Input everywhere is a DataFrame (or a dict of int8 arrays) of ``gamma_<comparison>``
columns: -1 = null (no evidence), 0 = "else" (least similar), 1..K-1 increasingly
similar. See :mod:`models.comparison` for how a spec's levels map to gamma values.
"""

from __future__ import annotations

from .comparison import (
    ELSE_GAMMA,
    NULL_GAMMA,
    Comparison,
    ComparisonLevel,
    evaluate_levels,
)
from .fellegi_sunter import (
    COMPARISON,
    GAMMA,
    LABEL,
    LOG2_BAYES_FACTOR,
    M_PROBABILITY,
    PRIOR_WEIGHT,
    TF_ADJUSTED,
    U_PROBABILITY,
    EMResult,
    FellegiSunterModel,
    bf_column,
)
from .gammas import COUNT, gamma_arrays, pattern_counts
from .parameters import ModelSettings

__all__ = [
    "COMPARISON",
    "COUNT",
    "ELSE_GAMMA",
    "GAMMA",
    "LABEL",
    "LOG2_BAYES_FACTOR",
    "M_PROBABILITY",
    "NULL_GAMMA",
    "PRIOR_WEIGHT",
    "TF_ADJUSTED",
    "U_PROBABILITY",
    "Comparison",
    "ComparisonLevel",
    "EMResult",
    "FellegiSunterModel",
    "ModelSettings",
    "bf_column",
    "evaluate_levels",
    "gamma_arrays",
    "pattern_counts",
]
