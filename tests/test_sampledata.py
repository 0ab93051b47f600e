"""The sample-data generator: determinism, truth consistency, configured error rates."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from unidecode import unidecode

from linker.errors import ConfigError
from linker.mapping import load_mapping
from linker.sampledata import SampleConfig, SampleSummary, generate_sample, layout, pools
from linker.standardize.phones import standardize_phones

FILES = (
    "cbp_apprehensions.csv",
    "ice_releases.csv",
    "hhs_referrals.csv",
    "mapping.toml",
    "truth/records.csv",
    "truth/persons.csv",
    "truth/relations.csv",
    "truth/config.json",
)
RELEASED = {"NTA/OR", "PAROLE/ATD", "NTA/OR+ATD"}
ACCENTED = re.compile("[ÁÉÍÓÚÑÜáéíóúñü]")
CBP_ADDRESS = [
    layout.CBP_ADDR_NO,
    layout.CBP_ADDR_STREET,
    layout.CBP_ADDR_CITY,
    layout.CBP_ADDR_STATE,
    layout.CBP_ADDR_ZIP,
]


@dataclass
class Sample:
    dir: Path
    summary: SampleSummary
    cfg: SampleConfig
    cbp: pd.DataFrame
    ice: pd.DataFrame
    hhs: pd.DataFrame
    records: pd.DataFrame
    persons: pd.DataFrame  # indexed by person_id
    relations: pd.DataFrame


def _read(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)


def _load(out: Path, summary: SampleSummary, cfg: SampleConfig) -> Sample:
    records = _read(out / "truth/records.csv")
    primary = records[~records.record_key.str.contains(":")].set_index(["source", "record_key"])
    cbp = _read(out / layout.CBP.file)
    ice = _read(out / layout.ICE.file, "cp1252")
    hhs = _read(out / layout.HHS.file, "utf-8-sig")
    for name, frame in (("cbp", cbp), ("ice", ice), ("hhs", hhs)):
        key = {"cbp": layout.CBP_KEY, "ice": layout.ICE_KEY, "hhs": layout.HHS_KEY}[name]
        index = pd.MultiIndex.from_arrays([[name] * len(frame), frame[key]])
        frame["pid"] = primary.loc[index, "person_id"].to_numpy()
    sponsors = records[records.record_key.str.endswith(":sponsor")]
    hhs["sponsor_pid"] = (
        sponsors.set_index("record_key")
        .loc[hhs[layout.HHS_KEY] + ":sponsor", "person_id"]
        .to_numpy()
    )
    return Sample(
        dir=out,
        summary=summary,
        cfg=cfg,
        cbp=cbp,
        ice=ice,
        hhs=hhs,
        records=records,
        persons=_read(out / "truth/persons.csv").set_index("person_id"),
        relations=_read(out / "truth/relations.csv"),
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    out = tmp_path_factory.mktemp("sample")
    messages: list[str] = []
    summary = generate_sample(16_000, 11, out, progress=messages.append)
    assert messages and messages[-1].startswith("done")
    return _load(out, summary, SampleConfig())


NON_DEFAULT = SampleConfig(
    cbp_anum_missing_rate=0.5,
    cbp_address_missing_rate=0.1,
    surname_drop_rate=0.4,
    dob_swap_rate=0.2,
    ice_no_checkin_rate=0.6,
    hhs_dob_estimated_rate=0.6,
)


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    out = tmp_path_factory.mktemp("other")
    return _load(out, generate_sample(12_000, 5, out, config=NON_DEFAULT), NON_DEFAULT)


# --- determinism -----------------------------------------------------------------------


def test_same_seed_same_bytes_and_different_seed_differs(tmp_path: Path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_sample(2_000, seed, tmp_path / name)
    for f in FILES:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    for f in FILES[:3] + FILES[4:7]:
        assert (tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes(), f


# --- truth and extracts agree ---------------------------------------------------------------


def test_every_truth_record_is_in_its_extract_and_back(sample: Sample) -> None:
    rec = sample.records
    assert not rec.duplicated(["source", "record_key"]).any()
    for lay, frame in ((layout.CBP, sample.cbp), (layout.ICE, sample.ice)):
        keys = set(rec.loc[rec.source == lay.name, "record_key"])
        assert keys == set(frame[lay.key])
        assert frame[lay.key].is_unique
    hhs_keys = set(rec.loc[rec.source == "hhs", "record_key"])
    rows = set(sample.hhs[layout.HHS_KEY])
    assert hhs_keys == rows | {k + ":sponsor" for k in rows}
    assert set(rec.person_id) <= set(sample.persons.index)
    assert len(sample.persons) == sample.summary.people == 16_000
    assert sample.summary.total_records == len(rec)
    assert sample.summary.rows == {
        "cbp": len(sample.cbp),
        "ice": len(sample.ice),
        "hhs": len(sample.hhs),
    }


def test_sponsors_are_people_of_the_population_some_with_own_records(sample: Sample) -> None:
    roles = sample.persons.loc[sample.hhs.sponsor_pid, "role"]
    assert (roles == "sponsor").all()
    assert (sample.persons.loc[sample.hhs.pid, "category"] == "unaccompanied_child").all()
    with_history = set(sample.hhs.sponsor_pid) & set(sample.cbp.pid)
    assert len(with_history) > 50
    per_sponsor = sample.hhs.groupby("sponsor_pid").size()
    assert per_sponsor.max() >= 3  # someone sponsors several children


def test_mapping_parses_and_names_existing_columns(sample: Sample) -> None:
    text = (sample.dir / "mapping.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert [s["name"] for s in data["sources"]] == ["cbp", "ice", "hhs"]
    mapping = load_mapping(sample.dir / "mapping.toml")
    headers = {"cbp": sample.cbp.columns, "ice": sample.ice.columns, "hhs": sample.hhs.columns}
    for source in mapping.sources:
        missing = set(source.columns_used()) - set(headers[source.name])
        assert not missing, (source.name, missing)
    hhs = mapping.source("hhs")
    assert hhs.related[0].role == "sponsor" and hhs.related[0].relation == "sponsor_of"
    assert mapping.source("cbp").field("country").codes == "fips"
    assert mapping.source("ice").field("cross_reference").source == "cbp"


def test_encodings_per_agency(sample: Sample) -> None:
    ice_bytes = (sample.dir / layout.ICE.file).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        ice_bytes.decode("utf-8")
    assert ACCENTED.search(ice_bytes.decode("cp1252"))
    assert sample.ice[layout.ICE_NAME].str.contains(ACCENTED).mean() > 0.3
    assert (sample.dir / layout.HHS.file).read_bytes().startswith(b"\xef\xbb\xbf")
    cbp_bytes = (sample.dir / layout.CBP.file).read_bytes()
    assert not cbp_bytes.startswith(b"\xef\xbb\xbf")
    names = sample.cbp[[layout.CBP_FIRST, layout.CBP_LAST]].to_numpy().ravel()
    assert all(n.isascii() for n in names)  # CBP strips accents


def test_config_json_round_trips(other: Sample) -> None:
    saved = json.loads((other.dir / "truth/config.json").read_text(encoding="utf-8"))
    assert saved["seed"] == 5 and saved["people"] == 12_000
    assert SampleConfig.from_dict(saved) == NON_DEFAULT


# --- error rates as configured -------------------------------------------------------------


def _cbp_anum_missing(s: Sample) -> float:
    return float((s.cbp[layout.CBP_ANUM] == "").mean())


def _cbp_address_missing(s: Sample) -> float:
    return float((s.cbp[CBP_ADDRESS] == "").all(axis=1).mean())


def _released_adults_without_ice(s: Sample) -> float:
    released = s.cbp[s.cbp[layout.CBP_DISPOSITION].isin(RELEASED)].pid.unique()
    adults = released[(s.persons.is_minor.loc[released] == "false").to_numpy()]
    return 1 - float(pd.Series(adults).isin(s.ice.pid).mean())


def _two_surname_children(s: Sample) -> tuple[pd.DataFrame, pd.DataFrame]:
    truth = s.persons.loc[s.hhs.pid]
    two = (truth.family_name_2 != "").to_numpy() & (
        truth.family_name_1 != truth.family_name_2
    ).to_numpy()
    return s.hhs[two], truth[two]


def _surname_dropped(s: Sample) -> float:
    rows, _ = _two_surname_children(s)
    return float((rows[layout.HHS_LAST2] == "").mean())


def _surname_swapped(s: Sample) -> float:
    rows, truth = _two_surname_children(s)

    def norm(v: pd.Series) -> pd.Series:
        return v.map(lambda x: unidecode(x).upper())

    p1, p2 = norm(rows[layout.HHS_LAST1]).to_numpy(), norm(rows[layout.HHS_LAST2]).to_numpy()
    t1, t2 = norm(truth.family_name_1).to_numpy(), norm(truth.family_name_2).to_numpy()
    return float(((p1 == t2) & (p2 == t1)).mean())


def _dob_swapped(s: Sample) -> float:
    """Among adults' CBP rows whose true day <= 12 (and != month): written day/month swapped."""
    truth = s.persons.loc[s.cbp.pid]
    true = pd.DatetimeIndex(pd.to_datetime(truth.dob, format="%Y-%m-%d"))
    written = pd.DatetimeIndex(
        pd.to_datetime(s.cbp[layout.CBP_DOB], format=layout.CBP_DATE_FORMAT, errors="coerce")
    )
    eligible = (true.day <= 12) & (true.day != true.month) & (truth.is_minor == "false").to_numpy()
    swapped = (
        (written.month == true.day) & (written.day == true.month) & (written.year == true.year)
    )
    return float(np.asarray(swapped)[eligible].mean())


