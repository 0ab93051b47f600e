"""Hard rules: pairs that cannot be one person, whatever their match weight says.

Relatives are the classic false merge in this data: siblings, a parent and child, a
sponsor and the child share surnames, address, phone and country, and a Fellegi-Sunter
sum of those agreements can outweigh a different first name and birth date. The rules
below name what tells a relative from the same person. They apply only when no strong
identifier (A-number, document, agency person id, a cross-reference) agrees, because an
identifier agreement outranks a name recorded differently.

A pair a rule fires on becomes a cannot-link for clustering and is left out of EM
training (it is known not to be a match, and relatives would teach EM to match families).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from linker.columns import gamma_column
from linker.comparisons import REGISTRY

CONTRADICTION = "contradiction"  # column: name of the rule that fired, or ""
RULE_NAMES = ("", "a_numbers_differ", "birth_years_far_apart", "given_names_differ")


@dataclass(frozen=True)
class RuleSettings:
    """Which rules run, and the age gap (years) that no typo explains."""

    a_numbers_differ: bool = True
    given_names_differ: bool = True
    birth_years_far_apart: bool = True
    max_year_gap: int = 4


def _level_at_least(gammas: pd.DataFrame, comparison: str, label: str) -> np.ndarray:
    column = gamma_column(comparison)
    if column not in gammas:
        return np.zeros(len(gammas), dtype=bool)
    threshold = REGISTRY[comparison].spec.gamma_of(label)
    return gammas[column].to_numpy() >= threshold


def _is_else(gammas: pd.DataFrame, comparison: str) -> np.ndarray:
    column = gamma_column(comparison)
    if column not in gammas:
        return np.zeros(len(gammas), dtype=bool)
    return gammas[column].to_numpy() == 0


def identifier_agrees(gammas: pd.DataFrame) -> np.ndarray:
    """An A-number, document, agency person id or cross-reference says: same person."""
    return (
        _level_at_least(gammas, "a_number", "exact")
        | _level_at_least(gammas, "document_id", "exact")
        | _level_at_least(gammas, "person_id", "exact")
        | _level_at_least(gammas, "cross_reference", "cites_the_other")
    )


def near_identifier_with_surname(gammas: pd.DataFrame) -> np.ndarray:
    """A one-character typo of an identifier plus the same surname(s): a typist's error
    on one person's document, not two people who happen to share both."""
    near = _level_at_least(gammas, "a_number", "one_digit_typo") | _level_at_least(
        gammas, "document_id", "one_character_typo"
    )
    return near & _level_at_least(gammas, "family_name", "first_surname")


def same_name_same_place(gammas: pd.DataFrame) -> np.ndarray:
    """Given name and every surname agree (up to a typo) and so does the address area.

    That is how a record with a wrong birth year looks. A parent and child do not look
    like it under Spanish naming: the child's second surname is the mother's, so their
    surnames agree only in part.
    """
    column = gamma_column("family_name")
    if column not in gammas:
        return np.zeros(len(gammas), dtype=bool)
    spec = REGISTRY["family_name"].spec
    same_surnames = np.isin(
        gammas[column].to_numpy(),
        [spec.gamma_of("both_surnames"), spec.gamma_of("jaro_winkler_0.90")],
    )
    return (
        same_surnames
        & _level_at_least(gammas, "given_name", "jaro_winkler_0.92")
        & _level_at_least(gammas, "address", "same_postal_code")
    )


def contradictions(
    gammas: pd.DataFrame, year_gap: np.ndarray, settings: RuleSettings | None = None
) -> np.ndarray:
    """Per pair, the first rule that says "not one person" ("" when none does).

    `year_gap` is |birth year left - birth year right| per pair (NaN when unknown).
    """
    settings = settings or RuleSettings()
    fired = np.full(len(gammas), "", dtype=object)
    protected = identifier_agrees(gammas) | near_identifier_with_surname(gammas)
    if settings.a_numbers_differ:
        # Two valid A-numbers more than one digit apart belong to two people.
        fired[_is_else(gammas, "a_number") & ~protected & (fired == "")] = "a_numbers_differ"
    if settings.birth_years_far_apart:
        with np.errstate(invalid="ignore"):
            far = _is_else(gammas, "dob") & (year_gap > settings.max_year_gap)
        far &= ~same_name_same_place(gammas)
        fired[far & ~protected & (fired == "")] = "birth_years_far_apart"
    if settings.given_names_differ:
        # The same full date of birth (or a typo of it) keeps the pair open: a nickname
        # or a name recorded another way is likelier than twins, which the model weighs.
        differ = _is_else(gammas, "given_name") & ~_level_at_least(gammas, "dob", "one_digit_typo")
        fired[differ & ~protected & (fired == "")] = "given_names_differ"
    return fired
