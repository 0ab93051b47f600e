"""Expectation-maximisation for a Fellegi-Sunter mixture, over comparison-vector patterns.

The pairs are a two-component mixture (matches with level probabilities m, non-matches
with u, match share lambda) under conditional independence of the comparisons. EM
alternates the posterior match probability of each pattern (E) with count-weighted
level frequencies (M). Working over distinct patterns with their counts gives exactly
the same fixed point as working over pairs, at a cost set by the number of patterns.

Nulls (gamma -1) are missing at random: they add nothing to a pattern's likelihood and
are left out of the denominators of m and u.

This module is plain numpy over arrays; :class:`~models.fellegi_sunter.FellegiSunterModel`
validates inputs and wraps the result.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

# History columns, one row per iteration.
ITERATION: Final = "iteration"
PRIOR: Final = "prior"
LOG_LIKELIHOOD: Final = "log_likelihood"
MAX_CHANGE: Final = "max_change"

# lambda is kept strictly inside (0, 1) so its log-odds stay finite.
PRIOR_MIN: Final = 1e-9


@dataclass(frozen=True)
class EMOutcome:
    """Parameters at the end of EM, and how it got there."""

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float
    history: pd.DataFrame
    converged: bool


def floor_normalise(p: np.ndarray, floor: float) -> np.ndarray:
    """Probabilities with no level below ``floor`` (before renormalising), summing to 1."""
    floored = np.maximum(p, floor)
    return floored / floored.sum()


def run_em(
    gammas: Mapping[str, np.ndarray],
    counts: np.ndarray,
    m: Mapping[str, np.ndarray],
    u: Mapping[str, np.ndarray],
    prior: float,
    *,
    train_m: Collection[str],
    train_u: Collection[str],
    train_prior: bool,
    max_iter: int,
    tol: float,
    m_floor: float,
    u_floor: float,
    u_pseudo_counts: Mapping[str, np.ndarray] | None = None,
    fixed_posterior: np.ndarray | None = None,
) -> EMOutcome:
    """Run EM from (m, u, prior) over patterns; stop when no parameter moves by ``tol``.

    ``gammas`` maps each comparison to its gamma per pattern, ``counts`` the number of
    pairs per pattern (float64). Only the named comparisons' m / u, and lambda when
    ``train_prior``, are updated; the rest stay as given.

    Two ways to keep EM identifiable on candidate pairs that are nearly all matches or
    full of look-alike non-matches (relatives):
    ``u_pseudo_counts`` adds, per comparison, pseudo-pairs to the non-match tallies (a
    Dirichlet prior on u, e.g. u from random sampling times a weight), so u stays near
    the population's where the data hold few non-matches; ``fixed_posterior`` holds per
    pattern a known match probability (0 or 1 for labelled pairs, NaN where unknown),
    which the E-step keeps instead of computing.
    """
    clamp = None
    if fixed_posterior is not None:
        clamp = ~np.isnan(fixed_posterior)
    names = list(gammas)
    index = {name: gammas[name].astype(np.intp) + 1 for name in names}  # null -> slot 0
    m = {name: np.array(m[name], dtype=np.float64) for name in names}
    u = {name: np.array(u[name], dtype=np.float64) for name in names}
    total = float(counts.sum())
    rows: list[tuple[int, float, float, float]] = []
    converged = False
    for iteration in range(1, max_iter + 1):
        # E-step: log-odds of a match per pattern, and its posterior probability.
        log_odds = np.full(len(counts), np.log(prior) - np.log1p(-prior))
        log_u = np.full(len(counts), np.log1p(-prior))
        for name in names:
            log_m_table = np.concatenate(([0.0], np.log(m[name])))
            log_u_table = np.concatenate(([0.0], np.log(u[name])))
            log_odds += log_m_table[index[name]] - log_u_table[index[name]]
            log_u += log_u_table[index[name]]
        log_likelihood = float(np.dot(counts, log_u + np.logaddexp(0.0, log_odds)))
        posterior = np.exp(-np.logaddexp(0.0, -log_odds))
        if clamp is not None and fixed_posterior is not None:
            posterior = np.where(clamp, fixed_posterior, posterior)
        match_mass = counts * posterior
        non_match_mass = counts - match_mass

        # M-step: count-weighted level frequencies among non-null comparisons.
        change = 0.0
        if train_prior:
            new_prior = min(max(float(match_mass.sum()) / total, PRIOR_MIN), 1.0 - PRIOR_MIN)
            change = max(change, abs(new_prior - prior))
            prior = new_prior
        for name in train_m:
            new_m = _level_frequencies(index[name], match_mass, len(m[name]), m_floor)
            if new_m is not None:
                change = max(change, float(np.max(np.abs(new_m - m[name]))))
                m[name] = new_m
        for name in train_u:
            pseudo = None if u_pseudo_counts is None else u_pseudo_counts.get(name)
            new_u = _level_frequencies(index[name], non_match_mass, len(u[name]), u_floor, pseudo)
            if new_u is not None:
                change = max(change, float(np.max(np.abs(new_u - u[name]))))
                u[name] = new_u
        rows.append((iteration, prior, log_likelihood, change))
        if change < tol:
            converged = True
            break
    history = pd.DataFrame(rows, columns=[ITERATION, PRIOR, LOG_LIKELIHOOD, MAX_CHANGE])
    history[ITERATION] = history[ITERATION].astype(np.int64)
    return EMOutcome(m=m, u=u, prior=prior, history=history, converged=converged)


def _level_frequencies(
    index: np.ndarray,
    mass: np.ndarray,
    levels: int,
    floor: float,
    pseudo: np.ndarray | None = None,
) -> np.ndarray | None:
    """Share of ``mass`` (plus pseudo-counts) at each non-null level; None when empty."""
    tally = np.bincount(index, weights=mass, minlength=levels + 1)[1:]
    if pseudo is not None:
        tally = tally + pseudo
    denominator = float(tally.sum())
    if denominator <= 0.0:
        return None
    return floor_normalise(tally / denominator, floor)
