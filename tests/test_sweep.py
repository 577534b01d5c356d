"""Sweeps: --vary parsing, team sizes, executors that agree byte for byte, resume, the CLI."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from chatassign import errors
from chatassign.cli import app
from chatassign.cli import sweep as cli_sweep
from chatassign.errors import UsageError
from chatassign.experiments import cluster, execution
from chatassign.experiments.cluster import DaskExecutor
from chatassign.experiments.execution import (
    Executor,
    ProcessExecutor,
    SerialExecutor,
    Task,
    pack_plan,
    unpack_plan,
)
from chatassign.experiments.measures import MEASURES, Measures, measure_replication
from chatassign.experiments.sweep import (
    Journal,
    render_sweep_csv,
    render_sweep_json,
    run_sweep,
    sweep_plans,
)
from chatassign.experiments.variants import (
    Variants,
    build_grid,
    parse_vary,
    team_template,
    with_team_size,
)
from chatassign.model import Method
from chatassign.scenario.overrides import build_scenario, read_source
from chatassign.simulation import SimulationPlan, parallel, plan_simulation, simulate
from chatassign.workload.values import Interval

runner = CliRunner()

AXES = ("staff.billing=2..4", "method=balanced,round-robin")


def example_variants(replications: int = 2) -> Variants:
    source = read_source(None)
    return Variants(build_scenario(source), source, replications=replications, horizon=2 * 3600.0)


def sweep_csv(executor: Executor, replications: int = 2) -> str:
    axes = [parse_vary(text) for text in AXES]
    return render_sweep_csv(run_sweep(example_variants(replications), axes, executor))


# ---------------------------------------------------------------- --vary


def test_vary_expands_ranges_and_keeps_commas_inside_brackets() -> None:
    assert parse_vary("staff.billing=4..6").values == ("4", "5", "6")
    assert parse_vary("staff.billing=2..8..3").values == ("2", "5", "8")
    axis = parse_vary("workload.handle_time=lognormal(mean=8m, sd=5m),exponential(mean=8m)")
    assert axis.values == ("lognormal(mean=8m, sd=5m)", "exponential(mean=8m)")
    assert parse_vary("workload.concurrency_slowdown=[1, 1.2],[1, 1.5]").values == (
        "[1, 1.2]",
        "[1, 1.5]",
    )


@pytest.mark.parametrize(
    "text",
    [
        "staff.billing",
        "=1,2",
        "method=balanced,,random",
        "method=fastest",
        "staff.billing=0..3",
        "staff.billing=6..4",
        "method=random,random",
    ],
)
def test_bad_vary_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        parse_vary(text)


def test_the_grid_varies_the_first_axis_slowest() -> None:
    points = build_grid([parse_vary("a.b=1,2"), parse_vary("method=balanced,random")])
    assert [p.label for p in points] == [
        ("a.b=1", "method=balanced"),
        ("a.b=1", "method=random"),
        ("a.b=2", "method=balanced"),
        ("a.b=2", "method=random"),
    ]
    with pytest.raises(UsageError):
        build_grid([parse_vary("method=random"), parse_vary("method=balanced")])


# ---------------------------------------------------------------- team sizes


def test_team_template_prefers_a_member_of_no_other_team() -> None:
    scenario = example_variants().base
    assert team_template(scenario.workspace, "billing").id == "alice"


def test_growing_a_team_copies_the_template_with_its_shift() -> None:
    scenario = example_variants().base
    grown = with_team_size(scenario, "billing", 6)
    users = grown.workspace.users
    assert [u for u in users if u.startswith("alice")] == ["alice", "alice-2", "alice-3"]
    assert users["alice-2"].teams == ("billing",)
    assert grown.workload is not None
    assert scenario.workload is not None
    assert grown.workload.shifts["alice-3"] == scenario.workload.shifts["alice"]
    assert len(grown.workspace.team_members("billing")) == 6


def test_shrinking_a_team_takes_it_off_its_last_members() -> None:
    scenario = example_variants().base
    shrunk = with_team_size(scenario, "billing", 2)
    users = shrunk.workspace.users
    assert sorted(shrunk.workspace.team_members("billing")) == ["alice", "bob"]
    assert "carol" not in users  # on no team any more
    assert users["lucia"].teams == ("tech",)  # still on her other team


def test_members_through_a_role_are_never_removed() -> None:
    scenario = example_variants().base
    only_role = with_team_size(scenario, "tech", 1)
    assert sorted(only_role.workspace.team_members("tech")) == ["grace"]
    with pytest.raises(UsageError, match="no team"):
        with_team_size(scenario, "sales", 3)


def test_plans_survive_packing() -> None:
    plan = plan_simulation(example_variants().base, replications=1, horizon=3600.0)
    assert unpack_plan(pack_plan(plan)).workspace.users == plan.workspace.users


# ---------------------------------------------------------------- executors


def test_serial_and_two_processes_give_the_same_bytes() -> None:
    assert sweep_csv(SerialExecutor()) == sweep_csv(ProcessExecutor(2))


def test_spawned_workers_give_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the platform cannot fork, the runner spawns: the plans travel packed."""
    monkeypatch.setattr(parallel, "get_all_start_methods", lambda: ["spawn"])
    assert sweep_csv(ProcessExecutor(2), replications=1) == sweep_csv(SerialExecutor(), 1)


