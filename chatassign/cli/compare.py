"""``chatassign compare``: the same customers through several methods (or caps), side by side."""

from __future__ import annotations

from typing import Annotated

import typer

from chatassign.analysis.comparison import compare
from chatassign.cli.app import command
from chatassign.cli.columns import ColumnOutputs, ColumnRequest
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

REPLICATIONS_HELP = "Paired replications (default: the file's)."
TRACE_HELP = (
    "Write every engine event as CSV, one file per column: "
    "trace.csv gives trace.balanced.csv, trace.round-robin.csv, ..."
)


@command("compare", short_help="Several methods (or caps) on the same customers, side by side.")
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
    replications: Annotated[int | None, replications_option(REPLICATIONS_HELP)] = None,
    horizon: HorizonOpt = None,
    output_format: FormatOpt = ReportFormat.TABLE,
    output: OutputOpt = None,
    report: ReportOpt = None,
    trace: Annotated[str | None, trace_option(TRACE_HELP)] = None,
    replay: ReplayOption = None,
    mapping: MappingOption = None,
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
    request = ColumnRequest(
        "compare", scenario, method_option=("--methods", methods), cap=cap, sets=sets, seed=seed,
        replications=replications, horizon=horizon, replay=replay, mapping=mapping,
        outputs=ColumnOutputs.of(output_format, output=output, trace=trace, report=report),
    )  # fmt: skip
    runs = request.run(request.plan(chosen, caps), trace_per_column=True)
    threshold = runs[0].plan.workload.service_level_threshold
    comparison = compare([(run.label, run.facts) for run in runs], threshold=threshold)
    data = ComparisonReport(arms_report(runs), comparison)
    request.show(runs, data, renderers=COMPARISON_OUTPUT, page=render_html)


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
