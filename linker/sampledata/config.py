"""The knobs of the sample-data generator, and what it reports back.

Every error the generator puts into the extracts is a rate in `SampleConfig`, so a test
(or an accuracy study) can turn one kind of mess up or down and see the effect. The
defaults follow the shapes the public DHS-OIG and GAO reports describe: about a third of
CBP records with no U.S. address, a quarter without an A-number, three in ten released
adults who never report to ICE, sponsors who take in several unrelated children.

Rates apply independently per record: a record's chance of one error does not depend on
the others, except where two errors cannot both hold (a blank date cannot also be
swapped); there the kinds share one draw so each still comes out at its configured rate.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linker.errors import ConfigError


@dataclass(frozen=True)
class SampleConfig:
    """Every configured rate of the generator, with realistic defaults."""

    # --- population ---------------------------------------------------------------
    family_unit_share: float = 0.33  # share of persons who travel in a family unit
    uac_share: float = 0.08  # share of persons who are unaccompanied children
    two_parent_rate: float = 0.35  # family units with both parents (else one, mostly the mother)
    uac_sibling_rate: float = 0.12  # UAC referrals where two siblings travel together
    repeat_crosser_rate: float = 0.15  # groups with 2-3 CBP events instead of one
    single_adult_release_rate: float = 0.55  # single adults released by CBP (rest removed)
    family_release_rate: float = 0.92  # family units released by CBP
    ice_no_checkin_rate: float = 0.30  # released people who never check in with ICE
    sponsor_parent_rate: float = 0.45  # UAC sponsored by a parent already in the U.S.
    sponsor_relative_rate: float = 0.40  # ... by a relative (rest: a non-relative)
    sponsor_history_rate: float = 0.35  # parent / relative sponsors with earlier CBP records
    multi_child_sponsor_rate: float = 0.04  # UAC placed with a sponsor of several unrelated kids

    # --- names (every source) --------------------------------------------------------
    surname_drop_rate: float = 0.15  # two-surname records written with one surname
    surname_swap_rate: float = 0.04  # two-surname records with the surnames in reverse order
    nickname_rate: float = 0.06  # records of names that have a nickname, written with it
    middle_merge_rate: float = 0.10  # records whose middle name is merged into the given name
    middle_drop_rate: float = 0.20  # records whose middle name is left out
    first_last_swap_rate: float = 0.02  # given and family names in each other's place
    name_typo_rate: float = 0.04  # records with one typo in one name field
    transliteration_rate: float = 0.45  # non-Latin names written in another romanization
    hhs_accent_strip_rate: float = 0.50  # HHS records without accents (CBP strips, ICE keeps)
    sponsor_last_first_rate: float = 0.20  # HHS sponsor names written "LAST, FIRST"

    # --- dates of birth ------------------------------------------------------------------
    dob_missing_rate: float = 0.02
    dob_impossible_rate: float = 0.005  # month 13, 31 February
    dob_placeholder_rate: float = 0.03  # 1 January of the true year
    dob_swap_rate: float = 0.04  # day and month swapped, where that is a valid date
    dob_typo_rate: float = 0.02  # one digit wrong
    dob_other_format_rate: float = 0.03  # written in another format than the source's own
    child_dob_estimate_rate: float = 0.10  # CBP / ICE minors with an age-based estimate
    hhs_dob_estimated_rate: float = 0.25  # HHS children with an estimate (flag DOB_ESTIMATED=Y)

    # --- A-numbers ------------------------------------------------------------------------
    cbp_anum_missing_rate: float = 0.28
    ice_anum_missing_rate: float = 0.06
    hhs_anum_missing_rate: float = 0.30
    cbp_anum_typo_rate: float = 0.01
    ice_anum_typo_rate: float = 0.03
    hhs_anum_typo_rate: float = 0.01
    anum_format_variant_rate: float = 0.25  # written in another format than the source's own

    # --- addresses -----------------------------------------------------------------------
    cbp_address_missing_rate: float = 0.33
    address_no_number_rate: float = 0.12  # present CBP addresses without a street number
    address_no_zip_rate: float = 0.20  # ... without a ZIP code
    address_city_only_rate: float = 0.08  # ... with the city and state only
    shelter_address_rate: float = 0.06  # present CBP addresses that are a shelter / NGO
    copy_paste_batch_rate: float = 0.01  # CBP rows that start a run of copy-pasted addresses
    ice_address_missing_rate: float = 0.08
    sponsor_address_missing_rate: float = 0.03

    # --- phones, sex, country, cross references ------------------------------------------
    cbp_phone_missing_rate: float = 0.45
    ice_phone_missing_rate: float = 0.12
    sponsor_phone_missing_rate: float = 0.05
    phone_foreign_rate: float = 0.08  # a home-country number instead of a U.S. one
    phone_shared_rate: float = 0.03  # a shelter's phone instead of the person's own
    sex_missing_rate: float = 0.02  # blank or "U"
    country_missing_rate: float = 0.01
    ice_cbp_xref_rate: float = 0.55  # ICE rows that cite the CBP event
    hhs_cbp_xref_missing_rate: float = 0.12  # HHS rows without the CBP event they came from
    subject_id_repeat_rate: float = 0.60  # repeat crossers' CBP rows with the SUBJECT_ID
    subject_id_other_rate: float = 0.05  # other CBP rows with the SUBJECT_ID
    travel_document_rate: float = 0.15  # CBP rows with a passport number
    relationship_spanish_rate: float = 0.25  # HHS relationships written in Spanish

    def __post_init__(self) -> None:
        problems = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{f.name} must be a number (got {value!r})")
            elif not 0.0 <= value <= 1.0:
                problems.append(f"{f.name} must be between 0 and 1 (got {value!r})")
        if not problems:
            if self.family_unit_share + self.uac_share > 0.9:
                problems.append(
                    "family_unit_share + uac_share must leave room for single adults "
                    f"(got {self.family_unit_share + self.uac_share:.2f}; at most 0.9)"
                )
            if self.sponsor_parent_rate + self.sponsor_relative_rate > 1.0:
                problems.append("sponsor_parent_rate + sponsor_relative_rate must be at most 1")
            mess = self.address_no_number_rate + self.address_city_only_rate
            if mess > 1.0:
                problems.append("address_no_number_rate + address_city_only_rate must be <= 1")
            dob = (
                self.dob_missing_rate
                + self.dob_impossible_rate
                + self.dob_placeholder_rate
                + self.dob_swap_rate
                + self.dob_typo_rate
            )
            if dob > 1.0:
                problems.append("the dob_* error rates together must be at most 1")
        if problems:
            raise ConfigError(problems)

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SampleConfig:
        """Build from a (partial) dict, e.g. truth/config.json; unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known - {"seed", "people"})
        if unknown:
            raise ConfigError(
                [f"unknown sample-data setting {k!r}" for k in unknown]
                + [f"known settings: {', '.join(sorted(known))}"]
            )
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class SampleSummary:
    """What one generation wrote: rows, person records and distinct persons per source."""

    people: int
    seed: int
    out_dir: Path
    rows: dict[str, int] = field(default_factory=dict)  # file rows per source
    records: dict[str, int] = field(default_factory=dict)  # person records (HHS: 2 per row)
    persons: dict[str, int] = field(default_factory=dict)  # distinct true persons per source
    relations: dict[str, int] = field(default_factory=dict)  # truth relations per kind
    paths: dict[str, Path] = field(default_factory=dict)  # name -> file written

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    def lines(self) -> list[str]:
        """A short human-readable summary (no personal data), one line per item."""
        out = [f"{self.people:,} people (seed {self.seed}) -> {self.total_records:,} records"]
        for name, rows in self.rows.items():
            out.append(
                f"  {name}: {rows:,} rows, {self.records.get(name, 0):,} person records, "
                f"{self.persons.get(name, 0):,} distinct people"
            )
        kinds = ", ".join(f"{k} {v:,}" for k, v in self.relations.items())
        out.append(f"  truth relations: {kinds}")
        out.append(f"  written to {self.out_dir}")
        return out
