"""Options ``simulate`` and ``compare`` share: parsing, where outputs go, the report extra."""

from __future__ import annotations

import contextlib
import re
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Generic, TextIO, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from chatassign import limits
from chatassign.cli.app import TABLE_WIDTH, notice_console
from chatassign.cli.output import OutputFile, output_file, write_output
from chatassign.errors import LimitError, UsageError
from chatassign.model import Method
from chatassign.report.html import require_report_extra
from chatassign.scenario.overrides import Override, parse_overrides
from chatassign.simulation import SimulationPlan, TraceSink
from chatassign.simulation.trace import TraceWriter
from chatassign.workload.quantities import DayStart, parse_duration


class ReportFormat(StrEnum):
    """How a command prints its result (``--format``)."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    CSV = "csv"


R = TypeVar("R")


@dataclass(frozen=True)
class Renderers(Generic[R]):
    """How one kind of result is shown in each ``--format``."""

    table: Callable[[R, Console], None]
    json: Callable[[R], str]
    markdown: Callable[[R], str]
    csv: Callable[[R], str]

    def text(self, result: R, output_format: ReportFormat) -> str:
        """``result`` as text (the table at ``TABLE_WIDTH``, without colour)."""
        if output_format is ReportFormat.JSON:
            return self.json(result)
        if output_format is ReportFormat.MARKDOWN:
            return self.markdown(result)
        if output_format is ReportFormat.CSV:
            return self.csv(result)
        capture = Console(width=TABLE_WIDTH, color_system=None, highlight=False, soft_wrap=False)
        with capture.capture() as captured:
            self.table(result, capture)
        return captured.get()

    def emit(
        self, result: R, output_format: ReportFormat, output: OutputFile | None, console: Console
    ) -> None:
        """Print ``result`` (a table straight to ``console``), or write it to ``output``."""
        if output is None and output_format is ReportFormat.TABLE:
            self.table(result, console)
            return
        text = self.text(result, output_format)
        if output is None:
            sys.stdout.write(text)
        else:
            write_file(output, text)


def replications_option(help: str) -> Any:
    """``--replications N``, saying what a replication is in this command."""
    return typer.Option(metavar="N", help=help)


def format_option(help: str) -> Any:
    """``--format FORMAT``, listing the formats in the order this command's help names them."""
    return typer.Option("--format", metavar="FORMAT", help=help)


def output_option(help: str) -> Any:
    """``--output FILE``, saying what this command writes there."""
    return typer.Option(metavar="FILE", help=help)


def trace_option(help: str) -> Any:
    """``--trace FILE.csv``, saying which file(s) the engine events go to."""
    return typer.Option(metavar="FILE.csv", help=help)


SCENARIO_HELP = (
    "A scenario file with a workload, or - to read it from stdin; omitted: the built-in example."
)
SET_HELP = (
    "Change the scenario before running, validated like the file: KEY=VALUE with KEY a "
    "dotted path (teamspaces.support.assignment.max_auto_assigned=4). Repeatable."
)
CAP_HELP = "Run at each of these caps (max_auto_assigned of every teamspace), e.g. 2,3,4."
REPORT_HELP = (
    "Write a self-contained HTML report with charts here (needs: pip install 'chatassign[report]')."
)
OUTPUT_HELP = "Write the result to this file instead of stdout (a bare name goes under reports/)."

ScenarioArg = Annotated[Path | None, typer.Argument(metavar="SCENARIO", help=SCENARIO_HELP)]
"""The optional scenario of simulate, compare, sweep and staff."""
SeedOpt = Annotated[
    int | None, typer.Option(metavar="N", help="Random seed (default: the file's).")
]
HorizonOpt = Annotated[
    str | None,
    typer.Option(metavar="DURATION", help="Simulated time, e.g. 8h or 90m (default: the file's)."),
]
SetsOpt = Annotated[list[str] | None, typer.Option("--set", metavar="KEY=VALUE", help=SET_HELP)]
CapsOpt = Annotated[str | None, typer.Option("--cap", metavar="CAPS", help=CAP_HELP)]
FormatOpt = Annotated[ReportFormat, format_option("table, json, markdown or csv.")]
OutputOpt = Annotated[str | None, output_option(OUTPUT_HELP)]
ReportOpt = Annotated[str | None, typer.Option("--report", metavar="FILE.html", help=REPORT_HELP)]
"""The options simulate, compare and backtest share, declared once (same help everywhere)."""


def parse_methods(text: str | None) -> tuple[Method, ...]:
    """``balanced,round-robin`` as methods, in order, without repeats; None: all four."""
    if text is None:
        return tuple(Method)
    methods: list[Method] = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            method = Method.parse(part)
        except ValueError as error:
            raise UsageError(f"--methods: {error}") from None
        if method not in methods:
            methods.append(method)
    if not methods:
        raise UsageError("--methods needs at least one method, e.g. balanced,round-robin")
    return tuple(methods)


