"""``chatassign simulate``: run a scenario's workload through the engine and report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chatassign.analysis.metrics import SimulationReport
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
    replications_option,
    trace_option,
)
from chatassign.cli.replay import MappingOption, ReplayOption
from chatassign.errors import UsageError
from chatassign.experiments.arms import (
    arms_report,
)
from chatassign.model import Method
from chatassign.report.html import render_simulation_html
from chatassign.report.simulation import render_csv, render_json
from chatassign.report.simulation_text import render_markdown, render_table

SIMULATION_OUTPUT = Renderers[SimulationReport](
    table=render_table, json=render_json, markdown=render_markdown, csv=render_csv
)
"""How ``simulate`` prints in each ``--format``."""


METHOD_HELP = "balanced, random, round-robin or voluntary, for every teamspace."
REPLICATIONS_HELP = "Independent replications (default: the file's)."
TRACE_HELP = "Write every engine event to this CSV file."


@command(
    "simulate", short_help="Run a scenario's day: waits, service level, abandonment, agent load."
)
def simulate_command(
    scenario: ScenarioArg = None,
    method: Annotated[str | None, typer.Option(metavar="METHOD", help=METHOD_HELP)] = None,
    seed: SeedOpt = None,
    replications: Annotated[int | None, replications_option(REPLICATIONS_HELP)] = None,
    horizon: HorizonOpt = None,
    sets: SetsOpt = None,
    cap: CapsOpt = None,
    output_format: FormatOpt = ReportFormat.TABLE,
    output: OutputOpt = None,
    report: ReportOpt = None,
    trace: Annotated[Path | None, trace_option(TRACE_HELP)] = None,
    replay: ReplayOption = None,
    mapping: MappingOption = None,
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
    request = ColumnRequest(
        "simulate", scenario, method_option=("--method", method), cap=cap, sets=sets, seed=seed,
        replications=replications, horizon=horizon, replay=replay, mapping=mapping,
        outputs=ColumnOutputs.of(output_format, output=output, trace=trace, report=report),
    )  # fmt: skip
    runs = request.run(request.plan([_method(method)], caps), trace_per_column=False)
    request.show(runs, arms_report(runs), renderers=SIMULATION_OUTPUT, page=render_simulation_html)


def _method(text: str | None) -> Method | None:
    try:
        return Method.parse(text) if text is not None else None
    except ValueError as error:
        raise UsageError(str(error)) from None


__all__ = ["ReportFormat", "simulate_command"]
