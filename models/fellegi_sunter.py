"""The Fellegi-Sunter match model: parameters as data, estimation, scoring, explanation.

A model is the comparison specs plus, for each non-null level, m (its probability
among matches) and u (among non-matches), and lambda (``prior``): the share of
matches among the candidate pairs the model is trained and used on. A pair's match
weight is ``log2(lambda / (1 - lambda)) + sum over comparisons of log2(m / u)`` at the
pair's level; null levels add 0. Every method returns a new model: a model never
changes after it is built, so a scored run can always name the exact parameters used.

Term-frequency adjustment (Splink's): at a ``tf_adjusted`` level, agreeing on a rare
value is stronger evidence than agreeing on a common one. The caller passes, per pair,
the frequency of the agreed value among records; at that level u is replaced by it,
i.e. the weight gains ``log2(u_level / tf)``, with tf clipped to
``[settings.tf_minimum_u, 1]``. A NaN tf means "unknown" and leaves the weight alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, NamedTuple

import numpy as np
import pandas as pd

from linker.columns import MATCH_PROBABILITY, MATCH_WEIGHT
from linker.errors import ConfigError, DataContractError, TrainingError

from . import serialization
from .comparison import Comparison
from .em import floor_normalise, run_em
from .gammas import COUNT, Gammas, gamma_arrays
from .parameters import ModelSettings, as_labels, frozen_arrays, parameter_problems

PRIOR_WEIGHT: Final = "prior_weight"  # explain(): log2 prior odds
BF_PREFIX: Final = "bf_"

# match_weight_chart_data() columns
COMPARISON: Final = "comparison"
GAMMA: Final = "gamma"
LABEL: Final = "label"
M_PROBABILITY: Final = "m_probability"
U_PROBABILITY: Final = "u_probability"
LOG2_BAYES_FACTOR: Final = "log2_bayes_factor"
TF_ADJUSTED: Final = "tf_adjusted"


def bf_column(comparison: str) -> str:
    """Name of a comparison's weight-contribution column in :meth:`explain`."""
    return f"{BF_PREFIX}{comparison}"


class EMResult(NamedTuple):
    """What :meth:`FellegiSunterModel.fit_em` returns: ``model, history, converged``."""

    model: FellegiSunterModel
    history: pd.DataFrame  # iteration, prior, log_likelihood, max_change
    converged: bool


