"""Dropping the values pydantic rejected, so the semantic checks can still run.

A file with a schema error is still checked for the other rules (issue: collect every
problem in one run). Each rejected value is removed so its default applies; when a
required value is rejected, the smallest optional object holding it is removed
instead (``workload``, an arrival, a shift list). Entries of the id collections
(``users.bob``) are never removed, because every reference to them would then be
reported as unknown: in that case pruning gives up.
"""

from __future__ import annotations

import copy

from pydantic import ValidationError

from chatassign.scenario.models import UNION_TAGS, ScenarioModel
from chatassign.scenario.yamlsource import FieldPath, YamlValue

ID_COLLECTIONS = frozenset({"roles", "users", "teams", "teamspaces", "ai_agents"})
MAX_ROUNDS = 4


def validate_pruned(
    data: dict[str, YamlValue], error: ValidationError, *, context: dict[str, object]
) -> ScenarioModel | None:
    """A model of ``data`` without the values pydantic rejected; None if that is not possible."""
    pruned = copy.deepcopy(data)
    for _ in range(MAX_ROUNDS):
        for detail in error.errors():
            loc: FieldPath = tuple(p for p in detail["loc"] if p not in UNION_TAGS)
            target = _removable(loc, missing=detail["type"] == "missing")
            if target is None or not _remove(pruned, target):
                return None
        try:
            return ScenarioModel.model_validate(pruned, context=context)
        except ValidationError as again:
            error = again
    return None


def _removable(loc: FieldPath, *, missing: bool) -> FieldPath | None:
    path = loc[:-1] if missing else loc
    for i, part in enumerate(path):
        if isinstance(part, int):
            path = path[:i]
            break
    if not path or (path[0] in ID_COLLECTIONS and len(path) <= 2) or path == ("plan",):
        return None
    return path


def _remove(data: dict[str, YamlValue], path: FieldPath) -> bool:
    node: YamlValue = data
    for part in path[:-1]:
        if not isinstance(node, dict) or not isinstance(part, str) or part not in node:
            return True  # already gone with a parent
        node = node[part]
    if isinstance(node, dict) and isinstance(path[-1], str):
        node.pop(path[-1], None)
    return True
