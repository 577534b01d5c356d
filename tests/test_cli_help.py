"""Command-line conventions: help with an example, -h/-V, --quiet, completion, golden help."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner, Result

from chatassign import __version__
from chatassign.cli import app

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]
GOLDEN = Path(__file__).parent / "data" / "golden" / "help"
HELP_WIDTH = 80
"""The terminal width every golden help file is rendered at."""


def invoke(*args: str, width: int = HELP_WIDTH) -> Result:
    result = CliRunner(env={"NO_COLOR": "1"}).invoke(app, list(args), terminal_width=width)
    assert "Traceback" not in result.output
    return result


def test_the_documented_commands_exist() -> None:
    assert set(COMMANDS) == {
        "backtest", "compare", "fit", "schema", "simulate", "staff", "sweep", "validate",
    }  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"chatassign {command} --help shows no example"


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_matches_its_golden_file(command: str) -> None:
    """The whole help text at 80 columns (UPDATE_GOLDEN=1 rewrites the files)."""
    result = invoke(*([command] if command else []), "-h")
    assert result.exit_code == 0, result.output
    golden = GOLDEN / f"{command or 'chatassign'}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [50, 80, 100, 160])
@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_is_wrapped_never_cut(command: str, width: int) -> None:
    """No line is wider than the terminal, nothing is cut off, no flag shows a type."""
    result = invoke(*([command] if command else []), "--help", width=width)
    lines = result.stdout.splitlines()
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    assert "…" not in result.stdout
    assert "<bool>" not in result.stdout


@pytest.mark.parametrize("width", [50, 80])
def test_the_command_list_shows_each_summary_whole(width: int) -> None:
    listing = " ".join(invoke("--help", width=width).stdout.split())
    for name, command in get_command(app).commands.items():  # type: ignore[attr-defined]
        assert f"{name} {command.short_help}" in listing


def test_the_long_help_words_survive_whole() -> None:
    """A dotted path longer than the help column is broken across lines, not cut."""
    text = "".join(invoke("simulate", "--help", width=50).stdout.split())
    assert "teamspaces.support.assignment.max_auto_assigned=4" in text


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_short_options_h_and_v_everywhere(command: str) -> None:
    prefix = [command] if command else []
    assert invoke(*prefix, "-h").stdout == invoke(*prefix, "--help").stdout
    version = invoke(*prefix, "-V")
    assert version.exit_code == 0
    assert version.stdout == invoke(*prefix, "--version").stdout
    assert __version__ in version.stdout


def test_shell_completion_is_offered() -> None:
    help_text = invoke("--help").stdout
    assert "--install-completion" in help_text
    assert "--show-completion" in help_text


def test_unknown_options_are_usage_errors() -> None:
    result = CliRunner().invoke(app, ["simulate", "--no-such-option"])
    assert result.exit_code == 2


def test_quiet_leaves_out_the_wrote_lines_but_not_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(env={"NO_COLOR": "1"})
    args = ["simulate", "--replications", "1", "--horizon", "1h", "--output", "out.json"]
    loud = runner.invoke(app, [*args, "--format", "json"])
    assert loud.exit_code == 0, loud.output
    assert "wrote reports/out.json" in loud.stderr
    quiet = runner.invoke(app, [*args, "--format", "json", "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""
    assert (tmp_path / "reports" / "out.json").read_text(encoding="utf-8")
    failed = runner.invoke(app, ["simulate", "-q", "--horizon", "soon"])
    assert failed.exit_code == 2
    assert "error: --horizon" in failed.stderr


def test_quiet_validate_lists_only_files_with_problems() -> None:
    scenarios = Path(__file__).resolve().parent.parent / "scenarios"
    result = invoke("validate", "-q", str(scenarios))
    assert result.exit_code == 0
    assert result.stdout == "0 errors, 0 warnings; 5 files passed\n"
