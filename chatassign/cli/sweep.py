"""``chatassign sweep`` (what-if grids) and ``chatassign staff`` (team sizing)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from chatassign.cli.app import command, notice_console, stdout_console
from chatassign.cli.options import (
    REPORT_HELP,
    FormatOpt,
    ReportFormat,
    ScenarioArg,
    SeedOpt,
    checked_output,
    command_line,
    format_option,
    output_option,
    parse_horizon,
    replications_option,
    report_files,
    write_file,
    write_report,
)
from chatassign.cli.output import OutputFile
from chatassign.errors import ClusterLostError, LimitError, UsageError
from chatassign.experiments.execution import (
    CountingExecutor,
    Executor,
    open_executor,
)
from chatassign.experiments.measures import MEASURES, scoped_measure_error
from chatassign.experiments.staffing import StaffingSettings, parse_target, staffing_report
from chatassign.experiments.sweep import (
    Journal,
    SweepProgress,
    SweepResult,
    render_sweep_csv,
    render_sweep_json,
    run_sweep,
    sweep_identity,
)
from chatassign.experiments.variants import Variants, parse_axes, shared_pool_notes
from chatassign.limits import MAX_REPLICATIONS, replications_problem
from chatassign.report.html_sweep import render_sweep_html
from chatassign.report.sweep import (
    render_staffing_csv,
    render_staffing_json,
    render_staffing_markdown,
    render_staffing_table,
    render_sweep_markdown,
    render_sweep_table,
)
from chatassign.scenario.overrides import build_scenario, parse_overrides, read_source
from chatassign.scenario.yamlsource import read_text

JOURNAL_SUFFIX = ".journal.jsonl"
"""The sweep journal sits beside ``--output FILE``: ``what-if.csv`` → ``what-if.journal.jsonl``."""


VARY_HELP = "KEY=V1,V2,... or KEY=LOW..HIGH; repeat for a grid."
TARGET_HELP = "METRIC>=VALUE or METRIC<=VALUE, e.g. service_level>=0.8 (repeatable)."
SWEEP_REPLICATIONS_HELP = "Replications per grid point (default: the file's)."
STAFF_REPLICATIONS_HELP = "Replications per staffing level at first (default: the file's, ≥ 3)."
SWEEP_OUTPUT_HELP = (
    "Write the table (in --format) to this file instead of stdout, and the "
    "journal of finished replications beside it (NAME.journal.jsonl)."
)
STAFF_OUTPUT_HELP = "Write the result (in --format) to this file instead of stdout."


SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="KEY=VALUE", help="Applied to the scenario first (repeatable)."),
]
HorizonOpt = Annotated[
    str | None,
    typer.Option(metavar="DURATION", help="Simulated time, e.g. 8h (default: the file's)."),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        metavar="N", help="Local worker processes (default: every core, at most 256; 1: serial)."
    ),
]
ClusterOpt = Annotated[
    str | None,
    typer.Option(
        metavar="ADDRESS", help="A Dask scheduler address (tcp://host:8786) to run on instead."
    ),
]


@command("sweep", short_help="A what-if grid over --vary values, on the same customers.")
def sweep_command(
    scenario: ScenarioArg = None,
    vary: Annotated[list[str] | None, typer.Option(metavar="KEY=VALUES", help=VARY_HELP)] = None,
    overrides: SetOpt = None,
    measure: Annotated[
        list[str] | None,
        typer.Option(
            "--measure",
            metavar="NAME",
            help="Also keep one team's or AI agent's measure: by_team.T.M or "
            "by_ai_agent.A.M (see docs/sweep.md); repeatable.",
        ),
    ] = None,
    seed: SeedOpt = None,
    replications: Annotated[int | None, replications_option(SWEEP_REPLICATIONS_HELP)] = None,
    horizon: HorizonOpt = None,
    output_format: Annotated[
        ReportFormat, format_option("table, csv, json or markdown.")
    ] = ReportFormat.TABLE,
    output: Annotated[str | None, output_option(SWEEP_OUTPUT_HELP)] = None,
    resume: Annotated[
        bool, typer.Option(help="Reuse the replications already in --output's journal.")
    ] = False,
    report: Annotated[
        str | None,
        typer.Option(
            "--report",
            metavar="FILE.html",
            help=REPORT_HELP + " Each metric against the first varied key other than "
            "method, one line per value of the other keys.",
        ),
    ] = None,
    workers: WorkersOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Run a what-if grid: every combination of the --vary values, with replications.

    Keys: method, staff.TEAM (agents on a team: copies of its template agent are
    added or removed) or any dotted scenario key, as --set takes. Every grid point
    sees the same customers (common random numbers); results do not depend on
    --workers or --cluster.

    Example: chatassign sweep --vary staff.billing=2..6 --vary method=balanced,round-robin
    """
    if not vary:
        raise UsageError("give at least one --vary KEY=V1,V2,...")
    out = checked_output("--output", output)
    journal_out = _journal_file(out)
    if resume and journal_out is None:
        raise UsageError("--resume needs --output FILE (the journal is beside it)")
    report_out = report_files(report)
    axes = parse_axes(vary, replications=replications)
    source = read_source(scenario)
    base_overrides = parse_overrides(overrides or [])
    variants = Variants(
        build_scenario(source, base_overrides),
        source,
        base_overrides,
        seed=seed,
        replications=replications,
        horizon=parse_horizon(horizon),
    )
    measures = tuple(dict.fromkeys(measure or ()))
    for name in measures:
        problem = scoped_measure_error(name, variants.base)
        if problem is not None:
            raise UsageError(f"--measure {name}: {problem}")
    for axis in axes:
        if axis.key.startswith("staff."):
            team = axis.key.removeprefix("staff.")
            for note in shared_pool_notes(variants.base.workspace, team):
                notice_console().print(f"note: {note}", soft_wrap=True)
    journal = None
    if journal_out is not None:
        text = read_text(source.path, file=source.file)[0] or ""
        identity = sweep_identity(text, variants, axes, measures)
        journal = Journal(journal_out.target, identity, width=len(MEASURES) + len(measures))
    try:
        with (
            open_executor(workers, cluster) as executor,
            _progress_bar("sweeping") as progress,
        ):
            result = run_sweep(
                variants,
                axes,
                executor,
                journal=journal,
                resume=resume,
                progress=progress,
                measures=measures,
            )
    except ClusterLostError as error:
        if journal_out is None:
            raise
        raise ClusterLostError(
            f"{error}; the finished ones are in {journal_out.path}: "
            "run the same command with --resume to go on from them"
        ) from None
    if report_out is not None:
        args = _reproduce_arguments(scenario, vary, overrides, result, horizon=horizon)
        html = render_sweep_html(
            result,
            command=command_line("sweep", args),
            settings=_sweep_settings(result, overrides, horizon=horizon),
        )
        write_report(report_out, html, render_sweep_json(result))
    texts = {
        ReportFormat.CSV: render_sweep_csv,
        ReportFormat.JSON: render_sweep_json,
        ReportFormat.MARKDOWN: render_sweep_markdown,
    }
    _emit_result(result, texts.get(output_format), render_sweep_table, out)


