"""The Erlang start of the staffing search: a team's size from Erlang C or Erlang A."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chatassign.analysis.analytic import erlang_a, erlang_c
from chatassign.analysis.monotone import first_true
from chatassign.errors import TargetNotReachableError, UsageError
from chatassign.experiments.staffing.targets import ServiceTarget
from chatassign.workload.values import ArrivalStream, Scenario, Workload

MAX_AGENTS = 10_000
"""No search, analytic or simulated, goes past this many agents on a team."""


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


def erlang_start(scenario: Scenario, team: str, targets: Sequence[ServiceTarget]) -> ErlangStart:
    """The Erlang estimate of ``team``'s size for ``targets`` (see the module docstring).

    λ is the time-average handed-off rate over the measured window of every stream
    (per language, with its target) whose pool includes the team's agents, shared
    between the pool's agents by head count. Targets Erlang cannot express
    (``wait_p90_s``, ``queue_mean``) are left to the simulation.
    """
    ws = scenario.workspace
    workload = require_workload(scenario)
    if team not in ws.teams or not ws.teams[team].teamspaces:
        raise UsageError(f"--team {team}: no team {team!r} linked to a teamspace")
    caps = [ws.teamspaces[t].assignment.max_auto_assigned for t in ws.teams[team].teamspaces]
    cap = min(caps)
    members = [m for m in ws.team_members(team) if ws.is_live_agent(m)]
    speed = math.fsum(ws.users[m].speed for m in members) / len(members) if members else 1.0
    rate, mean, patience = _team_traffic(scenario, team)
    slowdown = workload.concurrency_slowdown
    factor = slowdown[min(cap, len(slowdown)) - 1]
    theta = 1.0 / patience if patience is not None and patience > 0 else None
    threshold = workload.service_level_threshold

    def size(mu: float) -> int:
        def meets(agents: int) -> bool:
            return _analytic_meets(targets, rate, mu, agents * cap, theta, threshold)

        return smallest_size(meets)

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
    targets: Sequence[ServiceTarget],
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


def smallest_size(meets: Callable[[int], bool]) -> int:
    """The smallest n ≥ 1 with meets(n), for a predicate false then true."""
    found = first_true(meets, 1, limit=MAX_AGENTS)
    if found is None:
        raise TargetNotReachableError(
            f"the targets are not met by the Erlang model with {MAX_AGENTS} agents"
        )
    return found


def require_workload(scenario: Scenario) -> Workload:
    if scenario.workload is None:
        raise UsageError(f"scenario {scenario.name!r} has no workload; add one to size a team")
    return scenario.workload


def _team_traffic(scenario: Scenario, team: str) -> tuple[float, float, float | None]:
    """(λ reaching the team, its rate-weighted mean handle time, mean patience or None).

    Streams and languages with their own handle time or patience are weighted by the
    rate they bring; patience is None when none of them has one.
    """
    ws = scenario.workspace
    workload = require_workload(scenario)
    team_agents = {m for m in ws.team_members(team) if ws.is_live_agent(m)}
    total = work = waiting = patient = 0.0
    for stream in workload.arrivals:
        ai = ws.ai_agents.get(stream.ai_agent)
        if ai is None:
            continue
        mix: tuple[tuple[str | None, float], ...] = stream.languages or ((None, 1.0),)
        rate = mean_handoff_rate(stream, workload.warmup, workload.horizon)
        for language, probability in mix:
            pool = ws.pool_members(ai.teamspace, ai.handoff.target_for(language))
            if pool and team_agents & pool:
                share = rate * probability * len(team_agents & pool) / len(pool)
                total += share
                work += share * workload.handle_time_of(stream, language).mean
                patience = workload.patience_of(stream, language)
                if patience is not None:
                    waiting += share * patience.mean
                    patient += share
    if total <= 0:
        patience = workload.patience
        return 0.0, workload.handle_time.mean, None if patience is None else patience.mean
    return total, work / total, waiting / patient if patient > 0 else None


def mean_handoff_rate(stream: ArrivalStream, start: float, end: float) -> float:
    """The handed-off rate averaged over [start, end)."""
    covered = stream.expected_arrivals(start, end)
    return covered / (end - start) * stream.handoff_probability if end > start else 0.0
