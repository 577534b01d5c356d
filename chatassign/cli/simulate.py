"""``chatassign simulate``: run a scenario's workload through the engine and report."""

from __future__ import annotations

import contextlib
import csv
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

from chatassign.cli.app import app, fail, stderr_console, stdout_console
from chatassign.engine import EngineEvent
from chatassign.errors import ChatAssignError, UsageError
from chatassign.metrics import SimulationReport
from chatassign.model import Method
from chatassign.quantities import parse_duration
from chatassign.report import (
    TRACE_HEADER,
    render_csv,
    render_json,
    render_markdown,
    render_table,
    trace_row,
)
from chatassign.scenario import example_scenario_path, load_scenario
from chatassign.simulation import (
    SimulationPlan,
    TraceSink,
    method_result,
    plan_simulation,
    simulate,
    simulation_report,
)

_PROGRESS_MIN_CHATS = 200_000
"""Show a progress bar only for runs expected to hand off at least this many chats."""

TABLE_WIDTH = 100


class ReportFormat(StrEnum):
    """How ``simulate`` prints its result."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    CSV = "csv"


@app.command("simulate")
def simulate_command(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="A scenario file with a workload; omitted: the built-in example."),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(help="balanced, random, round-robin or voluntary, for every teamspace."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the file's).")] = None,
    replications: Annotated[
        int | None, typer.Option(help="Independent replications (default: the file's).")
    ] = None,
    horizon: Annotated[
        str | None, typer.Option(help="Simulated time, e.g. 8h or 90m (default: the file's).")
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="table, json, markdown or csv.")
    ] = ReportFormat.TABLE,
    output: Annotated[
        Path | None, typer.Option(help="Write the result to this file instead of stdout.")
    ] = None,
    trace: Annotated[
        Path | None, typer.Option(help="Write every engine event to this CSV file.")
    ] = None,
) -> None:
    """Simulate a day of traffic: waits, service level, abandonment, agent load, cap saturation.

    Runs the scenario's workload through the assignment engine on a simulated clock,
    with the method its teamspaces configure unless --method overrides it.

    Example: chatassign simulate scenarios/acme.yaml --method round-robin --replications 20
    """
    try:
        plan = _plan(scenario, method, seed, replications, horizon)
        report = _run(plan, trace)
        if output is None and output_format is ReportFormat.TABLE:
            render_table(report, stdout_console())
            return
        text = _render(report, output_format)
        if output is None:
            sys.stdout.write(text)
        else:
            with atomic_writer(output) as handle:
                handle.write(text)
    except ChatAssignError as error:
        raise fail(error) from None


def _plan(
    path: Path | None,
    method: str | None,
    seed: int | None,
    replications: int | None,
    horizon: str | None,
) -> SimulationPlan:
    try:
        chosen = Method.parse(method) if method is not None else None
        seconds = parse_duration(horizon) if horizon is not None else None
    except ValueError as error:
        raise UsageError(str(error)) from None
    scenario = load_scenario(path if path is not None else example_scenario_path())
    return plan_simulation(
        scenario, method=chosen, seed=seed, replications=replications, horizon=seconds
    )


def _run(plan: SimulationPlan, trace: Path | None) -> SimulationReport:
    with contextlib.ExitStack() as stack:
        sink: TraceSink | None = None
        if trace is not None:
            sink = _trace_writer(stack.enter_context(atomic_writer(trace)))
        progress = stack.enter_context(_progress_bar(plan))
        facts = simulate(plan, trace=sink, progress=progress)
    return simulation_report(plan, [method_result(plan, facts)])


def _render(report: SimulationReport, output_format: ReportFormat) -> str:
    if output_format is ReportFormat.JSON:
        return render_json(report)
    if output_format is ReportFormat.MARKDOWN:
        return render_markdown(report)
    if output_format is ReportFormat.CSV:
        return render_csv(report)
    capture = Console(width=TABLE_WIDTH, color_system=None, highlight=False, soft_wrap=False)
    with capture.capture() as captured:
        render_table(report, capture)
    return captured.get()


def _trace_writer(handle: TextIO) -> TraceSink:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(TRACE_HEADER)

    def write(replication: int, event: EngineEvent) -> None:
        writer.writerow(trace_row(replication, event))

    return write


@contextlib.contextmanager
def _progress_bar(plan: SimulationPlan) -> Iterator[Callable[[float], None] | None]:
    """A progress bar on stderr for long runs in a terminal; None otherwise."""
    console = stderr_console()
    if not console.is_terminal or _expected_handoffs(plan) < _PROGRESS_MIN_CHATS:
        yield None
        return
    columns = (BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("simulating", total=1.0)

        def advance(share: float) -> None:
            bar.update(task, completed=share)

        yield advance


def _expected_handoffs(plan: SimulationPlan) -> float:
    workload = plan.workload
    total = 0.0
    for stream in workload.arrivals:
        start = 0.0
        for segment in stream.schedule:
            end = min(segment.until, workload.horizon)
            if end > start:
                total += segment.rate * (end - start) * stream.handoff_probability
            start = end
    return total * plan.replications


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[TextIO]:
    """A text file that appears at ``path`` only when the block completes.

    Written to a temporary file in the same folder, then renamed over ``path``, so an
    interrupted run (Ctrl-C) or an error leaves no half-written file behind.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: no such folder {folder}")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
