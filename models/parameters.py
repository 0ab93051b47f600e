"""The numbers a Fellegi-Sunter model holds, and the checks that keep them sane.

Parameters arrive from code (training) and from files people can edit (model.json),
so every way they can be wrong is checked in one place and reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from linker.errors import ConfigError, DataContractError

if TYPE_CHECKING:
    from .fellegi_sunter import FellegiSunterModel


@dataclass(frozen=True)
class ModelSettings:
    """Numerical guards, saved with the model so a reload behaves the same.

    The floors keep every log2(m/u) finite: a level never seen among matches keeps
    ``m_floor``; u never falls below ``u_floor`` (which also caps how much one agreeing
    field can be worth: log2(1 / u_floor) bits).
    """

    m_floor: float = 1e-6
    u_floor: float = 1e-8
    tf_minimum_u: float = 1e-8

    def __post_init__(self) -> None:
        bad = [
            f"{k} must be in (0, 0.01], got {v!r}"
            for k, v in self.to_json().items()
            if not (isinstance(v, float | int) and 0.0 < v <= 0.01)
        ]
        if bad:
            raise ConfigError([f"model settings: {p}" for p in bad])

    def to_json(self) -> dict[str, float]:
        return {"m_floor": self.m_floor, "u_floor": self.u_floor, "tf_minimum_u": self.tf_minimum_u}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelSettings:
        known = set(cls().to_json())
        problems = [
            f"model settings: unknown key {k!r}; allowed: {sorted(known)}"
            for k in data
            if k not in known
        ]
        problems += [
            f"model settings: {k} must be a number, got {v!r}"
            for k, v in data.items()
            if k in known and (isinstance(v, bool) or not isinstance(v, float | int))
        ]
        if problems:
            raise ConfigError(problems)
        return cls(**{k: float(v) for k, v in data.items()})


def as_labels(is_match: np.ndarray | pd.Series, n: int) -> np.ndarray:
    if isinstance(is_match, pd.Series | pd.api.extensions.ExtensionArray):
        series = pd.Series(is_match)
        if series.isna().any():
            raise DataContractError(
                "is_match has missing labels; drop 'unsure' or unreviewed pairs first"
            )
        labels = series.to_numpy()
    else:
        labels = np.asarray(is_match)
    if labels.dtype != np.bool_ or labels.shape != (n,):
        raise DataContractError(
            f"is_match must be a boolean array with one label per pair ({n}), "
            f"got dtype {labels.dtype} and shape {labels.shape}"
        )
    return labels


def frozen_arrays(values: Mapping[str, Any]) -> Mapping[str, np.ndarray]:
    arrays = {}
    for name, array in values.items():
        frozen = np.array(array, dtype=np.float64)
        frozen.setflags(write=False)
        arrays[name] = frozen
    return MappingProxyType(arrays)


def parameter_problems(model: FellegiSunterModel) -> list[str]:
    problems = []
    names = [c.name for c in model.comparisons]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"comparison names must be unique, repeated {repeated}")
    if not names:
        problems.append("a model needs at least one comparison")
    if not (isinstance(model.prior, float | int) and 0.0 < model.prior < 1.0):
        problems.append(f"prior (lambda) must be strictly between 0 and 1, got {model.prior!r}")
    for which, params in (("m", model.m), ("u", model.u)):
        extra = sorted(set(params) - set(names))
        if extra:
            problems.append(f"{which} given for unknown comparisons {extra}")
        for comparison in model.comparisons:
            p = params.get(comparison.name)
            if p is None:
                problems.append(f"{which} missing for comparison {comparison.name!r}")
            elif p.shape != (comparison.num_levels,):
                problems.append(
                    f"{which} of {comparison.name!r} has {p.size} values, expected one per "
                    f"non-null level ({comparison.num_levels})"
                )
            elif not (np.all(np.isfinite(p)) and np.all(p > 0) and abs(p.sum() - 1.0) < 1e-6):
                problems.append(
                    f"{which} of {comparison.name!r} must be positive and sum to 1, got "
                    f"{[float(x) for x in p]}"
                )
    return problems
