"""``fit``: every estimate of a desk from its export, and the report that explains it.

The estimates (see docs/history.md): handoff rates per interval per stream over the
chosen days; the concurrency slowdown and each chat's work from the agents' rebuilt
load (``work.py``); patience by censored maximum likelihood (``patience.py``); online
windows from activity (``shifts.py``); the cap from the most chats an agent held.
Work, slowdown and patience use every chat of the export; arrivals and shifts only
the chosen days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from chatassign.errors import ExportError
from chatassign.history.arrivals import Period, StreamCounts, choose_period, count_handoffs
from chatassign.history.distfit import Fitted, fit_complete
from chatassign.history.export import NO_VALUE, Export
from chatassign.history.mapping import ExportMapping
from chatassign.history.patience import fit_patience, patience_sample
from chatassign.history.shifts import Window, clip_days, online_windows, typical_windows
from chatassign.history.work import Loads, WorkEstimate, estimate_work, measure_loads
from chatassign.workload.distributions import Distribution, Exponential, Gamma, Lognormal

DEFAULT_STREAM = "assistant"
"""The AI agent of chats in an export without an ``ai_agent`` column."""


@dataclass(frozen=True)
class FitOptions:
    """What to fit: the interval of the schedule, the day, and the idle gap (seconds)."""

    interval: float = 1800.0
    day: str = "weekday"
    """``weekday`` (an average weekday), ``whole`` (the whole period) or an ISO date."""
    idle_gap: float = 1800.0
    """An agent holding no chat for longer than this is taken to be away."""


@dataclass(frozen=True)
class StreamFit:
    """One AI agent's fitted traffic."""

    name: str
    counts: list[int]
    rates: list[float]
    """Handoffs per second in each interval of the fitted day."""
    languages: dict[str, float]
    volume: float
    """Handoffs per fitted day (the schedule's integral)."""
    chats: int
    abandoned: int
    mean_work: float | None
    mean_duration: float | None
    mean_patience: float | None
    """Exponential censored MLE of this stream's patience (None: nobody left)."""
    work_fits: list[Fitted] = field(default_factory=list)
    """This stream's own work fits, best first (empty: too few chats, MIN_WORK_CHATS)."""
    patience_fits: list[Fitted] = field(default_factory=list)
    """This stream's own patience fits (empty: fewer than MIN_ABANDONED left)."""

    @property
    def handle_time(self) -> Distribution | None:
        """This AI agent's own work distribution, rounded (None: the workload's applies)."""
        return rounded(self.work_fits[0].distribution) if self.work_fits else None

    @property
    def patience(self) -> Distribution | None:
        """This AI agent's own patience, rounded (None: the workload's applies)."""
        return rounded(self.patience_fits[0].distribution) if self.patience_fits else None


MIN_WORK_CHATS = 50
"""Fewest served chats for an AI agent to get its own handle_time."""
MIN_ABANDONED = 20
"""Fewest abandoned chats for an AI agent to get its own patience."""


@dataclass
class DeskFit:
    """Everything ``fit`` learned from one export."""

    export: Export
    options: FitOptions
    period: Period
    streams: list[StreamFit]
    outside: int
    loads: Loads
    work: WorkEstimate
    work_fits: list[Fitted]
    patience_fits: list[Fitted]
    patience_counts: tuple[int, int]
    """(abandoned, served with a wait > 0)."""
    naive_patience: float | None
    """The mean wait of abandoned customers (what not to use)."""
    shifts: dict[str, list[Window]]
    agent_teams: dict[str, list[str]]
    stream_teams: dict[str, list[str]]
    notes: list[str] = field(default_factory=list)

    @property
    def handle_time(self) -> Distribution:
        """The chosen work distribution, rounded to whole seconds."""
        return rounded(self.work_fits[0].distribution)

    @property
    def patience(self) -> Distribution | None:
        """The chosen patience distribution (None: nobody abandoned)."""
        return rounded(self.patience_fits[0].distribution) if self.patience_fits else None

    @property
    def cap(self) -> int:
        """The most chats any agent held at once."""
        return max(1, self.loads.max_concurrency)

    @property
    def mean_duration(self) -> float:
        """The naive estimate of work: the mean recorded duration."""
        values = self.export.view().duration[self.loads.chats]
        return float(values.mean()) if len(values) else 0.0


def rounded(distribution: Distribution) -> Distribution:
    """``distribution`` with its parameters rounded to whole seconds (readable text)."""
    if isinstance(distribution, Exponential):
        return Exponential(max(round(distribution.mean), 1))
    if isinstance(distribution, Lognormal | Gamma):
        kind = type(distribution)
        return kind(max(round(distribution.mean), 1), round(distribution.sd))
    return distribution


