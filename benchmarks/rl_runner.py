"""Benchmark runner for the Python Record Linkage Toolkit (recordlinkage 0.16).

Usage: python -m benchmarks.rl_runner RECORDS.parquet --out-dir DIR [--link-only]

recordlinkage reads the same cleaned records as the other tools. Timed: reading the
Parquet, indexing, comparing, the unsupervised ECM classifier, and connected components
of the predicted links, up to an entity per record.

Configured along the toolkit's documented unsupervised path (the "Data deduplication"
and "Link two datasets" guides, https://recordlinkage.readthedocs.io/en/latest/guides/,
"Classification algorithms" https://recordlinkage.readthedocs.io/en/latest/ref-classifiers.html
and examples/unsupervised_learning_prob.py in its repository): `recordlinkage.Index()`
with `block` and `sortedneighbourhood` on the same kinds of keys the other tools block
on; `recordlinkage.Compare()` with Jaro-Winkler string features thresholded to 0/1 (the
ECM classifier takes binary features), exact features and a date feature; then
`ECMClassifier().fit_predict`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import recordlinkage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from benchmarks.bench_inputs import (
    A_NUMBER,
    BIRTH_YEAR,
    COUNTRY,
    DOB,
    DOCUMENT,
    FAMILY,
    GIVEN,
    PHONE,
    POSTCODE,
    SEX,
    STREET,
    UNIQUE_ID,
    present_columns,
    tool_input,
)
from benchmarks.bench_measure import competitor_main
from linker import columns as C

TOOL = "recordlinkage"
STRING_THRESHOLD = 0.85  # Jaro-Winkler / Levenshtein similarity counted as agreement
SORTED_WINDOW = 5
GIVEN_INITIAL = "given_initial"


def rl_input(records: pd.DataFrame) -> pd.DataFrame:
    """The same columns Splink gets, indexed by record id, with dob as datetime64."""
    frame = tool_input(records).set_index(UNIQUE_ID)
    frame[DOB] = pd.to_datetime(frame[DOB], format="%Y-%m-%d", errors="coerce")
    frame[GIVEN_INITIAL] = frame[GIVEN].str[:1]
    return frame


def build_indexer(present: set[str]) -> recordlinkage.Index:
    """Blocking in the same spirit as the other tools; rules on empty columns left out."""
    indexer = recordlinkage.Index()
    blocks: list[list[str]] = [
        [GIVEN, FAMILY],
        [FAMILY, DOB],
        [GIVEN, DOB],
        [A_NUMBER],
        [DOCUMENT],
        [POSTCODE, FAMILY],
        [PHONE, GIVEN_INITIAL],
    ]
    for keys in blocks:
        if present.issuperset(keys):
            indexer.block(keys)
    indexer.block(left_on=[GIVEN, FAMILY], right_on=[FAMILY, GIVEN])  # swapped names
    if BIRTH_YEAR in present:
        indexer.sortedneighbourhood(FAMILY, window=SORTED_WINDOW, block_on=[BIRTH_YEAR])
    return indexer


def build_comparer(present: set[str]) -> recordlinkage.Compare:
    """Binary features: thresholded string similarities, exact agreement, the date."""
    compare = recordlinkage.Compare()
    strings = [
        (GIVEN, "jarowinkler"),
        (FAMILY, "jarowinkler"),
        (STREET, "jarowinkler"),
        (A_NUMBER, "levenshtein"),
        (DOCUMENT, "levenshtein"),
    ]
    for column, method in strings:
        if column in present:
            compare.string(column, column, method=method, threshold=STRING_THRESHOLD, label=column)
    if DOB in present:
        compare.date(DOB, DOB, label=DOB)  # 1 equal, 0.5 day/month swapped, else 0
    for column in (POSTCODE, SEX, COUNTRY, PHONE):
        if column in present:
            compare.exact(column, column, label=column)
    return compare


def run_rl(records: pd.DataFrame, *, link_only: bool) -> tuple[pd.DataFrame, int]:
    """Cluster the records; return (record_id, entity_id) and the pairs compared."""
    frame = rl_input(records)
    present = present_columns(frame)
    indexer, compare = build_indexer(present), build_comparer(present)
    if link_only:
        sources = frame[C.SOURCE].to_numpy()
        first = frame[sources == sources.min()]
        second = frame[sources != sources.min()]
        pairs = indexer.index(first, second)
        features = compare.compute(pairs, first, second)
    else:
        pairs = indexer.index(frame)
        features = compare.compute(pairs, frame)
    binary = (features >= 0.5).astype(np.int8)  # the date's swap level counts as agreement
    links = recordlinkage.ECMClassifier().fit_predict(binary)
    return _components(frame.index, links), len(pairs)


def _components(ids: pd.Index, links: pd.MultiIndex) -> pd.DataFrame:
    n = len(ids)
    left = ids.get_indexer(links.get_level_values(0))
    right = ids.get_indexer(links.get_level_values(1))
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return pd.DataFrame({C.RECORD_ID: ids.to_numpy(), C.ENTITY_ID: labels})


def main() -> None:
    competitor_main(
        __doc__.splitlines()[0],
        TOOL,
        run_rl,
        lambda: {"recordlinkage_version": recordlinkage.__version__},
    )


if __name__ == "__main__":
    main()