def test_simulate_runs_through_the_same_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_simulation(example_variants().base, replications=3, horizon=3600.0)
    serial = simulate(plan, workers=1)
    calls: list[int] = []
    run_tasks = parallel.run_tasks

    def counted(*args: Any, **kwargs: Any) -> None:
        calls.append(kwargs["workers"])
        run_tasks(*args, **kwargs)

    monkeypatch.setattr(parallel, "run_tasks", counted)
    assert simulate(plan, workers=2) == serial
    assert calls == [2]


def test_dask_local_cluster_gives_the_same_bytes() -> None:
    distributed = pytest.importorskip(
        "dask.distributed", reason="the cluster extra (dask[distributed]) is not installed"
    )
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = sweep_csv(DaskExecutor(client=client))
    assert on_dask == sweep_csv(SerialExecutor())


def test_sweep_on_a_cluster_by_address_from_the_command_line(tmp_path: Path) -> None:
    """``--cluster ADDRESS``: the executor's own client (not the default one) runs it all."""
    distributed = pytest.importorskip("dask.distributed", reason="the cluster extra")
    command = ["sweep", "--vary", "method=balanced,random", "--replications", "2"]
    command += ["--horizon", "2h", "--format", "csv"]
    local = runner.invoke(app, [*command, "--workers", "1"])
    assert local.exit_code == 0, local.output
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        remote = runner.invoke(app, [*command, "--cluster", cluster.scheduler_address])
    assert remote.exit_code == 0, remote.output
    assert remote.stdout == local.stdout


def test_a_lost_scheduler_is_one_clear_error() -> None:
    distributed = pytest.importorskip("dask.distributed", reason="the cluster extra")
    variants = example_variants(40)
    axes = [parse_vary("method=balanced,random")]
    seen: list[Task] = []
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        executor = DaskExecutor(cluster.scheduler_address, timeout=5.0)

        def lose_the_scheduler(task: Task, values: object) -> None:
            seen.append(task)
            if len(seen) == 1:
                cluster.close()

        _, plans = sweep_plans(variants, axes)
        tasks = [Task(p, r) for p in range(len(plans)) for r in range(40)]
        started = time.monotonic()
        with executor, pytest.raises(errors.ClusterLostError) as caught:
            executor.run(plans, tasks, lose_the_scheduler)
    assert time.monotonic() - started < 60  # a hang guard
    message = str(caught.value)
    assert message.startswith(f"lost the Dask scheduler at {cluster.scheduler_address}")
    assert f"after {len(seen)} of 80 replications" in message


@pytest.mark.parametrize(
    ("vary", "code", "message"),
    [
        ("nosuch=1,2", 2, "--vary nosuch=1: the scenario has no field 'nosuch'"),
        ("workload.horizon=abc,2h", 1, "--vary workload.horizon=abc: workload.horizon: bad"),
    ],
)
def test_a_bad_vary_value_is_named_as_vary(vary: str, code: int, message: str) -> None:
    result = runner.invoke(app, ["sweep", "--vary", vary, "--replications", "1"])
    assert result.exit_code == code
    assert message in result.stderr
    assert "--set" not in result.stderr


def test_dask_log_holds_nest_in_any_order() -> None:
    logger = logging.getLogger("distributed")
    before = logger.level
    first, second = cluster._quiet_dask_logs(), cluster._quiet_dask_logs()
    assert logger.level == logging.CRITICAL
    first()
    assert logger.level == logging.CRITICAL  # the second holder still holds
    second()
    second()  # releasing twice is harmless
    assert logger.level == before


def test_grid_points_share_customers() -> None:
    result = run_sweep(example_variants(), [parse_vary(AXES[1])], SerialExecutor())
    handed = [row.metrics["handed_off"].mean for row in result.rows]
    assert handed[0] == handed[1]  # same arrivals whatever the method


