"""Realistic, messy CBP / ICE / HHS sample extracts with their mapping and ground truth.

`generate_sample` draws a population (family units, single adults, unaccompanied
children and their sponsors), the records the three agencies hold about them, writes the
extracts the way each agency writes (its own columns, formats, encodings and errors),
the mapping that reads them, and the truth a run can be scored against:

    DIR/cbp_apprehensions.csv   UTF-8
    DIR/ice_releases.csv        cp1252
    DIR/hhs_referrals.csv       UTF-8 with BOM; child and sponsor on one row
    DIR/mapping.toml
    DIR/truth/records.csv       source, record_key, person_id
    DIR/truth/persons.csv       the true names, dates of birth, roles...
    DIR/truth/relations.csv     person_a, person_b, relation
    DIR/truth/config.json       the seed and every rate used

The same seed gives the same files byte for byte. Each stage draws from its own stream
(spawned from the seed), so changing one stage does not reshuffle the others.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from linker.errors import ConfigError
from linker.sampledata import writer
from linker.sampledata.cbp import build_cbp
from linker.sampledata.config import SampleConfig, SampleSummary
from linker.sampledata.contact import build_households
from linker.sampledata.events import build_events
from linker.sampledata.hhs import build_hhs
from linker.sampledata.ice import build_ice
from linker.sampledata.population import build_population

__all__ = ["SampleConfig", "SampleSummary", "generate_sample"]

MIN_PEOPLE = 50


def generate_sample(
    people: int,
    seed: int,
    out_dir: Path,
    config: SampleConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> SampleSummary:
    """Write sample extracts, mapping and truth for `people` persons into `out_dir`.

    `people` counts every true person, sponsors included; the extracts hold about 1.7
    person records per person (repeat crossings, ICE check-ins, HHS child + sponsor).
    """
    if isinstance(people, bool) or not isinstance(people, int) or people < MIN_PEOPLE:
        raise ConfigError(
            f"people must be a whole number of at least {MIN_PEOPLE} (got {people!r})"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a non-negative whole number (got {seed!r})")
    cfg = config or SampleConfig()
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]

    say(f"drawing {people:,} people")
    pop = build_population(people, cfg, streams[0])
    households = build_households(streams[1], pop.n_households)
    events = build_events(pop, cfg, streams[2])
    say(f"CBP extract: {len(events.cbp.person):,} rows")
    cbp = build_cbp(streams[3], pop, events, households, cfg)
    cbp_keys = cbp.frame[cbp.layout.key].to_numpy(dtype=object)
    say(f"ICE extract: {len(events.ice.person):,} rows")
    ice = build_ice(streams[4], pop, events, households, cbp_keys, cfg)
    say(f"HHS extract: {len(events.hhs.child):,} rows")
    hhs = build_hhs(streams[5], pop, events, households, cbp_keys, cfg)

    say("writing files")
    extracts = [cbp, ice, hhs]
    paths = {ex.layout.name: writer.write_extract(ex, out_dir) for ex in extracts}
    paths["mapping"] = writer.write_mapping(out_dir)
    pid = writer.person_ids(pop.size)
    records = writer.truth_records(extracts, pid)
    paths |= writer.write_truth(
        out_dir,
        records,
        writer.truth_persons(pop, pid),
        writer.truth_relations(pop, pid),
        cfg,
        seed,
        people,
    )
    summary = SampleSummary(people=people, seed=seed, out_dir=out_dir, paths=paths)
    for ex in extracts:
        name = ex.layout.name
        summary.rows[name] = len(ex.frame)
        summary.records[name] = len(ex.frame) * (1 if ex.sponsor is None else 2)
        persons = ex.person if ex.sponsor is None else np.concatenate([ex.person, ex.sponsor])
        summary.persons[name] = len(pd.unique(persons))
    summary.relations = pop.relations.counts()
    say(f"done: {summary.total_records:,} records")
    return summary
