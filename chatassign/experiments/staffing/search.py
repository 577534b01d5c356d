"""The simulated staffing search: bracket a team's size around the estimate, bisect."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from chatassign.analysis.intervals import Estimate
from chatassign.analysis.monotone import first_true_between
from chatassign.errors import TargetNotReachableError, UsageError
from chatassign.experiments.execution import Executor, Task
from chatassign.experiments.measures import Measures, combine, scoped_measure_error
from chatassign.experiments.staffing.bottleneck import bottleneck_reason
from chatassign.experiments.staffing.erlang_start import (
    MAX_AGENTS,
    ErlangStart,
    erlang_start,
    require_workload,
)
from chatassign.experiments.staffing.targets import ServiceTarget, Verdict, judge, scoped_targets
from chatassign.experiments.variants import shared_pool_notes, with_team_size
from chatassign.simulation import SimulationPlan, plan_simulation
from chatassign.workload.values import RateSegment, Scenario, Workload


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The simulated metrics of one staffing (team → agents) and the verdict on them."""

    staffing: tuple[tuple[str, int], ...]
    replications: int
    metrics: Mapping[str, Estimate]
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class StaffingSettings:
    """How the search simulates: seed, horizon and replications per staffing level."""

    seed: int | None = None
    horizon: float | None = None
    replications: int | None = None
    """Replications at first (default: the scenario's, at least 3)."""
    max_replications: int = 100


class _Evaluator:
    """Simulates staffings, caching replications so that adding more reuses the first."""

    def __init__(
        self,
        scenario: Scenario,
        targets: Sequence[ServiceTarget],
        executor: Executor,
        settings: StaffingSettings,
    ) -> None:
        self.scenario = scenario
        self.targets = targets
        self.executor = executor
        self.settings = settings
        workload = require_workload(scenario)
        first = settings.replications or workload.replications
        self.first = max(3, first)
        self.extra = scoped_targets(targets)
        """Per-team and per-AI-agent metrics the targets name, measured beside the rest."""
        for name in self.extra:
            problem = scoped_measure_error(name, scenario)
            if problem is not None:
                raise UsageError(f"--target {name}: {problem}")
        self.samples: dict[tuple[tuple[str, int], ...], list[Measures]] = {}
        self.evaluated: list[Evaluation] = []

    def plan(self, staffing: tuple[tuple[str, int], ...]) -> SimulationPlan:
        scenario = self.scenario
        for team, agents in staffing:
            scenario = with_team_size(scenario, team, agents)
        plan = plan_simulation(
            scenario,
            seed=self.settings.seed,
            replications=self.settings.max_replications,
            horizon=self.settings.horizon,
        )
        return dataclasses.replace(plan, extra_measures=self.extra)

    def evaluate(self, staffing: Mapping[str, int]) -> Evaluation:
        key = tuple(sorted(staffing.items()))
        samples = self.samples.setdefault(key, [])
        plan = self.plan(key)
        wanted = max(self.first, len(samples))
        while True:
            self._extend(plan, samples, wanted)
            metrics = combine(samples, self.extra)
            verdict = judge(self.targets, metrics)
            if verdict is not Verdict.UNCLEAR or wanted >= self.settings.max_replications:
                break
            wanted = min(2 * wanted, self.settings.max_replications)
        result = Evaluation(key, len(samples), metrics, verdict)
        self.evaluated.append(result)
        return result

    def _extend(self, plan: SimulationPlan, samples: list[Measures], wanted: int) -> None:
        if len(samples) >= wanted:
            return
        found: dict[int, Measures] = {}

        def done(task: Task, values: Measures) -> None:
            found[task.replication] = values

        tasks = [Task(0, r) for r in range(len(samples), wanted)]
        self.executor.run([plan], tasks, done)
        samples.extend(found[r] for r in range(len(samples), wanted))

    def meets(self, evaluation: Evaluation) -> bool:
        """MEETS, or UNCLEAR at the maximum with every mean on the good side."""
        if evaluation.verdict is not Verdict.UNCLEAR:
            return evaluation.verdict is Verdict.MEETS
        return all(t.met_by(evaluation.metrics[t.metric].mean) for t in self.targets)


class _LevelsOffError(Exception):
    """Growing the team stopped moving the targets: from ``since`` to ``at``, no progress."""

    def __init__(self, since: Evaluation, at: Evaluation) -> None:
        super().__init__("levels off")
        self.since = since
        self.at = at


