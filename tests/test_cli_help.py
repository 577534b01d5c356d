"""Every command answers --help with a description and an example (cli.md)."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from chatassign.cli import app

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_the_documented_commands_exist() -> None:
    assert {"simulate", "validate", "schema"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"chatassign {command} --help shows no example"


def test_unknown_options_are_usage_errors() -> None:
    result = CliRunner().invoke(app, ["simulate", "--no-such-option"])
    assert result.exit_code == 2
