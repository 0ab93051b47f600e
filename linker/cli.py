"""The `linker` command: one click group, one command per pipeline step.

A command parses its options, calls one library function and formats the result; no
matching logic lives here. Library errors become click errors at this edge only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click
from tqdm import tqdm

from linker.cli_errors import errors_to_click as _errors_to_click
from linker.errors import DataContractError

F = TypeVar("F", bound=Callable[..., Any])

# Our bars are redrawn by the stages themselves. tqdm's monitor thread would only make
# this a threaded process, where forking worker processes is unsafe: the standardize
# pool then starts its workers through a fork server, which imports everything anew.
tqdm.monitor_interval = 0


class _SourceProgress:
    """One tqdm bar per source, on stderr, counting rows."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bars: dict[str, tqdm] = {}

    def __call__(self, source: str, rows: int) -> None:
        if self.quiet:
            return
        if source not in self.bars:
            for bar in self.bars.values():
                bar.close()
            self.bars[source] = tqdm(
                desc=f"standardize {source}", unit=" rows", leave=True, disable=None
            )
        self.bars[source].update(rows)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _out_folder(help_text: str) -> Callable[[F], F]:
    """The --out option every writing command takes."""
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        required=True,
        help=help_text,
    )


@click.group()
@click.version_option(package_name="linker")
def main() -> None:
    """Link one person's records across CBP, ICE and HHS extracts."""


@main.command("sample-data")
@click.option(
    "--people",
    type=click.IntRange(min=10),
    default=5000,
    show_default=True,
    help="Size of the simulated population.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@_out_folder("Folder to write the extracts, mapping and truth into.")
@_errors_to_click
def sample_data(people: int, seed: int, out_dir: Path) -> None:
    """Write realistic messy CBP / ICE / HHS extracts, their mapping and ground truth.

    Example:

        linker sample-data --people 5000 --seed 7 --out sample/
    """
    from linker.sampledata import generate_sample

    summary = generate_sample(
        people=people, seed=seed, out_dir=out_dir, progress=lambda msg: click.echo(msg, err=True)
    )
    for line in summary.lines():
        click.echo(line)
    click.echo(f"mapping: {out_dir / 'mapping.toml'}  truth: {out_dir / 'truth'}")


@main.command("standardize")
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_out_folder("Folder for records.parquet, rejects.csv, summary.json.")
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1000),
    default=100_000,
    show_default=True,
    help="Rows read at a time (memory stays flat).",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
@_errors_to_click
def standardize(mapping: Path, out_dir: Path, chunk_rows: int, quiet: bool) -> None:
    """Turn the extracts named in MAPPING into canonical person records (Parquet).

    Prints, per source, rows read, persons emitted, rows set aside (rejects.csv) and the
    share of each field that is missing.

    Example:

        linker standardize sample/mapping.toml --out run/
    """
    from linker.mapping import load_mapping
    from linker.standardize import write_standardized

    progress = _SourceProgress(quiet)
    try:
        summary = write_standardized(
            load_mapping(mapping), out_dir, chunk_rows=chunk_rows, progress=progress
        )
    finally:
        progress.close()
    click.echo(summary.format_table())
    click.echo(
        f"\n{summary.records:,} records in {summary.seconds:.1f}s -> {out_dir / 'records.parquet'}"
    )
    if summary.rejects:
        click.echo(f"{summary.rejects:,} rows set aside -> {out_dir / 'rejects.csv'}")


