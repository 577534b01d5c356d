"""Facts of simulated replications -> summaries: waits, loads, saturation, fairness, CIs.

Pure functions of ``facts.ReplicationFacts``; no I/O, no clock, no randomness. Each
metric is computed per replication, then averaged over replications with a 95 %
Student-t confidence interval (``docs/simulation.md`` defines every metric).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Generic, TypeVar

from chatassign.analysis.erlang import ErlangEstimate, NoEstimate
from chatassign.analysis.facts import (
    AgentFacts,
    ReplicationFacts,
    StreamFacts,
    TeamFacts,
    WaitSketch,
)
from chatassign.analysis.intervals import (
    Estimate,
    estimate_nonnegative,
    estimate_share,
)
from chatassign.workload.quantities import DayStart

WAIT_QUANTILES = (0.5, 0.9, 0.95, 0.99)


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What an agent or a team carried over the window (a team: its agents together)."""

    id: str
    assigned: float
    """Placements."""
    mean_open: float
    """Open chats held, time-averaged."""
    utilization: float
    """Share of the online time with at least one open chat."""
    at_cap_share: float
    """Share of the online time at or above the cap."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSummary(LoadSummary):
    """One agent over the window (means over replications)."""

    max_open: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamSummary(LoadSummary):
    """One team over the window: its agents' load and the team's own cap saturation."""

    agents: tuple[str, ...]
    """The team's live agents of any pool, by id."""
    cap_saturation: float
    """Share of the window with an agent online and every online agent at their cap."""


CountT = TypeVar("CountT", int, float)
ValueT = TypeVar("ValueT", float, Estimate)
ShareT = TypeVar("ShareT", float | None, Estimate)
RecordT = TypeVar("RecordT", "AgentSummary", "TeamSummary")


@dataclass(frozen=True, slots=True)
class ChatMetrics(Generic[CountT, ValueT, ShareT]):
    """The chat metrics of the whole workspace or of one AI agent: of one replication
    (counts, seconds, shares) or averaged over replications (mean counts, and estimates
    with their 95 % intervals)."""

    counts: dict[str, CountT]
    wait: dict[str, ValueT]
    """Waits of assigned chats: mean, p50, p90, p95, p99, max, in seconds."""
    abandoned_wait: dict[str, ValueT]
    """How long abandoned customers waited before leaving."""
    all_wait: dict[str, ValueT]
    """Waits of every handed-off chat (abandoned: until they left; pending: until the end)."""
    p_wait: ShareT
    """In one replication None (like service_level and abandon_rate) when no chat was
    handed off."""
    service_level: ShareT
    abandon_rate: ShareT


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamMetrics(ChatMetrics[CountT, ValueT, ShareT]):
    """The chat metrics of one AI agent (or one of its languages)."""

    ai_agent: str
    language: str | None
    languages: tuple[StreamMetrics[CountT, ValueT, ShareT], ...] = ()


StreamReplication = StreamMetrics[int, float, float | None]
"""One AI agent's chat metrics in one replication."""
StreamSummary = StreamMetrics[float, Estimate, Estimate]
"""One AI agent's chat metrics averaged over replications."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Metrics(ChatMetrics[CountT, ValueT, ShareT]):
    """Every metric: the chat metrics of the totals, the queue, the agents' load and
    fairness, and each team and AI agent."""

    queue_mean: ValueT
    queue_max: CountT
    agents: tuple[AgentSummary, ...]
    cap_saturation: tuple[tuple[str, float], ...]
    jain: float
    max_min_ratio: float | None
    by_ai_agent: tuple[StreamMetrics[CountT, ValueT, ShareT], ...]
    by_team: tuple[TeamSummary, ...]


ReplicationSummary = Metrics[int, float, float | None]
"""Every metric of one replication."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MethodSummary(Metrics[float, Estimate, Estimate]):
    """The result of one method: every metric averaged over its replications."""

    method: str
    allowed_by_plan: bool
    required_plan: str
    replications: int
    threshold: float


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


def _rate(part: float, whole: float) -> float | None:
    """``part / whole``, or None when ``whole`` is 0: a share of nothing is undefined."""
    return part / whole if whole > 0 else None


