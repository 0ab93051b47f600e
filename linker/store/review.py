"""The review queue over the latest run: claim the next pair, show it, show an entity.

A reviewer works through the queued pairs of the latest run in `review_rank` order
(most consequential first). A pair leaves the queue once a decision other than `unsure`
is in force on it; a `match` waiting under the two-person rule stays queued for every
reviewer but the one who made it. Two reviewers working at once must rarely see the same
pair, so handing out a pair claims it (`claimed_by` / `claimed_at`) with a conditional
UPDATE whose row count says whether this reviewer won; a claim older than
`CLAIM_MINUTES` is free again (a reviewer who walked away does not hold pairs forever).

Every function here is a handful of indexed queries: the queue walks the
`(run_id, review_rank)` index and looks up each candidate's newest decision through the
decisions' pair index, so it stays fast with a million records and a long decision log.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    inspect,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, aliased

from linker.errors import DataContractError
from linker.store.decisions import RecordRef, pair_state, record_decision, state_of
from linker.store.runs import latest_run, record_by_key
from linker.store.schema import Decision, Entity, Pair, Record

CLAIM_MINUTES = 10
MAX_MEMBERS = 200  # members shown per entity; a larger one is a clustering problem to flag
_CANDIDATES = 25  # queued pairs fetched per attempt to claim one

Left = aliased(Record, name="left_record")
Right = aliased(Record, name="right_record")
# Their column collections are built now, before the server's threads share the aliases
# (SQLAlchemy warms its own pooled aliases so): built on first use by two threads at
# once, one alias could end up with two sets of columns, and a query over it then fails.
for _alias in (Left, Right):
    _ = inspect(_alias).selectable.c


@dataclass(frozen=True)
class RecordView:
    """One record as a reviewer sees it: keys, A-numbers, standardized and raw values."""

    source: str
    record_key: str
    entity_id: str
    a_number: str | None  # the entity's, recovered or original
    a_number_original: str | None  # as this record carries it
    standardized: dict[str, Any]
    raw: dict[str, Any]

    @property
    def ref(self) -> RecordRef:
        return (self.source, self.record_key)

    @property
    def target(self) -> str:
        """How the audit log names this record (never by personal data)."""
        return f"{self.source}:{self.record_key}"

    @classmethod
    def of(cls, record: Record) -> RecordView:
        return cls(
            source=record.source,
            record_key=record.record_key,
            entity_id=record.entity_id,
            a_number=record.a_number,
            a_number_original=record.a_number_original,
            standardized=record.standardized_values(),
            raw=record.raw_values(),
        )


@dataclass(frozen=True)
class PairView:
    """A queued pair with everything the pair page shows."""

    pair_id: int
    left: RecordView
    right: RecordView
    match_probability: float
    match_weight: float
    review_rank: int | None
    review_reason: str
    explanation: dict[str, tuple[int, float]]  # comparison -> (level, log2 contribution)
    left_members: list[RecordView]  # the other records of the left record's entity
    right_members: list[RecordView]

    @property
    def same_entity(self) -> bool:
        return self.left.entity_id == self.right.entity_id


@dataclass(frozen=True)
class LinkedRecord:
    """A record a decision in force links to an entity's member since the run was built:
    the next run merges it (`awaiting_second`: not until a second reviewer agrees)."""

    record: RecordView
    member: RecordRef
    awaiting_second: bool


@dataclass(frozen=True)
class EntityView:
    """An entity of the latest run: members by source, A-number, decision history."""

    entity_id: str
    a_number: str | None
    members: list[RecordView]  # ordered by source, then record key
    decisions: list[Decision]  # every decision touching a member, oldest first
    linked: list[LinkedRecord] = field(default_factory=list)
    split_out: list[RecordRef] = field(default_factory=list)  # members a distinct separates

    @property
    def by_source(self) -> dict[str, list[RecordView]]:
        grouped: dict[str, list[RecordView]] = {}
        for member in self.members:
            grouped.setdefault(member.source, []).append(member)
        return grouped


@dataclass(frozen=True)
class QueuedPair:
    """A line of the queue list: keys and scores only, no personal data."""

    pair_id: int
    review_rank: int
    review_reason: str
    match_probability: float
    left: RecordRef
    right: RecordRef
    claimed_by: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def _explanation(text: str) -> dict[str, tuple[int, float]]:
    return {name: (int(lw[0]), float(lw[1])) for name, lw in json.loads(text or "{}").items()}


def _newest_decision_id(left: Any, right: Any) -> Any:
    """Correlated subquery: id of the newest decision on the pair (left, right), stored in
    either order (the canonical order is decided in Python, whose string order the
    database's collation need not share)."""

    def side(a: Any, b: Any) -> ColumnElement[bool]:
        return and_(
            Decision.left_source == a.source,
            Decision.left_record_key == a.record_key,
            Decision.right_source == b.source,
            Decision.right_record_key == b.record_key,
        )

    return (
        select(Decision.id)
        .where(or_(side(left, right), side(right, left)))
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1)
        .correlate(left, right)
        .scalar_subquery()
    )


