"""The batch: extracts in, entities with A-numbers, a review queue and a report out.

Stages run in order, each timed and reported to `progress`: standardize, block,
compare, train (or load the model), score, cluster, recover A-numbers, queue for review,
write. Outputs are written to a temporary folder and moved into place at the end, so a
failed run never leaves half-written files over a good run's.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from linker import columns as C
from linker.anumber_recovery import recover_a_numbers, summarize_recovery
from linker.blocking_rules import DEFAULT_MAX_BLOCK_SIZE, block_records
from linker.cluster import LINK_REASON, ClusterSettings, cluster_records
from linker.csv_out import write_csv
from linker.decisions import Constraints, read_decisions, resolve_decisions
from linker.errors import DataContractError
from linker.family.background import FamilyInBackground
from linker.family.run import write_family_outputs
from linker.features import RecordFeatures, derive_columns, prepare_features
from linker.linkage import (
    ModelSettingsForRun,
    choose_comparisons,
    compare_in_batches,
    explain_pairs,
    rebuild_comparisons,
    score_pairs,
    train_model,
)
from linker.mapping import Mapping
from linker.review_queue import build_review_queue
from linker.rules import CONTRADICTION
from linker.standardize import standardize_mapping
from linker.standardize.pipeline import record_schema
from linker.standardize.run import StandardizeSummary
from linker.standardize.text import ARROW_TEXT, object_text, text_array
from models import FellegiSunterModel

logger = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
OUTPUTS_STAGE = "outputs"  # the report and the output files, timed as a stage
PAIRS_KEPT_ABOVE = 1e-3  # pairs.parquet keeps pairs at least this likely
# From this many records the family stage runs in a process of its own, started once the
# records are standardized (`linker.family.background`); below it, starting a Python
# process (about a second) costs more than the stage.
FAMILY_PROCESS_MIN_RECORDS = 250_000
# What the linkage reads; the rest of a record (raw row, stated relationship ...) only
# goes to records.parquet.
_NOT_FOR_LINKAGE = {C.RAW, C.A_NUMBER_RAW, C.LINE, C.RELATED_TO, C.RELATION, C.RELATIONSHIP}
LINKAGE_COLUMNS = tuple(c for c in C.RECORD_COLUMNS if c not in _NOT_FOR_LINKAGE)
# Columns with few distinct values (names repeat heavily): held as categories, a
# million records cost a few MB per column instead of ~60 MB of Python strings.
REPEATED_VALUE_COLUMNS = (
    C.GIVEN_NAME,
    C.MIDDLE_NAME,
    C.FAMILY_NAME,
    C.FAMILY_NAME_1,
    C.FAMILY_NAME_2,
    C.GIVEN_NAME_CANONICAL,
    C.GIVEN_PHONETIC,
    C.FAMILY_1_PHONETIC,
    C.FAMILY_2_PHONETIC,
    C.DOB,
    C.DOB_QUALITY,
    C.EVENT_DATE,
    C.SEX,
    C.COUNTRY,
    C.CITY,
    C.STATE,
    C.ROLE,
)
# The other text columns of a record (ids, keys, addresses, phones).
_TEXT_COLUMNS = tuple(
    f.name
    for f in record_schema()
    if pa.types.is_string(f.type) and f.name not in REPEATED_VALUE_COLUMNS
)
ENTITY_COLUMNS = (
    C.SOURCE,
    C.RECORD_KEY,
    C.ENTITY_ID,
    C.A_NUMBER,
    "a_number_original",
    "a_number_source",
)


@dataclass(frozen=True)
class ReconcileSettings:
    """What an analyst may tune; the defaults suit the agencies' extracts."""

    threshold: float = 0.5  # match probability at which two records link
    review_band: tuple[float, float] = (0.2, 0.95)  # probabilities sent to review
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE
    batch_pairs: int = 1_000_000
    # Processes standardizing, threads blocking, comparing and scoring; the result does
    # not depend on it.
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    link_only: bool = False  # never link two records of one source (two clean files)
    model: ModelSettingsForRun = field(default_factory=ModelSettingsForRun)


