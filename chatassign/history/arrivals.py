"""Which recorded days a fit describes, and the handoff rates per interval per stream.

A fitted day is either an average weekday (every Monday to Friday from the first to
the last recorded date, days without a handoff included), one date, or the whole
period as one long horizon. Time 0 is the start of the first interval holding a
handoff; the horizon ends with the interval of the last one.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from chatassign.errors import UsageError
from chatassign.history.export import NO_VALUE, Export

WEEKDAY = "weekday"
WHOLE = "whole"


@dataclass(frozen=True)
class Period:
    """The recorded time a fit describes: days of the same clock window, or one span."""

    kind: str
    """``weekday`` (an average), ``date`` (one day) or ``whole`` (the period)."""
    dates: tuple[date, ...]
    origins: tuple[float, ...]
    """Epoch seconds of each day's time 0."""
    horizon: float
    start_clock: float | None
    """Seconds after local midnight of time 0 (None for the whole period)."""
    day_slots: tuple[int, ...]
    """For each recorded date (first to last), its index in ``dates``, or -1."""

    def position(self, epoch: float, midnights: list[float]) -> float | None:
        """Seconds from its day's time 0 of an instant in a fitted day's window, else None."""
        if self.kind == WHOLE:
            offset = epoch - self.origins[0]
            return offset if 0 <= offset < self.horizon else None
        day = bisect.bisect_right(midnights, epoch) - 1
        if day < 0 or day >= len(self.day_slots):
            return None
        slot = self.day_slots[day]
        if slot < 0:
            return None
        offset = epoch - self.origins[slot]
        return offset if 0 <= offset < self.horizon else None


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
        raise UsageError("the export holds no chat to fit (every row was ignored or skipped)")
    first_epoch, last_epoch = min(export.handed_off), max(export.handed_off)
    first = datetime.fromtimestamp(first_epoch, zone).date()
    last = datetime.fromtimestamp(last_epoch, zone).date()
    midnights = local_midnights(first, last, zone)
    recorded = [first + timedelta(days=d) for d in range(len(midnights) - 1)]
    if day == WHOLE:
        horizon = math.ceil((last_epoch - midnights[0]) / interval + 1e-9) * interval
        period = Period(WHOLE, tuple(recorded), (midnights[0],), horizon, None, ())
        return period, midnights
    if day == WEEKDAY:
        chosen = [d for d in recorded if d.weekday() < 5]
        if not chosen:
            raise UsageError("the export holds no weekday; pass --day DATE or --day whole")
    else:
        try:
            wanted = date.fromisoformat(day)
        except ValueError:
            raise UsageError(
                f"--day: {day!r} is not weekday, whole or a date (2026-03-02)"
            ) from None
        if wanted not in recorded:
            raise UsageError(f"--day: {wanted} is outside the export ({first} to {last})")
        chosen = [wanted]
    slots = [chosen.index(d) if d in chosen else -1 for d in recorded]
    clocks = [
        t - midnights[index]
        for t in export.handed_off
        if slots[index := bisect.bisect_right(midnights, t) - 1] >= 0
    ]
    if not clocks:
        raise UsageError(f"no handoff on the chosen day ({chosen[0]})")
    start = math.floor(min(clocks) / interval) * interval
    end = math.ceil(max(clocks) / interval + 1e-9) * interval
    origins = tuple(midnights[recorded.index(d)] + start for d in chosen)
    kind = WEEKDAY if day == WEEKDAY else "date"
    return Period(kind, tuple(chosen), origins, end - start, start, tuple(slots)), midnights


@dataclass(frozen=True)
class StreamCounts:
    """One stream's handoffs per interval of the fitted day, summed over its days."""

    name: str
    counts: list[int]
    languages: dict[str, int]


def count_handoffs(
    export: Export, period: Period, midnights: list[float], *, interval: float, default: str
) -> tuple[list[StreamCounts], int]:
    """Handoffs per stream (AI agent) per interval, and how many fell outside the period.

    Chats without an AI agent form the stream ``default``.
    """
    slots = max(1, round(period.horizon / interval))
    names = export.names["ai_agent"]
    streams: dict[int, StreamCounts] = {}
    languages = export.names["language"]
    outside = 0
    codes, language_codes = export.codes["ai_agent"], export.codes["language"]
    for i, t in enumerate(export.handed_off):
        code = codes[i]
        stream = streams.get(code)
        if stream is None:
            name = default if code == NO_VALUE else names[code]
            stream = streams[code] = StreamCounts(name, [0] * slots, {})
        language = language_codes[i]
        if language != NO_VALUE:
            key = languages[language]
            stream.languages[key] = stream.languages.get(key, 0) + 1
        offset = period.position(t, midnights)
        if offset is None:
            outside += 1
            continue
        stream.counts[min(int(offset // interval), slots - 1)] += 1
    return sorted(streams.values(), key=lambda s: s.name), outside
