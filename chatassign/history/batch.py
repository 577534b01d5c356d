"""Reading export rows a batch at a time, column by column: the fast path of ``read_export``.

A batch of rows is split into its mapped columns, each parsed by one comprehension,
and checked with numpy. When anything in the batch is wrong (or merely unusual: an
unknown outcome, an end before a start, a value that is not a number) the batch is
refused and its rows go through the row-by-row parser, which locates the problem.
The two paths store exactly the same chats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, tzinfo
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from chatassign.history.export import RowParser
    from chatassign.history.timestamps import TimestampParser

BATCH = 20_000
"""Rows per batch."""

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Codes = npt.NDArray[np.intc]
_NAN = math.nan
_KINDS = {"served": 0, "abandoned": 1, "ignore": 2}
"""An outcome's meaning as a small number, for numpy."""
_UNKNOWN = -1
"""The kind of a missing or unlisted outcome (the batch then goes row by row)."""
_NEW = -2
"""The code of a name not seen before this batch."""


class _RefusedError(Exception):
    """Something in the batch needs the row-by-row parser."""


def add_batch(parser: RowParser, rows: Sequence[Sequence[str | None]]) -> bool:
    """Store every chat of ``rows``; False (nothing stored) if the batch needs row by row."""
    try:
        _add(parser, rows)
    except (_RefusedError, ValueError):
        return False
    return True


def _add(parser: RowParser, rows: Sequence[Sequence[str | None]]) -> None:
    mapping, export = parser.mapping, parser.export
    missing = mapping.missing
    count = len(rows)
    # Column by column in C: one list per mapped column, no per-row work in Python.
    columns = [list(map(itemgetter(i), rows)) for i in range(len(mapping.source_columns))]

    def column_of(name: str) -> list[str | None] | None:
        column = mapping.columns.get(name)
        return columns[parser.position[column]] if isinstance(column, str) else None

    def stamps(name: str) -> Floats:
        column = mapping.columns.get(name)
        if column is None:
            return np.full(count, _NAN)
        parse = parser.times.parse
        if isinstance(column, str):
            values = columns[parser.position[column]]
            fast = _iso_seconds(values, missing, parser.times)
            if fast is None:
                fast = _local_iso(values, missing, parser.times.zone)
            if fast is not None:
                return fast
            return np.array([_NAN if v is None or v in missing else parse(v) for v in values])
        pair = parser.times.parse_pair
        dates, times = (columns[parser.position[c]] for c in column)
        return np.array(
            [
                _NAN if d is None or d in missing else pair(d, _present(t, missing))
                for d, t in zip(dates, times, strict=True)
            ]
        )

    def seconds(name: str) -> Floats:
        values = column_of(name)
        if values is None:
            return np.full(count, _NAN)
        return np.array([_NAN if v is None or v in missing else _seconds(v) for v in values])

    outcome = column_of("outcome")
    if mapping.outcomes is not None:
        if outcome is None:
            raise _RefusedError
        kinds: dict[str | None, int] = {
            text: _KINDS[m] for text, m in mapping.outcomes.items() if text not in missing
        }
        kind = np.fromiter(map(kinds.get, outcome, repeat(_UNKNOWN)), dtype=np.int8, count=count)
        if (kind == _UNKNOWN).any():
            raise _RefusedError  # a missing or unknown outcome: the row parser says which
        ignored = kind == _KINDS["ignore"]
        marked = kind == _KINDS["served"]
    else:
        ignored = np.zeros(count, dtype=bool)
        marked = None
    codes = {name: _codes(parser, name, column_of(name), count) for name in parser.categories}
    handed, assigned, closed = stamps("handed_off_at"), stamps("assigned_at"), stamps("closed_at")
    left, wait, handle = stamps("abandoned_at"), seconds("wait"), seconds("handle_time")
    has_agent = codes["agent"] != parser.no_value
    # Without an outcome column a chat is served when it was assigned (see RowParser.add).
    taken = has_agent if "agent" in mapping.columns else ~np.isnan(handle)
    served = marked if marked is not None else ~np.isnan(assigned) | (~np.isnan(wait) & taken)
    keep = ~ignored
    start = np.where(np.isnan(assigned) & served, handed + wait, assigned)
    end = np.where(np.isnan(closed), start + handle, closed)
    gone = np.where(np.isnan(left), handed + wait, left)
    gone = np.where(np.isnan(gone), closed, gone)
    with np.errstate(invalid="ignore"):
        bad = np.isnan(handed)
        bad |= served & ~(start >= handed)
        bad |= served & ~(end >= start)
        bad |= ~served & ~(gone >= handed)
    if "agent" in mapping.columns:
        bad |= served & ~has_agent
    if (bad & keep).any():
        raise _RefusedError
    _store(parser, keep, served, handed, start, end, gone)
    for category, found in codes.items():
        export.codes[category].frombytes(_named(parser, category, column_of(category), found, keep))
    if outcome is not None:
        for i in np.flatnonzero(ignored).tolist():
            export.ignored[f"outcome {outcome[i]!r} (ignore)"] += 1