def _open_pairs(run_id: int, reviewer: str | None) -> Select[Any]:
    """Queued pairs of the run that still need a decision from `reviewer` (anyone when
    None): no decision, an `unsure`, or a two-person `match` made by someone else."""
    newest = aliased(Decision, name="newest")
    waiting = and_(newest.decision == "match", newest.needs_second.is_(True))
    if reviewer is not None:
        waiting = and_(waiting, newest.reviewer != reviewer)
    return (
        select(Pair, Left, Right, newest.id)
        .select_from(Pair)  # stated: inferred, the left side failed now and then under load
        .join(Left, Left.id == Pair.left_id)
        .join(Right, Right.id == Pair.right_id)
        .outerjoin(newest, newest.id == _newest_decision_id(Left, Right))
        .where(
            Pair.run_id == run_id,
            Pair.review_rank.is_not(None),
            or_(newest.id.is_(None), newest.decision == "unsure", waiting),
        )
        .order_by(Pair.review_rank)
    )


def _still_open(session: Session, reviewer: str, left: Record, right: Record) -> bool:
    """For a two-person match: open to this reviewer unless it is seconded already or
    this reviewer's own latest word on it is a match."""
    state = pair_state(session, (left.source, left.record_key), (right.source, right.record_key))
    if not state.awaiting_second:
        return state.in_force in (None, "unsure")
    mine = [d for d in state.history if d.reviewer == reviewer]
    return not (mine and mine[-1].decision == "match")


