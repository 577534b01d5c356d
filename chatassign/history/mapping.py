"""Mapping files: how to read a desk's export (format, time zone, columns, outcomes).

A mapping is a small YAML file read with the scenario package's locating loader, so
every mistake is reported as ``file:line:col: path: message`` like a scenario's.
Unknown keys are refused. The result is a plain :class:`ExportMapping`.
"""

from __future__ import annotations

import difflib
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from chatassign.errors import ExportError, Problem, Severity, sorted_problems
from chatassign.scenario.yamlsource import FieldPath, SourceMap, format_path, parse_yaml, read_text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DateTimeColumns(_Model):
    """A timestamp written in two columns: ``{date: COL, time: COL}``."""

    date: str = Field(min_length=1)
    time: str = Field(min_length=1)


TimestampColumn = str | DateTimeColumns


class ColumnsModel(_Model):
    """``columns``: chatassign field -> the export's column (or date/time pair)."""

    id: str | None = None
    handed_off_at: TimestampColumn
    assigned_at: TimestampColumn | None = None
    wait: str | None = None
    closed_at: TimestampColumn | None = None
    handle_time: str | None = None
    abandoned_at: TimestampColumn | None = None
    agent: str | None = None
    team: str | None = None
    language: str | None = None
    ai_agent: str | None = None
    outcome: str | None = None


class OutcomesModel(_Model):
    """``outcomes``: which export values mean served, abandoned, or a row to ignore."""

    served: list[str] = []
    abandoned: list[str] = []
    ignore: list[str] = []


class MappingModel(_Model):
    """A whole mapping file."""

    format: Literal["csv", "jsonl"] | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    timezone: str = "UTC"
    columns: ColumnsModel
    outcomes: OutcomesModel | None = None
    missing: list[str] = [""]


FIELDS = tuple(ColumnsModel.model_fields)
"""The chatassign fields a mapping can name, in file order."""

_KEYS = frozenset(
    name
    for model in (MappingModel, ColumnsModel, OutcomesModel, DateTimeColumns)
    for name in model.model_fields
)


