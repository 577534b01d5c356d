"""``chatassign fit``: learn a scenario from a desk's export, and say how it was learned."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from chatassign.cli.app import command, stdout_console
from chatassign.cli.options import write_file
from chatassign.cli.output import output_file
from chatassign.errors import UsageError
from chatassign.history.desk import fit_files
from chatassign.history.fit import FitOptions
from chatassign.workload.quantities import format_duration, parse_duration


class FitFormat(StrEnum):
    """How ``fit`` prints its report."""

    TABLE = "table"
    JSON = "json"


@command("fit", short_help="Learn a scenario from a desk's chat export (fit report included).")
def fit_command(
    export: Annotated[
        Path, typer.Argument(help="The desk's export: CSV or JSON lines, optionally .gz.")
    ],
    mapping: Annotated[
        Path,
        typer.Option(metavar="MAP.yaml", help="How to read the export (docs/history.md)."),
    ],
    output: Annotated[
        str,
        typer.Option(
            metavar="DESK.yaml",
            help="Write the fitted scenario here, as named (the input of your next command).",
        ),
    ],
    workspace: Annotated[
        Path | None,
        typer.Option(
            metavar="BASE.yaml",
            help="Keep this scenario's plan, users, teams and routing; fit only the workload.",
        ),
    ] = None,
    interval: Annotated[
        str, typer.Option(metavar="DURATION", help="Length of each rate interval, e.g. 1h.")
    ] = "30m",
    day: Annotated[
        str,
        typer.Option(
            metavar="DAY",
            help="weekday (an average weekday), whole (the whole period) or a date 2026-03-02.",
        ),
    ] = "weekday",
    idle_gap: Annotated[
        str,
        typer.Option(
            metavar="DURATION", help="An agent without a chat for longer than this is away."
        ),
    ] = "30m",
    skip_bad_rows: Annotated[
        bool,
        typer.Option("--skip-bad-rows", help="Leave malformed rows out (counted in the report)."),
    ] = False,
    output_format: Annotated[
        FitFormat, typer.Option("--format", metavar="FORMAT", help="table or json.")
    ] = FitFormat.TABLE,
) -> None:
    """Fit a scenario to a desk's export: arrivals, work, slowdown, patience, shifts, cap.

    Reads only the columns the mapping names. Work is corrected for the concurrency
    slowdown and patience is fitted with served waits as censored, so neither is the
    naive average. The scenario is checked like `chatassign validate` before it is
    written; on any error nothing is written (exit 1).

    Example: chatassign fit chats.csv.gz --mapping map.yaml --output desk.yaml
    """
    options = FitOptions(
        interval=_duration("--interval", interval, minimum=60),
        day=day.strip().lower() if day.strip().lower() in ("weekday", "whole") else day,
        idle_gap=_duration("--idle-gap", idle_gap, minimum=0),
    )
    # The scenario is the input of the next command (simulate desk.yaml), not a report:
    # it goes where it is named, a bare name included.
    target = output_file("--output", output, bare=False)
    fitted = fit_files(
        export, mapping, workspace=workspace, options=options, skip_bad_rows=skip_bad_rows
    )
    write_file(target, fitted.text)
    if output_format is FitFormat.JSON:
        typer.echo(json.dumps(fitted.report, indent=2, ensure_ascii=False))
    else:
        print_fit_report(fitted.report, stdout_console())


def _duration(option: str, text: str, *, minimum: float) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None
    if seconds < minimum:
        raise UsageError(f"{option}: at least {format_duration(minimum)}, not {text}")
    return seconds


def print_fit_report(report: dict[str, object], console: Console) -> None:
    """The fit report as tables: rows, streams, distributions, and notes."""
    rows = _dict(report["rows"])
    period = _dict(report["period"])
    console.print(Text(f"fit of {report['export']}", style="bold"))
    days = f"{period['days']} day(s), {period['first']} to {period['last']}"
    start = f", time 0 at {period['starts_at']}" if period["starts_at"] else ""
    console.print(
        f"period: {period['day']} ({days}{start}), horizon "
        f"{format_duration(float(str(period['horizon_s'])))}"
    )
    console.print(
        f"rows: {rows['read']} read, {rows['used']} used, {rows['skipped']} skipped as bad"
    )
    for reason, count in _dict(rows["ignored"]).items():
        console.print(f"  ignored {count}: {reason}")
    for example in _list(rows["skipped_examples"]):
        console.print(Text(f"  skipped: {example}"), soft_wrap=True)
    console.print(_streams_table(_list(report["streams"])))
    console.print(_distributions_table(report))
    slowdown = _dict(report["slowdown"])
    factors = ", ".join(f"{f:g}" for f in _list(slowdown["factors"]))
    console.print(f"concurrency slowdown: [{factors}] ({slowdown['method']})")
    console.print(f"cap: {report['cap']} (most chats an agent held at once)")
    agents = _dict(report["agents"])
    console.print(f"agents: {agents['count']}, {agents['online_h']} h online on the fitted day")
    for note in _list(report["notes"]):
        console.print(Text(f"note: {note}", style="dim"), soft_wrap=True)


def _streams_table(streams: Sequence[object]) -> Table:
    table = Table(title="arrivals per AI agent", title_justify="left")
    for column in ("AI agent", "per day", "chats", "abandoned", "work", "duration", "patience"):
        table.add_column(column, justify="left" if column == "AI agent" else "right")
    for item in streams:
        stream = _dict(item)
        table.add_row(
            str(stream["ai_agent"]),
            f"{stream['volume']:.1f}",
            str(stream["chats"]),
            str(stream["abandoned"]),
            _seconds(stream["mean_work_s"]),
            _seconds(stream["mean_duration_s"]),
            _seconds(stream["mean_patience_s"]),
        )
    return table


def _distributions_table(report: dict[str, object]) -> Table:
    table = Table(title="distributions", title_justify="left")
    for column in ("quantity", "chosen", "fit", "naive"):
        table.add_column(column, no_wrap=column == "chosen")
    work = _dict(report["work"])
    table.add_row(
        "work (handle_time)",
        str(work["distribution"]),
        _fit(work),
        f"mean duration {_seconds(work['mean_duration_s'])}",
    )
    for item in _list(report["streams"]):
        stream = _dict(item)
        for key, label in (("handle_time", "work"), ("patience", "patience")):
            if stream[key] is not None:
                values = _dict(stream[key])
                table.add_row(
                    f"  {label} of {stream['ai_agent']}",
                    str(values["distribution"]),
                    _fit(values),
                    "",
                )
    patience = report["patience"]
    if patience is None:
        table.add_row("patience", "none (nobody abandoned)", "", "")
    else:
        values = _dict(patience)
        table.add_row(
            "patience",
            str(values["distribution"]),
            _fit(values),
            f"mean wait of abandoned {_seconds(values['mean_wait_of_abandoned_s'])}",
        )
    return table


def _fit(values: dict[str, object]) -> str:
    (name, statistic), *_ = _dict(values["fit"]).items()
    return f"{name.replace('_', ' ')} {statistic}"


def _seconds(value: object) -> str:
    return "-" if value is None else format_duration(round(float(str(value))))


def _dict(value: object) -> dict[str, object]:
    assert isinstance(value, dict)
    return value


def _list(value: object) -> list[object]:
    assert isinstance(value, list)
    return value
