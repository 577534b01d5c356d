"""Reading a scenario file end to end: text, YAML, schema, semantic checks, domain values."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from chatassign.errors import (
    InvalidScenarioError,
    MissingScenarioFileError,
    Problem,
    Severity,
    sorted_problems,
)
from chatassign.scenario.checks import Findings, check_workspace
from chatassign.scenario.convert import to_scenario, to_workspace
from chatassign.scenario.models import CLOCK_START, ScenarioModel
from chatassign.scenario.pruning import validate_pruned
from chatassign.scenario.schema_errors import schema_problems
from chatassign.scenario.workload_checks import check_workload
from chatassign.scenario.yamlsource import (
    STDIN_NAME,
    YamlDocument,
    YamlValue,
    is_stdin,
    parse_yaml,
    read_text,
)
from chatassign.workload.quantities import DayStart, parse_day_start
from chatassign.workload.values import Scenario


def read_scenario(path: Path, *, file: str | None = None) -> tuple[Scenario | None, list[Problem]]:
    """The scenario in ``path`` (None if it has errors) and every problem found, sorted.

    ``file`` is the name problems carry (default: ``path`` as given). Never raises for
    bad input: an unreadable, malformed or inconsistent file gives problems instead.
    """
    name = (STDIN_NAME if is_stdin(path) else str(path)) if file is None else file
    document, problems = read_document(path, file=name)
    if document is None:
        return None, problems
    default_name = "stdin" if is_stdin(path) else path.stem
    return scenario_from_document(
        document, problems, file=name, base_dir=path.parent, default_name=default_name
    )


def read_document(path: Path, *, file: str) -> tuple[YamlDocument | None, list[Problem]]:
    """The YAML document in ``path`` (None if unreadable or malformed) and its problems.

    ``file`` is the name problems carry. Never raises for bad input.
    """
    text, problems = read_text(path, file=file)
    if text is None:
        return None, problems
    return parse_yaml(text, file=file)


def scenario_from_document(
    document: YamlDocument,
    problems: list[Problem],
    *,
    file: str,
    base_dir: Path,
    default_name: str,
) -> tuple[Scenario | None, list[Problem]]:
    """Validate ``document`` exactly like a file: schema, semantic checks, domain values.

    ``problems`` are those found while reading it; ``base_dir`` is where relative paths
    (``empirical(...)`` tables) are resolved. Returns the scenario (None if there are
    errors) and every problem, sorted. Never raises for bad input.
    """
    name = file
    problems = list(problems)
    if not isinstance(document.data, dict):
        kind = "a list" if isinstance(document.data, list) else "a single value"
        message = f"the file holds {kind}; a scenario is a mapping of keys (plan:, users:, ...)"
        problems.append(Problem(name, 1, 1, "", Severity.ERROR, "not-a-mapping", message))
        return None, problems
    context: dict[str, object] = {"base_dir": base_dir, CLOCK_START: _day_start(document.data)}
    try:
        model: ScenarioModel | None = ScenarioModel.model_validate(document.data, context=context)
    except ValidationError as error:
        # A value the YAML walker already rejected (a bad tag) is reported once.
        rejected = {p.path for p in problems}
        found = schema_problems(error, file=name, source=document.source)
        problems += [p for p in found if p.path not in rejected]
        model = validate_pruned(document.data, error, context=context)
    if model is not None:
        findings = Findings(name, document.source, problems)
        workspace = to_workspace(model)
        check_workspace(model, workspace, findings)
        if model.workload is not None:
            check_workload(model, workspace, findings)
    found = sorted_problems(problems)
    if model is None or any(p.is_error for p in found):
        return None, found
    return to_scenario(model, default_name=default_name, source=name), found


def load_scenario(path: Path) -> Scenario:
    """The scenario in ``path``; raises a ScenarioError listing every located error.

    A missing path raises :class:`MissingScenarioFileError` (a usage error, exit 2);
    anything else wrong raises :class:`InvalidScenarioError`. Warnings do not raise:
    see :func:`check_scenario_file` for them.
    """
    if not is_stdin(path) and not os.path.lexists(path):
        raise MissingScenarioFileError(f"no such scenario file: {path}")
    scenario, problems = read_scenario(path)
    if scenario is None:
        raise InvalidScenarioError(problems)
    return scenario


def check_scenario_file(path: Path, *, file: str | None = None) -> list[Problem]:
    """Every problem (errors and warnings) of the file at ``path``, sorted; never raises."""
    return read_scenario(path, file=file)[1]


def _day_start(data: dict[str, YamlValue]) -> DayStart | str | None:
    """The file's ``workload.starts_at``, read ahead so clock times elsewhere can use it.

    None when absent; the text itself when it is malformed (its own error is reported
    at ``starts_at``, and clock times are then refused with a pointer to it).
    """
    workload = data.get("workload")
    text = workload.get("starts_at") if isinstance(workload, dict) else None
    if text is None:
        return None
    if not isinstance(text, str):
        return str(text)
    try:
        return parse_day_start(text)
    except ValueError:
        return text