def jain_index(values: Sequence[float]) -> float:
    """Jain's fairness index (Σx)² / (n·Σx²): 1 when even, 1/n when one takes all; 1 if all 0."""
    squares = math.fsum(v * v for v in values)
    if not values or squares == 0:
        return 1.0
    return math.fsum(values) ** 2 / (len(values) * squares)


def max_min_ratio(values: Sequence[float]) -> float | None:
    """max / min; 1 when all are 0; None when the smallest is 0 and another is not."""
    if not values:
        return 1.0
    low, high = min(values), max(values)
    if high == 0:
        return 1.0
    return high / low if low > 0 else None


def wait_statistics(waits: WaitSketch) -> dict[str, float]:
    """mean, p50, p90, p95, p99 and max of ``waits`` in seconds (0 when there are none)."""
    wait = {"mean": waits.mean}
    for q in WAIT_QUANTILES:
        wait[f"p{round(q * 100)}"] = waits.quantile(q)
    wait["max"] = waits.maximum
    return wait


def _stream_replication(stream: StreamFacts) -> StreamReplication:
    counts = stream.counts
    handed = counts.handed_off
    return StreamMetrics(
        ai_agent=stream.ai_agent,
        language=stream.language,
        counts={key: getattr(counts, key) for key in STREAM_COUNT_KEYS},
        wait=wait_statistics(stream.waits),
        abandoned_wait=wait_statistics(stream.abandoned_waits),
        all_wait=wait_statistics(stream.all_waits),
        p_wait=_rate(stream.waited, handed),
        service_level=_rate(stream.within_threshold, handed),
        abandon_rate=_rate(counts.abandoned, handed),
        languages=tuple(_stream_replication(part) for part in stream.languages),
    )


def _team_summary(team: TeamFacts, agents: dict[str, AgentFacts], duration: float) -> TeamSummary:
    members = [agents[a] for a in team.agents if a in agents]
    online = math.fsum(a.online_time for a in members)
    return TeamSummary(
        id=team.id,
        agents=team.agents,
        assigned=float(sum(a.assigned for a in members)),
        mean_open=_share(math.fsum(a.open_area for a in members), duration),
        utilization=_share(math.fsum(a.busy_time for a in members), online),
        at_cap_share=_share(math.fsum(a.at_cap_time for a in members), online),
        cap_saturation=_share(team.saturated_time, duration),
    )


STREAM_COUNT_KEYS = (
    "arrived",
    "handed_off",
    "unavailable",
    "assigned",
    "abandoned",
    "unattended",
    "waiting_at_end",
    "with_ai_at_end",
    "transferred",
)
"""The counts of the totals and of each AI agent, in report order."""


def summarize_replication(facts: ReplicationFacts, *, threshold: float) -> ReplicationSummary:
    """Every metric of one replication (``threshold``: the service-level threshold, s)."""
    counts = facts.counts
    handed = counts.handed_off
    wait = wait_statistics(facts.waits)
    duration = facts.duration
    agents = tuple(
        AgentSummary(
            id=a.id,
            assigned=float(a.assigned),
            mean_open=_share(a.open_area, duration),
            max_open=float(a.max_open),
            utilization=_share(a.busy_time, a.online_time),
            at_cap_share=_share(a.at_cap_time, a.online_time),
        )
        for a in facts.agents
    )
    assigned = [a.assigned for a in agents]
    agent_facts = {a.id: a for a in facts.agents}
    return Metrics(
        counts={key: getattr(counts, key) for key in STREAM_COUNT_KEYS},
        wait=wait,
        p_wait=_rate(facts.waited, handed),
        service_level=_rate(facts.within_threshold, handed),
        abandon_rate=_rate(counts.abandoned, handed),
        queue_mean=_share(facts.queue_area, duration),
        queue_max=facts.queue_max,
        agents=agents,
        cap_saturation=tuple((ts, _share(t, duration)) for ts, t in facts.saturated_time),
        jain=jain_index(assigned),
        max_min_ratio=max_min_ratio(assigned),
        abandoned_wait=wait_statistics(facts.abandoned_waits),
        all_wait=wait_statistics(facts.all_waits),
        by_ai_agent=tuple(_stream_replication(stream) for stream in facts.streams),
        by_team=tuple(_team_summary(team, agent_facts, duration) for team in facts.teams),
    )