class _StageProgress:
    """One tqdm bar per batch stage, on stderr; closed with the stage's time."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(
                desc=f"{stage:<12}", total=total, leave=True, disable=None
            )
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@main.command("reconcile")
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_out_folder("Folder for entities.csv, pairs.parquet, report.html ...")
@click.option(
    "--decisions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Reviewer decisions CSV: applied as must-link / cannot-link.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A model.json from an earlier run: score with it, no EM.",
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Store (sqlite:///file.db, postgresql://...): apply its reviewer decisions, "
    "then persist the run into it for the reviewer service.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=0.5,
    show_default=True,
    help="Match probability at which records link.",
)
@click.option(
    "--review-band",
    nargs=2,
    type=click.FloatRange(0.0, 1.0),
    default=(0.2, 0.95),
    show_default=True,
    help="Probabilities (low high) of the pairs sent to review.",
)
@click.option(
    "--link-only",
    is_flag=True,
    help="Never link two records of the same source (linking clean files).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="Run on this machine, or standardize, block, compare and score on Apache Spark "
    "(pip install '.[spark]'; see docs/spark.md). Same outputs either way.",
)
@click.option(
    "--spark-master",
    default="local[*]",
    show_default=True,
    help="Spark master URL for --engine spark: local[N], spark://HOST:7077, yarn, k8s://...",
)
@click.option(
    "--spark-conf",
    multiple=True,
    metavar="KEY=VALUE",
    help="Extra Spark configuration for --engine spark, e.g. spark.driver.memory=8g (repeat).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes standardizing and threads blocking, comparing and scoring (default: "
    "one per core). The outputs are the same whatever the number.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
@_errors_to_click
def reconcile_command(
    mapping: Path,
    out_dir: Path,
    decisions: Path | None,
    model_path: Path | None,
    db_url: str | None,
    threshold: float,
    review_band: tuple[float, float],
    link_only: bool,
    quiet: bool,
    workers: int | None = None,
    engine: str = "local",
    spark_master: str = "local[*]",
    spark_conf: tuple[str, ...] = (),
) -> None:
    """Run the whole batch: standardize, block, score, cluster, recover A-numbers, report.

    Writes entities.csv (one row per record with its entity and A-number), pairs.parquet,
    review_queue.csv (uncertain pairs, most consequential first), model.json,
    rejects.csv, summary.json and report.html into OUT.

    Example:

        linker reconcile sample/mapping.toml --out run/ --decisions decisions.csv

        linker reconcile sample/mapping.toml --out run/ --db sqlite:///linker.db

        linker reconcile sample/mapping.toml --out run/ --engine spark --spark-master local[2]
    """
    from linker.batch import run_batch
    from linker.reconcile import ReconcileSettings, reconcile

    settings = ReconcileSettings(
        threshold=threshold, review_band=(review_band[0], review_band[1]), link_only=link_only
    )
    if workers is not None:
        settings = replace(settings, workers=workers)
    store = stored_decisions = None
    if db_url is not None:
        from linker.store import Store
        from linker.store.decisions import binding_decisions

        store = Store.open(db_url)
        with store.session() as session:
            stored_decisions = binding_decisions(session)
        store.close()  # no connection held through the batch; persisting reconnects
    run: Callable[..., Any] = reconcile
    if engine == "spark":
        from linker.spark import SparkSettings, reconcile_on_spark

        bad = [item for item in spark_conf if "=" not in item]
        if bad:
            raise click.BadParameter(f"expected KEY=VALUE, got {bad}", param_hint="--spark-conf")
        conf = dict(item.split("=", 1) for item in spark_conf)
        spark = SparkSettings(master=spark_master, conf=conf)
        run = functools.partial(reconcile_on_spark, spark=spark)
    progress = _StageProgress(quiet)
    try:
        result = run_batch(
            mapping,
            out_dir,
            settings=settings,
            run=run,
            progress=progress,
            decisions_path=decisions,
            model_path=model_path,
            decisions=stored_decisions,
        )
    finally:
        progress.close()
    if store is not None:
        from linker.cli_service import persist_reconciled

        try:
            run_id = persist_reconciled(
                store,
                result,
                out_dir,
                mapping=mapping,
                threshold=threshold,
                review_band=settings.review_band,
            )
        finally:
            store.close()
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    c = result.counts
    click.echo(
        f"{c['records']:,} records -> {c['entities']:,} entities "
        f"({c['entities_across_agencies']:,} across agencies); "
        f"{c['pairs_compared']:,} pairs compared"
    )
    click.echo(
        f"lost files reconciled: {c['lost_files_reconciled']:,}; "
        f"A-numbers recovered for {c['a_numbers_recovered']:,} of "
        f"{c['records_without_a_number']:,} records without one "
        f"({c['a_numbers_pending_review']:,} more wait for review); "
        f"{c['a_number_conflicts']:,} conflicts; {c['review_queue']:,} pairs to review; "
        f"{c['rejects']:,} rows rejected"
    )
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in result.stage_seconds.items())
    click.echo(f"time: {timing}; total {sum(result.stage_seconds.values()):.1f}s")
    click.echo(f"outputs in {out_dir}/ (open {out_dir / 'report.html'})")
    if store is not None:
        click.echo(
            f"run {run_id} stored in {store.safe_url} "
            f"({len(stored_decisions) if stored_decisions is not None else 0:,} "
            "reviewer decisions applied)"
        )


@main.command("evaluate")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--truth",
    "truth_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="Folder with records.csv (and persons.csv).",
)
@_errors_to_click
def evaluate_command(run_dir: Path, truth_dir: Path) -> None:
    """Score a run against ground truth: pairwise and B-cubed precision, recall, F1, and
    A-number recovery (correct and wrong assignments).

    Example:

        linker evaluate run/ --truth sample/truth
    """
    import json

    import pandas as pd

    from linker.evaluate import evaluate_a_numbers, evaluate_entities, format_evaluation

    entities_path = run_dir / "entities.csv"
    truth_path = truth_dir / "records.csv"
    for path in (entities_path, truth_path):
        if not path.is_file():
            raise DataContractError(f"{path} not found")
    predicted = pd.read_csv(entities_path, dtype=str, keep_default_na=False)
    truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    result: dict[str, object] = {"entities": evaluate_entities(predicted, truth)}
    persons_path = truth_dir / "persons.csv"
    if "a_number_original" in predicted.columns:
        persons = (
            pd.read_csv(persons_path, dtype=str, keep_default_na=False)
            if persons_path.is_file()
            else None
        )
        result["a_numbers"] = evaluate_a_numbers(predicted, truth, truth_persons=persons)
    from linker.family.scoring import evaluate_run_relations

    if (relations := evaluate_run_relations(run_dir, truth_dir, predicted, truth)) is not None:
        result["relations"] = relations  # precision / recall per relation kind
    (run_dir / "evaluation.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    click.echo(format_evaluation(result))


@main.command("blocking")
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--truth",
    "truth_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Truth folder: also print the blocking recall.",
)
@click.option("--link-only", is_flag=True, help="Only pairs across sources.")
@_errors_to_click
def blocking_command(mapping: Path, truth_dir: Path | None, link_only: bool) -> None:
    """Show what the blocking rules do on MAPPING's extracts: pairs per rule, cumulative
    pairs, oversized blocks skipped, and (with --truth) the share of true pairs kept, in
    all and rule by rule (the true pairs each rule finds first, and the recall so far).

    Example:

        linker blocking sample/mapping.toml --truth sample/truth
    """
    import pandas as pd

    from blocking import blocking_recall, recall_by_rule, true_pairs_from_clusters
    from linker import columns as C
    from linker.blocking_rules import block_records
    from linker.mapping import load_mapping
    from linker.standardize import standardize_mapping

    records, _, _ = standardize_mapping(load_mapping(mapping))
    result = block_records(records, link_only=link_only)
    table = result.stats_frame()[
        ["name", "pairs", "new_pairs", "cumulative_pairs", "oversized_blocks"]
    ]
    recall: float | None = None
    if truth_dir is not None:
        truth = pd.read_csv(truth_dir / "records.csv", dtype=str, keep_default_na=False)
        merged = records[[C.RECORD_ID, C.SOURCE, C.RECORD_KEY]].merge(
            truth.rename(columns={"person_id": "_person"}),
            on=[C.SOURCE, C.RECORD_KEY],
            how="left",
        )
        person = pd.factorize(merged["_person"].fillna("?" + merged[C.RECORD_KEY]))[0]
        true_pairs = true_pairs_from_clusters(merged[C.RECORD_ID], person)
        if link_only:
            src = records[C.SOURCE].to_numpy()
            keep = src[true_pairs[C.RECORD_ID_L]] != src[true_pairs[C.RECORD_ID_R]]
            true_pairs = true_pairs[keep]
        recall = blocking_recall(result.pairs, true_pairs)
        by_rule = recall_by_rule(result.pairs, true_pairs, list(table["name"]))
        table = table.assign(
            true_new=by_rule["true_new"].to_numpy(),
            cumulative_recall=by_rule["cumulative_recall"].map("{:.4f}".format).to_numpy(),
        )
    click.echo(table.to_string(index=False))
    n = len(records)
    click.echo(f"\n{len(result.pairs):,} candidate pairs of {n * (n - 1) // 2:,} possible")
    if recall is not None:
        click.echo(f"blocking recall: {recall:.4f} of {len(true_pairs):,} true pairs")


@main.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Working folder for the demo.",
)
@click.option("--people", type=click.IntRange(min=10), default=2000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Stop after the batch; do not start the web app.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.pass_context
def demo(ctx: click.Context, out_dir: Path, people: int, no_serve: bool, port: int) -> None:
    """Run the main job on the embedded defaults: sample extracts, the batch into a
    SQLite store (OUT/linker.db), then the reviewer UI on this machine with a printed
    admin login (user `demo`, a fresh password each time).

    Example:

        linker demo --out demo/
    """
    from linker.cli_service import DEMO_ADMIN, build_app, demo_login, run_dev_server
    from linker.store import Store

    sample_dir = out_dir / "sample"
    db_url = f"sqlite:///{(out_dir / 'linker.db').resolve()}"
    ctx.invoke(sample_data, people=people, seed=7, out_dir=sample_dir)
    ctx.invoke(
        reconcile_command,
        mapping=sample_dir / "mapping.toml",
        out_dir=out_dir / "run",
        decisions=None,
        model_path=None,
        db_url=db_url,
        threshold=0.5,
        review_band=(0.2, 0.95),
        link_only=False,
        quiet=False,
    )
    ctx.invoke(evaluate_command, run_dir=out_dir / "run", truth_dir=sample_dir / "truth")
    store = Store.open(db_url)
    try:
        password = demo_login(store)
    finally:
        store.close()
    click.echo(f"\nlog in at http://127.0.0.1:{port} as {DEMO_ADMIN} / {password}")
    if not no_serve:
        run_dev_server(build_app(db_url), "127.0.0.1", port)


# Commands around the store and the web service (linker/cli_service.py).
from linker import cli_service  # noqa: E402  (it imports _errors_to_click from here)

main.add_command(cli_service.users)
main.add_command(cli_service.serve)
main.add_command(cli_service.train)

from linker.family.cli import family as family_commands  # noqa: E402

main.add_command(family_commands)

if __name__ == "__main__":  # pragma: no cover
    main()
