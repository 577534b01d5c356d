"""YAML syntax errors in plain words, at the place where the problem starts.

PyYAML reports where its parser gave up, in its own terms ("while parsing a block
mapping, expected <block end>, but found '<block mapping start>'"), often several
lines after the cause. Here the error is explained again: a line indented unlike
its siblings is found by reading the indentation of the lines before the error, an
unclosed bracket or quote is reported where it was opened, and every other parser
message gets a plain sentence first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml


@dataclass(frozen=True, slots=True)
class SyntaxExplanation:
    """Where a YAML syntax problem starts (1-based) and what to do about it."""

    line: int
    column: int
    message: str


def explain_syntax_error(text: str, error: yaml.MarkedYAMLError) -> SyntaxExplanation:
    """A plain-words explanation of ``error``, raised while parsing ``text``."""
    problem = error.problem_mark or error.context_mark
    line = problem.line + 1 if problem is not None else 1
    column = problem.column + 1 if problem is not None else 1
    raw = ", ".join(part for part in (error.context, error.problem) if part) or "invalid YAML"
    indentation = find_indentation_problem(text, until_line=line)
    if indentation is not None:
        return indentation
    explained = _explain_message(text, error, raw)
    if explained is not None:
        return explained
    return SyntaxExplanation(
        line, column, f"this is not valid YAML here (the YAML parser says: {raw})"
    )


def _explain_message(text: str, error: yaml.MarkedYAMLError, raw: str) -> SyntaxExplanation | None:
    """The explanation of the parser messages a scenario writer meets; None for others."""
    problem, context = error.problem_mark, error.context_mark
    if problem is None:
        return None
    at = (problem.line + 1, problem.column + 1)
    if "'\\t'" in raw:
        return SyntaxExplanation(*at, "a tab character here: indent with spaces, not tabs")
    if "expected a single document" in raw:
        return SyntaxExplanation(
            *at, "a second document starts here; put one scenario per file (remove the `---`)"
        )
    flow = re.search(r"while parsing a flow (mapping|sequence)", raw)
    if flow and context is not None:
        return _unclosed_flow(text, flow.group(1), context, problem)
    if "while scanning a quoted scalar" in raw and context is not None:
        quote = _char_at(text, context.line, context.column) or '"'
        return SyntaxExplanation(
            context.line + 1,
            context.column + 1,
            f"the {quote} opened here is never closed; add the closing {quote}",
        )
    if "could not find expected ':'" in raw and context is not None:
        return SyntaxExplanation(
            context.line + 1,
            context.column + 1,
            "this line is not `key: value`: a key needs a ':' and a space after it",
        )
    if "mapping values are not allowed here" in raw:
        return SyntaxExplanation(
            *at,
            "': ' inside a value starts a second key on the same line; quote the value "
            '(name: "a: b") or put the key on a line of its own',
        )
    undefined = re.search(r"found undefined alias '([^']*)'", raw)
    if undefined:
        name = undefined.group(1)
        return SyntaxExplanation(
            *at,
            f"*{name} refers to no anchor &{name} defined earlier in the file; "
            f"define it, or quote the value if you meant the text '*{name}'",
        )
    if "expected <block end>" in raw:
        return SyntaxExplanation(
            *at,
            "this line's indentation does not fit the lines above it; line up keys "
            "that belong together",
        )
    return None


_CLOSERS = {"mapping": ("{", "}"), "sequence": ("[", "]")}


def _unclosed_flow(
    text: str, kind: str, opened: yaml.Mark, problem: yaml.Mark
) -> SyntaxExplanation:
    """A ``{...}`` or ``[...]`` that is not closed, reported where it was opened."""
    opener, closer = _CLOSERS[kind]
    where = (opened.line + 1, opened.column + 1)
    found = _char_at(text, problem.line, problem.column)
    if problem.line >= len(text.splitlines()):
        return SyntaxExplanation(
            *where, f"the '{opener}' opened here is never closed; close it with '{closer}'"
        )
    if problem.line > opened.line:
        return SyntaxExplanation(
            *where,
            f"the '{opener}' opened here is still open when line {problem.line + 1} starts; "
            f"close it with '{closer}'",
        )
    if found in ("}", "]") and found != closer:
        return SyntaxExplanation(
            *where,
            f"the '{opener}' opened here is closed with '{found}' at column "
            f"{problem.column + 1}; close it with '{closer}'",
        )
    return SyntaxExplanation(
        problem.line + 1,
        problem.column + 1,
        f"a ',' is missing here between two entries of the '{opener}...{closer}' opened "
        f"at column {opened.column + 1}, or its '{closer}' is missing",
    )


def _char_at(text: str, line: int, column: int) -> str | None:
    lines = text.splitlines()
    if 0 <= line < len(lines) and 0 <= column < len(lines[line]):
        return lines[line][column]
    return None


@dataclass(frozen=True, slots=True)
class _Level:
    """An open block level: its indentation and the line that set it (1-based)."""

    indent: int
    line: int


_KEY = re.compile(r"""^(?:"[^"]*"|'[^']*'|[^\s\[{"'#][^:]*):(?:\s|$)""")
"""The start of ``key: value`` or ``key:`` (a mapping entry)."""
_BLOCK_SCALAR = re.compile(r":\s*[|>][-+0-9]*\s*$")


