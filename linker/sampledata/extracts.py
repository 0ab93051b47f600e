"""What the three extract builders (`cbp`, `ice`, `hhs`) share.

An extract is a DataFrame whose columns are all `object` arrays of `str` ('' for empty),
so the CSV writer never sees a float or a NaN and the files are identical for a seed,
plus the true person behind each row (and the sponsor on an HHS row) for the truth files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from linker.sampledata import contact, layout, pools
from linker.sampledata import corruption as cx
from linker.sampledata.config import SampleConfig
from linker.sampledata.population import Population


@dataclass(frozen=True)
class Extract:
    layout: layout.Layout
    frame: pd.DataFrame  # columns in layout order, all str
    person: np.ndarray  # primary person per row
    sponsor: np.ndarray | None = None  # related person per row (HHS)


def seq(n: int, width: int) -> np.ndarray:
    """ "0000001", "0000002"...: zero-padded running numbers for keys."""
    if n == 0:
        return np.empty(0, dtype=object)
    return np.char.zfill(np.arange(1, n + 1).astype(str), width).astype(object)


def year2(dates: np.ndarray) -> np.ndarray:
    y, _, _ = cx.date_parts(dates)
    return cx.PAD2[y % 100]


def frame(lay: layout.Layout, cols: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({c: cols[c] for c in lay.columns}, dtype=object)


def phones(
    rng: np.random.Generator,
    pop: Population,
    hh: contact.Households,
    person: np.ndarray,
    *,
    style_p: tuple[float, ...],
    missing_rate: float,
    cfg: SampleConfig,
    shelter: np.ndarray | None = None,
) -> np.ndarray:
    """The record's phone: the household's U.S. number, a home-country one, a shelter's."""
    n = len(person)
    h = pop.household[person]
    style = rng.choice(len(style_p), n, p=np.array(style_p) / sum(style_p))
    out = contact.us_phone(hh.area[h], hh.exchange[h], hh.line[h], style)
    foreign = np.flatnonzero(rng.random(n) < cfg.phone_foreign_rate)
    f = contact.foreign_phone(
        pop.country[person[foreign]], pop.subject_id[person[foreign]], style[foreign]
    )
    out[foreign[f != ""]] = f[f != ""]
    shared = rng.random(n) < cfg.phone_shared_rate
    s_idx = rng.integers(0, len(pools.SHELTERS), n)
    if shelter is not None:  # people who give a shelter's address often give its phone
        shared |= (shelter >= 0) & (rng.random(n) < 0.5)
        s_idx = np.where(shelter >= 0, shelter, s_idx)
    area, exchange, line = contact.SHELTER_PHONES
    sh, si = np.flatnonzero(shared), s_idx[shared]
    out[sh] = contact.us_phone(area[si], exchange[si], line[si], style[sh])
    out[rng.random(n) < missing_rate] = ""
    return out


def copy_paste(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Row each row copies its address from: itself, or the first row of its pasted run."""
    src = np.arange(n)
    starts = np.flatnonzero(rng.random(n) < rate)
    lengths = rng.integers(3, 16, len(starts))
    rows = np.repeat(starts, lengths) + (
        np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    keep = rows < n
    src[rows[keep]] = np.repeat(starts, lengths)[keep]
    return src
