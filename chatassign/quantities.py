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
