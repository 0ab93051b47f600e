"""The true population: who exists, how they are related, where they live.

Everything here is ground truth; the agencies' records are derived from it later
(`events`, `extracts`) and only there does the mess come in. People come in groups that
cross together: family units (one or two parents with one to four children, sharing
surnames the Latin way: a child's surnames are the father's first and the mother's first),
single adults, and unaccompanied children (alone or with a sibling), each child placed with
a sponsor who is a real person of the population: a parent or relative already in the U.S.
(some with CBP records of their own from earlier years), or a non-relative, a few of whom
take in several unrelated children at one address.

All arrays are indexed by person (or by group / case / household); names are indices into
the `pools` tables, so nothing here builds a string.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linker.errors import ConfigError
from linker.sampledata import pools
from linker.sampledata.config import SampleConfig
from linker.sampledata.relations import Relations, build_relations
from linker.sampledata.sponsors import (
    FEMALE_RELS,
    MALE_RELS,
    REL_KEYS,
    R,
    draw_relationships,
    match_sex,
    sponsor_age,
)

# Person kinds.
SINGLE, PARENT, FAMILY_CHILD, UAC, SPONSOR = range(5)
# Group kinds (people who meet CBP together).
G_SINGLE, G_FAMILY, G_UAC, G_SPONSOR_HISTORY = range(4)

EPOCH_START = np.datetime64("2019-01-01")
EPOCH_END = np.datetime64("2024-09-30")
HISTORY_START = np.datetime64("2014-01-01")
HISTORY_END = np.datetime64("2018-12-31")

_MIDDLE_RATE = {"es": 0.55, "pt": 0.45, "ht": 0.30, "ro": 0.10}
_UAC_AGE_W = np.array([0.4] * 6 + [0.8, 0.8, 1, 1.3, 1.8, 2.5, 4, 8, 12, 17, 20, 22])
_CHILD_AGE_W = np.array([8, 9, 9, 8, 8, 7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 3, 2, 2], dtype=float)


@dataclass(frozen=True)
class Population:
    """The true people, their groups, the UAC placements and the true relations."""

    kind: np.ndarray  # int8 per person: SINGLE, PARENT, FAMILY_CHILD, UAC, SPONSOR
    family: np.ndarray  # int64 per person: kinship group id
    sex: np.ndarray  # int8: 0 male, 1 female
    country: np.ndarray  # int64 index into pools.COUNTRIES
    given: np.ndarray  # int64 into pools.given_names()
    middle: np.ndarray  # int64, -1 none
    fam1: np.ndarray  # int64 into pools.surnames(), feminine form applied
    fam2: np.ndarray  # int64, -1 none
    dob: np.ndarray  # datetime64[D]
    is_minor: np.ndarray  # bool, at the person's group's (last) crossing or referral
    a_number: np.ndarray  # int64, -1 none
    subject_id: np.ndarray  # int64: CBP's own person id
    household: np.ndarray  # int64 per person
    # groups that cross together (CSR over group_members)
    group_kind: np.ndarray  # int8
    group_start: np.ndarray
    group_size: np.ndarray
    group_members: np.ndarray  # person indices
    group_date: np.ndarray  # datetime64[D], the group's last crossing
    # unaccompanied-children placements, one per child
    uac_child: np.ndarray  # person index
    uac_group: np.ndarray  # the child's CBP group
    uac_sponsor: np.ndarray  # person index
    uac_relationship: np.ndarray  # int8 index into REL_KEYS (stated)
    n_households: int
    relations: Relations

    @property
    def size(self) -> int:
        return len(self.kind)


def _draw_names(
    rng: np.random.Generator, culture: np.ndarray, sex: np.ndarray | None, table: pools.NameTable
) -> np.ndarray:
    out = np.full(len(culture), -1, dtype=np.int64)
    for c, cname in enumerate(pools.CULTURES):
        for sx in (0, 1) if sex is not None else (None,):
            mask = culture == c
            if sx is not None:
                mask &= sex == sx
            n = int(mask.sum())
            if n:
                idx, p = table.pool(cname, sx)
                out[mask] = rng.choice(idx, size=n, p=p)
    return out


def _culture_of(country: np.ndarray) -> np.ndarray:
    cultures = np.array([pools.CULTURES.index(c.culture) for c, *_ in pools.COUNTRIES])
    return cultures[country]


def _two_surnames(culture: np.ndarray) -> np.ndarray:
    two = np.array([c in pools.TWO_SURNAME_CULTURES for c in pools.CULTURES])
    return two[culture]


def _dob(rng: np.random.Generator, ref: np.ndarray, age: np.ndarray) -> np.ndarray:
    days = np.floor(age * 365.25).astype(np.int64) + rng.integers(0, 365, len(age))
    return ref - days.astype("timedelta64[D]")


def _uniform_dates(rng: np.random.Generator, lo: np.datetime64, hi: np.datetime64, n: int):
    span = int((hi - lo).astype(np.int64))
    return lo + rng.integers(0, span + 1, n).astype("timedelta64[D]")


def _unique_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """A-numbers: 9 digits, about a third old-style 0xxxxxxxx, the rest 2xxxxxxxx."""
    old = 30_000_000  # 070000000 .. 099999999
    draw = rng.choice(old + 50_000_000, size=n, replace=False)
    return np.where(draw < old, 70_000_000 + draw, 200_000_000 + draw - old)


def build_population(people: int, cfg: SampleConfig, rng: np.random.Generator) -> Population:
    """Draw `people` true persons with their groups, placements and relations."""
    given_t, sur_t = pools.given_names(), pools.surnames()

    # --- unaccompanied children: cases of one child or two siblings ---------------------
    uac_target = round(people * cfg.uac_share)
    case_size = 1 + (rng.random(uac_target) < cfg.uac_sibling_rate).astype(np.int64)
    n_cases = int(np.searchsorted(np.cumsum(case_size), uac_target)) + 1 if uac_target else 0
    case_size = case_size[:n_cases].copy()
    if n_cases and case_size.sum() > uac_target:
        case_size[-1] -= 1
    n_uac = int(case_size.sum())
    multi = rng.random(n_cases) < cfg.multi_child_sponsor_rate
    multi_cases = np.flatnonzero(multi)
    chunk = rng.integers(3, 9, max(1, len(multi_cases)))
    n_multi_sponsors = int(np.searchsorted(np.cumsum(chunk), len(multi_cases))) + 1
    n_multi_sponsors = n_multi_sponsors if len(multi_cases) else 0
    multi_of_case = np.repeat(np.arange(len(chunk)), chunk)[: len(multi_cases)]
    n_own_sponsors = int((~multi).sum())
    n_sponsors = n_own_sponsors + n_multi_sponsors

    # --- family units ---------------------------------------------------------------------
    fam_target = round(people * cfg.family_unit_share)
    k = fam_target // 2 + 2
    n_par = 1 + (rng.random(k) < cfg.two_parent_rate).astype(np.int64)
    n_kid = rng.choice(np.arange(1, 5), size=k, p=[0.35, 0.35, 0.2, 0.1])
    cs = np.cumsum(n_par + n_kid)
    n_units = int(np.searchsorted(cs, fam_target, side="right"))
    rest = fam_target - (int(cs[n_units - 1]) if n_units else 0)
    n_par, n_kid = n_par[: n_units + 1].copy(), n_kid[: n_units + 1].copy()
    if rest >= 2:
        n_par[n_units], n_kid[n_units] = 1, rest - 1
        n_units += 1
    n_par, n_kid = n_par[:n_units], n_kid[:n_units]
    unit_size = n_par + n_kid
    n_fam = int(unit_size.sum())

    n_single = people - n_fam - n_uac - n_sponsors
    if n_single < 0 or people < 50:
        raise ConfigError(
            f"people={people} is too small for the configured shares; use at least 50 and "
            "family_unit_share + uac_share well below 1"
        )

    # person layout: family members, UAC children, own sponsors, multi sponsors, singles
    o_uac, o_spon = n_fam, n_fam + n_uac
    o_multi, o_single = o_spon + n_own_sponsors, o_spon + n_sponsors
    n = people
    kind = np.empty(n, dtype=np.int8)
    sex = np.empty(n, dtype=np.int8)
    country = np.empty(n, dtype=np.int64)
    age = np.empty(n, dtype=np.float64)
    ref = np.empty(n, dtype="datetime64[D]")
    fam1 = np.full(n, -1, dtype=np.int64)
    fam2 = np.full(n, -1, dtype=np.int64)

    # family members
    unit_start = np.concatenate([[0], np.cumsum(unit_size)[:-1]]).astype(np.int64)
    unit_of = np.repeat(np.arange(n_units), unit_size)
    offset = np.arange(n_fam) - unit_start[unit_of]
    has_father = (n_par == 2) | (rng.random(n_units) < 0.2)
    is_parent = offset < n_par[unit_of]
    is_father = is_parent & (offset == 0) & has_father[unit_of]
    is_mother = is_parent & ~is_father
    unit_country = rng.choice(len(pools.COUNTRIES), n_units, p=pools.country_weights(1))
    unit_culture = _culture_of(unit_country)
    unit_date = _uniform_dates(rng, EPOCH_START, EPOCH_END, n_units)
    f = slice(0, n_fam)
    kind[f] = np.where(is_parent, PARENT, FAMILY_CHILD)
    kids = ~is_parent
    sex[f] = np.where(is_father, 0, np.where(is_mother, 1, rng.integers(0, 2, n_fam)))
    country[f] = unit_country[unit_of]
    ref[f] = unit_date[unit_of]
    mother_age = 19 + np.minimum(rng.gamma(3.0, 3.5, n_units), 36)
    father_age = np.clip(mother_age + rng.normal(3, 3, n_units), 18, 65)
    youngest = np.where(n_par == 2, np.minimum(mother_age, father_age), mother_age)
    child_age = rng.choice(18, n_fam, p=_CHILD_AGE_W / _CHILD_AGE_W.sum()).astype(float)
    child_age = np.minimum(child_age + rng.random(n_fam), youngest[unit_of] - 15)
    age[f] = np.where(is_father, father_age[unit_of], np.where(is_mother, mother_age[unit_of], 0))
    age[f] = np.where(kids, np.maximum(child_age, 0), age[f])
    u_f1 = _draw_names(rng, unit_culture, None, sur_t)
    u_f2 = _draw_names(rng, unit_culture, None, sur_t)
    u_m1 = _draw_names(rng, unit_culture, None, sur_t)
    u_m2 = _draw_names(rng, unit_culture, None, sur_t)
    two = _two_surnames(unit_culture)
    u_m1 = np.where(two, u_m1, u_f1)  # one-surname cultures: the family shares one surname
    uo = unit_of
    fam1[f] = np.where(is_mother, u_m1[uo], u_f1[uo])
    fam2[f] = np.where(is_father, u_f2[uo], np.where(is_mother, u_m2[uo], u_m1[uo]))
    fam2[f] = np.where(two[uo], fam2[f], -1)

    # UAC children
    case_start = np.concatenate([[0], np.cumsum(case_size)[:-1]]).astype(np.int64)
    case_of = np.repeat(np.arange(n_cases), case_size)
    u = slice(o_uac, o_spon)
    case_country = rng.choice(len(pools.COUNTRIES), n_cases, p=pools.country_weights(2))
    case_culture = _culture_of(case_country)
    case_date = _uniform_dates(rng, EPOCH_START, EPOCH_END, n_cases)
    kind[u] = UAC
    sex[u] = (rng.random(n_uac) < 0.32).astype(np.int8)  # most UAC are boys
    country[u] = case_country[case_of]
    ref[u] = case_date[case_of]
    first_age = rng.choice(18, n_cases, p=_UAC_AGE_W / _UAC_AGE_W.sum()) + rng.random(n_cases)
    sib_off = np.arange(n_uac) - case_start[case_of]
    sib_age = first_age[case_of] - sib_off * rng.integers(1, 5, n_uac)
    age[u] = np.clip(sib_age, 0.2, 17.95)
    c_p1 = _draw_names(rng, case_culture, None, sur_t)
    c_m1 = _draw_names(rng, case_culture, None, sur_t)
    c_two = _two_surnames(case_culture)
    fam1[u] = c_p1[case_of]
    fam2[u] = np.where(c_two, c_m1, -1)[case_of]

    # sponsors: one per own case, plus the multi-child sponsors
    own_cases = np.flatnonzero(~multi)
    rel = draw_relationships(rng, cfg, n_cases, multi)
    s = slice(o_spon, o_multi)
    kind[o_spon:o_single] = SPONSOR
    r_own = rel[own_cases]
    s_sex = np.where(np.isin(r_own, FEMALE_RELS), 1, np.where(np.isin(r_own, MALE_RELS), 0, -1))
    sex[s] = np.where(s_sex < 0, rng.integers(0, 2, len(own_cases)), s_sex)
    country[s] = case_country[own_cases]
    ref[s] = case_date[own_cases]
    age[s] = sponsor_age(rng, r_own, first_age[own_cases])
    oc = own_cases
    rand1 = _draw_names(rng, case_culture[oc], None, sur_t)
    rand2 = _draw_names(rng, case_culture[oc], None, sur_t)
    shares_p1 = np.isin(r_own, [R[x] for x in ("father", "uncle", "brother", "sister")])
    shares_p1 |= np.isin(r_own, [R[x] for x in ("cousin_m", "cousin_f", "grandfather")])
    shares_m1 = np.isin(r_own, [R["mother"], R["aunt"]])
    s1 = np.where(shares_p1, c_p1[oc], np.where(shares_m1, c_m1[oc], rand1))
    sibling = np.isin(r_own, [R["brother"], R["sister"]])
    s2 = np.where(sibling, c_m1[oc], rand2)
    relative = ~np.isin(r_own, [R["friend"], R["other"]])
    fam1[s] = np.where(c_two[oc] | ~relative, s1, c_p1[oc])
    fam2[s] = np.where(c_two[oc], s2, -1)
    ms = slice(o_multi, o_single)
    first_case = multi_cases[np.searchsorted(multi_of_case, np.arange(n_multi_sponsors))]
    sex[ms] = rng.integers(0, 2, n_multi_sponsors)
    country[ms] = case_country[first_case]
    ref[ms] = case_date[first_case]
    age[ms] = rng.uniform(24, 60, n_multi_sponsors)
    m_cult = case_culture[first_case]
    fam1[ms] = _draw_names(rng, m_cult, None, sur_t)
    fam2[ms] = np.where(_two_surnames(m_cult), _draw_names(rng, m_cult, None, sur_t), -1)
    sponsor_of_case = np.empty(n_cases, dtype=np.int64)
    sponsor_of_case[own_cases] = o_spon + np.arange(n_own_sponsors)
    sponsor_of_case[multi_cases] = o_multi + multi_of_case
    rel[multi_cases] = match_sex(rel[multi_cases], sex[o_multi + multi_of_case])

    # single adults
    g = slice(o_single, n)
    kind[g] = SINGLE
    sex[g] = (rng.random(n_single) < 0.22).astype(np.int8)
    country[g] = rng.choice(len(pools.COUNTRIES), n_single, p=pools.country_weights(0))
    ref[g] = _uniform_dates(rng, EPOCH_START, EPOCH_END, n_single)
    age[g] = 18 + np.minimum(rng.gamma(2.2, 5.5, n_single), 52)
    single_cult = _culture_of(country[g])
    fam1[g] = _draw_names(rng, single_cult, None, sur_t)
    fam2[g] = np.where(_two_surnames(single_cult), _draw_names(rng, single_cult, None, sur_t), -1)

    # --- given and middle names, feminine surnames, dates of birth ------------------------
    culture = _culture_of(country)
    given = _draw_names(rng, culture, sex, given_t)
    middle = _draw_names(rng, culture, sex, given_t)
    mid_rate = np.array([_MIDDLE_RATE.get(c, 0.0) for c in pools.CULTURES])[culture]
    middle = np.where((rng.random(n) < mid_rate) & (middle != given), middle, -1)
    female = sex == 1
    fam1 = np.where(female & (fam1 >= 0), sur_t.feminine[fam1], fam1)
    fam2 = np.where(female & (fam2 >= 0), sur_t.feminine[fam2], fam2)
    dob = _dob(rng, ref, age)
    is_minor = age < 18

    # --- groups that cross together ---------------------------------------------------------
    history = np.zeros(n_sponsors, dtype=bool)
    kin = np.isin(r_own, FEMALE_RELS) | np.isin(r_own, MALE_RELS)
    history[:n_own_sponsors] = (
        kin & (age[s] >= 25) & (rng.random(n_own_sponsors) < cfg.sponsor_history_rate)
    )
    hist_people = o_spon + np.flatnonzero(history)
    singles = np.arange(o_single, n)
    sizes = np.concatenate(
        [np.ones(n_single, np.int64), unit_size, case_size, np.ones(len(hist_people), np.int64)]
    )
    group_kind = np.repeat(
        np.array([G_SINGLE, G_FAMILY, G_UAC, G_SPONSOR_HISTORY], dtype=np.int8),
        [n_single, n_units, n_cases, len(hist_people)],
    )
    members = np.concatenate([singles, np.arange(n_fam), np.arange(o_uac, o_spon), hist_people])
    group_start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    group_date = np.concatenate(
        [
            ref[g],
            unit_date,
            case_date,
            _uniform_dates(rng, HISTORY_START, HISTORY_END, len(hist_people)),
        ]
    )
    uac_group = n_single + n_units + case_of

    # --- identifiers, households ---------------------------------------------------------------
    a_number = np.full(n, -1, dtype=np.int64)
    needs = np.ones(n, dtype=bool)
    needs[o_spon:o_single] = rng.random(n_sponsors) < 0.3
    needs[hist_people] = True
    a_number[needs] = _unique_numbers(rng, int(needs.sum()))
    subject_id = 1_000_000_000 + rng.choice(8_999_999_999, size=n, replace=False)
    household = np.empty(n, dtype=np.int64)
    household[f] = unit_of
    hh_spon = n_units + np.arange(n_sponsors)
    household[o_spon:o_single] = hh_spon
    household[u] = household[sponsor_of_case[case_of]]
    household[g] = n_units + n_sponsors + np.arange(n_single)
    n_households = n_units + n_sponsors + n_single

    family = np.empty(n, dtype=np.int64)
    family[f] = unit_of
    family[u] = n_units + case_of
    spon_family = n_units + n_cases + np.arange(n_sponsors)
    spon_family[:n_own_sponsors] = np.where(
        relative, n_units + own_cases, spon_family[:n_own_sponsors]
    )
    family[o_spon:o_single] = spon_family
    family[g] = n_units + n_cases + n_sponsors + np.arange(n_single)

    relations = build_relations(
        unit_start=unit_start,
        unit_size=unit_size,
        n_par=n_par,
        case_start=o_uac + case_start,
        case_size=case_size,
        case_sponsor=sponsor_of_case,
        case_relationship=rel,
        rel_keys=REL_KEYS,
    )
    return Population(
        kind=kind,
        family=family,
        sex=sex,
        country=country,
        given=given,
        middle=middle,
        fam1=fam1,
        fam2=fam2,
        dob=dob,
        is_minor=is_minor,
        a_number=a_number,
        subject_id=subject_id,
        household=household,
        group_kind=group_kind,
        group_start=group_start,
        group_size=sizes,
        group_members=members,
        group_date=group_date,
        uac_child=np.arange(o_uac, o_spon),
        uac_group=uac_group,
        uac_sponsor=sponsor_of_case[case_of],
        uac_relationship=rel[case_of].astype(np.int8),
        n_households=n_households,
        relations=relations,
    )
