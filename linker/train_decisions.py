"""Retrain the match model from reviewer decisions stored in the store.

Reviewers' `match` and `distinct` decisions are labelled pairs: the truth about exactly
the pairs the model found hard. EM learned m from the candidates' level patterns without
labels; the decisions say directly how often a true match agrees, nearly agrees or
disagrees on each field. `models.FellegiSunterModel.fit_from_labels` does the estimate
(a Dirichlet posterior: level counts among labelled pairs plus the current parameters
as a prior worth a number of pairs), so a handful of decisions nudges the model and
thousands dominate it.

The comparison levels of a decided pair are computed afresh from the two records'
standardized values as the latest run stored them (no extracts needed): a decision may
name a pair the run did not keep (a split, a search), and the levels must be the ones
this version's comparisons give. Only binding decisions teach: a match still waiting
for its second reviewer is not yet the truth.

u is the share of each level among non-matches. The current model's u came from
random pairs (and EM among candidates); it stays as the prior, worth `u_prior_pairs`
random pairs, and `distinct` decisions move it toward what hard non-matches (relatives,
namesakes) look like.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from linker import columns as C
from linker import decisions as D
from linker.errors import TrainingError
from linker.features import prepare_features
from linker.linkage import compare_pairs, rebuild_comparisons
from linker.standardize.records import RECORD_DTYPES
from linker.store.decisions import binding_decisions
from linker.store.runs import latest_run
from linker.store.schema import Record
from models import FellegiSunterModel

MATCH = "match"
DISTINCT = "distinct"
_KEY_BATCH = 500  # (source, record_key) pairs per IN query


@dataclass(frozen=True)
class LabelledPairs:
    """Comparison levels of decided pairs and their labels (True = match)."""

    gammas: pd.DataFrame
    is_match: np.ndarray
    skipped: int  # decisions naming a record the latest run does not hold


@dataclass(frozen=True)
class DecisionTraining:
    model: FellegiSunterModel
    matches: int
    distinct: int
    skipped: int


def stored_model(session: Session) -> FellegiSunterModel:
    """The model the latest stored run scored with."""
    run = latest_run(session)
    if run is None or not run.model_json:
        raise TrainingError(
            "no run is stored yet: run `linker reconcile MAPPING --out DIR --db URL` first"
        )
    return FellegiSunterModel.from_json(json.loads(run.model_json))


def _records_frame(session: Session, run_id: int, keys: list[tuple[str, str]]) -> pd.DataFrame:
    """The standardized records named by `keys`, as a linkage frame (record_id 0..n-1)."""
    rows: list[str] = []
    for start in range(0, len(keys), _KEY_BATCH):
        chunk = keys[start : start + _KEY_BATCH]
        rows.extend(
            session.scalars(
                select(Record.standardized).where(
                    Record.run_id == run_id,
                    tuple_(Record.source, Record.record_key).in_(chunk),
                )
            )
        )
    frame = pd.DataFrame([json.loads(text) for text in rows])
    frame = frame.reindex(columns=[c for c in C.RECORD_COLUMNS if c != C.RAW])
    frame[C.RECORD_ID] = np.arange(len(frame), dtype=np.int64)
    frame[C.LINE] = frame[C.LINE].fillna(0)
    dtypes = {c: t for c, t in RECORD_DTYPES.items() if c in frame.columns}
    return frame.astype(dtypes)


def labelled_pairs(session: Session, model: FellegiSunterModel) -> LabelledPairs:
    """Levels of every binding match / distinct decision on records of the latest run."""
    decided = binding_decisions(session)
    decided = decided[decided[D.DECISION].isin((MATCH, DISTINCT))].reset_index(drop=True)
    run = latest_run(session)
    if run is None or decided.empty:
        raise TrainingError(
            "no binding match or distinct decisions in the store: review some pairs first "
            "(a match waiting for its second reviewer does not count yet)"
        )
    left_keys = list(zip(decided[D.LEFT_SOURCE], decided[D.LEFT_KEY], strict=True))
    right_keys = list(zip(decided[D.RIGHT_SOURCE], decided[D.RIGHT_KEY], strict=True))
    wanted = sorted(set(left_keys) | set(right_keys))
    records = _records_frame(session, run.id, wanted)
    position = pd.Series(
        records[C.RECORD_ID].to_numpy(),
        index=pd.MultiIndex.from_arrays([records[C.SOURCE], records[C.RECORD_KEY]]),
    )
    left = position.reindex(pd.MultiIndex.from_tuples(left_keys)).to_numpy()
    right = position.reindex(pd.MultiIndex.from_tuples(right_keys)).to_numpy()
    known = ~(np.isnan(left) | np.isnan(right))
    if not known.any():
        raise TrainingError(
            f"none of the {len(decided)} decided pairs names two records of the latest run"
        )
    features = prepare_features(records)
    gammas = compare_pairs(
        features,
        left[known].astype(np.int64),
        right[known].astype(np.int64),
        rebuild_comparisons(model),
    )
    is_match = (decided.loc[known, D.DECISION] == MATCH).to_numpy()
    return LabelledPairs(gammas, is_match, int((~known).sum()))


def train_from_decisions(
    session: Session,
    model: FellegiSunterModel | None = None,
    *,
    m_prior_pairs: float = 10.0,
    u_prior_pairs: float = 1000.0,
) -> DecisionTraining:
    """A model whose m (and u) are moved toward what reviewers decided.

    `model` defaults to the latest run's. m: level counts among `match` decisions plus
    the current m worth `m_prior_pairs` pairs. u: among `distinct` decisions plus the
    current u worth `u_prior_pairs` pairs (left alone when nobody said distinct).
    lambda is kept: reviewed pairs are not a random sample of the candidates.
    """
    model = model or stored_model(session)
    labelled = labelled_pairs(session, model)
    matches = int(labelled.is_match.sum())
    distinct = int((~labelled.is_match).sum())
    trained = model
    if matches:
        trained = model.fit_from_labels(
            labelled.gammas, labelled.is_match, prior_weight=m_prior_pairs
        )
    if distinct:
        with_u = model.fit_from_labels(
            labelled.gammas, labelled.is_match, prior_weight=u_prior_pairs, estimate_u=True
        )
        trained = replace(trained, u=with_u.u)
    return DecisionTraining(trained, matches, distinct, labelled.skipped)
