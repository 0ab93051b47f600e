"""Compare, train and score: from canonical records to scored candidate pairs.

The stages are plain functions over arrays so they can run per partition elsewhere:
`compare_pairs` turns pair ids into comparison levels, `train_model` estimates u from
random pairs and m and lambda by EM on the candidate pairs' level patterns, and
`score_pairs` adds match weights and probabilities. Pairs are handled in batches so the
memory of a million-record run stays bounded by the batch, not by all pairs' strings.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd

from linker import columns as C
from linker.comparisons import DomainComparison, comparison, comparisons_for
from linker.errors import DataContractError
from linker.features import PairFeatures, RecordFeatures, carries_data
from linker.rules import CONTRADICTION, RULE_NAMES, RuleSettings, contradictions
from models import COUNT, FellegiSunterModel, ModelSettings, pattern_counts

logger = logging.getLogger(__name__)

LABEL = "known_match"  # pattern_counts column: 0 known non-match, NaN unknown
Progress = Callable[[str, int, int], None]  # stage, done, total
T = TypeVar("T")


@dataclass(frozen=True)
class ModelSettingsForRun:
    """How the model is estimated for a run."""

    u_sample_pairs: int = 1_000_000
    em_max_iter: int = 200
    u_prior_share: float = 0.05  # random-sampling u counts as this share of the pairs
    fix_u: bool = False
    m_floor: float = 0.002  # least share of matches at any level (data-entry errors)
    seed: int = 20211
    rules: RuleSettings = field(default_factory=RuleSettings)


def choose_comparisons(records: pd.DataFrame) -> list[DomainComparison]:
    """The comparisons whose columns carry data in these records."""
    available = {c for c in records.columns if carries_data(records[c])}
    chosen = comparisons_for(available)
    if not any(c.name in ("given_name", "family_name") for c in chosen):
        raise DataContractError(
            "the records have no usable name (given or family name is empty everywhere): "
            "map given_name/family_name or full_name in the mapping; linking on dates or "
            "addresses alone would merge strangers"
        )
    return chosen


def compare_pairs(
    features: RecordFeatures,
    left: np.ndarray,
    right: np.ndarray,
    comparisons: Sequence[DomainComparison],
) -> pd.DataFrame:
    """int8 gamma columns, one per comparison, for aligned arrays of record positions."""
    pairs = PairFeatures(features, left, right)
    return pd.DataFrame({c.spec.gamma_column: c.gammas(pairs) for c in comparisons})


def term_frequencies(
    features: RecordFeatures,
    left: np.ndarray,
    right: np.ndarray,
    comparisons: Sequence[DomainComparison],
) -> dict[str, np.ndarray]:
    pairs = PairFeatures(features, left, right)
    out = {}
    for c in comparisons:
        tf = c.term_frequencies(pairs)
        if tf is not None:
            out[c.name] = tf
    return out


def year_gaps(features: RecordFeatures, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    years = features.numbers[C.DOB_YEAR]
    return np.abs(years[left] - years[right])


def compare_in_batches(
    features: RecordFeatures,
    pairs: pd.DataFrame,
    comparisons: Sequence[DomainComparison],
    *,
    batch: int = 2_000_000,
    rules: RuleSettings | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Gammas and the contradiction rule per candidate pair, batch by batch.

    With `workers` > 1 batches run in that many threads: rapidfuzz, numpy's gathers and
    pandas' integer hashing release the GIL, so two cores compare about 1.4 times as fast
    (at most `workers` batches are in memory at once).
    """
    left_all = pairs[C.RECORD_ID_L].to_numpy()
    right_all = pairs[C.RECORD_ID_R].to_numpy()

    def compare_batch(start: int, stop: int) -> pd.DataFrame:
        left, right = left_all[start:stop], right_all[start:stop]
        gammas = compare_pairs(features, left, right, comparisons)
        fired = contradictions(gammas, year_gaps(features, left, right), rules)
        gammas[CONTRADICTION] = pd.Categorical(fired, categories=RULE_NAMES)
        return gammas

    parts = []
    for stop, gammas in _batches(len(pairs), batch, compare_batch, workers):
        parts.append(gammas)
        if progress is not None:
            progress("compare", stop, len(pairs))
    if not parts:
        empty = {c.spec.gamma_column: pd.Series(dtype="int8") for c in comparisons}
        return pd.DataFrame(empty | {CONTRADICTION: pd.Categorical([], categories=RULE_NAMES)})
    return pd.concat(parts, ignore_index=True)


