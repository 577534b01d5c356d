"""Reading a desk's export (CSV or JSON lines, optionally gzip) into compact columns.

Only the columns the mapping names are ever looked at: every other value of a row is
dropped as soon as the row is split, so customer names, e-mails or message text never
reach a result, a message or a cache. Rows stream through; what is kept is a few
numbers per chat (about 40 bytes), so a million rows fit in well under 1 GiB.

A malformed row (a bad timestamp, an end before its start, an unknown outcome, a
missing required value) is an error naming the file, the line and the column; with
``skip_bad_rows`` it is counted and left out instead.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import itertools
import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from chatassign.errors import ExportError
from chatassign.history.batch import BATCH, add_batch
from chatassign.history.export_files import (
    Values,
    csv_values,
    jsonl_values,
    located_csv_rows,
    located_jsonl_rows,
    open_export,
)
from chatassign.history.mapping import ExportMapping
from chatassign.history.timestamps import TimestampParser

MAX_MESSAGES = 20
"""Most row errors listed in one message (the count covers them all)."""
SKIPPED_SHOWN = 5
"""How many skipped rows a report shows."""

CATEGORIES = ("agent", "team", "language", "ai_agent")
"""The text fields kept per chat, each as an index into its list of names."""

NO_VALUE = -1
"""The index stored for a missing name."""


@dataclass
class Export:
    """The chats of an export, one entry per used row, in file order.

    Times are epoch seconds; ``wait`` is handoff to assignment (served) or to leaving
    (abandoned); ``duration`` is assignment to close (NaN for abandoned chats).
    """

    file: str
    handed_off: array[float] = field(default_factory=lambda: array("d"))
    wait: array[float] = field(default_factory=lambda: array("d"))
    duration: array[float] = field(default_factory=lambda: array("d"))
    abandoned: bytearray = field(default_factory=bytearray)
    codes: dict[str, array[int]] = field(
        default_factory=lambda: {name: array("i") for name in CATEGORIES}
    )
    names: dict[str, list[str]] = field(default_factory=lambda: {name: [] for name in CATEGORIES})
    rows_read: int = 0
    ignored: Counter[str] = field(default_factory=Counter)
    """Rows left out on purpose, by reason (an outcome to ignore)."""
    skipped: int = 0
    skipped_examples: list[str] = field(default_factory=list)
    """The first few skipped bad rows, located (``file:line: column 'x': ...``)."""
    mapped: frozenset[str] = frozenset()
    """The chatassign fields the mapping names."""

    def __len__(self) -> int:
        return len(self.handed_off)

    def name_of(self, category: str, index: int) -> str | None:
        """The name behind code ``index`` of ``category`` (None for no value)."""
        code = self.codes[category][index]
        return None if code == NO_VALUE else self.names[category][code]

    def served(self, index: int) -> bool:
        """Whether chat ``index`` was assigned to an agent."""
        return not self.abandoned[index]

    def view(self) -> Columns:
        """The columns as numpy arrays (the float columns without a copy)."""
        return Columns(
            handed_off=np.frombuffer(self.handed_off) if len(self) else np.zeros(0),
            wait=np.frombuffer(self.wait) if len(self) else np.zeros(0),
            duration=np.frombuffer(self.duration) if len(self) else np.zeros(0),
            abandoned=np.frombuffer(bytes(self.abandoned), dtype=np.uint8).astype(bool),
            codes={name: np.array(self.codes[name], dtype=np.int64) for name in CATEGORIES},
        )


@dataclass(frozen=True)
class Columns:
    """An export's columns as arrays (see :class:`Export` for their meaning)."""

    handed_off: npt.NDArray[np.float64]
    wait: npt.NDArray[np.float64]
    duration: npt.NDArray[np.float64]
    abandoned: npt.NDArray[np.bool_]
    codes: dict[str, npt.NDArray[np.int64]]


