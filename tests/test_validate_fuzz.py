"""Property: whatever the file holds, validate ends with exit 0, or exit 1 and located problems."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from chatassign.cli import app
from chatassign.scenario import example_scenario_path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_TEXTS = [
    path.read_text(encoding="utf-8")
    for path in [example_scenario_path(), *sorted((ROOT / "scenarios").glob("*.yaml"))]
]
KEYS = ["plan", "users", "teams", "role", "teamspaces", "workload", "rate", "horizon", "a"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["pro", "8h", "5x", "120/h", "-1", "exponential(mean=2m)", "round-robin"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=4
        ),
    ),
    max_leaves=20,
)
fragments = st.sampled_from(
    ["\t", ":", "- ", "{", "]", "&a ", "*a", "!!python/object ", "\x00", "0", "-5", ".nan", "\n  "]
)


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    """An example scenario with a few lines deleted, duplicated, swapped or edited."""
    lines = draw(st.sampled_from(EXAMPLE_TEXTS)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "insert":
            column = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:column] + draw(fragments) + lines[i][column:]
        else:
            words = lines[i].split(" ")
            k = draw(st.integers(0, len(words) - 1))
            words[k] = draw(st.one_of(fragments, st.text(max_size=5)))
            lines[i] = " ".join(words)
    return "\n".join(lines) + "\n"


def assert_validate_outcome(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(content)
        result = CliRunner().invoke(app, ["validate", "--format", "json", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    records = json.loads(result.stdout)
    if result.exit_code == 0:
        assert all(r["severity"] == "warning" for r in records)
        return
    assert result.exit_code == 1
    errors = [r for r in records if r["severity"] == "error"]
    assert errors
    assert all(r["file"] == str(path) and r["line"] >= 1 and r["column"] >= 1 for r in errors)


fuzz_settings = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@fuzz_settings
@given(documents)
def test_random_yaml_documents(document: object) -> None:
    assert_validate_outcome(yaml.safe_dump(document).encode("utf-8"))


@fuzz_settings
@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8")))
def test_random_bytes(content: bytes) -> None:
    assert_validate_outcome(content)


@fuzz_settings
@given(mutated_examples())
def test_mutated_example_scenarios(text: str) -> None:
    assert_validate_outcome(text.encode("utf-8"))
