"""``backtest``: a scenario simulated over the recorded days, beside the export's own figures.

The recorded side is computed from the export's rows alone; the simulated side is the
scenario's own model (its arrival streams, work, patience, shifts and routing), run
for ``replications`` days. Each simulated figure comes with a 95 % prediction range:
where the average of as many days as were recorded would fall if the desk behaved
like the model (Student-t, ``mean ± t·sd·√(1/days + 1/replications)``). A recorded
figure outside its range is flagged.

Both sides are measured the same way: every chat handed off within the day's window
(time 0 to the horizon) counts, each to its end (no warm-up, the run continues until
every chat has ended); counts are per day; waits, rates and shares pool every chat
of the recorded days; time averages (queue length, open chats) divide by the day's
length including its tail after the horizon.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from chatassign.analysis.facts import ReplicationFacts
from chatassign.analysis.intervals import t_quantile_975
from chatassign.analysis.metrics import ReplicationSummary, summarize_replication
from chatassign.history.arrivals import WEEKDAY, WHOLE
from chatassign.history.export import Export
from chatassign.history.recorded import (
    Bools,
    Floats,
    RecordedChats,
    RecordedDays,
    recorded_chats,
    recorded_days,
)
from chatassign.simulation import SimulationPlan
from chatassign.workload.quantities import DayStart

COUNT, SHARE, SECONDS, LEVEL = "count", "share", "seconds", "level"
"""What a figure is: a count per day, a share of chats, seconds, a time-averaged level."""

TOTAL_METRICS: tuple[tuple[str, str, str], ...] = (
    ("chats.handed_off", "handed off / day", COUNT),
    ("chats.unavailable", "unavailable / day (nobody online)", COUNT),
    ("chats.assigned", "assigned / day", COUNT),
    ("chats.abandoned", "abandoned / day", COUNT),
    ("abandon_rate", "abandon rate", SHARE),
    ("wait_s.mean", "mean wait (assigned)", SECONDS),
    ("wait_s.p50", "median wait", SECONDS),
    ("wait_s.p90", "90th percentile wait", SECONDS),
    ("p_wait", "P(wait > 0)", SHARE),
    ("service_level.value", "service level", SHARE),
    ("queue.mean_length", "mean queue length", LEVEL),
    ("load.mean_open", "mean open chats", LEVEL),
)
"""(key, label, kind) of each total, keys as ``simulate``'s JSON results (``load``: added)."""
TEAM_METRICS: tuple[tuple[str, str, str], ...] = (
    ("assigned", "assigned / day", COUNT),
    ("mean_open", "mean open chats", LEVEL),
)
AI_AGENT_METRICS: tuple[tuple[str, str, str], ...] = (
    ("chats.handed_off", "handed off / day", COUNT),
    ("abandon_rate", "abandon rate", SHARE),
    ("wait_s.mean", "mean wait", SECONDS),
    ("service_level.value", "service level", SHARE),
)
INTERVAL_METRICS = AI_AGENT_METRICS
"""Per interval of the day: the same four as per AI agent."""

Values = dict[str, float | None]
"""Figures by key; None where undefined (no chat to measure)."""


def order_statistic(values: Floats, q: float) -> float:
    """The order statistic of rank ``ceil(q·n)`` (as ``simulate``'s wait quantiles); 0 if empty."""
    if not len(values):
        return 0.0
    rank = max(1, math.ceil(q * len(values)))
    return float(np.partition(values, rank - 1)[rank - 1])


