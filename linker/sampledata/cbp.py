"""The CBP apprehensions extract: one row per person per encounter.

CBP writes names in upper case without accents, both surnames in one LAST_NAME column,
FIPS country codes, and the intended U.S. address in parts: a third of the time nothing,
often without a number or ZIP or only the city, sometimes a shelter's address given by
hundreds, and runs of consecutive rows where a clerk pasted one address into all. Rows
of a family unit share a FAMU_ID; repeat crossers have several EVENT_IDs and, on some of
them, the agency's own SUBJECT_ID.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from linker.sampledata import contact, layout, pools
from linker.sampledata import corruption as cx
from linker.sampledata.config import SampleConfig
from linker.sampledata.events import DISPOSITIONS, SECTORS, Events
from linker.sampledata.extracts import Extract, copy_paste, frame, phones, seq, year2
from linker.sampledata.population import UAC, Population

_OTHER_DOB_FORMATS = ("%Y-%m-%d", "%m-%d-%Y", "%d-%b-%Y")
_PHONE_STYLES = (3, 4, 3, 1, 1, 1)  # weights of contact.US_FORMATS


def _addresses(
    rng: np.random.Generator,
    pop: Population,
    hh: contact.Households,
    p: np.ndarray,
    cfg: SampleConfig,
) -> tuple[contact.AddressParts, np.ndarray]:
    """Address parts per row and the shelter index per row (-1 when not a shelter).

    Pasted runs are drawn first and always hold an address; the missing rate is raised on
    the other rows so the share of rows without an address still comes out as configured.
    """
    n = len(p)
    src = copy_paste(rng, n, cfg.copy_paste_batch_rate)
    in_run = src != np.arange(n)
    in_run[src[in_run]] = True
    free = n - int(in_run.sum())
    miss_p = min(1.0, cfg.cbp_address_missing_rate * n / free) if free else 0.0
    missing = ~in_run & (rng.random(n) < miss_p)
    upper = np.ones(n, dtype=bool)
    parts = contact.address_parts(rng, hh, pop.household[p], upper)
    shelter = np.where(
        rng.random(n) < cfg.shelter_address_rate, rng.integers(0, len(pools.SHELTERS), n), -1
    )
    parts = contact.choose(
        shelter >= 0, contact.shelter_parts(np.maximum(shelter, 0), upper), parts
    )
    city_only, no_number = cx.segments(
        rng.random(n), [cfg.address_city_only_rate, cfg.address_no_number_rate]
    )
    parts = contact.blank(parts, city_only, ("number", "street", "zip"))
    parts = contact.blank(parts, no_number, ("number",))
    parts = contact.blank(parts, rng.random(n) < cfg.address_no_zip_rate, ("zip",))
    parts = contact.blank(parts, missing, ("number", "street", "city", "state", "zip"))
    parts = contact.take(parts, src)
    return parts, np.where(missing[src], -1, shelter[src])


def build_cbp(
    rng: np.random.Generator,
    pop: Population,
    ev: Events,
    hh: contact.Households,
    cfg: SampleConfig,
) -> Extract:
    e = ev.cbp
    p = e.person
    n = len(p)
    yy = year2(e.date)
    sectors = np.array(SECTORS, dtype=object)[e.sector]
    key = sectors + yy + seq(n, 7)
    fam_rows = np.flatnonzero(e.is_family)
    famu = np.full(n, "", dtype=object)
    codes, uniques = pd.factorize(e.group_event[fam_rows])
    famu[fam_rows] = "FMU" + yy[fam_rows] + seq(len(uniques), 7)[codes]
    sid_p = np.where(e.repeat, cfg.subject_id_repeat_rate, cfg.subject_id_other_rate)
    subject = np.where(rng.random(n) < sid_p, pop.subject_id[p].astype(str).astype(object), "")

    style = cx.NameStyle(upper_share=0.97, accents="strip")
    nm = cx.render_names(rng, pop.given[p], pop.middle[p], pop.fam1[p], pop.fam2[p], cfg, style)
    last = cx.join(nm.fam1, nm.fam2)
    first = np.where(nm.first_last_swapped, last, nm.given)
    last = np.where(nm.first_last_swapped, nm.given, last)
    first, middle, last = cx.add_typos(rng, [first, nm.middle, last], cfg.name_typo_rate)

    est = pop.is_minor[p] & (rng.random(n) < cfg.child_dob_estimate_rate)
    dob = cx.render_dob(rng, pop.dob[p], cfg, layout.CBP_DATE_FORMAT, _OTHER_DOB_FORMATS, est)
    countries = pools.country_arrays()
    country = countries["fips"][pop.country[p]]
    country[rng.random(n) < cfg.country_missing_rate] = ""
    anum = cx.render_anumber(
        rng,
        pop.a_number[p],
        missing_rate=cfg.cbp_anum_missing_rate,
        typo_rate=cfg.cbp_anum_typo_rate,
        house="D9",
        variant_rate=cfg.anum_format_variant_rate,
    )
    doc_no = (pop.subject_id[p] * 7919) % 100_000_000
    doc = (
        countries["iso2"][pop.country[p]]
        + cx.PAD2[doc_no // 1_000_000]
        + cx.PAD3[(doc_no // 1000) % 1000]
        + cx.PAD3[doc_no % 1000]
    )
    doc = np.where((rng.random(n) < cfg.travel_document_rate) & ~pop.is_minor[p], doc, "")
    parts, shelter = _addresses(rng, pop, hh, p, cfg)
    phone = phones(
        rng,
        pop,
        hh,
        p,
        style_p=_PHONE_STYLES,
        missing_rate=cfg.cbp_phone_missing_rate,
        cfg=cfg,
        shelter=shelter,
    )
    cols = {
        layout.CBP_KEY: key,
        layout.CBP_DATE: cx.format_dates(*cx.date_parts(e.date), layout.CBP_DATE_FORMAT),
        layout.CBP_SECTOR: sectors,
        layout.CBP_SUBJECT: subject,
        layout.CBP_FAMU: famu,
        layout.CBP_LAST: last,
        layout.CBP_FIRST: first,
        layout.CBP_MIDDLE: middle,
        layout.CBP_DOB: dob,
        layout.CBP_SEX: cx.render_sex(rng, pop.sex[p], ("M", "F"), cfg.sex_missing_rate),
        layout.CBP_COUNTRY: country,
        layout.CBP_ANUM: anum,
        layout.CBP_DOC: doc,
        layout.CBP_ADDR_NO: parts.number,
        layout.CBP_ADDR_STREET: parts.street,
        layout.CBP_ADDR_CITY: parts.city,
        layout.CBP_ADDR_STATE: parts.state,
        layout.CBP_ADDR_ZIP: parts.zip,
        layout.CBP_PHONE: phone,
        layout.CBP_UAC: np.where(pop.kind[p] == UAC, "Y", "N").astype(object),
        layout.CBP_DISPOSITION: np.array(DISPOSITIONS, dtype=object)[e.disposition],
    }
    return Extract(layout=layout.CBP, frame=frame(layout.CBP, cols), person=p)
