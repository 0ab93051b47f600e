"""Reviewer decisions in the store: append-only, per reviewer, binding every later run.

Each decision is a new row; an undo is a newer row. What binds a run is, per pair, the
newest decision, except that a `match` made under the two-person rule binds only once a
second reviewer has also said `match`. When reviewers' own latest decisions on a pair
disagree (one says match, another distinct), the pair is a conflict for an admin; the
newest decision still binds until the admin decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from linker import columns as C
from linker import decisions as D
from linker.errors import DataContractError, ReviewConflict
from linker.store.runs import latest_run, record_by_key
from linker.store.schema import DECISION_KINDS, Decision, Record

RecordRef = tuple[str, str]  # (source, record_key)
ADULT_AGE = 18
# Note prefix of an admin's final decision on a conflict: disagreements older than it
# are settled. Only `record_decision(..., settles=True)` writes it.
SETTLED = "settled by admin"


@dataclass(frozen=True)
class PairState:
    """Where a pair stands: the decision in force (or None) and whether it binds."""

    in_force: str | None
    binds: bool
    awaiting_second: bool
    conflict: bool
    history: tuple[Decision, ...]


def canonical_pair(left: RecordRef, right: RecordRef) -> tuple[RecordRef, RecordRef]:
    return (left, right) if left <= right else (right, left)


def _pair_filter(left: RecordRef, right: RecordRef) -> ColumnElement[bool]:
    (ls, lk), (rs, rk) = canonical_pair(left, right)
    return and_(
        Decision.left_source == ls,
        Decision.left_record_key == lk,
        Decision.right_source == rs,
        Decision.right_record_key == rk,
    )


def _is_minor(record: Record) -> bool:
    """Under 18 at the encounter (or today when the encounter date is unknown)."""
    if record.dob_year is None:
        return False
    std = record.standardized_values()
    event = std.get(C.EVENT_DATE)
    year = int(str(event)[:4]) if event else date.today().year
    return year - int(record.dob_year) < ADULT_AGE


def gives_child_a_number(left: Record, right: Record) -> bool:
    """Would linking these give a minor's record an A-number it does not carry?"""
    for child, other in ((left, right), (right, left)):
        if child.a_number is None and other.a_number is not None and _is_minor(child):
            return True
    return False


def record_decision(
    session: Session,
    left: RecordRef,
    right: RecordRef,
    decision: str,
    reviewer: str,
    *,
    note: str = "",
    two_person_rule: bool = True,
    settles: bool = False,
) -> Decision:
    """Append a decision on two records of the latest run.

    `settles` marks an admin's final decision on a conflict: it binds at once (the
    reviewers who disagreed were the two persons) and ends the conflict; a reviewer's
    note cannot forge the mark.

    Raises DataContractError when a record is unknown, the kind is not match / distinct
    / unsure, or both sides are the same record.
    """
    if decision not in DECISION_KINDS:
        raise DataContractError(f"decision {decision!r} is not one of {', '.join(DECISION_KINDS)}")
    if left == right:
        raise DataContractError("a decision needs two different records")
    run = latest_run(session)
    if run is None:
        raise DataContractError("no run is stored yet: run `linker reconcile --db` first")
    found = {ref: record_by_key(session, run.id, *ref) for ref in (left, right)}
    missing = [f"{s}:{k}" for (s, k), rec in found.items() if rec is None]
    if missing:
        raise DataContractError(f"unknown record(s): {', '.join(missing)}")
    (ls, lk), (rs, rk) = canonical_pair(left, right)
    if note.startswith(SETTLED):
        note = note.removeprefix(SETTLED).lstrip(": ")
    if settles:
        note = f"{SETTLED}: {note}" if note else SETTLED
    needs_second = False
    if decision == "match" and two_person_rule and not settles:
        a, b = found[left], found[right]
        assert a is not None and b is not None
        needs_second = gives_child_a_number(a, b)
    row = Decision(
        left_source=ls,
        left_record_key=lk,
        right_source=rs,
        right_record_key=rk,
        decision=decision,
        reviewer=reviewer,
        note=note[:2000],
        run_id=run.id,
        needs_second=needs_second,
    )
    session.add(row)
    session.flush()
    return row