def test_a_broken_pool_is_rebuilt_and_its_tasks_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "crashed"
    variants = dataclasses.replace(example_variants(), horizon=3600.0)
    axes = [parse_vary("method=balanced,random")]
    expected = render_sweep_csv(run_sweep(variants, axes, SerialExecutor()))

    def crash_once(plan: SimulationPlan, replication: int) -> Measures:
        if not marker.exists():
            marker.write_text("x")
            os._exit(1)  # the worker process dies mid-task
        return measure_replication(plan, replication)

    monkeypatch.setattr(execution, "measure_replication", crash_once)
    got = render_sweep_csv(run_sweep(variants, axes, ProcessExecutor(2)))
    assert marker.exists()
    assert got == expected


def test_a_task_that_keeps_failing_is_named_after_its_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variants = dataclasses.replace(example_variants(4), horizon=3600.0)
    axes = [parse_vary("method=balanced,random")]

    def fail_one(plan: SimulationPlan, replication: int) -> Measures:
        if replication == 2 and plan.method is Method.RANDOM:
            raise RuntimeError("boom")
        return measure_replication(plan, replication)

    monkeypatch.setattr(execution, "measure_replication", fail_one)
    finished: list[tuple[int, int]] = []
    with pytest.raises(errors.TaskFailedError) as caught:
        run_sweep(
            variants,
            axes,
            ProcessExecutor(2),
            progress=lambda done, total: finished.append((done, total)),
        )
    assert "replication 2 of grid point 1 failed 3 times: RuntimeError('boom')" in str(caught.value)
    assert finished[-1][0] == 7  # every other task was reported


