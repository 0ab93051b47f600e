"""The ICE releases / check-ins extract: one row per released person who reported.

ICE keeps accents (as far as cp1252, the file's encoding, can hold them), writes the whole
name in one column as "LAST1 LAST2, FIRST MIDDLE", has the A-number more often than CBP
(though sometimes mistyped), the release address on one line, and on about half the rows
the CBP event the release came from.
"""

from __future__ import annotations

import numpy as np

from linker.sampledata import contact, layout, pools
from linker.sampledata import corruption as cx
from linker.sampledata.config import SampleConfig
from linker.sampledata.events import Events
from linker.sampledata.extracts import Extract, frame, phones, seq, year2
from linker.sampledata.population import Population

_OTHER_DOB_FORMATS = ("%m/%d/%Y", "%d-%b-%Y")
_PHONE_STYLES = (2, 3, 2, 1, 1, 1)  # weights of contact.US_FORMATS
# ERO field office responsible for a release address, by state.
_ERO_OFFICE = {
    "TX": "HOU", "CA": "LOS", "FL": "MIA", "NY": "NYC", "CT": "NYC", "IL": "CHI", "IN": "CHI",
    "KY": "CHI", "WI": "CHI", "MO": "CHI", "KS": "CHI", "GA": "ATL", "NC": "ATL", "SC": "ATL",
    "TN": "NOL", "AR": "NOL", "LA": "NOL", "AL": "NOL", "MS": "NOL", "CO": "DEN", "AZ": "PHO",
    "NV": "SLC", "UT": "SLC", "ID": "SLC", "NJ": "NEW", "MA": "BOS", "RI": "BOS", "PA": "PHI",
    "MD": "BAL", "DC": "WAS", "VA": "WAS", "OH": "DET", "MI": "DET", "MN": "SPM", "NE": "SPM",
    "IA": "SPM", "OK": "DAL", "NM": "ELP", "WA": "SEA", "OR": "SEA",
}  # fmt: skip


def full_name_last_first(nm: cx.Names, given: np.ndarray, middle: np.ndarray, last: np.ndarray):
    """ "LAST1 LAST2, FIRST MIDDLE", or the halves the other way round when swapped."""
    first_part = cx.join(given, middle)
    normal = np.where(last != "", last + ", " + first_part, first_part)
    swapped = np.where(last != "", first_part + ", " + last, first_part)
    return np.where(nm.first_last_swapped, swapped, normal)


def build_ice(
    rng: np.random.Generator,
    pop: Population,
    ev: Events,
    hh: contact.Households,
    cbp_keys: np.ndarray,
    cfg: SampleConfig,
) -> Extract:
    r = ev.ice
    p = r.person
    n = len(p)
    key = "ERO" + year2(r.date) + "-" + seq(n, 7)
    city_office = np.array([_ERO_OFFICE.get(s, "HQ") for s in pools.cities().state], dtype=object)
    office = city_office[hh.city[pop.household[p]]]

    style = cx.NameStyle(upper_share=0.8, accents="cp1252")
    nm = cx.render_names(rng, pop.given[p], pop.middle[p], pop.fam1[p], pop.fam2[p], cfg, style)
    given, middle, last = cx.add_typos(
        rng, [nm.given, nm.middle, cx.join(nm.fam1, nm.fam2)], cfg.name_typo_rate
    )
    name = full_name_last_first(nm, given, middle, last)

    est = pop.is_minor[p] & (rng.random(n) < cfg.child_dob_estimate_rate)
    dob = cx.render_dob(rng, pop.dob[p], cfg, layout.ICE_DATE_FORMAT, _OTHER_DOB_FORMATS, est)
    countries = pools.country_arrays()
    english = countries["english"][pop.country[p]]
    upper_en = np.array([s.upper() for s in countries["english"]], dtype=object)[pop.country[p]]
    iso3 = countries["iso3"][pop.country[p]]
    how = rng.random(n)
    country = np.where(how < 0.4, english, np.where(how < 0.7, upper_en, iso3))
    country[rng.random(n) < cfg.country_missing_rate] = ""
    anum = cx.render_anumber(
        rng,
        pop.a_number[p],
        missing_rate=cfg.ice_anum_missing_rate,
        typo_rate=cfg.ice_anum_typo_rate,
        house="DASH",
        variant_rate=cfg.anum_format_variant_rate,
    )

    upper = rng.random(n) < 0.6
    parts = contact.address_parts(rng, hh, pop.household[p], upper)
    shelter = np.where(
        rng.random(n) < cfg.shelter_address_rate / 2, rng.integers(0, len(pools.SHELTERS), n), -1
    )
    parts = contact.choose(
        shelter >= 0, contact.shelter_parts(np.maximum(shelter, 0), upper), parts
    )
    address = contact.one_line(rng, parts, no_zip_rate=0.08)
    address[rng.random(n) < cfg.ice_address_missing_rate] = ""
    phone = phones(
        rng,
        pop,
        hh,
        p,
        style_p=_PHONE_STYLES,
        missing_rate=cfg.ice_phone_missing_rate,
        cfg=cfg,
        shelter=shelter,
    )
    xref = np.where(rng.random(n) < cfg.ice_cbp_xref_rate, cbp_keys[r.cbp_row], "")
    cols = {
        layout.ICE_KEY: key,
        layout.ICE_DATE: cx.format_dates(*cx.date_parts(r.date), layout.ICE_DATE_FORMAT),
        layout.ICE_OFFICE: office,
        layout.ICE_ANUM: anum,
        layout.ICE_NAME: name,
        layout.ICE_DOB: dob,
        layout.ICE_SEX: cx.render_sex(rng, pop.sex[p], ("Male", "Female"), cfg.sex_missing_rate),
        layout.ICE_COUNTRY: country,
        layout.ICE_ADDRESS: address,
        layout.ICE_PHONE: phone,
        layout.ICE_XREF: xref,
    }
    return Extract(layout=layout.ICE, frame=frame(layout.ICE, cols), person=p)
