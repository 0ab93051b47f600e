"""A trained model as JSON: the comparison specs with m and u written on each level.

The shape follows Splink's settings: a person can read which level is worth what.
Floats are written with Python's shortest round-trip repr, so a saved and reloaded
model holds bit-identical parameters and scores every pair identically::

    {"model": "fellegi_sunter", "version": 1, "prior": 0.012,
     "settings": {"m_floor": 1e-06, ...},
     "comparisons": [{"name": "dob", "column": "dob", "tf_column": null,
                      "levels": [{"label": "null", "is_null": true, "tf_adjusted": false},
                                 {"label": "exact", ..., "m_probability": 0.9,
                                  "u_probability": 0.003}, ...]}]}

Levels stay in spec order (most similar first); m and u arrays in memory are in gamma
order (0 = "else"), and this module converts between the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from linker.errors import ConfigError

from .comparison import Comparison

if TYPE_CHECKING:
    from .fellegi_sunter import FellegiSunterModel

MODEL_KIND: Final = "fellegi_sunter"
FORMAT_VERSION: Final = 1
M_KEY: Final = "m_probability"
U_KEY: Final = "u_probability"
U_RANDOM_KEY: Final = "u_random_probability"  # u among random pairs (tf baseline)
_TOP_KEYS = frozenset({"model", "version", "prior", "settings", "comparisons"})


def model_to_json(model: FellegiSunterModel) -> dict[str, Any]:
    comparisons = []
    for comparison in model.comparisons:
        spec = comparison.to_json()
        non_null = iter(range(comparison.num_levels - 1, -1, -1))  # spec order -> gamma
        for level, level_json in zip(comparison.levels, spec["levels"], strict=True):
            if not level.is_null:
                gamma = next(non_null)
                level_json[M_KEY] = float(model.m[comparison.name][gamma])
                level_json[U_KEY] = float(model.u[comparison.name][gamma])
                if model.u_random is not None:
                    level_json[U_RANDOM_KEY] = float(model.u_random[comparison.name][gamma])
        comparisons.append(spec)
    return {
        "model": MODEL_KIND,
        "version": FORMAT_VERSION,
        "prior": float(model.prior),
        "settings": model.settings.to_json(),
        "comparisons": comparisons,
    }


def model_parts_from_json(
    data: Mapping[str, Any],
) -> tuple[
    tuple[Comparison, ...],
    dict[str, np.ndarray],
    dict[str, np.ndarray],
    float,
    dict,
    dict[str, np.ndarray] | None,
]:
    """(comparisons, m, u, prior, settings dict, u_random or None), all problems at once."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"a model must be a JSON object, got {type(data).__name__}")
    problems = [
        f"unknown key {k!r}; allowed: {sorted(_TOP_KEYS)}" for k in data if k not in _TOP_KEYS
    ]
    if data.get("model") != MODEL_KIND:
        problems.append(f"'model' must be {MODEL_KIND!r}, got {data.get('model')!r}")
    if data.get("version") != FORMAT_VERSION:
        problems.append(
            f"'version' must be {FORMAT_VERSION}, got {data.get('version')!r}; "
            "this file was written by another version of the model code"
        )
    prior = data.get("prior")
    if isinstance(prior, bool) or not isinstance(prior, float | int):
        problems.append(f"'prior' must be a number between 0 and 1, got {prior!r}")
    settings = data.get("settings", {})
    if not isinstance(settings, Mapping):
        problems.append("'settings' must be an object")
        settings = {}
    raw_comparisons = data.get("comparisons")
    if not isinstance(raw_comparisons, list) or not raw_comparisons:
        problems.append("'comparisons' must be a non-empty list")
        raw_comparisons = []
    comparisons, m, u, u_random = [], {}, {}, {}
    for i, raw in enumerate(raw_comparisons):
        try:
            comparison, m_values, u_values, random_values = _comparison_from_json(raw, i)
        except ConfigError as e:
            problems.extend(e.problems)
            continue
        comparisons.append(comparison)
        m[comparison.name] = m_values
        u[comparison.name] = u_values
        if random_values is not None:
            u_random[comparison.name] = random_values
    if u_random and len(u_random) != len(comparisons):
        problems.append(f"{U_RANDOM_KEY!r} must be on every comparison's levels or on none")
    if problems:
        raise ConfigError(problems)
    return (
        tuple(comparisons),
        m,
        u,
        float(prior),  # type: ignore[arg-type]
        dict(settings),
        u_random or None,
    )


def _comparison_from_json(
    raw: Any, i: int
) -> tuple[Comparison, np.ndarray, np.ndarray, np.ndarray | None]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("levels"), list):
        raise ConfigError(f"comparison {i}: must be an object with a 'levels' list")
    name = raw.get("name", f"#{i}")
    specs: list[Any] = []
    m_spec: list[float] = []
    u_spec: list[float] = []
    random_spec: list[float] = []
    problems: list[str] = []
    for j, level in enumerate(raw["levels"]):
        if not isinstance(level, Mapping):
            specs.append(level)  # Comparison.from_json reports it
            continue
        spec = {k: v for k, v in level.items() if k not in (M_KEY, U_KEY, U_RANDOM_KEY)}
        specs.append(spec)
        if spec.get("is_null", False):
            if M_KEY in level or U_KEY in level:
                problems.append(f"comparison {name!r} level {j}: a null level has no m or u")
            continue
        for key, into in ((M_KEY, m_spec), (U_KEY, u_spec)):
            value = level.get(key)
            if isinstance(value, bool) or not isinstance(value, float | int):
                problems.append(f"comparison {name!r} level {j}: {key!r} must be a number")
                value = np.nan
            into.append(float(value))
        if U_RANDOM_KEY in level:
            random_spec.append(float(level[U_RANDOM_KEY]))
    if random_spec and len(random_spec) != len(u_spec):
        problems.append(f"comparison {name!r}: {U_RANDOM_KEY!r} must be on every level or none")
    try:
        comparison = Comparison.from_json({**raw, "levels": specs})
    except ConfigError as e:
        problems.extend(e.problems)
    if problems:
        raise ConfigError(problems)
    # spec order (most similar first) -> gamma order (0 = "else")
    u_random = np.array(random_spec[::-1]) if random_spec else None
    return comparison, np.array(m_spec[::-1]), np.array(u_spec[::-1]), u_random
