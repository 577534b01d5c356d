"""docs/scenarios.md documents every key of the scenario format, and only real keys."""

from __future__ import annotations

import re
from pathlib import Path

from chatassign.scenario import scenario_json_schema

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"
_PLACEHOLDER = re.compile(r"<[^>]*>")


def _schema_paths() -> set[str]:
    """Every key path of the JSON Schema: ``users.<>.role``, ``workload.shifts.<>[].from``."""
    schema = scenario_json_schema()
    definitions = schema["$defs"]
    assert isinstance(definitions, dict)
    paths: set[str] = set()

    def walk(node: object, path: str) -> None:
        assert isinstance(node, dict)
        while "$ref" in node:
            node = definitions[str(node["$ref"]).rsplit("/", 1)[-1]]
            assert isinstance(node, dict)
        for key in ("anyOf", "oneOf", "allOf"):
            for alternative in node.get(key, []):
                walk(alternative, path)
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]")
        for name, child in node.get("properties", {}).items():
            key = f"{path}.{name}" if path else name
            paths.add(key)
            walk(child, key)
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            walk(extra, f"{path}.<>")

    walk(schema, "")
    return paths


def _documented_paths() -> set[str]:
    """The keys in the first column of the reference's tables, placeholders as ``<>``."""
    keys = re.findall(r"^\| `([^`]+)` \|", REFERENCE.read_text(encoding="utf-8"), re.MULTILINE)
    return {_PLACEHOLDER.sub("<>", key) for key in keys}


def test_every_schema_key_is_documented() -> None:
    missing = sorted(_schema_paths() - _documented_paths())
    assert not missing, f"docs/scenarios.md has no row for: {', '.join(missing)}"


def test_every_documented_key_exists() -> None:
    value_forms = {"constant(x)", "exponential(mean=x)", "lognormal(mean=x, sd=y)"}
    value_forms |= {"gamma(mean=x, sd=y)", "uniform(low=x, high=y)", "empirical(path/to.csv)"}
    documented = {key for key in _documented_paths() if key not in value_forms}
    stale = sorted(documented - _schema_paths())
    assert not stale, f"docs/scenarios.md documents keys the format does not have: {stale}"