def _hhs_estimated(s: Sample) -> float:
    return float((s.hhs[layout.HHS_DOB_EST] == "Y").mean())


RATES = [
    # (measure, config field, tolerance, factor: expected = factor * rate)
    (_cbp_anum_missing, "cbp_anum_missing_rate", 0.03, 1.0),
    (_cbp_address_missing, "cbp_address_missing_rate", 0.03, 1.0),
    (_released_adults_without_ice, "ice_no_checkin_rate", 0.04, 1.0),
    (_surname_dropped, "surname_drop_rate", 0.03, 1.0),
    (_surname_swapped, "surname_swap_rate", 0.025, 1.0),
    # the 3% written in another format do not parse with the house format
    (_dob_swapped, "dob_swap_rate", 0.012, 0.97),
    (_hhs_estimated, "hhs_dob_estimated_rate", 0.04, 1.0),
]


@pytest.mark.parametrize(("measure", "field", "tol", "factor"), RATES, ids=[r[1] for r in RATES])
def test_default_rates_come_out_as_configured(sample: Sample, measure, field, tol, factor) -> None:
    expected = getattr(sample.cfg, field) * factor
    assert measure(sample) == pytest.approx(expected, abs=tol)


@pytest.mark.parametrize(("measure", "field", "tol", "factor"), RATES, ids=[r[1] for r in RATES])
def test_non_default_rates_are_honoured(other: Sample, measure, field, tol, factor) -> None:
    expected = getattr(other.cfg, field) * factor
    assert measure(other) == pytest.approx(expected, abs=tol * 1.5)


