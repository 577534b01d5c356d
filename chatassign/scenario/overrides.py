"""What-if overrides of a scenario: ``--set KEY=VALUE`` and ``--cap N``.

An override edits the scenario's YAML document *before* validation, so the result
is checked exactly like a file that said the same thing (schema, cross references,
plan gating, workload checks). ``KEY`` is a dotted path into the file
(``teamspaces.support.assignment.max_auto_assigned``, ``workload.arrivals.helpbot.rate``);
list items are ``[i]`` or ``.i`` (``workload.shifts.alice[0].to``); ``*`` stands for
every key of a mapping (``teamspaces.*.assignment.max_auto_assigned``). ``VALUE`` is
read as YAML with the file's own rules (``4`` is a number, ``200/h`` and ``no`` are
text, ``[1, 1.3]`` is a list, nothing at all is null).

A key that leads nowhere is a usage error naming the ``--set`` argument and the keys
that do exist; a value the file's rules reject is reported against its ``--set``
argument instead of a line of the file. Public API:

* :func:`parse_override` / :func:`parse_overrides` — ``KEY=VALUE`` text to :class:`Override`;
* :func:`cap_override` — the override ``--cap N`` stands for;
* :func:`apply_overrides` — a new document with the overrides applied;
* :func:`read_source` then :func:`build_scenario` — read a file once, build many variants;
* :func:`load_scenario` — both in one call (no path: the built-in example).
"""

from __future__ import annotations

import copy
import os
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from chatassign.errors import InvalidOverrideError, OverrideUsageError
from chatassign.scenario import (
    InvalidScenarioError,
    MissingScenarioFileError,
    Problem,
    example_scenario_path,
    read_document,
    scenario_from_document,
)
from chatassign.scenario.models import ScenarioModel
from chatassign.scenario.yamlsource import (
    STDIN_NAME,
    FieldPath,
    YamlDocument,
    YamlValue,
    format_path,
    is_stdin,
    parse_yaml,
)
from chatassign.workload.values import Scenario

WILDCARD = "*"
CAP_KEY = "teamspaces.*.assignment.max_auto_assigned"
"""The key ``--cap N`` sets: the cap of every teamspace."""

_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Override:
    """One ``KEY=VALUE`` edit of a scenario document."""

    argument: str
    """The text as the user gave it, for messages (``--set`` + this)."""
    path: FieldPath
    """The key as parts: text for mapping keys (``*`` for all), numbers for list items."""
    value: YamlValue
    option: str = "--set"
    """The option it came from (``sweep --vary`` values are overrides too)."""

    @property
    def key(self) -> str:
        """The key as written in dotted form."""
        return format_path(self.path)

    @property
    def label(self) -> str:
        """How messages name it: ``--set KEY=VALUE``."""
        return f"{self.option} {self.argument}"


def parse_override(argument: str, *, option: str = "--set") -> Override:
    """``KEY=VALUE`` as an :class:`Override`; InvalidOverrideError if it is not of that form.

    ``option`` is what messages name it by (``--set``, or ``--vary`` for a grid value).
    """
    key, sep, text = argument.partition("=")
    label = f"{option} {argument}"
    if not sep:
        raise OverrideUsageError(
            f"{label}: expected KEY=VALUE, e.g. teamspaces.support.assignment.max_auto_assigned=4"
        )
    path = _parse_key(key.strip(), label)
    return Override(argument, path, _parse_value(text, label), option)


def parse_overrides(arguments: Sequence[str]) -> tuple[Override, ...]:
    """Every ``--set`` argument, in order (a later one wins on the same key)."""
    return tuple(parse_override(argument) for argument in arguments)


def cap_override(cap: int) -> Override:
    """The override ``--cap N`` stands for: every teamspace's ``max_auto_assigned``."""
    return Override(f"{CAP_KEY}={cap}", _parse_key(CAP_KEY, "--cap"), cap)


def _parse_key(key: str, label: str) -> FieldPath:
    if not key:
        raise OverrideUsageError(f"{label}: the key before '=' is empty")
    parts: list[str | int] = []
    for segment in key.split("."):
        pos = 0
        if not segment:
            raise OverrideUsageError(f"{label}: the key {key!r} has an empty part")
        while pos < len(segment):
            match = _KEY_PART.match(segment, pos)
            if match is None:
                raise OverrideUsageError(f"{label}: cannot read the key part {segment!r}")
            name, index = match.groups()
            parts.append(int(index) if index is not None else _index_or_name(name))
            pos = match.end()
    return tuple(parts)


