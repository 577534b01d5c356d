"""Pydantic validation errors turned into located problems with stable codes."""

from __future__ import annotations

import difflib
import types
import typing

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from chatassign.errors import Problem, Severity
from chatassign.scenario.models import FIELD_NAMES, UNION_TAGS, ScenarioModel
from chatassign.scenario.yamlsource import FieldPath, SourceMap, format_path

_OWN_CODES = frozenset(
    {
        "bad-duration",
        "bad-rate",
        "bad-distribution",
        "unknown-plan",
        "unknown-method",
        "bad-clock-time",
        "clock-without-start",
        "bad-start",
    }
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
        return "unknown-key", unknown_key_message(name, keys_at(path[:-1]))
    if kind == "missing":
        return "missing-key", f"{name!r} is required here; add it"
    if kind in ("finite_number", "float_parsing", "int_parsing_size"):
        return "bad-number", f"{detail['msg']}; write an ordinary finite number"
    return "wrong-type", f"{detail['msg'].rstrip('.')}; got {_shown(detail['input'])}"


KEY_SYNONYMS = {
    "cap": "max_auto_assigned",
    "capacity": "max_auto_assigned",
    "max_chats": "max_auto_assigned",
    "max_concurrent": "max_auto_assigned",
    "limit": "max_auto_assigned",
    "strategy": "method",
    "routing": "method",
    "team": "teams",
    "teamspace_id": "teamspace",
    "language": "languages",
    "aht": "handle_time",
    "handling_time": "handle_time",
    "arrival_rate": "rate",
}
"""Words people reach for, and the key the scenario format uses for them."""


def unknown_key_message(name: str, allowed: frozenset[str] | None) -> str:
    """Why ``name`` is refused, with the key probably meant among ``allowed`` (None: any)."""
    choices = sorted(allowed if allowed is not None else FIELD_NAMES)
    meant = KEY_SYNONYMS.get(name.lower())
    if meant not in choices:
        close = difflib.get_close_matches(name, [c for c in choices if c != name], n=1)
        meant = close[0] if close else None
    if meant is not None:
        return f"unknown key {name!r}; did you mean {meant!r}? remove it or fix its spelling"
    if allowed is not None and name in FIELD_NAMES:
        places = " or ".join(places_of(name)) or "elsewhere"
        where = ", ".join(choices)
        return f"{name!r} is not a key here but of {places}; the keys here are {where}"
    listed = f"; the keys here are {', '.join(choices)}" if allowed is not None else ""
    return f"unknown key {name!r}{listed}; remove it or fix its spelling"


def keys_at(path: FieldPath) -> frozenset[str] | None:
    """The keys a scenario file may write at ``path`` (a mapping's), None if not known."""
    found: list[object] = [ScenarioModel]
    for part in path:
        found = [inner for kind in _members(found) for inner in _step(kind, part)]
    models = [kind for kind in _members(found) if _is_model(kind)]
    if not models:
        return None
    return frozenset(
        info.alias or field
        for model in models
        for field, info in model.model_fields.items()  # type: ignore[attr-defined]
    )


def places_of(name: str) -> list[str]:
    """Where the key ``name`` may be written: ``workload``, ``teamspaces.<id>.assignment``."""
    places: list[str] = []
    pending: list[tuple[str, object]] = [("", ScenarioModel)]
    while pending:
        place, kind = pending.pop(0)
        for member in _members([kind]):
            origin, args = typing.get_origin(member), typing.get_args(member)
            if _is_model(member):
                fields = member.model_fields  # type: ignore[attr-defined]
                for field, info in fields.items():
                    key = info.alias or field
                    if key == name and place not in places:
                        places.append(place or "the top level")
                    pending.append((f"{place}.{key}".lstrip("."), info.annotation))
            elif origin is dict and len(args) == 2:
                pending.append((f"{place}.<id>", args[1]))
            elif origin is list and args:
                pending.append((f"{place}[i]", args[0]))
    return places


def _members(kinds: list[object]) -> list[object]:
    """``kinds`` with every union, Optional and Annotated taken apart."""
    result: list[object] = []
    for kind in kinds:
        origin = typing.get_origin(kind)
        if origin is typing.Annotated:
            result += _members([typing.get_args(kind)[0]])
        elif origin in (typing.Union, types.UnionType):
            result += _members(list(typing.get_args(kind)))
        else:
            result.append(kind)
    return result


def _step(kind: object, part: str | int) -> list[object]:
    """What ``kind`` holds under ``part``: a field's type, a dict's value, a list's item."""
    if _is_model(kind) and isinstance(part, str):
        fields = kind.model_fields  # type: ignore[attr-defined]
        return [info.annotation for field, info in fields.items() if (info.alias or field) == part]
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is dict and isinstance(part, str) and len(args) == 2:
        return [args[1]]
    if origin is list and isinstance(part, int) and args:
        return [args[0]]
    return []


def _is_model(kind: object) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
