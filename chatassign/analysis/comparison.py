"""Methods (or caps) side by side: per-metric values, paired differences, a verdict.

Pure functions of the facts of each arm, run on the same seed: replication ``r`` of
every arm saw the same customers, work and patience (common random numbers), so
arm ``i`` is compared with the first arm (the baseline) by the paired differences
``d_r = x_i,r − x_0,r``: their mean and 95 % Student-t interval over replications.
A difference whose interval includes 0 (or that has no interval, with one
replication) is "no clear difference". The verdict is a few plain sentences built
from the clear differences only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chatassign.analysis.facts import ReplicationFacts
from chatassign.analysis.intervals import estimate
from chatassign.analysis.metrics import ReplicationSummary, summarize_replication
from chatassign.analysis.registry import METRICS as REGISTRY
from chatassign.analysis.registry import Better, Unit


@dataclass(frozen=True, slots=True)
class Metric:
    """One row of a comparison: how to read it from a replication and which way is better."""

    key: str
    """Stable name (JSON, CSV)."""
    group: str
    label: str
    unit: Unit
    better: Better
    read: Callable[[ReplicationSummary], float | None]
    """The value of one replication; None when undefined (max/min with an idle agent)."""

    def renamed(self, key: str) -> Metric:
        """The same row under a scoped key (``by_ai_agent.<ai agent>.<metric>``)."""
        return Metric(key, self.group, self.label, self.unit, self.better, self.read)


def _spread(values: Sequence[float]) -> float:
    return max(values) - min(values) if values else 0.0


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def _compared(key: str, group: str, read: Callable[[ReplicationSummary], float | None]) -> Metric:
    """A comparison row of the registry's metric ``key``: its label, unit and direction."""
    info = REGISTRY[key]
    if info.better is None:
        raise ValueError(f"{key} has no better direction to compare by")
    return Metric(key, group, info.label, info.unit, info.better, read)


METRICS: tuple[Metric, ...] = (
    _compared("wait_mean_s", "waits", lambda r: r.wait["mean"]),
    _compared("wait_p50_s", "waits", lambda r: r.wait["p50"]),
    _compared("wait_p90_s", "waits", lambda r: r.wait["p90"]),
    _compared("wait_p99_s", "waits", lambda r: r.wait["p99"]),
    _compared("service_level", "service level", lambda r: r.service_level),
    _compared("p_wait", "service level", lambda r: r.p_wait),
    _compared("abandon_rate", "abandonment", lambda r: r.abandon_rate),
    _compared(
        "assigned_spread",
        "per-agent load spread",
        lambda r: _spread([a.assigned for a in r.agents]),
    ),
    _compared(
        "open_spread", "per-agent load spread", lambda r: _spread([a.mean_open for a in r.agents])
    ),
    _compared("jain", "fairness", lambda r: r.jain),
    _compared("max_min_ratio", "fairness", lambda r: r.max_min_ratio),
    _compared(
        "cap_saturation", "cap saturation", lambda r: _mean([s for _, s in r.cap_saturation])
    ),
    _compared(
        "agent_at_cap", "cap saturation", lambda r: _mean([a.at_cap_share for a in r.agents])
    ),
    _compared(
        "agent_at_cap_max",
        "cap saturation",
        lambda r: max((a.at_cap_share for a in r.agents), default=0.0),
    ),
)
"""Every compared metric, in display order; groups as issue 5 lists them."""

METRIC_BY_KEY = {metric.key: metric for metric in METRICS}

TEAM_METRICS: tuple[tuple[str, str], ...] = (
    ("cap_saturation", "team cap saturation"),
    ("at_cap_share", REGISTRY["at_cap_share"].label),
)
"""Rows of each team (``by_team.<team>.<key>``) when the workspace has several teams:
the key and its label (a team's cap saturation is not the whole pool's)."""

AI_AGENT_METRICS: tuple[str, ...] = ("service_level", "abandon_rate", "wait_mean_s")
"""Rows of each AI agent's chats (``by_ai_agent.<ai agent>.<key>``) when there are several."""


