"""The HHS unaccompanied-children referrals extract: the child and the sponsor on one row.

The child has a column per name part and per surname, a birth date that is often an
age-based estimate (1 January of a year, flagged DOB_ESTIMATED=Y), the A-number most of
the time and the CBP event that referred them. The sponsor is a second person on the
same row, with one full-name column ("FIRST MIDDLE LAST1 LAST2", sometimes "LAST, FIRST"),
a one-line address, a phone and the stated relationship, in English or Spanish.
"""

from __future__ import annotations

import numpy as np
from unidecode import unidecode

from linker.sampledata import contact, layout, pools
from linker.sampledata import corruption as cx
from linker.sampledata.config import SampleConfig
from linker.sampledata.events import Events
from linker.sampledata.extracts import Extract, frame, phones, seq
from linker.sampledata.population import Population
from linker.sampledata.sponsors import REL_KEYS

_OTHER_DOB_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
_PHONE_STYLES = (4, 3, 2, 1, 1, 1)  # weights of contact.US_FORMATS
# ORR sponsor categories: 1 parent, 2 close relative, 3 anyone else.
_CATEGORY = {"mother": "1", "father": "1", "brother": "2", "sister": "2", "grandmother": "2"}
_CATEGORY |= {"grandfather": "2", "uncle": "2", "aunt": "2", "cousin_m": "2", "cousin_f": "2"}


def _child_names(
    rng: np.random.Generator, pop: Population, c: np.ndarray, cfg: SampleConfig
) -> list[np.ndarray]:
    style = cx.NameStyle(upper_share=0.3, accents="mixed", strip_rate=cfg.hhs_accent_strip_rate)
    nm = cx.render_names(rng, pop.given[c], pop.middle[c], pop.fam1[c], pop.fam2[c], cfg, style)
    sw = nm.first_last_swapped
    first = np.where(sw, nm.fam1, nm.given)
    last1 = np.where(sw, nm.given, nm.fam1)
    return cx.add_typos(rng, [first, nm.middle, last1, nm.fam2], cfg.name_typo_rate)


def _sponsor_names(
    rng: np.random.Generator, pop: Population, s: np.ndarray, cfg: SampleConfig
) -> np.ndarray:
    """ "FIRST MIDDLE LAST1 LAST2", "LAST1 LAST2, FIRST MIDDLE", or swapped without comma."""
    style = cx.NameStyle(upper_share=0.5, accents="mixed", strip_rate=cfg.hhs_accent_strip_rate)
    nm = cx.render_names(rng, pop.given[s], pop.middle[s], pop.fam1[s], pop.fam2[s], cfg, style)
    given, middle, last = cx.add_typos(
        rng, [nm.given, nm.middle, cx.join(nm.fam1, nm.fam2)], cfg.name_typo_rate
    )
    first_part = cx.join(given, middle)
    last_first = rng.random(len(s)) < cfg.sponsor_last_first_rate
    out = cx.join(first_part, last)
    out = np.where(last_first & (last != ""), last + ", " + first_part, out)
    return np.where(nm.first_last_swapped, cx.join(last, first_part), out)


def _relationships(rng: np.random.Generator, rel: np.ndarray, cfg: SampleConfig) -> np.ndarray:
    """The stated relationship: English or Spanish, as typed or in capitals."""
    labels = [pools.RELATIONSHIPS[k] for k in REL_KEYS]
    # rows: English, Spanish, ENGLISH, SPANISH
    table = np.array(
        [[e for e, _ in labels], [s for _, s in labels]]
        + [[e.upper() for e, _ in labels], [s.upper() for _, s in labels]],
        dtype=object,
    )
    n = len(rel)
    form = (rng.random(n) < cfg.relationship_spanish_rate) + 2 * (rng.random(n) < 0.2)
    return table[form, rel]


def build_hhs(
    rng: np.random.Generator,
    pop: Population,
    ev: Events,
    hh: contact.Households,
    cbp_keys: np.ndarray,
    cfg: SampleConfig,
) -> Extract:
    r = ev.hhs
    c, s = r.child, r.sponsor
    n = len(c)
    key = "UC-" + seq(n, 7)
    xref = np.where(rng.random(n) < cfg.hhs_cbp_xref_missing_rate, "", cbp_keys[r.cbp_row])
    anum = cx.render_anumber(
        rng,
        pop.a_number[c],
        missing_rate=cfg.hhs_anum_missing_rate,
        typo_rate=cfg.hhs_anum_typo_rate,
        house="A9",
        variant_rate=cfg.anum_format_variant_rate,
    )
    first, middle, last1, last2 = _child_names(rng, pop, c, cfg)
    est = rng.random(n) < cfg.hhs_dob_estimated_rate
    dob = cx.render_dob(rng, pop.dob[c], cfg, layout.HHS_DATE_FORMAT, _OTHER_DOB_FORMATS, est)
    spanish = pools.country_arrays()["spanish"]
    plain = np.array([unidecode(v).upper() for v in spanish], dtype=object)
    country = np.where(rng.random(n) < 0.25, plain[pop.country[c]], spanish[pop.country[c]])
    country[rng.random(n) < cfg.country_missing_rate] = ""

    no_estimate = np.zeros(n, dtype=bool)
    sp_dob = cx.render_dob(
        rng, pop.dob[s], cfg, layout.HHS_DATE_FORMAT, _OTHER_DOB_FORMATS, no_estimate
    )
    upper = rng.random(n) < 0.4
    parts = contact.address_parts(rng, hh, pop.household[s], upper)
    address = contact.one_line(rng, parts, no_zip_rate=0.05)
    address[rng.random(n) < cfg.sponsor_address_missing_rate] = ""
    phone = phones(
        rng, pop, hh, s, style_p=_PHONE_STYLES, missing_rate=cfg.sponsor_phone_missing_rate, cfg=cfg
    )
    category = np.array([_CATEGORY.get(k, "3") for k in REL_KEYS], dtype=object)
    cols = {
        layout.HHS_KEY: key,
        layout.HHS_DATE: cx.format_dates(*cx.date_parts(r.date), layout.HHS_DATE_FORMAT),
        layout.HHS_XREF: xref,
        layout.HHS_ANUM: anum,
        layout.HHS_FIRST: first,
        layout.HHS_MIDDLE: middle,
        layout.HHS_LAST1: last1,
        layout.HHS_LAST2: last2,
        layout.HHS_DOB: dob,
        layout.HHS_DOB_EST: np.where(est, "Y", "N").astype(object),
        layout.HHS_SEX: cx.render_sex(rng, pop.sex[c], ("M", "F"), cfg.sex_missing_rate),
        layout.HHS_COUNTRY: country,
        layout.HHS_SP_NAME: _sponsor_names(rng, pop, s, cfg),
        layout.HHS_SP_DOB: sp_dob,
        layout.HHS_SP_REL: _relationships(rng, r.relationship.astype(np.int64), cfg),
        layout.HHS_SP_CATEGORY: category[r.relationship],
        layout.HHS_SP_ADDRESS: address,
        layout.HHS_SP_PHONE: phone,
    }
    return Extract(layout=layout.HHS, frame=frame(layout.HHS, cols), person=c, sponsor=s)