def _store(
    parser: RowParser,
    keep: npt.NDArray[np.bool_],
    served: npt.NDArray[np.bool_],
    handed: Floats,
    start: Floats,
    end: Floats,
    gone: Floats,
) -> None:
    export = parser.export
    wait = np.where(served, start - handed, gone - handed)[keep]
    duration = np.where(served, end - start, _NAN)[keep]
    export.handed_off.frombytes(np.ascontiguousarray(handed[keep]).tobytes())
    export.wait.frombytes(np.ascontiguousarray(wait).tobytes())
    export.duration.frombytes(np.ascontiguousarray(duration).tobytes())
    export.abandoned.extend((~served[keep]).astype(np.uint8).tobytes())


def _codes(parser: RowParser, category: str, values: list[str | None] | None, count: int) -> Codes:
    """The code of each row's name of ``category``: ``no_value`` for none, ``_NEW`` for a
    name not seen yet (given its code by ``_named`` once the batch is known to be good)."""
    if values is None:
        return np.full(count, parser.no_value, dtype=np.intc)
    lookup: dict[str | None, int] = {name: code for name, code in parser.codes(category).items()}
    lookup.update(dict.fromkeys(parser.mapping.missing, parser.no_value))
    lookup[None] = parser.no_value
    try:  # every name known (every batch but the first few): the one-argument lookup
        return np.fromiter(map(lookup.__getitem__, values), dtype=np.intc, count=count)
    except KeyError:
        return np.fromiter(map(lookup.get, values, repeat(_NEW)), dtype=np.intc, count=count)


def _named(
    parser: RowParser,
    category: str,
    values: list[str | None] | None,
    codes: Codes,
    keep: npt.NDArray[np.bool_],
) -> bytes:
    """The codes of the kept rows as ``array("i")`` bytes; new names get the next codes in
    the order they first appear, as row by row."""
    rows = np.flatnonzero(keep)
    kept = codes[rows]
    new = np.flatnonzero(kept == _NEW)
    if len(new) and values is not None:
        names = [values[row] or "" for row in rows[new].tolist()]  # never None: those are known
        code_of = parser.code_of(category)
        for name in dict.fromkeys(names):
            code_of(name)
        known = parser.codes(category)
        kept[new] = np.fromiter(map(known.__getitem__, names), dtype=np.intc, count=len(names))
    return kept.tobytes()


_SHAPE = "0000-00-00 00:00:00"
_SEPARATORS = np.array([ord(c) for c in _SHAPE], dtype=np.uint8)
"""The separators of ``YYYY-MM-DD HH:MM:SS`` where they are."""
_DIGIT_AT = np.array([c == "0" for c in _SHAPE])
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_ORDINAL_1970 = 719_163
"""``date(1970, 1, 1).toordinal()``."""


