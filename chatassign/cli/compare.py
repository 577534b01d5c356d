"""``chatassign compare``: the same customers through several methods (or caps), side by side."""

from __future__ import annotations

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
    parse_caps,
    parse_methods,
    replications_option,
    trace_option,
    write_report,
)
from chatassign.cli.replay import MappingOption, ReplayOption
from chatassign.experiments.arms import (
    arms_report,
)
from chatassign.model import Method
from chatassign.report.comparison import (
    ComparisonReport,
    render_comparison_csv,
    render_comparison_json,
    render_comparison_markdown,
    render_comparison_table,
)
from chatassign.report.html import render_html

TRACE_HELP = (
    "Write every engine event as CSV, one file per column: "
    "trace.csv gives trace.balanced.csv, trace.round-robin.csv, ..."
)


@app.command("compare", short_help="Several methods (or caps) on the same customers, side by side.")
def compare_command(
    context: typer.Context,
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
        int | None, replications_option("Paired replications (default: the file's).")
    ] = None,
    horizon: HorizonOpt = None,
    output_format: FormatOpt = ReportFormat.TABLE,
    output: OutputOpt = None,
    report: ReportOpt = None,
    trace: Annotated[str | None, trace_option(TRACE_HELP)] = None,
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
    request = ColumnRequest.from_options(context.params, "--methods")
    planned = request.plan(chosen, caps)
    runs = request.run(planned, trace_per_column=True)
    threshold = runs[0].plan.workload.service_level_threshold
    comparison = compare([(run.label, run.facts) for run in runs], threshold=threshold)
    data = ComparisonReport(arms_report(runs), comparison)
    if request.report is not None:
        command = request.reproduce("compare", runs[0].plan)
        html = render_html(data, runs, command=command)
        write_report(request.report, html, render_comparison_json(data))
    COMPARISON_OUTPUT.emit(data, output_format, request.output, stdout_console())


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