@dataclass
class ReconcileResult:
    records: pd.DataFrame
    entities: pd.DataFrame
    pairs: pd.DataFrame
    review_queue: pd.DataFrame
    model: FellegiSunterModel
    stage_seconds: dict[str, float]
    counts: dict[str, int]
    warnings: list[str]
    rejects: pd.DataFrame
    features: RecordFeatures
    all_weights: np.ndarray  # match weight of every compared pair (float32), for the report
    # Source -> date field -> read day first: how a new record of that source reads its
    # dates (summary.json, the store; `linker.lookup`).
    date_orders: dict[str, dict[str, bool]] = field(default_factory=dict)
    # Source -> the codes its sex column was read in ("spanish": M is mujer), likewise.
    sex_codes: dict[str, str] = field(default_factory=dict)
    # The family stage running in its own process since standardizing ended (a batch that
    # streamed its records to a file, with more than one worker); `write_outputs`
    # collects and closes it. None: `write_outputs` infers the relations itself.
    family: FamilyInBackground | None = None


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed_stage(name: str, seconds: dict[str, float], progress: Progress | None) -> Iterator[None]:
    started = time.perf_counter()
    if progress is not None:
        progress(name, 0, 1)
    yield
    seconds[name] = round(time.perf_counter() - started, 3)
    logger.info("stage %s: %.1fs, peak memory %.0f MB", name, seconds[name], peak_memory_mb())
    if progress is not None:
        progress(name, 1, 1)


def reconcile(
    mapping: Mapping,
    *,
    settings: ReconcileSettings | None = None,
    decisions_path: Path | None = None,
    model_path: Path | None = None,
    progress: Progress | None = None,
    records_path: Path | None = None,
    decisions: pd.DataFrame | None = None,
) -> ReconcileResult:
    """Run the whole batch in memory and return everything the outputs are made from.

    Reviewer decisions come from a CSV (`decisions_path`) or, from the store, as a frame
    of the same columns (`decisions`); both are applied.

    With `records_path`, the full standardized records (raw rows included, for the
    reviewers) are streamed there and only the columns the linkage reads stay in memory,
    and a large run's family stage starts in a second process once the records are
    standardized (`result.family`, `linker.family.background`): `write_outputs`
    collects it, and a caller that writes no outputs closes it.
    """
    settings = settings or ReconcileSettings()
    seconds: dict[str, float] = {}
    warnings: list[str] = []
    with timed_stage("standardize", seconds, progress):
        records, rejects, summary = standardize_mapping(
            mapping,
            records_path=records_path,
            keep_in_memory=LINKAGE_COLUMNS if records_path is not None else None,
            categories=REPEATED_VALUE_COLUMNS,
            workers=settings.workers,
            text_in_arrow=True,
        )
        records = as_linkage_records(records)
    if records.empty:
        raise DataContractError("no readable records in any extract: nothing to link")
    constraints = load_constraints(decisions_path, decisions, records, warnings)
    # The family stage starts now, in a second process reading the records file: its
    # records-only part runs beside blocking and comparing (which leave part of the
    # second core idle), the rest beside clustering (`linker.family.background`).
    family = None
    if (
        records_path is not None
        and settings.workers > 1
        and len(records) >= FAMILY_PROCESS_MIN_RECORDS
    ):
        family = FamilyInBackground(
            records_path, records[C.RECORD_ID].to_numpy(), categories=REPEATED_VALUE_COLUMNS
        )
    try:
        return _link_records(
            records,
            constraints,
            settings=settings,
            model_path=model_path,
            rejects=rejects,
            summary=summary,
            seconds=seconds,
            warnings=warnings,
            progress=progress,
            family=family,
        )
    except BaseException:
        if family is not None:
            family.close()
        raise


