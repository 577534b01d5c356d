"""``chatassign compare``: common random numbers, paired differences, verdicts, formats."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from chatassign.analysis.comparison import Difference, compare
from chatassign.analysis.facts import ChatCounts, ReplicationFacts, WaitSketch
from chatassign.cli import app

DATA = Path(__file__).parent / "data"
COMPARE = DATA / "compare"
GOLDEN = DATA / "golden"


def run(*args: str) -> Result:
    result = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1"}).invoke(app, list(args))
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def compare_json(*args: str) -> dict[str, Any]:
    result = run("compare", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert isinstance(doc, dict)
    return doc


def test_every_method_sees_the_same_customers() -> None:
    doc = compare_json("--replications", "3", "--horizon", "3h")
    results = doc["results"]
    assert isinstance(results, list)
    assert [r["method"] for r in results] == ["balanced", "random", "round-robin", "voluntary"]
    handed_off = {r["chats"]["handed_off"] for r in results}
    arrived = {r["chats"]["arrived"] for r in results}
    assert len(handed_off) == 1
    assert len(arrived) == 1
    assert handed_off.pop() > 0


def test_methods_above_the_plan_are_simulated_and_marked() -> None:
    doc = compare_json("--replications", "2", "--horizon", "1h")
    results = doc["results"]
    assert isinstance(results, list)
    voluntary = results[-1]
    assert voluntary["allowed_by_plan"] is False
    assert voluntary["required_plan"] == "total"
    assert voluntary["chats"]["assigned"] > 0
    table = run("compare", "--replications", "2", "--horizon", "1h")
    assert "needs plan Total" in table.stdout


def test_balanced_beats_round_robin_with_fast_and_slow_agents() -> None:
    doc = compare_json(str(COMPARE / "balanced-wins.yaml"), "--methods", "round-robin,balanced")
    (diff,) = doc["differences"]
    p90 = diff["wait_p90_s"]
    assert p90["clear"] is True
    assert p90["ci95"][1] < 0  # balanced minus round robin: lower, interval below 0
    (sentence,) = doc["verdict"]
    assert sentence.startswith("balanced cuts the 90th-percentile wait by ")
    assert sentence.endswith("against round-robin, with the same fairness.")


def test_methods_that_cannot_differ_give_no_clear_difference() -> None:
    doc = compare_json(
        str(COMPARE / "no-difference.yaml"), "--methods", "balanced,random,round-robin"
    )
    assert doc["verdict"] == [
        "random against balanced: no clear difference on any metric "
        "(6 replications, 95 % intervals).",
        "round-robin against balanced: no clear difference on any metric "
        "(6 replications, 95 % intervals).",
    ]
    metrics = doc["metrics"]
    assert isinstance(metrics, list)
    assert all(m["best"] == [] for m in metrics)


def test_compare_table_matches_golden_file() -> None:
    result = run(
        "compare",
        str(COMPARE / "balanced-wins.yaml"),
        "--methods",
        "round-robin,balanced",
        "--replications",
        "5",
        "--horizon",
        "3h",
    )
    assert result.exit_code == 0, result.output
    expected_path = GOLDEN / "compare.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        expected_path.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected_path.read_text(encoding="utf-8")


def test_caps_become_the_columns_with_one_method() -> None:
    doc = compare_json("--cap", "2,3,4", "--replications", "2", "--horizon", "2h")
    results = doc["results"]
    assert isinstance(results, list)
    assert [r["label"] for r in results] == ["cap 2", "cap 3", "cap 4"]
    assert {r["method"] for r in results} == {"balanced"}
    assert doc["baseline"] == "cap 2"
    both = compare_json(
        "--cap", "2,3", "--methods", "balanced,random", "--replications", "2", "--horizon", "1h"
    )
    labels = [r["label"] for r in both["results"]]
    assert labels == ["balanced · cap 2", "balanced · cap 3", "random · cap 2", "random · cap 3"]


def test_set_overrides_apply_to_every_column() -> None:
    base = compare_json("--methods", "balanced", "--replications", "2", "--horizon", "2h")
    busier = compare_json(
        "--methods",
        "balanced",
        "--replications",
        "2",
        "--horizon",
        "2h",
        "--set",
        "workload.arrivals.helpbot.rate=300/h",
    )
    chats = [doc["results"][0]["chats"]["handed_off"] for doc in (base, busier)]
    assert chats[1] > 1.5 * chats[0]


def test_markdown_and_csv_formats() -> None:
    args = ("--methods", "balanced,round-robin", "--replications", "2", "--horizon", "1h")
    markdown = run("compare", "--format", "markdown", *args).stdout
    assert "| metric | balanced | round-robin |" in markdown
    assert "**waits**" in markdown
    rows = list(csv.DictReader(io.StringIO(run("compare", "--format", "csv", *args).stdout)))
    assert {r["label"] for r in rows} == {"balanced", "round-robin"}
    assert {r["group"] for r in rows} >= {"waits", "fairness", "cap saturation"}


def test_bare_output_names_go_under_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(
        "compare",
        "--replications",
        "1",
        "--horizon",
        "1h",
        "--output",
        "out.json",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "reports" / "out.json").read_text())["replications"] == 1
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--methods", "fastest"), 2, "unknown"),
        (("--cap", "0"), 2, "must be 1 to 1,000, not 0"),
        (("--cap", "x"), 2, "whole number"),
        (("--set", "teamspaces.nope.assignment.max_auto_assigned=3"), 2, "has no 'nope'"),
        (("--set", "teamspaces.support.assignment.max_auto_assigned=0"), 1, "--set teamspaces"),
        (("--report", "x.txt"), 2, "ending in .html"),
        (("--output", "/no/such/folder/x.json"), 2, "no such folder"),
        (("/no/such/scenario.yaml",), 2, "no such scenario file"),
        ((str(DATA),), 2, "is a folder; give one scenario file"),
    ],
)
def test_bad_arguments_are_messages_with_exit_codes(
    args: tuple[str, ...], code: int, message: str
) -> None:
    result = run("compare", "--horizon", "1h", "--replications", "1", *args)
    assert result.exit_code == code
    assert message in result.output


def test_output_is_deterministic() -> None:
    args = ("--replications", "3", "--horizon", "2h")
    assert compare_json(*args) == compare_json(*args)


# ----------------------------------------------------------- the pure module


def _facts(replication: int, handed_off: int, waits: list[float]) -> ReplicationFacts:
    sketch = WaitSketch()
    for wait in waits:
        sketch.add(wait)
    return ReplicationFacts(
        replication=replication,
        start=0.0,
        end=100.0,
        counts=ChatCounts(handed_off=handed_off, assigned=len(waits)),
        waits=sketch,
        waited=sum(1 for w in waits if w > 0),
        within_threshold=len(waits),
        queue_area=0.0,
        queue_max=0,
        agents=(),
        saturated_time=(),
    )


def test_differences_are_paired_by_replication() -> None:
    # Arm b always waits exactly 2 s longer than arm a in the same replication, while
    # both vary a lot between replications: pairing makes the interval a single point.
    a = [_facts(r, 3, [1.0 + 10 * r] * 3) for r in range(4)]
    b = [_facts(r, 3, [3.0 + 10 * r] * 3) for r in range(4)]
    result = compare([("a", a), ("b", b)], threshold=60.0)
    diff = result.row("wait_mean_s").differences[1]
    assert diff == Difference(pytest.approx(2.0), (pytest.approx(2.0), pytest.approx(2.0)))  # type: ignore[arg-type]
    assert diff is not None
    assert diff.clear
    assert result.row("wait_mean_s").best == frozenset({0})
    assert result.verdict[0].startswith("a cuts the 90th-percentile wait by")


def test_one_replication_has_no_interval_and_says_so() -> None:
    a = [_facts(0, 3, [1.0, 2.0, 3.0])]
    b = [_facts(0, 3, [5.0, 6.0, 7.0])]
    result = compare([("a", a), ("b", b)], threshold=60.0)
    assert result.row("wait_mean_s").differences[1] == Difference(4.0, None)
    assert "no clear difference" in result.verdict[0]
    assert "one replication" in result.verdict[1]


def test_arms_must_pair_up() -> None:
    with pytest.raises(ValueError, match="same"):
        compare([("a", [_facts(0, 1, [1.0])]), ("b", [])], threshold=60.0)


def test_simulate_takes_set_and_a_single_cap() -> None:
    args = ("--replications", "1", "--horizon", "1h", "--format", "json")
    result = run("simulate", *args, "--set", "workload.arrivals.helpbot.rate=10/h", "--cap", "5")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)["results"]
    assert "variant" not in entry
    assert entry["chats"]["arrived"] < 20
    bad = run("simulate", *args, "--set", "workload.horizon=soon")
    assert bad.exit_code == 1  # a bad value is invalid input, as in the file
    assert "--set workload.horizon=soon: workload.horizon:" in bad.output


def test_queue_samples_for_reports_change_no_result() -> None:
    import dataclasses

    from chatassign.scenario.overrides import load_scenario
    from chatassign.simulation import plan_simulation, run_replication

    plan = plan_simulation(load_scenario(), horizon=7200.0)
    sampled = dataclasses.replace(plan, queue_sample_interval=60.0)
    plain, with_samples = run_replication(plan, 0), run_replication(sampled, 0)
    assert plain.queue_samples == ()
    assert len(with_samples.queue_samples) == 120
    assert dataclasses.replace(with_samples, queue_samples=()) == plain


def test_compare_traces_one_file_per_column(tmp_path: Path) -> None:
    trace = tmp_path / "t.csv"
    args = ("--methods", "balanced,round-robin", "--replications", "1", "--horizon", "1h")
    result = run("compare", *args, "--trace", str(trace), "--format", "json")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["t.balanced.csv", "t.round-robin.csv"]
    for name in files:
        lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        assert lines[0] == "time_s,replication,event,chat,agent,teamspace,pool,detail"
        assert any(",assigned," in line for line in lines)
    assigned = (tmp_path / "t.round-robin.csv").read_text(encoding="utf-8")
    assert "round-robin" in assigned


def test_teams_and_ai_agents_get_their_own_rows() -> None:
    """Two teams or more and two AI agents or more: rows per team and per AI agent, whose
    values are the per-team and per-AI-agent results of each column."""
    scenario = str(Path(__file__).parent.parent / "scenarios" / "enterprise-bank.yaml")
    doc = compare_json(
        scenario, "--methods", "balanced,round-robin", "--replications", "3", "--horizon", "2h"
    )
    metrics = {m["key"]: m for m in doc["metrics"]}
    for i, result in enumerate(doc["results"]):
        label = result["label"] if "label" in result else result["method"]
        for team, values in result["by_team"].items():
            for key in ("cap_saturation", "at_cap_share"):
                row = metrics[f"by_team.{team}.{key}"]
                assert row["group"] == f"team {team}"
                assert row["values"][label] == pytest.approx(values[key], rel=1e-12), (i, team)
        for ai, values in result["by_ai_agent"].items():
            row = metrics[f"by_ai_agent.{ai}.abandon_rate"]
            assert row["values"][label] == pytest.approx(values["abandon_rate"], rel=1e-12)
    (diff,) = doc["differences"]
    assert "by_team.fraud.cap_saturation" in diff
    assert "by_ai_agent.sentinel.service_level" in diff


def test_the_verdict_names_the_team_that_differs_most() -> None:
    """The largest clear change of a team's or AI agent's share, in points, closes the
    sentence, so a gain in the totals cannot hide a team that pays for it."""
    scenario = str(Path(__file__).parent.parent / "scenarios" / "enterprise-bank.yaml")
    doc = compare_json(scenario, "--methods", "balanced,round-robin", "--replications", "5")
    (diff,) = doc["differences"]
    units = {m["key"]: m["unit"] for m in doc["metrics"]}
    clear = {
        key: value["mean"]
        for key, value in diff.items()
        if "." in key and units[key] == "share" and isinstance(value, dict) and value["clear"]
    }
    assert clear, "this scenario has clear per-team differences at 5 replications"
    key = max(clear, key=lambda k: abs(clear[k]))
    scope, name, _ = key.split(".")
    label = next(m["label"] for m in doc["metrics"] if m["key"] == key)
    (sentence,) = doc["verdict"]
    place = f"in team {name}" if scope == "by_team" else f"of the chats of AI agent {name}"
    assert f"Where it differs most: the {label} {place}, " in sentence
    assert f"{round(100 * abs(clear[key]))} points" in sentence


def test_one_team_and_one_ai_agent_get_no_rows_of_their_own() -> None:
    """Their rows would repeat the totals."""
    scenario = str(COMPARE / "balanced-wins.yaml")
    doc = compare_json(scenario, "--replications", "2", "--methods", "balanced,random")
    assert not [m for m in doc["metrics"] if "." in m["key"]]