def _rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def chat_figures(
    wait: Floats,
    abandoned: Bools,
    *,
    served: Bools | None = None,
    days: int,
    threshold: float,
    quantiles: bool = False,
) -> Values:
    """Counts per day, abandon rate, waits of assigned chats, P(wait > 0), service level.

    ``served``: the assigned chats (default: every chat not abandoned).
    """
    handed = len(wait)
    waits = wait[~abandoned if served is None else served]
    left = int(abandoned.sum())
    figures: Values = {
        "chats.handed_off": handed / days,
        "chats.assigned": len(waits) / days,
        "chats.abandoned": left / days,
        "abandon_rate": _rate(left, handed),
        "wait_s.mean": float(waits.mean()) if len(waits) else None,
    }
    if quantiles:
        figures["wait_s.p50"] = order_statistic(waits, 0.5)
        figures["wait_s.p90"] = order_statistic(waits, 0.9)
        figures["p_wait"] = _rate(int((wait > 0).sum()), handed)
    figures["service_level.value"] = _rate(int((waits <= threshold).sum()), handed)
    return figures


@dataclass(frozen=True)
class Sides:
    """One side (recorded, or one simulated replication): totals, per team, per AI agent,
    per interval."""

    totals: Values
    teams: dict[str, Values]
    ai_agents: dict[str, Values]
    intervals: list[Values]


