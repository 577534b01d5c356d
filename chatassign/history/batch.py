"""Reading export rows a batch at a time, column by column: the fast path of ``read_export``.

A batch of rows is split into its mapped columns, each parsed by one comprehension,
and checked with numpy. When anything in the batch is wrong (or merely unusual: an
unknown outcome, an end before a start, a value that is not a number) the batch is
refused and its rows go through the row-by-row parser, which locates the problem.
The two paths store exactly the same chats.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from chatassign.history.export import RowParser

BATCH = 20_000
"""Rows per batch."""

Floats = npt.NDArray[np.float64]
_NAN = math.nan


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
    columns = list(zip(*rows, strict=True))
    count = len(rows)

    def texts(name: str) -> list[str | None]:
        column = mapping.columns.get(name)
        if not isinstance(column, str):
            return [None] * count
        return [None if v is None or v in missing else v for v in columns[parser.position[column]]]

    def stamps(name: str) -> Floats:
        column = mapping.columns.get(name)
        if column is None:
            return np.full(count, _NAN)
        parse = parser.times.parse
        if isinstance(column, str):
            values = columns[parser.position[column]]
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
        return np.array([_NAN if v is None else _seconds(v) for v in texts(name)])

    outcome = texts("outcome")
    if mapping.outcomes is not None:
        meanings = [mapping.outcomes.get(v) if v is not None else None for v in outcome]
        if None in meanings:
            raise _RefusedError
        ignored = np.array([m == "ignore" for m in meanings])
        marked = np.array([m == "served" for m in meanings])
    else:
        ignored = np.zeros(count, dtype=bool)
        marked = None
    names = {name: texts(name) for name in parser.categories}
    handed, assigned, closed = stamps("handed_off_at"), stamps("assigned_at"), stamps("closed_at")
    left, wait, handle = stamps("abandoned_at"), seconds("wait"), seconds("handle_time")
    has_agent = np.array([v is not None for v in names["agent"]])
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
    _store(parser, keep, served, handed, start, end, gone, names)
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
    names: dict[str, list[str | None]],
) -> None:
    export = parser.export
    wait = np.where(served, start - handed, gone - handed)[keep]
    duration = np.where(served, end - start, _NAN)[keep]
    export.handed_off.frombytes(np.ascontiguousarray(handed[keep]).tobytes())
    export.wait.frombytes(np.ascontiguousarray(wait).tobytes())
    export.duration.frombytes(np.ascontiguousarray(duration).tobytes())
    export.abandoned.extend((~served[keep]).astype(np.uint8).tobytes())
    kept = None if keep.all() else np.flatnonzero(keep).tolist()
    for category in parser.categories:
        values = names[category]
        if kept is not None:
            values = [values[i] for i in kept]
        codes = _codes(parser.code_of(category), parser.codes(category), values, parser.no_value)
        export.codes[category].extend(array("i", codes))


def _codes(
    code_of: Callable[[str], int],
    known: dict[str, int],
    values: list[str | None],
    none: int,
) -> list[int]:
    """The code of each name (``none`` for no name); new names are given the next codes."""
    lookup: dict[str | None, int] = {name: code for name, code in known.items()}
    lookup[None] = none
    codes = [lookup.get(v, -2) for v in values]
    if -2 in codes:
        for v in values:
            if v is not None and v not in lookup:
                lookup[v] = code_of(v)
        codes = [lookup[v] for v in values]
    return codes


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
