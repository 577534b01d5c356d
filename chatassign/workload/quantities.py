"""Durations and rates as written in scenario files, parsed into seconds and per-second values.

Grammar (docs/simulation.md):

* duration: a number of seconds (``90``, ``2.5``) or one or more ``<number><unit>``
  parts with units ``d``, ``h``, ``m`` (minutes), ``s``, largest first, each at most
  once, optionally separated by spaces: ``90s``, ``5m``, ``1h30m``, ``2h 15m``,
  ``1.5h``, ``1d``. Never negative, NaN or infinite. Parts are added exactly
  (``decimal``), so ``0.1h`` is 360 seconds, not 360.00000000000006.
* rate: ``<number>/<unit>`` with unit ``s``, ``m`` or ``min``, ``h``, ``d``: ``120/h``.
  Parsed to events per second. A bare number is refused: its unit would be a guess.

Distributions, whose arguments are durations, are in ``distributions.py``. Errors are
``ValueError`` whose message says what is wrong and what is expected; the scenario
loader adds the file, line and column.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_PLAIN_NUMBER = re.compile(rf"\s*({_NUMBER})\s*")
_DURATION_PART = re.compile(rf"\s*({_NUMBER})\s*([a-zA-Z]+)")
_RATE = re.compile(rf"\s*({_NUMBER})\s*/\s*([a-zA-Z]+)\s*")

_DURATION_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_RATE_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3_600, "d": 86_400}

_DURATION_HINT = "expected seconds or a duration such as 90s, 5m, 1h30m, 1.5h, 1d"
_RATE_HINT = "expected a number per time unit such as 2/s, 30/m, 120/h, 500/d"


def parse_duration(value: str | float) -> float:
    """Seconds in a duration written as text (``1h30m``) or a number of seconds (``90``)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"bad duration {value!r}: {_DURATION_HINT}")
    if not isinstance(value, str):
        return _check_seconds(_to_float(value), value)
    text = value.strip()
    if not text:
        raise ValueError(f"bad duration {value!r}: empty; {_DURATION_HINT}")
    if text.startswith("-"):
        raise ValueError(f"bad duration {value!r}: must not be negative")
    plain = _PLAIN_NUMBER.fullmatch(text)
    if plain:
        return _check_seconds(float(Decimal(plain[1])), value)
    try:
        seconds = float(_sum_duration_parts(text, value))
    except ArithmeticError:  # decimal.Overflow from an absurd exponent
        seconds = math.inf
    return _check_seconds(seconds, value)


def _sum_duration_parts(text: str, value: str) -> Decimal:
    total = Decimal(0)
    position = 0
    previous_unit = ""
    units = list(_DURATION_UNITS)
    while position < len(text):
        part = _DURATION_PART.match(text, position)
        if part is None:
            raise ValueError(f"bad duration {value!r}: {_DURATION_HINT}")
        number, unit = part[1], part[2]
        if unit not in _DURATION_UNITS:
            raise ValueError(
                f"bad duration {value!r}: unknown unit {unit!r}; use d, h, m (minutes) or s"
            )
        if previous_unit and units.index(unit) <= units.index(previous_unit):
            raise ValueError(
                f"bad duration {value!r}: write each unit once, largest first (e.g. 1h30m)"
            )
        total += Decimal(number) * _DURATION_UNITS[unit]
        previous_unit = unit
        position = part.end()
    return total


def _check_seconds(seconds: float, value: str | float) -> float:
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"bad duration {value!r}: must be a finite number of seconds")
    if seconds < 0:
        raise ValueError(f"bad duration {value!r}: must not be negative")
    return seconds


def _to_float(value: float) -> float:
    try:
        return float(value)
    except OverflowError:  # an int beyond the float range
        return math.inf


