"""The review queue: pairs the model is unsure about, most consequential first.

Reviewers' time is the scarce resource. A pair ranks higher when a wrong answer costs
more: a link that would give a record an A-number it lacks (the wrong one can send a
child's file to someone else), a link joining two agencies (the lost-file case), a link
involving a minor. Within a rank, the most uncertain pairs come first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linker import columns as C
from linker.rules import CONTRADICTION
from linker.standardize.text import factorize, text_at

PRIORITY = "priority"
REASON = "reason"
REVIEW_COLUMNS = (
    PRIORITY,
    REASON,
    "left_source",
    "left_record_key",
    "right_source",
    "right_record_key",
    C.MATCH_PROBABILITY,
    C.MATCH_WEIGHT,
    "left_entity",
    "right_entity",
    C.RECORD_ID_L,
    C.RECORD_ID_R,
)
ADULT_AGE = 18


def build_review_queue(
    pairs: pd.DataFrame,
    records: pd.DataFrame,
    entities: pd.DataFrame,
    *,
    band: tuple[float, float],
    decided: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Uncertain pairs (probability in `band`, no hard rule against them, not decided).

    `pairs` holds RECORD_ID_L/R, MATCH_PROBABILITY, MATCH_WEIGHT and CONTRADICTION;
    `entities` one row per record with RECORD_ID, ENTITY_ID and `entity_a_number`.
    """
    low, high = band
    p = pairs[C.MATCH_PROBABILITY].to_numpy()
    keep = (p >= low) & (p < high) & (pairs[CONTRADICTION] == "").to_numpy()
    queue = pairs.loc[keep, [C.RECORD_ID_L, C.RECORD_ID_R, C.MATCH_PROBABILITY, C.MATCH_WEIGHT]]
    if decided is not None and len(decided) and len(queue):
        done = pd.MultiIndex.from_frame(decided[[C.RECORD_ID_L, C.RECORD_ID_R]])
        here = pd.MultiIndex.from_frame(queue[[C.RECORD_ID_L, C.RECORD_ID_R]])
        queue = queue.loc[~here.isin(done)]
    # Row i of by_id is record_id i, whatever order `entities` came in.
    by_id = entities.set_index(C.RECORD_ID).reindex(records[C.RECORD_ID].to_numpy())
    left, right = queue[C.RECORD_ID_L].to_numpy(), queue[C.RECORD_ID_R].to_numpy()
    ent_l = by_id[C.ENTITY_ID].to_numpy()[left]
    ent_r = by_id[C.ENTITY_ID].to_numpy()[right]
    # Linking the two records' entities is what a "match" would do: rank by its effect.
    has_l = by_id["entity_a_number"].notna().to_numpy()[left]
    has_r = by_id["entity_a_number"].notna().to_numpy()[right]
    gives_a_number = has_l != has_r
    source = factorize(records[C.SOURCE])[0]
    cross_agency = source[left] != source[right]
    minor = _is_minor(records)
    involves_minor = minor[left] | minor[right]
    different_entities = ent_l != ent_r
    priority = (
        4 * gives_a_number.astype(int) + 2 * cross_agency.astype(int) + involves_minor.astype(int)
    )
    reasons = np.where(gives_a_number, "gives an A-number", "")
    reasons = _join(reasons, np.where(cross_agency, "joins two agencies", ""))
    reasons = _join(reasons, np.where(involves_minor, "involves a minor", ""))
    reasons = _join(reasons, np.where(different_entities, "", "already one entity"))
    out = pd.DataFrame(
        {
            PRIORITY: priority,
            REASON: reasons,
            "left_source": text_at(records[C.SOURCE], left),
            "left_record_key": text_at(records[C.RECORD_KEY], left),
            "right_source": text_at(records[C.SOURCE], right),
            "right_record_key": text_at(records[C.RECORD_KEY], right),
            C.MATCH_PROBABILITY: queue[C.MATCH_PROBABILITY].to_numpy(),
            C.MATCH_WEIGHT: queue[C.MATCH_WEIGHT].to_numpy(),
            "left_entity": ent_l,
            "right_entity": ent_r,
            C.RECORD_ID_L: left,
            C.RECORD_ID_R: right,
        }
    )
    uncertainty = 1.0 - np.abs(out[C.MATCH_PROBABILITY].to_numpy() - 0.5) * 2
    out = out.assign(_u=uncertainty).sort_values(
        [PRIORITY, "_u", "left_record_key"], ascending=[False, False, True], kind="stable"
    )
    return out.drop(columns="_u").reset_index(drop=True)[list(REVIEW_COLUMNS)]


def _is_minor(records: pd.DataFrame) -> np.ndarray:
    """Under 18 at the event (or today, without an event date), from the birth year."""
    year = records[C.DOB_YEAR].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    event = pd.to_datetime(records[C.EVENT_DATE].astype(object), errors="coerce")
    ref = event.dt.year.to_numpy(dtype=float, na_value=np.nan)
    ref = np.where(np.isnan(ref), pd.Timestamp.now().year, ref)
    with np.errstate(invalid="ignore"):
        return (ref - year) < ADULT_AGE


def _join(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    both = (a != "") & (b != "")
    return np.where(
        both, np.char.add(np.char.add(a.astype(str), "; "), b.astype(str)), np.where(a != "", a, b)
    )