def _index_or_name(name: str) -> str | int:
    return int(name) if name.isdigit() else name


def _parse_value(text: str, label: str) -> YamlValue:
    if not text.strip():
        return None
    document, problems = parse_yaml(text, file=label)
    if document is None or problems:
        reason = problems[0].message if problems else "cannot read it"
        raise OverrideUsageError(f"{label}: the value is not valid YAML: {reason}")
    return document.data


# ------------------------------------------------------------------ applying


def apply_overrides(
    data: YamlValue, overrides: Sequence[Override]
) -> tuple[YamlValue, dict[str, Override]]:
    """A copy of ``data`` with ``overrides`` applied in order, and who set each path.

    The second value maps every concrete path written (``*`` expanded) to its
    override. A missing mapping that the schema defines (``assignment`` of a teamspace
    that uses the defaults) is created; a missing entry of a collection
    (``teamspaces.suport``) or an unknown field is an InvalidOverrideError.
    """
    result = copy.deepcopy(data)
    written: dict[str, Override] = {}
    for override in overrides:
        for path in _assign(result, override):
            written[format_path(path)] = override
    return result, written


def _assign(root: YamlValue, override: Override) -> list[FieldPath]:
    """Apply one override in place; the concrete paths it wrote."""
    if not isinstance(root, dict):
        raise OverrideUsageError(f"{override.label}: the scenario is not a mapping")
    done: list[FieldPath] = []
    _walk(root, (), _Shape.of(ScenarioModel), override, done)
    if not done:
        raise OverrideUsageError(f"{override.label}: '*' matched nothing")
    return done


def _walk(
    node: dict[str, YamlValue] | list[YamlValue],
    at: FieldPath,
    shape: _Shape,
    override: Override,
    done: list[FieldPath],
) -> None:
    depth = len(at)
    part = override.path[depth]
    last = depth == len(override.path) - 1
    if part == WILDCARD:
        if not isinstance(node, dict):
            raise OverrideUsageError(f"{override.label}: {_where(at)} is a list; use [i]")
        keys: list[str | int] = list(node)
    else:
        keys = [part]
    for key in keys:
        child_shape = shape.child(key, at=at, override=override)
        path = (*at, key)
        if isinstance(node, list):
            if not isinstance(key, int) or not 0 <= key < len(node):
                raise OverrideUsageError(
                    f"{override.label}: {_where(at)} has {len(node)} item(s); "
                    f"use an index from 0 to {len(node) - 1}"
                )
            if last:
                node[key] = copy.deepcopy(override.value)
                done.append(path)
                continue
            child = node[key]
        else:
            name = str(key)
            if last:
                node[name] = copy.deepcopy(override.value)
                done.append(path)
                continue
            if node.get(name) is None:
                if name not in node and shape.kind == "mapping":
                    raise OverrideUsageError(
                        f"{override.label}: {_where(at)} has no {name!r}" + _known(node, "there is")
                    )
                # An absent field, or one left empty (defaults): start from nothing.
                node[name] = [] if child_shape.kind == "list" else {}
            child = node[name]
        if not isinstance(child, dict | list):
            raise OverrideUsageError(
                f"{override.label}: {format_path(path)} is a single value ({child!r}), "
                "not a mapping or a list"
            )
        _walk(child, path, child_shape, override, done)


def _where(at: FieldPath) -> str:
    return format_path(at) if at else "the scenario"