def next_pair(
    session: Session,
    reviewer: str,
    *,
    after_rank: int | None = None,
    skip: Collection[int] = (),
) -> PairView | None:
    """Claim and return the highest-priority open pair for `reviewer`, or None.

    Open: queued in the latest run, no decision in force but `unsure` (or a match
    awaiting a second reviewer other than its first), not in `skip`, ranked after
    `after_rank` when given, and not claimed by another reviewer in the last
    `CLAIM_MINUTES`. The claim is a conditional UPDATE: when a concurrent reviewer won
    the row first, the next candidate is tried.
    """
    run = latest_run(session)
    if run is None:
        return None
    now = _now()
    stale = now - timedelta(minutes=CLAIM_MINUTES)
    claimable = or_(Pair.claimed_by.is_(None), Pair.claimed_by == reviewer, Pair.claimed_at < stale)
    query = _open_pairs(run.id, reviewer).where(claimable)
    if after_rank is not None:
        query = query.where(Pair.review_rank > after_rank)
    if skip:
        query = query.where(Pair.id.not_in(list(skip)))
    tried: set[int] = set()
    for _attempt in range(4):
        page = query.where(Pair.id.not_in(tried)) if tried else query
        rows = session.execute(page.limit(_CANDIDATES)).all()
        if not rows:
            return None
        for pair, left, right, newest_id in rows:
            tried.add(pair.id)
            if newest_id is not None and not _still_open(session, reviewer, left, right):
                continue
            won = session.execute(
                update(Pair)
                .where(Pair.id == pair.id, claimable)
                .values(claimed_by=reviewer, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(won, "rowcount", 0) == 1:
                return _pair_view(session, pair, left, right)
    return None


def release(session: Session, pair_id: int, reviewer: str) -> None:
    """Give a pair back to the queue (skipped or decided by the reviewer holding it)."""
    session.execute(
        update(Pair)
        .where(Pair.id == pair_id, Pair.claimed_by == reviewer)
        .values(claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )


def upcoming_pairs(session: Session, limit: int = 20) -> list[QueuedPair]:
    """The next open pairs in queue order, without claiming them (the queue page)."""
    run = latest_run(session)
    if run is None:
        return []
    rows = session.execute(_open_pairs(run.id, None).limit(max(1, min(limit, 200)))).all()
    return [
        QueuedPair(
            pair_id=pair.id,
            review_rank=int(pair.review_rank),
            review_reason=pair.review_reason,
            match_probability=pair.match_probability,
            left=(left.source, left.record_key),
            right=(right.source, right.record_key),
            claimed_by=pair.claimed_by
            if pair.claimed_at is not None and _aware(pair.claimed_at) >= _now() - _claim_age()
            else None,
        )
        for pair, left, right, _ in rows
    ]


def _claim_age() -> timedelta:
    return timedelta(minutes=CLAIM_MINUTES)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def queue_progress(session: Session) -> tuple[int, int]:
    """(decided, total) over the latest run's queue; a pair counts as decided once a
    decision other than `unsure` is in force (a two-person match awaiting its second
    counts as decided: it waits on someone else, not on the queue).

    Counted from the decisions' side, not the queue's: only decisions made against
    this run (or two-person matches still waiting) can decide a queued pair, since
    pairs decided before the run were left out of its queue. So the cost follows the
    run's decisions, not the length of the queue.
    """
    run = latest_run(session)
    if run is None:
        return 0, 0
    total = session.scalar(
        select(func.count())
        .select_from(Pair)
        .where(Pair.run_id == run.id, Pair.review_rank.is_not(None))
    )
    touched = (
        select(
            Decision.left_source,
            Decision.left_record_key,
            Decision.right_source,
            Decision.right_record_key,
        )
        .where(or_(Decision.run_id >= run.id, Decision.needs_second.is_(True)))
        .distinct()
        .subquery()
    )
    newest = (
        select(Decision.decision)
        .where(
            Decision.left_source == touched.c.left_source,
            Decision.left_record_key == touched.c.left_record_key,
            Decision.right_source == touched.c.right_source,
            Decision.right_record_key == touched.c.right_record_key,
        )
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1)
        .correlate(touched)
        .scalar_subquery()
    )
    decided = session.scalar(
        select(func.count())
        .select_from(touched)
        .join(
            Left,
            and_(
                Left.run_id == run.id,
                Left.source == touched.c.left_source,
                Left.record_key == touched.c.left_record_key,
            ),
        )
        .join(
            Right,
            and_(
                Right.run_id == run.id,
                Right.source == touched.c.right_source,
                Right.record_key == touched.c.right_record_key,
            ),
        )
        .join(
            Pair,
            and_(
                Pair.run_id == run.id,
                or_(
                    and_(Pair.left_id == Left.id, Pair.right_id == Right.id),
                    and_(Pair.left_id == Right.id, Pair.right_id == Left.id),
                ),
            ),
        )
        .where(Pair.review_rank.is_not(None), newest != literal("unsure"))
    )
    return int(decided or 0), int(total or 0)


def _members(session: Session, run_id: int, entity_ids: Iterable[str]) -> list[Record]:
    return list(
        session.scalars(
            select(Record)
            .where(Record.run_id == run_id, Record.entity_id.in_(sorted(set(entity_ids))))
            .order_by(Record.source, Record.record_key)
            .limit(MAX_MEMBERS * 2)
        )
    )


def _pair_view(session: Session, pair: Pair, left: Record, right: Record) -> PairView:
    members = _members(session, pair.run_id, (left.entity_id, right.entity_id))
    shown = {left.id, right.id}

    def others(entity_id: str) -> list[RecordView]:
        return [
            RecordView.of(m) for m in members if m.entity_id == entity_id and m.id not in shown
        ][:MAX_MEMBERS]

    return PairView(
        pair_id=pair.id,
        left=RecordView.of(left),
        right=RecordView.of(right),
        match_probability=pair.match_probability,
        match_weight=pair.match_weight,
        review_rank=pair.review_rank,
        review_reason=pair.review_reason,
        explanation=_explanation(pair.explanation),
        left_members=others(left.entity_id),
        right_members=others(right.entity_id),
    )


def pair_view(session: Session, pair_id: int) -> PairView | None:
    """A pair of the latest run by id (None when unknown or of an older run)."""
    run = latest_run(session)
    if run is None:
        return None
    row = session.execute(
        select(Pair, Left, Right)
        .select_from(Pair)
        .join(Left, Left.id == Pair.left_id)
        .join(Right, Right.id == Pair.right_id)
        .where(Pair.id == pair_id, Pair.run_id == run.id)
    ).first()
    if row is None:
        return None
    return _pair_view(session, *row)


def _decisions_touching(session: Session, refs: Sequence[RecordRef]) -> list[Decision]:
    if not refs:
        return []
    keys = list(refs)
    return list(
        session.scalars(
            select(Decision)
            .where(
                or_(
                    tuple_(Decision.left_source, Decision.left_record_key).in_(keys),
                    tuple_(Decision.right_source, Decision.right_record_key).in_(keys),
                )
            )
            .order_by(Decision.decided_at, Decision.id)
        )
    )


def entity_view(session: Session, entity_id: str) -> EntityView | None:
    """An entity of the latest run with its members, the decisions touching them, the
    records a decision since links to it and the members a decision splits out."""
    run = latest_run(session)
    if run is None:
        return None
    entity = session.scalar(
        select(Entity).where(Entity.run_id == run.id, Entity.entity_id == entity_id)
    )
    if entity is None:
        return None
    records = _members(session, run.id, [entity_id])[:MAX_MEMBERS]
    members = [RecordView.of(r) for r in records]
    refs = [m.ref for m in members]
    decisions = _decisions_touching(session, refs)
    linked, split_out = _pending(session, run.id, set(refs), decisions)
    return EntityView(entity_id, entity.a_number, members, decisions, linked, split_out)


def _pending(
    session: Session, run_id: int, members: set[RecordRef], decisions: Sequence[Decision]
) -> tuple[list[LinkedRecord], list[RecordRef]]:
    """What the next run will change: outside records a match in force links to a member,
    and members a distinct in force separates from another member."""
    histories: dict[tuple[RecordRef, RecordRef], list[Decision]] = {}
    for d in decisions:
        key = ((d.left_source, d.left_record_key), (d.right_source, d.right_record_key))
        histories.setdefault(key, []).append(d)
    outside: dict[RecordRef, tuple[RecordRef, bool]] = {}
    split_out: list[RecordRef] = []
    for (a, b), history in histories.items():
        state = state_of(history)
        inside_a, inside_b = a in members, b in members
        if state.in_force == "match" and inside_a != inside_b:
            member, other = (a, b) if inside_a else (b, a)
            if state.binds or state.awaiting_second:
                outside[other] = (member, state.awaiting_second)
        elif state.in_force == "distinct" and inside_a and inside_b and state.binds:
            split_out.extend(r for r in (a, b) if r not in split_out)
    if not outside:
        return [], split_out
    found = session.scalars(
        select(Record).where(
            Record.run_id == run_id,
            tuple_(Record.source, Record.record_key).in_(list(outside)),
        )
    ).all()
    linked = [
        LinkedRecord(RecordView.of(r), *outside[(r.source, r.record_key)])
        for r in sorted(found, key=lambda r: (r.source, r.record_key))
    ]
    return linked, split_out


def split_record(
    session: Session, source: str, record_key: str, reviewer: str, *, note: str = ""
) -> list[Decision]:
    """ "Split this record out": a `distinct` between the record and every other member
    of its current entity, so the next run keeps it apart from all of them."""
    run = latest_run(session)
    if run is None:
        raise DataContractError("no run is stored yet: run `linker reconcile --db` first")
    record = record_by_key(session, run.id, source, record_key)
    if record is None:
        raise DataContractError(f"unknown record {source}:{record_key}")
    others = [m for m in _members(session, run.id, [record.entity_id]) if m.id != record.id]
    return [
        record_decision(
            session,
            (source, record_key),
            (m.source, m.record_key),
            "distinct",
            reviewer,
            note=note or "split out of its entity",
        )
        for m in others
    ]


__all__ = [
    "CLAIM_MINUTES",
    "EntityView",
    "LinkedRecord",
    "PairView",
    "QueuedPair",
    "RecordView",
    "entity_view",
    "next_pair",
    "pair_view",
    "queue_progress",
    "release",
    "split_record",
    "upcoming_pairs",
]
