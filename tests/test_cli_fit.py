"""``chatassign fit`` end to end: the scenario it writes, its report, errors, privacy."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from chatassign.cli import app
from chatassign.scenario import check_scenario_file, load_scenario
from tests.history_generator import MAPPING, MARKER, Truth, export_text

GOLDEN = Path(__file__).parent / "data" / "golden" / "fit"

BASE = """\
plan: lite
roles:
  agent: [livechats.view_manage_assigned]
users:
  ana@desk: {role: agent, teams: [billing]}
  ben@desk: {role: agent, teams: [billing]}
  eli@desk: {role: agent, teams: [tech]}
  zed@desk: {role: agent, teams: [tech]}
teams:
  billing: {teamspaces: [support]}
  tech: {teamspaces: [support]}
teamspaces:
  support: {assignment: {method: random, max_auto_assigned: 2}}
ai_agents:
  billbot: {teamspace: support, languages: [en], handoff: {target: {teams: [billing]}}}
  techbot: {teamspace: support, languages: [en, de], handoff: {target: {teams: [tech]}}}
"""


@cache
def small_export() -> str:
    return export_text(Truth(days=5))


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder (the working directory) holding export.csv and mapping.yaml."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "export.csv").write_text(small_export(), encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return tmp_path


def run(*args: str) -> Result:
    result = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "100"}).invoke(
        app, ["fit", "export.csv", "--mapping", "mapping.yaml", *args], terminal_width=100
    )
    assert "Traceback" not in result.output
    return result


def test_fit_writes_a_scenario_validate_accepts(desk: Path) -> None:
    result = run("--output", "./desk.yaml")
    assert result.exit_code == 0, result.output
    problems = check_scenario_file(desk / "desk.yaml")
    assert not [p for p in problems if p.is_error], problems
    scenario = load_scenario(desk / "desk.yaml")
    assert scenario.workload is not None
    assert {s.ai_agent for s in scenario.workload.arrivals} == {"billbot", "techbot"}
    assert scenario.workload.horizon == 8 * 3600


def test_the_documented_chain_fit_then_simulate_works_with_a_bare_name(desk: Path) -> None:
    """``fit ... --output desk.yaml`` then ``simulate desk.yaml``, as the docs show: the
    fitted scenario lands where it was named, not under reports/."""
    assert run("--output", "desk.yaml", "--quiet").exit_code == 0
    assert (desk / "desk.yaml").is_file()
    assert not (desk / "reports").exists()
    simulated = CliRunner().invoke(
        app, ["simulate", "desk.yaml", "--replications", "1", "--format", "json", "-q"]
    )
    assert simulated.exit_code == 0, simulated.output
    assert json.loads(simulated.stdout)["results"][0]["chats"]["handed_off"] > 0


def test_the_report_table_matches_its_golden_file(desk: Path) -> None:
    result = run("--output", "./desk.yaml")
    golden = GOLDEN / "report.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_the_json_report_has_every_section(desk: Path) -> None:
    result = run("--output", "./desk.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"rows", "period", "streams", "work", "slowdown", "patience", "cap"}
    assert report["rows"]["ignored"] == {
        "outcome 'spam' (ignore)": report["rows"]["read"] - report["rows"]["used"]
    }
    stream = report["streams"][0]
    assert set(stream) >= {"ai_agent", "volume", "rates_per_h", "mean_work_s", "mean_patience_s"}
    assert report["work"]["fit"]["ks_distance"] < 0.1
    assert report["patience"]["mean_wait_of_abandoned_s"] < report["patience"]["parameters"]["mean"]


def test_the_same_export_fits_to_the_same_bytes(desk: Path) -> None:
    run("--output", "./a.yaml")
    run("--output", "./b.yaml")
    assert (desk / "a.yaml").read_bytes() == (desk / "b.yaml").read_bytes()


def test_a_workspace_keeps_its_configuration(desk: Path) -> None:
    (desk / "base.yaml").write_text(BASE, encoding="utf-8")
    result = run("--output", "./desk.yaml", "--workspace", "base.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    scenario = load_scenario(desk / "desk.yaml")
    assert scenario.workspace.plan.label == "lite"
    assert scenario.workload is not None
    assert set(scenario.workload.shifts) == {"ana@desk", "ben@desk", "eli@desk", "zed@desk"}
    assert scenario.workload.shifts["zed@desk"] == ()
    notes = json.loads(result.stdout)["notes"]
    assert any("not users of the workspace" in note for note in notes)
    assert any("billbot: languages de" in note for note in notes)


def test_a_workspace_without_the_exports_ai_agents_is_refused(desk: Path) -> None:
    (desk / "base.yaml").write_text(BASE.replace("  techbot:", "  otherbot:"), encoding="utf-8")
    result = run("--output", "./desk.yaml", "--workspace", "base.yaml")
    assert result.exit_code == 1
    assert "'techbot'" in result.stderr
    assert not (desk / "desk.yaml").exists()


@pytest.mark.parametrize(("day", "days"), [("2026-03-04", 1), ("whole", 1), ("weekday", 5)])
def test_the_day_option(desk: Path, day: str, days: int) -> None:
    result = run("--output", "./desk.yaml", "--day", day, "--format", "json", "--interval", "1h")
    assert result.exit_code == 0, result.output
    period = json.loads(result.stdout)["period"]
    assert period["days"] == days
    assert period["interval_s"] == 3600
    assert not [p for p in check_scenario_file(desk / "desk.yaml") if p.is_error]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--day", "someday"], "--day: 'someday' is not weekday"),
        (["--day", "2027-01-01"], "outside the export"),
        (["--interval", "10s"], "--interval: at least 1m"),
        (["--idle-gap", "soon"], "--idle-gap: bad duration"),
    ],
)
def test_bad_options_are_usage_errors(desk: Path, args: list[str], message: str) -> None:
    result = run("--output", "./desk.yaml", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (desk / "desk.yaml").exists()


def bad_rows(desk: Path) -> None:
    text = small_export().splitlines(keepends=True)
    broken = text[5].split(",")
    broken[1] = "yesterday"
    text[5] = ",".join(broken)
    text.insert(9, f"x1,2026-03-02 10:00:00,,,,,billing,en,billbot,lost,{MARKER}-a,{MARKER}-b\n")
    (desk / "export.csv").write_text("".join(text), encoding="utf-8")


def test_bad_rows_fail_with_their_location_and_write_nothing(desk: Path) -> None:
    bad_rows(desk)
    result = run("--output", "./desk.yaml")
    assert result.exit_code == 1
    assert "export.csv: 2 bad rows" in result.stderr
    assert "export.csv:6: column 'handed_off_at': 'yesterday' is not a timestamp" in result.stderr
    assert "export.csv:10: column 'status': unknown outcome 'lost'" in result.stderr
    assert not (desk / "desk.yaml").exists()


def test_skipped_rows_are_reported(desk: Path) -> None:
    bad_rows(desk)
    result = run("--output", "./desk.yaml", "--skip-bad-rows", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert rows["skipped"] == 2
    assert rows["skipped_examples"][0].startswith("export.csv:6: column 'handed_off_at'")


def test_no_unmapped_value_reaches_any_output(desk: Path) -> None:
    bad_rows(desk)
    seen = []
    for args in (
        ["--output", "./desk.yaml", "--skip-bad-rows"],
        ["--output", "./desk2.yaml", "--skip-bad-rows", "--format", "json"],
        ["--output", "./desk3.yaml"],
    ):
        result = run(*args)
        seen += [result.stdout, result.stderr]
    assert MARKER in small_export()
    for path in desk.rglob("*"):
        if path.name != "export.csv" and path.is_file():
            seen.append(path.read_text(encoding="utf-8"))
    assert all(MARKER not in text for text in seen)
    assert sorted(p.name for p in desk.iterdir()) == [
        "desk.yaml",
        "desk2.yaml",
        "export.csv",
        "mapping.yaml",
    ]


def recorded_figures(text: str) -> dict[str, float]:
    """Abandon rate, mean wait of served and P(wait > 0), straight from the export's rows."""
    rows = [row for row in csv.DictReader(io.StringIO(text)) if row["status"] != "spam"]
    served = [row for row in rows if row["status"] == "closed"]

    def seconds(row: dict[str, str], start: str, end: str) -> float:
        return (
            datetime.fromisoformat(row[end]) - datetime.fromisoformat(row[start])
        ).total_seconds()

    waits = [seconds(row, "handed_off_at", "assigned_at") for row in served]
    left = [
        seconds(row, "handed_off_at", "abandoned_at") for row in rows if row["status"] != "closed"
    ]
    return {
        "abandon_rate": 1 - len(served) / len(rows),
        "wait_s": sum(waits) / len(waits),
        # As simulate defines it: every handed-off chat that waited, abandoned ones included.
        "p_wait": sum(w > 0 for w in waits + left) / len(rows),
    }