def _known(names: Iterable[str | int], lead: str) -> str:
    shown = sorted(str(n) for n in names)
    return f" ({lead}: {', '.join(shown)})" if shown else " (it is empty)"


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the schema says sits at one place of the document."""

    kind: str
    """``model`` (fixed fields), ``mapping`` (ids to entries), ``list`` or ``value``."""
    model: type[BaseModel] | None = None
    item: object = None
    """The annotation of a mapping's or list's entries."""

    @staticmethod
    def of(annotation: object) -> _Shape:
        """The shape of a pydantic field annotation (optional and tagged unions unwrapped)."""
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            return _Shape.of(typing.get_args(annotation)[0])
        if origin in (typing.Union, types.UnionType):
            shapes = [_Shape.of(arg) for arg in typing.get_args(annotation)]
            structured = [s for s in shapes if s.kind != "value"]
            return structured[0] if structured else _Shape("value")
        if origin is dict:
            return _Shape("mapping", item=typing.get_args(annotation)[1])
        if origin is list:
            return _Shape("list", item=typing.get_args(annotation)[0])
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return _Shape("model", model=annotation)
        return _Shape("value")

    def child(self, key: str | int, *, at: FieldPath, override: Override) -> _Shape:
        """The shape under ``key``; InvalidOverrideError when the schema has no such key."""
        if self.kind == "model" and self.model is not None:
            fields = {(info.alias or name): info for name, info in self.model.model_fields.items()}
            info = fields.get(str(key))
            if info is None:
                raise OverrideUsageError(
                    f"{override.label}: {_where(at)} has no field {str(key)!r}"
                    + _known(fields, "fields")
                )
            return _Shape.of(info.annotation)
        if self.kind in ("mapping", "list"):
            return _Shape.of(self.item)
        raise OverrideUsageError(f"{override.label}: {_where(at)} is a single value")


# ------------------------------------------------------------------ loading


@dataclass(frozen=True)
class ScenarioSource:
    """A scenario file read and parsed once, ready to be built with different overrides."""

    path: Path
    file: str
    """The name problems and reports show (``built-in acme.yaml`` for the example)."""
    document: YamlDocument
    problems: tuple[Problem, ...]
    """Problems found while reading (reported again, with the rest, when it is built)."""


def read_source(path: Path | None = None) -> ScenarioSource:
    """Read and parse the scenario at ``path`` (None: the built-in example).

    ``-`` reads the scenario from stdin (at most 1 MiB, once). Raises
    MissingScenarioFileError (exit 2) for a missing file or a folder, or
    InvalidScenarioError (exit 1) when the file cannot be read as YAML.
    """
    chosen = example_scenario_path() if path is None else path
    if is_stdin(chosen):
        document, problems = read_document(chosen, file=STDIN_NAME)
        if document is None:
            raise InvalidScenarioError(problems)
        return ScenarioSource(chosen, STDIN_NAME, document, tuple(problems))
    if not os.path.lexists(chosen):
        raise MissingScenarioFileError(f"no such scenario file: {chosen}")
    if chosen.is_dir():  # like a missing file, a mistake in the command (validate takes folders)
        raise MissingScenarioFileError(
            f"{chosen} is a folder; give one scenario file (validate checks whole folders)"
        )
    file = f"built-in {chosen.name}" if path is None else str(chosen)
    document, problems = read_document(chosen, file=file)
    if document is None:
        raise InvalidScenarioError(problems)
    return ScenarioSource(chosen, file, document, tuple(problems))


def build_scenario(source: ScenarioSource, overrides: Sequence[Override] = ()) -> Scenario:
    """The scenario of ``source`` with ``overrides`` applied, validated like the file.

    Values the rules reject raise InvalidOverrideError (invalid input, exit 1) naming
    each ``--set`` argument, as a bad file would; errors of the file itself raise
    InvalidScenarioError (exit 1), as without overrides.
    """
    data, written = apply_overrides(source.document.data, overrides)
    document = YamlDocument(data, source.document.source)
    scenario, problems = scenario_from_document(
        document,
        list(source.problems),
        file=source.file,
        base_dir=source.path.parent,
        default_name="stdin" if is_stdin(source.path) else source.path.stem,
    )
    if scenario is not None:
        return scenario
    errors = [p for p in problems if p.is_error]
    blamed = [(p, _culprit(p, written)) for p in errors]
    if any(culprit is None for _, culprit in blamed):
        raise InvalidScenarioError(problems)
    lines = [f"{o.label}: {p.path}: {p.message} [{p.code}]" for p, o in blamed if o is not None]
    count = len(lines)
    raise InvalidOverrideError(
        "\n".join([f"invalid override: {count} error{'s' if count != 1 else ''}", *lines]),
        [p for p, _ in blamed],
    )


def _culprit(problem: Problem, written: dict[str, Override]) -> Override | None:
    """The override that wrote ``problem``'s path or the nearest parent of it, if any."""
    path = problem.path
    matches = [
        (len(key), override)
        for key, override in written.items()
        if path == key or path.startswith((f"{key}.", f"{key}["))
    ]
    return max(matches, key=lambda match: match[0])[1] if matches else None


def load_scenario(path: Path | None = None, overrides: Sequence[Override] = ()) -> Scenario:
    """The scenario at ``path`` (None: the built-in example) with ``overrides`` applied."""
    return build_scenario(read_source(path), overrides)


__all__ = [
    "CAP_KEY",
    "Override",
    "ScenarioSource",
    "apply_overrides",
    "build_scenario",
    "cap_override",
    "load_scenario",
    "parse_override",
    "parse_overrides",
    "read_source",
]
