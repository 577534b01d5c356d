"""YAML syntax errors explained in plain words, where the problem starts."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from chatassign.scenario.yaml_syntax import find_indentation_problem
from chatassign.scenario.yamlsource import parse_yaml


def explain(text: str) -> tuple[int, int, str]:
    document, problems = parse_yaml(text, file="f.yaml")
    assert document is None
    [problem] = problems
    assert problem.code == "yaml-syntax"
    return problem.line, problem.column, problem.message


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("a:\n  b: 1\n   c: 2\n", 3, 4, "line 3 is indented 3 spaces; its siblings use 2"),
        ("a:\n  b:\n    c: 1\n   d: 2\n", 4, 4, "the lines around it use 2 (line 2) or 4"),
        ("a: {b: 1\nc: 2\n", 1, 4, "the '{' opened here is still open when line 2 starts"),
        ("a: [1, 2}\n", 1, 4, "the '[' opened here is closed with '}' at column 9"),
        ("a: {b: 1 c: 2}\n", 1, 11, "a ',' is missing here"),
        ('a: "open\nb: 2\n', 1, 4, 'the " opened here is never closed'),
        ("a: b: c\n", 1, 5, "': ' inside a value starts a second key"),
        ("a: 1\nb\nc: 2\n", 2, 1, "this line is not `key: value`"),
        ("a: *nothing\n", 1, 4, "*nothing refers to no anchor &nothing"),
        ("a: 1\n\tb: 2\n", 2, 1, "indent with spaces, not tabs"),
    ],
)
def test_each_syntax_error_is_explained_where_it_starts(
    text: str, line: int, column: int, words: str
) -> None:
    found_line, found_column, message = explain(text)
    assert (found_line, found_column) == (line, column), message
    assert words in message
    assert "<block" not in message
    assert "while parsing" not in message


keys = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
scalars = st.one_of(st.integers(), st.booleans(), st.text(alphabet="abc xyz", max_size=8))
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(documents.filter(lambda value: isinstance(value, dict) and bool(value)), st.booleans())
def test_valid_block_yaml_has_no_indentation_problem(document: object, indent_lists: bool) -> None:
    """The indentation reader never blames a line of a document PyYAML itself wrote."""

    class Dumper(yaml.SafeDumper):
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            super().increase_indent(flow, indentless and not indent_lists)

    text = yaml.dump(document, Dumper=Dumper, default_flow_style=False, width=1000)
    assert find_indentation_problem(text, until_line=10_000) is None, text
