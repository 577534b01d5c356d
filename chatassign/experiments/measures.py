"""The scalar metrics a sweep or a staffing search keeps of each replication.

One replication is simulated and reduced to a short tuple of floats (``Measures``,
aligned with ``MEASURES``): small enough to cross process and machine boundaries,
to append to a resume journal as JSON, and to average into a tidy table. Floats
round-trip through JSON exactly, so a resumed sweep gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from chatassign.analysis.intervals import Estimate, estimate_nonnegative, estimate_share
from chatassign.analysis.metrics import ReplicationSummary, summarize_replication
from chatassign.analysis.registry import METRICS, Unit, metric_info
from chatassign.simulation import SimulationPlan, run_replication
from chatassign.workload.values import Scenario

_CHAT_MEASURES = (
    "handed_off",
    "service_level",
    "abandon_rate",
    "p_wait",
    "wait_mean_s",
    "wait_p90_s",
)
"""What the whole workspace's chats and each AI agent's chats are both measured by."""

MEASURES: tuple[str, ...] = (*_CHAT_MEASURES, "queue_mean", "utilization", "cap_saturation", "jain")
"""Per replication: handed-off chats; service level and abandon rate (of handed-off
chats); P(wait > 0); mean and 90th-percentile wait of assigned chats (s); time-average
queue length; mean utilization over the agents online at some point; cap saturation
averaged over teamspaces; Jain's fairness index. Definitions: docs/simulation.md."""

SHARES = frozenset(name for name in MEASURES if METRICS[name].unit is Unit.SHARE)
"""The measures that are proportions: their intervals are clipped to [0, 1]."""

Measures = tuple[float, ...]

TEAM_MEASURES: tuple[str, ...] = (
    "assigned",
    "mean_open",
    "utilization",
    "at_cap_share",
    "cap_saturation",
)
"""What ``by_team.<team>.<measure>`` may name: docs/simulation.md, "by team"."""
AI_AGENT_MEASURES: tuple[str, ...] = (*_CHAT_MEASURES, "handed_off_wait_p90_s")
"""What ``by_ai_agent.<ai agent>.<measure>`` may name (of that AI agent's chats)."""


def split_scoped(name: str) -> tuple[str, str, str] | None:
    """``by_team.billing.cap_saturation`` -> (by_team, billing, cap_saturation); else None.

    The id is everything between the first and the last dot, so it may hold dots.
    """
    scope, _, rest = name.partition(".")
    key, _, measure = rest.rpartition(".")
    if scope not in ("by_team", "by_ai_agent") or not key or not measure:
        return None
    return scope, key, measure


def scoped_measure_error(name: str, scenario: Scenario) -> str | None:
    """Why ``name`` is not a per-team or per-AI-agent measure of ``scenario``; None if it is."""
    parts = split_scoped(name)
    if parts is None:
        return f"{name!r} is not by_team.<team>.<measure> or by_ai_agent.<ai agent>.<measure>"
    scope, key, measure = parts
    if scope == "by_team":
        known, measures, kind = list(scenario.workspace.teams), TEAM_MEASURES, "team"
    else:
        streams = scenario.workload.arrivals if scenario.workload else ()
        known, measures, kind = [s.ai_agent for s in streams], AI_AGENT_MEASURES, "AI agent"
    if key not in known:
        return f"{name!r}: no {kind} {key!r} (known: {', '.join(known) or 'none'})"
    if measure not in measures:
        return f"{name!r}: unknown measure {measure!r} (one of {', '.join(measures)})"
    return None


def scoped_value(summary: ReplicationSummary, name: str) -> float:
    """The value of a ``by_team`` / ``by_ai_agent`` measure in one replication (NaN: undefined)."""
    parts = split_scoped(name)
    if parts is None:
        return math.nan
    scope, key, measure = parts
    if scope == "by_team":
        team = next((t for t in summary.by_team if t.id == key), None)
        return math.nan if team is None else float(getattr(team, measure))
    stream = next((s for s in summary.by_ai_agent if s.ai_agent == key), None)
    if stream is None:
        return math.nan
    values: dict[str, float | None] = {
        "handed_off": float(stream.counts["handed_off"]),
        "service_level": stream.service_level,
        "abandon_rate": stream.abandon_rate,
        "p_wait": stream.p_wait,
        "wait_mean_s": stream.wait["mean"],
        "wait_p90_s": stream.wait["p90"],
        "handed_off_wait_p90_s": stream.all_wait["p90"],
    }
    return _nan_if_none(values.get(measure))


def measure_replication(plan: SimulationPlan, replication: int) -> Measures:
    """Simulate replication ``replication`` of ``plan`` and keep its ``MEASURES``.

    The plan's ``extra_measures`` (per-team or per-AI-agent measures) follow, in order.
    """
    facts = run_replication(plan, replication)
    summary = summarize_replication(facts, threshold=plan.workload.service_level_threshold)
    online = [
        a.utilization
        for a, f in zip(summary.agents, facts.agents, strict=True)
        if f.online_time > 0
    ]
    saturation = [share for _, share in summary.cap_saturation]
    return (
        float(summary.counts["handed_off"]),
        _nan_if_none(summary.service_level),
        _nan_if_none(summary.abandon_rate),
        _nan_if_none(summary.p_wait),
        summary.wait["mean"],
        summary.wait["p90"],
        summary.queue_mean,
        _mean(online),
        _mean(saturation),
        summary.jain,
        *(scoped_value(summary, name) for name in plan.extra_measures),
    )


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def combine(samples: Sequence[Measures], extra: Sequence[str] = ()) -> dict[str, Estimate]:
    """Each measure's mean over replications (in the order given) and its 95 % interval.

    ``extra`` names the measures after ``MEASURES`` (the plan's ``extra_measures``).

    Every measure is a share (interval clipped to [0, 1]) or cannot be negative (lower
    end clipped at 0). NaN marks a share that is undefined in a replication (no chat
    handed off); those replications are left out of that measure, as
    ``intervals.estimate_defined`` does.
    """
    return {
        name: (estimate_share if _is_share(name) else estimate_nonnegative)(
            [None if math.isnan(s[i]) else s[i] for s in samples]
        )
        for i, name in enumerate((*MEASURES, *extra))
    }


def _is_share(name: str) -> bool:
    """Whether the measure is a proportion (of one team or AI agent too: its last part)."""
    info = metric_info(name)
    return info is not None and info.unit is Unit.SHARE


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value


__all__ = [
    "AI_AGENT_MEASURES",
    "MEASURES",
    "SHARES",
    "TEAM_MEASURES",
    "Measures",
    "combine",
    "measure_replication",
    "scoped_measure_error",
    "split_scoped",
]