def recorded_side(chats: RecordedChats, *, threshold: float, interval: float, count: int) -> Sides:
    """The recorded figures, from the export's chats alone (``count`` intervals)."""
    days = chats.days
    totals = chat_figures(
        chats.wait, chats.abandoned, days=days, threshold=threshold, quantiles=True
    )
    totals["chats.unavailable"] = 0.0  # every recorded chat reached the queue
    totals["queue.mean_length"] = float(chats.wait.sum()) / chats.windows
    totals["load.mean_open"] = float(chats.duration.sum()) / chats.windows
    teams: dict[str, Values] = {}
    team_names = np.array([name or "" for name in chats.team], dtype=object)
    for team in sorted({name for name in chats.team if name is not None}):
        mine = (team_names == team) & ~chats.abandoned
        teams[team] = {
            "assigned": int(mine.sum()) / days,
            "mean_open": float(chats.duration[mine].sum()) / chats.windows,
        }
    ai_names = np.array(chats.ai_agent, dtype=object)
    ai_agents = {
        name: chat_figures(
            chats.wait[ai_names == name],
            chats.abandoned[ai_names == name],
            days=days,
            threshold=threshold,
        )
        for name in sorted(set(chats.ai_agent))
    }
    slot = (chats.offset // interval).astype(np.int64)
    intervals = [
        _interval_values(
            chat_figures(
                chats.wait[slot == k], chats.abandoned[slot == k], days=days, threshold=threshold
            )
        )
        for k in range(count)
    ]
    return Sides(totals, teams, ai_agents, intervals)


def slots(horizon: float, interval: float) -> int:
    """How many intervals cover ``horizon`` seconds."""
    return max(1, math.ceil(horizon / interval - 1e-9))


def _interval_values(figures: Values) -> Values:
    return {key: figures[key] for key, _, _ in INTERVAL_METRICS}


def simulated_side(
    facts: ReplicationFacts, plan: SimulationPlan, *, interval: float, count: int
) -> Sides:
    """One simulated replication's figures (``count`` intervals of ``interval`` seconds)."""
    threshold = plan.workload.service_level_threshold
    summary = summarize_replication(facts, threshold=threshold)
    totals = _summary_values(summary)
    teams: dict[str, Values] = {
        team.id: {"assigned": team.assigned, "mean_open": team.mean_open}
        for team in summary.by_team
    }
    ai_agents: dict[str, Values] = {
        stream.ai_agent: {
            "chats.handed_off": float(stream.counts["handed_off"]),
            "abandon_rate": stream.abandon_rate,
            "wait_s.mean": stream.wait["mean"] if stream.counts["assigned"] else None,
            "service_level.value": stream.service_level,
        }
        for stream in summary.by_ai_agent
    }
    offsets = np.array([record.handoff_time for record in facts.chats])
    left = np.array([record.outcome == "abandoned" for record in facts.chats], dtype=bool)
    served = np.array([record.wait is not None for record in facts.chats], dtype=bool)
    waits = np.array([record.wait or 0.0 for record in facts.chats])
    slot = (offsets // interval).astype(np.int64) if len(offsets) else offsets.astype(np.int64)
    intervals = []
    for k in range(count):
        mine = slot == k
        figures = chat_figures(
            waits[mine], left[mine], served=served[mine], days=1, threshold=threshold
        )
        intervals.append(_interval_values(figures))
    return Sides(totals, teams, ai_agents, intervals)


def _summary_values(summary: ReplicationSummary) -> Values:
    counts = summary.counts
    return {
        "chats.handed_off": float(counts["handed_off"]),
        "chats.unavailable": float(counts["unavailable"]),
        "chats.assigned": float(counts["assigned"]),
        "chats.abandoned": float(counts["abandoned"]),
        "abandon_rate": summary.abandon_rate,
        "wait_s.mean": summary.wait["mean"] if counts["assigned"] else None,
        "wait_s.p50": summary.wait["p50"],
        "wait_s.p90": summary.wait["p90"],
        "p_wait": summary.p_wait,
        "service_level.value": summary.service_level,
        "queue.mean_length": summary.queue_mean,
        "load.mean_open": math.fsum(agent.mean_open for agent in summary.agents),
    }


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of both sides: recorded, the simulated mean and its prediction range."""

    recorded: float | None
    simulated: float | None
    low: float | None
    high: float | None

    @property
    def side(self) -> str | None:
        """``above`` or ``below`` when the recorded figure is outside the range, else None."""
        if self.recorded is None or self.low is None or self.high is None:
            return None
        slack = 1e-9 * max(1.0, abs(self.recorded))
        if self.recorded > self.high + slack:
            return "above"
        if self.recorded < self.low - slack:
            return "below"
        return None


def prediction_range(
    values: Sequence[float | None], *, days: int, share: bool
) -> tuple[float | None, float | None, float | None]:
    """The mean of the replications' ``values`` and the 95 % range of a ``days``-day average.

    ``mean ± t(n−1)·sd·√(1/days + 1/n)`` over the n replications where the value is
    defined; clipped at 0 (and at 1 for a share). No range with fewer than two.
    """
    known = [v for v in values if v is not None and math.isfinite(v)]
    n = len(known)
    if not n:
        return None, None, None
    mean = math.fsum(known) / n
    if n < 2:
        return mean, None, None
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in known) / (n - 1))
    half = t_quantile_975(n - 1) * sd * math.sqrt(1.0 / days + 1.0 / n)
    low, high = max(0.0, mean - half), mean + half
    return mean, low, min(1.0, high) if share else high


def compare_values(
    recorded: Values | None,
    simulated: Sequence[Values],
    metrics: Iterable[tuple[str, str, str]],
    *,
    days: int,
) -> dict[str, Figure]:
    """Each metric of ``metrics``: the recorded value beside the simulated replications'."""
    figures = {}
    for key, _, kind in metrics:
        mean, low, high = prediction_range(
            [values.get(key) for values in simulated], days=days, share=kind == SHARE
        )
        value = None if recorded is None else recorded.get(key)
        figures[key] = Figure(value, mean, low, high)
    return figures


@dataclass(frozen=True)
class Backtest:
    """Recorded against simulated: totals, per team, per AI agent, per interval."""

    scenario: str
    export: str
    days: RecordedDays
    chats: int
    outside: int
    rows_read: int
    ignored: dict[str, int]
    seed: int
    replications: int
    threshold: float
    interval: float
    totals: dict[str, Figure]
    teams: dict[str, dict[str, Figure]]
    ai_agents: dict[str, dict[str, Figure]]
    intervals: list[dict[str, Figure]]
    notes: tuple[str, ...] = ()
    """Where the scenario and the export do not describe the same desk (names)."""

    @property
    def flagged(self) -> list[tuple[str, Figure]]:
        """Every figure outside its range, by its full key (``by_team.billing.assigned``)."""
        found = [(key, f) for key, f in self.totals.items() if f.side]
        for scope, groups in (("by_team", self.teams), ("by_ai_agent", self.ai_agents)):
            for name, figures in groups.items():
                found += [(f"{scope}.{name}.{key}", f) for key, f in figures.items() if f.side]
        return found

    def clock_at(self, offset: float) -> str:
        """The clock time ``offset`` seconds after time 0 (``09:30``)."""
        return DayStart(self.days.clock).clock_at(offset)


def run_backtest(
    export: Export,
    days: RecordedDays,
    plan: SimulationPlan,
    facts: Sequence[ReplicationFacts],
    *,
    interval: float,
) -> Backtest:
    """Put the recorded figures of ``export`` over ``days`` beside the simulated ``facts``."""
    streams = [stream.ai_agent for stream in plan.workload.arrivals]
    chats = recorded_chats(export, days, streams=streams)
    threshold = plan.workload.service_level_threshold
    count = slots(days.horizon, interval)
    recorded = recorded_side(chats, threshold=threshold, interval=interval, count=count)
    simulated = [simulated_side(f, plan, interval=interval, count=count) for f in facts]
    n = chats.days

    def grouped(
        pick: Callable[[Sides], Mapping[str, Values]], metrics: tuple[tuple[str, str, str], ...]
    ) -> dict[str, dict[str, Figure]]:
        names = sorted({name for side in (recorded, *simulated) for name in pick(side)})
        return {
            name: compare_values(
                pick(recorded).get(name),
                [pick(side).get(name, {}) for side in simulated],
                metrics,
                days=n,
            )
            for name in names
        }

    return Backtest(
        scenario=plan.scenario.name,
        export=export.file,
        days=days,
        chats=len(chats.offset),
        outside=chats.outside,
        rows_read=export.rows_read,
        ignored=dict(sorted(export.ignored.items())),
        seed=plan.seed,
        replications=plan.replications,
        threshold=threshold,
        interval=interval,
        totals=compare_values(
            recorded.totals, [side.totals for side in simulated], TOTAL_METRICS, days=n
        ),
        teams=grouped(lambda side: side.teams, TEAM_METRICS),
        ai_agents=grouped(lambda side: side.ai_agents, AI_AGENT_METRICS),
        intervals=[
            compare_values(
                recorded.intervals[k],
                [side.intervals[k] for side in simulated],
                INTERVAL_METRICS,
                days=n,
            )
            for k in range(count)
        ],
        notes=_notes(recorded, plan, mapped=export.mapped),
    )


def _notes(recorded: Sides, plan: SimulationPlan, *, mapped: frozenset[str]) -> tuple[str, ...]:
    """AI agents and teams one side has and the other lacks."""
    streams = {stream.ai_agent for stream in plan.workload.arrivals}
    notes = [
        f"the export's AI agent {name!r} has no arrival stream in the scenario"
        for name in sorted(set(recorded.ai_agents) - streams)
    ]
    notes += [
        f"the scenario's AI agent {name!r} hands off no chat on the recorded days"
        for name in sorted(streams - set(recorded.ai_agents))
    ]
    if "team" in mapped:
        notes += [
            f"the export's team {name!r} is not a team of the scenario"
            for name in sorted(set(recorded.teams) - set(plan.workspace.teams))
        ]
    return tuple(notes)


def backtest_plan(plan: SimulationPlan) -> SimulationPlan:
    """``plan`` as a backtest runs it: every chat of the day counted (no warm-up), each to
    its end, with a record per chat for the per-interval figures."""
    workload = dataclasses.replace(plan.workload, warmup=0.0, run_to_completion=True)
    return dataclasses.replace(plan, workload=workload, keep_chats=True)


__all__ = [
    "AI_AGENT_METRICS",
    "COUNT",
    "INTERVAL_METRICS",
    "LEVEL",
    "SECONDS",
    "SHARE",
    "TEAM_METRICS",
    "TOTAL_METRICS",
    "WEEKDAY",
    "WHOLE",
    "Backtest",
    "Figure",
    "RecordedChats",
    "RecordedDays",
    "backtest_plan",
    "chat_figures",
    "order_statistic",
    "prediction_range",
    "recorded_chats",
    "recorded_days",
    "run_backtest",
    "slots",
]
