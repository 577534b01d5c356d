"""The JSON Schema of scenario files, and the built-in example scenario."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from chatassign.scenario.descriptions import KEY_DESCRIPTIONS
from chatassign.scenario.models import ScenarioModel

SCHEMA_ID = "urn:chatassign:scenario"


def scenario_json_schema() -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of a scenario file, generated from the models."""
    schema: dict[str, object] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
    }
    schema.update(ScenarioModel.model_json_schema(by_alias=True))
    schema["title"] = "chatassign scenario"
    schema["description"] = (
        "A Proto AICX workspace configuration and, optionally, a workload to simulate. "
        "Check a file with: chatassign validate FILE."
    )
    _describe(schema, schema, "", set())
    for definition in _definitions(schema).values():
        text = definition.get("description")
        if isinstance(text, str):
            definition["description"] = _plain(text)
    return schema


PLACEHOLDERS = {
    "roles": "<role>",
    "users": "<user>",
    "teams": "<team>",
    "teamspaces": "<teamspace>",
    "ai_agents": "<ai_agent>",
    "by_language": "<language>",
    "arrivals": "<ai_agent>",
    "languages": "<language>",
    "shifts": "<user>",
}
"""How docs/scenarios.md names the keys you choose, by the mapping that holds them."""


def _definitions(schema: dict[str, object]) -> dict[str, dict[str, object]]:
    found = schema.get("$defs", {})
    return found if isinstance(found, dict) else {}


def _describe(
    schema: dict[str, object], node: dict[str, object], path: str, seen: set[str]
) -> None:
    """Give every property under ``node`` (at dotted ``path``) its plain-text description."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref not in seen:
        seen.add(ref)  # a shared definition is described once, from its first place
        target = _definitions(schema).get(ref.rsplit("/", 1)[-1])
        if target is not None:
            _describe(schema, target, path, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        options = node.get(key)
        for option in options if isinstance(options, list) else []:
            if isinstance(option, dict):
                _describe(schema, option, path, seen)
    properties = node.get("properties")
    for key, child in (properties if isinstance(properties, dict) else {}).items():
        where = f"{path}.{key}" if path else key
        if where in KEY_DESCRIPTIONS:
            child["description"] = KEY_DESCRIPTIONS[where]
        _describe(schema, child, where, seen)
    values = node.get("additionalProperties")
    if isinstance(values, dict):
        name = path.rsplit(".", 1)[-1].removesuffix("[]")
        _describe(schema, values, f"{path}.{PLACEHOLDERS.get(name, '<name>')}", seen)
    items = node.get("items")
    if isinstance(items, dict):
        _describe(schema, items, f"{path}[]", seen)


def _plain(text: str) -> str:
    """``text`` without reStructuredText literals (````x```` → x)."""
    return re.sub(r"``([^`]*)``", r"\1", text)


def example_scenario_path() -> Path:
    """The path of the built-in example scenario (``chatassign/examples/acme.yaml``)."""
    return Path(str(resources.files("chatassign").joinpath("examples", "acme.yaml")))