def test_some_addresses_are_shared_by_many_people(sample: Sample) -> None:
    cbp = sample.cbp[sample.cbp[layout.CBP_ADDR_STREET] != ""]
    line = (
        cbp[layout.CBP_ADDR_NO]
        + " "
        + cbp[layout.CBP_ADDR_STREET]
        + " "
        + cbp[layout.CBP_ADDR_CITY]
    )
    assert cbp.groupby(line).pid.nunique().max() >= 10
    # copy-pasted runs: consecutive rows of different people with one street line
    same = (cbp[layout.CBP_ADDR_STREET] == cbp[layout.CBP_ADDR_STREET].shift()) & (
        cbp.pid != cbp.pid.shift()
    )
    assert same.sum() > 100


def test_estimated_hhs_dates_are_first_of_january(sample: Sample) -> None:
    est = sample.hhs[sample.hhs[layout.HHS_DOB_EST] == "Y"][layout.HHS_DOB]
    est = est[est != ""]
    parsed = pd.to_datetime(est, format=layout.HHS_DATE_FORMAT, errors="coerce").dropna()
    assert len(parsed) > 0.9 * len(est)
    assert ((parsed.dt.month == 1) & (parsed.dt.day == 1)).all()


def test_a_numbers_are_nine_digits_in_several_formats(sample: Sample) -> None:
    values = pd.concat(
        [sample.cbp[layout.CBP_ANUM], sample.ice[layout.ICE_ANUM], sample.hhs[layout.HHS_ANUM]]
    )
    values = values[values != ""]
    digits = values.str.replace(r"\D", "", regex=True)
    assert digits.str.len().isin([8, 9]).all()
    assert (digits.str.len() == 8).any()  # a leading zero dropped
    shapes = values.str.replace(r"\d", "9", regex=True).value_counts()
    assert {"A999999999", "A-999-999-999", "999999999", "A# 999 999 999"} <= set(shapes.index)
    truth = sample.persons.a_number[sample.persons.a_number != ""]
    assert truth.str.fullmatch(r"\d{9}").all() and truth.str.startswith("0").mean() > 0.2


