"""Generic candidate-pair generation over DataFrames.

Specs are data (`BlockingRule`, `SortedNeighbourhoodRule`, `KeySpec`, each with
`to_json` / `from_json`); running them is separate (`derive_keys`, `generate_pairs`,
`count_pairs`). The package knows nothing about the domain: it reads a records frame
with an integer ``record_id`` and named key columns and returns flat pair frames.
"""

from __future__ import annotations

from blocking.analysis import (
    blocking_recall,
    count_pairs,
    recall_by_rule,
    true_pairs_from_clusters,
)
from blocking.errors import BlockingError
from blocking.keys import KeySpec, derive_keys, get_key_function, key_functions, register_key
from blocking.pairs import RULE, BlockingResult, RuleStats, generate_pairs
from blocking.rules import (
    BlockingRule,
    Rule,
    RuleKind,
    SortedNeighbourhoodRule,
    rule_from_json,
    rules_from_json,
    rules_to_json,
)

__all__ = [
    "RULE",
    "BlockingError",
    "BlockingResult",
    "BlockingRule",
    "KeySpec",
    "Rule",
    "RuleKind",
    "RuleStats",
    "SortedNeighbourhoodRule",
    "blocking_recall",
    "count_pairs",
    "derive_keys",
    "generate_pairs",
    "get_key_function",
    "key_functions",
    "recall_by_rule",
    "register_key",
    "rule_from_json",
    "rules_from_json",
    "rules_to_json",
    "true_pairs_from_clusters",
]
