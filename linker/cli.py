"""The `linker` command: one click group, one command per pipeline step.

A command parses its options, calls one library function and formats the result; no
matching logic lives here. Library errors become click errors at this edge only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from tqdm import tqdm

from linker.errors import ConfigError, DataContractError, LinkerError

F = TypeVar("F", bound=Callable[..., Any])


def _errors_to_click(func: F) -> F:
    """Map library errors to click's: bad configuration is a usage problem (exit 2)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as e:
            raise click.UsageError(str(e)) from e
        except (DataContractError, LinkerError) as e:
            raise click.ClickException(str(e)) from e

    return wrapper  # type: ignore[return-value]


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
            self.bars[source] = tqdm(desc=f"standardize {source}", unit=" rows", leave=True)
        self.bars[source].update(rows)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


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
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the extracts, mapping and truth into.",
)
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
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for records.parquet, rejects.csv, summary.json.",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1000),
    default=250_000,
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
@click.pass_context
def demo(ctx: click.Context, out_dir: Path, people: int) -> None:
    """Run the main job on the embedded defaults: sample extracts, then the batch.

    Example:

        linker demo --out demo/
    """
    sample_dir = out_dir / "sample"
    ctx.invoke(sample_data, people=people, seed=7, out_dir=sample_dir)
    ctx.invoke(
        standardize,
        mapping=sample_dir / "mapping.toml",
        out_dir=out_dir / "run",
        chunk_rows=250_000,
        quiet=False,
    )


if __name__ == "__main__":  # pragma: no cover
    main()