WIDE_TABLE = 120
"""Columns of a sweep or staff table written to a file or a pipe."""


def _journal_file(out: OutputFile | None) -> OutputFile | None:
    """Where the journal of a sweep writing to ``out`` goes; None for stdout or a device."""
    if out is None or out.straight:
        return None
    return out.beside(out.path.stem + JOURNAL_SUFFIX)


R = TypeVar("R")


def _emit_result(
    result: R,
    text: Callable[[R], str] | None,
    table: Callable[[R, Console], None],
    out: OutputFile | None,
) -> None:
    """``result`` as ``text`` renders it (None: the table), on stdout or in ``out``."""
    if text is not None:
        rendered = text(result)
    elif out is not None:
        rendered = _captured(lambda console: table(result, console))
    else:
        table(result, stdout_console(min_width=WIDE_TABLE))
        return
    if out is None:
        sys.stdout.write(rendered)
    else:
        write_file(out, rendered)


def _captured(render: Callable[[Console], None]) -> str:
    """What ``render`` prints, as plain text ``WIDE_TABLE`` columns wide."""
    console = Console(width=WIDE_TABLE, color_system=None, highlight=False, soft_wrap=False)
    with console.capture() as captured:
        render(console)
    return captured.get()


@command("staff", short_help="The smallest team that meets every target.")
def staff_command(
    scenario: ScenarioArg = None,
    target: Annotated[list[str] | None, typer.Option(metavar="TARGET", help=TARGET_HELP)] = None,
    team: Annotated[
        list[str] | None,
        typer.Option(metavar="TEAM", help="The team to size (repeatable for several)."),
    ] = None,
    overrides: SetOpt = None,
    seed: SeedOpt = None,
    replications: Annotated[int | None, replications_option(STAFF_REPLICATIONS_HELP)] = None,
    max_replications: Annotated[
        int,
        typer.Option(
            metavar="N", help="Most replications per staffing level while a CI is unclear."
        ),
    ] = 100,
    horizon: HorizonOpt = None,
    by_interval: Annotated[
        bool, typer.Option(help="Also size each rate interval when the rate is a schedule.")
    ] = True,
    output_format: FormatOpt = ReportFormat.TABLE,
    output: Annotated[str | None, output_option(STAFF_OUTPUT_HELP)] = None,
    workers: WorkersOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Find the smallest number of agents on a team that meets every target.

    Starts from an Erlang C/A estimate (c = agents × cap, adjusted for slowdown), then
    bisects with simulation, adding replications until each target's 95 % interval is
    clear of it. Targets: service_level, abandon_rate, p_wait, wait_mean_s, wait_p90_s,
    queue_mean.

    Example: chatassign staff --target "service_level>=0.8" --team billing
    """
    if not target or not team:
        raise UsageError("give at least one --target and one --team")
    targets = [parse_target(text) for text in target]
    if replications is not None and (problem := replications_problem(replications)) is not None:
        raise LimitError(f"--replications: {problem}")  # as simulate words it
    if max_replications < 3:
        raise UsageError("--max-replications must be at least 3")
    if max_replications > MAX_REPLICATIONS:
        raise LimitError(f"--max-replications: {replications_problem(max_replications)}")
    out = checked_output("--output", output)
    source = read_source(scenario)
    base = build_scenario(source, parse_overrides(overrides or []))
    settings = StaffingSettings(
        seed=seed,
        horizon=parse_horizon(horizon),
        replications=replications,
        max_replications=max_replications,
    )
    with open_executor(workers, cluster) as opened, _progress_bar("sizing") as progress:
        executor: Executor = opened
        if progress is not None:
            executor = CountingExecutor(opened, progress)
        report = staffing_report(base, team, targets, executor, settings, by_interval=by_interval)
    texts = {
        ReportFormat.JSON: render_staffing_json,
        ReportFormat.MARKDOWN: render_staffing_markdown,
        ReportFormat.CSV: render_staffing_csv,
    }
    _emit_result(report, texts.get(output_format), render_staffing_table, out)


def _reproduce_arguments(
    scenario: Path | None,
    vary: Sequence[str],
    sets: Sequence[str] | None,
    result: SweepResult,
    *,
    horizon: str | None,
) -> list[str]:
    """The arguments that repeat a sweep: seed and replications always spelled out."""
    args = [] if scenario is None else [str(scenario)]
    args += [arg for text in vary for arg in ("--vary", text)]
    args += ["--seed", str(result.seed), "--replications", str(result.replications)]
    args += [] if horizon is None else ["--horizon", horizon]
    return args + [arg for item in sets or () for arg in ("--set", item)]


def _sweep_settings(
    result: SweepResult, sets: Sequence[str] | None, *, horizon: str | None
) -> list[tuple[str, str]]:
    """(label, text) lines describing a sweep, for its report."""
    lines = [(f"--vary {axis.key}", ", ".join(axis.values)) for axis in result.axes]
    lines += [("--set", item) for item in sets or ()]
    lines.append(("horizon", horizon if horizon is not None else "the scenario's"))
    lines.append(("grid", f"{len(result.rows)} points, first --vary varying slowest"))
    return lines


@contextlib.contextmanager
def _progress_bar(description: str) -> Iterator[SweepProgress | None]:
    """One progress line on stderr, only in a terminal (and not with --quiet).

    ``sweep`` knows its total at the start: a bar, done of total, time left. ``staff``
    asks for replications as its search goes, so its total is not known: a spinner,
    the replications done so far and the time spent, never a bar whose end moves.
    """
    console = notice_console()
    if console.quiet or not console.is_terminal:
        yield None
        return
    known = description == "sweeping"
    columns: tuple[ProgressColumn, ...] = (
        (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        if known
        else (
            SpinnerColumn(),
            TextColumn("{task.description}: {task.completed} replications"),
            TimeElapsedColumn(),
        )
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total if known else None)

        yield advance