def _link_records(
    records: pd.DataFrame,
    constraints: Constraints,
    *,
    settings: ReconcileSettings,
    model_path: Path | None,
    rejects: pd.DataFrame,
    summary: StandardizeSummary,
    seconds: dict[str, float],
    warnings: list[str],
    progress: Progress | None,
    family: FamilyInBackground | None,
) -> ReconcileResult:
    """Block, compare, train, score, then `link_scored_pairs`: `reconcile` after the
    standardize stage."""
    with timed_stage("block", seconds, progress):
        derived = derive_columns(records)
        blocked = block_records(
            records,
            max_block_size=settings.max_block_size,
            link_only=settings.link_only,
            derived=derived,
            workers=settings.workers,
        )
        pairs = with_decided_pairs(blocked.pairs, constraints)
        warnings.extend(
            oversized_warning(s.name, s.oversized_blocks, s.oversized_records)
            for s in blocked.stats
            if s.oversized_blocks
        )
    with timed_stage("compare", seconds, progress):
        features = prepare_features(records, derived, workers=settings.workers)
        del derived
        if model_path is not None:
            model = FellegiSunterModel.load(model_path)
            comparisons = rebuild_comparisons(model)
        else:
            comparisons = choose_comparisons(records)
        gammas = compare_in_batches(
            features,
            pairs,
            comparisons,
            batch=settings.batch_pairs,
            rules=settings.model.rules,
            workers=settings.workers,
        )
    with timed_stage("train", seconds, progress):
        if model_path is None:
            model = train_model(
                features,
                gammas,
                comparisons,
                settings.model,
                link_only=settings.link_only,
                workers=settings.workers,
            )
    with timed_stage("score", seconds, progress):
        scores = score_pairs(
            model,
            features,
            pairs,
            gammas,
            comparisons,
            batch=settings.batch_pairs,
            workers=settings.workers,
        )
        # One frame of pairs, levels and scores over the arrays they already hold: a
        # concat, or inserting the columns one by one, copied the tens of millions of rows
        # once more (0.7 s at a million records). `.array` keeps the contradiction
        # categorical (one byte a pair); `to_numpy` made it ten million Python strings.
        scored = pd.DataFrame(
            {c: frame[c].array for frame in (pairs, gammas, scores) for c in frame.columns},
            copy=False,
        )
        del gammas, scores
    return link_scored_pairs(
        records,
        scored,
        model=model,
        features=features,
        constraints=constraints,
        settings=settings,
        rejects=rejects,
        rejected_rows=summary.rejects,
        date_orders=summary.date_orders,
        sex_codes=summary.sex_codes,
        seconds=seconds,
        warnings=warnings,
        progress=progress,
        family=family,
    )


def as_linkage_records(records: pd.DataFrame) -> pd.DataFrame:
    """Standardized records as the linkage holds them: repeated values as categories,
    other text in Arrow (`ARROW_TEXT`), whichever engine standardized them."""
    for column in REPEATED_VALUE_COLUMNS:
        records[column] = records[column].astype("category")
    for column in _TEXT_COLUMNS:
        if column in records.columns and records[column].dtype == object:
            records[column] = records[column].astype(ARROW_TEXT)
    return records


def oversized_warning(rule: str, blocks: int, records: int) -> str:
    """The run warning for a blocking rule whose size guard skipped blocks."""
    return f"blocking rule {rule}: {blocks} oversized block(s) ({records} records) skipped"


def link_scored_pairs(
    records: pd.DataFrame,
    scored: pd.DataFrame,
    *,
    model: FellegiSunterModel,
    features: RecordFeatures,
    constraints: Constraints,
    settings: ReconcileSettings,
    rejects: pd.DataFrame,
    rejected_rows: int,
    seconds: dict[str, float],
    warnings: list[str],
    progress: Progress | None = None,
    date_orders: dict[str, dict[str, bool]] | None = None,
    sex_codes: dict[str, str] | None = None,
    family: FamilyInBackground | None = None,
) -> ReconcileResult:
    """Cluster, recover A-numbers, queue for review and count: the end of every engine.

    `scored` holds every compared pair (ids, rule, levels, contradiction, weight and
    probability) in blocking order, decided pairs last; the local engine and the Spark
    engine (`linker.spark`) both finish here, so the same pairs give the same entities.
    A `family` stage running in the background gets the entities as soon as they exist.
    """
    with timed_stage("cluster", seconds, progress):
        linkable = scored[C.MATCH_PROBABILITY].to_numpy() >= settings.threshold
        needed = _cannot_links_that_matter(scored, linkable, len(records))
        cannot = pd.concat(
            [scored.loc[needed, [C.RECORD_ID_L, C.RECORD_ID_R]], constraints.cannot_link],
            ignore_index=True,
        )
        # Keep what a reader or a later stage uses: likely pairs, the rule-rejected pairs
        # that clustering needed, and decided pairs; the weights of all go to the report.
        all_weights = scored[C.MATCH_WEIGHT].to_numpy(dtype=np.float32)
        keep = scored[C.MATCH_PROBABILITY].to_numpy() >= PAIRS_KEPT_ABOVE
        keep |= needed
        keep |= _pair_in(scored, constraints.cannot_link) | _pair_in(scored, constraints.decided)
        scored = scored.loc[keep].reset_index(drop=True)
        linkable = linkable[keep]
        # Linking clean files (link-only) also means no file holds a person twice: each
        # record is then its own agency person, so two of one source never merge.
        people = (
            records.assign(**{C.PERSON_ID: records[C.SOURCE] + ":" + records[C.RECORD_KEY]})
            if settings.link_only
            else records
        )
        # Only links above the threshold can merge; the rest would be carried for nothing.
        clustered = cluster_records(
            people,
            scored.loc[
                linkable, [C.RECORD_ID_L, C.RECORD_ID_R, C.MATCH_WEIGHT, C.MATCH_PROBABILITY]
            ],
            settings=ClusterSettings(threshold=settings.threshold),
            cannot_link=cannot,
            must_link=constraints.must_link,
        )
        if family is not None:
            family.give_entities(clustered.entities)
        recovered = recover_a_numbers(
            records, clustered.entities, sure_links=sure_links(clustered.links, settings)
        )
    with timed_stage("review", seconds, progress):
        queue = build_review_queue(
            scored, records, recovered, band=settings.review_band, decided=constraints.decided
        )
    entities = _entities_table(records, recovered)
    counts = _counts(entities, queue, pairs_compared=len(all_weights), rejects=rejected_rows)
    recovery = summarize_recovery(recovered)
    counts |= {
        "records_without_a_number": recovery.without_a_number,
        "a_numbers_recovered": recovery.recovered,
        "a_numbers_pending_review": recovery.pending,
        "a_number_conflicts": recovery.conflicting_records,
    }
    counts["decisions_unknown_records"] = constraints.unknown
    return ReconcileResult(
        records=records,
        entities=entities,
        pairs=scored,
        review_queue=queue,
        model=model,
        stage_seconds=seconds,
        counts=counts,
        warnings=warnings,
        rejects=rejects,
        features=features,
        all_weights=all_weights,
        date_orders=dict(date_orders or {}),
        sex_codes=dict(sex_codes or {}),
        family=family,
    )


