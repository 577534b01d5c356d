"""The source line under a problem, with a caret at its column."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from chatassign.scenario import Problem
from chatassign.scenario.yamlsource import read_text

EXCERPT_WIDTH = 80
"""How much of a source line is shown around the problem's column."""


def shows_excerpt(problem: Problem) -> bool:
    """True for problems at a place in the file (a field, or a YAML syntax error)."""
    return bool(problem.path) or problem.code == "yaml-syntax"


def excerpt(problem: Problem, lines: list[str] | None, *, indent: str = "    ") -> list[Text]:
    """The line ``problem`` is on (``  36 | text``) and a caret under its column; [] if none."""
    if lines is None or not shows_excerpt(problem) or not 0 < problem.line <= len(lines):
        return []
    style = "red" if problem.is_error else "yellow"
    source, caret = cut_line(lines[problem.line - 1].rstrip().expandtabs(1), problem.column)
    gutter = f"{indent}{problem.line:>4} | "
    return [
        Text(gutter + source, style="dim"),
        Text(" " * (len(gutter) + caret - 1) + "^", style=style),
    ]


def cut_line(line: str, column: int) -> tuple[str, int]:
    """At most ``EXCERPT_WIDTH`` characters of ``line`` around ``column``, and its new column.

    A long line (a 10,000-digit number, say) is cut with an ellipsis on either side.
    """
    if len(line) <= EXCERPT_WIDTH:
        return line, column
    start = max(0, min(column - 1 - EXCERPT_WIDTH // 2, len(line) - EXCERPT_WIDTH))
    end = start + EXCERPT_WIDTH
    text = line[start:end]
    caret = column - start
    if start > 0:
        text = "…" + text[1:]
    if end < len(line):
        text = text[:-1] + "…"
    return text, caret


def source_lines(file: Path) -> list[str] | None:
    """The lines of ``file``, or None when it cannot be read as text."""
    if not file.is_file():
        return None
    text, _ = read_text(file, file=str(file))
    return text.splitlines() if text is not None else None
