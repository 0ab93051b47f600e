"""Benchmark runner for Splink 5 (DuckDB backend), on our standardized records.

Usage: python -m benchmarks.splink_runner RECORDS.parquet --out-dir DIR [--link-only]

Splink reads the same cleaned records as the other tools (written once by
`linker_runner --records-out`), so the comparison is of linkage, not of cleaning. Timed:
reading the Parquet, building Splink's input table, training (P(match), u by random
sampling, m by EM), predicting and clustering, up to a cluster id per record.

The configuration is in :func:`splink_settings` and :func:`train`, written the way
Splink's own documentation sets up deduplication and link-only jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.splink_dataframe import SplinkDataFrame

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

TOOL = "splink"
PREDICT_THRESHOLD = 0.5  # same as our tool's link threshold
CLUSTER_THRESHOLD = 0.5
U_MAX_PAIRS = 5e6
U_SEED = 1
DETERMINISTIC_RECALL = 0.7  # the guess Splink asks for: share of true pairs the exact rules find


@dataclass(frozen=True)
class SplinkPlan:
    """The settings and the training rules, chosen for the columns that hold data."""

    settings: SettingsCreator
    deterministic_rules: list[BlockingRuleCreator]
    em_rules: list[BlockingRuleCreator]


def splink_settings(present: set[str], *, link_only: bool) -> SplinkPlan:
    """Splink's model for these records, as its documentation configures one.

    Followed (Splink 5 docs and demos, DuckDB backend):

    * "Deduplicating the febrl3 dataset" and "Linking the febrl4 datasets"
      (https://moj-analytical-services.github.io/splink/demos/examples/duckdb/febrl3.html,
      .../febrl4.html): `NameComparison` on given and family names with term-frequency
      adjustments, `DateOfBirthComparison(input_is_string=True)`, a Levenshtein-style
      comparison on the identity number, `ExactMatch` with term frequencies on postcode;
      deterministic rules on the id and on given+family+dob with a recall guess for
      `estimate_probability_two_random_records_match`; EM on `block_on("dob")` and a
      second rule; the swapped-names blocking rule as custom SQL.
    * "Linking a dataset of real historical persons"
      (.../demos/examples/duckdb/deduplicate_50k_synthetic.html): several `block_on`
      rules for prediction, `estimate_u_using_random_sampling(max_pairs=...)`, EM with
      `estimate_without_term_frequencies=True`, then `inference.predict` and
      `clustering.cluster_pairwise_predictions_at_threshold`.
    * API reference: comparison library (`splink.comparison_library`), `block_on`,
      `SettingsCreator`, `Linker(..., db_api.register(...))`, `linker.training.*`
      (https://moj-analytical-services.github.io/splink/api_docs/comparison_library.html,
      .../api_docs/training.html, .../api_docs/inference.html,
      .../api_docs/clustering.html).

    Columns without any value in these records (A-numbers in FEBRL, for example) get
    neither a comparison nor a blocking rule.
    """
    candidates: list[tuple[str, ComparisonCreator]] = [
        (GIVEN, cl.NameComparison(GIVEN).configure(term_frequency_adjustments=True)),
        (FAMILY, cl.NameComparison(FAMILY).configure(term_frequency_adjustments=True)),
        (DOB, cl.DateOfBirthComparison(DOB, input_is_string=True)),
        (A_NUMBER, cl.LevenshteinAtThresholds(A_NUMBER, [1])),
        (DOCUMENT, cl.LevenshteinAtThresholds(DOCUMENT, [1, 2])),
        (POSTCODE, cl.ExactMatch(POSTCODE).configure(term_frequency_adjustments=True)),
        (STREET, cl.JaroWinklerAtThresholds(STREET, [0.95, 0.88])),
        (SEX, cl.ExactMatch(SEX)),
        (COUNTRY, cl.ExactMatch(COUNTRY)),
        (PHONE, cl.ExactMatch(PHONE)),
    ]
    comparisons: list[ComparisonCreator | dict[str, Any]] = [
        comparison for column, comparison in candidates if column in present
    ]
    rules: list[tuple[tuple[str, ...], BlockingRuleCreator]] = [
        ((GIVEN, FAMILY), block_on(GIVEN, FAMILY)),
        ((FAMILY, DOB), block_on(FAMILY, DOB)),
        ((GIVEN, DOB), block_on(GIVEN, DOB)),
        ((GIVEN, FAMILY), CustomRule(f"l.{GIVEN} = r.{FAMILY} and l.{FAMILY} = r.{GIVEN}")),
        (
            (GIVEN, FAMILY, BIRTH_YEAR),
            block_on(f"substr({GIVEN}, 1, 2)", f"substr({FAMILY}, 1, 2)", BIRTH_YEAR),
        ),
        ((A_NUMBER,), block_on(A_NUMBER)),
        ((DOCUMENT,), block_on(DOCUMENT)),
        ((POSTCODE, FAMILY), block_on(POSTCODE, FAMILY)),
        ((PHONE, GIVEN), block_on(PHONE, f"substr({GIVEN}, 1, 1)")),
    ]
    blocking: list[BlockingRuleCreator | dict[str, Any]] = [
        rule for columns, rule in rules if present.issuperset(columns)
    ]
    deterministic: list[BlockingRuleCreator] = [block_on(GIVEN, FAMILY, DOB)]
    deterministic += [block_on(c) for c in (A_NUMBER, DOCUMENT) if c in present]
    em_rules: list[BlockingRuleCreator] = [block_on(GIVEN, FAMILY), block_on(DOB)]
    settings = SettingsCreator(
        unique_id_column_name=UNIQUE_ID,
        link_type="link_only" if link_only else "dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=comparisons,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    return SplinkPlan(settings, deterministic, em_rules)


def train(linker: Linker, plan: SplinkPlan) -> None:
    """Unsupervised training in the order the tutorials use."""
    linker.training.estimate_probability_two_random_records_match(
        list[str | BlockingRuleCreator](plan.deterministic_rules), recall=DETERMINISTIC_RECALL
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=U_SEED)
    for rule in plan.em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )


def trained_linker(records: pd.DataFrame, *, link_only: bool) -> Linker:
    """A Splink linker over the tool input of `records`, trained as :func:`train` does."""
    table = tool_input(records)
    plan = splink_settings(present_columns(table), link_only=link_only)
    db_api = DuckDBAPI()
    if link_only:
        inputs = [
            db_api.register(
                pa.Table.from_pandas(part.drop(columns=[C.SOURCE]), preserve_index=False),
                dataset_display_name=str(source),
            )
            for source, part in table.groupby(C.SOURCE, sort=True)
        ]
    else:
        inputs = [
            db_api.register(
                pa.Table.from_pandas(table.drop(columns=[C.SOURCE]), preserve_index=False),
                dataset_display_name="records",
            )
        ]
    linker = Linker(inputs, plan.settings, log_level=logging.WARNING)
    train(linker, plan)
    return linker


def run_splink(records: pd.DataFrame, *, link_only: bool) -> tuple[pd.DataFrame, int]:
    """Cluster the records with Splink; return (record_id, entity_id) and pairs scored."""
    linker = trained_linker(records, link_only=link_only)
    blocked = linker.inference.compute_blocked_pairs_for_predict()  # predict reuses it
    pairs = int(blocked.as_duckdbpyrelation().aggregate("count(*)").fetchall()[0][0])
    predictions = predict_links(linker)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=CLUSTER_THRESHOLD
    )
    out = clusters.as_duckdbpyrelation().select(f"{UNIQUE_ID}, cluster_id").df()
    return out.rename(columns={UNIQUE_ID: C.RECORD_ID, "cluster_id": C.ENTITY_ID}), pairs


def predict_links(linker: Linker) -> SplinkDataFrame:
    """The blocked pairs Splink scores at or above PREDICT_THRESHOLD."""
    return linker.inference.predict(
        threshold_match_probability=PREDICT_THRESHOLD, warning_mode="never"
    )


def main() -> None:
    competitor_main(
        __doc__.splitlines()[0], TOOL, run_splink, lambda: {"splink_version": _splink_version()}
    )


def _splink_version() -> str:
    import splink

    return str(splink.__version__)


if __name__ == "__main__":
    main()
