"""Which recorded days a fit describes, and the handoff rates per interval per stream.

A fitted day is either an average weekday (every Monday to Friday from the first to
the last recorded date, days without a handoff included), one date, or the whole
period as one long horizon. Time 0 is the start of the first interval holding a
handoff; the horizon ends with the interval of the last one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import numpy as np
import numpy.typing as npt

from chatassign.errors import ExportError, UsageError
from chatassign.history.export import NO_VALUE, Export

Floats = npt.NDArray[np.float64]

WEEKDAY = "weekday"
WHOLE = "whole"


@dataclass(frozen=True)
class RecordedPeriod:
    """Recorded days a scenario's day is laid on, each at the same clock time, or the
    whole export as one span: what ``fit`` describes and what ``backtest`` compares."""

    kind: str
    """``weekday`` (every Monday to Friday: ``fit`` averages them), ``date`` (one day) or
    ``whole`` (one span)."""
    dates: tuple[date, ...]
    origins: tuple[float, ...]
    """Epoch seconds of each day's time 0."""


@dataclass(frozen=True)
class Period(RecordedPeriod):
    """The recorded time a fit describes: days of the same clock window, or one span."""

    horizon: float
    start_clock: float | None
    """Seconds after local midnight of time 0 (None for the whole period)."""
    day_slots: tuple[int, ...]
    """For each recorded date (first to last), its index in ``dates``, or -1."""

    def positions(self, epochs: Floats, midnights: list[float]) -> Floats:
        """Seconds from their day's time 0 of each instant; NaN outside the fitted days."""
        if self.kind == WHOLE:
            offsets = epochs - self.origins[0]
        else:
            day = np.searchsorted(np.array(midnights), epochs, side="right") - 1
            slots = np.array([*self.day_slots, -1, -1])  # -1: not a fitted day
            slot = slots[np.clip(day, -1, len(self.day_slots))]
            origins = np.array([*self.origins, np.nan])
            offsets = epochs - origins[np.where(slot < 0, len(self.origins), slot)]
        return np.where((offsets >= 0) & (offsets < self.horizon), offsets, np.nan)


START_INTERVAL = 1800.0
"""Without ``starts_at``, replay and backtest start time 0 on a half hour (``fit``'s
default interval)."""


def interval_start(clock: float) -> float:
    """The start of the half hour holding ``clock`` (seconds after local midnight)."""
    return math.floor(clock / START_INTERVAL) * START_INTERVAL


def local_midnights(first: date, last: date, zone: tzinfo) -> list[float]:
    """Epoch seconds of each local midnight from ``first`` to the day after ``last``."""
    days = (last - first).days + 2
    return [_midnight(first + timedelta(days=d), zone) for d in range(days)]


def _midnight(day: date, zone: tzinfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def choose_period(
    export: Export, zone: tzinfo, *, day: str, interval: float
) -> tuple[Period, list[float]]:
    """The fitted period for ``day`` (``weekday``, ``whole`` or an ISO date) and the
    local midnights of the recorded dates."""
    if not len(export):
        raise ExportError(
            f"{export.file}: the export holds no chat to fit (every row was ignored or skipped)"
        )
    first_epoch, last_epoch = min(export.handed_off), max(export.handed_off)
    first = datetime.fromtimestamp(first_epoch, zone).date()
    last = datetime.fromtimestamp(last_epoch, zone).date()
    midnights = local_midnights(first, last, zone)
    recorded = [first + timedelta(days=d) for d in range(len(midnights) - 1)]
    if day == WHOLE:
        horizon = math.ceil((last_epoch - midnights[0]) / interval + 1e-9) * interval
        period = Period(WHOLE, tuple(recorded), (midnights[0],), horizon, None, ())
        return period, midnights
    chosen = chosen_dates(recorded, day)
    slots = [chosen.index(d) if d in chosen else -1 for d in recorded]
    handed = export.view().handed_off
    day_of = np.searchsorted(np.array(midnights), handed, side="right") - 1
    chosen_days = np.isin(day_of, [i for i, slot in enumerate(slots) if slot >= 0])
    clocks = handed[chosen_days] - np.array(midnights)[day_of[chosen_days]]
    if not len(clocks):
        raise UsageError(f"no handoff on the chosen day ({chosen[0]})")
    start = math.floor(float(clocks.min()) / interval) * interval
    end = math.ceil(float(clocks.max()) / interval + 1e-9) * interval
    origins = tuple(midnights[recorded.index(d)] + start for d in chosen)
    kind = WEEKDAY if day == WEEKDAY else "date"
    return Period(kind, tuple(chosen), origins, end - start, start, tuple(slots)), midnights


def chosen_dates(recorded: list[date], day: str) -> list[date]:
    """The dates of ``recorded`` (every date, first to last) that ``--day`` names:
    every Monday to Friday for ``weekday``, else the ISO date itself (UsageError when
    it is not a date of the export)."""
    if day == WEEKDAY:
        chosen = [d for d in recorded if d.weekday() < 5]
        if not chosen:
            raise UsageError("the export holds no weekday; pass --day DATE or --day whole")
        return chosen
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        raise UsageError(f"--day: {day!r} is not weekday, whole or a date (2026-03-02)") from None
    if wanted not in recorded:
        first, last = recorded[0], recorded[-1]
        raise UsageError(f"--day: {wanted} is outside the export ({first} to {last})")
    return [wanted]


@dataclass(frozen=True)
class StreamCounts:
    """One stream's handoffs per interval of the fitted day, summed over its days."""

    name: str
    code: int
    """The stream's AI agent code in the export (NO_VALUE: chats without one)."""
    counts: list[int]
    languages: dict[str, int]


def count_handoffs(
    export: Export, period: Period, midnights: list[float], *, interval: float, default: str
) -> tuple[list[StreamCounts], int]:
    """Handoffs per stream (AI agent) per interval, and how many fell outside the period.

    Chats without an AI agent form the stream ``default``. Languages count over the
    whole export.
    """
    slots = max(1, round(period.horizon / interval))
    columns = export.view()
    codes, language_codes = columns.codes["ai_agent"], columns.codes["language"]
    offsets = period.positions(columns.handed_off, midnights)
    inside = ~np.isnan(offsets)
    slot = np.minimum((offsets[inside] // interval).astype(np.int64), slots - 1)
    streams = []
    for code in np.unique(codes).tolist():
        mine = codes == code
        counts = np.bincount(slot[mine[inside]], minlength=slots)
        spoken = np.bincount(language_codes[mine & (language_codes != NO_VALUE)])
        languages = {
            export.names["language"][i]: int(n) for i, n in enumerate(spoken.tolist()) if n
        }
        name = default if code == NO_VALUE else export.names["ai_agent"][code]
        streams.append(StreamCounts(name, code, counts.tolist(), languages))
    return sorted(streams, key=lambda s: s.name), int((~inside).sum())