@dataclass(frozen=True)
class ExportMapping:
    """How to read one export: checked, with every column it may read."""

    format: Literal["csv", "jsonl"] | None
    delimiter: str
    timezone: zoneinfo.ZoneInfo
    columns: dict[str, str | tuple[str, str]]
    """chatassign field -> a column name, or a (date column, time column) pair."""
    outcomes: dict[str, str] | None
    """export value -> ``served`` | ``abandoned`` | ``ignore``; None: no outcome column."""
    missing: frozenset[str]

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Every export column the mapping reads, in field order, without repeats."""
        names: list[str] = []
        for value in self.columns.values():
            names += [value] if isinstance(value, str) else list(value)
        return tuple(dict.fromkeys(names))

    def format_for(self, path: Path) -> Literal["csv", "jsonl"]:
        """The format of ``path``: as mapped, else from its suffix (``.gz`` aside)."""
        if self.format is not None:
            return self.format
        suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
        return "jsonl" if suffixes and suffixes[-1] in (".jsonl", ".ndjson", ".json") else "csv"


def load_mapping(path: Path) -> ExportMapping:
    """The mapping in ``path``; raises ExportError listing every located problem."""
    file = str(path)
    text, problems = read_text(path, file=file)
    if text is None:
        raise _invalid(problems)
    document, problems = parse_yaml(text, file=file)
    if document is None or problems:
        raise _invalid(problems)
    if not isinstance(document.data, dict):
        raise _invalid([_problem(file, 1, 1, "", "not-a-mapping", "a mapping file is a mapping")])
    try:
        model = MappingModel.model_validate(document.data)
    except ValidationError as error:
        raise _invalid(
            [_schema_problem(d, file=file, source=document.source) for d in error.errors()]
        ) from None
    found = _semantic_problems(model, file=file, source=document.source)
    if found:
        raise _invalid(found)
    return _to_mapping(model)


def _semantic_problems(model: MappingModel, *, file: str, source: SourceMap) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: FieldPath, code: str, message: str) -> None:
        _, where = source.locate(path)
        problems.append(_problem(file, where.line, where.column, format_path(path), code, message))

    columns = model.columns
    if columns.assigned_at is None and columns.wait is None:
        add(("columns",), "missing-key", "map `assigned_at` (a timestamp) or `wait` (seconds)")
    if columns.closed_at is None and columns.handle_time is None:
        add(("columns",), "missing-key", "map `closed_at` (a timestamp) or `handle_time` (seconds)")
    for both in (("assigned_at", "wait"), ("closed_at", "handle_time")):
        if all(getattr(columns, name) is not None for name in both):
            add(
                ("columns", both[1]),
                "conflicting-keys",
                f"map `{both[0]}` or `{both[1]}`, not both",
            )
    try:
        zoneinfo.ZoneInfo(model.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        add(
            ("timezone",),
            "unknown-timezone",
            f"unknown time zone {model.timezone!r}; e.g. Europe/Berlin",
        )
    if model.outcomes is not None and columns.outcome is None:
        add(
            ("outcomes",),
            "missing-key",
            "`outcomes` needs `columns.outcome`, the column they are in",
        )
    if columns.outcome is not None and model.outcomes is None:
        add(("columns", "outcome"), "missing-key", "map the outcome values under `outcomes:`")
    if model.outcomes is not None:
        seen: dict[str, str] = {}
        for meaning in ("served", "abandoned", "ignore"):
            for i, value in enumerate(getattr(model.outcomes, meaning)):
                if value in seen and seen[value] != meaning:
                    message = f"{value!r} is listed under both {seen[value]} and {meaning}"
                    add(("outcomes", meaning, i), "conflicting-outcome", message)
                seen.setdefault(value, meaning)
    return problems


def _to_mapping(model: MappingModel) -> ExportMapping:
    columns: dict[str, str | tuple[str, str]] = {}
    for name in FIELDS:
        value = getattr(model.columns, name)
        if isinstance(value, DateTimeColumns):
            columns[name] = (value.date, value.time)
        elif value is not None:
            columns[name] = value
    outcomes: dict[str, str] | None = None
    if model.outcomes is not None:
        outcomes = {}
        for meaning in ("served", "abandoned", "ignore"):
            for value in getattr(model.outcomes, meaning):
                outcomes.setdefault(value, meaning)
    return ExportMapping(
        format=model.format,
        delimiter=model.delimiter,
        timezone=zoneinfo.ZoneInfo(model.timezone),
        columns=columns,
        outcomes=outcomes,
        missing=frozenset(model.missing),
    )


def _schema_problem(detail: ErrorDetails, *, file: str, source: SourceMap) -> Problem:
    path: FieldPath = tuple(
        part for part in detail["loc"] if part not in ("str", "DateTimeColumns")
    )
    kind = detail["type"]
    name = str(path[-1]) if path else ""
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(name, _KEYS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        code, message = "unknown-key", f"unknown key {name!r}; {hint}remove it or fix its spelling"
    elif kind == "missing":
        code, message = "missing-key", f"{name!r} is required here; add it"
    elif kind == "literal_error":
        code, message = "wrong-value", f"{detail['msg']}"
    else:
        code, message = "wrong-type", detail["msg"].rstrip(".")
    _, where = source.locate(path, key=kind == "extra_forbidden")
    return _problem(file, where.line, where.column, format_path(path), code, message)


def _problem(file: str, line: int, column: int, path: str, code: str, message: str) -> Problem:
    return Problem(file, line, column, path, Severity.ERROR, code, message)


def _invalid(problems: list[Problem]) -> ExportError:
    lines = [p.describe() for p in sorted_problems(problems)]
    count = len(lines)
    return ExportError("\n".join([f"invalid mapping: {count} error{'s' * (count != 1)}", *lines]))
