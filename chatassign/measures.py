"""The scalar metrics a sweep or a staffing search keeps of each replication.

One replication is simulated and reduced to a short tuple of floats (``Measures``,
aligned with ``MEASURES``): small enough to cross process and machine boundaries,
to append to a resume journal as JSON, and to average into a tidy table. Floats
round-trip through JSON exactly, so a resumed sweep gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from chatassign.metrics import Estimate, estimate_defined, estimate_share, summarize_replication
from chatassign.simulation import SimulationPlan, run_replication

MEASURES: tuple[str, ...] = (
    "handed_off",
    "service_level",
    "abandon_rate",
    "p_wait",
    "wait_mean_s",
    "wait_p90_s",
    "queue_mean",
    "utilization",
    "cap_saturation",
    "jain",
)
"""Per replication: handed-off chats; service level and abandon rate (of handed-off
chats); P(wait > 0); mean and 90th-percentile wait of assigned chats (s); time-average
queue length; mean utilization over the agents online at some point; cap saturation
averaged over teamspaces; Jain's fairness index. Definitions: docs/simulation.md."""

SHARES = frozenset({"service_level", "abandon_rate", "p_wait", "utilization", "cap_saturation"})
"""The measures that are proportions: their intervals are clipped to [0, 1]."""

Measures = tuple[float, ...]


def measure_replication(plan: SimulationPlan, replication: int) -> Measures:
    """Simulate replication ``replication`` of ``plan`` and keep its ``MEASURES``."""
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
    )


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def combine(samples: Sequence[Measures]) -> dict[str, Estimate]:
    """Each measure's mean over replications (in the order given) and its 95 % interval.

    NaN marks a share that is undefined in a replication (no chat handed off); those
    replications are left out of that measure, as ``metrics.estimate_defined`` does.
    """
    return {
        name: (estimate_share if name in SHARES else estimate_defined)(
            [None if math.isnan(s[i]) else s[i] for s in samples]
        )
        for i, name in enumerate(MEASURES)
    }


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value


__all__ = ["MEASURES", "SHARES", "Measures", "combine", "measure_replication"]
