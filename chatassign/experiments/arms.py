"""The arms of a comparison: variants of one scenario run on common random numbers.

An arm is a grid point of :mod:`~chatassign.experiments.variants`, the one variant
concept of ``compare`` and ``sweep``: its settings name a ``method`` (absent: as the
teamspaces configure it) and a ``cap`` (absent: as configured), applied on top of the
user's ``--set`` overrides. Every
arm runs with the same seed, horizon and replications, so replication ``r`` of
each arm sees the same customers (see ``simulation/``) and the arms can be
compared pair by pair (``analysis/comparison.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chatassign.analysis.facts import ReplicationFacts
from chatassign.analysis.metrics import MethodResult, SimulationReport
from chatassign.experiments.variants import CAP_KEY, METHOD_KEY, GridPoint, Variants
from chatassign.model import Method
from chatassign.scenario.overrides import Override, ScenarioSource, build_scenario
from chatassign.simulation import (
    Progress,
    SimulationPlan,
    TraceSink,
    method_result,
    simulate,
    simulation_report,
)

QUEUE_SAMPLES_PER_RUN = 192
"""Queue-length samples per replication when a report wants the day's curve."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What every arm shares: overrides, seed, replications, horizon, data to keep."""

    overrides: tuple[Override, ...] = ()
    seed: int | None = None
    replications: int | None = None
    horizon: float | None = None
    queue_samples: bool = False
    """Sample the queue length over the day (for the HTML report's chart)."""


@dataclass(frozen=True)
class ArmRun:
    """One arm after running: its label, plan, facts and summary."""

    point: GridPoint
    label: str
    plan: SimulationPlan
    facts: tuple[ReplicationFacts, ...]
    result: MethodResult


def arms_of(methods: Sequence[Method | None], caps: Sequence[int]) -> tuple[GridPoint, ...]:
    """Every method at every cap, methods outermost (no caps: each method as configured)."""
    if not methods:
        raise ValueError("arms_of needs at least one method (None: as configured)")
    chosen_caps: Sequence[int | None] = caps if caps else (None,)
    settings = [
        (
            *(() if method is None else ((METHOD_KEY, method.value),)),
            *(() if cap is None else ((CAP_KEY, str(cap)),)),
        )
        for method in methods
        for cap in chosen_caps
    ]
    return tuple(GridPoint(index, tuple(point)) for index, point in enumerate(settings))


def plan_arms(
    source: ScenarioSource, arms: Sequence[GridPoint], settings: Settings
) -> tuple[tuple[GridPoint, str, SimulationPlan], ...]:
    """Build and validate every arm's plan before anything runs; labels them.

    A label names what varies: the method when methods differ, ``cap N`` when caps
    differ, both (``balanced · cap 3``) when both do.
    """
    variants = Variants(
        base=build_scenario(source, settings.overrides),
        source=source,
        base_overrides=settings.overrides,
        seed=settings.seed,
        replications=settings.replications,
        horizon=settings.horizon,
    )
    several_methods = len({dict(arm.settings).get(METHOD_KEY) for arm in arms}) > 1
    several_caps = len({dict(arm.settings).get(CAP_KEY) for arm in arms}) > 1
    planned = []
    for arm in arms:
        plan = variants.plan(arm.settings)
        if settings.queue_samples:
            interval = plan.workload.horizon / QUEUE_SAMPLES_PER_RUN
            plan = dataclasses.replace(plan, queue_sample_interval=interval)
        parts = []
        if several_methods or not several_caps:
            parts.append(plan.method_label)
        cap = dict(arm.settings).get(CAP_KEY)
        if several_caps and cap is not None:
            parts.append(f"cap {cap}")
        planned.append((arm, " · ".join(parts), plan))
    return tuple(planned)


def run_arms(
    planned: Sequence[tuple[GridPoint, str, SimulationPlan]],
    *,
    trace: TraceSink | None = None,
    trace_for: Callable[[str], TraceSink | None] | None = None,
    progress: Progress | None = None,
) -> tuple[ArmRun, ...]:
    """Run every planned arm in order; ``progress`` hears the share of all arms done.

    Engine events go to ``trace`` (every arm), or to ``trace_for(label)`` per arm.
    """
    runs = []
    total = len(planned)
    for index, (arm, label, plan) in enumerate(planned):
        tick = None if progress is None else _scaled(progress, index, total)
        sink = trace_for(label) if trace_for is not None else trace
        facts = simulate(plan, trace=sink, progress=tick)
        result = method_result(plan, facts)
        variant = None if label == plan.method_label else label
        runs.append(ArmRun(arm, label, plan, facts, _with_variant(result, variant)))
    return tuple(runs)


def arms_report(runs: Sequence[ArmRun]) -> SimulationReport:
    """The simulation report of the arms (settings of the first; all share them)."""
    if not runs:
        raise ValueError("arms_report needs at least one run")
    return simulation_report(runs[0].plan, [run.result for run in runs])


def _with_variant(result: MethodResult, variant: str | None) -> MethodResult:
    return MethodResult(result.summary, result.estimate, variant=variant)


def _scaled(progress: Progress, index: int, total: int) -> Callable[[float], None]:
    def tick(share: float) -> None:
        progress((index + share) / total)

    return tick


__all__ = [
    "QUEUE_SAMPLES_PER_RUN",
    "ArmRun",
    "Settings",
    "arms_of",
    "arms_report",
    "plan_arms",
    "run_arms",
]
