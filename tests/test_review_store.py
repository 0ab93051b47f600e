"""The review queue's store queries on a small real run (800 sample people, seed 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from linker.errors import DataContractError
from linker.store import Store
from linker.store import review as R
from linker.store.decisions import pair_state, record_decision
from linker.store.schema import Decision, Pair, Record
from linker.store.search import SearchQuery, search_records


@pytest.fixture
def store(review_db_url: str):
    opened = Store.open(review_db_url)
    yield opened
    opened.close()


def _queued(store: Store) -> list[Pair]:
    with store.session() as s:
        return list(
            s.scalars(select(Pair).where(Pair.review_rank.is_not(None)).order_by(Pair.review_rank))
        )


def test_next_pair_is_the_lowest_rank_and_is_claimed(store: Store) -> None:
    queued = _queued(store)
    assert len(queued) >= 10, "the fixture run must queue enough pairs to review"
    with store.session() as s:
        first = R.next_pair(s, "rita")
    assert first is not None
    assert first.pair_id == queued[0].id and first.review_rank == 0
    assert first.left.source and first.left.record_key and first.left.standardized
    assert set(first.explanation) >= {"given_name", "family_name", "dob"}
    with store.session() as s:
        pair = s.get(Pair, first.pair_id)
        assert pair is not None and pair.claimed_by == "rita" and pair.claimed_at is not None
        # The same reviewer asking again gets the same pair back (their own claim).
        again = R.next_pair(s, "rita")
        assert again is not None and again.pair_id == first.pair_id


def test_a_claimed_pair_goes_to_the_next_reviewer_only_when_stale(store: Store) -> None:
    queued = _queued(store)
    with store.session() as s:
        assert R.next_pair(s, "rita").pair_id == queued[0].id  # type: ignore[union-attr]
        sam = R.next_pair(s, "sam")
    assert sam is not None and sam.pair_id == queued[1].id
    long_ago = datetime.now(UTC) - timedelta(minutes=R.CLAIM_MINUTES + 1)
    with store.session() as s:
        s.execute(update(Pair).where(Pair.id == queued[0].id).values(claimed_at=long_ago))
        tom = R.next_pair(s, "tom")
    assert tom is not None and tom.pair_id == queued[0].id


def test_skip_and_after_rank_move_past_pairs(store: Store) -> None:
    queued = _queued(store)
    with store.session() as s:
        skipped = R.next_pair(s, "rita", skip={queued[0].id, queued[1].id})
        later = R.next_pair(s, "sam", after_rank=5)
    assert skipped is not None and skipped.pair_id == queued[2].id
    assert later is not None and later.review_rank is not None and later.review_rank > 5


def test_decided_pairs_leave_the_queue_and_unsure_ones_stay(store: Store) -> None:
    queued = _queued(store)
    with store.session() as s:
        decided0, total = R.queue_progress(s)
        assert (decided0, total) == (0, len(queued))
        first = R.next_pair(s, "rita")
        assert first is not None
        record_decision(s, first.left.ref, first.right.ref, "distinct", "rita")
        second = R.next_pair(s, "rita")
        assert second is not None and second.pair_id != first.pair_id
        record_decision(s, second.left.ref, second.right.ref, "unsure", "rita")
        assert R.queue_progress(s) == (1, len(queued))
        third = R.next_pair(s, "rita")
        # unsure keeps the pair open: this reviewer holds its claim, so it comes back
        assert third is not None and third.pair_id == second.pair_id
        upcoming = [q.pair_id for q in R.upcoming_pairs(s, limit=50)]
    assert first.pair_id not in upcoming and second.pair_id in upcoming


def _two_person_pair(store: Store) -> R.PairView:
    """A queued pair whose match the two-person rule holds for a second reviewer."""
    with store.session() as s:
        for pair in _queued(store):
            view = R.pair_view(s, pair.id)
            assert view is not None
            row = record_decision(s, view.left.ref, view.right.ref, "match", "rita")
            if row.needs_second:
                return view
            s.delete(row)
    pytest.fail("the fixture run has no pair under the two-person rule")


def test_a_match_awaiting_a_second_reviewer_goes_to_another_reviewer(store: Store) -> None:
    view = _two_person_pair(store)
    with store.session() as s:
        s.execute(update(Pair).values(claimed_by=None, claimed_at=None))
        mine = []
        while (p := R.next_pair(s, "rita", skip=mine)) is not None:
            mine.append(p.pair_id)
        assert view.pair_id not in mine  # never back to the first reviewer
        others = []
        while (p := R.next_pair(s, "sam", skip=others)) is not None:
            others.append(p.pair_id)
        assert view.pair_id in others
        record_decision(s, view.left.ref, view.right.ref, "match", "sam")
        assert pair_state(s, view.left.ref, view.right.ref).binds
        s.execute(update(Pair).values(claimed_by=None, claimed_at=None))
        rest = []
        while (p := R.next_pair(s, "tom", skip=rest)) is not None:
            rest.append(p.pair_id)
        assert view.pair_id not in rest  # seconded: out of everyone's queue


def test_pair_view_members_are_the_other_records_of_each_entity(store: Store) -> None:
    with store.session() as s:
        entity_id, size = s.execute(
            select(Record.entity_id, func.count())
            .group_by(Record.entity_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        assert size >= 3
        pair = s.scalar(
            select(Pair)
            .join(Record, Record.id == Pair.left_id)
            .where(Record.entity_id == entity_id)
            .limit(1)
        )
        assert pair is not None
        view = R.pair_view(s, pair.id)
    assert view is not None
    left_members = {m.ref for m in view.left_members}
    assert view.left.ref not in left_members and view.right.ref not in left_members
    assert all(m.entity_id == entity_id for m in view.left_members)
    expected = size - (2 if view.right.entity_id == entity_id else 1)
    assert len(left_members) == expected


def test_entity_view_and_split_record(store: Store) -> None:
    with store.session() as s:
        entity_id = s.execute(
            select(Record.entity_id)
            .group_by(Record.entity_id)
            .having(func.count() == 3)
            .order_by(Record.entity_id)
            .limit(1)
        ).scalar_one()
        view = R.entity_view(s, entity_id)
        assert view is not None and len(view.members) == 3
        assert [m.ref for m in view.members] == sorted(m.ref for m in view.members)
        assert view.decisions == [] and view.split_out == []
        target = view.members[1]
        rows = R.split_record(s, target.source, target.record_key, "rita")
        assert len(rows) == 2 and {r.decision for r in rows} == {"distinct"}
        after = R.entity_view(s, entity_id)
        assert after is not None and len(after.decisions) == 2
        assert target.ref in after.split_out
        for other in (view.members[0], view.members[2]):
            assert pair_state(s, target.ref, other.ref).in_force == "distinct"
        with pytest.raises(DataContractError):
            R.split_record(s, "cbp", "no-such-key", "rita")


def test_entity_view_shows_a_record_a_match_links_in(store: Store) -> None:
    with store.session() as s:
        for pair in _queued(store):
            view = R.pair_view(s, pair.id)
            assert view is not None
            if view.same_entity:
                continue
            row = record_decision(s, view.left.ref, view.right.ref, "match", "rita")
            entity = R.entity_view(s, view.left.entity_id)
            assert entity is not None
            linked = {link.record.ref: link for link in entity.linked}
            assert view.right.ref in linked
            assert linked[view.right.ref].awaiting_second == row.needs_second
            assert linked[view.right.ref].member == view.left.ref
            return
    pytest.fail("no queued pair joins two entities")


def test_unknown_ids_answer_none(store: Store) -> None:
    with store.session() as s:
        assert R.pair_view(s, 10**9) is None
        assert R.entity_view(s, "E-none") is None
        assert s.scalar(select(func.count()).select_from(Decision)) == 0


def test_search_finds_a_person_by_each_criterion(store: Store) -> None:
    with store.session() as s:
        person = s.scalar(
            select(Record)
            .where(Record.dob.is_not(None), Record.a_number.is_not(None))
            .order_by(Record.id)
            .limit(1)
        )
        assert person is not None and person.full_name
        given, *rest = person.full_name.split()
        misspelled = given[:-1] + ("E" if given[-1] != "E" else "A")
        queries = [
            SearchQuery(name=f"{' '.join(rest).lower()}, {misspelled.lower()}"),
            SearchQuery(name=person.full_name.title(), dob=person.dob or ""),
            SearchQuery(a_number=f"A{person.a_number}"),
            SearchQuery(case_key=f"{person.source}:{person.record_key}"),
        ]
        for query in queries:
            hits = search_records(s, query)
            keys = [(h.source, h.record_key) for h in hits]
            assert (person.source, person.record_key) in keys[:5], query
            assert all(0.0 <= h.score <= 1.0 for h in hits)
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        exact = search_records(s, SearchQuery(name=person.full_name, dob=person.dob or ""))
        assert exact[0].score == 1.0
        wrong_dob = search_records(s, SearchQuery(name=person.full_name, dob="1901-01-01"))
        assert wrong_dob and wrong_dob[0].score < exact[0].score
        assert search_records(s, SearchQuery()) == []
