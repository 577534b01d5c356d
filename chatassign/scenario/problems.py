"""Problems found in a scenario file: where they are, how bad, and how to fix them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from chatassign.errors import ScenarioError, UsageError


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
