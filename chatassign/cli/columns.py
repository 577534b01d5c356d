"""The columns ``simulate`` and ``compare`` run: one request, its planned arms, their run,
and the command that repeats it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

from chatassign.cli.app import notice_console, stdout_console
from chatassign.cli.options import (
    Renderers,
    ReportFiles,
    ReportFormat,
    checked_output,
    command_line,
    parse_horizon,
    parse_sets,
    report_files,
    reproduce_arguments,
    trace_file,
    trace_writer,
    write_report,
)
from chatassign.cli.output import OutputFile, open_output, output_file
from chatassign.cli.replay import replay_arms
from chatassign.experiments.arms import ArmRun, Settings, arms_of, plan_arms, run_arms
from chatassign.experiments.variants import GridPoint
from chatassign.model import Method
from chatassign.scenario.overrides import read_source
from chatassign.simulation import SimulationPlan, TraceSink

Planned = Sequence[tuple[GridPoint, str, SimulationPlan]]

R = TypeVar("R")
R_contra = TypeVar("R_contra", contravariant=True)


class Page(Protocol[R_contra]):
    """An HTML report of a command's result: ``render_html``, ``render_simulation_html``."""

    def __call__(self, data: R_contra, runs: Sequence[ArmRun], /, *, command: str) -> str:
        """The whole page; ``command`` is the shell command that repeats the run."""
        ...


@dataclass(frozen=True)
class ColumnOutputs:
    """Where a ``simulate`` or ``compare`` run's outputs go: ``--output``, ``--trace`` and
    ``--report`` (None: not asked for)."""

    output_format: ReportFormat
    """``--format``: how the result is printed or written to ``--output``."""
    output: OutputFile | None
    trace: OutputFile | None
    report: ReportFiles | None

    @classmethod
    def of(
        cls,
        output_format: ReportFormat,
        *,
        output: str | None,
        trace: str | os.PathLike[str] | None,
        report: str | None,
    ) -> ColumnOutputs:
        """The outputs of the options as given, checked before anything runs (in this
        order: ``--output``, ``--trace``, ``--report``)."""
        return cls(
            output_format,
            checked_output("--output", output),
            None if trace is None else output_file("--trace", trace, bare=False),
            report_files(report),
        )


@dataclass(frozen=True)
class ColumnRequest:
    """What a ``simulate`` or ``compare`` command line asked for, as given, and where its
    outputs go (checked before anything runs)."""

    command: str
    """``simulate`` or ``compare``: the command that repeats the run."""
    scenario: Path | None
    method_option: tuple[str, str | None]
    """The method option and its value as given (``("--methods", "a,b")``; None: not
    given), to repeat the run."""
    cap: str | None
    sets: Sequence[str] | None
    seed: int | None
    replications: int | None
    horizon: str | None
    replay: Path | None
    mapping: Path | None
    outputs: ColumnOutputs

    def plan(
        self, methods: Sequence[Method | None], caps: Sequence[int]
    ) -> list[tuple[GridPoint, str, SimulationPlan]]:
        """One planned arm per method and cap (sampling the queue when a report charts it)."""
        settings = Settings(
            overrides=parse_sets(self.sets),
            seed=self.seed,
            replications=self.replications,
            horizon=parse_horizon(self.horizon),
            queue_samples=self.outputs.report is not None,
        )
        planned = plan_arms(read_source(self.scenario), arms_of(methods, caps), settings)
        return replay_arms(planned, self.replay, self.mapping)

    def run(self, planned: Planned, *, trace_per_column: bool) -> tuple[ArmRun, ...]:
        """Run the columns, with a progress bar in a terminal and the trace asked for:
        one file per column (``trace.csv`` → ``trace.balanced.csv``, ...) or, for the
        one column, the file as named."""
        trace = self.outputs.trace
        with contextlib.ExitStack() as stack:
            sinks: dict[str, TraceSink] = {}
            if trace is not None:
                labels = [label for _, label, _ in planned]
                files = [trace_file(trace, lb) for lb in labels] if trace_per_column else [trace]
                starts_at = planned[0][2].workload.starts_at
                for label, file in zip(labels, files, strict=True):
                    handle = stack.enter_context(open_output(file))
                    sinks[label] = stack.enter_context(trace_writer(handle, starts_at))
            progress = stack.enter_context(progress_bar([plan for _, _, plan in planned]))
            return run_arms(planned, trace_for=sinks.get if sinks else None, progress=progress)

    def show(
        self, runs: Sequence[ArmRun], result: R, *, renderers: Renderers[R], page: Page[R]
    ) -> None:
        """Write ``result`` of ``runs``: the ``--report`` page (and its JSON) when asked,
        then the result in ``--format``, to ``--output`` or stdout."""
        report, output = self.outputs.report, self.outputs.output
        if report is not None:
            html = page(result, runs, command=self.reproduce(runs[0].plan))
            write_report(report, html, renderers.json(result))
        renderers.emit(result, self.outputs.output_format, output, stdout_console())

    def reproduce(self, plan: SimulationPlan) -> str:
        """The shell command that repeats this run exactly (seed and replications of
        ``plan`` spelled out)."""
        name, value = self.method_option
        args = reproduce_arguments(
            self.scenario,
            () if value is None else (name, value),
            plan,
            horizon=self.horizon,
            sets=self.sets,
            cap=self.cap,
            replay=self.replay,
            mapping=self.mapping,
        )
        return command_line(self.command, args)


_PROGRESS_MIN_CHATS = 200_000
"""Show a progress bar only for runs expected to hand off at least this many chats."""


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


__all__ = ["ColumnOutputs", "ColumnRequest", "Page", "progress_bar"]
