"""Scenario files: YAML -> pydantic models -> the engine's domain values, with located problems.

The only package that knows YAML. Public API:

* :func:`load_scenario` — a :class:`~chatassign.workload.values.Scenario` or a ScenarioError;
* :func:`check_scenario_file` — every error and warning of a file, never raising;
* :func:`read_scenario` — both at once;
* :func:`read_document` and :func:`scenario_from_document` — the same in two steps,
  so a caller can edit the document first (``chatassign.scenario.overrides``);
* :func:`example_scenario_path` — the built-in example shipped with the package;
* :func:`scenario_json_schema` — the JSON Schema of scenario files.
"""

from __future__ import annotations

from chatassign.errors import (
    InvalidScenarioError,
    MissingScenarioFileError,
    Problem,
    Severity,
)
from chatassign.scenario.loader import (
    check_scenario_file,
    load_scenario,
    read_document,
    read_scenario,
    scenario_from_document,
)
from chatassign.scenario.schema import example_scenario_path, scenario_json_schema

__all__ = [
    "InvalidScenarioError",
    "MissingScenarioFileError",
    "Problem",
    "Severity",
    "check_scenario_file",
    "example_scenario_path",
    "load_scenario",
    "read_document",
    "read_scenario",
    "scenario_from_document",
    "scenario_json_schema",
]