def scoped_metrics(summary: ReplicationSummary) -> tuple[Metric, ...]:
    """Per-team and per-AI-agent rows, for the teams and AI agents of ``summary``.

    Shown only where they add to the totals: with two teams or more, and with two
    AI agents or more; a team's or AI agent's position is the same in every
    replication and arm (they come from the scenario, not the run).
    """
    metrics: list[Metric] = []
    if len(summary.by_team) > 1:
        for t, team in enumerate(summary.by_team):
            for key, label in TEAM_METRICS:
                info = REGISTRY[key]
                name, group = f"by_team.{team.id}.{key}", f"team {team.id}"
                metrics.append(
                    Metric(name, group, label, info.unit, Better.LOWER, _team_reader(t, key))
                )
    if len(summary.by_ai_agent) > 1:
        for s, stream in enumerate(summary.by_ai_agent):
            for key in AI_AGENT_METRICS:
                metrics.append(
                    _compared(key, f"AI agent {stream.ai_agent}", _stream_reader(s, key)).renamed(
                        f"by_ai_agent.{stream.ai_agent}.{key}"
                    )
                )
    return tuple(metrics)


def _team_reader(t: int, key: str) -> Callable[[ReplicationSummary], float | None]:
    def read(summary: ReplicationSummary) -> float | None:
        return float(getattr(summary.by_team[t], key))

    return read


def _stream_reader(s: int, key: str) -> Callable[[ReplicationSummary], float | None]:
    def read(summary: ReplicationSummary) -> float | None:
        stream = summary.by_ai_agent[s]
        if key == "wait_mean_s":
            return stream.wait["mean"] if stream.counts["assigned"] else None
        value: float | None = getattr(stream, key)
        return value

    return read


HEADLINE_ORDER = (
    "wait_p90_s",
    "wait_mean_s",
    "service_level",
    "abandon_rate",
    "agent_at_cap",
    "cap_saturation",
    "wait_p99_s",
    "jain",
)
"""The metric a verdict leads with: the first with a clear difference."""


@dataclass(frozen=True, slots=True)
class Difference:
    """An arm minus the baseline, paired by replication: mean and 95 % interval."""

    mean: float
    ci95: tuple[float, float] | None
    """None with one replication."""

    @property
    def clear(self) -> bool:
        """Whether the interval excludes 0."""
        return self.ci95 is not None and (self.ci95[0] > 0 or self.ci95[1] < 0)

    @property
    def half_width(self) -> float | None:
        """Half the interval's width (the ± of the verdict)."""
        return None if self.ci95 is None else (self.ci95[1] - self.ci95[0]) / 2


