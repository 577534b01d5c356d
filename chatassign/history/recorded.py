"""The recorded side of a backtest: the days it covers and the export's chats inside them.

A scenario's day (time 0 to the horizon) is laid on each recorded day at the same clock
time: every weekday, one date, or the whole export as one span. Only the export's rows
are read here; ``backtest.py`` puts their figures beside the simulated ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import numpy as np
import numpy.typing as npt

from chatassign.errors import ExportError, UsageError
from chatassign.history.arrivals import (
    WEEKDAY,
    WHOLE,
    RecordedPeriod,
    chosen_dates,
    interval_start,
    local_midnights,
)
from chatassign.history.export import NO_VALUE, Export
from chatassign.history.fit import DEFAULT_STREAM
from chatassign.workload.quantities import DayStart

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

DATE = "date"
DAY_S = 86400.0


@dataclass(frozen=True)
class RecordedDays(RecordedPeriod):
    """The recorded days the scenario's day is laid on (``origins``: each day's time 0)."""

    clock: float
    """Seconds after local midnight of time 0."""
    horizon: float

    def offsets(self, epochs: Floats) -> tuple[Floats, npt.NDArray[np.int64]]:
        """Each instant's seconds from its day's time 0 (NaN outside every day's window),
        and the index of that day (-1 outside)."""
        origins = np.array(self.origins)
        day = np.searchsorted(origins, epochs, side="right") - 1
        offset = epochs - origins[np.maximum(day, 0)]
        inside = (day >= 0) & (offset < self.horizon)
        return np.where(inside, offset, np.nan), np.where(inside, day, -1)


def recorded_days(
    export: Export, zone: tzinfo, *, day: str | None, starts_at: DayStart | None, horizon: float
) -> RecordedDays:
    """Which recorded days a backtest covers (``day``: weekday, whole, a date or None).

    None: the scenario's ``starts_at`` date when it has one, ``whole`` when its horizon
    is longer than a day, else ``weekday``. UsageError when the day is not in the export.
    """
    if not len(export):
        raise ExportError(
            f"{export.file}: the export holds no chat to backtest (every row was ignored)"
        )
    handed = export.view().handed_off
    first = datetime.fromtimestamp(float(handed.min()), zone).date()
    last = datetime.fromtimestamp(float(handed.max()), zone).date()
    if day is None:
        if starts_at is not None and starts_at.date is not None:
            day = starts_at.date
        else:
            day = WHOLE if horizon > DAY_S else WEEKDAY
    midnights = local_midnights(first, last, zone)
    every = [first + timedelta(days=d) for d in range(len(midnights) - 1)]
    if day == WHOLE:
        clock = starts_at.seconds if starts_at is not None else 0.0
        return RecordedDays(WHOLE, (first,), (midnights[0] + clock,), clock, horizon)
    chosen = chosen_dates(every, day)
    starts = [midnights[every.index(d)] for d in chosen]
    clock = starts_at.seconds if starts_at is not None else _first_half_hour(handed, starts)
    kind = WEEKDAY if day == WEEKDAY else DATE
    return RecordedDays(kind, tuple(chosen), tuple(m + clock for m in starts), clock, horizon)


def _first_half_hour(handed: Floats, midnights: Sequence[float]) -> float:
    """The half hour holding the earliest handoff clock of the days starting at ``midnights``."""
    starts = np.array(midnights)
    day = np.searchsorted(starts, handed, side="right") - 1
    clocks = handed[day >= 0] - starts[day[day >= 0]]
    clocks = clocks[clocks < DAY_S]
    if not len(clocks):
        raise UsageError("no handoff on the chosen days")
    return interval_start(float(clocks.min()))


@dataclass(frozen=True)
class RecordedChats:
    """The export's chats inside the recorded days' windows, as columns."""

    offset: Floats
    """Seconds from their day's time 0 to the handoff."""
    wait: Floats
    duration: Floats
    """Assignment to close; 0 for abandoned chats."""
    abandoned: Bools
    team: list[str | None]
    ai_agent: list[str]
    windows: float
    """The days' summed length: each to the horizon or to its last chat's end if later."""
    days: int
    outside: int
    """Chats of the export handed off outside every recorded day's window."""


def recorded_chats(export: Export, days: RecordedDays, *, streams: Sequence[str]) -> RecordedChats:
    """The chats of ``export`` that fall inside ``days`` (chats without an AI agent belong
    to the scenario's only stream, or to ``assistant``)."""
    columns = export.view()
    offset, day = days.offsets(columns.handed_off)
    inside = ~np.isnan(offset)
    abandoned = columns.abandoned[inside]
    duration = np.where(abandoned, 0.0, columns.duration[inside])
    wait = columns.wait[inside]
    ends = offset[inside] + wait + duration
    latest = np.full(len(days.origins), days.horizon)
    np.maximum.at(latest, day[inside], ends)
    default = streams[0] if len(streams) == 1 else DEFAULT_STREAM
    return RecordedChats(
        offset=offset[inside],
        wait=wait,
        duration=duration,
        abandoned=abandoned,
        team=_names(export, "team", columns.codes["team"][inside], None),
        ai_agent=[
            name or default
            for name in _names(export, "ai_agent", columns.codes["ai_agent"][inside], None)
        ],
        windows=float(latest.sum()),
        days=len(days.origins),
        outside=int((~inside).sum()),
    )


def _names(
    export: Export, category: str, codes: npt.NDArray[np.int64], missing: str | None
) -> list[str | None]:
    names = export.names[category]
    return [missing if code == NO_VALUE else names[code] for code in codes.tolist()]
