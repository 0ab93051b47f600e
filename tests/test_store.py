"""The store on both databases: SQLite (a reviewer's laptop) and PostgreSQL (production).

Every test takes `database_url`, so it runs once per engine against an empty database.
A small real run (sample extracts -> reconcile) is built once per session and persisted
into each test's store.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select

from linker import columns as C
from linker import decisions as D
from linker.mapping import load_mapping
from linker.reconcile import ReconcileResult, reconcile
from linker.sampledata import generate_sample
from linker.store import Store
from linker.store import audit as A
from linker.store.decisions import (
    awaiting_second,
    binding_decisions,
    conflicts,
    gives_child_a_number,
    pair_state,
    record_decision,
    undo_last,
)
from linker.store.runs import latest_run, persist_run, record_by_key
from linker.store.schema import (
    ApiToken,
    AuditEvent,
    Base,
    Decision,
    Entity,
    Pair,
    Record,
    Run,
    User,
)
from linker.store.users import (
    add_user,
    authenticate,
    issue_token,
    revoke_tokens,
    set_active,
    user_for_token,
)

SmallRun = tuple[ReconcileResult, pd.DataFrame]


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> SmallRun:
    work = tmp_path_factory.mktemp("small_run")
    generate_sample(people=300, seed=11, out_dir=work / "sample")
    records_path = work / "records.parquet"
    result = reconcile(load_mapping(work / "sample" / "mapping.toml"), records_path=records_path)
    return result, pd.read_parquet(records_path)


@pytest.fixture
def store(database_url: str):
    opened = Store.open(database_url)
    yield opened
    opened.close()


@pytest.fixture
def stored(store: Store, small_run: SmallRun) -> Store:
    result, records = small_run
    persist_run(store, result, records, settings={"threshold": 0.5, "review_band": [0.2, 0.95]})
    return store


def _refs(store: Store, n: int) -> list[tuple[str, str]]:
    with store.session() as session:
        rows = session.execute(
            select(Record.source, Record.record_key).order_by(Record.id).limit(n)
        ).all()
    return [(s, k) for s, k in rows]


# --- schema -------------------------------------------------------------------------------


def test_migrations_bring_an_empty_database_to_head(store: Store) -> None:
    head = ScriptDirectory.from_config(store._alembic_config()).get_current_head()
    with store.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
        tables = set(inspect(connection).get_table_names())
    assert set(Base.metadata.tables) <= tables
    store.check_schema()  # raises when the schema is behind
    Store.open(store.url).close()  # migrating again is a no-op


def test_migrations_match_the_schema_module(store: Store) -> None:
    """Alembic's autogenerate finds nothing to add: migration and schema.py agree."""
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        drift = compare_metadata(context, Base.metadata)
    assert drift == []


# --- runs ---------------------------------------------------------------------------------


def test_persist_run_round_trip(stored: Store, small_run: SmallRun) -> None:
    result, records = small_run
    with stored.session() as session:
        run = latest_run(session)
        assert run is not None and run.status == "finished" and run.finished_at is not None
        assert run.counts == {k: int(v) for k, v in result.counts.items()}
        assert run.settings["review_band"] == [0.2, 0.95]
        assert json.loads(run.model_json) == json.loads(json.dumps(result.model.to_json()))
        n_records = session.scalar(select(func.count()).where(Record.run_id == run.id))
        assert n_records == len(records)
        # Records keep their raw row and standardized values, and their entity.
        entity_of = dict(
            zip(
                zip(result.entities[C.SOURCE], result.entities[C.RECORD_KEY], strict=True),
                result.entities[C.ENTITY_ID].astype(str),
                strict=True,
            )
        )
        for row in records.sample(25, random_state=1).itertuples():
            stored_record = record_by_key(session, run.id, row.source, row.record_key)
            assert stored_record is not None
            assert stored_record.raw_values() == json.loads(row.raw)
            assert stored_record.standardized_values()[C.FULL_NAME] == row.full_name
            assert stored_record.entity_id == entity_of[(row.source, row.record_key)]
        # Pairs carry their explanation: every comparison's level and weight.
        pairs = session.scalars(select(Pair).where(Pair.run_id == run.id)).all()
        assert len(pairs) > 0
        names = set(result.model.comparison_names)
        for pair in pairs[:50]:
            explanation = json.loads(pair.explanation)
            assert set(explanation) == names
            assert all(isinstance(level, int) for level, _ in explanation.values())
        ranked = [p for p in pairs if p.review_rank is not None]
        assert len(ranked) == len(result.review_queue)
        entities = session.scalars(select(Entity).where(Entity.run_id == run.id)).all()
        assert len(entities) == result.entities[C.ENTITY_ID].nunique()
        assert sum(e.size for e in entities) == len(records)


