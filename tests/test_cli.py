"""End to end through the `linker` command: sample data -> standardize, and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from linker import columns as C
from linker.cli import main


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    result = CliRunner().invoke(
        main, ["sample-data", "--people", "600", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def standardized(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run")
    result = CliRunner().invoke(
        main, ["standardize", str(sample / "mapping.toml"), "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_standardize_emits_every_source_and_sponsors(standardized, sample: Path) -> None:
    out, output = standardized
    records = pd.read_parquet(out / "records.parquet")
    truth = pd.read_csv(sample / "truth" / "records.csv", dtype=str)
    assert set(records[C.SOURCE]) == set(truth["source"]) and len(set(truth["source"])) == 3
    # Every truth record is emitted (the sample has no unreadable rows).
    got = set(zip(records[C.SOURCE], records[C.RECORD_KEY], strict=True))
    assert got == set(zip(truth["source"], truth["record_key"], strict=True))
    sponsors = records[records[C.ROLE] == "sponsor"]
    assert len(sponsors) > 0
    assert (sponsors[C.RECORD_KEY] == sponsors[C.ROW_KEY] + ":sponsor").all()
    assert (sponsors[C.RELATION] == "sponsor_of").all()
    assert sponsors[C.RELATED_TO].notna().all()
    assert records[C.RECORD_ID].is_unique
    # The summary names each source and the missing share of fields.
    for source in truth["source"].unique():
        assert source in output
    assert "share missing per field" in output
    # and how it read each extract: the sample's HHS dates are day first, CBP's not
    assert re.search(r"hhs\s+dob day first; event_date day first; sex as letters", output)
    assert re.search(r"cbp\s+dob month first; event_date month first; sex as letters", output)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["records"] == len(records)
    assert [s["sex_codes"] for s in summary["sources"]] == ["letters"] * 3


def test_standardized_values_are_canonical(standardized) -> None:
    out, _ = standardized
    records = pd.read_parquet(out / "records.parquet")
    anum = records[C.A_NUMBER].dropna()
    assert len(anum) > 0 and anum.str.fullmatch(r"\d{9}").all()
    phones = records[C.PHONE].dropna()
    assert len(phones) > 0 and phones.str.fullmatch(r"\+\d{8,15}").all()
    countries = records[C.COUNTRY].dropna()
    assert len(countries) > 0 and countries.str.fullmatch(r"[A-Z]{2}").all()
    names = records[C.FAMILY_NAME_1].dropna()
    assert names.str.fullmatch(r"[A-Z' \-]+").all()
    assert set(records[C.DOB_QUALITY].unique()) <= set(C.DOB_QUALITIES)
    assert records[C.RAW].map(lambda s: isinstance(json.loads(s), dict)).all()


def write_mapping(
    tmp_path: Path,
    csv_text: bytes,
    encoding: str | None = None,
    columns: str = 'full_name = "NAME"\n  dob = "DOB"',
) -> Path:
    (tmp_path / "ice.csv").write_bytes(csv_text)
    enc = f'encoding = "{encoding}"\n' if encoding else ""
    (tmp_path / "m.toml").write_text(
        f'[[sources]]\nname = "ice"\npath = "ice.csv"\nkey = "CASE"\n{enc}'
        f"  [sources.fields]\n  {columns}\n",
        encoding="utf-8",
    )
    return tmp_path / "m.toml"


def test_missing_column_exits_non_zero_naming_file_and_column(tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path, b"CASE,NAME\nI-1,X\n")
    result = CliRunner().invoke(main, ["standardize", str(mapping), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "column 'DOB' is not in" in result.output and "ice.csv" in result.output
    assert not (tmp_path / "o" / "records.parquet").exists()


def test_broken_row_goes_to_rejects_rest_ingested(tmp_path: Path) -> None:
    text = (
        b'CASE,NAME,DOB\nI-1,"PEREZ, JOSE",2001-02-03\nI-2,"A",1,2,3\nI-3,"LOPEZ, ANA",1999-01-02\n'
    )
    mapping = write_mapping(tmp_path, text)
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["standardize", str(mapping), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    records = pd.read_parquet(out / "records.parquet")
    assert records[C.RECORD_KEY].tolist() == ["I-1", "I-3"]
    rejects = pd.read_csv(out / "rejects.csv")
    assert rejects["line"].tolist() == [3]
    assert "expected 3 fields" in rejects["reason"].iloc[0]
    assert "1 rows set aside" in result.output


def test_cp1252_file_with_accents_ingests_correctly(tmp_path: Path) -> None:
    text = 'CASE,NAME,DOB\nI-1,"NÚÑEZ GÓMEZ, JOSÉ MARÍA",2001-02-03\n'.encode("cp1252")
    mapping = write_mapping(tmp_path, text, encoding="cp1252")
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["standardize", str(mapping), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    row = pd.read_parquet(out / "records.parquet").iloc[0]
    assert row[C.FAMILY_NAME_1] == "NUNEZ" and row[C.FAMILY_NAME_2] == "GOMEZ"
    assert row[C.GIVEN_NAME].startswith("JOSE")
    assert json.loads(row[C.RAW])["NAME"] == "NÚÑEZ GÓMEZ, JOSÉ MARÍA"


def test_empty_extract_is_a_clear_error(tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path, b"CASE,NAME,DOB\n")
    result = CliRunner().invoke(main, ["standardize", str(mapping), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "no rows" in result.output and "ice.csv" in result.output


def test_bad_mapping_lists_every_problem(tmp_path: Path) -> None:
    mapping = write_mapping(
        tmp_path,
        b"CASE,NAME,DOB\nI-1,X,2001-01-01\n",
        columns='nom = "NAME"\n  dob = { column = "DOB", format = "%q" }',
    )
    result = CliRunner().invoke(main, ["standardize", str(mapping), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "unknown canonical field 'nom'" in result.output
    assert "bad date format" in result.output


def test_demo_runs_the_batch_and_scores_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["demo", "--out", str(tmp_path), "--people", "300", "--no-serve"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "entities.csv").is_file()
    assert (tmp_path / "run" / "report.html").is_file()
    assert "pairwise" in result.output and "B-cubed" in result.output