def _search_team(
    evaluate: Callable[[int], Evaluation],
    meets: Callable[[Evaluation], bool],
    start: int,
    targets: Sequence[ServiceTarget],
) -> int:
    """The smallest n ≥ 1 whose evaluation meets, bracketing from ``start`` then bisecting.

    While growing, the targets must keep moving: after two steps without progress
    beyond noise that together at least double the size, it raises ``_LevelsOffError``.
    """

    def met(agents: int) -> bool:
        return meets(evaluate(agents))

    start = max(1, start)
    first = evaluate(start)
    if meets(first):
        high, step = start, 1
        low = high - step
        while low >= 1 and met(low):
            high = low
            step *= 2
            low = high - step
        return first_true_between(met, max(low, 0), high)  # 0 agents never meet a target
    low, step, anchor, stalls = start, 1, first, 0
    while True:
        high = low + step
        if high > MAX_AGENTS:
            raise TargetNotReachableError(f"the targets are not met with {MAX_AGENTS} agents")
        current = evaluate(high)
        if meets(current):
            return first_true_between(met, low, high)
        if progressed(anchor, current, targets):
            anchor, stalls = current, 0
        else:
            stalls += 1
            if stalls >= 2 and high >= 2 * _size(anchor):
                raise _LevelsOffError(anchor, current)
        low, step = high, step * 2


def progressed(before: Evaluation, after: Evaluation, targets: Sequence[ServiceTarget]) -> bool:
    """Whether a target still missed at ``after`` came closer than noise since ``before``.

    Noise is the larger half-width of the two 95 % intervals.
    """
    for target in targets:
        old, new = before.metrics[target.metric], after.metrics[target.metric]
        if target.met_by(new.mean):
            continue
        gain = new.mean - old.mean if target.at_least else old.mean - new.mean
        noise = max(old.half_width or 0.0, new.half_width or 0.0)
        if gain > noise:
            return True
    return False


def _size(evaluation: Evaluation) -> int:
    """The size of the team being searched (the last one varied) in ``evaluation``."""
    return max(agents for _, agents in evaluation.staffing)


def level_off_message(
    scenario: Scenario, team: str, targets: Sequence[ServiceTarget], stop: _LevelsOffError
) -> str:
    """Why ``staff`` gave up: the best value reached, where it levelled off, the cause."""
    sizes = dict(stop.since.staffing), dict(stop.at.staffing)
    missed = [t for t in targets if not t.met_by(stop.at.metrics[t.metric].mean)]
    values = []
    for target in missed:
        best = max(
            (stop.since.metrics[target.metric], stop.at.metrics[target.metric]),
            key=lambda e: e.mean if target.at_least else -e.mean,
        )
        interval = "" if best.ci95 is None else f" (95 % interval {_span(best.ci95)})"
        values.append(f"{target.metric} {best.mean:.3g}{interval}, target {target.text}")
    return (
        f"the targets cannot be met by adding agents to team {team}: from "
        f"{sizes[0][team]} to {sizes[1][team]} agents the result stays level "
        f"(best: {'; '.join(values)}); {bottleneck_reason(scenario, team)}"
    )


def _span(interval: tuple[float, float]) -> str:
    return f"{interval[0]:.3g}–{interval[1]:.3g}"


@dataclass(frozen=True, slots=True)
class TeamAnswer:
    """One team's size: the answer, the Erlang estimates it started from."""

    team: str
    agents: int
    erlang: ErlangStart


@dataclass(frozen=True, slots=True)
class StaffingAnswer:
    """The smallest staffing meeting every target, and what was simulated there."""

    teams: tuple[TeamAnswer, ...]
    achieved: Evaluation
    """The metrics at the answer."""
    one_fewer: tuple[tuple[str, Evaluation], ...]
    """Per team, the metrics with one agent fewer on it (absent when the answer is 1)."""
    clear: bool
    """Whether every interval at the answer and one fewer was clear of the targets."""


@dataclass(frozen=True, slots=True)
class IntervalAnswer:
    """The staffing for one rate interval of the day, rate held constant."""

    start: float
    end: float
    rate: float
    """Arrivals per second (all AI agents) in the interval, before the handoff probability."""
    answer: StaffingAnswer


