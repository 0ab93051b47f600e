"""Who sponsors an unaccompanied child: the stated relationship and the sponsor's age.

About half the children go to a parent already in the U.S., most of the rest to a relative
(uncle, aunt, adult sibling, cousin, grandparent), the others to a family friend or
someone else. Sponsors who take several unrelated children (the red flag in the OIG
reports) claim to be a friend, "other", or sometimes a cousin or an aunt: what HHS holds
is the stated relationship, which for them is not the truth.
"""

from __future__ import annotations

import numpy as np

from linker.sampledata import pools
from linker.sampledata.config import SampleConfig

# Stated relationships of a sponsor; population arrays hold indexes into REL_KEYS.
REL_KEYS: tuple[str, ...] = tuple(pools.RELATIONSHIPS)
R: dict[str, int] = {k: i for i, k in enumerate(REL_KEYS)}
FEMALE_RELS = np.array([R[k] for k in ("mother", "aunt", "sister", "cousin_f", "grandmother")])
MALE_RELS = np.array([R[k] for k in ("father", "uncle", "brother", "cousin_m", "grandfather")])


def draw_relationships(
    rng: np.random.Generator, cfg: SampleConfig, n_cases: int, multi: np.ndarray
) -> np.ndarray:
    """Stated relationship per case; multi-child sponsors claim friend, other or cousin."""
    u = rng.random(n_cases)
    parent = rng.choice([R["mother"], R["father"]], n_cases, p=[0.6, 0.4])
    rel_keys = ["uncle", "aunt", "brother", "sister", "cousin_m", "cousin_f"]
    rel_keys += ["grandmother", "grandfather"]
    relative = rng.choice(
        [R[k] for k in rel_keys], n_cases, p=[0.22, 0.25, 0.09, 0.09, 0.08, 0.08, 0.12, 0.07]
    )
    stranger = rng.choice([R["friend"], R["other"]], n_cases, p=[0.6, 0.4])
    claimed = rng.choice(
        [R[k] for k in ("friend", "other", "cousin_m", "cousin_f", "uncle", "aunt")],
        n_cases,
        p=[0.45, 0.3, 0.07, 0.08, 0.05, 0.05],
    )
    rel = np.where(
        u < cfg.sponsor_parent_rate,
        parent,
        np.where(u < cfg.sponsor_parent_rate + cfg.sponsor_relative_rate, relative, stranger),
    )
    return np.where(multi, claimed, rel).astype(np.int64)


def match_sex(rel: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """The stated relationship's counterpart for the sponsor's sex (a man says uncle, not aunt)."""
    swap = np.arange(len(REL_KEYS))
    for f, m in zip(FEMALE_RELS, MALE_RELS, strict=True):
        swap[f], swap[m] = m, f
    male_says_female = (sex == 0) & np.isin(rel, FEMALE_RELS)
    female_says_male = (sex == 1) & np.isin(rel, MALE_RELS)
    return np.where(male_says_female | female_says_male, swap[rel], rel)


def sponsor_age(rng: np.random.Generator, rel: np.ndarray, child_age: np.ndarray) -> np.ndarray:
    """Age at the referral: parents 18-45 years older than the child, siblings a little."""
    n = len(rel)
    by = {
        "mother": child_age + rng.uniform(18, 40, n),
        "father": child_age + rng.uniform(20, 45, n),
        "uncle": np.maximum(21, child_age + rng.uniform(5, 30, n)),
        "brother": np.maximum(18.5, child_age + rng.uniform(2, 12, n)),
        "cousin_m": np.maximum(18.5, child_age + rng.uniform(0, 15, n)),
        "grandmother": child_age + rng.uniform(36, 60, n),
    }
    by["aunt"], by["sister"], by["cousin_f"] = by["uncle"], by["brother"], by["cousin_m"]
    by["grandfather"] = by["grandmother"]
    out = rng.uniform(22, 60, n)
    for key, ages in by.items():
        out = np.where(rel == R[key], ages, out)
    return out
