"""Reviewer decisions (linker/decisions.py): append-only CSV, latest wins, resolved per run."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from helpers import canonical
from hypothesis import given
from hypothesis import strategies as st

from linker import columns as C
from linker.decisions import (
    DECIDED_AT,
    DECISION,
    DECISION_COLUMNS,
    LEFT_KEY,
    LEFT_SOURCE,
    NOTE,
    RIGHT_KEY,
    RIGHT_SOURCE,
    Constraints,
    latest_decisions,
    read_decisions,
    resolve_decisions,
)
from linker.errors import DataContractError
from linker.reconcile import _pair_in

REQUIRED = [c for c in DECISION_COLUMNS if c != NOTE]


def row(
    left: str,
    right: str,
    decision: str,
    at: str,
    *,
    reviewer: str = "rev1",
    note: str = "",
) -> dict[str, str]:
    """A decision between two "source:key" records."""
    ls, lk = left.split(":")
    rs, rk = right.split(":")
    return dict(zip(DECISION_COLUMNS, (ls, lk, rs, rk, decision, reviewer, at, note), strict=True))


def write(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(DECISION_COLUMNS)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture()
def records() -> pd.DataFrame:
    keys = [("cbp", "C1"), ("ice", "K1"), ("hhs", "H1"), ("cbp", "C2"), ("ice", "K2")]
    return canonical([{C.SOURCE: s, C.RECORD_KEY: k, C.ROW_KEY: k} for s, k in keys])


def resolved(tmp_path: Path, records: pd.DataFrame, rows: list[dict[str, str]]) -> Constraints:
    return resolve_decisions(read_decisions(write(tmp_path / "d.csv", rows)), records)


def pairs(frame: pd.DataFrame) -> list[tuple[int, int]]:
    return sorted(zip(frame[C.RECORD_ID_L].tolist(), frame[C.RECORD_ID_R].tolist(), strict=True))


# --- reading ----------------------------------------------------------------------------


def test_read_parses_times_and_keeps_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "d.csv", [row("cbp:C1", "ice:K1", "match", "2024-05-01T10:00:00Z")])
    frame = read_decisions(path)
    assert list(frame.columns) == list(DECISION_COLUMNS)
    assert frame[DECIDED_AT].iloc[0] == pd.Timestamp("2024-05-01T10:00:00", tz="UTC")
    assert frame[LEFT_KEY].iloc[0] == "C1"


def test_note_column_is_optional(tmp_path: Path) -> None:
    rows = [row("cbp:C1", "ice:K1", "distinct", "2024-05-01")]
    frame = read_decisions(write(tmp_path / "d.csv", rows, REQUIRED))
    assert frame[NOTE].tolist() == [""]


def test_keys_stay_text(tmp_path: Path) -> None:
    # Record keys like 00123 or NA must not become numbers or nulls.
    rows = [row("cbp:00123", "ice:NA", "match", "2024-05-01")]
    frame = read_decisions(write(tmp_path / "d.csv", rows))
    assert frame[[LEFT_KEY, RIGHT_KEY]].iloc[0].tolist() == ["00123", "NA"]


def test_a_spreadsheet_saved_file_reads(tmp_path: Path) -> None:
    # Excel writes a UTF-8 byte-order mark and CRLF line ends.
    header = ",".join(REQUIRED)
    path = tmp_path / "d.csv"
    path.write_bytes(
        ("\ufeff" + header + "\r\ncbp,C1,ice,K1,match,rev1,2024-05-01\r\n").encode("utf-8")
    )
    frame = read_decisions(path)
    assert frame[[LEFT_SOURCE, DECISION]].iloc[0].tolist() == ["cbp", "match"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataContractError, match="not found"):
        read_decisions(tmp_path / "nope.csv")


@pytest.mark.parametrize("dropped", [LEFT_SOURCE, RIGHT_KEY, DECISION, DECIDED_AT, "reviewer"])
def test_missing_column_is_named(tmp_path: Path, dropped: str) -> None:
    columns = [c for c in DECISION_COLUMNS if c != dropped]
    path = write(tmp_path / "d.csv", [row("cbp:C1", "ice:K1", "match", "2024-05-01")], columns)
    with pytest.raises(DataContractError, match=f"missing column.*{dropped}"):
        read_decisions(path)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (DECISION, "yes", r"line 3, column decision: 'yes' is not one of match, distinct, unsure"),
        (DECISION, "", r"line 3, column decision"),
        (DECISION, "MATCH", r"line 3, column decision"),
        (DECIDED_AT, "yesterday", r"line 3, column decided_at: not an ISO date-time"),
        (DECIDED_AT, "", r"line 3, column decided_at"),
        (DECIDED_AT, "2024-13-01", r"line 3, column decided_at"),
        (LEFT_KEY, "", r"line 3, column left_record_key: empty"),
        (RIGHT_SOURCE, "  ", r"line 3, column right_source: empty"),
        ("reviewer", "", r"line 3, column reviewer: empty"),
    ],
)
def test_bad_value_names_line_and_column(
    tmp_path: Path, field: str, value: str, expected: str
) -> None:
    good = row("cbp:C1", "ice:K1", "match", "2024-05-01T10:00:00Z")
    bad = row("cbp:SECRET7", "ice:K1", "match", "2024-05-01T10:00:00Z") | {field: value}
    path = write(tmp_path / "d.csv", [good, bad])
    with pytest.raises(DataContractError, match=expected) as err:
        read_decisions(path)
    assert str(path) in str(err.value)
    assert "SECRET7" not in str(err.value)  # record keys stay out of messages


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    rows = [
        row("cbp:C1", "ice:K1", "maybe", "2024-05-01"),
        row("cbp:C1", "ice:K1", "match", "never"),
    ]
    with pytest.raises(DataContractError) as err:
        read_decisions(write(tmp_path / "d.csv", rows))
    assert "line 2, column decision" in str(err.value)
    assert "line 3, column decided_at" in str(err.value)


# --- latest wins ------------------------------------------------------------------------


def test_latest_decision_wins(tmp_path: Path, records: pd.DataFrame) -> None:
    got = resolved(
        tmp_path,
        records,
        [
            row("cbp:C1", "ice:K1", "match", "2024-05-01T10:00:00Z"),
            row("cbp:C1", "ice:K1", "distinct", "2024-05-02T10:00:00Z"),
        ],
    )
    assert pairs(got.cannot_link) == [(0, 1)]
    assert got.must_link.empty


def test_undo_is_a_newer_row(tmp_path: Path, records: pd.DataFrame) -> None:
    got = resolved(
        tmp_path,
        records,
        [
            row("cbp:C1", "ice:K1", "match", "2024-05-01T10:00:00Z"),
            row("cbp:C1", "ice:K1", "unsure", "2024-05-01T10:05:00Z"),  # undo
        ],
    )
    assert got.must_link.empty and got.cannot_link.empty
    assert got.decided[DECISION].tolist() == ["unsure"]  # still decided: left out of review


def test_time_not_file_order_decides(tmp_path: Path, records: pd.DataFrame) -> None:
    got = resolved(
        tmp_path,
        records,
        [
            row("cbp:C1", "ice:K1", "distinct", "2024-05-03T00:00:00Z"),
            row("cbp:C1", "ice:K1", "match", "2024-05-02T00:00:00Z"),  # appended late, older
        ],
    )
    assert pairs(got.cannot_link) == [(0, 1)]


def test_time_zones_are_compared_as_instants(tmp_path: Path, records: pd.DataFrame) -> None:
    got = resolved(
        tmp_path,
        records,
        [
            row("cbp:C1", "ice:K1", "match", "2024-05-01T09:00:00Z"),  # the later instant
            row("cbp:C1", "ice:K1", "distinct", "2024-05-01T10:00:00+02:00"),  # 08:00Z
        ],
    )
    assert pairs(got.must_link) == [(0, 1)]


def test_same_time_the_later_row_wins(tmp_path: Path, records: pd.DataFrame) -> None:
    at = "2024-05-01T10:00:00Z"
    got = resolved(
        tmp_path,
        records,
        [row("cbp:C1", "ice:K1", "distinct", at), row("cbp:C1", "ice:K1", "match", at)],
    )
    assert pairs(got.must_link) == [(0, 1)]


def test_a_pair_is_the_same_whichever_side_it_was_written(
    tmp_path: Path, records: pd.DataFrame
) -> None:
    got = resolved(
        tmp_path,
        records,
        [
            row("cbp:C1", "ice:K1", "match", "2024-05-01T10:00:00Z"),
            row("ice:K1", "cbp:C1", "distinct", "2024-05-02T10:00:00Z"),
        ],
    )
    assert got.must_link.empty
    assert pairs(got.cannot_link) == [(0, 1)]
    assert len(got.decided) == 1


def test_pairs_come_out_low_id_first(tmp_path: Path, records: pd.DataFrame) -> None:
    got = resolved(
        tmp_path,
        records,
        [
            row("ice:K2", "hhs:H1", "match", "2024-05-01"),
            row("cbp:C2", "cbp:C1", "distinct", "2024-05-01"),
        ],
    )
    assert pairs(got.must_link) == [(2, 4)]
    assert pairs(got.cannot_link) == [(0, 3)]
    assert (got.decided[C.RECORD_ID_L] < got.decided[C.RECORD_ID_R]).all()


def test_same_key_in_another_source_is_another_record(
    tmp_path: Path, records: pd.DataFrame
) -> None:
    got = resolved(tmp_path, records, [row("hhs:C1", "ice:K1", "match", "2024-05-01")])
    assert got.must_link.empty and got.unknown == 1


def test_a_record_paired_with_itself_is_dropped(tmp_path: Path, records: pd.DataFrame) -> None:
    got = resolved(tmp_path, records, [row("cbp:C1", "cbp:C1", "match", "2024-05-01")])
    assert got.decided.empty and got.must_link.empty


def test_no_decisions(tmp_path: Path, records: pd.DataFrame) -> None:
    got = resolved(tmp_path, records, [])
    assert got.must_link.empty and got.cannot_link.empty and got.decided.empty
    assert got.unknown == 0 and got.unknown_examples == ()


# --- unknown records ----------------------------------------------------------------------


def test_unknown_records_are_counted_with_examples(tmp_path: Path, records: pd.DataFrame) -> None:
    got = resolved(
        tmp_path,
        records,
        [
            row("cbp:GONE1", "ice:K1", "match", "2024-05-01"),
            row("cbp:GONE2", "ice:GONE3", "distinct", "2024-05-01"),
            row("cbp:C1", "ice:K1", "match", "2024-05-01"),
        ],
    )
    assert got.unknown == 2
    assert set(got.unknown_examples) == {"cbp:GONE1", "cbp:GONE2"}
    assert pairs(got.must_link) == [(0, 1)]


def test_an_unknown_pair_decided_twice_counts_once(tmp_path: Path, records: pd.DataFrame) -> None:
    got = resolved(
        tmp_path,
        records,
        [
            row("cbp:GONE1", "ice:K1", "match", "2024-05-01"),
            row("ice:K1", "cbp:GONE1", "unsure", "2024-05-02"),
        ],
    )
    assert got.unknown == 1


def test_examples_are_capped(tmp_path: Path, records: pd.DataFrame) -> None:
    rows = [row(f"cbp:GONE{i}", "ice:K1", "match", "2024-05-01") for i in range(10)]
    got = resolved(tmp_path, records, rows)
    assert got.unknown == 10 and len(got.unknown_examples) == 3


def test_the_example_names_the_missing_record(tmp_path: Path, records: pd.DataFrame) -> None:
    got = resolved(tmp_path, records, [row("cbp:C1", "ice:GONE", "match", "2024-05-01")])
    assert got.unknown == 1
    assert got.unknown_examples == ("ice:GONE",)


# --- properties -----------------------------------------------------------------------------

RECORDS = ["cbp:C1", "ice:K1", "hhs:H1", "cbp:C2"]
decision_rows = st.lists(
    st.tuples(
        st.sampled_from(RECORDS),
        st.sampled_from(RECORDS),
        st.sampled_from(["match", "distinct", "unsure"]),
        st.booleans(),  # written right-to-left
    ),
    max_size=12,
)


def frame_of(rows: list[tuple[str, str, str, bool]], order: list[int]) -> pd.DataFrame:
    """Decisions at distinct times (row i at minute i), written in `order`."""
    out = []
    for i in order:
        left, right, decision, flipped = rows[i]
        if flipped:
            left, right = right, left
        out.append(row(left, right, decision, f"2024-05-01T10:{i:02d}:00Z"))
    frame = pd.DataFrame(out, columns=list(DECISION_COLUMNS))
    return frame.assign(**{DECIDED_AT: pd.to_datetime(frame[DECIDED_AT], utc=True)})


def in_force(latest: pd.DataFrame) -> dict[frozenset[str], str]:
    return {
        frozenset((f"{r[LEFT_SOURCE]}:{r[LEFT_KEY]}", f"{r[RIGHT_SOURCE]}:{r[RIGHT_KEY]}")): r[
            DECISION
        ]
        for r in latest.to_dict("records")
    }


@given(decision_rows, st.randoms(use_true_random=False))
def test_latest_is_the_newest_per_unordered_pair(
    rows: list[tuple[str, str, str, bool]], rnd: object
) -> None:
    order = list(range(len(rows)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    latest = latest_decisions(frame_of(rows, order))
    expected: dict[frozenset[str], str] = {}
    for left, right, decision, _ in rows:  # oldest first: later ones overwrite
        expected[frozenset((left, right))] = decision
    assert in_force(latest) == expected
    assert list(latest.columns) == list(DECISION_COLUMNS)


def test_decided_pairs_are_found_among_scored_pairs_even_when_repeated() -> None:
    # A decisions file may name one pair twice (two reviewers); the run must still mark
    # exactly the scored pairs it names.
    scored = pd.DataFrame({C.RECORD_ID_L: [0, 0, 1, 7, 7], C.RECORD_ID_R: [5, 6, 5, 12, 13]})
    decided = pd.DataFrame({C.RECORD_ID_L: [0, 0, 7, 5], C.RECORD_ID_R: [5, 5, 12, 0]})
    assert _pair_in(scored, decided).tolist() == [True, False, False, True, False]
    assert not _pair_in(scored, decided.iloc[:0]).any()
