"""The README's Python examples run as written (from the repository's top folder)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_readme_has_python_examples() -> None:
    assert SNIPPETS


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_readme_python_example_runs(snippet: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(README.parent)
    exec(compile(snippet, str(README), "exec"), {})


QUICK_START_OUTPUT = re.compile(r"(The first command compares.*?```text\n)(.*?)(```)", re.DOTALL)
"""The Quick start's sample output: what ``chatassign compare`` prints, 100 columns wide."""


def test_the_quick_start_output_is_what_the_command_prints() -> None:
    """The first command of the Quick start, on the built-in example, prints exactly the
    README's sample (regenerate with ``UPDATE_GOLDEN=1 python -m pytest tests/test_readme.py``)."""
    from typer.testing import CliRunner

    from chatassign.cli import app

    text = README.read_text(encoding="utf-8")
    found = QUICK_START_OUTPUT.search(text)
    assert found is not None, "the Quick start's ```text block is gone"
    runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
    result = runner.invoke(app, ["compare"])
    assert result.exit_code == 0, result.output
    if os.environ.get("UPDATE_GOLDEN"):
        text = text[: found.start(2)] + result.stdout + text[found.end(2) :]
        README.write_text(text, encoding="utf-8")
        found = QUICK_START_OUTPUT.search(text)
        assert found is not None
    assert found.group(2) == result.stdout, (
        "the README's Quick start output changed; if intended: "
        "UPDATE_GOLDEN=1 python -m pytest tests/test_readme.py"
    )