@dataclass(frozen=True, slots=True)
class StaffingReport:
    """``staff``'s result: the answer for the scenario as given, and per rate interval."""

    scenario: str
    seed: int
    targets: tuple[ServiceTarget, ...]
    answer: StaffingAnswer
    intervals: tuple[IntervalAnswer, ...]
    notes: tuple[str, ...] = ()
    """What the reader should know to read the answer (a team that is not a pool)."""


def find_staffing(
    scenario: Scenario,
    teams: Sequence[str],
    targets: Sequence[ServiceTarget],
    executor: Executor,
    settings: StaffingSettings = StaffingSettings(),
) -> StaffingAnswer:
    """The smallest agents per team of ``teams`` meeting every target (module docstring)."""
    if not teams or not targets:
        raise UsageError("give at least one --team and one --target")
    if len(set(teams)) != len(teams):
        raise UsageError("each --team may be given once")
    starts = {team: erlang_start(scenario, team, targets) for team in teams}
    evaluator = _Evaluator(scenario, targets, executor, settings)
    staffing = {team: start.agents for team, start in starts.items()}
    for _ in range(4 if len(teams) > 1 else 1):
        before = dict(staffing)
        for team in teams:

            def evaluate(agents: int, team: str = team) -> Evaluation:
                return evaluator.evaluate({**staffing, team: agents})

            try:
                staffing[team] = _search_team(evaluate, evaluator.meets, staffing[team], targets)
            except _LevelsOffError as stop:
                message = level_off_message(scenario, team, targets, stop)
                raise TargetNotReachableError(message) from None
        if staffing == before:
            break
    achieved = evaluator.evaluate(staffing)
    fewer = tuple(
        (team, evaluator.evaluate({**staffing, team: staffing[team] - 1}))
        for team in teams
        if staffing[team] > 1
    )
    clear = achieved.verdict is Verdict.MEETS and all(e.verdict is Verdict.FAILS for _, e in fewer)
    answers = tuple(TeamAnswer(team, staffing[team], starts[team]) for team in teams)
    return StaffingAnswer(answers, achieved, fewer, clear)


def rate_intervals(workload: Workload, horizon: float | None = None) -> list[tuple[float, float]]:
    """The intervals of [0, horizon) over which every arrival rate is constant.

    ``horizon`` defaults to the workload's (``staff --horizon`` shortens the day).
    """
    end = workload.horizon if horizon is None else horizon
    cuts = {0.0, end}
    for stream in workload.arrivals:
        cuts |= {s.until for s in stream.schedule if 0.0 < s.until < end}
    ordered = sorted(cuts)
    return list(itertools.pairwise(ordered))


def steady_variant(scenario: Scenario, at: float) -> Scenario:
    """``scenario`` with every rate held at its value at time ``at`` and no shifts."""
    workload = require_workload(scenario)
    arrivals = tuple(
        dataclasses.replace(s, schedule=(RateSegment(math.inf, s.rate_at(at)),))
        for s in workload.arrivals
    )
    steady = dataclasses.replace(workload, arrivals=arrivals, shifts=MappingProxyType({}))
    return dataclasses.replace(scenario, workload=steady)


def staffing_report(
    scenario: Scenario,
    teams: Sequence[str],
    targets: Sequence[ServiceTarget],
    executor: Executor,
    settings: StaffingSettings = StaffingSettings(),
    *,
    by_interval: bool = True,
) -> StaffingReport:
    """The answer for ``scenario`` and, when its rate is a schedule, per rate interval."""
    workload = require_workload(scenario)
    answer = find_staffing(scenario, teams, targets, executor, settings)
    intervals: list[IntervalAnswer] = []
    spans = rate_intervals(workload, settings.horizon)
    if by_interval and len(spans) > 1:
        for start, end in spans:
            variant = steady_variant(scenario, start)
            rate = sum(s.rate_at(start) for s in workload.arrivals)
            if rate <= 0:
                continue
            found = find_staffing(variant, teams, targets, executor, settings)
            intervals.append(IntervalAnswer(start, end, rate, found))
    seed = settings.seed if settings.seed is not None else workload.seed
    notes = tuple(n for team in teams for n in shared_pool_notes(scenario.workspace, team))
    return StaffingReport(
        scenario.name, seed, tuple(targets), answer, tuple(intervals), notes=notes
    )