def find_indentation_problem(text: str, *, until_line: int) -> SyntaxExplanation | None:
    """The first line up to ``until_line`` indented unlike the block it belongs to.

    Only block structure is read (``key:`` lines and ``- `` items); comments, blank
    lines, block scalars (``|``, ``>``) and brackets spanning lines are skipped. Run
    it only on text the parser refused: valid YAML (a plain value continued on a
    more indented line) can look wrong here.
    """
    levels: list[_Level] = []
    opens = False
    scalar_indent: int | None = None
    flow_depth = 0
    previous: int | None = None
    for number, line in enumerate(text.splitlines()[:until_line], start=1):
        content = _without_comment(line).rstrip()
        if not content.strip() or content.strip() in ("---", "..."):
            continue
        indent = len(content) - len(content.lstrip(" "))
        if scalar_indent is not None:
            if indent > scalar_indent:
                continue
            scalar_indent = None
        if flow_depth > 0:
            flow_depth = max(0, flow_depth + _flow_change(content))
            continue
        if not levels:
            levels.append(_Level(indent, number))
        problem = _check_line(levels, number, indent, opens=opens, previous=previous)
        if problem is not None:
            return problem
        _enter_items(levels, number, content, indent)
        previous = number
        flow_depth = max(0, _flow_change(content))
        opens = content.endswith(":") or content.rstrip() == "-" or content.endswith(" -")
        if _BLOCK_SCALAR.search(content):
            scalar_indent, opens = indent, False
    return None


def _check_line(
    levels: list[_Level], number: int, indent: int, *, opens: bool, previous: int | None
) -> SyntaxExplanation | None:
    """Check one line's indentation against the open levels, updating them."""
    top = levels[-1]
    if indent > top.indent:
        if opens:
            levels.append(_Level(indent, number))
            return None
        return SyntaxExplanation(
            number,
            indent + 1,
            f"line {number} is indented {_spaces(indent)}; its siblings use {top.indent} "
            f"(line {top.line}), and line {number - 1 if previous is None else previous} "
            "holds a value, so nothing can nest under it",
        )
    while len(levels) > 1 and levels[-1].indent > indent:
        inner = levels.pop()
        if levels[-1].indent < indent:
            outer = levels[-1]
            return SyntaxExplanation(
                number,
                indent + 1,
                f"line {number} is indented {_spaces(indent)}; the lines around it use "
                f"{outer.indent} (line {outer.line}) or {inner.indent} (line {inner.line}): "
                "indent it like the one it belongs beside",
            )
    return None


def _enter_items(levels: list[_Level], number: int, content: str, indent: int) -> None:
    """``- key: value`` opens a mapping at the key's column; record it (and nested items)."""
    rest = content[indent:]
    column = indent
    while rest.startswith("- ") or rest == "-":
        step = 2 + len(rest[2:]) - len(rest[2:].lstrip(" "))
        rest = rest[step:]
        column += step
        if rest.startswith("- ") or _KEY.match(rest):
            levels.append(_Level(column, number))


def _spaces(count: int) -> str:
    return f"{count} space{'' if count == 1 else 's'}"


def _flow_change(content: str) -> int:
    """How many brackets ``content`` leaves open (outside quotes)."""
    depth = 0
    for char in _outside_quotes(content):
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return depth


def _outside_quotes(content: str) -> str:
    return re.sub(r"\"(?:[^\"\\]|\\.)*\"?|'(?:[^']|'')*'?", "", content)


def _without_comment(line: str) -> str:
    """``line`` without a ``# comment`` (a ``#`` after a space, outside quotes)."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "\"'" and (index == 0 or line[index - 1] in " [{,:"):
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index]
    return line