def fit_desk(export: Export, mapping: ExportMapping, options: FitOptions) -> DeskFit:
    """Fit every part of a desk's workload to ``export``."""
    period, midnights = choose_period(
        export, mapping.timezone, day=options.day, interval=options.interval
    )
    counts, outside = count_handoffs(
        export, period, midnights, interval=options.interval, default=DEFAULT_STREAM
    )
    loads = measure_loads(export)
    if not len(loads.chats):
        raise ExportError(f"{export.file}: the export holds no served chat; work cannot be fitted")
    work = estimate_work(loads, export)
    columns = export.view()
    sample = patience_sample(columns.wait, columns.abandoned)
    abandoned_waits = columns.wait[columns.abandoned]
    fit = DeskFit(
        export=export,
        options=options,
        period=period,
        streams=_streams(export, counts, loads, work, period, options.interval),
        outside=outside,
        loads=loads,
        work=work,
        work_fits=fit_complete(work.work),
        patience_fits=fit_patience(sample),
        patience_counts=(sample.abandoned, sample.served),
        naive_patience=float(abandoned_waits.mean()) if len(abandoned_waits) else None,
        shifts=_shifts(export, period, midnights, options),
        agent_teams=_shares(export, "agent", "team"),
        stream_teams=_shares(export, "ai_agent", "team", default=DEFAULT_STREAM),
    )
    return fit


def _streams(
    export: Export,
    counts: list[StreamCounts],
    loads: Loads,
    work: WorkEstimate,
    period: Period,
    interval: float,
) -> list[StreamFit]:
    days = len(period.dates) if period.kind != "whole" else 1
    columns = export.view()
    codes = columns.codes["ai_agent"]
    served_codes = codes[loads.chats]
    result = []
    for stream in counts:
        total = sum(stream.languages.values())
        languages = {k: v / total for k, v in sorted(stream.languages.items())} if total else {}
        code = stream.code
        mine = codes == code
        works = work.work[served_codes == code]
        durations = columns.duration[loads.chats][served_codes == code]
        left = int(columns.abandoned[mine].sum())
        waited = float(columns.wait[mine].sum())
        result.append(
            StreamFit(
                name=stream.name,
                counts=stream.counts,
                rates=[c / (days * interval) for c in stream.counts],
                languages=languages,
                volume=sum(stream.counts) / days,
                chats=int(mine.sum()),
                abandoned=left,
                mean_work=float(works.mean()) if len(works) else None,
                mean_duration=float(durations.mean()) if len(durations) else None,
                mean_patience=waited / left if left else None,
                work_fits=fit_complete(works) if len(works) >= MIN_WORK_CHATS else [],
                patience_fits=fit_patience(
                    patience_sample(columns.wait[mine], columns.abandoned[mine])
                )
                if left >= MIN_ABANDONED
                else [],
            )
        )
    return result


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _shifts(
    export: Export, period: Period, midnights: list[float], options: FitOptions
) -> dict[str, list[Window]]:
    windows = online_windows(export, gap=options.idle_gap)
    names = export.names["agent"]
    shifts: dict[str, list[Window]] = {}
    for agent, spans in sorted(windows.items(), key=lambda item: names[item[0]]):
        per_day = clip_days(spans, period.origins, period.horizon)
        if period.kind == "weekday":
            chosen = typical_windows(per_day, horizon=period.horizon, interval=options.interval)
        else:
            chosen = per_day[0]
        shifts[names[agent]] = [(round(a), round(b)) for a, b in chosen if round(b) > round(a)]
    del midnights
    return shifts


SHARE = 0.05
"""A team counts for an agent (or an AI agent) when it took at least this share of its chats."""


def _shares(
    export: Export, owner: str, category: str, *, default: str | None = None
) -> dict[str, list[str]]:
    """Owner name -> the names of ``category`` with at least SHARE of its served chats."""
    columns = export.view()
    owners, members = columns.codes[owner], columns.codes[category]
    keep = ~columns.abandoned & (members != NO_VALUE)
    if default is None:
        keep &= owners != NO_VALUE
    width = len(export.names[category])
    if not width:
        return {}
    pairs = np.bincount(
        (owners[keep] - NO_VALUE) * width + members[keep],
        minlength=(len(export.names[owner]) + 1) * width,
    ).reshape(-1, width)
    result = {}
    for row, counter in enumerate(pairs):
        total = int(counter.sum())
        if not total:
            continue
        name = default if row == 0 else export.names[owner][row - 1]
        assert name is not None
        teams = [export.names[category][j] for j in np.flatnonzero(counter >= SHARE * total)]
        result[name] = sorted(teams)
    return dict(sorted(result.items()))
