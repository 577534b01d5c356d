"""The Typer application, exit codes and the one place errors become messages.

Commands raise; :class:`CommandGroup` (the root of the app) catches ``ChatAssignError``
once, prints it to stderr and exits with its documented code. The console script and
``typer.testing.CliRunner`` both go through it, so tests see exactly what users see.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.models import CommandFunctionType

from chatassign import __version__
from chatassign.cli.excerpt import excerpt, source_lines
from chatassign.cli.output import guard_standard_streams
from chatassign.compiled import core_build
from chatassign.errors import BrokenPipeOutputError, ChatAssignError, UsageError
from chatassign.scenario import InvalidScenarioError


class ExitCode(IntEnum):
    """The documented exit codes (docs/cli.md)."""

    OK = 0
    INVALID_INPUT = 1
    USAGE = 2


class CommandGroup(TyperGroup):
    """The root command: the one edge where a ``ChatAssignError`` becomes a message.

    Wraps click's ``main`` (argument parsing, option callbacks and the command), so an
    error raised anywhere below, or by the last flush of stdout, is printed by
    :func:`fail` and ends the run with its exit code; nothing else catches it.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line; a ChatAssignError exits with its documented code."""
        try:
            try:
                return super().main(*args, **kwargs)
            finally:
                sys.stdout.flush()  # a full or closed stdout is reported, not lost at exit
        except ChatAssignError as error:
            raise SystemExit(int(fail(error).exit_code)) from None


app = typer.Typer(
    cls=CommandGroup,
    name="chatassign",
    help=(
        "Simulate and check live-chat assignment for Proto AICX: balanced, random,"
        " round robin and voluntary routing, caps, teams and handoffs."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help (click's formatter): it wraps every line to the terminal and never
    # cuts a long word off, which Rich's help panels do.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


TABLE_WIDTH = 100
"""Columns of a table written to a pipe or a file (a terminal uses its own width)."""


def stdout_console(*, min_width: int = TABLE_WIDTH) -> Console:
    """The console results are printed to; not a terminal: plain, ``min_width`` wide."""
    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console.width = max(console.width, min_width)
    return console


def stderr_console() -> Console:
    """The console errors go to (always shown, even with ``--quiet``)."""
    return Console(stderr=True, highlight=False)


_QUIET = contextvars.ContextVar("quiet", default=False)


def set_quiet(quiet: bool) -> None:
    """``--quiet``: from now on, no progress, notes or "wrote ..." lines (errors still show)."""
    _QUIET.set(quiet)


def notice_console() -> Console:
    """The console progress, notes and "wrote ..." lines go to: stderr, silent when quiet."""
    return Console(stderr=True, highlight=False, quiet=_QUIET.get())


def fail(error: ChatAssignError) -> typer.Exit:
    """Print ``error`` to stderr and return the Exit carrying its documented code."""
    code = ExitCode.USAGE if isinstance(error, UsageError) else ExitCode.INVALID_INPUT
    if isinstance(error, BrokenPipeOutputError):  # ``| head`` has what it wanted: no noise
        return typer.Exit(int(code))
    console = stderr_console()
    # soft_wrap: a message keeps its own lines (file:line: path: message), never re-wrapped.
    with contextlib.suppress(OSError):  # stderr itself gone: the exit code still says it
        console.print(Text("error:", style="bold red"), Text(str(error)), soft_wrap=True)
    if isinstance(error, InvalidScenarioError):
        for problem in error.problems:
            if problem.code == "yaml-syntax":
                for line in excerpt(problem, source_lines(Path(problem.file)), indent=""):
                    console.print(line, soft_wrap=True)
    return typer.Exit(int(code))


def _quiet_callback(value: bool) -> bool:
    set_quiet(value)
    return value


QUIET_HELP = "No progress, notes or 'wrote ...' lines on stderr; errors still show."
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", callback=_quiet_callback, is_eager=True, help=QUIET_HELP)
]
"""``-q/--quiet`` of every command that writes notices (its value is already applied)."""


VERSION_HELP = "Show the version and exit."


def version_text() -> str:
    """What ``--version`` prints: the version and which build of the core runs."""
    return f"chatassign {__version__} ({core_build()} core)"


def version_callback(value: bool) -> None:
    """Print the version and stop, for ``--version``."""
    if value:
        typer.echo(version_text())
        raise typer.Exit()


VersionOption = Annotated[
    bool,
    typer.Option("--version", "-V", callback=version_callback, is_eager=True, help=VERSION_HELP),
]
"""``-V/--version``, on the root and on every command."""


def is_quiet() -> bool:
    """Whether ``--quiet`` was given to the running command."""
    return _QUIET.get()


def _common_options(quiet: QuietOption = False, version: VersionOption = False) -> None:
    """The options every command that writes notices takes, as Typer declares them."""


@functools.cache
def _common_params() -> tuple[TyperOption, ...]:
    declared = typer.Typer(add_completion=False)
    declared.command()(_common_options)
    params = typer.main.get_command(declared).params
    return tuple(param for param in params if isinstance(param, TyperOption))


class NoticeCommand(TyperCommand):
    """A command that writes notices: ``-q/--quiet`` and ``-V/--version`` are declared once,
    in ``_common_options``, and added after its own options (before ``--help``).

    Their callbacks act as they are parsed (``set_quiet``, ``version_callback``), so the
    command's function takes neither; ``is_quiet`` tells it about ``--quiet``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in _common_params():
            common = copy.copy(param)
            common.expose_value = False
            self.params.append(common)


def command(name: str, *, short_help: str) -> Callable[[CommandFunctionType], CommandFunctionType]:
    """Register the command ``name`` of the app as a :class:`NoticeCommand`."""
    return app.command(name, cls=NoticeCommand, short_help=short_help)


@app.callback()
def root(
    version: VersionOption = False,
) -> None:
    """Simulate and check live-chat assignment for Proto AICX."""


def main() -> None:
    """Run the command line (``chatassign.__main__`` handles Ctrl-C around it).

    Errors become messages and exit codes in :class:`CommandGroup`, stdout's last
    flush included.
    """
    guard_standard_streams()
    app()
