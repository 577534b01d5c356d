"""Golden files for the JSON output of simulate, compare, sweep and staff.

One small run (fixed seed, few replications, short horizon) per example scenario and
for the built-in example: the bytes pin the numbers, so a refactor that changes no
behaviour leaves every file unchanged. Regenerate after an intended change with
``UPDATE_GOLDEN=1 python -m pytest tests/test_golden_json.py`` and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatassign.cli import app

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "data" / "golden" / "json"
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
SMALL = ("--replications", "2", "--horizon", "2h", "--seed", "7", "--format", "json")


def _cases() -> dict[str, tuple[str, ...]]:
    cases: dict[str, tuple[str, ...]] = {}
    for stem in [*SCENARIOS, "example"]:
        source = () if stem == "example" else (f"scenarios/{stem}.yaml",)
        cases[f"simulate-{stem}.json"] = ("simulate", *source, *SMALL)
        cases[f"compare-{stem}.json"] = ("compare", *source, *SMALL)
    cases["sweep-lite-webshop.json"] = (
        "sweep",
        "scenarios/lite-webshop.yaml",
        "--vary",
        "method=balanced,round-robin",
        "--workers",
        "1",
        *SMALL,
    )
    cases["staff-pro-saas.json"] = (
        "staff",
        "scenarios/pro-saas.yaml",
        "--target",
        "service_level>=0.8",
        "--team",
        "tier1",
        "--workers",
        "1",
        *SMALL,
    )
    return cases


CASES = _cases()


def test_every_example_scenario_has_cases() -> None:
    assert SCENARIOS, "no example scenarios found"
    for stem in SCENARIOS:
        assert f"simulate-{stem}.json" in CASES
        assert f"compare-{stem}.json" in CASES


@pytest.mark.parametrize("name", sorted(CASES))
def test_json_output_matches_golden_file(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
    result = runner.invoke(app, list(CASES[name]))
    assert result.exit_code == 0, result.output
    expected_path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        expected_path.parent.mkdir(parents=True, exist_ok=True)
        expected_path.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected_path.read_text(encoding="utf-8"), (
        f"{name} changed; if intended: UPDATE_GOLDEN=1 python -m pytest tests/test_golden_json.py"
    )