def _iso_seconds(
    values: Sequence[str | None], missing: frozenset[str], times: TimestampParser
) -> Floats | None:
    """Epoch seconds of a column of ``YYYY-MM-DD HH:MM:SS`` stamps (``T`` or a space
    between, optionally ``Z`` or ``+HH:MM``), from their digits; None for any other
    column, which the general readers then take.

    The same arithmetic as ``TimestampParser.parse`` on whole seconds, so the same floats:
    a local stamp is its hour's epoch (cached per hour, from the zone) plus minutes and
    seconds; a stamp with an offset is exact integer seconds.
    """
    count = len(values)
    texts = cast("Sequence[str]", values)
    absent = np.zeros(count, dtype=bool)
    try:
        joined = ",".join(texts)
    except TypeError:  # a JSON null: no value
        absent = np.fromiter((v is None for v in values), dtype=bool, count=count)
        texts = ["" if v is None else v for v in values]
        joined = ",".join(texts)
    try:
        flat = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        return None  # not ASCII: the general readers take the column
    # Each value's length from where the commas are (a comma inside a value: no answer).
    commas = np.flatnonzero(flat == ord(","))
    if len(commas) != count - 1:
        return None
    firsts = np.concatenate([[0], commas + 1])
    lengths = np.diff(firsts, append=len(flat) + 1) - 1
    for text in missing:
        if text == "":
            absent |= lengths == 0
        else:
            maybe = np.flatnonzero(lengths == len(text)).tolist()
            absent[[i for i in maybe if texts[i] == text]] = True
    present = ~absent
    if not (absent | (lengths == 19) | (lengths == 20) | (lengths == 25)).all():
        return None
    epochs = np.full(count, _NAN)
    if not present.any():
        return epochs
    firsts, size = firsts[present], lengths[present]
    chars = flat[firsts[:, None] + np.arange(19)]
    digits = chars - np.uint8(48)  # wraps around below "0"
    fits = np.where(_DIGIT_AT, digits <= 9, chars == _SEPARATORS)
    fits[:, 10] |= chars[:, 10] == 84  # "T" or " " between the date and the time
    if not fits.all():
        return None
    year, month, day, hour, minute, second = (
        _number(digits, at, width)
        for at, width in ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2))
    )
    valid = (year >= 1900) & (year <= 2200) & (month >= 1) & (month <= 12) & (day >= 1)
    valid &= (hour <= 23) & (minute <= 59) & (second <= 59)
    if not valid.all():
        return None
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    if (day > _MONTH_DAYS[month - 1] + (leap & (month == 2))).any():
        return None
    days = _days_from_civil(year, month, day)
    within = minute * 60 + second
    offset = _offsets(flat, firsts, size)
    if offset is None:
        return None
    local = size == 19
    if local.all():
        epochs[present] = _local_hours(times, (days + _ORDINAL_1970) * 24 + hour) + within
        return epochs
    found = days * 86_400 + hour * 3600 + within - offset
    if local.any():
        keys = (days[local] + _ORDINAL_1970) * 24 + hour[local]
        found = found.astype(np.float64)
        found[local] = _local_hours(times, keys) + within[local]
    epochs[present] = found
    return epochs


def _number(digits: npt.NDArray[np.uint8], at: int, width: int) -> Ints:
    """The number written by ``width`` digits from position ``at`` of each row."""
    number = digits[:, at].astype(np.int64)
    for i in range(at + 1, at + width):
        number = number * 10 + digits[:, i]
    return number


def _local_hours(times: TimestampParser, keys: Ints) -> Floats:
    """The epoch of each local hour ``keys`` (ordinal * 24 + hour), each distinct one from
    the zone once."""
    low = int(keys.min())
    span = int(keys.max()) - low + 1
    if span <= 4 * len(keys) + 1024:  # the usual export: hours close together
        shifted = keys - low
        table = np.zeros(span)
        seen = np.flatnonzero(np.bincount(shifted, minlength=span)).tolist()
        table[seen] = [times.hour_start(low + hour) for hour in seen]
        starts: Floats = table[shifted]
        return starts
    unique, index = np.unique(keys, return_inverse=True)
    table = np.array([times.hour_start(key) for key in unique.tolist()])
    starts = table[index]
    return starts


