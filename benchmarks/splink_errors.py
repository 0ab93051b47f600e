"""Why Splink links whom it links: its trained weights and its false links, by pattern.

Usage: python -m benchmarks.splink_errors RECORDS.parquet --truth TRUTH_DIR [--link-only]
           [--top 12]

Trains Splink exactly as the benchmark does (`benchmarks.splink_runner`), on the same
standardized records, then prints

* each comparison level's m and u probabilities and its match weight, as trained;
* how many pairs it scores at or above the link threshold, and how many of those are
  one true person (truth/records.csv);
* the false links grouped by which fields the two records agree on (both present and
  equal), most frequent first: relatives share surnames, address and phone; namesakes
  share given name and surnames and little else.

The README's explanation of Splink's errors on the sample extracts comes from this.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.bench_inputs import (
    A_NUMBER,
    COUNTRY,
    DOB,
    FAMILY,
    GIVEN,
    PHONE,
    POSTCODE,
    SEX,
    STREET,
    UNIQUE_ID,
    tool_input,
)
from linker import columns as C
from linker.evaluate import TRUTH_PERSON_ID

AGREEMENT_FIELDS = (GIVEN, FAMILY, DOB, A_NUMBER, POSTCODE, STREET, PHONE, SEX, COUNTRY)


def level_weights(settings: dict[str, Any]) -> pd.DataFrame:
    """comparison, level, m, u, match weight (log2 m/u) of a saved Splink model."""
    rows = []
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else float("nan")
            rows.append((comparison["output_column_name"], level["label_for_charts"], m, u, weight))
    return pd.DataFrame(rows, columns=["comparison", "level", "m", "u", "weight"])


def person_of(records: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """The true person of each record, indexed by record id ("" when truth lacks it)."""
    keyed = truth.set_index([C.SOURCE, C.RECORD_KEY])[TRUTH_PERSON_ID]
    index = pd.MultiIndex.from_arrays(
        [records[C.SOURCE].astype(str), records[C.RECORD_KEY].astype(str)]
    )
    person = keyed.reindex(index).fillna("").to_numpy()
    return pd.Series(person, index=records[C.RECORD_ID].to_numpy())


def agreement_patterns(table: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> pd.DataFrame:
    """Per pair, whether each field is present on both sides and equal."""
    rows = pd.Index(table[UNIQUE_ID])
    left_rows, right_rows = rows.get_indexer(left), rows.get_indexer(right)
    agree = {}
    for field in AGREEMENT_FIELDS:
        values = table[field]
        present = values.notna().to_numpy()
        text = values.astype(object).to_numpy()
        agree[field] = (
            present[left_rows] & present[right_rows] & (text[left_rows] == text[right_rows])
        )
    return pd.DataFrame(agree)


def pattern_table(agree: pd.DataFrame, top: int) -> pd.DataFrame:
    """The most frequent agreement patterns: fields agreed on, count, share.

    Each pattern is packed into one integer (a bit per field) and counted; only the
    distinct patterns are spelled out."""
    bits = np.zeros(len(agree), dtype=np.int64)
    for i, field in enumerate(agree.columns):
        bits |= agree[field].to_numpy().astype(np.int64) << i
    counts = pd.Series(bits).value_counts().head(top)
    labels = [
        " + ".join(f for i, f in enumerate(agree.columns) if code >> i & 1) or "(nothing)"
        for code in counts.index
    ]
    return pd.DataFrame(
        {"agree on": labels, "links": counts.to_numpy(), "share": counts.to_numpy() / len(agree)}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path)
    parser.add_argument("--truth", type=Path, required=True, help="folder with records.csv")
    parser.add_argument("--link-only", action="store_true")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    # Splink is a bench extra: imported here so the helpers above work without it.
    from benchmarks.splink_runner import PREDICT_THRESHOLD, predict_links, trained_linker

    records = pd.read_parquet(args.records)
    truth = pd.read_csv(args.truth / "records.csv", dtype=str, keep_default_na=False)
    linker = trained_linker(records, link_only=args.link_only)
    settings = linker.misc.save_model_to_json()
    weights = level_weights(settings)
    print(f"P(two random records match) = {settings['probability_two_random_records_match']:.3g}")
    print(weights.to_string(index=False, float_format=lambda x: f"{x:.4g}"))

    links = predict_links(linker).as_duckdbpyrelation().select(f"{UNIQUE_ID}_l, {UNIQUE_ID}_r").df()
    left = links[f"{UNIQUE_ID}_l"].to_numpy()
    right = links[f"{UNIQUE_ID}_r"].to_numpy()
    person = person_of(records, truth)
    left_person = person.reindex(left).to_numpy()
    same = (left_person == person.reindex(right).to_numpy()) & (left_person != "")
    print(
        f"\n{len(links):,} links at match probability >= {PREDICT_THRESHOLD}: "
        f"{int(same.sum()):,} true, {int((~same).sum()):,} false"
    )
    agree = agreement_patterns(tool_input(records), left[~same], right[~same])
    print("\nfalse links by the fields their two records agree on:")
    print(pattern_table(agree, args.top).to_string(index=False, float_format=lambda x: f"{x:.1%}"))


if __name__ == "__main__":
    main()