def sure_links(links: pd.DataFrame, settings: ReconcileSettings) -> pd.DataFrame:
    """The links of the entities an A-number may cross without a reviewer: a reviewer's
    must-link, or a score at or above the review band (what is below it is the band
    itself, not yet confirmed; see `linker.anumber_recovery`)."""
    must = (links[LINK_REASON] == "must_link").to_numpy()
    sure = links[C.MATCH_PROBABILITY].to_numpy() >= settings.review_band[1]
    return links.loc[must | sure, [C.RECORD_ID_L, C.RECORD_ID_R]]


def _cannot_links_that_matter(scored: pd.DataFrame, linkable: np.ndarray, n: int) -> np.ndarray:
    """Per pair, whether it is rule-rejected and the links above the threshold could
    connect its records.

    At a million records most candidate pairs are rejected by a hard rule (two different
    A-numbers, relatives); only those whose two records share a component of the link
    graph can be merged by a chain of links, so only those need a cannot-link.
    """
    left = scored[C.RECORD_ID_L].to_numpy()
    right = scored[C.RECORD_ID_R].to_numpy()
    graph = coo_matrix(
        (np.ones(int(linkable.sum()), dtype=np.int8), (left[linkable], right[linkable])),
        shape=(n, n),
    )
    _, component = connected_components(graph, directed=False)
    rejected = (scored[CONTRADICTION] != "").to_numpy()
    return rejected & (component[left] == component[right])


def _pair_in(pairs: pd.DataFrame, chosen: pd.DataFrame) -> np.ndarray:
    """Per row of `pairs`, whether its (left, right) is among `chosen`'s.

    Both sides are packed into one int64 per pair (ids are below 2^31 in any run that
    fits in memory), so the test is one hash lookup per pair."""
    if chosen.empty or pairs.empty:
        return np.zeros(len(pairs), dtype=bool)
    here = _packed(pairs[C.RECORD_ID_L].to_numpy(), pairs[C.RECORD_ID_R].to_numpy())
    wanted = _packed(chosen[C.RECORD_ID_L].to_numpy(), chosen[C.RECORD_ID_R].to_numpy())
    return np.asarray(pd.Index(here).isin(wanted))


