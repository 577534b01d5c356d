"""Pydantic validation errors turned into located problems with stable codes."""

from __future__ import annotations

import difflib

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from chatassign.scenario.models import FIELD_NAMES, UNION_TAGS
from chatassign.scenario.problems import Problem, Severity
from chatassign.scenario.yamlsource import FieldPath, SourceMap, format_path

_OWN_CODES = frozenset(
    {"bad-duration", "bad-rate", "bad-distribution", "unknown-plan", "unknown-method"}
)


def schema_problems(error: ValidationError, *, file: str, source: SourceMap) -> list[Problem]:
    """One problem per pydantic error, located at the YAML node it concerns."""
    return [_problem(detail, file=file, source=source) for detail in error.errors()]


def _problem(detail: ErrorDetails, *, file: str, source: SourceMap) -> Problem:
    path: FieldPath = tuple(part for part in detail["loc"] if part not in UNION_TAGS)
    kind = detail["type"]
    code, message = _describe(kind, path, detail)
    _, where = source.locate(path, key=kind == "extra_forbidden")
    return Problem(file, where.line, where.column, format_path(path), Severity.ERROR, code, message)


def _describe(kind: str, path: FieldPath, detail: ErrorDetails) -> tuple[str, str]:
    name = str(path[-1]) if path else ""
    if kind in _OWN_CODES:
        return kind, detail["msg"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(name, FIELD_NAMES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return "unknown-key", f"unknown key {name!r}; {hint}remove it or fix its spelling"
    if kind == "missing":
        return "missing-key", f"{name!r} is required here; add it"
    if kind in ("finite_number", "float_parsing", "int_parsing_size"):
        return "bad-number", f"{detail['msg']}; write an ordinary finite number"
    return "wrong-type", f"{detail['msg'].rstrip('.')}; got {_shown(detail['input'])}"


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
