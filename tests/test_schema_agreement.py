"""One grammar: the JSON Schema accepts what ``validate`` accepts, as far as a schema can say.

Every example and bad-input file goes through both. The rules a JSON Schema cannot
express (references between parts of the file, sums, orderings, a bound on a rate
written as text) are listed in ``BEYOND_A_SCHEMA`` and in docs/validate.md.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chatassign.scenario import check_scenario_file, example_scenario_path, scenario_json_schema
from chatassign.scenario.descriptions import KEY_DESCRIPTIONS
from chatassign.scenario.models import DISTRIBUTION_PATTERN, DURATION_PATTERN, RATE_PATTERN
from chatassign.scenario.yamlsource import parse_yaml
from chatassign.workload.distributions import parse_distribution
from chatassign.workload.quantities import parse_duration, parse_rate

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(
    [
        example_scenario_path(),
        *(ROOT / "scenarios").glob("*.yaml"),
        *(ROOT / "tests" / "data").rglob("*.yaml"),
    ]
)
VALIDATOR = jsonschema.Draft202012Validator(scenario_json_schema())

GRAMMAR = frozenset(
    {
        "not-a-mapping",
        "unknown-key",
        "missing-key",
        "wrong-type",
        "bad-duration",
        "bad-rate",
        "bad-distribution",
        "unknown-plan",
        "unknown-method",
        "value-range",
        "probability-range",
        "cap-below-one",
        "bad-clock-time",
        "bad-start",
    }
)
"""Rules of the file's shape and values: the schema enforces each of them."""

BEYOND_A_SCHEMA = frozenset(
    {
        "yaml-syntax",
        "yaml-tag",
        "yaml-key",
        "yaml-value",
        "yaml-merge",
        "duplicate-key",
        "too-complex",
        "empty-file",
    }
)
"""YAML-level problems: the schema sees the document only after YAML has been read."""


def schema_accepts(data: object) -> bool:
    return bool(VALIDATOR.is_valid(data))


