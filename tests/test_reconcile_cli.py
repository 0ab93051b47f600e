"""The whole batch through the `linker` command, on a small sample with truth."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from linker.cli import main
from models import FellegiSunterModel


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def reconcile(sample: Path, out: Path, *options: str) -> str:
    """`linker reconcile` of the sample into `out`, quietly, with `options`; must succeed."""
    return run("reconcile", str(sample / "mapping.toml"), "--out", str(out), "--quiet", *options)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    run("sample-data", "--people", "1500", "--seed", "5", "--out", str(out))
    return out


@pytest.fixture(scope="module")
def first_run(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    reconcile(sample, out)
    return out


def test_outputs_are_complete(first_run: Path, sample: Path) -> None:
    entities = pd.read_csv(first_run / "entities.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(sample / "truth" / "records.csv", dtype=str)
    assert list(entities.columns[:4]) == ["source", "record_key", "entity_id", "a_number"]
    assert not entities.duplicated(["source", "record_key"]).any()
    assert len(entities) == len(truth)  # every record present, exactly once
    queue = pd.read_csv(first_run / "review_queue.csv")
    assert {"priority", "left_source", "left_record_key", "match_probability"} <= set(queue)
    assert queue["priority"].is_monotonic_decreasing
    pairs = pd.read_parquet(first_run / "pairs.parquet")
    assert (pairs["record_id_l"] < pairs["record_id_r"]).all()
    # the rule that fired, as text ("" for none), whatever the engine held it as
    assert pairs["contradiction"].dtype == object and (pairs["contradiction"] == "").any()
    html = (first_run / "report.html").read_text()
    assert html.count("<svg") >= 3
    summary = json.loads((first_run / "summary.json").read_text())
    stages = summary["stage_seconds"]
    assert set(stages) >= {"standardize", "block", "compare", "cluster", "outputs"}
    assert list(stages)[-1] == "outputs" and stages["outputs"] > 0  # report and files timed
    counts = summary["counts"]
    lacked = entities["a_number_original"] == ""
    sources = entities.groupby("entity_id")["source"].nunique()
    spans = entities["entity_id"].map(sources) > 1
    assert counts["lost_files_reconciled"] == int((lacked & spans).sum()) > 0
    assert counts["records_without_a_number"] == int(lacked.sum())
    FellegiSunterModel.load(first_run / "model.json")
    records = pd.read_parquet(first_run / "records.parquet", columns=["record_key", "raw"])
    assert len(records) == len(truth) and records["raw"].str.startswith("{").all()
    assert not list(first_run.glob(".*"))  # no partial files left behind


def test_one_worker_gives_the_same_run(first_run: Path, sample: Path, tmp_path: Path) -> None:
    # --workers 1: standardizing in this process, blocking, comparing and scoring in one
    # thread each; the default used one per core (two or more in CI).
    reconcile(sample, tmp_path, "--workers", "1")
    for name in ("entities.csv", "review_queue.csv", "relations.csv"):
        assert (tmp_path / name).read_bytes() == (first_run / name).read_bytes(), name
    result = CliRunner().invoke(
        main, ["reconcile", str(sample / "mapping.toml"), "--out", str(tmp_path), "--workers", "0"]
    )
    assert result.exit_code != 0 and "--workers" in result.output


def _exported_by_hand(sample: Path, out: Path) -> None:
    """The sample's extracts as offices export them: A-numbers as spreadsheet formulas,
    ZIPs through a float column, remarks and aliases in names, the cited CBP event typed
    in lower case with dashes. The same people, written otherwise."""
    shutil.copytree(sample, out, dirs_exist_ok=True)

    def edit(name: str, encoding: str, change: Callable[[pd.DataFrame], None]) -> None:
        frame = pd.read_csv(out / name, dtype=str, keep_default_na=False, encoding=encoding)
        change(frame)
        frame.to_csv(out / name, index=False, encoding=encoding)

    def every(frame: pd.DataFrame, column: str, step: int, how: Callable[[str], str]) -> None:
        rows = (frame.index % step == 0) & (frame[column] != "")
        frame.loc[rows, column] = frame.loc[rows, column].map(how)

    def dashed(event: str) -> str:  # "RGV190000287" -> "rgv-19-0000287"
        return f"{event[:3]}-{event[3:5]}-{event[5:]}".lower()

    def cbp(frame: pd.DataFrame) -> None:
        every(frame, "ALIEN_NBR", 2, lambda v: f'="{v}"')
        every(frame, "LAST_NAME", 5, lambda v: f"{v} (MOTHER)")
        every(frame, "US_ADDR_ZIP", 3, lambda v: f"{int(v)}.0" if v.isdigit() else v)

    def ice(frame: pd.DataFrame) -> None:
        every(frame, "CBP_EVENT_NO", 1, dashed)
        every(frame, "ALIEN_NAME", 4, lambda v: f"{v} AKA JUANITO")

    def hhs(frame: pd.DataFrame) -> None:
        every(frame, "CBP_APPREHENSION_ID", 1, dashed)
        every(frame, "CHILD_A_NUMBER", 3, lambda v: f'="{v}"')

    edit("cbp_apprehensions.csv", "utf-8", cbp)
    edit("ice_releases.csv", "cp1252", ice)
    edit("hhs_referrals.csv", "utf-8-sig", hhs)


def test_extracts_written_as_offices_export_them_link_the_same(
    first_run: Path, sample: Path, tmp_path: Path
) -> None:
    messy = tmp_path / "sample"
    _exported_by_hand(sample, messy)
    assert (messy / "ice_releases.csv").read_bytes() != (sample / "ice_releases.csv").read_bytes()
    reconcile(messy, tmp_path / "run")
    for name in ("entities.csv", "relations.csv"):
        assert (tmp_path / "run" / name).read_bytes() == (first_run / name).read_bytes(), name
    columns = ["source", "record_key", "a_number", "family_name_1", "full_name", "postal_code"]
    clean = pd.read_parquet(first_run / "records.parquet", columns=columns)
    read = pd.read_parquet(tmp_path / "run" / "records.parquet", columns=columns)
    pd.testing.assert_frame_equal(read, clean)


def test_blocking_command_reports_recall(sample: Path) -> None:
    output = run("blocking", str(sample / "mapping.toml"), "--truth", str(sample / "truth"))
    assert "names_birth_year" in output and "cumulative_pairs" in output
    recall = float(output.split("blocking recall: ")[1].split()[0])
    assert recall >= 0.99
    # per rule: the true pairs each finds first, and the recall so far, ending at the total
    header, *rows = output.split("\n\n")[0].splitlines()
    assert header.split()[-2:] == ["true_new", "cumulative_recall"]
    cumulative = [float(row.split()[-1]) for row in rows]
    assert cumulative == sorted(cumulative) and cumulative[-1] == pytest.approx(recall, abs=1e-4)
    assert sum(int(row.split()[-2]) for row in rows) > 0


def test_accuracy_floors(first_run: Path, sample: Path) -> None:
    output = run("evaluate", str(first_run), "--truth", str(sample / "truth"))
    result = json.loads((first_run / "evaluation.json").read_text())
    pairwise = result["entities"]["pairwise"]
    assert pairwise["precision"] >= 0.97, output
    assert pairwise["recall"] >= 0.95, output
    assert result["entities"]["bcubed"]["f1"] >= 0.97
    anumbers = result["a_numbers"]
    assert anumbers["assigned"] > 0 and anumbers["precision"] >= 0.93
    assert "pairwise" in output


def test_rerun_with_saved_model_keeps_entity_ids(
    first_run: Path, sample: Path, tmp_path: Path
) -> None:
    reconcile(sample, tmp_path, "--model", str(first_run / "model.json"))
    before = pd.read_csv(first_run / "entities.csv", dtype=str)
    after = pd.read_csv(tmp_path / "entities.csv", dtype=str)
    assert before["entity_id"].tolist() == after["entity_id"].tolist()


def write_decisions(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    frame = pd.DataFrame(
        rows,
        columns=["left_source", "left_record_key", "right_source", "right_record_key", "decision"],
    )
    frame["reviewer"] = "ana"
    frame["decided_at"] = pd.date_range("2026-01-01", periods=len(frame), freq="h").strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    frame["note"] = ""
    frame.to_csv(path, index=False)
    return path


def entity_of(run_dir: Path, source: str, key: str) -> str:
    entities = pd.read_csv(run_dir / "entities.csv", dtype=str).set_index(["source", "record_key"])
    return str(entities.loc[(source, key), "entity_id"])


def test_decisions_bind_the_next_run(first_run: Path, sample: Path, tmp_path: Path) -> None:
    entities = pd.read_csv(first_run / "entities.csv", dtype=str)
    sizes = entities.groupby("entity_id").size()
    linked = entities[entities["entity_id"].isin(sizes[sizes >= 2].index)].sort_values("entity_id")
    a, b = linked.iloc[0], linked.iloc[1]
    assert a["entity_id"] == b["entity_id"]
    singles = entities[entities["entity_id"].isin(sizes[sizes == 1].index)]
    c, d = singles.iloc[0], singles.iloc[1]
    decisions = write_decisions(
        tmp_path / "d.csv",
        [
            (a["source"], a["record_key"], b["source"], b["record_key"], "distinct"),
            (c["source"], c["record_key"], d["source"], d["record_key"], "match"),
            ("cbp", "NO-SUCH-KEY", c["source"], c["record_key"], "match"),
        ],
    )
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        [
            "reconcile",
            str(sample / "mapping.toml"),
            "--out",
            str(out),
            "--quiet",
            "--decisions",
            str(decisions),
        ],
    )
    assert result.exit_code == 0, result.output
    assert entity_of(out, a["source"], a["record_key"]) != entity_of(
        out, b["source"], b["record_key"]
    )
    assert entity_of(out, c["source"], c["record_key"]) == entity_of(
        out, d["source"], d["record_key"]
    )
    assert "1 decision(s) name records not in these extracts" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["decisions_unknown_records"] == 1


def test_an_a_number_behind_an_unsure_link_waits_for_a_reviewer(
    first_run: Path, sample: Path, tmp_path: Path
) -> None:
    entities = pd.read_csv(first_run / "entities.csv", dtype=str, keep_default_na=False)
    source = entities.set_index(["source", "record_key"])["a_number_source"]
    pending = entities[entities["a_number_source"] == "pending"]
    assert len(pending) > 0 and (pending["a_number"] == "").all()
    summary = json.loads((first_run / "summary.json").read_text())
    assert summary["counts"]["a_numbers_pending_review"] == len(pending)
    # The link that would give it one is queued first, as "gives an A-number".
    queue = pd.read_csv(first_run / "review_queue.csv", dtype=str, keep_default_na=False)
    queue["left"] = list(zip(queue["left_source"], queue["left_record_key"], strict=True))
    queue["right"] = list(zip(queue["right_source"], queue["right_record_key"], strict=True))
    waiting = set(zip(pending["source"], pending["record_key"], strict=True))
    carriers = {k for k, v in source.items() if v in ("original", "recovered")}
    ask = queue[
        (queue["left"].isin(waiting) & queue["right"].isin(carriers))
        | (queue["right"].isin(waiting) & queue["left"].isin(carriers))
    ]
    assert len(ask) > 0 and ask["reason"].str.contains("gives an A-number").all()
    assert ask["priority"].astype(int).min() >= 4
    pair = ask.iloc[0]
    record = pair["left"] if pair["left"] in waiting else pair["right"]
    carrier = pair["right"] if record == pair["left"] else pair["left"]
    # A reviewer says "match": the next run gives it the A-number.
    decisions = write_decisions(tmp_path / "d.csv", [(*pair["left"], *pair["right"], "match")])
    out = tmp_path / "run"
    reconcile(sample, out, "--decisions", str(decisions))
    after = pd.read_csv(out / "entities.csv", dtype=str, keep_default_na=False)
    after = after.set_index(["source", "record_key"])
    assert after.loc[record, "a_number_source"] == "recovered"
    assert after.loc[record, "a_number"] == after.loc[carrier, "a_number"] != ""


def test_undo_is_a_newer_row(first_run: Path, sample: Path, tmp_path: Path) -> None:
    entities = pd.read_csv(first_run / "entities.csv", dtype=str)
    sizes = entities.groupby("entity_id").size()
    linked = entities[entities["entity_id"].isin(sizes[sizes >= 2].index)].sort_values("entity_id")
    a, b = linked.iloc[0], linked.iloc[1]
    decisions = write_decisions(
        tmp_path / "d.csv",
        [
            (a["source"], a["record_key"], b["source"], b["record_key"], "distinct"),
            (b["source"], b["record_key"], a["source"], a["record_key"], "unsure"),
        ],
    )
    out = tmp_path / "run"
    reconcile(sample, out, "--decisions", str(decisions))
    assert entity_of(out, a["source"], a["record_key"]) == entity_of(
        out, b["source"], b["record_key"]
    )


def test_mapping_without_a_usable_name_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("K,DOB,SEX\n1,2001-01-01,M\n2,2001-01-01,F\n")
    (tmp_path / "m.toml").write_text(
        '[[sources]]\nname = "x"\npath = "x.csv"\nkey = "K"\n'
        '  [sources.fields]\n  dob = "DOB"\n  sex = "SEX"\n'
    )
    result = CliRunner().invoke(
        main, ["reconcile", str(tmp_path / "m.toml"), "--out", str(tmp_path / "o"), "--quiet"]
    )
    assert result.exit_code == 1
    assert "no usable name" in result.output
    assert not (tmp_path / "o" / "entities.csv").exists()
    assert not (tmp_path / "o").exists()  # a failed run leaves no folder it created


def test_bad_decisions_file_names_line_and_column(sample: Path, tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(
        "left_source,left_record_key,right_source,right_record_key,decision,reviewer,"
        "decided_at\ncbp,A,cbp,B,maybe,ana,2026-01-01T00:00:00Z\n"
    )
    result = CliRunner().invoke(
        main,
        [
            "reconcile",
            str(sample / "mapping.toml"),
            "--out",
            str(tmp_path / "o"),
            "--quiet",
            "--decisions",
            str(tmp_path / "d.csv"),
        ],
    )
    assert result.exit_code == 1
    assert "line 2, column decision" in result.output


def test_the_family_stage_in_its_own_process_gives_the_same_run(
    first_run: Path, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large runs (FAMILY_PROCESS_MIN_RECORDS) infer the family relations in a second
    # process from the start of clustering; this sample is small, so the bound is lowered.
    import linker.reconcile as reconcile_module

    started: list[object] = []

    class Spy(reconcile_module.FamilyInBackground):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            started.append(self)

    monkeypatch.setattr(reconcile_module, "FAMILY_PROCESS_MIN_RECORDS", 0)
    monkeypatch.setattr(reconcile_module, "FamilyInBackground", Spy)
    # one worker asked for: the stage stays in this process, whatever the run's size
    one = tmp_path / "one"
    reconcile(sample, one, "--workers", "1")
    assert started == []
    assert (one / "relations.csv").read_bytes() == (first_run / "relations.csv").read_bytes()
    shutil.rmtree(one)
    reconcile(sample, tmp_path, "--workers", "2")
    assert len(started) == 1
    for name in ("entities.csv", "relations.csv", "shared_contacts.csv", "review_queue.csv"):
        assert (tmp_path / name).read_bytes() == (first_run / name).read_bytes(), name
    summary = json.loads((tmp_path / "summary.json").read_text())
    in_process = json.loads((first_run / "summary.json").read_text())
    assert summary["counts"] == in_process["counts"]
    # the second process's memory is reported beside this one's
    assert summary["family_process_peak_mb"] > 50 and "family_process_peak_mb" not in in_process
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_batch_failing_after_the_family_process_started_leaves_nothing(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linker.batch as batch_module
    import linker.reconcile as reconcile_module
    from linker.reconcile import ReconcileSettings

    def broken_report(*_: object, **__: object) -> str:
        raise RuntimeError("report failed")

    monkeypatch.setattr(reconcile_module, "FAMILY_PROCESS_MIN_RECORDS", 0)
    monkeypatch.setattr(batch_module, "build_report", broken_report)
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="report failed"):
        batch_module.run_batch(sample / "mapping.toml", out, settings=ReconcileSettings(workers=2))
    assert not out.exists()  # created by the run, so removed with the family's folder
