"""The ``--trace`` CSV: one row per engine event, written in batches of rows.

Compiled with the rest of the hot path (``chatassign/compiled.py``): a traced run
formats every event, so this is per-event code like the engine's.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Protocol

from chatassign.engine import EngineEvent
from chatassign.workload.quantities import DayStart

TRACE_HEADER = ("time_s", "replication", "event", "chat", "agent", "teamspace", "pool", "detail")

BATCH_ROWS = 4096
"""Rows formatted before they go to the file in one ``write`` call."""
_PLAIN_NAMES = 10_000
"""The most names ``TraceWriter`` remembers as plain."""


def time_text(time: float) -> str:
    """The trace's ``time_s``: seconds with six decimals (microseconds), never an exponent.

    Fixed decimals cost about a third of the shortest round-trip form (``repr``), which
    a traced run would pay for every event; a microsecond is far below any time a desk
    measures.
    """
    return f"{time:.6f}"


class TextSink(Protocol):
    """Where trace text goes: an open text file."""

    def write(self, text: str, /) -> int: ...


def trace_row(
    replication: int,
    event: EngineEvent,
    starts_at: DayStart | None = None,
    *,
    text: str | None = None,
) -> tuple[str, ...]:
    """One CSV row of the trace, in ``TRACE_HEADER`` order (time as ``time_text``).

    With ``starts_at`` the row ends with the event's clock time (``13:05:09``, ``+1d``
    past midnight). ``text``: the time's text, when the caller has it already.
    """
    chat = event.chat
    row = (
        time_text(event.time) if text is None else text,
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

    The bytes are exactly ``csv.writer``'s (``lineterminator="\n"``), made cheaper
    where a traced run spends its time: a row with no comma, quote or line break in
    any field is its fields joined by commas (what the csv module writes for it); any
    other row goes through the csv module. The names in events (agents, pools,
    details) come from a small set, so each is checked once and remembered as plain;
    a row of plain names is written in one string build. Events at one time (a
    handoff and its placement) print the time once.
    """

    def __init__(self, handle: TextSink, starts_at: DayStart | None = None) -> None:
        self._handle = handle
        self._quoted = io.StringIO()
        self._quoter = csv.writer(self._quoted, lineterminator="\n")
        header = TRACE_HEADER if starts_at is None else (*TRACE_HEADER, "clock")
        self._commas = len(header) - 1
        self._starts_at = starts_at
        self._lines: list[str] = []
        self._last_time = math.nan
        self._last_text = ""
        self._replication = 0
        self._replication_text = "0"
        self._last_chat: object = None
        self._chat_text = ""
        """The text of the last chat written (a handoff and its placement name one chat)."""
        self._plain: set[str] = {""}
        """Names seen to hold no comma, quote or line break."""
        handle.write(self._line(header))

    def __call__(self, replication: int, event: EngineEvent) -> None:
        time, name, chat, agent, teamspace, pool, detail = event
        if time != self._last_time or time == 0.0:  # 0.0 and -0.0 print differently
            self._last_time = time
            self._last_text = time_text(time)
        if replication != self._replication:
            self._replication = replication
            self._replication_text = str(replication)
        agent = agent or ""
        teamspace = teamspace or ""
        pool = pool or ""
        plain = self._plain
        if (
            type(chat) is not str
            and agent in plain
            and pool in plain
            and detail in plain
            and teamspace in plain
            and name in plain
        ):
            if chat is not self._last_chat:  # the same object: the same text
                self._last_chat = chat
                self._chat_text = "" if chat is None else str(chat)
            chat_text = self._chat_text
            starts_at = self._starts_at
            end = "\n"
            if starts_at is not None:  # digits, colons, a space and +1d: plain
                end = f",{starts_at.clock_at(time, seconds=True)}\n"
            line = (
                f"{self._last_text},{self._replication_text},{name},{chat_text},"
                f"{agent},{teamspace},{pool},{detail}{end}"
            )
        else:
            row = trace_row(replication, event, self._starts_at, text=self._last_text)
            line = self._line(row)
            self._remember((name, agent, teamspace, pool, detail))
        lines = self._lines
        lines.append(line)
        if len(lines) >= BATCH_ROWS:
            self.flush()

    def _remember(self, names: tuple[str, ...]) -> None:
        """Remember which of ``names`` are plain (at most ``_PLAIN_NAMES``: names repeat)."""
        plain = self._plain
        for text in names:
            if len(plain) < _PLAIN_NAMES and _is_plain(text):
                plain.add(text)

    def _line(self, row: tuple[str, ...]) -> str:
        """The CSV line of ``row``, with its line end."""
        line = ",".join(row)
        special = '"' in line or "\n" in line or "\r" in line
        if line.count(",") == self._commas and not special:
            return line + "\n"
        self._quoter.writerow(row)
        line = self._quoted.getvalue()
        self._quoted.seek(0)
        self._quoted.truncate()
        return line

    def flush(self) -> None:
        """Write the rows held so far."""
        if self._lines:
            self._handle.write("".join(self._lines))
            self._lines.clear()


def _is_plain(text: str) -> bool:
    """Whether ``text`` holds no comma, quote or line break (the csv module writes it as is)."""
    return not ("," in text or '"' in text or "\n" in text or "\r" in text)
