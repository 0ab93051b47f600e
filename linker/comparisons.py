"""The domain's comparisons: how two person records agree, field by field, in levels.

Each comparison is an ordered list of levels, first match wins (null first, then most
similar down to "else"), evaluated over whole arrays of pairs. The level *labels* are
data (a `models.Comparison`, saved in model.json); the code that decides a level is a
registered function, looked up by the comparison's name, so a saved model is rebuilt
from its JSON with the same code.

Choices that matter for this population:
- Two surnames, either order, one often dropped: "both surnames" (order-insensitive)
  ranks above "first surname" above "one surname shared".
- A first/last swap is its own level on both name comparisons, so the two contributions
  are learned for that case instead of counting as two disagreements.
- Relatives share surnames, address and phone; what tells them apart is the given name
  and the date of birth. Both comparisons therefore keep a real "else" level (strong
  evidence against) rather than folding near-misses into it, and the hard rules in
  `linker.rules` turn the clearest contradictions into cannot-links.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from linker import columns as C
from linker.features import (
    CITED_REF,
    FAMILY_SORTED,
    GIVEN_FULL,
    PHONE_LAST7,
    SELF_REF,
    PairFeatures,
)
from models import Comparison, ComparisonLevel

# conditions (most similar first, excluding null and "else") and the null mask
LevelArrays = tuple[list[np.ndarray], np.ndarray]
Evaluator = Callable[[PairFeatures], LevelArrays]


@dataclass(frozen=True)
class DomainComparison:
    """A comparison spec (data) with the registered function that evaluates it."""

    spec: Comparison
    evaluate: Evaluator
    needs: tuple[str, ...]  # canonical columns that must have data for it to be used
    tf_column: str | None = None  # feature column whose value frequency adjusts the tf level

    @property
    def name(self) -> str:
        return self.spec.name

    def gammas(self, pairs: PairFeatures) -> np.ndarray:
        conditions, null = self.evaluate(pairs)
        return self.spec.evaluate(conditions, null)

    def term_frequencies(self, pairs: PairFeatures) -> np.ndarray | None:
        """Per pair, the share of records holding the left value (used at the tf level):
        for a column of `COUNTRY_TF_COLUMNS`, among the records of the left record's
        country when both records name the same one (see `shares_within_country`)."""
        if self.tf_column is None:
            return None
        shares = pairs.records.frequency(self.tf_column, pairs.code(self.tf_column, "l"))
        within = pairs.records.country_shares.get(self.tf_column)
        if within is None:
            return shares
        country = pairs.code(C.COUNTRY, "l")
        local = within[pairs.left]
        same = (country >= 0) & (country == pairs.code(C.COUNTRY, "r")) & ~np.isnan(local)
        return np.where(same, local, shares)


REGISTRY: dict[str, DomainComparison] = {}


def register(
    name: str,
    labels: tuple[str, ...],
    *,
    needs: tuple[str, ...],
    tf_level: str | None = None,
    tf_column: str | None = None,
) -> Callable[[Evaluator], Evaluator]:
    """Register an evaluator under a comparison name with its level labels."""

    def wrap(fn: Evaluator) -> Evaluator:
        levels = (
            (ComparisonLevel("null", is_null=True),)
            + tuple(ComparisonLevel(label, tf_adjusted=(label == tf_level)) for label in labels)
            + (ComparisonLevel("else"),)
        )
        spec = Comparison(name=name, levels=levels, tf_column=tf_column if tf_level else None)
        REGISTRY[name] = DomainComparison(spec, fn, needs, tf_column if tf_level else None)
        return fn

    return wrap


# --- vectorized string similarity (rapidfuzz, all cores) -------------------------------
def jaro_winkler(a: np.ndarray, b: np.ndarray, cutoff: float = 0.0) -> np.ndarray:
    """Jaro-Winkler similarity as float32; scores clearly below `cutoff` come back as 0,
    and rapidfuzz stops early on them (a level that only asks ">= 0.9" need not know
    0.42 from 0.57). The cutoff given to rapidfuzz is a little lower: it compares in
    double precision, and a score of exactly 0.8 is 0.79999... there but 0.8000001 in
    the float32 every level reads."""
    return process.cpdist(
        a,
        b,
        scorer=JaroWinkler.normalized_similarity,
        score_cutoff=max(cutoff - 1e-4, 0.0),
        workers=-1,
    )


def jaro_winkler_at_least(cutoff: float) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    return functools.partial(jaro_winkler, cutoff=cutoff)


def first_last_swapped(p: PairFeatures) -> np.ndarray:
    """Given and family names swapped: each side's given name is one of the other side's
    surnames, or each side's whole given column is the other's whole family column.

    The second reading catches what single names miss: a surname pair with particles in
    the given column ("DOS SANTOS DA SILVA" / "ANTONIO" against "ANTONIO" / "DOS SANTOS
    DA SILVA", whose canonical given name is DOS), and a compound given name read in
    full against one part of it ("JOSE" against "JOSE EMILIO", canonical JOSE EMILIO).
    """
    g, f1, f2 = C.GIVEN_NAME_CANONICAL, C.FAMILY_NAME_1, C.FAMILY_NAME_2
    left_in_right = p.equal(g, f1) | p.equal(g, f2)
    right_in_left = _reverse_equal(p, g, f1) | _reverse_equal(p, g, f2)
    given, family = C.GIVEN_NAME, C.FAMILY_NAME
    whole = p.equal(given, family) & _reverse_equal(p, given, family)
    return (left_in_right & right_in_left) | whole


# --- comparisons ------------------------------------------------------------------------
@register(
    "given_name",
    (
        "exact",
        "tokens_contained",
        "jaro_winkler_0.92",
        "phonetic",
        "jaro_winkler_0.80",
        "swapped_with_surname",
    ),
    needs=(C.GIVEN_NAME,),
    tf_level="exact",
    tf_column=C.GIVEN_NAME_CANONICAL,
)
def given_name(p: PairFeatures) -> LevelArrays:
    null = p.either_null(C.GIVEN_NAME_CANONICAL)
    exact = p.equal(C.GIVEN_NAME_CANONICAL)
    open_ = ~null & ~exact  # only pairs no earlier level placed need the fuzzy scores
    contained = p.tokens_contained(GIVEN_FULL, where=open_)
    jw = p.similarity(C.GIVEN_NAME, jaro_winkler_at_least(0.80), where=open_ & ~contained)
    return [
        exact,
        contained,
        jw >= 0.92,
        p.equal(C.GIVEN_PHONETIC),
        jw >= 0.80,
        first_last_swapped(p),
    ], null


@register(
    "family_name",
    (
        "both_surnames",
        "first_surname",
        "one_surname_shared",
        "jaro_winkler_0.90",
        "phonetic",
        "swapped_with_given",
    ),
    needs=(C.FAMILY_NAME_1,),
    tf_level="both_surnames",
    tf_column=FAMILY_SORTED,
)
def family_name(p: PairFeatures) -> LevelArrays:
    f1, f2 = C.FAMILY_NAME_1, C.FAMILY_NAME_2
    null = p.either_null(f1)
    both, first = p.equal(FAMILY_SORTED), p.equal(f1)
    shared = p.equal(f1, f2) | p.equal(f2, f1) | p.equal(f2)
    open_ = ~null & ~both & ~first & ~shared
    jw = np.maximum(
        p.similarity(f1, jaro_winkler_at_least(0.90), where=open_),
        p.similarity(C.FAMILY_NAME, jaro_winkler_at_least(0.90), where=open_),
    )
    ph1, ph2 = C.FAMILY_1_PHONETIC, C.FAMILY_2_PHONETIC
    phonetic = p.equal(ph1) | p.equal(ph1, ph2) | p.equal(ph2, ph1)
    return [
        both,
        first,
        shared,
        jw >= 0.90,
        phonetic,
        first_last_swapped(p),
    ], null


@register(
    "dob",
    ("exact", "day_month_swapped", "one_digit_typo", "partial_agrees", "partial_within_a_year"),
    needs=(C.DOB_YEAR,),
)
def dob(p: PairFeatures) -> LevelArrays:
    """Two full dates that differ beyond a typo or a day/month swap fall to "else": a
    namesake born the same year is the usual false match, and only full dates can tell
    them apart. Partial dates (1 January placeholders, estimates, a year alone) agree
    when every part both sides know is equal; an estimate is allowed a year either way.
    """
    yl, yr = p.number(C.DOB_YEAR, "l"), p.number(C.DOB_YEAR, "r")
    ml, mr = p.number(C.DOB_MONTH, "l"), p.number(C.DOB_MONTH, "r")
    dl, dr = p.number(C.DOB_DAY, "l"), p.number(C.DOB_DAY, "r")
    null = np.isnan(yl) | np.isnan(yr)
    both_full = p.dob_quality_is("l", "full") & p.dob_quality_is("r", "full")
    same_year = yl == yr
    swapped = both_full & same_year & (ml == dr) & (dl == mr) & (ml != dl)
    exact = p.equal(C.DOB) & both_full
    typo = p.one_edit_apart(C.DOB, where=both_full & ~exact & ~swapped)
    partial = ~both_full
    months_agree = np.isnan(ml) | np.isnan(mr) | (ml == mr)
    estimated = p.dob_quality_is("l", "estimated") | p.dob_quality_is("r", "estimated")
    year_gap = np.abs(yl - yr)
    partial_agrees = partial & months_agree & (same_year | (estimated & (year_gap <= 1)))
    return [
        exact,
        swapped,
        typo,
        partial_agrees,
        partial & (year_gap <= 1),
    ], null


def _identifier(column: str) -> Evaluator:
    def evaluate(p: PairFeatures) -> LevelArrays:
        null = p.either_null(column)
        exact = p.equal(column)
        typo = p.one_edit_apart(column, where=~null & ~exact)
        return [exact, typo], null

    return evaluate


register("a_number", ("exact", "one_digit_typo"), needs=(C.A_NUMBER,))(_identifier(C.A_NUMBER))
register("document_id", ("exact", "one_character_typo"), needs=(C.DOCUMENT_ID,))(
    _identifier(C.DOCUMENT_ID)
)


@register("person_id", ("exact",), needs=(C.PERSON_ID,))
def person_id(p: PairFeatures) -> LevelArrays:
    # Agency person ids mean something only inside one source (they are scoped).
    null = p.either_null(C.PERSON_ID) | ~p.equal(C.SOURCE)
    return [p.equal(C.PERSON_ID)], null


@register("sex", ("exact",), needs=(C.SEX,))
def sex(p: PairFeatures) -> LevelArrays:
    return [p.equal(C.SEX)], p.either_null(C.SEX)


@register("country", ("exact",), needs=(C.COUNTRY,))
def country(p: PairFeatures) -> LevelArrays:
    return [p.equal(C.COUNTRY)], p.either_null(C.COUNTRY)


@register(
    "address",
    ("exact", "jaro_winkler_0.90", "same_postal_code", "same_city"),
    needs=(C.ADDRESS,),
    tf_level="exact",
    tf_column=C.ADDRESS_KEY,
)
def address(p: PairFeatures) -> LevelArrays:
    null = p.either_null(C.ADDRESS)
    exact = p.equal(C.ADDRESS_KEY)
    jw = p.similarity(C.ADDRESS, jaro_winkler_at_least(0.90), where=~null & ~exact)
    same_city = p.equal(C.CITY) & (p.equal(C.STATE) | p.either_null(C.STATE))
    return [exact, jw >= 0.90, p.equal(C.POSTAL_CODE), same_city], null


@register(
    "phone",
    ("exact", "last_seven_digits"),
    needs=(C.PHONE,),
    tf_level="exact",
    tf_column=C.PHONE,
)
def phone(p: PairFeatures) -> LevelArrays:
    return [p.equal(C.PHONE), p.equal(PHONE_LAST7)], p.either_null(C.PHONE)


@register("cross_reference", ("cites_the_other", "cite_the_same"), needs=(C.CROSS_REFERENCE,))
def cross_reference(p: PairFeatures) -> LevelArrays:
    x = CITED_REF  # the cross_reference in SELF_REF's key form
    cites = p.equal(x, SELF_REF) | _reverse_equal(p, x, SELF_REF)
    null = p.either_null(x) & ~cites
    return [cites, p.equal(x)], null


def _reverse_equal(p: PairFeatures, column: str, other: str) -> np.ndarray:
    """Right `column` equals left `other`."""
    a = p.code(column, "r")
    return (a == p.code(other, "l")) & (a >= 0)


def comparisons_for(available: set[str]) -> list[DomainComparison]:
    """The registered comparisons whose columns have data, in registry order."""
    return [c for c in REGISTRY.values() if set(c.needs) <= available]


def comparison(name: str) -> DomainComparison:
    try:
        return REGISTRY[name]
    except KeyError as e:
        known = ", ".join(REGISTRY)
        raise KeyError(f"no comparison named {name!r}; known: {known}") from e
