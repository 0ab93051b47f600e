"""Blocking rules as plain data.

A rule says *which* records may be compared, not how to find them: it is a frozen
dataclass that saves to and loads from a JSON-ready dict, so a run's blocking can be
written next to its model and replayed. Running the rules is `blocking.pairs`.

Two kinds:

* `BlockingRule`: records whose key columns are all equal and all non-null form a
  block; every pair inside a block is a candidate. A null in any key means the rule
  says nothing about that record (a missing date of birth is not a shared one).
* `SortedNeighbourhoodRule`: sort the records with non-null keys by the keys (ties
  broken by record id, so the result does not depend on row order) and pair each record
  with the next ``window - 1``. It catches near-equal keys that exact blocking misses
  (a typo in the last letters of a surname) with a bounded number of pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from blocking.errors import BlockingError

RuleKind = Literal["blocking", "sorted_neighbourhood"]
RULE_KINDS: tuple[RuleKind, ...] = ("blocking", "sorted_neighbourhood")


def _as_names(value: str | Iterable[str]) -> tuple[str, ...]:
    """Accept one column name or a list of them (JSON gives lists); store a tuple."""
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _check_name_and_columns(name: object, field: str, columns: tuple[object, ...]) -> list[str]:
    problems = []
    if not isinstance(name, str) or not name.strip():
        problems.append(f"a rule needs a non-empty string name, got {name!r}")
    label = f"rule {name!r}"
    if not columns:
        problems.append(f"{label}: {field} must name at least one column")
    bad = [c for c in columns if not isinstance(c, str) or not c]
    if bad:
        problems.append(f"{label}: {field} must be non-empty column names, got {bad!r}")
    if len(set(columns)) != len(columns):
        problems.append(f"{label}: {field} names a column twice: {list(columns)!r}")
    return problems


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_fields(cls_name: str, data: Mapping[str, Any], allowed: set[str]) -> list[str]:
    unknown = sorted(set(data) - allowed - {"kind"})
    if not unknown:
        return []
    return [f"{cls_name}: unknown field(s) {unknown!r}; expected {sorted(allowed)!r}"]


@dataclass(frozen=True)
class BlockingRule:
    """Pair every two records whose `keys` are all equal and all non-null.

    `max_block_size` overrides the run's default size guard for this rule: a block
    larger than it is skipped (and counted) rather than exploding into s*(s-1)/2 pairs.
    """

    name: str
    keys: tuple[str, ...]
    max_block_size: int | None = None

    kind: ClassVar[RuleKind] = "blocking"

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", _as_names(self.keys))
        problems = _check_name_and_columns(self.name, "keys", self.keys)
        size = self.max_block_size
        if size is not None and (not _is_int(size) or size < 2):
            problems.append(
                f"rule {self.name!r}: max_block_size must be an integer >= 2 or None, got {size!r}"
            )
        if problems:
            raise BlockingError(problems)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the rule reads."""
        return self.keys

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "keys": list(self.keys),
            "max_block_size": self.max_block_size,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BlockingRule:
        problems = _check_kind(cls.kind, data) + _check_fields(
            cls.__name__, data, {"name", "keys", "max_block_size"}
        )
        missing = [f for f in ("name", "keys") if f not in data]
        if missing:
            problems.append(f"{cls.__name__}: missing field(s) {missing!r}")
        if problems:
            raise BlockingError(problems)
        return cls(name=data["name"], keys=data["keys"], max_block_size=data.get("max_block_size"))


@dataclass(frozen=True)
class SortedNeighbourhoodRule:
    """Pair each record with the next ``window - 1`` records in `sort_keys` order.

    Records with a null in any sort key are left out. Ties are broken by record id, so
    the pairs depend only on the data, never on the row order of the frame.
    """

    name: str
    sort_keys: tuple[str, ...]
    window: int

    kind: ClassVar[RuleKind] = "sorted_neighbourhood"

    def __post_init__(self) -> None:
        object.__setattr__(self, "sort_keys", _as_names(self.sort_keys))
        problems = _check_name_and_columns(self.name, "sort_keys", self.sort_keys)
        if not _is_int(self.window) or self.window < 2:
            problems.append(
                f"rule {self.name!r}: window must be an integer >= 2 (a record and at least "
                f"its next neighbour), got {self.window!r}"
            )
        if problems:
            raise BlockingError(problems)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the rule reads."""
        return self.sort_keys

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "sort_keys": list(self.sort_keys),
            "window": self.window,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SortedNeighbourhoodRule:
        problems = _check_kind(cls.kind, data) + _check_fields(
            cls.__name__, data, {"name", "sort_keys", "window"}
        )
        missing = [f for f in ("name", "sort_keys", "window") if f not in data]
        if missing:
            problems.append(f"{cls.__name__}: missing field(s) {missing!r}")
        if problems:
            raise BlockingError(problems)
        return cls(name=data["name"], sort_keys=data["sort_keys"], window=data["window"])


Rule = BlockingRule | SortedNeighbourhoodRule

_RULE_CLASSES: dict[str, type[BlockingRule] | type[SortedNeighbourhoodRule]] = {
    BlockingRule.kind: BlockingRule,
    SortedNeighbourhoodRule.kind: SortedNeighbourhoodRule,
}


def _check_kind(expected: str, data: Mapping[str, Any]) -> list[str]:
    kind = data.get("kind", expected)
    if kind != expected:
        return [f"expected a rule of kind {expected!r}, got kind {kind!r}"]
    return []


def rule_from_json(data: Mapping[str, Any]) -> Rule:
    """Load either kind of rule from its `to_json` dict (dispatch on ``"kind"``).

    A dict without ``"kind"`` is read as a `BlockingRule`, the common case.
    """
    if not isinstance(data, Mapping):
        raise BlockingError(f"a rule must be a JSON object, got {type(data).__name__}")
    kind = data.get("kind", BlockingRule.kind)
    cls = _RULE_CLASSES.get(kind)
    if cls is None:
        raise BlockingError(f"unknown rule kind {kind!r}; expected one of {list(RULE_KINDS)!r}")
    return cls.from_json(data)


def rules_to_json(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """The JSON-ready list for an ordered sequence of rules."""
    return [rule.to_json() for rule in rules]


def rules_from_json(data: Sequence[Mapping[str, Any]]) -> list[Rule]:
    """Load an ordered list of rules, reporting the problems of every rule at once."""
    rules: list[Rule] = []
    problems: list[str] = []
    for i, item in enumerate(data):
        try:
            rules.append(rule_from_json(item))
        except BlockingError as e:
            problems.extend(f"rule #{i}: {p}" for p in e.problems)
    if problems:
        raise BlockingError(problems)
    return rules
