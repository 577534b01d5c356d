"""``chatassign simulate``, the report formats, metrics helpers and the Erlang estimate."""

from __future__ import annotations

import csv
import io
import json
import math
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatassign.analysis.erlang import ErlangEstimate, NoEstimate, erlang_estimate
from chatassign.analysis.facts import WaitSketch
from chatassign.analysis.intervals import estimate, t_quantile_975
from chatassign.analysis.metrics import jain_index, max_min_ratio
from chatassign.cli import app
from chatassign.model import Method
from chatassign.simulation.trace import TRACE_HEADER
from chatassign.workload.distributions import Exponential
from tests.sim_world import Expo, Fixed, scenario, workspace

runner = CliRunner()

CLI_KEYS = {
    "method",
    "allowed_by_plan",
    "required_plan",
    "chats",
    "wait_s",
    "wait_mean_ci95_s",
    "p_wait",
    "service_level",
    "abandon_rate",
    "queue",
    "agents",
    "cap_saturation",
    "fairness",
}


def simulate(*args: str) -> str:
    result = runner.invoke(app, ["simulate", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_has_the_documented_keys_and_conserves_chats() -> None:
    doc = json.loads(simulate("--format", "json", "--replications", "2", "--horizon", "2h"))
    assert list(doc) == ["scenario", "seed", "replications", "horizon_s", "warmup_s", "results"]
    assert doc["horizon_s"] == 7200.0
    (result,) = doc["results"]
    assert set(result) >= CLI_KEYS
    chats = result["chats"]
    parts = ("assigned", "abandoned", "unattended", "waiting_at_end")
    assert chats["handed_off"] == pytest.approx(sum(chats[k] for k in parts))
    assert set(result["wait_s"]) == {"mean", "p50", "p90", "p95", "p99", "max"}
    assert set(result["agents"][0]) == {
        "id",
        "assigned",
        "mean_open",
        "max_open",
        "utilization",
        "at_cap_share",
    }
    assert set(result["fairness"]) == {"jain", "max_min_ratio"}
    assert list(result["cap_saturation"]) == ["support"]


def test_same_seed_gives_byte_identical_json() -> None:
    args = ("--format", "json", "--replications", "3", "--horizon", "3h", "--seed", "42")
    first, second = simulate(*args), simulate(*args)
    assert first == second
    assert simulate("--format", "json", "--replications", "3", "--horizon", "3h") != first


def test_method_override_marks_the_plan_it_needs() -> None:
    doc = json.loads(simulate("--format", "json", "--method", "voluntary", "--horizon", "1h"))
    result = doc["results"][0]
    assert (result["method"], result["allowed_by_plan"], result["required_plan"]) == (
        "voluntary",
        False,
        "total",
    )


def test_table_markdown_and_csv_render(tmp_path: Path) -> None:
    table = simulate("--replications", "1", "--horizon", "1h")
    assert "Per-agent load" in table
    assert "Cap saturation" in table
    assert "No Erlang estimate" in table
    markdown = simulate("--format", "markdown", "--replications", "1", "--horizon", "1h")
    assert markdown.startswith("# Acme support, weekday\n")
    out = tmp_path / "r.csv"
    simulate("--format", "csv", "--horizon", "1h", "--replications", "1", "--output", str(out))
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == ["method", "scope", "metric", "value"]
    assert rows[4][:3] == ["balanced", "summary", "chats.handed_off"]
    assert any(r[1] == "agent:alice" for r in rows)


def test_trace_file_follows_the_documented_header(tmp_path: Path) -> None:
    trace = tmp_path / "trace.csv"
    simulate("--horizon", "40m", "--replications", "2", "--trace", str(trace), "--format", "json")
    rows = list(csv.reader(trace.open()))
    assert tuple(rows[0]) == TRACE_HEADER
    assert {r[1] for r in rows[1:]} == {"0", "1"}
    assert {r[2] for r in rows[1:]} >= {"online", "handoff", "assigned"}
    assert [p.name for p in tmp_path.iterdir()] == ["trace.csv"]


def test_errors_are_messages_with_exit_codes(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["simulate", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2
    assert "no such scenario file" in missing.output
    bad = runner.invoke(app, ["simulate", "--horizon", "soon"])
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output
    short = runner.invoke(app, ["simulate", "--horizon", "10m"])
    assert short.exit_code == 2
    assert "warm-up" in short.output


def test_t_quantiles() -> None:
    assert t_quantile_975(1) == pytest.approx(12.7062, abs=1e-4)
    assert t_quantile_975(9) == pytest.approx(2.2622, abs=1e-4)
    assert t_quantile_975(40) == pytest.approx(2.021075, abs=1e-5)
    assert t_quantile_975(100) == pytest.approx(1.983972, abs=1e-5)
    assert t_quantile_975(10_000) == pytest.approx(1.960201, abs=1e-5)


def test_estimate_and_fairness() -> None:
    est = estimate([1.0, 2.0, 3.0])
    assert est.mean == 2.0
    assert est.ci95 == pytest.approx((2.0 - 4.302653 / math.sqrt(3), 2.0 + 4.302653 / math.sqrt(3)))
    assert estimate([5.0]).ci95 is None
    assert jain_index([3, 3, 3]) == 1.0
    assert jain_index([9, 0, 0]) == pytest.approx(1 / 3)
    assert max_min_ratio([2, 4]) == 2.0
    assert max_min_ratio([0, 4]) is None
    assert max_min_ratio([0, 0]) == 1.0


def test_wait_sketch_quantiles_within_half_a_percent() -> None:
    rng = random.Random(4)
    waits = [0.0] * 300 + [rng.expovariate(1 / 50) for _ in range(5000)]
    sketch = WaitSketch()
    for w in waits:
        sketch.add(w)
    ordered = sorted(waits)
    for q in (0.5, 0.9, 0.95, 0.99, 1.0):
        exact = ordered[max(1, math.ceil(q * len(ordered))) - 1]
        assert sketch.quantile(q) == pytest.approx(exact, rel=0.005)
    assert sketch.quantile(0.05) == 0.0
    assert sketch.mean == pytest.approx(sum(waits) / len(waits))
    assert sketch.maximum == max(waits)


def test_erlang_estimate_only_when_the_model_fits() -> None:
    ws = workspace(5, cap=2)
    fits = scenario(ws, rate=9 / 60, handle=Expo(60.0), horizon=3600.0, threshold=20.0)
    assert fits.workload is not None
    exp_workload = type(fits.workload)(
        horizon=3600.0,
        arrivals=fits.workload.arrivals,
        handle_time=Exponential(60.0),
        service_level_threshold=20.0,
    )
    est = erlang_estimate(ws, exp_workload)
    assert isinstance(est, ErlangEstimate)
    assert est.servers == 10
    assert est.p_wait == pytest.approx(0.668732, abs=1e-6)
    assert est.service_level == pytest.approx(0.520833, abs=1e-6)
    fixed = scenario(ws, rate=9 / 60, handle=Fixed(60.0), horizon=3600.0, threshold=20.0)
    assert fixed.workload is not None
    assert isinstance(erlang_estimate(ws, fixed.workload), NoEstimate)  # not exponential
    assert isinstance(erlang_estimate(ws, exp_workload, Method.VOLUNTARY), NoEstimate)


NOBODY_ONLINE = """\
name: everyone away
plan: pro
roles:
  agent: [livechats.view_manage_assigned]
users:
  a: {role: agent, teams: [t]}
teams:
  t: {teamspaces: [s]}
teamspaces:
  s: {assignment: {method: balanced, max_auto_assigned: 2}}
ai_agents:
  bot: {teamspace: s, handoff: {target: {teamspace: true}}}
workload:
  horizon: 2h
  replications: 3
  arrivals:
    bot: {rate: 30/h}
  handle_time: exponential(mean=5m)
  shifts:
    a: %s
"""


def test_shares_of_nothing_are_undefined_not_zero(tmp_path: Path) -> None:
    # Nobody online: nothing is handed off, so no share of handed-off chats exists.
    path = tmp_path / "away.yaml"
    path.write_text(NOBODY_ONLINE % "[]", encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)["results"][0]
    assert entry["chats"]["handed_off"] == 0
    assert entry["service_level"]["value"] is None
    assert entry["p_wait"] is None
    assert entry["abandon_rate"] is None
    table = runner.invoke(app, ["simulate", str(path)], terminal_width=100)
    assert "service level (60 s)" in table.output
    assert "—" in table.output


def test_replications_without_handoffs_are_left_out_of_shares(tmp_path: Path) -> None:
    # Online only for the last minute: most replications hand nothing off. Those
    # must not count as a service level of 0.
    path = tmp_path / "late.yaml"
    path.write_text(NOBODY_ONLINE % "[{from: 1h59m, to: 2h}]", encoding="utf-8")
    args = ["simulate", str(path), "--format", "json", "--replications", "10"]
    entry = json.loads(runner.invoke(app, args).stdout)["results"][0]
    level = entry["service_level"]["value"]
    assert level is None or level > 0.9