def _batches(
    total: int, batch: int, run: Callable[[int, int], T], workers: int
) -> Iterator[tuple[int, T]]:
    """(stop, run(start, stop)) for consecutive batches of `total` items, in order.

    Batches are `batch / workers` long when threads share them, so memory stays bounded
    by `batch` items whatever the number of workers.
    """
    workers = max(1, workers)
    size = max(1, batch // workers)
    bounds = [(start, min(start + size, total)) for start in range(0, total, size)]
    if workers == 1 or len(bounds) < 2:
        for start, stop in bounds:
            yield stop, run(start, stop)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending: deque[tuple[int, Future[T]]] = deque()
        for start, stop in bounds:
            pending.append((stop, pool.submit(run, start, stop)))
            if len(pending) >= workers:
                done_stop, future = pending.popleft()
                yield done_stop, future.result()
        while pending:
            done_stop, future = pending.popleft()
            yield done_stop, future.result()


def random_pairs(
    n: int, count: int, seed: int, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Random distinct record pairs (across groups when `groups` is given)."""
    rng = np.random.default_rng(seed)
    left = rng.integers(0, n, size=count)
    right = rng.integers(0, n, size=count)
    keep = left != right
    if groups is not None:
        keep &= groups[left] != groups[right]
    return left[keep], right[keep]


def train_model(
    features: RecordFeatures,
    gammas: pd.DataFrame,
    comparisons: Sequence[DomainComparison],
    settings: ModelSettingsForRun,
    *,
    link_only: bool = False,
    workers: int = 1,
) -> FellegiSunterModel:
    """u from random pairs; m and lambda by EM on the candidate pairs' level patterns.

    Pairs a hard rule calls "not one person" are left out of EM: they are known
    non-matches, and most are relatives whose shared surname, address and phone would
    teach EM that a family is a person.
    """
    columns = [c.spec.gamma_column for c in comparisons]
    return train_model_on_patterns(
        features,
        labelled_pattern_counts(gammas, columns),
        comparisons,
        settings,
        link_only=link_only,
        workers=workers,
    )


def labelled_pattern_counts(gammas: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The candidates' comparison-vector patterns with their counts, as EM reads them.

    Rule-rejected pairs' patterns come first with LABEL 0 (known non-matches), then the
    other pairs' with LABEL NaN (unknown); each part sorted by its vector. A distributed
    engine that counts the same patterns in the same order (see `linker.spark`) trains
    exactly the same model.
    """
    # One count, with "not rejected" as the vector's leading digit: the rejected pairs'
    # patterns (0) sort first, each part by its vector, as two counts would give them,
    # without copying ten million rows of levels into two frames first.
    unknown = (gammas[CONTRADICTION] == "").to_numpy().astype(np.int8)
    counts = pattern_counts(
        {_UNKNOWN: unknown, **{c: gammas[c] for c in columns}}, [_UNKNOWN, *columns]
    )
    label = np.where(counts[_UNKNOWN].to_numpy() == 0, 0.0, np.nan)
    return counts.drop(columns=_UNKNOWN).assign(**{LABEL: label})


_UNKNOWN = "_unknown"  # the leading digit of labelled_pattern_counts' vectors


def train_model_on_patterns(
    features: RecordFeatures,
    counts: pd.DataFrame,
    comparisons: Sequence[DomainComparison],
    settings: ModelSettingsForRun,
    *,
    link_only: bool = False,
    workers: int = 1,
) -> FellegiSunterModel:
    """`train_model` from the labelled pattern counts (`labelled_pattern_counts`) alone.

    EM never needs the pairs, only how many share each comparison vector, so the counts
    can come from anywhere (a Spark groupBy); u is still sampled from the records.
    """
    specs = [c.spec for c in comparisons]
    # Clerks mistype any field now and then: no level is rarer than that among matches,
    # so no single disagreement (a sex recorded wrong) can veto a match on its own.
    model = FellegiSunterModel.initial(
        specs, prior=0.05, settings=ModelSettings(m_floor=settings.m_floor)
    )
    groups = features.codes[C.SOURCE] if link_only else None
    # Enough random pairs to see rare agreements (an exact date of birth is ~1 in 10^4),
    # scaled down for small files where a million pairs would be most of all pairs.
    wanted = min(settings.u_sample_pairs, max(200_000, 50 * features.n))
    sample = min(wanted, max(features.n * (features.n - 1) // 2, 1))
    left, right = random_pairs(features.n, sample, settings.seed, groups)

    def compare_sample(start: int, stop: int) -> pd.DataFrame:
        return compare_pairs(features, left[start:stop], right[start:stop], comparisons)

    sampled = [g for _, g in _batches(len(left), len(left), compare_sample, workers)]
    if not sampled:  # no two records to pair (a single record): an empty comparison
        sampled = [compare_sample(0, 0)]
    model = model.estimate_u_random_sampling(pd.concat(sampled, ignore_index=True))
    # Semi-supervised EM: pairs a hard rule rejects are known non-matches; u is learned
    # among the candidates (relatives and namesakes are harder than random pairs) with
    # the random-sampling u as a prior worth a share of the pairs, which keeps EM sane
    # when candidates are nearly all matches (FEBRL 1) or crowded with relatives.
    names = [s.name for s in specs if (counts[s.gamma_column] >= 0).any()]
    result = model.fit_em(
        counts,
        max_iter=settings.em_max_iter,
        comparisons_to_train=names,
        fix_u=settings.fix_u,
        u_prior_weight=settings.u_prior_share * int(counts[COUNT].sum()),
        labels=LABEL,
    )
    if not result.converged:
        logger.warning("EM stopped after %d iterations before converging", len(result.history))
    return result.model


def rebuild_comparisons(model: FellegiSunterModel) -> list[DomainComparison]:
    """The registered comparisons a saved model was trained with, checked level by level."""
    chosen = []
    for spec in model.comparisons:
        registered = comparison(spec.name)
        if registered.spec.levels != spec.levels:
            raise DataContractError(
                f"model comparison {spec.name!r} has levels that differ from this version's; "
                "retrain the model (drop --model) or use the version that trained it"
            )
        chosen.append(registered)
    return chosen


def score_pairs(
    model: FellegiSunterModel,
    features: RecordFeatures,
    pairs: pd.DataFrame,
    gammas: pd.DataFrame,
    comparisons: Sequence[DomainComparison],
    *,
    batch: int = 2_000_000,
    workers: int = 1,
) -> pd.DataFrame:
    """MATCH_WEIGHT and MATCH_PROBABILITY per pair, term frequencies applied."""
    left_all = pairs[C.RECORD_ID_L].to_numpy()
    right_all = pairs[C.RECORD_ID_R].to_numpy()
    columns = [c.spec.gamma_column for c in comparisons]

    def score_batch(start: int, stop: int) -> pd.DataFrame:
        tf = term_frequencies(features, left_all[start:stop], right_all[start:stop], comparisons)
        chunk = gammas.iloc[start:stop][columns].reset_index(drop=True)
        return model.score(chunk, tf=tf)

    parts = [scores for _, scores in _batches(len(pairs), batch, score_batch, workers)]
    if not parts:
        return pd.DataFrame(
            {C.MATCH_WEIGHT: pd.Series(dtype=float), C.MATCH_PROBABILITY: pd.Series(dtype=float)}
        )
    return pd.concat(parts, ignore_index=True)


def explain_pairs(
    model: FellegiSunterModel,
    features: RecordFeatures,
    left: np.ndarray,
    right: np.ndarray,
    comparisons: Sequence[DomainComparison],
) -> pd.DataFrame:
    """Each comparison's contribution to the match weight, for a few pairs (UI, report)."""
    gammas = compare_pairs(features, left, right, comparisons)
    tf = term_frequencies(features, left, right, comparisons)
    return pd.concat([gammas, model.explain(gammas, tf=tf)], axis=1)