def file_id(path: Path) -> str:
    """The path from the project's top (the example: from the package, installed or not)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else f"chatassign/{path.name}"


@pytest.mark.parametrize("path", FILES, ids=file_id)
def test_validate_and_the_schema_agree_on_every_file(path: Path) -> None:
    problems = [p for p in check_scenario_file(path) if p.is_error]
    codes = {p.code for p in problems}
    if codes & BEYOND_A_SCHEMA:
        pytest.skip("a YAML-level problem: the schema sees a different document")
    document, _ = parse_yaml(path.read_text(encoding="utf-8"), file=str(path))
    assert document is not None
    grammar = sorted(codes & GRAMMAR)
    errors = [e.message for e in VALIDATOR.iter_errors(document.data)]
    if _has_non_finite(document.data):
        pytest.skip(".inf and .nan have no JSON form; validate refuses them (bad-number)")
    assert (not errors) == (not grammar), (grammar, errors[:3])


def _has_non_finite(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_non_finite(v) for v in value)
    return False


EDITS = [
    ("plan", "Pro"),
    ("plan", " ENTERPRISE "),
    ("plan", "platinum"),
    ("teamspaces.support.assignment.method", "Round_Robin"),
    ("teamspaces.support.assignment.method", "roundrobin"),
    ("teamspaces.support.assignment.method", "fastest"),
    ("teamspaces.support.assignment.max_auto_assigned", 0),
    ("workload.horizon", "1h 30m"),
    ("workload.horizon", "30m1h"),
    ("workload.horizon", "1h1h"),
    ("workload.horizon", "-5m"),
    ("workload.horizon", 3600),
    ("workload.handle_time", "lognormal(sd=5m, mean=8m)"),
    ("workload.handle_time", "lognormal(mean=8m)"),
    ("workload.handle_time", "exponential(mean=0s)"),
    ("workload.handle_time", "Exponential(mean=2m)"),
    ("workload.handle_time", "constant(90)"),
    ("workload.handle_time", "5m"),
    ("workload.arrivals.helpbot.rate", "2 / min"),
    ("workload.arrivals.helpbot.rate", "2/hr"),
    ("workload.arrivals.helpbot.rate", 120),
    ("workload.arrivals.helpbot.handoff_probability", 1.5),
    ("workload.replications", 0),
    ("users.alice.speed", 0),
    ("users.alice.sped", 2),
]


@pytest.mark.parametrize(("key", "value"), EDITS, ids=[f"{k}={v!r}" for k, v in EDITS])
def test_validate_and_the_schema_agree_on_edited_values(
    tmp_path: Path, key: str, value: object
) -> None:
    data = yaml.safe_load(example_scenario_path().read_text(encoding="utf-8"))
    *parents, last = key.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[last] = value
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    grammar = {p.code for p in check_scenario_file(path) if p.is_error} & GRAMMAR
    assert schema_accepts(data) == (not grammar), grammar


numbers = st.sampled_from(["0", "1", "1.5", ".5", "2e1", "1e-3", "10", "0.0"])
units = st.sampled_from(["d", "h", "m", "s", "min", "x", ""])
durations = st.lists(st.tuples(numbers, st.sampled_from(["", " "]), units), max_size=4).map(
    lambda parts: "".join(n + space + u for n, space, u in parts)
) | st.text(alphabet="0123456789.eE+- dhms/", max_size=10)


def accepted(parse: object, text: str) -> bool:
    try:
        parse(text)  # type: ignore[operator]
    except ValueError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(durations)
def test_the_duration_pattern_is_parse_duration(text: str) -> None:
    """They agree, except on numbers beyond the float range (``1e309``), which no pattern
    can tell from finite ones: docs/validate.md leaves those to validate."""
    assume(not beyond_float_range(parse_duration, text))
    assert bool(re.fullmatch(DURATION_PATTERN, text)) == accepted(parse_duration, text)


def beyond_float_range(parse: object, text: str) -> bool:
    """True when ``parse`` refuses ``text`` only because its value is not finite."""
    try:
        parse(text)  # type: ignore[operator]
    except ValueError as error:
        return "finite" in str(error)
    return False


def test_a_duration_beyond_the_float_range_is_left_to_validate() -> None:
    assert re.fullmatch(DURATION_PATTERN, "1E309")
    assert beyond_float_range(parse_duration, "1E309")
    assert not beyond_float_range(parse_duration, "1e308")


@settings(max_examples=300, deadline=None)
@given(numbers, st.sampled_from(["/", " / ", "//", ""]), units)
def test_the_rate_pattern_is_parse_rate(number: str, slash: str, unit: str) -> None:
    text = number + slash + unit
    assert bool(re.fullmatch(RATE_PATTERN, text)) == accepted(parse_rate, text)


arguments = st.sampled_from(["mean", "sd", "low", "high", ""])
distribution_texts = st.builds(
    lambda name, args: f"{name}({', '.join(args)})",
    st.sampled_from(["constant", "exponential", "lognormal", "gamma", "uniform", "normal"]),
    st.lists(
        st.builds(lambda key, value: f"{key}={value}" if key else value, arguments, durations),
        max_size=3,
    ),
)


@settings(max_examples=400, deadline=None)
@given(distribution_texts)
def test_the_distribution_pattern_is_parse_distribution(text: str) -> None:
    """The grammar agrees; ``uniform`` with low above high is left to validate."""
    assume(not beyond_float_range(parse_distribution, text))
    matches = bool(re.fullmatch(DISTRIBUTION_PATTERN, text))
    parsed = accepted(parse_distribution, text)
    if matches and not parsed and text.startswith("uniform"):
        return  # low > high: an ordering, not a grammar
    assert matches == parsed, text


def _properties(node: object, path: str = "") -> list[tuple[str, dict[str, object]]]:
    found: list[tuple[str, dict[str, object]]] = []
    if isinstance(node, dict):
        for key, child in (node.get("properties") or {}).items():
            found.append((f"{path}.{key}", child))
        for key, child in node.items():
            if key != "properties":
                found += _properties(child, f"{path}/{key}")
    elif isinstance(node, list):
        for child in node:
            found += _properties(child, path)
    return found


def test_every_key_of_the_schema_has_a_plain_text_description() -> None:
    schema = scenario_json_schema()
    for where, child in _properties(schema):
        text = child.get("description")
        assert isinstance(text, str), f"{where}: no description in scenario/descriptions.py"
        assert text, f"{where} has an empty description"
        assert "`" not in text, f"{where}: markup in {text!r}"
    definitions = schema["$defs"]
    assert isinstance(definitions, dict)
    for name, definition in definitions.items():
        assert "``" not in str(definition.get("description", "")), name


def test_every_description_is_for_a_documented_key() -> None:
    documented = set(
        re.findall(r"^\| `([^`]+)` \|", (ROOT / "docs" / "scenarios.md").read_text(), re.M)
    )
    assert set(KEY_DESCRIPTIONS) <= documented