class RowError(Exception):
    """One value of one row is wrong; ``column`` is the export's column name."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


Reader = Callable[[Values], float | None]


class RowParser:
    """Turns one row's mapped values into a chat, or raises RowError.

    Each field gets its own small reader function, built once: reading a row is then
    a handful of calls, which matters on a million rows.
    """

    def __init__(self, mapping: ExportMapping, export: Export) -> None:
        self.mapping = mapping
        self.export = export
        self.times = TimestampParser(mapping.timezone)
        self.position = {name: i for i, name in enumerate(mapping.source_columns)}
        self._interned: dict[str, dict[str, int]] = {name: {} for name in CATEGORIES}
        self.handed = self._stamp("handed_off_at")
        self.assigned = self._stamp("assigned_at")
        self.closed = self._stamp("closed_at")
        self.left = self._stamp("abandoned_at")
        self.wait = self._seconds("wait")
        self.handle = self._seconds("handle_time")
        self.texts = [(name, self._text(name)) for name in (*CATEGORIES, "outcome")]
        self.needs_agent = "agent" in mapping.columns
        self.categories = CATEGORIES
        self.no_value = NO_VALUE

    def codes(self, category: str) -> dict[str, int]:
        """Name -> code of every name of ``category`` seen so far."""
        return self._interned[category]

    def code_of(self, category: str) -> Callable[[str], int]:
        """A function giving the code of a name of ``category`` (new names get the next)."""
        interned, names = self._interned[category], self.export.names[category]

        def code(text: str) -> int:
            found = interned.get(text)
            if found is None:
                found = interned[text] = len(interned)
                names.append(text)
            return found

        return code

    def _text(self, name: str) -> Callable[[Values], str | None]:
        column = self.mapping.columns.get(name)
        if not isinstance(column, str):
            return lambda values: None
        index, missing = self.position[column], self.mapping.missing

        def read(values: Values) -> str | None:
            text = values[index]
            return None if text is None or text in missing else text

        return read

    def _stamp(self, name: str) -> Reader:
        """A reader of timestamp field ``name``: epoch seconds, None when unmapped or missing."""
        column = self.mapping.columns.get(name)
        missing, parse = self.mapping.missing, self.times.parse
        if column is None:
            return lambda values: None
        if isinstance(column, str):
            index = self.position[column]

            def read(values: Values) -> float | None:
                text = values[index]
                if text is None or text in missing:
                    return None
                try:
                    return parse(text)
                except ValueError as error:
                    raise RowError(column, f"{_shown(text)} is {error}") from None

            return read
        first, second = (self.position[c] for c in column)
        pair = self.times.parse_pair

        def read_pair(values: Values) -> float | None:
            date, time = values[first], values[second]
            if date is None or date in missing:
                return None
            if time is None or time in missing:
                raise RowError(column[1], "the time is missing while the date is given")
            try:
                return pair(date, time)
            except ValueError as error:
                shown = _shown(f"{date} {time}")
                raise RowError(f"{column[0]}+{column[1]}", f"{shown} is {error}") from None

        return read_pair

    def _seconds(self, name: str) -> Reader:
        """A reader of duration field ``name`` in seconds (non-negative, finite)."""
        text_of = self._text(name)
        column = self._column(name)

        def read(values: Values) -> float | None:
            text = text_of(values)
            if text is None:
                return None
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or number < 0:
                raise RowError(column, f"{_shown(text)} is not a number of seconds")
            return number

        return read

    def add(self, values: Values) -> str | None:
        """Parse and store one row; the reason when it is ignored on purpose."""
        texts = {name: read(values) for name, read in self.texts}
        meaning = self._meaning(texts["outcome"])
        if meaning == "ignore":
            return f"outcome {texts['outcome']!r} (ignore)"
        handed = self.handed(values)
        if handed is None:
            raise RowError(self._column("handed_off_at"), "the handoff time is missing")
        assigned = self.assigned(values)
        wait = self.wait(values)
        if meaning is None:
            # Without an outcome column a chat is served when it was assigned: it has an
            # assignment time, or a wait and an agent (no agent column: and a handle time).
            taken = wait is not None and (
                texts["agent"] is not None if self.needs_agent else self.handle(values) is not None
            )
            meaning = "served" if assigned is not None or taken else "abandoned"
        if meaning == "served":
            if assigned is None and wait is not None:
                assigned = handed + wait
            wait, duration = self._served(values, texts, handed, assigned)
        else:
            wait, duration = self._abandoned(values, handed, wait), math.nan
        export = self.export
        export.handed_off.append(handed)
        export.wait.append(wait)
        export.duration.append(duration)
        export.abandoned.append(meaning == "abandoned")
        for category in CATEGORIES:
            export.codes[category].append(self._code(category, texts[category]))
        return None

    def _served(
        self, values: Values, texts: dict[str, str | None], handed: float, assigned: float | None
    ) -> tuple[float, float]:
        if assigned is None:
            column = self._column("assigned_at", "wait")
            raise RowError(column, "a served chat needs its assignment time")
        if assigned < handed:
            column = self._column("assigned_at", "wait")
            raise RowError(column, "the assignment is before the handoff")
        closed = self.closed(values)
        if closed is None:
            handle = self.handle(values)
            closed = None if handle is None else assigned + handle
        if closed is None:
            raise RowError(self._column("closed_at", "handle_time"), "a served chat needs its end")
        if closed < assigned:
            column = self._column("closed_at", "handle_time")
            raise RowError(column, "the chat ends before it was assigned")
        if self.needs_agent and texts["agent"] is None:
            raise RowError(self._column("agent"), "a served chat needs its agent")
        return assigned - handed, closed - assigned

    def _abandoned(self, values: Values, handed: float, wait: float | None) -> float:
        left = self.left(values)
        if left is None and wait is not None:
            left = handed + wait
        if left is None:
            left = self.closed(values)
        column = self._column("abandoned_at", "closed_at", "wait")
        if left is None:
            raise RowError(column, "an abandoned chat needs the time the customer left")
        if left < handed:
            raise RowError(column, "the customer left before the handoff")
        return left - handed

    def _meaning(self, text: str | None) -> str | None:
        outcomes = self.mapping.outcomes
        if outcomes is None:
            return None
        if text is None:
            raise RowError(self._column("outcome"), "the outcome is missing")
        meaning = outcomes.get(text)
        if meaning is None:
            message = f"unknown outcome {_shown(text)}; list it under `outcomes:`"
            raise RowError(self._column("outcome"), message)
        return meaning

    def _code(self, category: str, text: str | None) -> int:
        if text is None:
            return NO_VALUE
        interned = self._interned[category]
        code = interned.get(text)
        if code is None:
            code = interned[text] = len(interned)
            self.export.names[category].append(text)
        return code

    def _column(self, *fields: str) -> str:
        for name in fields:
            column = self.mapping.columns.get(name)
            if column is not None:
                return column if isinstance(column, str) else "+".join(column)
        return fields[0]


def read_export(path: Path, mapping: ExportMapping, *, skip_bad_rows: bool = False) -> Export:
    """Every chat of the export at ``path``; raises ExportError for any bad row.

    With ``skip_bad_rows`` a bad row is counted and left out instead, and the first
    few are kept (located) for the report.

    Rows are split without tracking their line numbers and read a batch at a time
    (``batch.py``). A batch that is refused is read again row by row from a second
    handle on the file, which knows each row's line; that handle only moves forward,
    so a file is split at most twice.
    """
    file = str(path)
    export = Export(file=file, mapped=frozenset(mapping.columns))
    parser = RowParser(mapping, export)
    problems = _Problems(file, export, skip_bad_rows=skip_bad_rows)
    csv_format = mapping.format_for(path) == "csv"
    with _collector_paused(), open_export(path) as handle, open_export(path) as again:
        fast = csv_values(handle, mapping, file) if csv_format else jsonl_values(handle, mapping)
        located = (located_csv_rows if csv_format else located_jsonl_rows)(again, mapping, file)
        done = position = 0
        while True:
            try:
                chunk: list[Values] | None = list(itertools.islice(fast, BATCH))
            except (IndexError, ValueError, csv.Error, ExportError):
                chunk = None  # a short, blank or malformed row: the rest goes row by row
            if chunk == []:
                break
            if chunk is not None and add_batch(parser, chunk):
                export.rows_read += len(chunk)
                done += len(chunk)
                continue
            for _ in itertools.islice(located, done - position):
                pass
            position = done
            rows = located if chunk is None else itertools.islice(located, len(chunk))
            for line, values in rows:
                position += 1
                export.rows_read += 1
                problems.add(parser, line, values)
            done = position
            if chunk is None:
                break
    problems.raise_any()
    return export


class _Problems:
    """Rows read one at a time: their errors, or (skipping) their count and first few."""

    def __init__(self, file: str, export: Export, *, skip_bad_rows: bool) -> None:
        self.file, self.export, self.skip = file, export, skip_bad_rows
        self.errors: list[str] = []
        self.count = 0

    def add(self, parser: RowParser, line: int, values: Values) -> None:
        """Read one row; a bad one is remembered (or counted and skipped)."""
        export = self.export
        try:
            reason = parser.add(values)
        except RowError as error:
            message = f"{self.file}:{line}: column {error.column!r}: {error}"
            self.count += 1
            if self.skip:
                export.skipped += 1
                if len(export.skipped_examples) < SKIPPED_SHOWN:
                    export.skipped_examples.append(message)
            elif len(self.errors) < MAX_MESSAGES:
                self.errors.append(message)
            return
        if reason is not None:
            export.ignored[reason] += 1

    def raise_any(self) -> None:
        """Raise the ExportError listing the bad rows, if there were any (and no skipping)."""
        if not self.errors:
            return
        count, shown = self.count, len(self.errors)
        more = [f"... and {count - shown} more"] if count > shown else []
        hint = "fix the rows, or pass --skip-bad-rows to leave them out"
        header = f"{self.file}: {count} bad row{'s' * (count != 1)} ({hint})"
        raise ExportError("\n".join([header, *self.errors, *more]))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the rows stream through (as it was after).

    Reading makes millions of short-lived tuples and lists but no reference cycles, so the
    collector would only walk the batch in memory again and again: about a tenth of the
    time of reading a million rows.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")
