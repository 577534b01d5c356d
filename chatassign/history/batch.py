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
    # Without an outcome column a chat is served when it was assigned to someone.
    served = marked if marked is not None else ~np.isnan(assigned) | (~np.isnan(wait) & has_agent)
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
    kept = np.flatnonzero(keep).tolist()
    for category in parser.categories:
        values = names[category]
        codes = _codes(parser.code_of(category), [values[i] for i in kept], parser.no_value)
        export.codes[category].extend(array("i", codes))


def _codes(code_of: Callable[[str], int], values: list[str | None], none: int) -> list[int]:
    return [none if v is None else code_of(v) for v in values]


def _present(text: str | None, missing: frozenset[str]) -> str:
    if text is None or text in missing:
        raise _RefusedError
    return text


def _seconds(text: str) -> float:
    number = float(text)
    if not math.isfinite(number) or number < 0:
        raise _RefusedError
    return number
