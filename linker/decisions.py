"""Reviewer decisions: append-only, keyed by the two records' (source, record_key).

A decision outlives the run it was made in: it names records by their agency keys,
never by a run's row ids, so every later batch can apply it. The log is append-only
(dedupe's vocabulary: match / distinct / unsure); the latest row for a pair is the one
in force, so an undo is simply a newer row. `match` becomes a must-link, `distinct` a
cannot-link, `unsure` leaves the model to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd

from linker import columns as C
from linker.errors import DataContractError

DecisionKind = Literal["match", "distinct", "unsure"]
DECISIONS: Final[tuple[str, ...]] = ("match", "distinct", "unsure")

LEFT_SOURCE: Final = "left_source"
LEFT_KEY: Final = "left_record_key"
RIGHT_SOURCE: Final = "right_source"
RIGHT_KEY: Final = "right_record_key"
DECISION: Final = "decision"
REVIEWER: Final = "reviewer"
DECIDED_AT: Final = "decided_at"
NOTE: Final = "note"
DECISION_COLUMNS: Final = (
    LEFT_SOURCE,
    LEFT_KEY,
    RIGHT_SOURCE,
    RIGHT_KEY,
    DECISION,
    REVIEWER,
    DECIDED_AT,
    NOTE,
)
_REQUIRED: Final = DECISION_COLUMNS[:7]


@dataclass(frozen=True)
class Constraints:
    """Decisions resolved against one run's records."""

    must_link: pd.DataFrame  # RECORD_ID_L, RECORD_ID_R
    cannot_link: pd.DataFrame
    decided: pd.DataFrame  # RECORD_ID_L, RECORD_ID_R, DECISION: every pair in force
    unknown: int  # decisions naming a record this run does not have
    unknown_examples: tuple[str, ...]


def read_decisions(path: str | Path) -> pd.DataFrame:
    """Read a decisions CSV, checking columns and values; errors name the row."""
    path = Path(path)
    if not path.is_file():
        raise DataContractError(f"decisions file not found: {path}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise DataContractError(
            f"{path}: missing column(s) {', '.join(missing)}; a decisions file has the "
            f"columns {', '.join(DECISION_COLUMNS)}"
        )
    if NOTE not in frame.columns:
        frame[NOTE] = ""
    problems = []
    for col in (LEFT_SOURCE, LEFT_KEY, RIGHT_SOURCE, RIGHT_KEY, REVIEWER):
        for row in np.flatnonzero(frame[col].str.strip() == "")[:5]:
            problems.append(f"line {row + 2}, column {col}: empty")
    bad = ~frame[DECISION].isin(DECISIONS)
    for row in np.flatnonzero(bad)[:5]:
        problems.append(
            f"line {row + 2}, column {DECISION}: {frame[DECISION].iloc[row]!r} is not one of "
            f"{', '.join(DECISIONS)}"
        )
    when = pd.to_datetime(frame[DECIDED_AT], errors="coerce", utc=True, format="ISO8601")
    for row in np.flatnonzero(when.isna())[:5]:
        problems.append(f"line {row + 2}, column {DECIDED_AT}: not an ISO date-time")
    if problems:
        raise DataContractError(f"{path}: " + "; ".join(problems))
    frame[DECIDED_AT] = when
    return frame[list(DECISION_COLUMNS)]


def latest_decisions(decisions: pd.DataFrame) -> pd.DataFrame:
    """The decision in force per unordered pair: the newest (file order breaks ties)."""
    if decisions.empty:
        return decisions
    a = decisions[LEFT_SOURCE] + "\x1f" + decisions[LEFT_KEY]
    b = decisions[RIGHT_SOURCE] + "\x1f" + decisions[RIGHT_KEY]
    pair = a.where(a <= b, b) + "\x1e" + b.where(a <= b, a)
    order = decisions.assign(_pair=pair, _row=np.arange(len(decisions)))
    order = order.sort_values([DECIDED_AT, "_row"], kind="stable")
    return order.drop_duplicates("_pair", keep="last").drop(columns=["_pair", "_row"])


def resolve_decisions(decisions: pd.DataFrame, records: pd.DataFrame) -> Constraints:
    """Map decisions onto this run's record ids; count those naming unknown records."""
    latest = latest_decisions(decisions)
    ids = pd.Series(
        records[C.RECORD_ID].to_numpy(),
        index=pd.MultiIndex.from_arrays([records[C.SOURCE], records[C.RECORD_KEY]]),
    )
    left = ids.reindex(pd.MultiIndex.from_arrays([latest[LEFT_SOURCE], latest[LEFT_KEY]]))
    right = ids.reindex(pd.MultiIndex.from_arrays([latest[RIGHT_SOURCE], latest[RIGHT_KEY]]))
    known = left.notna().to_numpy() & right.notna().to_numpy()
    # Name the side that is unknown (the left one when both are).
    left_unknown = left.isna().to_numpy()[~known]
    unknown_rows = latest.loc[~known]
    named = np.where(
        left_unknown,
        unknown_rows[LEFT_SOURCE] + ":" + unknown_rows[LEFT_KEY],
        unknown_rows[RIGHT_SOURCE] + ":" + unknown_rows[RIGHT_KEY],
    )
    examples = tuple(str(x) for x in named[:3])
    lo = np.minimum(left.to_numpy()[known], right.to_numpy()[known]).astype(np.int64)
    hi = np.maximum(left.to_numpy()[known], right.to_numpy()[known]).astype(np.int64)
    decided = pd.DataFrame(
        {C.RECORD_ID_L: lo, C.RECORD_ID_R: hi, DECISION: latest.loc[known, DECISION].to_numpy()}
    )
    decided = decided[decided[C.RECORD_ID_L] != decided[C.RECORD_ID_R]]
    pairs = [C.RECORD_ID_L, C.RECORD_ID_R]
    return Constraints(
        must_link=decided.loc[decided[DECISION] == "match", pairs].reset_index(drop=True),
        cannot_link=decided.loc[decided[DECISION] == "distinct", pairs].reset_index(drop=True),
        decided=decided.reset_index(drop=True),
        unknown=int((~known).sum()),
        unknown_examples=examples,
    )
