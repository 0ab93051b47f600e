"""Writing the extracts, their mapping and the ground truth to a folder.

Files are written byte for byte the same for a seed: every column is a string, line ends
are "\\n", JSON keys keep their order. The ICE file is cp1252 and the HHS file UTF-8 with
a byte-order mark, as those agencies' Windows exports are; an unencodable character is
an error here, not a silent '?', because the pools are built to fit.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd

from linker.sampledata import layout, pools
from linker.sampledata.config import SampleConfig
from linker.sampledata.corruption import date_parts, format_dates
from linker.sampledata.extracts import Extract
from linker.sampledata.population import FAMILY_CHILD, PARENT, SINGLE, SPONSOR, UAC, Population
from linker.sampledata.relations import RELATION_KINDS

TRUTH_DIR = "truth"
MAPPING_FILE = "mapping.toml"
_ROLE = {SINGLE: "adult", PARENT: "adult", FAMILY_CHILD: "child", UAC: "child", SPONSOR: "sponsor"}
_CATEGORY = {
    SINGLE: "single_adult",
    PARENT: "family_parent",
    FAMILY_CHILD: "family_child",
    UAC: "unaccompanied_child",
    SPONSOR: "sponsor",
}


def person_ids(n: int) -> np.ndarray:
    width = max(7, len(str(n)))
    return "P" + np.char.zfill(np.arange(1, n + 1).astype(str), width).astype(object)


def _csv(frame: pd.DataFrame, path: Path, encoding: str) -> None:
    """Write string columns with the csv module (quotes only where needed, "\n" endings).

    Twice as fast as DataFrame.to_csv on object columns, and the bytes are the same.
    """
    columns = [frame[c].to_numpy(dtype=object) for c in frame.columns]
    with path.open("w", encoding=encoding, errors="strict", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(frame.columns)
        out.writerows(zip(*columns, strict=True))


def write_extract(ex: Extract, out_dir: Path) -> Path:
    path = out_dir / ex.layout.file
    _csv(ex.frame, path, ex.layout.encoding)
    return path


def truth_records(extracts: list[Extract], pid: np.ndarray) -> pd.DataFrame:
    """source, record_key, person_id: one row per person record, sponsors as '<key>:sponsor'."""
    parts = []
    for ex in extracts:
        keys = ex.frame[ex.layout.key].to_numpy(dtype=object)
        if ex.sponsor is None:
            rk, person = keys, ex.person
        else:
            rk = np.empty(2 * len(keys), dtype=object)
            rk[0::2], rk[1::2] = keys, keys + ":" + layout.SPONSOR_ROLE
            person = np.empty(2 * len(keys), dtype=np.int64)
            person[0::2], person[1::2] = ex.person, ex.sponsor
        parts.append(
            pd.DataFrame(
                {"source": ex.layout.name, "record_key": rk, "person_id": pid[person]},
                dtype=object,
            )
        )
    return pd.concat(parts, ignore_index=True)


def truth_persons(pop: Population, pid: np.ndarray) -> pd.DataFrame:
    gt, st = pools.given_names(), pools.surnames()
    form = pools.TITLE_ACCENT
    fid_width = max(7, len(str(int(pop.family.max()) + 1)))
    family_id = "F" + np.char.zfill((pop.family + 1).astype(str), fid_width).astype(object)
    a = np.maximum(pop.a_number, 0)
    a_str = np.char.zfill(a.astype(str), 9).astype(object)
    kind_role = np.array([_ROLE[k] for k in range(5)], dtype=object)
    kind_cat = np.array([_CATEGORY[k] for k in range(5)], dtype=object)
    return pd.DataFrame(
        {
            "person_id": pid,
            "family_id": family_id,
            "given_name": gt.forms[form, pop.given],
            "middle_name": gt.forms[form, pop.middle],
            "family_name_1": st.forms[form, pop.fam1],
            "family_name_2": st.forms[form, pop.fam2],
            "dob": format_dates(*date_parts(pop.dob), "%Y-%m-%d"),
            "sex": np.where(pop.sex == 1, "F", "M").astype(object),
            "country": pools.country_arrays()["iso2"][pop.country],
            "is_minor": np.where(pop.is_minor, "true", "false").astype(object),
            "role": kind_role[pop.kind],
            "category": kind_cat[pop.kind],
            "a_number": np.where(pop.a_number >= 0, a_str, ""),
        },
        dtype=object,
    )


def truth_relations(pop: Population, pid: np.ndarray) -> pd.DataFrame:
    rel = pop.relations
    return pd.DataFrame(
        {
            "person_a": pid[rel.a],
            "person_b": pid[rel.b],
            "relation": np.array(RELATION_KINDS, dtype=object)[rel.kind],
        },
        dtype=object,
    )


def write_truth(
    out_dir: Path,
    records: pd.DataFrame,
    persons: pd.DataFrame,
    relations: pd.DataFrame,
    cfg: SampleConfig,
    seed: int,
    people: int,
) -> dict[str, Path]:
    truth = out_dir / TRUTH_DIR
    truth.mkdir(parents=True, exist_ok=True)
    paths = {
        "truth_records": truth / "records.csv",
        "truth_persons": truth / "persons.csv",
        "truth_relations": truth / "relations.csv",
        "truth_config": truth / "config.json",
    }
    _csv(records, paths["truth_records"], "utf-8")
    _csv(persons, paths["truth_persons"], "utf-8")
    _csv(relations, paths["truth_relations"], "utf-8")
    config = {"seed": seed, "people": people, **cfg.to_dict()}
    paths["truth_config"].write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return paths


def write_mapping(out_dir: Path) -> Path:
    path = out_dir / MAPPING_FILE
    path.write_text(layout.mapping_toml(), encoding="utf-8", newline="\n")
    return path
