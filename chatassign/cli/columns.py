"""The columns ``simulate`` and ``compare`` run: one request, its planned arms, their run,
and the command that repeats it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

from chatassign.cli.app import notice_console
from chatassign.cli.options import (
    ReportFiles,
    checked_output,
    command_line,
    parse_horizon,
    parse_sets,
    report_files,
    reproduce_arguments,
    trace_file,
    trace_writer,
)
from chatassign.cli.output import OutputFile, open_output, output_file
from chatassign.cli.replay import replay_arms
from chatassign.experiments.arms import ArmRun, Settings, arms_of, plan_arms, run_arms
from chatassign.experiments.variants import GridPoint
from chatassign.model import Method
from chatassign.scenario.overrides import read_source
from chatassign.simulation import SimulationPlan, TraceSink

Planned = Sequence[tuple[GridPoint, str, SimulationPlan]]


@dataclass(frozen=True)
class ColumnRequest:
    """What a ``simulate`` or ``compare`` command line asked for, as given, and where its
    outputs go (checked before anything runs)."""

    scenario: Path | None
    method_args: tuple[str, ...]
    """The method option as given (``("--methods", "a,b")``), to repeat the run."""
    cap: str | None
    sets: Sequence[str] | None
    seed: int | None
    replications: int | None
    horizon: str | None
    replay: Path | None
    mapping: Path | None
    output: OutputFile | None
    trace: OutputFile | None
    report: ReportFiles | None

    @classmethod
    def from_options(cls, options: Mapping[str, Any], method_option: str) -> ColumnRequest:
        """The request of a command's parsed options (``ctx.params``, keyed by the
        parameter names the two commands share); ``method_option`` names the option
        that chooses methods (``--method`` or ``--methods``).

        ``--output``, ``--trace`` and ``--report`` are checked here, in that order.
        """
        methods = options[method_option.removeprefix("--")]
        trace = options["trace"]
        return cls(
            scenario=options["scenario"],
            method_args=() if methods is None else (method_option, methods),
            cap=options["cap"],
            sets=options["sets"],
            seed=options["seed"],
            replications=options["replications"],
            horizon=options["horizon"],
            replay=options["replay"],
            mapping=options["mapping"],
            output=checked_output("--output", options["output"]),
            trace=None if trace is None else output_file("--trace", trace, bare=False),
            report=report_files(options["report"]),
        )

    def plan(
        self, methods: Sequence[Method | None], caps: Sequence[int]
    ) -> list[tuple[GridPoint, str, SimulationPlan]]:
        """One planned arm per method and cap (sampling the queue when a report charts it)."""
        settings = Settings(
            overrides=parse_sets(self.sets),
            seed=self.seed,
            replications=self.replications,
            horizon=parse_horizon(self.horizon),
            queue_samples=self.report is not None,
        )
        planned = plan_arms(read_source(self.scenario), arms_of(methods, caps), settings)
        return replay_arms(planned, self.replay, self.mapping)

    def run(self, planned: Planned, *, trace_per_column: bool) -> tuple[ArmRun, ...]:
        """Run the columns, with a progress bar in a terminal and the trace asked for:
        one file per column (``trace.csv`` → ``trace.balanced.csv``, ...) or, for the
        one column, the file as named."""
        with contextlib.ExitStack() as stack:
            sinks: dict[str, TraceSink] = {}
            if self.trace is not None:
                labels = [label for _, label, _ in planned]
                one = [self.trace]
                files = [trace_file(self.trace, lb) for lb in labels] if trace_per_column else one
                starts_at = planned[0][2].workload.starts_at
                for label, file in zip(labels, files, strict=True):
                    handle = stack.enter_context(open_output(file))
                    sinks[label] = stack.enter_context(trace_writer(handle, starts_at))
            progress = stack.enter_context(progress_bar([plan for _, _, plan in planned]))
            return run_arms(planned, trace_for=sinks.get if sinks else None, progress=progress)

    def reproduce(self, command: str, plan: SimulationPlan) -> str:
        """The shell command that repeats this run exactly (seed and replications of
        ``plan`` spelled out)."""
        args = reproduce_arguments(
            self.scenario,
            self.method_args,
            plan,
            horizon=self.horizon,
            sets=self.sets,
            cap=self.cap,
            replay=self.replay,
            mapping=self.mapping,
        )
        return command_line(command, args)


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


__all__ = ["ColumnRequest", "progress_bar"]
