"""The JSON Schema of scenario files, and the built-in example scenario."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

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
        "A Proto AICX workspace configuration and, optionally, a workload to simulate "
        "(see `chatassign validate` and docs/validation.md)."
    )
    return schema


def example_scenario_path() -> Path:
    """The path of the built-in example scenario (``chatassign/examples/acme.yaml``)."""
    return Path(str(resources.files("chatassign").joinpath("examples", "acme.yaml")))
