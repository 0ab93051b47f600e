"""Which records exist: CBP encounters, ICE check-ins, HHS referrals (still true values).

A group (family unit, single adult, unaccompanied child or sibling pair, a sponsor's own
earlier crossing) meets CBP once, or two or three times if it is a repeat crosser; the
earlier encounters end in expulsion or removal, the last one in release, removal, or (for
children alone) transfer to HHS. Released groups check in with ICE unless they are among
the no-shows, and every unaccompanied child gets one HHS referral that names the CBP event
and the sponsor. The mess is added later; here every value is the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linker.sampledata.config import SampleConfig
from linker.sampledata.population import (
    G_FAMILY,
    G_SINGLE,
    G_SPONSOR_HISTORY,
    G_UAC,
    Population,
)

# CBP dispositions: index ranges are used below, keep the order.
DISPOSITIONS: tuple[str, ...] = (
    "NTA/OR",  # 0-2 released
    "PAROLE/ATD",
    "NTA/OR+ATD",
    "T42",  # 3-6 expelled / removed
    "ER",
    "VR",
    "REINSTATE",
    "NTA/DETAINED",  # 7
    "UAC/ORR",  # 8 unaccompanied child transferred to HHS
)
RELEASED = np.array([0, 1, 2])
_REMOVED = np.array([3, 4, 5, 6])
SECTORS: tuple[str, ...] = ("RGV", "DRT", "LRT", "EPT", "BBT", "TCA", "YUM", "ELC", "SDC")
_SECTOR_P = np.array([30, 8, 6, 14, 3, 15, 8, 3, 8], dtype=float)


@dataclass(frozen=True)
class CbpEvents:
    """One entry per CBP row, in file order (by date)."""

    person: np.ndarray  # int64
    date: np.ndarray  # datetime64[D]
    group_event: np.ndarray  # int64: rows of one family-unit event share it
    is_family: np.ndarray  # bool
    sector: np.ndarray  # int64 into SECTORS
    disposition: np.ndarray  # int64 into DISPOSITIONS
    repeat: np.ndarray  # bool: the person's group crossed more than once


@dataclass(frozen=True)
class IceRows:
    person: np.ndarray
    date: np.ndarray  # check-in date
    cbp_row: np.ndarray  # the CBP row of the release this check-in follows


@dataclass(frozen=True)
class HhsRows:
    child: np.ndarray
    sponsor: np.ndarray
    relationship: np.ndarray  # int8 index into sponsors.REL_KEYS
    date: np.ndarray  # referral date
    cbp_row: np.ndarray  # the CBP row of the child's last encounter


@dataclass(frozen=True)
class Events:
    cbp: CbpEvents
    ice: IceRows
    hhs: HhsRows


def build_events(pop: Population, cfg: SampleConfig, rng: np.random.Generator) -> Events:
    n_groups = len(pop.group_kind)
    kind = pop.group_kind
    repeat = rng.random(n_groups) < cfg.repeat_crosser_rate
    n_ev = 1 + repeat.astype(np.int64) * (1 + (rng.random(n_groups) < 0.3))
    gap_a = rng.integers(15, 400, n_groups).astype("timedelta64[D]")
    gap_b = rng.integers(15, 400, n_groups).astype("timedelta64[D]")

    # group events, chronological within a group; the last one is the "final" encounter
    ge_group = np.repeat(np.arange(n_groups), n_ev)
    ge_first = np.concatenate([[0], np.cumsum(n_ev)[:-1]])
    back = (ge_first + n_ev - 1)[ge_group] - np.arange(len(ge_group))  # 0 = final
    zero = np.timedelta64(0, "D")
    ge_date = pop.group_date[ge_group] - np.where(back >= 1, gap_a[ge_group], zero)
    ge_date = ge_date - np.where(back >= 2, gap_b[ge_group], zero)
    final = back == 0
    n_ge = len(ge_group)
    gk = kind[ge_group]
    release_p = np.select(
        [gk == G_SINGLE, gk == G_FAMILY, gk == G_SPONSOR_HISTORY],
        [cfg.single_adult_release_rate, cfg.family_release_rate, 1.0],
        0.0,
    )
    released = final & (rng.random(n_ge) < release_p)
    removal = rng.choice(_REMOVED, n_ge, p=[0.4, 0.3, 0.2, 0.1])
    detained = (gk == G_SINGLE) & (rng.random(n_ge) < 0.25)
    disp = np.where(final & detained, 7, removal)
    disp = np.where(released, rng.choice(RELEASED, n_ge, p=[0.6, 0.25, 0.15]), disp)
    disp = np.where(final & (gk == G_UAC), 8, disp)
    sector = rng.choice(len(SECTORS), n_ge, p=_SECTOR_P / _SECTOR_P.sum())

    # person events (one CBP row each), sorted by date
    size = pop.group_size[ge_group]
    pe_ge = np.repeat(np.arange(n_ge), size)
    pe_start = np.concatenate([[0], np.cumsum(size)[:-1]])
    off = np.arange(len(pe_ge)) - pe_start[pe_ge]
    person = pop.group_members[pop.group_start[ge_group[pe_ge]] + off]
    order = np.lexsort((off, pe_ge, ge_date[pe_ge]))
    row_of_pe = np.empty(len(order), dtype=np.int64)
    row_of_pe[order] = np.arange(len(order))
    cbp = CbpEvents(
        person=person[order],
        date=ge_date[pe_ge][order],
        group_event=pe_ge[order],
        is_family=(gk == G_FAMILY)[pe_ge][order],
        sector=sector[pe_ge][order],
        disposition=disp[pe_ge][order],
        repeat=repeat[ge_group][pe_ge][order],
    )

    # ICE: released groups check in together unless they never show up
    shows = released & (rng.random(n_ge) >= cfg.ice_no_checkin_rate)
    ice_pe = np.flatnonzero(shows[pe_ge])
    ice_date = ge_date[pe_ge[ice_pe]] + rng.integers(7, 180, len(ice_pe)).astype("timedelta64[D]")
    ice_order = np.lexsort((ice_pe, ice_date))
    ice = IceRows(
        person=person[ice_pe][ice_order],
        date=ice_date[ice_order],
        cbp_row=row_of_pe[ice_pe][ice_order],
    )

    # HHS: one referral per unaccompanied child, after its last encounter
    child = pop.uac_child
    g = pop.uac_group
    final_ge = ge_first[g] + n_ev[g] - 1
    child_off = child - pop.group_members[pop.group_start[g]]
    child_pe = pe_start[final_ge] + child_off
    hhs_date = ge_date[final_ge] + rng.integers(1, 4, len(child)).astype("timedelta64[D]")
    hhs_order = np.lexsort((child, hhs_date))
    hhs = HhsRows(
        child=child[hhs_order],
        sponsor=pop.uac_sponsor[hhs_order],
        relationship=pop.uac_relationship[hhs_order],
        date=hhs_date[hhs_order],
        cbp_row=row_of_pe[child_pe][hhs_order],
    )
    return Events(cbp=cbp, ice=ice, hhs=hhs)