# --- decisions ----------------------------------------------------------------------------


def test_decisions_are_append_only_and_the_latest_wins(stored: Store) -> None:
    a, b = _refs(stored, 2)
    with stored.session() as session:
        record_decision(session, a, b, "match", "rita")
        record_decision(session, b, a, "distinct", "rita", note="second look")  # same pair
    with stored.session() as session:
        state = pair_state(session, a, b)
        assert state.in_force == "distinct" and state.binds
        assert [d.decision for d in state.history] == ["match", "distinct"]
        undo_last(session, a, b, "rita")
    with stored.session() as session:
        rows = session.scalars(select(Decision).order_by(Decision.id)).all()
        assert [d.decision for d in rows] == ["match", "distinct", "match"]
        assert rows[-1].note == "undo"
        binding = binding_decisions(session)
        assert len(binding) == 1 and binding[D.DECISION].iloc[0] == "match"
        # Canonical order: one pair whichever side came first.
        left = (binding[D.LEFT_SOURCE].iloc[0], binding[D.LEFT_KEY].iloc[0])
        assert left == min(a, b)


def test_decisions_reject_unknown_records_and_bad_kinds(stored: Store) -> None:
    from linker.errors import DataContractError

    a, b = _refs(stored, 2)
    with pytest.raises(DataContractError, match="unknown record"):
        with stored.session() as session:
            record_decision(session, a, ("cbp", "NO-SUCH-KEY"), "match", "rita")
    with pytest.raises(DataContractError, match="not one of"):
        with stored.session() as session:
            record_decision(session, a, b, "maybe", "rita")
    with stored.session() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


def _child_and_numbered(store: Store) -> tuple[tuple[str, str], tuple[str, str]]:
    """A minor's record without an A-number, and a record with one."""
    with store.session() as session:
        run = latest_run(session)
        assert run is not None
        numbered = session.scalars(
            select(Record).where(Record.run_id == run.id, Record.a_number.is_not(None)).limit(1)
        ).one()
        for record in session.scalars(
            select(Record).where(
                Record.run_id == run.id, Record.a_number.is_(None), Record.dob_year.is_not(None)
            )
        ):
            if gives_child_a_number(record, numbered):
                return (record.source, record.record_key), (numbered.source, numbered.record_key)
    raise AssertionError("the sample run has no minor without an A-number")


def test_two_person_rule_holds_a_childs_a_number_until_a_second_reviewer(stored: Store) -> None:
    child, numbered = _child_and_numbered(stored)
    with stored.session() as session:
        first = record_decision(session, child, numbered, "match", "rita")
        assert first.needs_second
    with stored.session() as session:
        assert pair_state(session, child, numbered).awaiting_second
        assert len(awaiting_second(session)) == 1
        assert binding_decisions(session).empty
        # The same reviewer saying it again is not a second person.
        record_decision(session, child, numbered, "match", "rita")
    with stored.session() as session:
        assert binding_decisions(session).empty
        record_decision(session, child, numbered, "match", "sam")
    with stored.session() as session:
        binding = binding_decisions(session)
        assert list(binding[D.DECISION]) == ["match"]
        assert awaiting_second(session) == []
    # Without the rule one reviewer's match binds at once.
    other = next(r for r in _refs(stored, 3) if r not in (child, numbered))
    with stored.session() as session:
        row = record_decision(session, child, other, "match", "rita", two_person_rule=False)
        assert not row.needs_second
    with stored.session() as session:
        assert len(binding_decisions(session)) == 2


def test_disagreeing_reviewers_make_a_conflict_that_an_admin_settles(stored: Store) -> None:
    a, b, c = _refs(stored, 3)
    with stored.session() as session:
        record_decision(session, a, b, "match", "rita")
        record_decision(session, a, b, "distinct", "sam")
        record_decision(session, a, c, "match", "rita")
        record_decision(session, a, c, "unsure", "sam")  # unsure is no disagreement
    with stored.session() as session:
        found = conflicts(session)
        assert len(found) == 1
        assert {d.reviewer for d in found[0].history} == {"rita", "sam"}
        # A reviewer's note cannot pass for a settlement.
        record_decision(session, a, b, "distinct", "sam", note="settled by admin: forged")
    with stored.session() as session:
        assert len(conflicts(session)) == 1
        record_decision(session, a, b, "match", "ada", settles=True)
    with stored.session() as session:
        assert conflicts(session) == []
        state = pair_state(session, a, b)
        assert state.in_force == "match" and state.binds and not state.conflict
        # Disagreeing again after the settlement is a new conflict.
        record_decision(session, a, b, "distinct", "sam")
    with stored.session() as session:
        assert len(conflicts(session)) == 1


