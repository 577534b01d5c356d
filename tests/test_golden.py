"""Golden files for the text output of the simulating commands, at a fixed console width.

``validate`` and ``compare`` have theirs in their own test modules. Regenerate after an
intended change with ``UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`` and read
the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatassign.cli import app

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "data" / "golden"

CASES = {
    "simulate.txt": (
        "simulate",
        "scenarios/lite-webshop.yaml",
        "--replications",
        "3",
        "--horizon",
        "4h",
    ),
    "sweep.txt": (
        "sweep",
        "scenarios/lite-webshop.yaml",
        "--vary",
        "method=balanced,random",
        "--replications",
        "2",
        "--horizon",
        "2h",
        "--workers",
        "1",
    ),
    "staff.txt": (
        "staff",
        "scenarios/pro-saas.yaml",
        "--target",
        "service_level>=0.8",
        "--team",
        "tier1",
        "--horizon",
        "3h",
        "--workers",
        "1",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_output_matches_golden_file(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
    result = runner.invoke(app, list(CASES[name]))
    assert result.exit_code == 0, result.output
    expected_path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        expected_path.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected_path.read_text(encoding="utf-8"), (
        f"{name} changed; if intended: UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py"
    )