def parse_caps(text: str | None) -> tuple[int, ...]:
    """``2,3,4`` as caps (each ≥ 1), in order, without repeats; None: no caps."""
    if text is None:
        return ()
    caps: list[int] = []
    for part in text.split(","):
        try:
            cap = int(part.strip())
        except ValueError:
            raise UsageError(f"--cap: {part.strip()!r} is not a whole number") from None
        problem = limits.cap_problem(cap)
        if problem is not None:
            raise LimitError(f"--cap: {problem}")
        if cap not in caps:
            caps.append(cap)
    return tuple(caps)


def parse_sets(arguments: Sequence[str] | None) -> tuple[Override, ...]:
    """Every ``--set KEY=VALUE``, in order."""
    return parse_overrides(list(arguments or ()))


def parse_horizon(text: str | None) -> float | None:
    """``8h`` in seconds; None when not given."""
    if text is None:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise UsageError(f"--horizon: {error}") from None
    problem = limits.horizon_problem(seconds)
    if problem is not None:
        raise LimitError(f"--horizon: {problem}")
    return seconds


def checked_output(option: str, text: str | None) -> OutputFile | None:
    """``--output PATH`` checked before anything runs (a bare name goes under ``reports/``)."""
    return None if text is None else output_file(option, text)


def command_line(command: str, arguments: Sequence[str]) -> str:
    """The shell command that repeats a run: ``chatassign compare --seed 7 ...``."""
    return shlex.join(["chatassign", command, *arguments])


def reproduce_arguments(
    scenario: Path | None,
    chosen: Sequence[str],
    plan: SimulationPlan,
    *,
    horizon: str | None,
    sets: Sequence[str] | None,
    cap: str | None,
    replay: Path | None = None,
    mapping: Path | None = None,
) -> list[str]:
    """The arguments that repeat a run exactly: seed and replications always spelled out.

    ``chosen`` are the method arguments as given (``--methods a,b``); ``plan`` is one
    arm's plan, for the seed and replications actually used; ``replay`` and ``mapping``
    the recorded export a replayed run read.
    """
    args = [] if scenario is None else [str(scenario)]
    args += [*chosen, "--seed", str(plan.seed), "--replications", str(plan.replications)]
    args += [] if horizon is None else ["--horizon", horizon]
    args += [arg for item in sets or () for arg in ("--set", item)]
    args += [] if cap is None else ["--cap", cap]
    if replay is not None and mapping is not None:
        args += ["--replay", str(replay), "--mapping", str(mapping)]
    return args


@contextlib.contextmanager
def trace_writer(handle: TextIO, starts_at: DayStart | None = None) -> Iterator[TraceSink]:
    """A trace sink writing cli.md's CSV (header first) to ``handle``, in batches of rows.

    When the day has a start, each row ends with its clock time (column ``clock``). The
    rows still held are written when the block ends without an error.
    """
    sink = TraceWriter(handle, starts_at)
    yield sink
    sink.flush()


def trace_file(trace: OutputFile, label: str) -> OutputFile:
    """The trace file of one compared column: ``trace.csv`` → ``trace.round-robin.csv``."""
    if trace.straight:
        raise UsageError(
            f"--trace {trace.path}: compare writes one trace file per column; "
            "give a file name (trace.csv gives trace.balanced.csv, ...)"
        )
    path = trace.path
    slug = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-").lower() or "run"
    return trace.beside(f"{path.stem}.{slug}{path.suffix or '.csv'}")


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """Where ``--report`` goes: the HTML page and, beside it, the JSON of the same run."""

    html: OutputFile
    json: OutputFile


def report_files(text: str | None) -> ReportFiles | None:
    """``--report PATH.html`` checked, with the JSON path beside it; None when not given.

    Checked before anything runs: the path, and that the report extra (matplotlib,
    Jinja2) is installed.
    """
    if text is None:
        return None
    require_report_extra()
    html = output_file("--report", text, suffix=".html")
    return ReportFiles(html, html.with_suffix(".json"))


def write_report(files: ReportFiles, html: str, json_text: str) -> None:
    """Write the JSON and then the HTML report, each all or nothing."""
    write_file(files.json, json_text)
    write_file(files.html, html)


def write_file(out: OutputFile, text: str) -> None:
    """Write ``text`` to ``out`` (all or nothing) and say so on stderr (unless --quiet)."""
    write_output(out, text)
    if not out.straight:
        notice_console().print(Text(f"wrote {out.path}", style="dim"))


__all__ = [
    "CAP_HELP",
    "OUTPUT_HELP",
    "REPORT_HELP",
    "SCENARIO_HELP",
    "SET_HELP",
    "ReportFiles",
    "checked_output",
    "command_line",
    "format_option",
    "output_option",
    "parse_caps",
    "parse_horizon",
    "parse_methods",
    "parse_sets",
    "replications_option",
    "report_files",
    "reproduce_arguments",
    "trace_option",
    "write_file",
    "write_report",
]