def _offsets(flat: npt.NDArray[np.uint8], firsts: Ints, size: Ints) -> Ints | None:
    """Seconds east of UTC of each ``...Z`` (20 characters) or ``...+HH:MM`` (25) stamp
    starting at ``firsts`` in ``flat``; None when one ends in something else."""
    offset = np.zeros(len(size), dtype=np.int64)
    zulu = size == 20
    if zulu.any() and not (flat[firsts[zulu] + 19] == 90).all():
        return None
    signed = size == 25
    if signed.any():
        tail = flat[firsts[signed][:, None] + np.arange(19, 25)].astype(np.int64)
        digits = tail[:, [1, 2, 4, 5]] - 48
        sign = np.where(tail[:, 0] == 45, -1, 1)
        hours, minutes = digits[:, 0] * 10 + digits[:, 1], digits[:, 2] * 10 + digits[:, 3]
        if not (
            ((tail[:, 0] == 43) | (tail[:, 0] == 45)).all()
            and (tail[:, 3] == 58).all()
            and ((digits >= 0) & (digits <= 9)).all()
            and (hours <= 23).all()
            and (minutes <= 59).all()
        ):
            return None
        offset[signed] = sign * (hours * 3600 + minutes * 60)
    return offset


def _days_from_civil(year: Ints, month: Ints, day: Ints) -> Ints:
    """Days since 1970-01-01 of each proleptic Gregorian date (H. Hinnant's algorithm)."""
    shifted = year - (month <= 2)
    era = shifted // 400
    of_era = shifted - era * 400
    of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    of_eras = of_era * 365 + of_era // 4 - of_era // 100 + of_year
    days: Ints = era * 146_097 + of_eras - 719_468
    return days


def _local_iso(
    values: Sequence[str | None], missing: frozenset[str], zone: tzinfo
) -> Floats | None:
    """Epoch seconds of a column of ISO 8601 local times, parsed by numpy; None for any
    other column (an offset, epoch seconds, unpadded fields), which Python then reads."""
    if "NaT" in values:
        return None
    text = np.array(["NaT" if v is None or v in missing else v for v in values])
    if text.dtype.kind != "U":
        return None
    # Only YYYY-MM-DD[ HH:MM[:SS[.ffffff]]] without an offset: numpy also takes "now",
    # "2026-03" and offsets, which the Python reader treats differently.
    dated = (np.strings.find(text, "-") == 4) & (np.strings.rfind(text, "-") == 7)
    dated |= text == "NaT"
    offsets = np.strings.find(text, "+") >= 0
    offsets |= (np.strings.find(text, "Z") >= 0) | (np.strings.find(text, "z") >= 0)
    if offsets.any() or not dated.all():
        return None
    try:
        local = text.astype("datetime64[us]")
    except ValueError:
        return None
    present = ~np.isnat(local)
    hours = local.astype("datetime64[h]")
    years = hours[present].astype("datetime64[Y]").astype(np.int64) + 1970
    if len(years) and (years.min() < 1900 or years.max() > 2200):
        return None  # digits numpy took for a year: epoch seconds, read by Python
    unique, index = np.unique(hours[present], return_inverse=True)
    # The epoch of each local hour, from the zone (DST changes fall on whole hours).
    starts = np.array(
        [
            datetime.fromisoformat(str(hour)).replace(tzinfo=zone).timestamp()
            for hour in unique.astype("datetime64[s]")
        ]
    )
    within = (local[present] - hours[present]).astype("timedelta64[us]").astype(np.int64)
    epochs = np.full(len(values), _NAN)
    epochs[present] = starts[index] + within / 1e6
    return epochs


def _present(text: str | None, missing: frozenset[str]) -> str:
    if text is None or text in missing:
        raise _RefusedError
    return text


def _seconds(text: str) -> float:
    number = float(text)
    if not math.isfinite(number) or number < 0:
        raise _RefusedError
    return number