def _packed(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return (left.astype(np.int64) << 32) | right.astype(np.int64)


def load_constraints(
    path: Path | None, frame: pd.DataFrame | None, records: pd.DataFrame, warnings: list[str]
) -> Constraints:
    given = [read_decisions(path)] if path is not None else []
    if frame is not None and len(frame):
        given.append(frame)
    if not given:
        empty = pd.DataFrame({C.RECORD_ID_L: [], C.RECORD_ID_R: []}, dtype="int64")
        return Constraints(empty, empty, empty.assign(decision=[]), 0, ())
    constraints = resolve_decisions(pd.concat(given, ignore_index=True), records)
    if constraints.unknown:
        warnings.append(
            f"{constraints.unknown} decision(s) name records not in these extracts and were "
            f"not applied (e.g. {', '.join(constraints.unknown_examples)})"
        )
    return constraints


def with_decided_pairs(pairs: pd.DataFrame, constraints: Constraints) -> pd.DataFrame:
    """Reviewed pairs are scored too (so their evidence shows), even if blocking missed them."""
    decided = constraints.decided[[C.RECORD_ID_L, C.RECORD_ID_R]]
    if decided.empty:
        return pairs
    extra = decided.assign(rule=np.int8(-1))
    merged = pd.concat([pairs, extra], ignore_index=True)
    return merged.drop_duplicates([C.RECORD_ID_L, C.RECORD_ID_R]).reset_index(drop=True)


def _entities_table(records: pd.DataFrame, recovered: pd.DataFrame) -> pd.DataFrame:
    # Each column its own array (the records' ones copied, so the table never shares
    # them), not stacked into one 2-D block: that stacking was a second copy of them all.
    by_id = recovered.set_index(C.RECORD_ID).reindex(records[C.RECORD_ID])
    return pd.DataFrame(
        {
            C.RECORD_ID: records[C.RECORD_ID].to_numpy(copy=True),
            C.SOURCE: object_text(records[C.SOURCE]).copy(),
            C.RECORD_KEY: object_text(records[C.RECORD_KEY], per_distinct=False),
            C.ENTITY_ID: by_id[C.ENTITY_ID].to_numpy(),
            C.A_NUMBER: by_id["entity_a_number"].to_numpy(),
            "a_number_original": object_text(records[C.A_NUMBER], per_distinct=False),
            "a_number_source": by_id["a_number_source"].to_numpy(),
        },
        copy=False,
    )


def _counts(
    entities: pd.DataFrame, queue: pd.DataFrame, *, pairs_compared: int, rejects: int
) -> dict[str, int]:
    lacked = entities["a_number_original"].isna().to_numpy()
    entity, _ = pd.factorize(entities[C.ENTITY_ID])
    source, sources = pd.factorize(entities[C.SOURCE])
    # Sources per entity: a records-per-(entity, source) table, its non-empty cells
    # counted per entity (a bincount; numpy 2.3's np.unique hashes and is 50x slower).
    width = max(len(sources), 1)
    cells = (entity.max() + 1) * width
    per_cell = np.bincount(entity.astype(np.int64) * width + source, minlength=cells)
    entity_sources = (per_cell.reshape(-1, width) > 0).sum(axis=1)
    # A "lost file": a record with no A-number, now in an entity another agency also holds.
    spans = entity_sources[entity] > 1
    return {
        "records": len(entities),
        "pairs_compared": pairs_compared,
        "entities": len(entity_sources),
        "lost_files_reconciled": int((lacked & spans).sum()),
        "entities_across_agencies": int((entity_sources > 1).sum()),
        "review_queue": len(queue),
        "rejects": rejects,
    }


def write_outputs(
    result: ReconcileResult,
    out_dir: Path,
    *,
    report_html: str | None = None,
    records_path: Path | None = None,
    started: float | None = None,
    agencies: dict[str, str] | None = None,
) -> None:
    """entities.csv, pairs.parquet, review_queue.csv, model.json, rejects.csv, report.html,
    and records.parquet when the run streamed the standardized records to `records_path`.
    summary.json keeps `agencies` (source -> "cbp" / "ice" / "hhs") for the family flags
    read from the run later (`linker.family.load_family`, the store), and `date_orders`
    (source -> date field -> day first) and `sex_codes` (source -> codes) for the lookup
    of one new record.

    `started` (a `time.perf_counter()` reading, default now) is when the output work
    began; the time since goes into stage_seconds as OUTPUTS_STAGE, in summary.json too,
    with this process's peak memory and, when the family stage ran in a process of its
    own, that process's (`family_process_peak_mb`).
    """
    started = time.perf_counter() if started is None else started
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".reconcile-", dir=out_dir))
    try:
        family_peak = None
        if result.family is not None:
            # The family process has been at work since standardizing ended.
            _write_tables(result, tmp)
            family_counts = result.family.write_into(tmp)
            family_peak = result.family.peak_mb
        else:
            # The tables are written by a thread while this one infers the family
            # relations: Arrow encodes, compresses and writes without the GIL, the
            # family rules are pandas work that needs it.
            with ThreadPoolExecutor(1) as pool:
                written = pool.submit(_write_tables, result, tmp)
                # relations.csv and the family counts (linker/family/run.py).
                family_counts = write_family_outputs(
                    result.records, result.entities, tmp, records_path=records_path
                )
                written.result()
        if records_path is not None:
            os.replace(records_path, tmp / "records.parquet")
        result.stage_seconds[OUTPUTS_STAGE] = round(time.perf_counter() - started, 3)
        summary = {
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "stage_seconds": result.stage_seconds,
            "peak_memory_mb": round(peak_memory_mb()),
            **({"family_process_peak_mb": family_peak} if family_peak is not None else {}),
            "counts": {**result.counts, **family_counts},
            "warnings": result.warnings,
            "agencies": dict(agencies or {}),
            "date_orders": result.date_orders,
            "sex_codes": result.sex_codes,
        }
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        if report_html is not None:
            (tmp / "report.html").write_text(report_html, encoding="utf-8")
        for item in tmp.iterdir():
            os.replace(item, out_dir / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if result.family is not None:
            result.family.close()
            result.family = None


def _write_tables(result: ReconcileResult, out_dir: Path) -> None:
    """entities.csv, pairs.parquet (with each side's source and key), review_queue.csv,
    model.json and rejects.csv."""
    write_csv(result.entities[list(ENTITY_COLUMNS)], out_dir / "entities.csv")
    write_pairs(result.pairs, result.records, out_dir / "pairs.parquet")
    result.review_queue.to_csv(out_dir / "review_queue.csv", index=False)
    result.model.save(out_dir / "model.json")
    result.rejects.to_csv(out_dir / "rejects.csv", index=False)


PAIR_SIDES = ("left_source", "left_record_key", "right_source", "right_record_key")


def write_pairs(pairs: pd.DataFrame, records: pd.DataFrame, path: Path) -> None:
    """pairs.parquet: the scored pairs, the rule that rejected each as text, and each
    side's source and record key.

    The text columns are made by Arrow (the keys taken from the records' Arrow text,
    the rule decoded from its categories) and written as pandas writes text, so a
    reader gets the same frame; made as Python strings first, they were four million
    strings at a million records, each made and converted back holding the GIL.
    """
    rule = pairs[CONTRADICTION]
    if isinstance(rule.dtype, pd.CategoricalDtype):
        rule_text = pa.array(rule).dictionary_decode()  # the local engine's categorical
    else:
        rule_text = text_array(rule)  # the Spark engine's text
    numbers = pairs.drop(columns=[CONTRADICTION])
    table = pa.Table.from_pandas(numbers, preserve_index=False)
    table = table.add_column(pairs.columns.get_loc(CONTRADICTION), CONTRADICTION, rule_text)
    source, key = text_array(records[C.SOURCE]), text_array(records[C.RECORD_KEY])
    for name, column, at in zip(
        PAIR_SIDES,
        (source, key, source, key),
        (C.RECORD_ID_L, C.RECORD_ID_L, C.RECORD_ID_R, C.RECORD_ID_R),
        strict=True,
    ):
        table = table.append_column(name, column.take(pa.array(pairs[at].to_numpy())))
    # pandas' own description of the columns, as it writes text held as objects (from
    # one row: with none, pandas calls them "empty", as it would have here too)
    head = numbers.head(1).reset_index(drop=True)
    text = pd.Series([""] * len(head), dtype=object)
    described = head.assign(**{c: text for c in (CONTRADICTION, *PAIR_SIDES)})
    described = described[list(table.column_names)]
    metadata = pa.Schema.from_pandas(described, preserve_index=False).metadata
    pq.write_table(table.replace_schema_metadata(metadata), path)


def example_pair(result: ReconcileResult, threshold: float) -> tuple[int, int] | None:
    """The pair the report explains: the top of the review queue, else a median link."""
    if len(result.review_queue):
        row = result.review_queue.iloc[0]
    else:
        linked = result.pairs[result.pairs[C.MATCH_PROBABILITY] >= threshold]
        if linked.empty:
            return None
        row = linked.iloc[len(linked) // 2]
    return int(row[C.RECORD_ID_L]), int(row[C.RECORD_ID_R])


def explain_example(result: ReconcileResult, pair: tuple[int, int]) -> pd.Series:
    """Each comparison's contribution to one pair's match weight."""
    comparisons = rebuild_comparisons(result.model)
    left, right = np.array([pair[0]]), np.array([pair[1]])
    return explain_pairs(result.model, result.features, left, right, comparisons).iloc[0]