def test_a_task_that_keeps_killing_its_worker_is_the_one_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A dead worker fails every task in flight with it; only the one that killed it
    is blamed (before, any task behind it in the queue could be named)."""
    variants = dataclasses.replace(example_variants(8), horizon=3600.0)
    axes = [parse_vary("method=balanced,random")]

    def die_on_one(plan: SimulationPlan, replication: int) -> Measures:
        if replication == 0 and plan.method is Method.BALANCED:
            os._exit(1)  # the worker process dies, every time: all behind it fail too
        return measure_replication(plan, replication)

    monkeypatch.setattr(execution, "measure_replication", die_on_one)
    with pytest.raises(errors.TaskFailedError) as caught:
        run_sweep(variants, axes, ProcessExecutor(2))
    assert str(caught.value).startswith("replication 0 of grid point 0 failed 3 times: Broken")


def test_simulate_names_the_replication_that_kills_its_worker() -> None:
    plan = plan_simulation(example_variants().base, replications=12, horizon=3600.0)

    def die_on_one(plan: SimulationPlan, replication: int) -> int:
        if replication == 1:
            os._exit(1)
        return replication

    seen: list[int] = []
    with pytest.raises(errors.TaskFailedError, match=r"^replication 1 failed 3 times: Broken"):
        parallel.run_tasks(
            [plan],
            [Task(0, r) for r in range(12)],
            die_on_one,
            lambda task, result: seen.append(result),
            workers=2,
        )
    assert 1 not in seen


class _PoolBrokenAfterOne:
    """A pool whose worker dies before the second submission (the runner's race)."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, function: Any, batch: list[tuple[int, int]]) -> Any:
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        self.submitted += 1
        if self.submitted > 1:
            raise BrokenProcessPool("a child process terminated abruptly")
        future: Future[list[int]] = Future()
        future.set_result([r for _, r in batch])
        return future


def test_a_pool_that_breaks_while_tasks_go_out_retries_the_rest() -> None:
    tasks = [Task(0, r) for r in range(6)]
    done: list[Task] = []
    pool: Any = _PoolBrokenAfterOne()
    retry, broken = parallel._run_pool(
        pool, tasks, 2, lambda task, _: done.append(task), lambda task, error: None
    )
    assert broken
    assert done == [Task(0, 0), Task(0, 3)]  # the first batch (strided)
    assert retry == [Task(0, 1), Task(0, 2), Task(0, 4), Task(0, 5)]


# ---------------------------------------------------------------- resume


def test_resume_reuses_the_journal_and_gives_the_same_bytes(tmp_path: Path) -> None:
    variants = example_variants()
    axes = [parse_vary(text) for text in AXES]
    journal = Journal(tmp_path / "replications.jsonl", "id")
    whole = render_sweep_json(run_sweep(variants, axes, SerialExecutor(), journal=journal))
    lines = journal.path.read_text().splitlines(keepends=True)
    assert len(lines) == 1 + 6 * 2
    # Interrupted after five records, the sixth cut short.
    journal.path.write_text("".join(lines[:6]) + lines[6][:20])
    ran: list[int] = []
    resumed = run_sweep(
        variants,
        axes,
        SerialExecutor(),
        journal=journal,
        resume=True,
        progress=lambda done, total: ran.append(done),
    )
    assert render_sweep_json(resumed) == whole
    assert ran[0] == 5
    assert ran[-1] == 12
    assert len(journal.path.read_text().splitlines()) == 13
    with pytest.raises(UsageError, match="another sweep"):
        Journal(journal.path, "other").load()


# ---------------------------------------------------------------- the CLI


def test_sweep_cli_writes_the_tidy_table(tmp_path: Path) -> None:
    out = tmp_path / "cap.json"
    args = [
        "sweep",
        "--vary",
        "teamspaces.support.assignment.max_auto_assigned=2,3",
        "--vary",
        "method=balanced,random",
        "--replications",
        "2",
        "--horizon",
        "1h",
        "--workers",
        "1",
        "--format",
        "json",
        "--output",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    document = json.loads(out.read_text())
    assert document["vary"] == {
        "teamspaces.support.assignment.max_auto_assigned": [2, 3],
        "method": ["balanced", "random"],
    }
    assert document["metrics"] == list(MEASURES)
    first = document["rows"][0]
    assert first["method"] == "balanced"
    assert first["replications"] == 2
    assert {"service_level", "service_level_ci_low", "service_level_ci_high"} <= set(first)
    journal = (tmp_path / "cap.journal.jsonl").read_text().splitlines()
    assert len(journal) == 1 + 4 * 2  # the sweep's name, then every (point, replication)
    written = out.read_text()
    again = runner.invoke(app, [*args, "--resume"])
    assert again.exit_code == 0
    assert out.read_text() == written


def test_shift_copies_keep_intervals() -> None:
    scenario = example_variants().base
    assert scenario.workload is not None
    assert scenario.workload.shifts["alice"][0] == Interval(0.0, 4 * 3600.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sweep"], "--vary"),
        (["sweep", "--vary", "method=balanced", "--resume"], "--output"),
        (["sweep", "--vary", "teamspaces.nope.assignment.max_auto_assigned=2"], "nope"),
        (["sweep", "--vary", "staff.nobody=2"], "no team"),
        (["sweep", "--vary", "method=balanced", "--workers", "0"], "must be 1 to 256"),
    ],
)
def test_sweep_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr


# ---------------------------------------------------------------- clusters and progress


def _unused_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("notanaddress", "not a Dask scheduler address"),
        ("foo://host:1", "not a Dask scheduler address"),
        ("tcp://host:notaport", "not a Dask scheduler address"),
        (None, "cannot reach the Dask scheduler within 1 s"),
    ],
)
def test_cluster_errors_are_clear_usage_errors(
    address: str | None, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("dask.distributed", reason="the cluster extra")
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    if address is not None:
        # A Client that fails on its own address is left half-built; its finalizer
        # blocks for 20 s and prints a traceback. The address must be refused first.
        def no_client(*args: object, **kwargs: object) -> None:
            raise AssertionError("a Client was built for a malformed address")

        monkeypatch.setattr(distributed, "Client", no_client)
    where = address or f"tcp://127.0.0.1:{_unused_loopback_port()}"
    started = time.monotonic()
    for command in (["sweep", "--vary", "method=balanced"], ["staff", "--team", "billing"]):
        target = ["--target", "service_level>=0.8"] if command[0] == "staff" else []
        result = runner.invoke(app, [*command, *target, "--cluster", where])
        assert result.exit_code == 2, result.output
        assert message in result.stderr
        assert "Traceback" not in result.output
    assert time.monotonic() - started < 60  # a hang guard: each connection gives up after 1 s


def test_the_dask_client_is_closed_after_the_block() -> None:
    distributed = pytest.importorskip("dask.distributed", reason="the cluster extra")
    with distributed.LocalCluster(
        n_workers=1, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        with execution.open_executor(cluster=cluster.scheduler_address) as executor:
            assert isinstance(executor, DaskExecutor)
            assert executor.client.nthreads()
        assert getattr(executor.client, "status", None) == "closed"


def test_counting_executor_reports_a_growing_total() -> None:
    seen: list[tuple[int, int]] = []
    counting = execution.CountingExecutor(SerialExecutor(), lambda d, t: seen.append((d, t)))
    plan = plan_simulation(example_variants().base, replications=3, horizon=3600.0)
    counting.run([plan], [Task(0, 0)], lambda task, values: None)
    counting.run([plan], [Task(0, 1), Task(0, 2)], lambda task, values: None)
    assert seen == [(0, 1), (1, 1), (1, 3), (2, 3), (3, 3)]


STAFF = ["staff", "--target", "service_level>=0.8", "--team", "billing"]
STAFF_QUICK = [*STAFF, "--replications", "3", "--horizon", "1h", "--workers", "1"]


def test_staff_shows_one_bar_only_in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = runner.invoke(app, [*STAFF_QUICK, "--no-by-interval", "--format", "json"])
    assert plain.exit_code == 0, plain.output
    assert plain.stderr == ""
    screen = io.StringIO()

    def terminal() -> Console:
        return Console(file=screen, force_terminal=True, width=80)

    monkeypatch.setattr(cli_sweep, "notice_console", terminal)
    shown = runner.invoke(app, [*STAFF_QUICK, "--no-by-interval", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == plain.stdout
    assert "sizing" in screen.getvalue()


def test_sweep_and_staff_offer_markdown_and_csv() -> None:
    sweep_args = ["sweep", "--vary", "staff.billing=2..3", "--replications", "2"]
    sweep_args += ["--horizon", "1h", "--workers", "1", "--format", "markdown"]
    sweep_md = runner.invoke(app, sweep_args)
    assert sweep_md.exit_code == 0, sweep_md.output
    lines = sweep_md.stdout.splitlines()
    assert lines[0].startswith("# Acme support, weekday: 2 grid points")
    assert lines[2].startswith("| staff.billing | service level |")
    assert [line.split(" | ")[0] for line in lines[4:6]] == ["| 2", "| 3"]
    staff_md = runner.invoke(app, [*STAFF_QUICK, "--no-by-interval", "--format", "markdown"])
    assert staff_md.exit_code == 0, staff_md.output
    assert "| team | agents | Erlang estimate | difference | naive Erlang |" in staff_md.stdout
    staff_csv = runner.invoke(app, [*STAFF_QUICK, "--no-by-interval", "--format", "csv"])
    assert staff_csv.exit_code == 0, staff_csv.output
    rows = list(csv.DictReader(io.StringIO(staff_csv.stdout)))
    assert [row["team"] for row in rows] == ["billing"]
    low, high = float(rows[0]["service_level_ci_low"]), float(rows[0]["service_level_ci_high"])
    assert low <= high
    assert rows[0]["from_s"] == ""


def test_a_listener_that_never_answers_is_not_a_scheduler() -> None:
    """Connecting *and* identifying the scheduler fit in the 10 s: exit 2 well within 15 s."""
    pytest.importorskip("dask.distributed", reason="the cluster extra")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        start = time.monotonic()
        result = runner.invoke(
            app, ["sweep", "--vary", "method=balanced", "--cluster", f"tcp://127.0.0.1:{port}"]
        )
        elapsed = time.monotonic() - start
    finally:
        listener.close()
    assert result.exit_code == 2, result.output
    assert "cannot reach the Dask scheduler within 10 s" in result.output
    assert elapsed < 15


@pytest.mark.parametrize("address", ["inproc://x", "ucx://127.0.0.1:8786", "ws://127.0.0.1:1"])
def test_unsupported_schemes_are_refused_before_any_client(address: str) -> None:
    pytest.importorskip("dask.distributed", reason="the cluster extra")
    start = time.monotonic()
    result = runner.invoke(app, ["sweep", "--vary", "method=balanced", "--cluster", address])
    assert result.exit_code == 2, result.output
    assert (
        "use tcp:// or tls://" in result.output or "not a Dask scheduler address" in result.output
    )
    assert time.monotonic() - start < 5


def test_a_cap_axis_is_the_grid_point_compare_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--vary cap=2,3`` and ``compare --cap 2,3`` build the same plans: one variant concept."""
    from chatassign.experiments.arms import Settings, arms_of, plan_arms

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    source = read_source(Path("scenarios/lite-webshop.yaml"))
    axis = parse_vary("cap=2,3")
    points = build_grid([axis])
    variants = Variants(build_scenario(source, ()), source=source, seed=3, replications=1)
    arms = plan_arms(source, arms_of([None], (2, 3)), Settings(seed=3, replications=1))
    assert [p.settings for p in points] == [a.settings for a, _, _ in arms]
    for point, (_, label, plan) in zip(points, arms, strict=True):
        assert variants.plan(point.settings) == plan
        assert label == f"cap {dict(point.settings)['cap']}"
    with pytest.raises(UsageError, match="a cap is a whole number"):
        parse_vary("cap=two")
