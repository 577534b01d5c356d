"""How many agents a team needs to meet service targets: Erlang start, simulated search.

1. **Estimate.** Erlang C (or Erlang A when customers have patience) with
   c = agents × cap servers, each serving at μ = speed / (mean handle time ×
   slowdown[cap − 1]). A chat waits only when every agent of the pool is at the cap,
   and then each agent finishes chats at cap × speed / (mean × slowdown[cap − 1]):
   the rate that matters for waiting. The *naive* estimate leaves the slowdown out
   (μ = speed / mean), as a voice calculator would.
2. **Search.** Simulation decides: the team's size is bracketed around the estimate
   (steps doubling), then bisected. A size is judged on replications 0, 1, … with
   common random numbers; replications are added (doubling) until every target's
   95 % interval is clear of its threshold, up to a maximum, after which the means
   decide and the answer is marked ``clear: false``.

Several teams are sized in turn, each with the others fixed, until no size changes:
no team can lose an agent without missing a target. With a piecewise arrival rate
the same search runs per rate interval, with that interval's rate held constant
over the whole horizon and every agent online (the agents to have online then).
Pure apart from the executor.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from chatassign.analytic import erlang_a, erlang_c
from chatassign.errors import UsageError
from chatassign.execution import Executor, Task
from chatassign.measures import MEASURES, Measures, combine
from chatassign.metrics import Estimate
from chatassign.simulation import SimulationPlan, plan_simulation
from chatassign.variants import shared_pool_notes, with_team_size
from chatassign.workload import ArrivalStream, RateSegment, Scenario, Workload

_TARGET = re.compile(r"\s*([a-z_0-9]+)\s*(>=|<=)\s*([0-9.eE+-]+)\s*(%?)\s*")

HIGHER_IS_BETTER = frozenset({"service_level"})
LOWER_IS_BETTER = frozenset({"abandon_rate", "p_wait", "wait_mean_s", "wait_p90_s", "queue_mean"})
MAX_AGENTS = 10_000


@dataclass(frozen=True, slots=True)
class Target:
    """A service target: ``metric >= value`` or ``metric <= value``."""

    metric: str
    at_least: bool
    value: float

    @property
    def text(self) -> str:
        """As written on the command line: ``service_level>=0.8``."""
        return f"{self.metric}{'>=' if self.at_least else '<='}{self.value:g}"

    def met_by(self, value: float) -> bool:
        """Whether ``value`` of the metric meets the target."""
        return value >= self.value if self.at_least else value <= self.value


def parse_target(text: str) -> Target:
    """``service_level>=0.8`` (or ``80%``), ``abandon_rate<=0.05``, ``wait_mean_s<=30``."""
    match = _TARGET.fullmatch(text)
    known = ", ".join(sorted(HIGHER_IS_BETTER | LOWER_IS_BETTER))
    if match is None:
        raise UsageError(f"--target {text}: expected METRIC>=VALUE or METRIC<=VALUE ({known})")
    metric, op, number, percent = match.groups()
    if metric not in HIGHER_IS_BETTER | LOWER_IS_BETTER:
        raise UsageError(f"--target {text}: unknown metric {metric!r} (one of {known})")
    at_least = op == ">="
    if at_least != (metric in HIGHER_IS_BETTER):
        better = ">=" if metric in HIGHER_IS_BETTER else "<="
        raise UsageError(f"--target {text}: {metric} improves with staff; write {metric}{better}")
    try:
        value = float(number) / (100.0 if percent else 1.0)
    except ValueError:
        raise UsageError(f"--target {text}: {number!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"--target {text}: the value must be a finite number ≥ 0")
    return Target(metric, at_least, value)


class Verdict(Enum):
    """What replications say about one staffing level."""

    MEETS = "meets"
    FAILS = "fails"
    UNCLEAR = "unclear"


def judge(targets: Sequence[Target], estimates: Mapping[str, Estimate]) -> Verdict:
    """MEETS when every interval is clear on the good side; FAILS when one is clear on the bad."""
    verdicts = []
    for target in targets:
        est = estimates[target.metric]
        low, high = est.ci95 if est.ci95 is not None else (est.mean, est.mean)
        good, bad = (low, high) if target.at_least else (high, low)
        if target.met_by(good):
            verdicts.append(Verdict.MEETS)
        elif not target.met_by(bad):
            verdicts.append(Verdict.FAILS)
        else:
            verdicts.append(Verdict.UNCLEAR)
    if Verdict.FAILS in verdicts:
        return Verdict.FAILS
    return Verdict.MEETS if all(v is Verdict.MEETS for v in verdicts) else Verdict.UNCLEAR


# ---------------------------------------------------------------- the Erlang start


@dataclass(frozen=True, slots=True)
class ErlangStart:
    """The analytic staffing of one team: with the slowdown adjustment and without."""

    agents: int
    naive: int
    model: str
    """``erlang_c`` or ``erlang_a``."""
    arrival_rate: float
    """λ of handed-off chats reaching the team, per second."""
    cap: int
    service_rate: float
    """μ per server (chat slot), with the slowdown adjustment, per second."""


def erlang_start(scenario: Scenario, team: str, targets: Sequence[Target]) -> ErlangStart:
    """The Erlang estimate of ``team``'s size for ``targets`` (see the module docstring).

    λ is the time-average handed-off rate over the measured window of every stream
    (per language, with its target) whose pool includes the team's agents, shared
    between the pool's agents by head count. Targets Erlang cannot express
    (``wait_p90_s``, ``queue_mean``) are left to the simulation.
    """
    ws = scenario.workspace
    workload = _workload(scenario)
    if team not in ws.teams or not ws.teams[team].teamspaces:
        raise UsageError(f"--team {team}: no team {team!r} linked to a teamspace")
    caps = [ws.teamspaces[t].assignment.max_auto_assigned for t in ws.teams[team].teamspaces]
    cap = min(caps)
    members = [m for m in ws.team_members(team) if ws.is_live_agent(m)]
    speed = math.fsum(ws.users[m].speed for m in members) / len(members) if members else 1.0
    rate = _team_arrival_rate(scenario, team)
    slowdown = workload.concurrency_slowdown
    factor = slowdown[min(cap, len(slowdown)) - 1]
    mean = workload.handle_time.mean
    patience = workload.patience
    theta = 1.0 / patience.mean if patience is not None and patience.mean > 0 else None
    threshold = workload.service_level_threshold

    def size(mu: float) -> int:
        def meets(agents: int) -> bool:
            return _analytic_meets(targets, rate, mu, agents * cap, theta, threshold)

        return _smallest(meets)

    mu = speed / (mean * factor)
    return ErlangStart(
        agents=size(mu),
        naive=size(speed / mean),
        model="erlang_c" if theta is None else "erlang_a",
        arrival_rate=rate,
        cap=cap,
        service_rate=mu,
    )


def _analytic_meets(
    targets: Sequence[Target],
    rate: float,
    mu: float,
    servers: int,
    theta: float | None,
    threshold: float,
) -> bool:
    if rate <= 0:
        return True
    values: dict[str, float] = {}
    if theta is None:
        if rate >= servers * mu:
            return False
        c = erlang_c(rate, mu, servers=servers)
        values = {
            "service_level": c.service_level(threshold),
            "abandon_rate": 0.0,
            "p_wait": c.p_wait,
            "wait_mean_s": c.mean_wait,
        }
    else:
        a = erlang_a(rate, mu, servers=servers, patience_rate=theta)
        values = {
            "service_level": a.service_level(threshold),
            "abandon_rate": a.p_abandon,
            "p_wait": a.p_wait,
            "wait_mean_s": a.mean_wait_served,
        }
    return all(t.met_by(values[t.metric]) for t in targets if t.metric in values)


def _smallest(meets: Callable[[int], bool]) -> int:
    """The smallest n ≥ 1 with meets(n), for a predicate false then true."""
    if meets(1):
        return 1
    low, step = 1, 1
    while not meets(low + step):
        low += step
        step *= 2
        if low > MAX_AGENTS:
            raise UsageError(
                f"the targets are not met by the Erlang model with {MAX_AGENTS} agents"
            )
    high = low + step
    return _bisect(meets, low, high)


def _bisect(meets: Callable[[int], bool], low: int, high: int) -> int:
    """The smallest n in (low, high] with meets(n), given not meets(low) and meets(high)."""
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high


def _workload(scenario: Scenario) -> Workload:
    if scenario.workload is None:
        raise UsageError(f"scenario {scenario.name!r} has no workload; add one to size a team")
    return scenario.workload


def _team_arrival_rate(scenario: Scenario, team: str) -> float:
    ws = scenario.workspace
    workload = _workload(scenario)
    team_agents = {m for m in ws.team_members(team) if ws.is_live_agent(m)}
    total = 0.0
    for stream in workload.arrivals:
        ai = ws.ai_agents.get(stream.ai_agent)
        if ai is None:
            continue
        mix: tuple[tuple[str | None, float], ...] = stream.languages or ((None, 1.0),)
        rate = _mean_rate(stream, workload.warmup, workload.horizon)
        for language, probability in mix:
            pool = ws.pool_members(ai.teamspace, ai.handoff.target_for(language))
            if pool and team_agents & pool:
                total += rate * probability * len(team_agents & pool) / len(pool)
    return total


def _mean_rate(stream: ArrivalStream, start: float, end: float) -> float:
    """The handed-off rate averaged over [start, end)."""
    covered = 0.0
    previous = 0.0
    for segment in stream.schedule:
        low, high = max(previous, start), min(segment.until, end)
        if high > low:
            covered += segment.rate * (high - low)
        previous = segment.until
    return covered / (end - start) * stream.handoff_probability if end > start else 0.0


# ---------------------------------------------------------------- the simulated search


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
        targets: Sequence[Target],
        executor: Executor,
        settings: StaffingSettings,
    ) -> None:
        self.scenario = scenario
        self.targets = targets
        self.executor = executor
        self.settings = settings
        workload = _workload(scenario)
        first = settings.replications or workload.replications
        self.first = max(3, first)
        self.samples: dict[tuple[tuple[str, int], ...], list[Measures]] = {}
        self.evaluated: list[Evaluation] = []

    def plan(self, staffing: tuple[tuple[str, int], ...]) -> SimulationPlan:
        scenario = self.scenario
        for team, agents in staffing:
            scenario = with_team_size(scenario, team, agents)
        return plan_simulation(
            scenario,
            seed=self.settings.seed,
            replications=self.settings.max_replications,
            horizon=self.settings.horizon,
        )

    def evaluate(self, staffing: Mapping[str, int]) -> Evaluation:
        key = tuple(sorted(staffing.items()))
        samples = self.samples.setdefault(key, [])
        plan = self.plan(key)
        wanted = max(self.first, len(samples))
        while True:
            self._extend(plan, samples, wanted)
            metrics = combine(samples)
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


def _search_team(meets: Callable[[int], bool], start: int) -> int:
    """The smallest n ≥ 1 with meets(n), bracketing from ``start`` then bisecting."""
    start = max(1, start)
    if meets(start):
        high, step = start, 1
        low = high - step
        while low >= 1 and meets(low):
            high = low
            step *= 2
            low = high - step
        low = max(low, 0)  # 0 agents never meet a target
    else:
        low, step = start, 1
        high = low + step
        while not meets(high):
            low = high
            step *= 2
            high = low + step
            if high > MAX_AGENTS:
                raise UsageError(f"the targets are not met with {MAX_AGENTS} agents")
    return _bisect(meets, low, high)


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
    targets: tuple[Target, ...]
    answer: StaffingAnswer
    intervals: tuple[IntervalAnswer, ...]
    notes: tuple[str, ...] = ()
    """What the reader should know to read the answer (a team that is not a pool)."""


def find_staffing(
    scenario: Scenario,
    teams: Sequence[str],
    targets: Sequence[Target],
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

            def meets(agents: int, team: str = team) -> bool:
                return evaluator.meets(evaluator.evaluate({**staffing, team: agents}))

            staffing[team] = _search_team(meets, staffing[team])
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


def rate_intervals(workload: Workload) -> list[tuple[float, float]]:
    """The intervals of [0, horizon) over which every arrival rate is constant."""
    cuts = {0.0, workload.horizon}
    for stream in workload.arrivals:
        cuts |= {s.until for s in stream.schedule if 0.0 < s.until < workload.horizon}
    ordered = sorted(cuts)
    return list(itertools.pairwise(ordered))


def steady_variant(scenario: Scenario, at: float) -> Scenario:
    """``scenario`` with every rate held at its value at time ``at`` and no shifts."""
    workload = _workload(scenario)
    arrivals = tuple(
        dataclasses.replace(s, schedule=(RateSegment(math.inf, s.rate_at(at)),))
        for s in workload.arrivals
    )
    steady = dataclasses.replace(workload, arrivals=arrivals, shifts=MappingProxyType({}))
    return dataclasses.replace(scenario, workload=steady)


def staffing_report(
    scenario: Scenario,
    teams: Sequence[str],
    targets: Sequence[Target],
    executor: Executor,
    settings: StaffingSettings = StaffingSettings(),
    *,
    by_interval: bool = True,
) -> StaffingReport:
    """The answer for ``scenario`` and, when its rate is a schedule, per rate interval."""
    workload = _workload(scenario)
    answer = find_staffing(scenario, teams, targets, executor, settings)
    intervals: list[IntervalAnswer] = []
    spans = rate_intervals(workload)
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


__all__ = [
    "MEASURES",
    "ErlangStart",
    "Evaluation",
    "IntervalAnswer",
    "StaffingAnswer",
    "StaffingReport",
    "StaffingSettings",
    "Target",
    "TeamAnswer",
    "Verdict",
    "erlang_start",
    "find_staffing",
    "judge",
    "parse_target",
    "rate_intervals",
    "staffing_report",
    "steady_variant",
]
