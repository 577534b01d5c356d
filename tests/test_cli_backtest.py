"""``chatassign backtest``: recorded figures from the rows, simulated ranges, flags, outputs."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections import defaultdict
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from chatassign.analysis.intervals import t_quantile_975
from chatassign.cli import app
from chatassign.history.backtest import order_statistic, prediction_range
from tests.history_generator import MAPPING, MARKER, Truth, export_text

GOLDEN = Path(__file__).parent / "data" / "golden" / "backtest.txt"
DAY_START_HOUR = 9
HORIZON = 8 * 3600.0
THRESHOLD = 60.0


@cache
def export() -> str:
    return export_text(Truth(days=5))


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding export.csv, mapping.yaml and desk.yaml fitted from them."""
    folder = tmp_path_factory.mktemp("backtest")
    (folder / "export.csv").write_text(export(), encoding="utf-8")
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "fit", str(folder / "export.csv"), "--mapping", str(folder / "mapping.yaml"),
            "--output", str(folder / "desk.yaml"), "--quiet",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def desk(fitted: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(fitted)
    return fitted


def run(*args: str) -> Result:
    result = CliRunner(env={"NO_COLOR": "1", "COLUMNS": "100", "TERM": "dumb"}).invoke(
        app, list(args), terminal_width=100
    )
    assert "Traceback" not in result.output
    return result


def backtest(scenario: str = "desk.yaml", *args: str) -> Result:
    return run("backtest", scenario, "--history", "export.csv", "--mapping", "mapping.yaml", *args)


def backtest_json(scenario: str = "desk.yaml", *args: str) -> Any:
    result = backtest(scenario, "--format", "json", "--replications", "12", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ------------------------------------------------ the recorded side, recomputed


def recomputed(text: str) -> dict[str, Any]:
    """The export's own figures, straight from its rows with csv and datetime only."""
    rows = [row for row in csv.DictReader(io.StringIO(text)) if row["status"] != "spam"]

    def at(value: str) -> datetime:
        return datetime.fromisoformat(value)

    days: dict[date, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        days[at(row["handed_off_at"]).date()].append(row)
    count = len(days)
    served = [row for row in rows if row["status"] == "closed"]
    waits = [(at(r["assigned_at"]) - at(r["handed_off_at"])).total_seconds() for r in served]
    left = [
        (at(r["abandoned_at"]) - at(r["handed_off_at"])).total_seconds()
        for r in rows
        if r["status"] != "closed"
    ]
    durations = [(at(r["closed_at"]) - at(r["assigned_at"])).total_seconds() for r in served]
    window = 0.0
    for day, chats in days.items():
        start = datetime(day.year, day.month, day.day, DAY_START_HOUR)
        ends = [at(r["closed_at"] or r["abandoned_at"]) for r in chats]
        window += max(HORIZON, max((end - start).total_seconds() for end in ends))
    ranked = sorted(waits)
    teams: dict[str, list[float]] = defaultdict(list)
    for row, duration in zip(served, durations, strict=True):
        teams[row["team"]].append(duration)
    per_interval = [0] * 8
    for row in rows:
        moment = at(row["handed_off_at"])
        per_interval[moment.hour - DAY_START_HOUR] += 1
    billbot = [row for row in rows if row["bot"] == "billbot"]
    billbot_served = [r for r in billbot if r["status"] == "closed"]
    return {
        "handed_off": len(rows) / count,
        "assigned": len(served) / count,
        "abandoned": (len(rows) - len(served)) / count,
        "abandon_rate": 1 - len(served) / len(rows),
        "wait_mean": sum(waits) / len(waits),
        "wait_p90": ranked[math.ceil(0.9 * len(ranked)) - 1],
        "p_wait": sum(w > 0 for w in waits + left) / len(rows),
        "service_level": sum(w <= THRESHOLD for w in waits) / len(rows),
        "queue": (sum(waits) + sum(left)) / window,
        "open": sum(durations) / window,
        "teams": {team: (len(d) / count, sum(d) / window) for team, d in teams.items()},
        "billbot": (len(billbot) / count, 1 - len(billbot_served) / len(billbot)),
        "intervals": [n / count for n in per_interval],
    }


def test_the_recorded_figures_equal_figures_computed_from_the_rows(desk: Path) -> None:
    doc = backtest_json()
    recorded = doc["recorded"]
    truth = recomputed(export())

    def near(value: float) -> Any:
        return pytest.approx(value, rel=1e-6, abs=1e-6)

    assert recorded["chats"]["handed_off"] == near(truth["handed_off"])
    assert recorded["chats"]["assigned"] == near(truth["assigned"])
    assert recorded["chats"]["abandoned"] == near(truth["abandoned"])
    assert recorded["abandon_rate"] == near(truth["abandon_rate"])
    assert recorded["wait_s"]["mean"] == near(truth["wait_mean"])
    assert recorded["wait_s"]["p90"] == near(truth["wait_p90"])
    assert recorded["p_wait"] == near(truth["p_wait"])
    assert recorded["service_level"] == {
        "threshold_s": THRESHOLD,
        "value": near(truth["service_level"]),
    }
    assert recorded["queue"]["mean_length"] == near(truth["queue"])
    assert recorded["load"]["mean_open"] == near(truth["open"])
    for team, (assigned, mean_open) in truth["teams"].items():
        assert recorded["by_team"][team]["assigned"] == near(assigned)
        assert recorded["by_team"][team]["mean_open"] == near(mean_open)
    billbot = recorded["by_ai_agent"]["billbot"]
    assert billbot["chats"]["handed_off"] == near(truth["billbot"][0])
    assert billbot["abandon_rate"] == near(truth["billbot"][1])
    handed = [item["recorded"]["chats"]["handed_off"] for item in doc["intervals"]]
    assert handed == [near(n) for n in truth["intervals"]]
    assert doc["period"] == {
        "day": "weekday", "days": 5, "first": "2026-03-02", "last": "2026-03-06",
        "starts_at": "09:00", "horizon_s": HORIZON, "interval_s": 3600.0,
    }  # fmt: skip
    assert doc["rows"]["used"] == sum(1 for row in csv.DictReader(io.StringIO(export()))
                                      if row["status"] != "spam")  # fmt: skip
    assert doc["rows"]["outside"] == 0


# ------------------------------------------------ the simulated side and its flags


def test_the_fitted_scenario_backtests_inside_its_ranges(desk: Path) -> None:
    doc = backtest_json("desk.yaml", "--replications", "20")
    flagged = {item["metric"] for item in doc["outside"]}
    for key in ("chats.handed_off", "abandon_rate", "wait_s.mean", "service_level.value"):
        assert key not in flagged, doc["outside"]
    # 95 % ranges: a figure now and then falls outside by chance, never many.
    assert len(flagged) <= 2, doc["outside"]
    intervals = [key for item in doc["intervals"] for key in item["outside"]]
    assert len(intervals) <= 0.15 * 4 * len(doc["intervals"]), doc["intervals"]


def half_the_agents(folder: Path) -> Path:
    """The fitted desk with every second agent never online."""
    scenario = yaml.safe_load((folder / "desk.yaml").read_text(encoding="utf-8"))
    shifts = scenario["workload"]["shifts"]
    for agent in sorted(shifts)[1::2]:
        shifts[agent] = []
    path = folder / "half.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return path


def test_a_desk_with_half_the_agents_is_flagged(desk: Path) -> None:
    doc = backtest_json(str(half_the_agents(desk)))
    sides = {item["metric"]: item["side"] for item in doc["outside"]}
    assert sides["abandon_rate"] == "below"  # the real desk lost far fewer customers
    assert sides["wait_s.mean"] == "below"
    assert sides["service_level.value"] == "above"
    assert sides["by_ai_agent.billbot.abandon_rate"] == "below"
    assert "chats.handed_off" not in sides  # the traffic itself is right
    assert all("abandon_rate" in item["outside"] for item in doc["intervals"])


def test_the_table_marks_figures_outside_their_range(desk: Path) -> None:
    result = backtest(str(half_the_agents(desk)), "--replications", "12")
    assert result.exit_code == 0, result.output
    abandon = next(line for line in result.stdout.splitlines() if "│ abandon rate" in line)
    assert "▼" in abandon
    assert "outside the simulated range" in result.stdout


def test_the_table_matches_its_golden_file(desk: Path) -> None:
    result = backtest("desk.yaml", "--replications", "6", "--interval", "2h")
    assert result.exit_code == 0, result.output
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == GOLDEN.read_text(encoding="utf-8"), (
        "backtest.txt changed; if intended: UPDATE_GOLDEN=1 python -m pytest "
        "tests/test_cli_backtest.py"
    )


def test_the_same_seed_gives_the_same_bytes(desk: Path) -> None:
    first = backtest("desk.yaml", "--format", "json", "--replications", "3", "--seed", "5")
    again = backtest("desk.yaml", "--format", "json", "--replications", "3", "--seed", "5")
    other = backtest("desk.yaml", "--format", "json", "--replications", "3", "--seed", "6")
    assert first.exit_code == 0, first.output
    assert first.stdout == again.stdout
    assert first.stdout != other.stdout


@pytest.mark.parametrize("output_format", ["markdown", "csv"])
def test_the_other_formats(desk: Path, output_format: str) -> None:
    result = backtest("desk.yaml", "--format", output_format, "--replications", "3")
    assert result.exit_code == 0, result.output
    if output_format == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        scopes = {row["scope"] for row in rows}
        assert scopes == {"total", "team", "ai_agent", "interval"}
        total = next(r for r in rows if r["scope"] == "total" and r["metric"] == "abandon_rate")
        assert float(total["low"]) <= float(total["simulated"]) <= float(total["high"])
    else:
        assert "| metric | recorded | simulated | range |" in result.stdout
        assert "### Per interval" in result.stdout


def test_the_day_option(desk: Path) -> None:
    one = backtest_json("desk.yaml", "--day", "2026-03-04")
    assert one["period"]["days"] == 1
    assert one["period"]["day"] == "date"
    every = [row for row in csv.DictReader(io.StringIO(export())) if row["status"] != "spam"]
    per_day = [row for row in every if row["handed_off_at"].startswith("2026-03-04")]
    assert one["recorded"]["chats"]["handed_off"] == len(per_day)
    assert one["rows"]["outside"] == len(every) - len(per_day)


def test_the_report_draws_recorded_against_simulated(desk: Path) -> None:
    pytest.importorskip("matplotlib")
    result = backtest("desk.yaml", "--replications", "3", "--report", "./bt.html", "--quiet")
    assert result.exit_code == 0, result.output
    html = (desk / "bt.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 4
    assert "recorded against simulated" in html
    command = html.split('<pre id="command">')[1].split("</pre>")[0]
    assert "--history export.csv --mapping mapping.yaml" in command
    assert "--replications 3" in command
    assert json.loads((desk / "bt.json").read_text(encoding="utf-8"))["recorded"]


def test_no_unmapped_value_reaches_any_output(desk: Path) -> None:
    pytest.importorskip("matplotlib")
    outputs = [
        backtest("desk.yaml", "--replications", "2", "--format", fmt).stdout
        for fmt in ("table", "json", "markdown", "csv")
    ]
    assert backtest("desk.yaml", "--replications", "2", "--report", "./leak.html").exit_code == 0
    outputs += [(desk / "leak.html").read_text(encoding="utf-8")]
    outputs += [(desk / "leak.json").read_text(encoding="utf-8")]
    for text in outputs:
        assert text
        assert MARKER not in text
        assert "example.com" not in text


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--replications", "1"], "at least 2 replications"),
        (["--interval", "30s"], "--interval: at least"),
        (["--interval", "soon"], "--interval"),
        (["--interval", "1m", "--set", "workload.horizon=30d"], "more than 2,000 rows"),
        (["--day", "2025-01-01"], "outside the export"),
        (["--day", "someday"], "not weekday, whole or a date"),
    ],
)
def test_bad_options_are_usage_errors(desk: Path, args: list[str], message: str) -> None:
    result = backtest("desk.yaml", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_missing_files_are_usage_errors(desk: Path) -> None:
    result = run("backtest", "desk.yaml", "--history", "nope.csv", "--mapping", "mapping.yaml")
    assert result.exit_code == 2
    assert "--history nope.csv: no such file" in result.output
    assert run("backtest", "desk.yaml", "--mapping", "mapping.yaml").exit_code == 2
    assert run("backtest", "absent.yaml", "--history", "export.csv",
               "--mapping", "mapping.yaml").exit_code == 2  # fmt: skip


def test_a_bad_row_is_located_and_nothing_is_written(desk: Path, tmp_path: Path) -> None:
    lines = export().splitlines(keepends=True)
    lines[3] = lines[3].replace("2026-03-02 ", "yesterday ", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "out.json"
    result = run(
        "backtest", "desk.yaml", "--history", str(bad), "--mapping", "mapping.yaml",
        "--format", "json", "--output", str(out),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "bad.csv:4: column 'handed_off_at'" in result.output
    assert not out.exists()
    skipped = run(
        "backtest", "desk.yaml", "--history", str(bad), "--mapping", "mapping.yaml",
        "--format", "json", "--replications", "2", "--skip-bad-rows",
    )  # fmt: skip
    assert skipped.exit_code == 0, skipped.output


def test_a_bad_mapping_is_located(desk: Path, tmp_path: Path) -> None:
    bad = tmp_path / "map.yaml"
    bad.write_text(MAPPING.replace("columns:", "colums:"), encoding="utf-8")
    result = run("backtest", "desk.yaml", "--history", "export.csv", "--mapping", str(bad))
    assert result.exit_code == 1, result.output
    assert "map.yaml:3" in result.output


# ------------------------------------------------------------------ the statistics


def test_the_prediction_range_of_an_average_of_days() -> None:
    values = [10.0, 12.0, 14.0]
    mean, low, high = prediction_range(values, days=4, share=False)
    half = t_quantile_975(2) * 2.0 * math.sqrt(1 / 4 + 1 / 3)
    assert mean == pytest.approx(12.0)
    assert low == pytest.approx(12.0 - half)
    assert high == pytest.approx(12.0 + half)
    assert prediction_range([0.9, 1.0, 0.95], days=1, share=True)[2] == 1.0
    assert prediction_range([5.0], days=3, share=False) == (5.0, None, None)
    assert prediction_range([None, None], days=3, share=False) == (None, None, None)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=60), st.floats(0, 1))
def test_the_recorded_quantile_is_the_order_statistic_simulate_uses(
    values: list[float], q: float
) -> None:
    rank = max(1, math.ceil(q * len(values)))
    assert order_statistic(np.array(values), q) == sorted(values)[rank - 1]


def test_days_are_laid_on_the_clock_of_the_scenario() -> None:
    from chatassign.history.backtest import RecordedDays

    days = RecordedDays("weekday", (), (1000.0, 90000.0), 0.0, 3600.0)
    offsets, index = days.offsets(np.array([999.0, 1000.0, 4599.0, 4600.0, 90001.0]))
    assert index.tolist() == [-1, 0, 0, -1, 1]
    assert [None if math.isnan(x) else x for x in offsets.tolist()] == [
        None, 0.0, 3599.0, None, 1.0,
    ]  # fmt: skip


TRUE_DESK = """\
name: The generator's desk (its known truth)
plan: pro
roles:
  agent: [livechats.view_manage_assigned]
users:
{users}
teams:
  billing: {{teamspaces: [desk]}}
  tech: {{teamspaces: [desk]}}
teamspaces:
  desk:
    assignment: {{method: balanced, max_auto_assigned: 3}}
ai_agents:
  billbot: {{teamspace: desk, languages: [en, de], handoff: {{target: {{teams: [billing]}}}}}}
  techbot: {{teamspace: desk, languages: [en, de], handoff: {{target: {{teams: [tech]}}}}}}
workload:
  horizon: 8h
  starts_at: "09:00"
  seed: 3
  replications: 20
  arrivals:
    billbot:
      rate: 55/h
      handle_time: lognormal(mean=360, sd=240)
      languages: {{en: 0.8, de: 0.2}}
    techbot:
      rate: 45/h
      handle_time: exponential(mean=480)
      languages: {{en: 0.8, de: 0.2}}
  handle_time: exponential(mean=420)
  concurrency_slowdown: [1.0, 1.3, 1.7]
  patience: exponential(mean=240)
  shifts:
    dee@desk: [{{from: 4h, to: 8h}}]
    hal@desk: [{{from: 0h, to: 5h}}]
  run_to_completion: true
"""


def test_the_generators_true_desk_backtests_inside_its_ranges(desk: Path) -> None:
    """The model the export was generated from, written by hand (not fitted)."""
    truth = Truth()
    assert truth.rates == {"billbot": 55.0, "techbot": 45.0}
    assert truth.partial == {"dee@desk": (4 * 3600.0, 8 * 3600.0), "hal@desk": (0.0, 5 * 3600.0)}
    users = "\n".join(
        f"  {name}: {{role: agent, teams: [{team}]}}"
        for team, names in truth.agents.items()
        for name in names
    )
    (desk / "truth.yaml").write_text(TRUE_DESK.format(users=users), encoding="utf-8")
    doc = backtest_json("truth.yaml", "--replications", "20")
    flagged = {item["metric"] for item in doc["outside"]}
    for key in ("chats.handed_off", "abandon_rate", "wait_s.mean", "service_level.value"):
        assert key not in flagged, doc["outside"]
    assert len(flagged) <= 2, doc["outside"]


def test_names_the_scenario_and_the_export_disagree_on_are_noted(desk: Path) -> None:
    text = (desk / "desk.yaml").read_text(encoding="utf-8").replace("techbot", "chatbot")
    (desk / "renamed.yaml").write_text(text, encoding="utf-8")
    doc = backtest_json("renamed.yaml", "--replications", "2")
    assert doc["notes"] == [
        "the export's AI agent 'techbot' has no arrival stream in the scenario",
        "the scenario's AI agent 'chatbot' hands off no chat on the recorded days",
    ]
    assert doc["recorded"]["by_ai_agent"]["chatbot"]["chats"]["handed_off"] is None
    assert doc["simulated"]["by_ai_agent"]["techbot"]["chats"]["handed_off"] is None
