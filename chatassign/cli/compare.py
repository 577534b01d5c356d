"""``chatassign compare``: the same customers through several methods (or caps), side by side."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Annotated

import typer

from chatassign.analysis.comparison import compare
from chatassign.cli.app import QuietOption, VersionOption, app, stdout_console
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
    parse_methods,
    report_files,
    trace_file,
    trace_writer,
    write_report,
)
from chatassign.cli.output import OutputFile, open_output, output_file
from chatassign.cli.replay import MappingOption, ReplayOption
from chatassign.cli.simulate import progress_bar
from chatassign.experiments.arms import (
    ArmRun,
    arms_report,
    run_arms,
)
from chatassign.experiments.variants import GridPoint
from chatassign.model import Method
from chatassign.report.comparison import (
    ComparisonReport,
    render_comparison_csv,
    render_comparison_json,
    render_comparison_markdown,
    render_comparison_table,
)
from chatassign.report.html import render_html
from chatassign.simulation import SimulationPlan, TraceSink


@app.command("compare", short_help="Several methods (or caps) on the same customers, side by side.")
def compare_command(
    scenario: ScenarioArg = None,
    methods: Annotated[
        str | None,
        typer.Option(
            metavar="METHODS",
            help="Comma-separated methods, the first is the baseline (default: all four; "
            "with --cap: the configured method).",
        ),
    ] = None,
    cap: CapsOpt = None,
    sets: SetsOpt = None,
    seed: SeedOpt = None,
    replications: Annotated[
        int | None, typer.Option(metavar="N", help="Paired replications (default: the file's).")
    ] = None,
    horizon: HorizonOpt = None,
    output_format: FormatOpt = ReportFormat.TABLE,
    output: OutputOpt = None,
    report: ReportOpt = None,
    trace: Annotated[
        str | None,
        typer.Option(
            metavar="FILE.csv",
            help="Write every engine event as CSV, one file per column: "
            "trace.csv gives trace.balanced.csv, trace.round-robin.csv, ...",
        ),
    ] = None,
    replay: ReplayOption = None,
    mapping: MappingOption = None,
    quiet: QuietOption = False,
    version: VersionOption = False,
) -> None:
    """Compare assignment methods on the same customers: which waits less, which is fairer.

    Every method sees the same arrivals, work and patience (common random numbers);
    each difference to the first method comes with a paired 95 % interval, and one
    that could be noise says "no clear difference". Methods the plan does not
    include are simulated anyway and marked with the plan they need. With --cap
    2,3,4 the columns are caps (of one method), or every method at every cap.

    Example: chatassign compare --methods round-robin,balanced --report acme.html
    """
    caps = parse_caps(cap)
    chosen: tuple[Method | None, ...] = (
        (None,) if caps and methods is None else parse_methods(methods)
    )
    out = checked_output("--output", output)
    trace_out = None if trace is None else output_file("--trace", trace, bare=False)
    report_out = report_files(report)
    request = ColumnRequest(
        scenario,
        () if methods is None else ("--methods", methods),
        cap,
        sets,
        seed,
        replications,
        horizon,
        replay,
        mapping,
    )
    planned = request.plan(chosen, caps, charted=report_out is not None)
    runs = _run(planned, trace_out)
    threshold = runs[0].plan.workload.service_level_threshold
    comparison = compare([(run.label, run.facts) for run in runs], threshold=threshold)
    data = ComparisonReport(arms_report(runs), comparison)
    if report_out is not None:
        command = request.reproduce("compare", runs[0].plan)
        write_report(
            report_out, render_html(data, runs, command=command), render_comparison_json(data)
        )
    COMPARISON_OUTPUT.emit(data, output_format, out, stdout_console())


def _run(
    planned: Sequence[tuple[GridPoint, str, SimulationPlan]], trace: OutputFile | None
) -> tuple[ArmRun, ...]:
    """Run the columns, each with its own trace file when ``trace`` is given."""
    with contextlib.ExitStack() as stack:
        sinks: dict[str, TraceSink] = {}
        if trace is not None:
            files = [trace_file(trace, label) for _, label, _ in planned]
            for (_, label, _), file in zip(planned, files, strict=True):
                handle = stack.enter_context(open_output(file))
                starts_at = planned[0][2].workload.starts_at
                sinks[label] = stack.enter_context(trace_writer(handle, starts_at))
        progress = stack.enter_context(progress_bar([plan for _, _, plan in planned]))
        return run_arms(planned, trace_for=sinks.get if sinks else None, progress=progress)


COMPARISON_OUTPUT = Renderers[ComparisonReport](
    table=render_comparison_table,
    json=render_comparison_json,
    markdown=render_comparison_markdown,
    csv=render_comparison_csv,
)
"""How ``compare`` prints in each ``--format``."""


def render(data: ComparisonReport, output_format: ReportFormat) -> str:
    """The comparison as text in ``output_format`` (the table at ``TABLE_WIDTH``, no colour)."""
    return COMPARISON_OUTPUT.text(data, output_format)


__all__ = ["compare_command", "render"]
