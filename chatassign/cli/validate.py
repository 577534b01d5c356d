"""``chatassign validate`` and ``chatassign schema``: scenario files checked for CI and editors."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from chatassign.cli.app import ExitCode, VersionOption, app, command, is_quiet, stdout_console
from chatassign.cli.excerpt import excerpt, source_lines
from chatassign.errors import UsageError
from chatassign.scenario import Problem, check_scenario_file, scenario_json_schema
from chatassign.scenario.yamlsource import is_stdin

SCENARIO_SUFFIXES = (".yaml", ".yml")


class OutputFormat(StrEnum):
    """How ``validate`` prints its findings."""

    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


@command("validate", short_help="Check scenario files without simulating (for CI and editors).")
def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH",
            help="Scenario files, or folders (every *.yaml and *.yml inside), or - for stdin.",
        ),
    ],
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="text (for people), json, or github (workflow commands).",
        ),
    ] = OutputFormat.TEXT,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check scenario files without simulating: schema, references, plan gating, caps, handoffs.

    Exit code 0 when there is no error, 1 when there is one (or a warning with
    --strict), 2 when a path does not exist.

    Example: chatassign validate scenarios/ --format github --strict
    """
    files = collect_scenario_files(paths)
    results = [(file, check_scenario_file(file)) for file in files]
    problems = [problem for _, found in results for problem in found]
    console = stdout_console()
    if output_format is OutputFormat.JSON:
        typer.echo(problems_as_json(problems))
    elif output_format is OutputFormat.GITHUB:
        for line in github_commands(problems):
            typer.echo(line)
    else:
        print_text_report(results, console=console, strict=strict, quiet=is_quiet())
    failing = any(p.is_error or strict for p in problems)
    raise typer.Exit(int(ExitCode.INVALID_INPUT if failing else ExitCode.OK))


@app.command(short_help="Print the JSON Schema of scenario files.")
def schema(
    version: VersionOption = False,
) -> None:
    """Print the JSON Schema of scenario files, for editors and other tools.

    Example: chatassign schema > chatassign.schema.json
    """
    typer.echo(json.dumps(scenario_json_schema(), indent=2, sort_keys=False))


def collect_scenario_files(paths: Sequence[Path]) -> list[Path]:
    """The files to check: each file as given, each folder's *.yaml/*.yml files, sorted.

    Raises UsageError for a path that does not exist or a folder holding no scenario file.
    """
    files: list[Path] = []
    for path in paths:
        if is_stdin(path):
            files.append(path)
        elif path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix in SCENARIO_SUFFIXES and p.is_file()
            )
            if not found:
                raise UsageError(f"no *.yaml or *.yml file in folder {path}")
            files += found
        elif os.path.lexists(path):
            files.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return list(dict.fromkeys(files))


def problems_as_json(problems: Iterable[Problem]) -> str:
    """The stable JSON list of problems: {file, line, column, path, severity, code, message}."""
    ordered = sorted(problems, key=Problem.sort_key)
    records = [
        {
            "file": p.file,
            "line": p.line,
            "column": p.column,
            "path": p.path,
            "severity": p.severity.value,
            "code": p.code,
            "message": p.message,
        }
        for p in ordered
    ]
    return json.dumps(records, indent=2, ensure_ascii=False)


def github_commands(problems: Iterable[Problem]) -> list[str]:
    """GitHub Actions workflow commands (``::error file=F,line=L,col=C::message``)."""
    lines = []
    for p in sorted(problems, key=Problem.sort_key):
        properties = ",".join(
            [
                f"file={_escape_property(p.file)}",
                f"line={p.line}",
                f"col={p.column}",
                f"title={_escape_property(f'chatassign {p.code}')}",
            ]
        )
        where = f"{p.path}: " if p.path else ""
        lines.append(f"::{p.severity.value} {properties}::{_escape_data(where + p.message)}")
    return lines


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def print_text_report(
    results: Sequence[tuple[Path, list[Problem]]],
    *,
    console: Console,
    strict: bool,
    quiet: bool = False,
) -> None:
    """A listing grouped by file: each problem with its location, code, message and YAML line.

    ``quiet`` leaves out the files without problems (the summary line stays).
    """
    for file, problems in results:
        if not problems:
            if not quiet:
                console.print(Text.assemble(("ok ", "green"), str(file)))
            continue
        console.print(Text(str(file), style="bold"))
        lines = source_lines(file)
        for problem in problems:
            _print_problem(problem, lines, console=console)
    console.print(_summary(results, strict=strict))


def _print_problem(problem: Problem, lines: list[str] | None, *, console: Console) -> None:
    style = "red" if problem.is_error else "yellow"
    head = Text.assemble(
        f"  {problem.line}:{problem.column} ",
        (problem.severity.value, f"bold {style}"),
        " ",
        (problem.code, style),
    )
    if problem.path:
        head.append(f" {problem.path}", "cyan")
    console.print(head)
    wrapped = textwrap.fill(
        problem.message,
        width=max(console.width, 40),
        initial_indent="    ",
        subsequent_indent="    ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    console.print(Text(wrapped), soft_wrap=True)
    for line in excerpt(problem, lines):
        console.print(line, soft_wrap=True)


def _summary(results: Sequence[tuple[Path, list[Problem]]], *, strict: bool) -> Text:
    errors = sum(p.is_error for _, found in results for p in found)
    warnings = sum(not p.is_error for _, found in results for p in found)
    failing = sum(1 for _, found in results if any(p.is_error or strict for p in found))
    files = len(results)
    counts = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    if failing:
        return Text(f"{counts}; {failing} of {_plural(files, 'file')} failed", style="bold red")
    return Text(f"{counts}; {_plural(files, 'file')} passed", style="bold green")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