@dataclass(frozen=True, slots=True)
class Row:
    """One metric across the arms."""

    metric: Metric
    values: tuple[float | None, ...]
    """Mean over replications per arm; None when undefined in some replication."""
    differences: tuple[Difference | None, ...]
    """Per arm, against the baseline; None for the baseline itself and undefined values."""
    best: frozenset[int]
    """The arms with the best value (empty when every arm has the same value)."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """Every metric of every arm, the differences to the first arm, and the verdict."""

    arms: tuple[str, ...]
    replications: int
    rows: tuple[Row, ...]
    verdict: tuple[str, ...]

    @property
    def baseline(self) -> str:
        """The arm every other is compared with."""
        return self.arms[0]

    def row(self, key: str) -> Row:
        """The row of metric ``key``."""
        return next(row for row in self.rows if row.metric.key == key)


def compare(
    arms: Sequence[tuple[str, Sequence[ReplicationFacts]]], *, threshold: float
) -> Comparison:
    """Compare arms (label, facts in replication order) run on the same seed.

    ``threshold`` is the service-level threshold in seconds. Every arm must have the
    same number of replications (they are paired by replication number).
    """
    if not arms:
        raise ValueError("compare needs at least one arm")
    counts = {len(facts) for _, facts in arms}
    if len(counts) != 1 or 0 in counts:
        raise ValueError("every arm needs the same, non-zero number of replications")
    summaries = [
        [summarize_replication(f, threshold=threshold) for f in facts] for _, facts in arms
    ]
    metrics = (*METRICS, *scoped_metrics(summaries[0][0]))
    rows = tuple(_row(metric, summaries) for metric in metrics)
    labels = tuple(label for label, _ in arms)
    replications = counts.pop()
    return Comparison(labels, replications, rows, verdict(labels, rows, replications))


def _row(metric: Metric, summaries: Sequence[Sequence[ReplicationSummary]]) -> Row:
    per_arm = [[metric.read(r) for r in reps] for reps in summaries]
    values = tuple(
        None if any(v is None for v in vs) else _mean([v for v in vs if v is not None])
        for vs in per_arm
    )
    base = per_arm[0]
    differences: list[Difference | None] = [None]
    for vs in per_arm[1:]:
        pairs = [(v, b) for v, b in zip(vs, base, strict=True)]
        if any(v is None or b is None for v, b in pairs):
            differences.append(None)
            continue
        est = estimate([v - b for v, b in pairs if v is not None and b is not None])
        differences.append(Difference(est.mean, est.ci95))
    return Row(metric, values, tuple(differences), _best(metric, values))


def _best(metric: Metric, values: Sequence[float | None]) -> frozenset[int]:
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2 or len({round(v, 12) for _, v in known}) == 1:
        return frozenset()
    pick = min if metric.better is Better.LOWER else max
    target = pick(v for _, v in known)
    return frozenset(i for i, v in known if math.isclose(v, target, rel_tol=1e-12, abs_tol=1e-12))


# ------------------------------------------------------------------ verdict


def verdict(labels: Sequence[str], rows: Sequence[Row], replications: int) -> tuple[str, ...]:
    """One plain sentence per arm against the baseline (none with a single arm)."""
    by_key = {row.metric.key: row for row in rows}
    sentences = [
        _sentence(labels[0], labels[i], i, by_key, replications) for i in range(1, len(labels))
    ]
    if replications == 1 and len(labels) > 1:
        sentences.append(
            "With one replication there is no interval: run --replications 10 or more "
            "to tell real differences from noise."
        )
    return tuple(sentences)


def headline(comparison: Comparison) -> str:
    """The comparison in one line, before the details.

    ``balanced: 0.89 s less mean wait than random, 95 % sure``: the first metric of
    ``HEADLINE_ORDER`` on which some column differs clearly from the baseline, and the
    column with the largest clear difference there.
    """
    if len(comparison.arms) < 2:
        return f"{comparison.arms[0]}: one column, nothing to compare."
    rows = {row.metric.key: row for row in comparison.rows}
    for key in HEADLINE_ORDER:
        row = rows.get(key)
        if row is None:
            continue
        clear = [
            (abs(d.mean), i) for i, d in enumerate(row.differences) if d is not None and d.clear
        ]
        if not clear:
            continue
        _, i = max(clear)
        diff = row.differences[i]
        assert diff is not None
        arm_better = (diff.mean < 0) == (row.metric.better is Better.LOWER)
        winner, loser = (
            (comparison.arms[i], comparison.baseline)
            if arm_better
            else (comparison.baseline, comparison.arms[i])
        )
        lower = row.metric.better is Better.LOWER
        return f"{winner}: {_amount(row.metric, diff)} {'less' if lower else 'more'} " + (
            f"{row.metric.label} than {loser}, 95 % sure."
        )
    n = comparison.replications
    return (
        f"No clear difference between the columns on any metric ({n} replication"
        f"{'s' if n != 1 else ''}, 95 % intervals)."
    )


def _amount(metric: Metric, diff: Difference) -> str:
    size = abs(diff.mean)
    if metric.unit is Unit.SECONDS:
        return f"{_number(size)} s"
    if metric.unit is Unit.SHARE:
        return f"{_number(100 * size)} points"
    return _number(size)


def _sentence(base: str, arm: str, i: int, rows: dict[str, Row], replications: int) -> str:
    headline = next(
        (key for key in HEADLINE_ORDER if (d := rows[key].differences[i]) is not None and d.clear),
        None,
    )
    if headline is None:
        return (
            f"{arm} against {base}: no clear difference on any metric "
            f"({replications} replication{'s' if replications != 1 else ''}, 95 % intervals)."
        )
    row = rows[headline]
    diff = row.differences[i]
    assert diff is not None
    arm_better = (diff.mean < 0) == (row.metric.better is Better.LOWER)
    winner, loser = (arm, base) if arm_better else (base, arm)
    text = f"{winner} {_change(row.metric, diff)} against {loser}"
    if headline != "jain":
        text += _fairness_clause(rows["jain"], i, arm_better=arm_better)
    return text + "." + _scoped_clause(base, arm, i, rows)


def _scoped_clause(base: str, arm: str, i: int, rows: dict[str, Row]) -> str:
    """The largest clear change of a team's or AI agent's share, in points, so a gain
    in the totals cannot hide a team that pays for it: `` Where it differs most: the
    team cap saturation in team billing, 12 points (±3) higher with round-robin than
    with balanced (worse).``"""
    changes = [
        (abs(d.mean), key)
        for key, row in rows.items()
        if "." in key
        and row.metric.unit is Unit.SHARE
        and (d := row.differences[i]) is not None
        and d.clear
    ]
    if not changes:
        return ""
    _, key = max(changes)
    row = rows[key]
    diff = row.differences[i]
    assert diff is not None
    better = (diff.mean < 0) == (row.metric.better is Better.LOWER)
    direction = "higher" if diff.mean > 0 else "lower"
    half = diff.half_width or 0.0
    where = "in" if key.startswith("by_team.") else "of the chats of"
    return (
        f" Where it differs most: the {row.metric.label} {where} {row.metric.group}, "
        f"{_number(100 * abs(diff.mean))} points (±{_number(100 * half)}) {direction} "
        f"with {arm} than with {base} ({'better' if better else 'worse'})."
    )


def _change(metric: Metric, diff: Difference) -> str:
    """``cuts the 90th-percentile wait by 41 s (±6 s)``: the winner's gain, as a verb phrase."""
    size = abs(diff.mean)
    half = diff.half_width or 0.0
    if metric.unit is Unit.SECONDS:
        amount = f"{_number(size)} s (±{_number(half)} s)"
    elif metric.unit is Unit.SHARE:
        amount = f"{_number(100 * size)} points (±{_number(100 * half)})"
    else:
        amount = f"{_number(size)} (±{_number(half)})"
    verb = "cuts" if metric.better is Better.LOWER else "raises"
    return f"{verb} the {metric.label} by {amount}"


def _fairness_clause(row: Row, i: int, *, arm_better: bool) -> str:
    diff = row.differences[i]
    if diff is None:
        return ""
    if not diff.clear:
        return ", with the same fairness"
    fairer_is_arm = diff.mean > 0
    winner, loser = (row.values[i], row.values[0]) if arm_better else (row.values[0], row.values[i])
    detail = (
        ""
        if winner is None or loser is None
        else f" (Jain's index {winner:.3f} against {loser:.3f})"
    )
    if fairer_is_arm == arm_better:
        return f", and spreads chats more evenly{detail}"
    return f", but spreads chats less evenly{detail}"


def _number(x: float) -> str:
    """Two significant figures at least, no more decimals than useful."""
    if x >= 10:
        return f"{x:.0f}"
    if x >= 1:
        return f"{x:.1f}"
    return f"{x:.2g}"


__all__ = [
    "AI_AGENT_METRICS",
    "HEADLINE_ORDER",
    "METRICS",
    "METRIC_BY_KEY",
    "TEAM_METRICS",
    "Better",
    "Comparison",
    "Difference",
    "Metric",
    "Row",
    "Unit",
    "compare",
    "headline",
    "scoped_metrics",
    "verdict",
]
