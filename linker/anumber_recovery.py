"""A-number recovery: give every record of an entity the entity's A-number.

Many CBP, ICE and HHS records carry no A-number (or one too damaged to keep); once a
record is linked to an entity whose other records carry one, the analyst gets it back.
The entity's A-number is the most frequent valid A-number among its members; a tie is
broken by the lexicographically smallest (for nine-digit strings the same as the
numerically smallest), so the choice is deterministic and does not depend on row order.

An entity whose members carry more than one distinct valid A-number is flagged
(``a_number_conflict``): clustering allows A-numbers one typo apart into one entity, and
a must-link may force further apart ones together; a person should look at both.

Per record, ``a_number_source`` says where its entity A-number came from for that record:

| value | the record's own A-number |
| --- | --- |
| ``original`` | is the entity's |
| ``recovered`` | absent (or invalid): the entity's is new for this record |
| ``pending`` | absent (or invalid), and the entity's waits for a reviewer (below) |
| ``conflict`` | valid but different from the entity's |
| null | the entity has none, or a tie between conflicting ones (left to a reviewer) |

An A-number passes to a record only over sure links. Clustering joins records at a
match probability of 0.5, but a link in the review band is one a person has not yet
confirmed, and most wrong A-numbers at scale cross exactly such a link: a namesake from
another family joined by one middling pair. Given ``sure_links`` (the entities' links at
or above the review band, and reviewers' must-links), a record lacking an A-number is
``recovered`` only when those links alone connect it to a member carrying the entity's
A-number; otherwise it is ``pending``: it stays in the entity, is given no A-number, and
the link that would give it one ranks first in the review queue. A reviewer's "same"
decision is a must-link, so the next run recovers it. On the 1M sample this held 11,000
of 140,000 recoveries for review and cut the wrong ones from 5,608 to 2,743, most of
those left being an A-number mistyped on the only record that carries one.

A tie between conflicting A-numbers (two typo variants, one record each) cannot be
settled from the data: the smallest is shown as the entity's A-number on the records
that carry one, but a record without one is given none (``entity_a_number`` and
``a_number_source`` null) rather than possibly someone else's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from linker import columns as C
from linker.errors import DataContractError
from linker.standardize.text import is_arrow_text, text_array

# Output columns (not record fields, so not in linker.columns).
ENTITY_A_NUMBER: Final = "entity_a_number"
A_NUMBER_SOURCE: Final = "a_number_source"
A_NUMBER_CONFLICT: Final = "a_number_conflict"

ANumberSource = Literal["original", "recovered", "pending", "conflict"]
A_NUMBER_SOURCES: Final[tuple[ANumberSource, ...]] = (
    "original",
    "recovered",
    "pending",
    "conflict",
)

A_NUMBER_DIGITS: Final = 9

RECOVERY_COLUMNS: Final = (
    C.RECORD_ID,
    C.ENTITY_ID,
    ENTITY_A_NUMBER,
    A_NUMBER_SOURCE,
    A_NUMBER_CONFLICT,
)


@dataclass(frozen=True)
class RecoverySummary:
    """Counts for the run report."""

    records: int
    with_a_number: int  # records carrying a valid A-number of their own
    without_a_number: int  # records lacking one
    recovered: int  # of those, given their entity's A-number
    pending: int  # of those, whose entity's A-number waits for a reviewer
    still_missing: int  # of those, in an entity with no A-number at all (or a tie)
    conflicting_records: int  # own A-number differs from the entity's
    entities: int
    entities_with_a_number: int
    conflicting_entities: int  # members carry more than one distinct A-number

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def a_numbers_as_int(values: pd.Series) -> np.ndarray:
    """Valid A-numbers (exactly nine ASCII digits) as int64, -1 for null or invalid.

    Nine-digit strings order like their integers, so the int form also serves the
    "lexicographically smallest" tie-break. Text columns are checked and converted by
    Arrow (half a million distinct A-numbers per million records made the Python check
    the slow part); anything else (numbers, mixed objects) per distinct value.
    """
    try:
        array = text_array(values if is_arrow_text(values) else values.astype(object))
    except (pa.ArrowException, UnicodeError):  # not all text, or lone surrogates
        return _a_numbers_as_int_by_value(values)
    valid = pc.match_substring_regex(array, _VALID_A_NUMBER).fill_null(False)
    out = np.full(len(array), -1, dtype=np.int64)
    out[valid.to_numpy(zero_copy_only=False)] = pc.cast(array.filter(valid), pa.int64())
    return out


_VALID_A_NUMBER: Final = f"^[0-9]{{{A_NUMBER_DIGITS}}}$"


def _a_numbers_as_int_by_value(values: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(values.astype(object))
    as_int = np.array(
        [
            int(v)
            if isinstance(v, str) and len(v) == A_NUMBER_DIGITS and v.isascii() and v.isdigit()
            else -1
            for v in uniques
        ]
        + [-1],  # code -1 (null) reads the last slot
        dtype=np.int64,
    )
    return as_int[codes]


def recover_a_numbers(
    records: pd.DataFrame, entities: pd.DataFrame, *, sure_links: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per record (in the order of ``records``): RECORD_ID, ENTITY_ID, the entity's
    A-number, where it came from for this record, and whether the entity is conflicted.

    ``records``: RECORD_ID, A_NUMBER (nine digits, or null). ``entities``: RECORD_ID,
    ENTITY_ID with every record exactly once (``cluster_records(...).entities``).
    ``sure_links``: RECORD_ID_L, RECORD_ID_R, the links an A-number may cross without a
    reviewer (see the module docstring); None trusts every link of the entities.
    """
    _require(records, (C.RECORD_ID, C.A_NUMBER), "records")
    _require(entities, (C.RECORD_ID, C.ENTITY_ID), "entities")
    if sure_links is not None:
        _require(sure_links, (C.RECORD_ID_L, C.RECORD_ID_R), "sure_links")
    entity_ids = _entity_of_each_record(records, entities)
    codes, names = pd.factorize(entity_ids)
    own = a_numbers_as_int(records[C.A_NUMBER])

    has = own >= 0
    entity, number, count = _member_counts(codes[has].astype(np.int64), own[has])
    # Each entity's (A-number, count) rows, most frequent first, ties to the smallest.
    order = np.lexsort((number, -count, entity))
    entity, number, count = entity[order], number[order], count[order]
    first = np.flatnonzero(np.r_[len(entity) > 0, entity[1:] != entity[:-1]])
    several = np.diff(np.r_[first, len(entity)]) > 1  # a runner-up row follows the first
    entity_number = np.full(len(names), -1, dtype=np.int64)
    entity_number[entity[first]] = number[first]
    top, second = np.zeros(len(names), np.int64), np.zeros(len(names), np.int64)
    top[entity[first]] = count[first]
    second[entity[first[several]]] = count[first[several] + 1]
    conflicted = np.zeros(len(names), dtype=bool)
    conflicted[entity[first[several]]] = True
    text = np.full(len(names), None, dtype=object)
    found = entity_number >= 0
    text[found] = pd.Series(entity_number[found]).astype(str).str.zfill(A_NUMBER_DIGITS)

    theirs = entity_number[codes]
    # A tie between conflicting A-numbers is not recovered from (see the module doc).
    held = (conflicted & (top == second))[codes] & (own < 0)
    # Lacking one, in an entity with one, and not reached from its carriers by sure links.
    unsure = np.zeros(len(codes), dtype=bool)
    if sure_links is not None:
        unsure = (own < 0) & (theirs >= 0) & ~held
        if unsure.any():
            unsure &= ~_surely_reached(records, sure_links, (own >= 0) & (own == theirs))
    source = np.select(
        [(theirs < 0) | held, unsure, own < 0, own == theirs],
        [
            np.array(None),
            np.array("pending", dtype=object),
            np.array("recovered", dtype=object),
            np.array("original", dtype=object),
        ],
        default=np.array("conflict", dtype=object),
    )
    assigned = text[codes]
    assigned[held | unsure] = None
    return pd.DataFrame(
        {
            C.RECORD_ID: records[C.RECORD_ID].to_numpy(copy=True),
            C.ENTITY_ID: entity_ids,
            ENTITY_A_NUMBER: assigned,
            A_NUMBER_SOURCE: source,
            A_NUMBER_CONFLICT: conflicted[codes],
        },
        copy=False,  # new arrays each: stacking the text columns into one block copied them
    )


