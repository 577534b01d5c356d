"""``chatassign simulate``: run a scenario's workload through the engine and report."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

from chatassign.analysis.metrics import SimulationReport
from chatassign.cli.app import QuietOption, VersionOption, app, notice_console, stdout_console
from chatassign.cli.columns import ColumnRequest
from chatassign.cli.options import (
    CapsOpt,
    FormatOpt,
    HorizonOpt,
    OutputOpt,
    Renderers,
    ReportFormat,
    ReportOpt,
    ScenarioArg,
    SeedOpt,
    SetsOpt,
    checked_output,
    parse_caps,
    report_files,
    trace_writer,
    write_report,
)
from chatassign.cli.output import OutputFile, open_output, output_file
from chatassign.cli.replay import MappingOption, ReplayOption
from chatassign.errors import UsageError
from chatassign.experiments.arms import (
    ArmRun,
    arms_report,
    run_arms,
)
from chatassign.experiments.variants import GridPoint
from chatassign.model import Method
from chatassign.report.html import render_simulation_html
from chatassign.report.simulation import render_csv, render_json
from chatassign.report.simulation_text import render_markdown, render_table
from chatassign.simulation import SimulationPlan, TraceSink

_PROGRESS_MIN_CHATS = 200_000
"""Show a progress bar only for runs expected to hand off at least this many chats."""

SIMULATION_OUTPUT = Renderers[SimulationReport](
    table=render_table, json=render_json, markdown=render_markdown, csv=render_csv
)
"""How ``simulate`` prints in each ``--format``."""


@app.command(
    "simulate", short_help="Run a scenario's day: waits, service level, abandonment, agent load."
)
def simulate_command(
    scenario: ScenarioArg = None,
    method: Annotated[
        str | None,
        typer.Option(
            metavar="METHOD",
            help="balanced, random, round-robin or voluntary, for every teamspace.",
        ),
    ] = None,
    seed: SeedOpt = None,
    replications: Annotated[
        int | None,
        typer.Option(metavar="N", help="Independent replications (default: the file's)."),
    ] = None,
    horizon: HorizonOpt = None,
    sets: SetsOpt = None,
    cap: CapsOpt = None,
    output_format: FormatOpt = ReportFormat.TABLE,
    output: OutputOpt = None,
    report: ReportOpt = None,
    trace: Annotated[
        Path | None,
        typer.Option(metavar="FILE.csv", help="Write every engine event to this CSV file."),
    ] = None,
    replay: ReplayOption = None,
    mapping: MappingOption = None,
    quiet: QuietOption = False,
    version: VersionOption = False,
) -> None:
    """Simulate a day of traffic: waits, service level, abandonment, agent load, cap saturation.

    Runs the scenario's workload through the assignment engine on a simulated clock,
    with the method its teamspaces configure unless --method overrides it. With
    --cap 2,3,4 it runs once per cap and shows each.

    Example: chatassign simulate scenarios/pro-saas.yaml --replications 20

    Example: chatassign simulate --method round-robin --set
    workload.arrivals.helpbot.rate=200/h --report day.html
    """
    caps = parse_caps(cap)
    if trace is not None and len(caps) > 1:
        raise UsageError("--trace records one run; give a single --cap with it")
    out = checked_output("--output", output)
    trace_out = None if trace is None else output_file("--trace", trace, bare=False)
    report_out = report_files(report)
    request = ColumnRequest(
        scenario,
        () if method is None else ("--method", method),
        cap,
        sets,
        seed,
        replications,
        horizon,
        replay,
        mapping,
    )
    planned = request.plan([_method(method)], caps, charted=report_out is not None)
    runs = _run(planned, trace_out)
    result = arms_report(runs)
    if report_out is not None:
        command = request.reproduce("simulate", runs[0].plan)
        html = render_simulation_html(result, runs, command=command)
        write_report(report_out, html, render_json(result))
    SIMULATION_OUTPUT.emit(result, output_format, out, stdout_console())


def _method(text: str | None) -> Method | None:
    try:
        return Method.parse(text) if text is not None else None
    except ValueError as error:
        raise UsageError(str(error)) from None


def _run(
    planned: Sequence[tuple[GridPoint, str, SimulationPlan]], trace: OutputFile | None
) -> tuple[ArmRun, ...]:
    with contextlib.ExitStack() as stack:
        sink: TraceSink | None = None
        if trace is not None:
            starts_at = planned[0][2].workload.starts_at
            handle = stack.enter_context(open_output(trace))
            sink = stack.enter_context(trace_writer(handle, starts_at))
        progress = stack.enter_context(progress_bar([plan for _, _, plan in planned]))
        return run_arms(planned, trace=sink, progress=progress)


@contextlib.contextmanager
def progress_bar(plans: Sequence[SimulationPlan]) -> Iterator[Callable[[float], None] | None]:
    """A progress bar on stderr for long runs of ``plans`` in a terminal; None otherwise."""
    console = notice_console()
    expected = sum(_expected_handoffs(plan) for plan in plans)
    if console.quiet or not console.is_terminal or expected < _PROGRESS_MIN_CHATS:
        yield None
        return
    columns = (BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("simulating", total=1.0)

        def advance(share: float) -> None:
            bar.update(task, completed=share)

        yield advance


def _expected_handoffs(plan: SimulationPlan) -> float:
    if plan.recorded is not None:
        return float(len(plan.recorded) * plan.replications)
    workload = plan.workload
    total = sum(
        stream.expected_arrivals(0.0, workload.horizon) * stream.handoff_probability
        for stream in workload.arrivals
    )
    return total * plan.replications


__all__ = ["ReportFormat", "progress_bar", "simulate_command"]
