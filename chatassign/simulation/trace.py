"""The ``--trace`` CSV: one row per engine event, written in batches of rows.

Compiled with the rest of the hot path (``chatassign/compiled.py``): a traced run
formats every event, so this is per-event code like the engine's.
"""

from __future__ import annotations

import csv
from typing import Protocol

from chatassign.engine import EngineEvent
from chatassign.workload.quantities import DayStart

TRACE_HEADER = ("time_s", "replication", "event", "chat", "agent", "teamspace", "pool", "detail")

BATCH_ROWS = 4096
"""Rows formatted before they go to the file in one ``writerows`` call."""


class TextSink(Protocol):
    """Where trace text goes: an open text file."""

    def write(self, text: str, /) -> int: ...


def trace_row(
    replication: int, event: EngineEvent, starts_at: DayStart | None = None
) -> tuple[str, ...]:
    """One CSV row of the trace, in ``TRACE_HEADER`` order (time with full precision).

    With ``starts_at`` the row ends with the event's clock time (``13:05:09``, ``+1d``
    past midnight).
    """
    chat = event.chat
    row = (
        repr(float(event.time)),
        str(replication),
        event.event,
        "" if chat is None else str(chat),
        event.agent or "",
        event.teamspace or "",
        event.pool or "",
        event.detail,
    )
    if starts_at is None:
        return row
    return (*row, starts_at.clock_at(event.time, seconds=True))


class TraceWriter:
    """A trace sink (``TraceSink``): the header at once, then rows in batches.

    With ``starts_at`` every row ends with its clock time (column ``clock``). ``flush``
    writes the rows still held; call it before closing the file.
    """

    def __init__(self, handle: TextSink, starts_at: DayStart | None = None) -> None:
        self._writer = csv.writer(handle, lineterminator="\n")
        self._writer.writerow(TRACE_HEADER if starts_at is None else (*TRACE_HEADER, "clock"))
        self._starts_at = starts_at
        self._rows: list[tuple[str, ...]] = []

    def __call__(self, replication: int, event: EngineEvent) -> None:
        rows = self._rows
        rows.append(trace_row(replication, event, self._starts_at))
        if len(rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the rows held so far."""
        self._writer.writerows(self._rows)
        self._rows.clear()
