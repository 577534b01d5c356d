"""The one exception base of chatassign, every subclass, and the located problems they carry.

Messages are plain text meant for a person; the CLI prints them and picks the
exit code (see ``docs/cli.md``). "No agent free" is never an exception: the
engine returns it as an ordinary outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class ChatAssignError(Exception):
    """Base class of every error chatassign raises on purpose."""


class ConfigError(ChatAssignError):
    """A workspace configuration breaks a rule (unknown reference, plan gating, ...)."""


class EngineError(ChatAssignError):
    """The engine was asked to do something its rules forbid (misuse, not a full queue)."""


class EngineConfigError(EngineError, ConfigError):
    """The engine was asked to apply a setting the configuration rules forbid (a cap out of
    range, a method above the plan): both an EngineError and a ConfigError."""


class ScenarioError(ChatAssignError):
    """A scenario file could not be read or understood."""


class UsageError(ChatAssignError):
    """The command line asked for something that cannot be done (exit code 2)."""


class ExportError(ChatAssignError):
    """A desk's export (or its mapping file) could not be read: located problems (exit 1)."""


class TargetNotReachableError(ChatAssignError):
    """A staffing search gave up: no team size meets the targets (exit code 1)."""


class OutputError(ChatAssignError):
    """A file or stdout could not be written (disk full, closed, device error): exit code 1."""


class BrokenPipeOutputError(OutputError):
    """Whoever read stdout went away (``| head``): the command ends quietly, exit code 1."""


class LimitError(UsageError):
    """A number that sizes work or memory is above its limit (exit code 2 on the command line).

    A value written in a scenario file is reported as a located validation problem
    instead, with the same words.
    """


class TaskFailedError(ChatAssignError):
    """A task kept failing after its retries."""


class ClusterLostError(ChatAssignError):
    """The Dask scheduler went away during a run."""


class MissingReportExtraError(UsageError):
    """``--report`` was asked for but matplotlib or Jinja2 is not installed (exit 2)."""


class InvalidOverrideError(ScenarioError):
    """An override sets a value the file's rules reject: invalid input, exit code 1.

    ``problems`` are the validation problems it caused (empty for an override that
    cannot be read or applied at all: see :class:`OverrideUsageError`).
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class OverrideUsageError(InvalidOverrideError, UsageError):
    """An override that is not ``KEY=VALUE`` or names a key that does not exist (exit 2)."""


# ------------------------------------------------------- located problems


class Severity(StrEnum):
    """How bad a problem is: errors fail validation; warnings only with ``--strict``."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One located finding about a scenario file.

    ``line`` and ``column`` are 1-based and point at the YAML node concerned (line 1,
    column 1 for problems with the whole file). ``path`` is the dotted field path
    (``teamspaces.support.assignment.method``, list items as ``shifts.alice[1]``),
    empty for the whole file. ``code`` is short and stable (docs/validation.md).
    """

    file: str
    line: int
    column: int
    path: str
    severity: Severity
    code: str
    message: str

    @property
    def is_error(self) -> bool:
        """True for errors, False for warnings."""
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """The order problems are reported in: by file, line, column, then code."""
        return (self.file, self.line, self.column, self.code, self.path)

    def describe(self) -> str:
        """``file:line:col: path: message [code]``, one line."""
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: {where}{self.message} [{self.code}]"


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """``problems`` in report order, without exact duplicates."""
    return sorted(set(problems), key=Problem.sort_key)


class InvalidScenarioError(ScenarioError):
    """A scenario file has errors; ``problems`` lists every one (and any warnings)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted_problems(problems))
        errors = [p for p in self.problems if p.is_error]
        shown = errors or list(self.problems)
        lines = [p.describe() for p in shown[:20]]
        if len(shown) > 20:
            lines.append(f"... and {len(shown) - 20} more (run `chatassign validate`)")
        count = len(errors)
        header = f"invalid scenario: {count} error{'s' if count != 1 else ''}"
        super().__init__("\n".join([header, *lines]))


class MissingScenarioFileError(ScenarioError, UsageError):
    """The scenario path does not exist (a usage error: exit code 2)."""
