"""Every number that sizes work or memory is refused above its limit: at once, in little
memory, with the same words wherever it comes from."""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from chatassign import limits
from chatassign.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
SCENARIO = str(ROOT / "scenarios" / "free-startup.yaml")
CAP_KEY = "teamspaces.main.assignment.max_auto_assigned"
STAFF = ["staff", SCENARIO, "--target", "service_level>=0.8", "--team", "support"]

REFUSED_SECONDS = 1.0
REFUSED_BYTES = 20 * 1024 * 1024
"""A refusal costs under a second of CPU (wall time on a shared machine is noise) and
allocates less than this much memory (Python's heap, measured by tracemalloc)."""


def measured(args: list[str]) -> tuple[Result, float, int]:
    """The result of ``args``, its CPU time and its peak of newly allocated memory."""
    tracemalloc.start()
    start = time.process_time()
    try:
        result = runner.invoke(app, args)
        seconds = time.process_time() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, seconds, peak


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["simulate", SCENARIO, "--cap", "1000000000"], 2, "--cap: a cap (max_auto_assigned)"),
        (["compare", SCENARIO, "--cap", "2,1001"], 2, "must be 1 to 1,000"),
        (["simulate", SCENARIO, "--set", f"{CAP_KEY}=1000000000"], 1, "must be 1 to 1,000"),
        (["simulate", SCENARIO, "--horizon", "10000d"], 2, "at most 366d"),
        (["simulate", SCENARIO, "--horizon", "1e308s"], 2, "at most 366d"),
        (["compare", SCENARIO, "--horizon", "367d"], 2, "at most 366d"),
        (["simulate", SCENARIO, "--set", "workload.horizon=10000d"], 1, "at most 366d"),
        (["simulate", SCENARIO, "--replications", "99999999"], 2, "must be 1 to 10,000"),
        (["sweep", SCENARIO, "--vary", "workload.seed=1..99999999999999999999"], 2, "10,000"),
        (["sweep", SCENARIO, "--vary", "workload.seed=1..10001"], 2, "at most 10,000 points"),
        (
            [
                "sweep",
                SCENARIO,
                *("--vary", "workload.seed=1..1000"),
                *("--vary", "workload.warmup=1..1000"),
                *("--vary", "workload.service_level_threshold=1..1000"),
            ],
            2,
            "the grid has 1,000,000,000 points",
        ),
        (
            ["sweep", SCENARIO, "--vary", "workload.seed=1..1000", "--replications", "5000"],
            2,
            "the limit is 1,000,000",
        ),
        (["sweep", SCENARIO, "--vary", "staff.support=100000"], 2, "at most 10,000 agents"),
        (["sweep", SCENARIO, "--vary", "method=balanced", "--horizon", "400d"], 2, "366d"),
        (["sweep", SCENARIO, "--vary", "method=balanced", "--workers", "100000"], 2, "1 to 256"),
        (
            [*STAFF, "--max-replications", "1000000"],
            2,
            "must be 1 to 10,000",
        ),
        ([*STAFF, "--replications", "1000000"], 2, "--replications: replications must be 1"),
        ([*STAFF, "--replications", "0"], 2, "--replications: replications must be 1 to 10,000"),
        (
            [*STAFF, "--horizon", "1e308s"],
            2,
            "at most 366d",
        ),
    ],
)
def test_a_huge_value_is_refused_at_once_in_little_memory(
    args: list[str], code: int, message: str
) -> None:
    result, seconds, peak = measured(args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert seconds < REFUSED_SECONDS
    assert peak < REFUSED_BYTES


def test_a_huge_cap_in_a_file_fails_validate_with_the_same_words(tmp_path: Path) -> None:
    text = Path(SCENARIO).read_text(encoding="utf-8")
    path = tmp_path / "big-cap.yaml"
    path.write_text(
        text.replace("max_auto_assigned: 2", "max_auto_assigned: 1000000000"), encoding="utf-8"
    )
    result, seconds, peak = measured(["validate", str(path), "--format", "json"])
    assert result.exit_code == 1
    assert "over-limit" in result.output
    assert str(limits.cap_problem(1_000_000_000)) in result.output
    assert seconds < REFUSED_SECONDS
    assert peak < REFUSED_BYTES


def test_too_many_users_are_refused(tmp_path: Path) -> None:
    users = "".join(f"  u{i}: {{role: agent}}\n" for i in range(limits.MAX_USERS + 1))
    path = tmp_path / "crowd.yaml"
    path.write_text(f"plan: free\nroles:\n  agent: []\nusers:\n{users}", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 1
    assert "10,001 users; a scenario may have at most 10,000" in result.output


def test_limit_messages_name_huge_numbers_without_printing_them() -> None:
    message = limits.cap_problem(10**400)
    assert message is not None
    assert "401-digit number" in message
    assert limits.horizon_problem(float("nan")) is not None
    assert limits.horizon_problem(limits.MAX_HORIZON_S) is None


def test_default_workers_is_one_per_core_at_most_max_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for cores, expected in ((6, 6), (None, 1), (1000, limits.MAX_WORKERS)):
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        assert limits.default_workers() == expected


def test_simulate_and_sweep_default_to_the_same_capped_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a machine with more cores than ``MAX_WORKERS``, ``simulate`` (whose replications
    have no ``--workers``) and ``sweep``'s executor both start ``MAX_WORKERS`` workers."""
    from chatassign.experiments.execution import make_executor
    from chatassign.scenario.overrides import build_scenario, read_source
    from chatassign.simulation import parallel, plan_simulation

    monkeypatch.setattr(os, "cpu_count", lambda: 1000)
    started: list[int] = []

    def run_tasks(*args: object, workers: int, **options: object) -> None:
        started.append(workers)  # runs nothing: only the worker count matters here

    monkeypatch.setattr(parallel, "run_tasks", run_tasks)
    plan = plan_simulation(build_scenario(read_source(None)), replications=300)
    parallel.simulate(plan)
    assert started == [limits.MAX_WORKERS]
    assert make_executor().workers == limits.MAX_WORKERS