def undo_last(session: Session, left: RecordRef, right: RecordRef, reviewer: str) -> Decision:
    """Undo this reviewer's latest decision on the pair: a new row restoring the one
    before it (or `unsure` when there was none)."""
    mine = session.scalars(
        select(Decision)
        .where(_pair_filter(left, right), Decision.reviewer == reviewer)
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(2)
    ).all()
    if not mine:
        raise ReviewConflict(f"{reviewer} has no decision on this pair to undo")
    previous = mine[1].decision if len(mine) > 1 else "unsure"
    return record_decision(
        session, left, right, previous, reviewer, note="undo", two_person_rule=True
    )


def state_of(history: Sequence[Decision]) -> PairState:
    """Where a pair stands given its decisions, oldest first: the one reading of what
    is in force, what awaits a second reviewer and what is a conflict."""
    if not history:
        return PairState(None, False, False, False, ())
    latest_per_reviewer: dict[str, Decision] = {}
    for d in history:  # oldest first
        latest_per_reviewer[d.reviewer] = d
    # Only the admin's settlement and opinions given after it can conflict.
    settled_at = max((i for i, d in enumerate(history) if d.note.startswith(SETTLED)), default=0)
    since_settled: dict[str, Decision] = {d.reviewer: d for d in history[settled_at:]}
    opinions = {d.decision for d in since_settled.values()} - {"unsure"}
    conflict = opinions == {"match", "distinct"}
    newest = history[-1]
    awaiting = False
    binds = newest.decision in ("match", "distinct")
    if newest.decision == "match" and newest.needs_second:
        seconds = [
            d
            for r, d in latest_per_reviewer.items()
            if r != newest.reviewer and d.decision == "match"
        ]
        awaiting = not seconds
        binds = not awaiting
    return PairState(newest.decision, binds, awaiting, conflict, tuple(history))


def pair_state(session: Session, left: RecordRef, right: RecordRef) -> PairState:
    history = session.scalars(
        select(Decision).where(_pair_filter(left, right)).order_by(Decision.decided_at, Decision.id)
    ).all()
    return state_of(history)


def _all_by_pair(session: Session) -> dict[tuple[str, str, str, str], list[Decision]]:
    grouped: dict[tuple[str, str, str, str], list[Decision]] = {}
    for d in session.scalars(select(Decision).order_by(Decision.decided_at, Decision.id)):
        key = (d.left_source, d.left_record_key, d.right_source, d.right_record_key)
        grouped.setdefault(key, []).append(d)
    return grouped


def binding_decisions(session: Session) -> pd.DataFrame:
    """The decisions a run applies, in `linker.decisions`' columns: per pair the newest,
    left out when it is a match still waiting for its second reviewer."""
    rows = []
    for key, history in _all_by_pair(session).items():
        state = state_of(history)
        if not state.binds:
            continue
        newest = history[-1]
        rows.append(
            {
                D.LEFT_SOURCE: key[0],
                D.LEFT_KEY: key[1],
                D.RIGHT_SOURCE: key[2],
                D.RIGHT_KEY: key[3],
                D.DECISION: newest.decision,
                D.REVIEWER: newest.reviewer,
                D.DECIDED_AT: pd.Timestamp(newest.decided_at).tz_convert("UTC")
                if pd.Timestamp(newest.decided_at).tzinfo
                else pd.Timestamp(newest.decided_at, tz="UTC"),
                D.NOTE: newest.note,
            }
        )
    return pd.DataFrame(rows, columns=list(D.DECISION_COLUMNS))


def conflicts(session: Session) -> list[PairState]:
    """Pairs whose reviewers disagree, for the admin's conflict list."""
    return [s for h in _all_by_pair(session).values() if (s := state_of(h)).conflict]


def awaiting_second(session: Session) -> list[PairState]:
    """Matches under the two-person rule that still need a second reviewer."""
    return [s for h in _all_by_pair(session).values() if (s := state_of(h)).awaiting_second]
