"""An export file opened (gzip or not, UTF-8) and split into each row's mapped values.

Two ways through a file: ``csv_values``/``jsonl_values`` split every row in C without
tracking its line (the fast path, read a batch at a time), and
``located_csv_rows``/``located_jsonl_rows`` give each row with its line number, for
the rows ``read_export`` reads one at a time. Only the mapped columns are picked: every
other value is dropped as soon as a row is split.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import json
import operator
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from chatassign.errors import ExportError
from chatassign.history.mapping import ExportMapping

if TYPE_CHECKING:
    from _csv import Reader

_FIELD_LIMIT = 64 * 1024 * 1024
"""Longest CSV field accepted (unmapped message text can be long; it is still dropped)."""

Values = Sequence[str | None]
"""One row's mapped values, in ``ExportMapping.source_columns`` order (None: JSON null)."""


def csv_values(handle: TextIO, mapping: ExportMapping, file: str) -> Iterator[Values]:
    """The mapped values of every row, split in C: no line numbers, IndexError on a short
    (or blank) row."""
    reader, _, positions = _csv_header(handle, mapping, file)
    if len(positions) == 1:
        return ((row[positions[0]],) for row in reader)
    return map(operator.itemgetter(*positions), reader)


def jsonl_values(handle: TextIO, mapping: ExportMapping) -> Iterator[Values]:
    """The mapped values of every JSON line, without line numbers (errors unlocated)."""
    columns = mapping.source_columns
    for text in handle:
        if text.strip():
            record = json.loads(text)
            if not isinstance(record, dict):
                raise ExportError("not an object")
            yield tuple(_json_text(record.get(name)) for name in columns)


@contextlib.contextmanager
def open_export(path: Path) -> Iterator[TextIO]:
    """The export at ``path`` as text; ExportError for a missing, unreadable, damaged
    (gzip) or non-UTF-8 file, while opening or while reading inside the block."""
    if path.is_dir():
        raise ExportError(f"{path}: this is a folder; give the export file")
    if not path.exists():
        raise ExportError(f"{path}: no such export file")
    compressed = path.suffix.lower() == ".gz"
    try:
        if compressed:
            # Closed in the finally below; a with block cannot wrap the yield's errors.
            handle: TextIO = gzip.open(path, "rt", encoding="utf-8-sig", newline="")  # noqa: SIM115
        else:
            handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ExportError(f"{path}: cannot read the file: {error.strerror or error}") from None
    try:
        yield handle
    except UnicodeDecodeError:
        raise ExportError(f"{path}: the file is not UTF-8 text; save it as UTF-8") from None
    except (gzip.BadGzipFile, EOFError, OSError) as error:
        kind = "a damaged or truncated gzip file" if compressed else "unreadable"
        raise ExportError(f"{path}: {kind} ({type(error).__name__})") from None
    finally:
        handle.close()


def located_csv_rows(
    handle: TextIO, mapping: ExportMapping, file: str
) -> Iterator[tuple[int, Values]]:
    """Each row's line (where it starts) and mapped values; ExportError for a short row or
    malformed CSV, located."""
    reader, header, positions = _csv_header(handle, mapping, file)
    try:
        width = max(positions) + 1
        pick = operator.itemgetter(*positions)
        single = len(positions) == 1
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if len(row) < width:
                if not row:
                    continue
                raise ExportError(
                    f"{file}:{start}: the row has {len(row)} fields, fewer than the header's "
                    f"{len(header)}"
                )
            yield start, (pick(row),) if single else pick(row)
    except csv.Error as error:
        raise ExportError(f"{file}:{reader.line_num}: malformed CSV ({error})") from None


def _csv_header(
    handle: TextIO, mapping: ExportMapping, file: str
) -> tuple[Reader, list[str], list[int]]:
    """A CSV reader past the header, the header, and where each mapped column is in it."""
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    reader = csv.reader(handle, delimiter=mapping.delimiter, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise ExportError(f"{file}:{reader.line_num}: malformed CSV ({error})") from None
    if header is None:
        raise ExportError(f"{file}: the file is empty; an export starts with a header row")
    return reader, header, _header_positions(header, mapping, file)


def _header_positions(header: list[str], mapping: ExportMapping, file: str) -> list[int]:
    index = {name.strip(): i for i, name in reversed(list(enumerate(header)))}
    missing = [name for name in mapping.source_columns if name not in index]
    if missing:
        names = ", ".join(repr(name) for name in missing)
        raise ExportError(f"{file}:1: the header has no column {names} (named in the mapping)")
    return [index[name] for name in mapping.source_columns]


def located_jsonl_rows(
    handle: TextIO, mapping: ExportMapping, file: str
) -> Iterator[tuple[int, Values]]:
    """Each JSON line's number and mapped values; ExportError for a bad line, located."""
    columns = mapping.source_columns
    for line, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            raise ExportError(f"{file}:{line}: not valid JSON (column {error.colno})") from None
        if not isinstance(record, dict):
            raise ExportError(f"{file}:{line}: a JSON line must hold an object {{...}}")
        yield line, [_json_text(record.get(name)) for name in columns]


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True)