def test_the_fitted_desk_simulates_like_the_recorded_one(desk: Path) -> None:
    """Round trip: export -> fit -> chatassign simulate -> the export's own figures."""
    assert run("--output", "./desk.yaml").exit_code == 0
    result = CliRunner().invoke(
        app, ["simulate", "desk.yaml", "--format", "json", "--replications", "6"]
    )
    assert result.exit_code == 0, result.output
    simulated = json.loads(result.stdout)["results"][0]
    recorded = recorded_figures(small_export())
    assert abs(simulated["abandon_rate"] - recorded["abandon_rate"]) < 0.03
    assert abs(simulated["p_wait"] - recorded["p_wait"]) < 0.05
    assert abs(simulated["wait_s"]["mean"] - recorded["wait_s"]) < 0.35 * recorded["wait_s"]


def test_the_fit_benchmark_runs_on_a_small_export() -> None:
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_fit.py"
    done = subprocess.run(
        [sys.executable, str(script), "--rows", "30000"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "rows/s" in done.stdout
    assert "exit 0" in done.stdout
    assert "in-run baseline" in done.stdout


MINIMAL = "columns: {handed_off_at: h, wait: w, handle_time: d}\n"


def test_an_export_without_agents_needs_a_workspace(desk: Path) -> None:
    (desk / "mapping.yaml").write_text(MINIMAL, encoding="utf-8")
    (desk / "export.csv").write_text(
        "h,w,d\n2026-03-02 09:00:00,10,300\n2026-03-02 09:20:00,30,\n", encoding="utf-8"
    )
    result = run("--output", "./desk.yaml")
    assert result.exit_code == 1
    assert "names no `agent` column" in result.stderr
    (desk / "base.yaml").write_text(
        BASE.replace("billbot", "assistant").replace("  techbot:", "  otherbot:"), encoding="utf-8"
    )
    result = run("--output", "./desk.yaml", "--workspace", "base.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    scenario = load_scenario(desk / "desk.yaml")
    assert scenario.workload is not None
    assert not scenario.workload.shifts
    assert json.loads(result.stdout)["rows"]["used"] == 2


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("h,w,d\n2026-03-02 09:20:00,30,\n", "no served chat"),
        ("h,w,d\n", "no chat to fit"),
    ],
)
def test_an_export_with_nothing_to_fit_is_invalid_input(
    desk: Path, rows: str, message: str
) -> None:
    (desk / "mapping.yaml").write_text(MINIMAL, encoding="utf-8")
    (desk / "export.csv").write_text(rows, encoding="utf-8")
    (desk / "base.yaml").write_text(BASE, encoding="utf-8")
    result = run("--output", "./desk.yaml", "--workspace", "base.yaml")
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert not (desk / "desk.yaml").exists()
