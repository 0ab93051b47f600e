"""The spec of a comparison as plain data, and the generic level evaluator.

A comparison is what the user writes: an ordered list of levels, first match wins,
exactly as in Splink. The spec holds no code: the domain (``linker``) computes one
boolean array per level from its own comparators and hands them to
:func:`evaluate_levels`, which turns them into the int8 ``gamma_<name>`` column that
the match model reads. Keeping the spec as data is what lets a trained model be saved
as JSON and reloaded to score identically.

Spec position -> gamma value
----------------------------
The user lists levels from the most similar down to the catch-all "else" level, with
an optional null level first (Splink's convention)::

    spec position   label                 gamma
    0               "null"  (is_null)       -1   no evidence: weight 0, no m or u
    1               "exact"                  2   most similar
    2               "jaro_winkler >= 0.9"    1
    3               "else"                   0   least similar (always the last level)

With ``K`` non-null levels, the non-null level at position ``i`` among the non-null
levels (0 = first written) gets gamma ``K - 1 - i``. So higher gamma means more
similar, "else" is always 0, and a level's gamma is also its index into the model's
``m`` and ``u`` arrays. :attr:`Comparison.levels_by_gamma` gives that index order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from linker.columns import gamma_column
from linker.errors import ConfigError, DataContractError

NULL_GAMMA = -1  # gamma of the null level: no evidence either way
ELSE_GAMMA = 0  # gamma of the catch-all, least similar level
MAX_LEVELS = 127  # non-null levels that fit in an int8 gamma

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LEVEL_KEYS = frozenset({"label", "is_null", "tf_adjusted"})
_COMPARISON_KEYS = frozenset({"name", "levels", "column", "tf_column"})


@dataclass(frozen=True)
class ComparisonLevel:
    """One level of a comparison: a label for people, and two flags for the model.

    ``is_null`` marks the level that means "one side is missing" (gamma -1).
    ``tf_adjusted`` marks a level (usually the exact-match one) whose u is replaced,
    pair by pair, by the frequency of the matched value (term-frequency adjustment).
    """

    label: str
    is_null: bool = False
    tf_adjusted: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "is_null": self.is_null, "tf_adjusted": self.tf_adjusted}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ComparisonLevel:
        problems = _level_problems(data, where="level")
        if problems:
            raise ConfigError(problems)
        return cls(
            label=data["label"],
            is_null=bool(data.get("is_null", False)),
            tf_adjusted=bool(data.get("tf_adjusted", False)),
        )


@dataclass(frozen=True)
class Comparison:
    """A named comparison: its levels in spec order (most similar first, "else" last).

    ``column`` names the record column the comparison reads (for people and reports;
    the model never reads records). ``tf_column`` names the record column whose value
    frequencies feed the term-frequency adjustment of the ``tf_adjusted`` levels.
    """

    name: str
    levels: tuple[ComparisonLevel, ...]
    column: str | None = None
    tf_column: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        problems = _comparison_problems(self)
        if problems:
            raise ConfigError(problems)

    # --- the mapping between spec positions and gamma values ------------------------
    @property
    def gamma_column(self) -> str:
        """Name of this comparison's int8 column in a pairs frame."""
        return gamma_column(self.name)

    @property
    def num_levels(self) -> int:
        """Number of non-null levels K; gammas run over 0..K-1 (plus -1 for null)."""
        return sum(1 for level in self.levels if not level.is_null)

    @property
    def levels_by_gamma(self) -> tuple[ComparisonLevel, ...]:
        """Non-null levels indexed by gamma: ``[0]`` is "else", ``[-1]`` the most similar."""
        return tuple(reversed([level for level in self.levels if not level.is_null]))

    @property
    def null_level(self) -> ComparisonLevel | None:
        return next((level for level in self.levels if level.is_null), None)

    @property
    def tf_gammas(self) -> tuple[int, ...]:
        """Gamma values of the term-frequency-adjusted levels."""
        return tuple(g for g, level in enumerate(self.levels_by_gamma) if level.tf_adjusted)

    def gamma_of(self, label: str) -> int:
        """Gamma of the level with this label (-1 for the null level)."""
        for level in self.levels:
            if level.label == label and level.is_null:
                return NULL_GAMMA
        for gamma, level in enumerate(self.levels_by_gamma):
            if level.label == label:
                return gamma
        known = ", ".join(repr(level.label) for level in self.levels)
        raise KeyError(f"comparison {self.name!r} has no level {label!r}; levels: {known}")

    def label_of(self, gamma: int) -> str:
        """Label of the level with this gamma ("null" when -1 and no null level is named)."""
        if gamma == NULL_GAMMA:
            null = self.null_level
            return null.label if null is not None else "null"
        if not 0 <= gamma < self.num_levels:
            raise KeyError(
                f"comparison {self.name!r} has gammas -1..{self.num_levels - 1}, not {gamma}"
            )
        return self.levels_by_gamma[gamma].label

    def evaluate(
        self, conditions: Sequence[Any], null_mask: np.ndarray | pd.Series | None = None
    ) -> np.ndarray:
        """Gamma per pair from one boolean array per non-null, non-"else" level, in spec order."""
        expected = self.num_levels - 1
        if len(conditions) != expected:
            raise DataContractError(
                f"comparison {self.name!r} has {expected} levels between null and 'else' "
                f"but {len(conditions)} condition arrays were given; pass one boolean array "
                "per level, most similar first, and none for the null or 'else' levels"
            )
        return evaluate_levels(conditions, null_mask)

    # --- JSON -----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "column": self.column,
            "tf_column": self.tf_column,
            "levels": [level.to_json() for level in self.levels],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Comparison:
        """Build from a dict, reporting every problem at once (unknown keys included)."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"a comparison must be a JSON object, got {type(data).__name__}")
        name = data.get("name", "<unnamed>")
        problems = [
            f"comparison {name!r}: unknown key {key!r}; allowed: {sorted(_COMPARISON_KEYS)}"
            for key in data
            if key not in _COMPARISON_KEYS
        ]
        raw_levels = data.get("levels")
        if not isinstance(raw_levels, Sequence) or isinstance(raw_levels, str):
            problems.append(f"comparison {name!r}: 'levels' must be a list of level objects")
            raw_levels = []
        for i, raw in enumerate(raw_levels):
            problems.extend(_level_problems(raw, where=f"comparison {name!r} level {i}"))
        if problems:
            raise ConfigError(problems)
        return cls(
            name=data.get("name"),  # type: ignore[arg-type]  # validated in __post_init__
            levels=tuple(ComparisonLevel.from_json(raw) for raw in raw_levels),
            column=data.get("column"),
            tf_column=data.get("tf_column"),
        )


def evaluate_levels(
    conditions: Sequence[Any], null_mask: np.ndarray | pd.Series | None = None
) -> np.ndarray:
    """Turn level conditions into int8 gammas: null -> -1, first true condition wins.

    ``conditions`` holds one boolean array per level between null and "else", most
    similar first (spec order). Condition ``i`` of ``n`` yields gamma ``n - i``; a pair
    where no condition holds gets 0 ("else"); a pair where ``null_mask`` is true gets -1
    whatever the conditions say. Missing values (pd.NA) in a condition count as false.
    """
    arrays = [_as_bool(c, f"condition {i}") for i, c in enumerate(conditions)]
    null = None if null_mask is None else _as_bool(null_mask, "null_mask")
    lengths = {len(a) for a in arrays} | ({len(null)} if null is not None else set())
    if len(lengths) > 1:
        raise DataContractError(
            f"condition arrays and null_mask must have one length, got lengths {sorted(lengths)}"
        )
    if len(arrays) >= MAX_LEVELS:
        raise ConfigError(f"at most {MAX_LEVELS - 1} conditions fit an int8 gamma")
    n = len(arrays)
    choices = [np.int8(NULL_GAMMA)] if null is not None else []
    masks = ([null] if null is not None else []) + arrays
    choices += [np.int8(n - i) for i in range(n)]
    if not masks:
        raise DataContractError(
            "evaluate_levels needs at least one condition array or a null_mask "
            "(it cannot tell how many pairs there are otherwise)"
        )
    return np.select(masks, choices, default=np.int8(ELSE_GAMMA)).astype(np.int8, copy=False)


def _as_bool(values: Any, what: str) -> np.ndarray:
    if isinstance(values, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        array = pd.array(values)
        if not pd.api.types.is_bool_dtype(array.dtype):
            raise DataContractError(f"{what} must be boolean, got dtype {array.dtype}")
        result = np.asarray(array.to_numpy(dtype=bool, na_value=False))
    else:
        result = np.asarray(values)
        if result.dtype != np.bool_:
            raise DataContractError(f"{what} must be a boolean array, got dtype {result.dtype}")
    if result.ndim != 1:
        raise DataContractError(f"{what} must be one-dimensional, got shape {result.shape}")
    return result


def _level_problems(data: Any, *, where: str) -> list[str]:
    if not isinstance(data, Mapping):
        return [f"{where}: must be a JSON object with a 'label', got {type(data).__name__}"]
    problems = [
        f"{where}: unknown key {key!r}; allowed: {sorted(_LEVEL_KEYS)}"
        for key in data
        if key not in _LEVEL_KEYS
    ]
    if not isinstance(data.get("label"), str) or not data.get("label"):
        problems.append(f"{where}: 'label' must be a non-empty string")
    for flag in ("is_null", "tf_adjusted"):
        if flag in data and not isinstance(data[flag], bool):
            problems.append(f"{where}: {flag!r} must be true or false, got {data[flag]!r}")
    return problems


def _comparison_problems(comparison: Comparison) -> list[str]:
    name = comparison.name
    problems: list[str] = []
    if not isinstance(name, str) or not _NAME_RE.match(name):
        problems.append(
            f"comparison name {name!r} must be letters, digits and underscores "
            "(it becomes the column name gamma_<name>)"
        )
    for attr in ("column", "tf_column"):
        value = getattr(comparison, attr)
        if value is not None and (not isinstance(value, str) or not value):
            problems.append(f"comparison {name!r}: {attr} must be a column name or null")
    levels = comparison.levels
    if not all(isinstance(level, ComparisonLevel) for level in levels):
        return [*problems, f"comparison {name!r}: levels must be ComparisonLevel objects"]
    labels = [level.label for level in levels]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        problems.append(f"comparison {name!r}: level labels must be unique, repeated {duplicates}")
    nulls = [i for i, level in enumerate(levels) if level.is_null]
    if len(nulls) > 1 or (nulls and nulls[0] != 0):
        problems.append(
            f"comparison {name!r}: at most one null level, and it must come first "
            f"(it is checked before any other); found null levels at positions {nulls}"
        )
    non_null = [level for level in levels if not level.is_null]
    if len(non_null) < 2:
        problems.append(
            f"comparison {name!r}: needs at least two non-null levels (one similarity level "
            f"and the final 'else' level), got {len(non_null)}"
        )
    if len(non_null) > MAX_LEVELS:
        problems.append(f"comparison {name!r}: at most {MAX_LEVELS} non-null levels")
    last_similar = max((i for i, level in enumerate(levels) if not level.is_null), default=-1)
    for i, level in enumerate(levels):
        if level.tf_adjusted and (level.is_null or i == last_similar):
            problems.append(
                f"comparison {name!r} level {i} ({level.label!r}): only a similarity level "
                "can be term-frequency adjusted, not the null or the final 'else' level"
            )
    if any(level.tf_adjusted for level in levels) and comparison.tf_column is None:
        problems.append(
            f"comparison {name!r}: has a tf_adjusted level but no tf_column; name the record "
            "column whose value frequencies adjust it"
        )
    return problems