def format_duration(seconds: float) -> str:
    """Short text for a duration: ``1h30m``, ``45s``, ``2.5s``, ``0s``.

    Whole days, hours and minutes are split off; the seconds part keeps every digit
    needed, so ``parse_duration(format_duration(x)) == x`` for every finite x ≥ 0.
    """
    _check_seconds(_to_float(seconds), seconds)
    whole = math.floor(seconds)
    fraction = seconds - whole  # exact for a float
    parts: list[str] = []
    for unit, size in _DURATION_UNITS.items():
        count, whole = divmod(whole, size)
        if unit == "s":
            if count or fraction or not parts:
                parts.append(_format_number(count + fraction) + "s")
        elif count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _format_number(value: float) -> str:
    """The shortest text that reads back as ``value``, without an exponent."""
    if value == int(value):
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def parse_rate(value: str | float) -> float:
    """Events per second in a rate such as ``120/h``; ValueError if malformed or negative."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"bad rate {value!r}: a rate needs a time unit; {_RATE_HINT}")
    text = value.strip()
    if text.startswith("-"):
        raise ValueError(f"bad rate {value!r}: must not be negative")
    match = _RATE.fullmatch(text)
    if match is None:
        raise ValueError(f"bad rate {value!r}: {_RATE_HINT}")
    number, unit = match[1], match[2]
    if unit not in _RATE_UNITS:
        raise ValueError(f"bad rate {value!r}: unknown unit {unit!r}; use s, m (or min), h or d")
    try:
        rate = float(Decimal(number) / _RATE_UNITS[unit])
    except ArithmeticError:  # decimal.Overflow from an absurd exponent
        rate = math.inf
    if math.isinf(rate):
        raise ValueError(f"bad rate {value!r}: must be finite")
    return rate


# ------------------------------------------------------------------ clock time

_CLOCK = re.compile(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*")
_CLOCK_LIKE = re.compile(r"\s*\d+:\d*(?::\d*)?\s*")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")
_DAY = 86_400.0
_CLOCK_HINT = "expected a clock time such as 09:00 or 17:30:15 (00:00 to 24:00)"


def looks_like_clock(value: object) -> bool:
    """Whether ``value`` is written as a clock time (``09:00``), well formed or not."""
    return isinstance(value, str) and _CLOCK_LIKE.fullmatch(value) is not None


def parse_clock(text: str) -> float:
    """Seconds after midnight of ``HH:MM`` or ``HH:MM:SS`` (``24:00`` is the day's end)."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(f"bad clock time {text!r}: {_CLOCK_HINT}")
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and minutes + seconds > 0):
        raise ValueError(f"bad clock time {text!r}: {_CLOCK_HINT}")
    return float(hours * 3600 + minutes * 60 + seconds)


@dataclass(frozen=True, slots=True)
class DayStart:
    """When time 0 of a simulated day is: a clock time, optionally a date and a zone."""

    seconds: float
    """Seconds after midnight."""
    date: str | None = None
    """``YYYY-MM-DD`` when given."""
    zone: str | None = None
    """An IANA time zone name (``Europe/Berlin``) when given; shown, not converted."""

    @property
    def text(self) -> str:
        """As a scenario file writes it: ``2026-03-02 09:00 Europe/Berlin``."""
        parts = [self.date, format_clock(self.seconds), self.zone]
        return " ".join(part for part in parts if part)

    def offset_of(self, clock: float) -> float:
        """Seconds from time 0 to the first ``clock`` (seconds after midnight) at or after it."""
        offset = clock - self.seconds
        return offset + _DAY if offset < 0 else offset

    def clock_at(self, offset: float, *, seconds: bool = False) -> str:
        """The clock time ``offset`` seconds after time 0: ``13:30``, ``01:15 +1d``.

        ``seconds``: always ``HH:MM:SS`` (for traces), else seconds only when not whole.
        """
        total = self.seconds + offset
        days = int(total // _DAY)
        label = format_clock(total - days * _DAY, with_seconds=seconds)
        return f"{label} +{days}d" if days else label


def format_moment(offset: float, start: DayStart | None) -> str:
    """A point in simulated time as a user wrote it: ``13:30`` when the day has a clock
    start, else the offset from time 0 (``4h30m``)."""
    return format_duration(offset) if start is None else start.clock_at(offset)


def parse_day_start(text: str) -> DayStart:
    """``09:00``, ``2026-03-02 09:00`` (or ``T`` between) and optionally a zone after a space."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"bad start {text!r}: expected a clock time such as 09:00")
    words = re.sub(r"^(\d{4}-\d{2}-\d{2})T", r"\1 ", text.strip()).split()
    date = zone = None
    if words and _DATE.fullmatch(words[0]):
        date = words.pop(0)
        year, month, day = (int(part) for part in date.split("-"))
        if not (1 <= month <= 12 and 1 <= day <= 31 and year >= 1):
            raise ValueError(f"bad start {text!r}: {date} is not a date (YYYY-MM-DD)")
    if not words:
        raise ValueError(f"bad start {text!r}: give the clock time, e.g. {date} 09:00")
    clock = words.pop(0)
    if words:
        zone = words.pop(0)
        if words or _ZONE.fullmatch(zone) is None:
            raise ValueError(
                f"bad start {text!r}: expected [YYYY-MM-DD] HH:MM [time zone], "
                "e.g. 2026-03-02 09:00 Europe/Berlin"
            )
    try:
        seconds = parse_clock(clock)
    except ValueError as error:
        raise ValueError(f"bad start {text!r}: {error}") from None
    if seconds >= _DAY:
        raise ValueError(f"bad start {text!r}: a day starts before 24:00")
    return DayStart(seconds, date, zone)


def format_clock(seconds: float, *, with_seconds: bool = False) -> str:
    """``HH:MM`` of seconds after midnight; ``HH:MM:SS`` when asked or not whole minutes."""
    whole = math.floor(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f":{secs:02d}" if secs or with_seconds else ""
    return f"{hours:02d}:{minutes:02d}{tail}"
