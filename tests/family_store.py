"""A small real run with its family relations, persisted once per test session.

400 sample people (seed 7) -> reconcile -> the batch's family stage
(`linker.family.run.run_relations`, which writes relations.csv in a real run) ->
`persist_run(..., relations=...)`.

The generator's unaccompanied children cross alone (or with a sibling), so no child in
it has both a sponsor and an adult they crossed with. One such case is staged in the
CBP extract before the run, the way the reports describe it: a child apprehended in one
family unit with an unrelated adult (an uncle, a smuggler's "parent"), the adult released
and the child referred to HHS and placed with a sponsor. Only the extract changes; the
batch finds the co-traveller relation itself. The SQLite file is built once per process and copied
per test; the reconcile result stays in memory for tests that persist a second run.
`family_cases` picks, from the relations, the people the tests look at (a child with a
sponsor and an adult they crossed with), so no test hard-codes an entity id.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from linker.family import kinds as K

PEOPLE = 400
SEED = 7
_BUILT: dict[str, FamilyRun] = {}


@dataclass(frozen=True)
class FamilyRun:
    path: Path  # the template SQLite store (copy it, never open it in a test)
    result: Any  # linker.reconcile.ReconcileResult
    records: pd.DataFrame  # records.parquet as persisted
    relations: pd.DataFrame  # the batch's relations frame

    def copy_to(self, folder: Path) -> str:
        target = folder / "linker.db"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


def family_run(base: Path) -> FamilyRun:
    """Build (once per process) the store of a 400-person run with relations."""
    if "run" in _BUILT:
        return _BUILT["run"]
    from linker.family.run import run_relations
    from linker.mapping import load_mapping
    from linker.reconcile import reconcile
    from linker.sampledata import generate_sample
    from linker.store import Store
    from linker.store.runs import persist_run

    generate_sample(PEOPLE, SEED, base / "sample")
    stage_separation(base / "sample")
    records_path = base / "records.parquet"
    result = reconcile(load_mapping(base / "sample" / "mapping.toml"), records_path=records_path)
    records = pd.read_parquet(records_path)
    relations = run_relations(records, result.entities).relations
    path = base / "linker.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        persist_run(store, result, records, relations=relations)
    finally:
        store.close()
    _BUILT["run"] = FamilyRun(path, result, records, relations)
    return _BUILT["run"]


STAGED_GROUP = "SEP0000001"


def stage_separation(sample: Path) -> None:
    """Put the first referred child's CBP event and a released single adult's into one
    family unit (same FAMU_ID and date), in the CBP extract."""
    persons = pd.read_csv(sample / "truth" / "persons.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(sample / "truth" / "records.csv", dtype=str, keep_default_na=False)
    category = persons.set_index("person_id")["category"]
    cbp_path = sample / "cbp_apprehensions.csv"
    cbp = pd.read_csv(cbp_path, dtype=str, keep_default_na=False, encoding="utf-8")
    hhs = pd.read_csv(
        sample / "hhs_referrals.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    child_event = sorted(set(hhs["CBP_APPREHENSION_ID"]) & set(cbp["EVENT_ID"]))[0]
    person_of = truth.set_index(["source", "record_key"])["person_id"]
    singles = truth.loc[truth["person_id"].map(category) == "single_adult"]
    released = set(singles.loc[singles["source"] == "ice", "person_id"])
    adult_events = singles.loc[
        (singles["source"] == "cbp") & singles["person_id"].isin(released), "record_key"
    ]
    adult_event = sorted(set(adult_events) & set(cbp.loc[cbp["FAMU_ID"] == "", "EVENT_ID"]))[0]
    assert category[person_of[("cbp", child_event)]] == "unaccompanied_child"
    child_row = cbp["EVENT_ID"] == child_event
    adult_row = cbp["EVENT_ID"] == adult_event
    cbp.loc[child_row | adult_row, "FAMU_ID"] = STAGED_GROUP
    cbp.loc[adult_row, "APPREHENSION_DT"] = cbp.loc[child_row, "APPREHENSION_DT"].iloc[0]
    cbp.to_csv(cbp_path, index=False, encoding="utf-8")


@dataclass(frozen=True)
class Cases:
    child: str  # a minor with a sponsor and an adult they crossed the border with
    sponsor: str
    travelling_adult: str
    unrelated: str  # someone in no relation with the child's family group


def family_cases(relations: pd.DataFrame, people: pd.DataFrame) -> Cases:
    """`people` is a FamilyGraph's people frame (indexed by entity id)."""
    sponsored = relations.loc[relations[K.RELATION] == K.SPONSOR_OF]
    travelled = relations.loc[relations[K.RELATION] == K.CO_TRAVELER]
    adult = people["age"].astype("Float64").fillna(-1).to_numpy() >= 18
    adults = set(people.index[adult])
    for child in sorted(sponsored[K.ENTITY_B].unique()):
        if not bool(people.loc[child, "minor"]):
            continue
        with_child = travelled.loc[
            (travelled[K.ENTITY_A] == child) | (travelled[K.ENTITY_B] == child)
        ]
        others = set(with_child[K.ENTITY_A]) | set(with_child[K.ENTITY_B])
        crossed = sorted((others - {child}) & adults)
        if crossed:
            sponsor = sorted(sponsored.loc[sponsored[K.ENTITY_B] == child, K.ENTITY_A])[0]
            group = people.loc[child, K.FAMILY_GROUP_ID]
            linked = set(relations[K.ENTITY_A]) | set(relations[K.ENTITY_B])
            loner = sorted(set(people.index[people[K.FAMILY_GROUP_ID] != group]) - linked)[0]
            return Cases(child, sponsor, crossed[0], loner)
    raise AssertionError("the sample holds no sponsored child who crossed with an adult")
