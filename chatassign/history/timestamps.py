"""Timestamps of an export as seconds since the Unix epoch (UTC).

Accepted: ISO 8601 with or without an offset (``2026-03-02T09:05:03+01:00``,
``2026-03-02 09:05:03``, ``...Z``), with unpadded fields (``2026-3-2 9:05:03``),
and epoch seconds (``1772442303`` or ``1772442303.25``). A stamp without an offset
is local time in the mapping's time zone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

_LOOSE = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(\.\d+)?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
_EPOCH = re.compile(r"\s*-?\d+(\.\d*)?\s*$")


class TimestampParser:
    """Turns export text into epoch seconds; caches the epoch of each local hour."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._hours: dict[int, float] = {}

    def parse(self, text: str) -> float:
        """Epoch seconds of ``text``; ValueError with a short reason if it is no timestamp."""
        if text[4:5] != "-" and _EPOCH.match(text):
            return float(text)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = _parse_loose(text)
        return self.epoch(moment)

    def parse_pair(self, date: str, time: str) -> float:
        """Epoch seconds of a date column and a time-of-day column."""
        return self.parse(f"{date.strip()} {time.strip()}")

    def epoch(self, moment: datetime) -> float:
        """Epoch seconds of ``moment``; naive means local time in the zone."""
        if moment.tzinfo is not None:
            return moment.timestamp()
        # DST changes fall on whole hours, so the epoch of each local hour is cached:
        # this is most of the time of reading an export.
        key = moment.toordinal() * 24 + moment.hour
        base = self._hours.get(key)
        if base is None:
            base = self.hour_start(key)
        return base + moment.minute * 60 + moment.second + moment.microsecond / 1e6

    def hour_start(self, key: int) -> float:
        """Epoch seconds of local hour ``key`` (the day's proleptic ordinal * 24 + the hour)."""
        base = self._hours.get(key)
        if base is None:
            day, hour = divmod(key, 24)
            start = datetime.combine(date.fromordinal(day), time(hour), tzinfo=self.zone)
            base = self._hours[key] = start.timestamp()
        return base

    def local(self, epoch: float) -> datetime:
        """The local wall-clock time of ``epoch`` in the zone."""
        return datetime.fromtimestamp(epoch, self.zone)


def _parse_loose(text: str) -> datetime:
    match = _LOOSE.match(text)
    if match is None:
        raise ValueError(
            "not a timestamp (expected ISO 8601, e.g. 2026-03-02T09:05:03, or epoch seconds)"
        )
    year, month, day, hour, minute, second = (int(g or 0) for g in match.groups()[:6])
    fraction, zone = match.group(7), match.group(8)
    micro = round(float(fraction) * 1e6) if fraction else 0
    try:
        moment = datetime(year, month, day, hour, minute, second, min(micro, 999_999))
    except ValueError as error:
        raise ValueError(f"not a valid date or time ({error})") from None
    if zone:
        return datetime.fromisoformat(moment.isoformat() + _iso_offset(zone))
    return moment


def _iso_offset(zone: str) -> str:
    if zone in ("Z", "z"):
        return "+00:00"
    digits = zone[1:].replace(":", "")
    return f"{zone[0]}{digits[:2]}:{digits[2:4] or '00'}"