def summarize(
    facts: Sequence[ReplicationFacts],
    *,
    method: str,
    allowed_by_plan: bool,
    required_plan: str,
    threshold: float,
) -> MethodSummary:
    """Average every metric over the replications of one method (in replication order)."""
    if not facts:
        raise ValueError("summarize needs at least one replication")
    reps = [summarize_replication(f, threshold=threshold) for f in facts]
    n = len(reps)

    def mean(values: Sequence[float]) -> float:
        return math.fsum(values) / n

    first = reps[0]
    agents = tuple(_mean_record([r.agents[i] for r in reps]) for i in range(len(first.agents)))
    ratios = [r.max_min_ratio for r in reps]
    teams = tuple(_mean_record([r.by_team[i] for r in reps]) for i in range(len(first.by_team)))
    return MethodSummary(
        method=method,
        allowed_by_plan=allowed_by_plan,
        required_plan=required_plan,
        replications=n,
        threshold=threshold,
        counts={key: mean([r.counts[key] for r in reps]) for key in first.counts},
        wait={key: estimate_nonnegative([r.wait[key] for r in reps]) for key in first.wait},
        p_wait=estimate_share([r.p_wait for r in reps]),
        service_level=estimate_share([r.service_level for r in reps]),
        abandon_rate=estimate_share([r.abandon_rate for r in reps]),
        queue_mean=estimate_nonnegative([r.queue_mean for r in reps]),
        queue_max=mean([r.queue_max for r in reps]),
        agents=agents,
        cap_saturation=tuple(
            (ts, mean([r.cap_saturation[i][1] for r in reps]))
            for i, (ts, _) in enumerate(first.cap_saturation)
        ),
        jain=mean([r.jain for r in reps]),
        max_min_ratio=None
        if any(v is None for v in ratios)
        else mean([v for v in ratios if v is not None]),
        abandoned_wait=_wait_estimates([r.abandoned_wait for r in reps]),
        all_wait=_wait_estimates([r.all_wait for r in reps]),
        by_ai_agent=tuple(
            _stream_summary([r.by_ai_agent[i] for r in reps]) for i in range(len(first.by_ai_agent))
        ),
        by_team=teams,
    )


def _mean_record(records: Sequence[RecordT]) -> RecordT:
    """The first of one agent's (or team's) ``records``, one per replication, with each
    float field the mean over all of them (its id and members stay)."""
    first = records[0]
    n = len(records)
    means: dict[str, Any] = {  # fields by name: Any, as replace's keywords are checked per field
        f.name: math.fsum(getattr(r, f.name) for r in records) / n
        for f in fields(first)
        if isinstance(getattr(first, f.name), float)
    }
    return replace(first, **means)


def _wait_estimates(waits: Sequence[dict[str, float]]) -> dict[str, Estimate]:
    return {key: estimate_nonnegative([w[key] for w in waits]) for key in waits[0]}


def _stream_summary(reps: Sequence[StreamReplication]) -> StreamSummary:
    """One AI agent's (or language's) metrics averaged over replications."""
    first = reps[0]
    n = len(reps)
    return StreamMetrics(
        ai_agent=first.ai_agent,
        language=first.language,
        counts={key: math.fsum(r.counts[key] for r in reps) / n for key in first.counts},
        wait=_wait_estimates([r.wait for r in reps]),
        abandoned_wait=_wait_estimates([r.abandoned_wait for r in reps]),
        all_wait=_wait_estimates([r.all_wait for r in reps]),
        p_wait=estimate_share([r.p_wait for r in reps]),
        service_level=estimate_share([r.service_level for r in reps]),
        abandon_rate=estimate_share([r.abandon_rate for r in reps]),
        languages=tuple(
            _stream_summary([r.languages[i] for r in reps]) for i in range(len(first.languages))
        ),
    )


@dataclass(frozen=True, slots=True)
class MethodResult:
    """One method's summary and the analytic estimate beside it."""

    summary: MethodSummary
    estimate: ErlangEstimate | NoEstimate
    variant: str | None = None
    """What sets this result apart beyond its method (``cap 3``), when several are shown."""


@dataclass(frozen=True, slots=True)
class SimulationReport:
    """What ``simulate`` (and ``compare``) show: the run's settings and one result per method."""

    scenario: str
    seed: int
    replications: int
    horizon: float
    warmup: float
    results: tuple[MethodResult, ...]
    starts_at: DayStart | None = None
    """The clock time of time 0 when the day has one (shown beside offsets)."""
