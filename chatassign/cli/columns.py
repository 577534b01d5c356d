"""The columns ``simulate`` and ``compare`` run: one request, its planned arms, and the
command that repeats it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chatassign.cli.options import (
    command_line,
    parse_horizon,
    parse_sets,
    reproduce_arguments,
)
from chatassign.cli.replay import replay_arms
from chatassign.experiments.arms import Settings, arms_of, plan_arms
from chatassign.experiments.variants import GridPoint
from chatassign.model import Method
from chatassign.scenario.overrides import read_source
from chatassign.simulation import SimulationPlan


@dataclass(frozen=True)
class ColumnRequest:
    """What a ``simulate`` or ``compare`` command line asked for, as given."""

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

    def plan(
        self, methods: Sequence[Method | None], caps: Sequence[int], *, charted: bool
    ) -> list[tuple[GridPoint, str, SimulationPlan]]:
        """One planned arm per method and cap; ``charted``: sample the queue for charts."""
        settings = Settings(
            overrides=parse_sets(self.sets),
            seed=self.seed,
            replications=self.replications,
            horizon=parse_horizon(self.horizon),
            queue_samples=charted,
        )
        planned = plan_arms(read_source(self.scenario), arms_of(methods, caps), settings)
        return replay_arms(planned, self.replay, self.mapping)

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


__all__ = ["ColumnRequest"]