def test_phones_are_valid_numbers(sample: Sample) -> None:
    """Every phone written reads as a valid number: a U.S. one, or a number of the
    person's own country, written in each way clerks write one."""
    written = [
        (sample.cbp[layout.CBP_PHONE], sample.cbp.pid),
        (sample.ice[layout.ICE_PHONE], sample.ice.pid),
        (sample.hhs[layout.HHS_SP_PHONE], sample.hhs.sponsor_pid),
    ]
    phones = pd.concat([phone for phone, _ in written], ignore_index=True)
    people = pd.concat([pid for _, pid in written], ignore_index=True)
    homes = pd.Series(sample.persons.loc[people, "country"].to_numpy(), index=phones.index)
    given = phones != ""
    read = standardize_phones(phones[given], "US", homes[given])
    assert read.notna().all(), phones[given][read.isna()].head().tolist()
    foreign = ~read.str.startswith("+1")
    forms, e164 = phones[given][foreign], read[foreign]
    digits = forms.str.replace(r"\D", "", regex=True)
    assert forms.str.match(r"\+5\d").any()  # "+502 5555 1234"
    assert (~forms.str.startswith("+") & (digits == e164.str[1:])).any()  # "502 5555 1234"
    assert forms.str.fullmatch(r"[1-9]\d{10,12}").any()  # "50255551234"
    assert (digits.str.len() < e164.str.len() - 1).any()  # national: "5555 1234"


def test_country_codes_per_agency(sample: Sample) -> None:
    fips = {c.fips for c, *_ in pools.COUNTRIES} | {""}
    assert set(sample.cbp[layout.CBP_COUNTRY]) <= fips
    assert "HO" in set(sample.cbp[layout.CBP_COUNTRY])  # Honduras in FIPS
    assert {"Honduras", "HND"} <= set(sample.ice[layout.ICE_COUNTRY])
    assert "Guatemala" in set(sample.hhs[layout.HHS_COUNTRY])


def test_names_have_nicknames_variants_and_latin_surnames(sample: Sample) -> None:
    truth = sample.persons.loc[sample.cbp.pid]
    first = sample.cbp[layout.CBP_FIRST].to_numpy()
    nick = (truth.given_name.to_numpy() == "Guadalupe") & (first == "LUPE")
    assert nick.any()
    variants = (truth.given_name.to_numpy() == "Aleksandr") & np.isin(
        first, ["ALEXANDER", "ALEXANDR", "ALEKSANDER", "OLEKSANDR"]
    )
    assert variants.any()
    surnames = sample.persons.family_name_1.value_counts(normalize=True)
    assert surnames.head(10).sum() > 0.25  # a few surnames cover a large share
    # a child's surnames are the father's first and the mother's first
    rel = sample.relations
    spouses = rel[rel.relation == "spouse_of"]
    parent = rel[rel.relation == "parent_of"]
    p = sample.persons
    checked = 0
    for a, b in spouses[["person_a", "person_b"]].head(200).itertuples(index=False):
        father, mother = (a, b) if p.at[a, "sex"] == "M" else (b, a)
        if p.at[father, "family_name_2"] == "":
            continue
        for child in parent[parent.person_a == father].person_b:
            assert p.at[child, "family_name_1"] == p.at[father, "family_name_1"]
            assert p.at[child, "family_name_2"] == p.at[mother, "family_name_1"]
            checked += 1
    assert checked > 50


# --- relations truth ------------------------------------------------------------------------


def test_co_travelers_are_exactly_the_pairs_of_family_unit_events(sample: Sample) -> None:
    fam = sample.cbp[sample.cbp[layout.CBP_FAMU] != ""]
    pairs: set[tuple[str, str]] = set()
    for members in fam.groupby(layout.CBP_FAMU).pid.agg(sorted):
        pairs |= set(combinations(members, 2))
    rel = sample.relations
    co = set(
        rel.loc[rel.relation == "co_traveler", ["person_a", "person_b"]].itertuples(
            index=False, name=None
        )
    )
    assert co == pairs


def test_sponsor_of_points_from_sponsor_to_child(sample: Sample) -> None:
    rel = sample.relations
    sponsor_of = set(
        rel.loc[rel.relation == "sponsor_of", ["person_a", "person_b"]].itertuples(
            index=False, name=None
        )
    )
    assert sponsor_of == set(zip(sample.hhs.sponsor_pid, sample.hhs.pid, strict=True))
    roles = sample.persons.role
    assert (roles[[a for a, _ in sponsor_of]] == "sponsor").all()
    assert (roles[[b for _, b in sponsor_of]] == "child").all()


