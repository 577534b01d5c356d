"""``chatassign backtest``: a scenario's simulated day beside a desk's recorded history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chatassign.cli.app import command, stdout_console
from chatassign.cli.columns import progress_bar
from chatassign.cli.options import (
    FormatOpt,
    OutputOpt,
    Renderers,
    ReportFormat,
    ReportOpt,
    SeedOpt,
    SetsOpt,
    checked_output,
    command_line,
    parse_sets,
    replications_option,
    report_files,
    write_report,
)
from chatassign.errors import UsageError
from chatassign.history.backtest import (
    Backtest,
    backtest_plan,
    recorded_days,
    run_backtest,
    slots,
)
from chatassign.history.export import read_export
from chatassign.history.mapping import load_mapping
from chatassign.report.backtest import (
    print_backtest,
    render_backtest_csv,
    render_backtest_json,
    render_backtest_markdown,
)
from chatassign.scenario.overrides import build_scenario, read_source
from chatassign.simulation import plan_simulation, simulate
from chatassign.workload.quantities import format_duration, parse_duration

BACKTEST_OUTPUT = Renderers[Backtest](
    table=print_backtest,
    json=render_backtest_json,
    markdown=render_backtest_markdown,
    csv=render_backtest_csv,
)
"""How ``backtest`` prints in each ``--format``."""

REPLICATIONS_HELP = "Simulated days, at least 2 (default: the file's)."

MAX_INTERVALS = 2000
"""Most rows of the per-interval table (a year in 6-hour rows)."""
MIN_REPLICATIONS = 2
"""A range needs the spread of at least two simulated days."""


@command("backtest", short_help="Recorded against simulated: how far to trust a scenario.")
def backtest_command(
    scenario: Annotated[
        Path,
        typer.Argument(
            metavar="SCENARIO",
            help="The scenario to check (a fitted one, or your own); - reads it from stdin.",
        ),
    ],
    history: Annotated[
        Path,
        typer.Option(
            metavar="EXPORT", help="The desk's export: CSV or JSON lines, optionally .gz."
        ),
    ],
    mapping: Annotated[
        Path,
        typer.Option(metavar="MAP.yaml", help="How to read the export (docs/history.md)."),
    ],
    day: Annotated[
        str | None,
        typer.Option(
            metavar="DAY",
            help="weekday (every Monday to Friday), whole (one span) or a date 2026-03-02 "
            "(default: the scenario's starts_at date, whole for a horizon over a day, "
            "else weekday).",
        ),
    ] = None,
    interval: Annotated[
        str, typer.Option(metavar="DURATION", help="Length of each row of the day, e.g. 30m.")
    ] = "1h",
    seed: SeedOpt = None,
    replications: Annotated[int | None, replications_option(REPLICATIONS_HELP)] = None,
    sets: SetsOpt = None,
    skip_bad_rows: Annotated[
        bool,
        typer.Option("--skip-bad-rows", help="Leave malformed rows out (counted in the output)."),
    ] = False,
    output_format: FormatOpt = ReportFormat.TABLE,
    output: OutputOpt = None,
    report: ReportOpt = None,
) -> None:
    """Backtest a scenario: its simulated day beside the desk's recorded days.

    Simulates the scenario's own model (its arrivals, work, patience, shifts and
    routing) and puts each figure beside the same figure computed from the export:
    in total, per team, per AI agent and per interval of the day. A recorded figure
    outside the simulated 95 % range (where the average of as many simulated days
    would fall) is marked ▲ or ▼.

    Example: chatassign backtest desk.yaml --history chats.csv.gz --mapping map.yaml
    """
    step = _interval(interval)
    for option, path in (("--history", history), ("--mapping", mapping)):
        if not path.is_file():
            raise UsageError(f"{option} {path}: no such file")
    out = checked_output("--output", output)
    report_out = report_files(report)
    chosen_day = None if day is None else day.strip().lower()
    plan = plan_simulation(
        build_scenario(read_source(scenario), parse_sets(sets)),
        seed=seed,
        replications=replications,
    )
    if plan.replications < MIN_REPLICATIONS:
        raise UsageError(
            f"a backtest needs at least {MIN_REPLICATIONS} replications for its ranges "
            f"(the scenario has {plan.replications}); pass --replications 20"
        )
    plan = backtest_plan(plan)
    read_mapping = load_mapping(mapping)
    export = read_export(history, read_mapping, skip_bad_rows=skip_bad_rows)
    workload = plan.workload
    if slots(workload.horizon, step) > MAX_INTERVALS:
        raise UsageError(
            f"--interval {interval}: the {format_duration(workload.horizon)} day would have "
            f"more than {MAX_INTERVALS:,} rows; give a longer interval"
        )
    days = recorded_days(
        export,
        read_mapping.timezone,
        day=chosen_day,
        starts_at=workload.starts_at,
        horizon=workload.horizon,
    )
    with progress_bar([plan]) as progress:
        facts = simulate(plan, progress=progress)
    result = run_backtest(export, days, plan, facts, interval=step)
    if report_out is not None:
        from chatassign.report.html_backtest import render_backtest_html

        args = [str(scenario), "--history", str(history), "--mapping", str(mapping)]
        args += [] if day is None else ["--day", day]
        args += ["--interval", interval, "--seed", str(plan.seed)]
        args += ["--replications", str(plan.replications)]
        args += [arg for item in sets or () for arg in ("--set", item)]
        args += ["--skip-bad-rows"] if skip_bad_rows else []
        html = render_backtest_html(result, command=command_line("backtest", args))
        write_report(report_out, html, render_backtest_json(result))
    BACKTEST_OUTPUT.emit(result, output_format, out, stdout_console())


def _interval(text: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise UsageError(f"--interval: {error}") from None
    if seconds < 60:
        raise UsageError(f"--interval: at least {format_duration(60)}, not {text}")
    return seconds


__all__ = ["backtest_command"]
