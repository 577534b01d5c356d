"""Targets and measures of one team or one AI agent: by_team.<id>.<m>, by_ai_agent.<id>.<m>."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatassign.analysis.metrics import summarize_replication
from chatassign.cli import app
from chatassign.errors import UsageError
from chatassign.experiments.measures import (
    MEASURES,
    measure_replication,
    scoped_measure_error,
    split_scoped,
)
from chatassign.experiments.staffing import parse_target
from chatassign.scenario.overrides import load_scenario
from chatassign.simulation import plan_simulation, run_replication

DESK = Path(__file__).parent / "data" / "desk" / "desk.yaml"


def test_scoped_names_split_at_the_first_and_last_dot() -> None:
    assert split_scoped("by_team.billing.cap_saturation") == (
        "by_team",
        "billing",
        "cap_saturation",
    )
    assert split_scoped("by_ai_agent.bot.v2.p_wait") == ("by_ai_agent", "bot.v2", "p_wait")
    assert split_scoped("service_level") is None
    assert split_scoped("by_team.cap_saturation") is None


def test_scoped_targets_parse_with_their_direction() -> None:
    target = parse_target("by_team.billing.cap_saturation<=10%")
    assert (target.metric, target.at_least, target.value) == (
        "by_team.billing.cap_saturation",
        False,
        0.1,
    )
    assert parse_target("by_ai_agent.billbot.service_level>=0.8").at_least
    with pytest.raises(UsageError, match="improves with staff"):
        parse_target("by_ai_agent.billbot.abandon_rate>=0.1")
    with pytest.raises(UsageError, match="unknown metric"):
        parse_target("by_team.billing.jain<=1")


def test_scoped_measure_errors_name_what_exists() -> None:
    scenario = load_scenario(DESK)
    assert scoped_measure_error("by_team.billing.utilization", scenario) is None
    assert scoped_measure_error("by_ai_agent.techbot.wait_p90_s", scenario) is None
    problem = scoped_measure_error("by_team.biling.utilization", scenario)
    assert problem is not None
    assert "billing, tech" in problem
    assert scoped_measure_error("by_ai_agent.techbot.jain", scenario) is not None


def test_extra_measures_follow_the_usual_ones_and_read_the_breakdowns() -> None:
    plan = plan_simulation(load_scenario(DESK))
    names = ("by_team.tech.utilization", "by_ai_agent.billbot.service_level", "by_team.x.mean_open")
    values = measure_replication(dataclasses.replace(plan, extra_measures=names), 0)
    assert len(values) == len(MEASURES) + 3
    summary = summarize_replication(run_replication(plan, 0), threshold=60.0)
    tech = next(t for t in summary.by_team if t.id == "tech")
    billbot = next(s for s in summary.by_ai_agent if s.ai_agent == "billbot")
    assert values[len(MEASURES)] == tech.utilization
    assert values[len(MEASURES) + 1] == billbot.service_level
    assert math.isnan(values[-1])  # no such team: undefined


def test_staff_meets_a_target_on_one_team() -> None:
    runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1"})
    args = ["staff", str(DESK), "--team", "billing", "--horizon", "3h", "--workers", "1"]
    result = runner.invoke(app, [*args, "--target", "by_team.billing.cap_saturation<=0.1"])
    assert result.exit_code == 0, result.output
    assert "by_team.billing.cap_saturation" in result.stdout
    unknown = runner.invoke(app, [*args, "--target", "by_team.nope.cap_saturation<=0.1"])
    assert unknown.exit_code == 2
    assert "no team 'nope'" in unknown.output


def test_sweep_keeps_the_measures_asked_for(tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1"})
    out = tmp_path / "sweep.json"
    args = ["sweep", str(DESK), "--vary", "staff.billing=2,3", "--replications", "2"]
    args += ["--horizon", "2h", "--workers", "1", "--format", "json", "--output", str(out)]
    args += ["--measure", "by_team.billing.cap_saturation"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["metrics"][-1] == "by_team.billing.cap_saturation"
    first, second = doc["rows"]
    assert first["by_team.billing.cap_saturation"] >= second["by_team.billing.cap_saturation"]
    assert "by_team.billing.cap_saturation_ci_low" in first
    again = runner.invoke(app, [*args, "--resume"])  # every replication from the journal
    assert again.exit_code == 0, again.output
    assert json.loads(out.read_text(encoding="utf-8")) == doc
    bad = runner.invoke(app, [*args[:-1], "by_ai_agent.nobot.p_wait"])
    assert bad.exit_code == 2
    assert "no AI agent 'nobot'" in bad.output
