"""The Erlang C / Erlang A estimate of a scenario, when the scenario is close to the model.

Erlang C (M/M/c) and Erlang A (M/M/c+M) describe one pool of c = agents × cap
identical servers, Poisson arrivals, exponential handle time and, for Erlang A,
exponential patience. A scenario is "close enough" when all of that holds; otherwise
``erlang_estimate`` says which assumption fails, so the user knows why no estimate
is shown. Pure: no I/O, no SimPy.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatassign.analysis.analytic import erlang_a, erlang_c
from chatassign.model import Method, Workspace
from chatassign.workload.distributions import Exponential
from chatassign.workload.values import Workload


@dataclass(frozen=True, slots=True)
class ErlangEstimate:
    """The analytic steady-state values to set beside the simulated ones."""

    model: str
    """``erlang_c`` or ``erlang_a``."""
    servers: int
    arrival_rate: float
    """λ of handed-off chats, per second."""
    p_wait: float
    mean_wait: float
    """Mean wait in seconds of assigned chats (Erlang A: of served customers)."""
    service_level: float
    abandon_rate: float


@dataclass(frozen=True, slots=True)
class NoEstimate:
    """Why the scenario is too far from the Erlang model for an estimate to mean something."""

    reason: str


def erlang_estimate(
    workspace: Workspace, workload: Workload, method: Method | None = None
) -> ErlangEstimate | NoEstimate:
    """The Erlang C or A estimate for the scenario, or the first assumption it breaks."""
    reason = _mismatch(workspace, workload, method)
    if isinstance(reason, NoEstimate):
        return reason
    servers, speed = reason
    stream = workload.arrivals[0]
    arrival_rate = stream.schedule[0].rate * stream.handoff_probability
    if not arrival_rate > 0:  # a stream with no traffic is fine to simulate, not to model
        return NoEstimate("no chat is handed off (the rate or the handoff probability is 0)")
    handle_mean = workload.handle_time_of(stream).mean
    if not handle_mean > 0:
        return NoEstimate("the handle time is 0: there is nothing to queue for")
    service_rate = speed / handle_mean
    threshold = workload.service_level_threshold
    patience = workload.patience_of(stream)
    if patience is not None and not patience.mean > 0:
        return NoEstimate("the patience is 0: every waiting customer leaves at once")
    if patience is None:
        if arrival_rate >= servers * service_rate:
            return NoEstimate("the offered load exceeds the capacity: the queue grows without end")
        c = erlang_c(arrival_rate, service_rate, servers=servers)
        return ErlangEstimate(
            "erlang_c",
            servers,
            arrival_rate,
            c.p_wait,
            c.mean_wait,
            c.service_level(threshold),
            0.0,
        )
    a = erlang_a(arrival_rate, service_rate, servers=servers, patience_rate=1.0 / patience.mean)
    return ErlangEstimate(
        "erlang_a",
        servers,
        arrival_rate,
        a.p_wait,
        a.mean_wait_served,
        a.service_level(threshold),
        a.p_abandon,
    )


def _mismatch(
    ws: Workspace, workload: Workload, method: Method | None
) -> tuple[int, float] | NoEstimate:
    """(servers, common speed) when the scenario fits the model, else why not."""
    if len(ws.teamspaces) != 1 or len(ws.ai_agents) != 1 or len(workload.arrivals) != 1:
        return NoEstimate("more than one teamspace, AI agent or arrival stream")
    (teamspace,) = ws.teamspaces.values()
    (ai,) = ws.ai_agents.values()
    chosen = method or teamspace.assignment.method
    if chosen is Method.VOLUNTARY:
        return NoEstimate("voluntary assignment is not work-conserving")
    if ai.handoff.target.is_direct or ai.handoff.by_language:
        return NoEstimate("the handoff does not go to a single pool")
    stream = workload.arrivals[0]
    if len(stream.schedule) != 1:
        return NoEstimate("the arrival rate changes over the day")
    if stream.by_language:
        return NoEstimate("handle time or patience differs by language")
    if stream.escalation is not None:
        return NoEstimate("some chats are escalated to another team")
    if not isinstance(workload.handle_time_of(stream), Exponential):
        return NoEstimate("the handle time is not exponential")
    if any(s != 1.0 for s in workload.concurrency_slowdown):
        return NoEstimate("concurrent chats slow agents down")
    patience = workload.patience_of(stream)
    if patience is not None and not isinstance(patience, Exponential):
        return NoEstimate("patience is not exponential")
    if workload.shifts:
        return NoEstimate("not every agent is online all day")
    members = ws.pool_members(teamspace.id, ai.handoff.target)
    if not members:
        return NoEstimate("the pool has no live agent")
    speeds = {ws.users[m].speed for m in members}
    if len(speeds) != 1:
        return NoEstimate("agents work at different speeds")
    return len(members) * teamspace.assignment.max_auto_assigned, speeds.pop()