# --- users, tokens, audit -----------------------------------------------------------------


def test_users_store_hashes_and_revoked_tokens_fail(store: Store) -> None:
    with store.session() as session:
        new = add_user(session, "rita", "reviewer", password="correct horse", token=True)
        assert new.token is not None
    with store.session() as session:
        user = session.scalars(select(User)).one()
        assert "correct horse" not in user.password_hash and user.password_hash.startswith("scrypt")
        token_row = session.scalars(select(ApiToken)).one()
        assert token_row.token_hash == hashlib.sha256(new.token.encode()).hexdigest()
        assert new.token not in token_row.token_hash
        assert authenticate(session, "rita", "correct horse") is not None
        assert authenticate(session, "rita", "wrong") is None
        assert authenticate(session, "nobody", "correct horse") is None
        assert user_for_token(session, new.token) is not None
        assert user_for_token(session, new.token + "x") is None
        second = issue_token(session, user)
    with store.session() as session:
        assert revoke_tokens(session, "rita") == 2
    with store.session() as session:
        assert user_for_token(session, new.token) is None
        assert user_for_token(session, second) is None
        set_active(session, "rita", False)
    with store.session() as session:
        assert authenticate(session, "rita", "correct horse") is None


def test_audit_events_filter_page_and_export(store: Store) -> None:
    with store.session() as session:
        for i in range(7):
            A.audit(session, "rita", A.VIEW_RECORD, A.record_target("cbp", f"E{i}"))
        A.audit(session, "sam", A.DECIDE, "cbp:E1|ice:I1", decision="match")
    with store.session() as session:
        page, total = A.audit_events(session, username="rita", limit=3, offset=3)
        assert total == 7 and len(page) == 3
        assert all(e.username == "rita" and e.action == A.VIEW_RECORD for e in page)
        decided, n = A.audit_events(session, action=A.DECIDE)
        assert n == 1 and decided[0].detail == {"decision": "match"}
        assert A.audit_events(session, target="cbp:E3")[1] == 1
        now = datetime.now(UTC)
        assert A.audit_events(session, since=now + timedelta(hours=1))[1] == 0
        assert A.audit_events(session, until=now - timedelta(hours=1))[1] == 0
        assert A.audit_events(session, since=now - timedelta(hours=1))[1] == 8
        events, _ = A.audit_events(session)
        text = A.audit_csv(events)
    lines = text.strip().splitlines()
    assert lines[0] == "at,username,action,target,detail" and len(lines) == 9
    assert "cbp:E1|ice:I1" in text


# --- later runs ---------------------------------------------------------------------------


def test_a_second_run_keeps_decisions_users_and_prunes_old_runs(
    stored: Store, small_run: SmallRun
) -> None:
    result, records = small_run
    a, b = _refs(stored, 2)
    with stored.session() as session:
        add_user(session, "rita", "reviewer", password="correct horse")
        record_decision(session, a, b, "distinct", "rita")
        A.audit(session, "rita", A.DECIDE, "x")
        first_run = latest_run(session)
        assert first_run is not None
        first_id = first_run.id
    ids = [persist_run(stored, result, records, keep_runs=2) for _ in range(2)]
    with stored.session() as session:
        assert session.scalars(select(Run.id).order_by(Run.id)).all() == ids
        latest = latest_run(session)
        assert latest is not None and latest.id == ids[-1]
        left_over = session.scalar(select(func.count()).where(Record.run_id == first_id))
        assert left_over == 0
        assert session.scalar(select(func.count()).where(Record.run_id == ids[-1])) == len(records)
        assert session.scalar(select(func.count()).select_from(Decision)) == 1
        assert session.scalar(select(func.count()).select_from(User)) == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
        # The decision names records by agency keys, so it still resolves in the new run.
        assert record_by_key(session, ids[-1], *a) is not None
        assert list(binding_decisions(session)[D.DECISION]) == ["distinct"]


def test_store_url_hides_the_password() -> None:
    store = Store("postgresql://linker:s3cret@db.example:5432/linker")
    assert "s3cret" not in store.safe_url and "db.example" in store.safe_url