@dataclass(frozen=True, eq=False)
class FellegiSunterModel:
    """Comparisons, m and u per comparison (indexed by gamma), and lambda.

    ``m[name][g]`` and ``u[name][g]`` are the probabilities of level gamma ``g`` (0 =
    "else") among matches and non-matches; each array has ``num_levels`` entries and
    sums to 1. The arrays are read-only copies.
    """

    comparisons: tuple[Comparison, ...]
    m: Mapping[str, np.ndarray]
    u: Mapping[str, np.ndarray]
    prior: float
    settings: ModelSettings = field(default_factory=ModelSettings)
    # u among random pairs, kept when EM re-estimates u among candidate pairs: the
    # term-frequency adjustment compares a value's frequency with this population
    # average, not with the candidates' (where blocking made agreement common).
    u_random: Mapping[str, np.ndarray] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "comparisons", tuple(self.comparisons))
        object.__setattr__(self, "m", frozen_arrays(self.m))
        object.__setattr__(self, "u", frozen_arrays(self.u))
        if self.u_random is not None:
            object.__setattr__(self, "u_random", frozen_arrays(self.u_random))
        problems = parameter_problems(self)
        if problems:
            raise ConfigError(problems)

    @classmethod
    def initial(
        cls,
        comparisons: Sequence[Comparison],
        *,
        prior: float = 0.1,
        settings: ModelSettings | None = None,
    ) -> FellegiSunterModel:
        """A starting model: m rising and u falling with similarity, ready for training."""
        m, u = {}, {}
        for comparison in comparisons:
            gammas = np.arange(comparison.num_levels, dtype=np.float64)
            m[comparison.name] = 3.0**gammas / np.sum(3.0**gammas)
            u[comparison.name] = 10.0**-gammas / np.sum(10.0**-gammas)
        return cls(tuple(comparisons), m, u, prior, settings or ModelSettings())

    # --- reading the parameters ------------------------------------------------------
    def comparison(self, name: str) -> Comparison:
        for comparison in self.comparisons:
            if comparison.name == name:
                return comparison
        raise KeyError(f"model has no comparison {name!r}; it has {self.comparison_names}")

    @property
    def comparison_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.comparisons)

    @property
    def prior_weight(self) -> float:
        """log2 prior odds of a match, the weight of a pair before any evidence."""
        return float(np.log2(self.prior) - np.log2(1.0 - self.prior))

    def log2_bayes_factors(self, name: str) -> np.ndarray:
        """log2(m / u) per gamma (index 0 = "else") for one comparison."""
        return np.log2(self.m[name]) - np.log2(self.u[name])

    # --- estimation ----------------------------------------------------------------------
    def estimate_u_random_sampling(self, gammas_of_random_pairs: Gammas) -> FellegiSunterModel:
        """u = level frequencies among random pairs (almost all non-matches).

        A level never seen among ``n`` non-null pairs gets half an observation (u =
        1 / 2n: all we know is that it is rarer than 1 in n), then ``u_floor`` applies.
        """
        arrays = gamma_arrays(gammas_of_random_pairs, self.comparisons)
        if not arrays or len(next(iter(arrays.values()))) == 0:
            raise TrainingError(
                "cannot estimate u: no random pairs were given; sample pairs of records "
                "at random (not through blocking) and compare them first"
            )
        u: dict[str, np.ndarray] = {}
        all_null = []
        for comparison in self.comparisons:
            g = arrays[comparison.name]
            tally = np.bincount(g[g >= 0], minlength=comparison.num_levels).astype(np.float64)
            n = float(tally.sum())
            if n == 0.0:
                all_null.append(comparison.name)
                continue
            tally[tally == 0.0] = 0.5
            u[comparison.name] = floor_normalise(tally / n, self.settings.u_floor)
        if all_null:
            raise TrainingError(
                f"cannot estimate u for {all_null}: the comparison is null on every random "
                "pair; sample more pairs, check the columns it reads are filled, or drop it"
            )
        return replace(self, u=u, u_random=u)

    def fit_em(
        self,
        pattern_counts: pd.DataFrame,
        *,
        fix_u: bool = True,
        max_iter: int = 100,
        tol: float = 1e-6,
        comparisons_to_train: Sequence[str] | None = None,
        train_prior: bool = True,
        u_prior_weight: float = 0.0,
        labels: str | None = None,
    ) -> EMResult:
        """Estimate m (and lambda; u too unless ``fix_u``) by EM over distinct patterns.

        ``pattern_counts`` holds one row per distinct comparison vector and a ``count``
        column (see :func:`models.gammas.pattern_counts`). Comparisons outside
        ``comparisons_to_train`` keep their m and u (use it to leave out the comparisons
        a blocking rule forced to agree, as Splink does).

        With ``fix_u=False``, u is estimated among the candidate pairs themselves, where
        non-matches are harder than random pairs (relatives, namesakes). Then
        ``u_prior_weight`` keeps the current u (e.g. from random sampling) as a prior
        worth that many pairs, and ``labels`` names a column of ``pattern_counts``
        holding known match probabilities per pattern (1 match, 0 non-match, NaN
        unknown) that EM keeps fixed: semi-supervised EM.
        """
        if COUNT not in pattern_counts:
            raise DataContractError(
                f"fit_em needs a {COUNT!r} column with the number of pairs per comparison "
                "vector; build it with models.pattern_counts(gammas)"
            )
        counts = pattern_counts[COUNT].to_numpy(dtype=np.float64, na_value=np.nan)
        if np.any(~np.isfinite(counts)) or np.any(counts < 0):
            raise DataContractError(f"column {COUNT!r} must hold non-negative whole counts")
        if len(counts) == 0 or counts.sum() <= 0:
            raise TrainingError(
                "cannot run EM: there are no candidate pairs; check that blocking produced "
                "pairs and that they were compared before training"
            )
        names = self._names_to_train(comparisons_to_train)
        arrays = gamma_arrays(pattern_counts, self.comparisons)
        all_null = [name for name in names if counts[arrays[name] >= 0].sum() <= 0]
        if all_null:
            raise TrainingError(
                f"cannot train {all_null}: the comparison is null on every candidate pair, so "
                "the pairs say nothing about it; leave it out of comparisons_to_train or fix "
                "the columns it reads"
            )
        outcome = run_em(
            arrays,
            counts,
            self.m,
            self.u,
            self.prior,
            train_m=names,
            train_u=() if fix_u else names,
            train_prior=train_prior,
            max_iter=max_iter,
            tol=tol,
            m_floor=self.settings.m_floor,
            u_floor=self.settings.u_floor,
            u_pseudo_counts=(
                {name: self.u[name] * u_prior_weight for name in names}
                if u_prior_weight > 0
                else None
            ),
            fixed_posterior=(
                pattern_counts[labels].to_numpy(dtype=np.float64, na_value=np.nan)
                if labels is not None
                else None
            ),
        )
        model = replace(self, m=outcome.m, u=outcome.u, prior=outcome.prior)
        return EMResult(model, outcome.history, outcome.converged)

    def fit_from_labels(
        self,
        gammas: Gammas,
        is_match: np.ndarray | pd.Series,
        prior_weight: float = 10.0,
        *,
        smoothing: float = 1.0,
        estimate_u: bool = False,
    ) -> FellegiSunterModel:
        """m (and u when ``estimate_u``) from labelled pairs: truth or reviewer decisions.

        Per comparison, the new m is the mean of a Dirichlet posterior: level counts among
        the pairs labelled match, plus ``smoothing`` per level (Laplace), plus the current
        m worth ``prior_weight`` pairs. So a handful of labels nudges the model and many
        labels dominate it. Comparisons null on every labelled match keep their m. lambda
        is left alone: reviewed pairs are not a random sample of candidate pairs.
        """
        if prior_weight < 0 or smoothing < 0:
            raise ConfigError("fit_from_labels: prior_weight and smoothing must be >= 0")
        arrays = gamma_arrays(gammas, self.comparisons)
        n = len(next(iter(arrays.values())))
        labels = as_labels(is_match, n)
        if n == 0 or not (labels.any() or (estimate_u and not labels.all())):
            raise TrainingError(
                f"cannot learn from labels: {n} labelled pairs, {int(labels.sum())} of them "
                "matches; label at least one pair as a match (or, with estimate_u=True, as "
                "distinct)"
            )
        blend = {"prior_weight": prior_weight, "smoothing": smoothing}
        m = {k: self._posterior_mean(k, arrays[k][labels], self.m[k], **blend) for k in arrays}
        u = dict(self.u)
        if estimate_u:
            u = {k: self._posterior_mean(k, arrays[k][~labels], self.u[k], **blend) for k in arrays}
        return replace(self, m=m, u=u)

    def _posterior_mean(
        self,
        name: str,
        g: np.ndarray,
        current: np.ndarray,
        *,
        prior_weight: float,
        smoothing: float,
    ) -> np.ndarray:
        tally = np.bincount(g[g >= 0], minlength=len(current)).astype(np.float64)
        if tally.sum() == 0:
            return current
        pseudo = tally + smoothing + prior_weight * current
        return floor_normalise(pseudo / pseudo.sum(), self.settings.m_floor)

    def _names_to_train(self, requested: Sequence[str] | None) -> tuple[str, ...]:
        if requested is None:
            return self.comparison_names
        if isinstance(requested, str):
            raise ConfigError("comparisons_to_train must be a list of names, not one string")
        unknown = [name for name in requested if name not in self.comparison_names]
        if unknown:
            raise ConfigError(
                f"comparisons_to_train names {unknown}, which the model does not have; "
                f"it has {list(self.comparison_names)}"
            )
        return tuple(dict.fromkeys(requested))

    # --- scoring ---------------------------------------------------------------------
    def score(self, gammas: Gammas, tf: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """``match_weight`` and ``match_probability`` per pair, index kept from ``gammas``."""
        index, _, weight = self._contributions(gammas, tf, keep_parts=False)
        return pd.DataFrame(
            {MATCH_WEIGHT: weight, MATCH_PROBABILITY: _probability(weight)}, index=index
        )

    def explain(self, gammas: Gammas, tf: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Per pair: ``prior_weight``, ``bf_<comparison>`` (log2, tf included), the totals.

        Adding ``prior_weight`` and the ``bf_`` columns left to right gives
        ``match_weight`` exactly: it is the sum :meth:`score` computes.
        """
        index, parts, weight = self._contributions(gammas, tf, keep_parts=True)
        columns: dict[str, np.ndarray] = {PRIOR_WEIGHT: np.full(len(weight), self.prior_weight)}
        columns |= {bf_column(name): part for name, part in parts.items()}
        columns |= {MATCH_WEIGHT: weight, MATCH_PROBABILITY: _probability(weight)}
        return pd.DataFrame(columns, index=index)

    def _contributions(
        self, gammas: Gammas, tf: Mapping[str, Any] | None, *, keep_parts: bool
    ) -> tuple[pd.Index, dict[str, np.ndarray], np.ndarray]:
        """Weight per pair, summed in one fixed order (prior, then comparisons in order).

        score() and explain() both come here, so explain's parts add up to score's
        weight bit for bit. Parts are kept only when asked: on 20M pairs each is 160 MB.
        """
        arrays = gamma_arrays(gammas, self.comparisons)
        n = len(next(iter(arrays.values()))) if arrays else 0
        index = gammas.index if isinstance(gammas, pd.DataFrame) else pd.RangeIndex(n)
        tf_arrays = self._tf_arrays(tf or {}, n)
        weight = np.full(n, self.prior_weight)
        parts: dict[str, np.ndarray] = {}
        for comparison in self.comparisons:
            name = comparison.name
            g = arrays[name]
            # Gammas index the table directly: null (-1) lands on the last slot, weight 0.
            table = np.append(self.log2_bayes_factors(name), 0.0)
            part = table[g]
            if name in tf_arrays:
                part += self._tf_adjustment(comparison, g, tf_arrays[name])
            weight += part
            if keep_parts:
                parts[name] = part
        return index, parts, weight

    def _tf_adjustment(self, comparison: Comparison, g: np.ndarray, tf: np.ndarray) -> np.ndarray:
        adjust = np.zeros(len(g))
        mask = np.isin(g, comparison.tf_gammas) & ~np.isnan(tf)
        clipped = np.clip(tf[mask], self.settings.tf_minimum_u, 1.0)
        base = self.u_random if self.u_random is not None else self.u
        adjust[mask] = np.log2(base[comparison.name][g[mask]]) - np.log2(clipped)
        return adjust

    def _tf_arrays(self, tf: Mapping[str, Any], n: int) -> dict[str, np.ndarray]:
        problems = []
        arrays = {}
        for name, values in tf.items():
            if name not in self.comparison_names or not self.comparison(name).tf_gammas:
                problems.append(f"tf given for {name!r}, which has no tf_adjusted level")
                continue
            if isinstance(values, pd.Series | pd.api.extensions.ExtensionArray):
                array = pd.Series(values).to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                array = np.asarray(values, dtype=np.float64)
            if array.shape != (n,):
                problems.append(f"tf for {name!r} has shape {array.shape}, expected ({n},)")
            elif np.any(array[~np.isnan(array)] < 0):
                problems.append(f"tf for {name!r} holds negative frequencies")
            else:
                arrays[name] = array
        if problems:
            raise DataContractError("term frequencies do not fit: " + "; ".join(problems))
        return arrays

    # --- persistence and reporting ------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The comparison specs with m and u on each level (Splink's shape), plus lambda."""
        return serialization.model_to_json(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FellegiSunterModel:
        comparisons, m, u, prior, settings, u_random = serialization.model_parts_from_json(data)
        return cls(comparisons, m, u, prior, ModelSettings.from_json(settings), u_random)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> FellegiSunterModel:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ConfigError(
                f"not valid JSON (line {e.lineno}, column {e.colno}): {e.msg}; a model file "
                "is written by FellegiSunterModel.save",
                path=str(path),
            ) from e
        try:
            return cls.from_json(data)
        except ConfigError as e:
            raise ConfigError(e.problems, path=str(path)) from e

    def match_weight_chart_data(self) -> pd.DataFrame:
        """One row per comparison level (spec order): label, m, u, log2(m/u), tf flag."""
        rows = []
        for comparison in self.comparisons:
            bayes = self.log2_bayes_factors(comparison.name)
            for gamma in range(comparison.num_levels - 1, -1, -1):
                level = comparison.levels_by_gamma[gamma]
                rows.append(
                    {
                        COMPARISON: comparison.name,
                        GAMMA: gamma,
                        LABEL: level.label,
                        M_PROBABILITY: float(self.m[comparison.name][gamma]),
                        U_PROBABILITY: float(self.u[comparison.name][gamma]),
                        LOG2_BAYES_FACTOR: float(bayes[gamma]),
                        TF_ADJUSTED: level.tf_adjusted,
                    }
                )
        columns = [COMPARISON, GAMMA, LABEL, M_PROBABILITY, U_PROBABILITY, LOG2_BAYES_FACTOR]
        return pd.DataFrame(rows, columns=[*columns, TF_ADJUSTED])


def _probability(weight: np.ndarray) -> np.ndarray:
    """2^w / (1 + 2^w) = 1 / (1 + 2^-w); 2^-w overflowing to inf correctly gives 0."""
    with np.errstate(over="ignore"):
        odds_against = np.exp2(-weight)
    odds_against += 1.0
    return np.reciprocal(odds_against, out=odds_against)