def _surely_reached(
    records: pd.DataFrame, sure_links: pd.DataFrame, carries: np.ndarray
) -> np.ndarray:
    """Per record, whether `sure_links` connect it to a record that `carries` (its own
    A-number is its entity's). Sure links join records of one entity only, so a
    component of them never reaches another entity's carrier."""
    n = len(records)
    at = pd.Index(records[C.RECORD_ID])
    left = at.get_indexer(sure_links[C.RECORD_ID_L])
    right = at.get_indexer(sure_links[C.RECORD_ID_R])
    known = (left >= 0) & (right >= 0)
    graph = coo_matrix(
        (np.ones(int(known.sum()), dtype=np.int8), (left[known], right[known])), shape=(n, n)
    )
    count, component = connected_components(graph.tocsr(), directed=False)
    reached = np.zeros(count, dtype=bool)
    reached[component[carries]] = True
    return reached[component]


def _member_counts(
    entity: np.ndarray, number: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (entity, A-number) pairs among the members, with how many hold each."""
    order = np.lexsort((number, entity))
    entity, number = entity[order], number[order]
    changes = (entity[1:] != entity[:-1]) | (number[1:] != number[:-1])
    starts = np.flatnonzero(np.r_[len(entity) > 0, changes])
    count = np.diff(np.r_[starts, len(entity)])
    return entity[starts], number[starts], count


def summarize_recovery(recovered: pd.DataFrame) -> RecoverySummary:
    """Counts over the frame ``recover_a_numbers`` returned."""
    _require(recovered, RECOVERY_COLUMNS, "recovered")
    # Entity ids and sources hashed once each (a million records): every count below
    # is then integer work.
    source_code, sources = pd.factorize(recovered[A_NUMBER_SOURCE])
    per_source = np.bincount(source_code[source_code >= 0], minlength=len(sources))
    by_source = dict(zip(sources, per_source.tolist(), strict=True))
    entity, ids = pd.factorize(recovered[C.ENTITY_ID], use_na_sentinel=False)
    first = np.full(len(ids), len(entity), dtype=np.int64)  # the row drop_duplicates keeps
    np.minimum.at(first, entity, np.arange(len(entity)))
    conflict = recovered[A_NUMBER_CONFLICT].to_numpy()
    with_number = entity[
        (recovered[ENTITY_A_NUMBER].notna() & recovered[C.ENTITY_ID].notna()).to_numpy()
    ]
    had = by_source.get("original", 0) + by_source.get("conflict", 0)
    return RecoverySummary(
        records=len(recovered),
        with_a_number=had,
        without_a_number=len(recovered) - had,
        recovered=by_source.get("recovered", 0),
        pending=by_source.get("pending", 0),
        still_missing=int((source_code < 0).sum()),
        conflicting_records=by_source.get("conflict", 0),
        entities=len(ids),
        entities_with_a_number=int(np.count_nonzero(np.bincount(with_number, minlength=1))),
        conflicting_entities=int(conflict[first].sum()),
    )


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataContractError(f"{name} lacks column(s) {missing}; expected {list(columns)}")


def _entity_of_each_record(records: pd.DataFrame, entities: pd.DataFrame) -> np.ndarray:
    """ENTITY_ID aligned to ``records``; every record must be in exactly one entity."""
    index = pd.Index(entities[C.RECORD_ID])
    if not index.is_unique:
        raise DataContractError(f"entities: a {C.RECORD_ID} appears in more than one row")
    if entities[C.ENTITY_ID].isna().any():
        raise DataContractError(f"entities: {C.ENTITY_ID} is null in some row")
    at = index.get_indexer(records[C.RECORD_ID])
    if (at < 0).any():
        rows = np.flatnonzero(at < 0)[:5].tolist()
        raise DataContractError(
            f"records at row position(s) {rows} have no entity: every record needs one"
        )
    if not pd.Index(records[C.RECORD_ID]).is_unique:
        raise DataContractError(f"records: {C.RECORD_ID} must be unique")
    return entities[C.ENTITY_ID].to_numpy(dtype=object)[at]