def test_relation_kinds_and_directions(sample: Sample) -> None:
    rel = sample.relations
    assert set(rel.relation) == {
        "parent_of",
        "sponsor_of",
        "sibling_of",
        "spouse_of",
        "co_traveler",
    }
    symmetric = rel[rel.relation.isin(["sibling_of", "spouse_of", "co_traveler"])]
    assert (symmetric.person_a < symmetric.person_b).all()
    assert not rel.duplicated().any()
    parents = rel[rel.relation == "parent_of"]
    dob = sample.persons.dob
    assert (dob[parents.person_a].to_numpy() < dob[parents.person_b].to_numpy()).all()


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cbp_anum_missing_rate": 1.5}, "cbp_anum_missing_rate must be between 0 and 1"),
        ({"surname_drop_rate": -0.1}, "surname_drop_rate must be between 0 and 1"),
        ({"nickname_rate": None}, "nickname_rate must be a number"),
        ({"family_unit_share": 0.6, "uac_share": 0.5}, "must leave room for single adults"),
    ],
)
def test_bad_config_is_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SampleConfig(**kwargs)


def test_unknown_setting_and_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown sample-data setting 'typo_rate'"):
        SampleConfig.from_dict({"typo_rate": 0.1})
    with pytest.raises(ConfigError, match="people must be"):
        generate_sample(10, 1, tmp_path)
    with pytest.raises(ConfigError, match="seed must be"):
        generate_sample(1000, -1, tmp_path)


def test_without_errors_the_extracts_hold_the_truth(tmp_path: Path) -> None:
    """With every name, date and A-number error at zero, CBP rows equal the truth."""
    clean = dataclasses.replace(
        SampleConfig(),
        **{
            f.name: 0.0
            for f in dataclasses.fields(SampleConfig)
            if f.name.startswith(("surname_", "nickname", "middle_", "first_last", "name_typo"))
            or f.name.startswith(("transliteration", "dob_", "child_dob", "cbp_anum", "anum_"))
        },
    )
    generate_sample(1_500, 2, tmp_path, config=clean)
    s = _load(tmp_path, SampleSummary(1_500, 2, tmp_path), clean)
    truth = s.persons.loc[s.cbp.pid]

    def upper_plain(v: pd.Series) -> np.ndarray:
        return v.map(lambda x: unidecode(x).upper()).to_numpy()

    def written(column: str) -> np.ndarray:  # CBP writes a few records in title case
        return s.cbp[column].str.upper().to_numpy()

    assert (written(layout.CBP_FIRST) == upper_plain(truth.given_name)).all()
    assert (written(layout.CBP_MIDDLE) == upper_plain(truth.middle_name)).all()
    last = (truth.family_name_1 + " " + truth.family_name_2).str.strip()
    assert (written(layout.CBP_LAST) == upper_plain(last)).all()
    dob = pd.to_datetime(s.cbp[layout.CBP_DOB], format=layout.CBP_DATE_FORMAT)
    assert (dob.dt.strftime("%Y-%m-%d").to_numpy() == truth.dob.to_numpy()).all()
    assert (s.cbp[layout.CBP_ANUM].to_numpy() == truth.a_number.to_numpy()).all()


@pytest.mark.parametrize("extreme", ["zero", "high"])
def test_extreme_configs_still_generate(tmp_path: Path, extreme: str) -> None:
    names = [f.name for f in dataclasses.fields(SampleConfig)]
    if extreme == "zero":
        cfg = SampleConfig(**dict.fromkeys(names, 0.0))
    else:
        values = dict.fromkeys(names, 1.0)
        values |= {"family_unit_share": 0.4, "uac_share": 0.3, "sponsor_relative_rate": 0.0}
        values |= {"address_no_number_rate": 0.5, "address_city_only_rate": 0.5}
        values |= {f"dob_{k}_rate": 0.2 for k in ("missing", "impossible", "placeholder")}
        values |= {"dob_swap_rate": 0.2, "dob_typo_rate": 0.2}
        cfg = SampleConfig(**values)
    summary = generate_sample(300, 1, tmp_path, config=cfg)
    records = _read(tmp_path / "truth/records.csv")
    assert summary.total_records == len(records) > 0
    if extreme == "zero":  # only single adults, each met once, none released
        assert summary.rows == {"cbp": 300, "ice": 0, "hhs": 0}
    else:
        assert (_read(tmp_path / layout.CBP.file)[layout.CBP_ANUM] == "").all()
