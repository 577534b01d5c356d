"""Safe YAML reading with the line and column of every node: the only code that knows YAML.

The document is composed into a node graph and walked by hand into plain values
(``dict``/``list``/``str``/``int``/``float``/``bool``/``None``), so no tag can ever
construct an object. Scalars follow the YAML 1.2 core schema (``no`` and ``on``
stay text, ``4:30`` is not a number), mapping keys are kept as written (so a
language ``no`` is the text "no"), duplicate keys are reported, and alias
expansion, nesting depth and file size are bounded so a hostile file fails fast.
"""

from __future__ import annotations

import math
import os
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from chatassign.errors import Problem, Severity
from chatassign.scenario.yaml_syntax import explain_syntax_error

YamlValue: TypeAlias = "bool | int | float | str | list[YamlValue] | dict[str, YamlValue] | None"
FieldPath: TypeAlias = tuple[str | int, ...]

MAX_FILE_BYTES = 1024 * 1024
"""Scenario files are small text; anything larger is refused before parsing."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists (a scenario needs about 6)."""
MAX_NODES = 100_000
"""Most nodes visited while expanding aliases (stops "billion laughs" files)."""

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based line and column in a file."""

    line: int
    column: int


FILE_START = Location(1, 1)


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of a document was written."""

    values: dict[FieldPath, Location] = field(default_factory=dict)
    keys: dict[FieldPath, Location] = field(default_factory=dict)

    def locate(self, path: FieldPath, *, key: bool = False) -> tuple[FieldPath, Location]:
        """The longest known prefix of ``path`` and its location (the key's, if ``key``)."""
        known: FieldPath = ()
        for part in path:
            if (*known, part) in self.values:
                known = (*known, part)
        if key and known in self.keys:
            return known, self.keys[known]
        return known, self.values.get(known, FILE_START)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed document: its plain value and where each part of it was written."""

    data: YamlValue
    source: SourceMap


def format_path(path: FieldPath) -> str:
    """``teamspaces.support.assignment.method``; list items as ``shifts.alice[1]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


class SafeLocatingLoader(yaml.SafeLoader):
    """A SafeLoader that composes with the YAML 1.2 core scalars and a nesting limit."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        """Compose one node, refusing nesting deeper than MAX_DEPTH."""
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.get_mark()
                raise _TooComplexError(
                    f"nesting is deeper than {MAX_DEPTH} levels",
                    None,
                    Location(mark.line + 1, mark.column + 1),
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _add_resolver(tag: str, pattern: str, first: str) -> None:
    SafeLocatingLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))


_add_resolver(_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_add_resolver(_INT, r"^[-+]?[0-9]+$", "-+0123456789")
_add_resolver(
    _FLOAT,
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
    "-+0123456789.",
)
_add_resolver(_NULL, r"^(?:~|null|Null|NULL|)$", "~nN")
SafeLocatingLoader.add_implicit_resolver(_NULL, re.compile(r"^$"), [""])
_add_resolver(_MERGE, r"^(?:<<)$", "<")


_SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone surrogate (``"\\ud800"``): YAML can write one, but it is no character."""
_SURROGATE_MESSAGE = (
    "this text holds a lone surrogate (an escape such as \\ud800), which is no character "
    "and cannot be written out; remove it or write the character itself"
)


class _TooComplexError(Exception):
    """The document nests or expands beyond the limits."""

    def __init__(self, message: str, node: Node | None, where: Location | None = None) -> None:
        super().__init__(message)
        self.where = _node_location(node) if node is not None else where or FILE_START


STDIN = Path("-")
"""The scenario argument ``-``: the scenario is read from standard input."""
STDIN_NAME = "<stdin>"
"""How problems name a scenario read from stdin."""

_stdin_read: list[tuple[object, bytes]] = []
"""The stdin stream read and what it held: read once, kept (validate shows excerpts after)."""


def is_stdin(path: Path) -> bool:
    """Whether ``path`` is ``-``, the scenario argument meaning standard input."""
    return str(path) == "-"


def read_text(path: Path, *, file: str) -> tuple[str | None, list[Problem]]:
    """The text of a scenario file, or the problems that stop it being read as YAML text.

    Only a regular file (or ``-``: stdin, read once) is read, and at most
    ``MAX_FILE_BYTES`` of it: a folder, a FIFO, a device or a larger file is refused at
    once, without waiting for or reading its content.
    """

    def problem(code: str, message: str, where: Location = FILE_START) -> list[Problem]:
        return [Problem(file, where.line, where.column, "", Severity.ERROR, code, message)]

    try:
        raw = _read_stdin() if is_stdin(path) else _read_regular_file(path)
    except _NotReadableError as refused:
        return None, problem(refused.code, str(refused))
    except FileNotFoundError:
        return None, problem("file-missing", "no such file; check the path")
    except OSError as error:
        return None, problem("file-unreadable", f"cannot read the file: {error.strerror}")
    if len(raw) > MAX_FILE_BYTES:
        return None, problem("file-too-large", _too_large_message(None))
    if b"\x00" in raw:
        return None, problem(
            "binary-file", "this is a binary file, not YAML text; scenario files are UTF-8 text"
        )
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        where = _location_of_byte(raw, error.start)
        return None, problem(
            "not-utf8",
            f"byte 0x{raw[error.start]:02x} is not valid UTF-8; save the file as UTF-8",
            where,
        )


class _NotReadableError(Exception):
    """A path that is not a scenario file to read (a folder, a FIFO, a device, too large)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _read_regular_file(path: Path) -> bytes:
    # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise _NotReadableError("not-a-file", "this is a folder; give a .yaml file") from None
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(stream.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise _NotReadableError("not-a-file", "this is a folder; give a .yaml file")
        if not stat.S_ISREG(info.st_mode):
            raise _NotReadableError(
                "not-a-file",
                f"this is a {_kind(info.st_mode)}, not a regular file; give a .yaml file "
                "(or - to read the scenario from stdin)",
            )
        if info.st_size > MAX_FILE_BYTES:
            raise _NotReadableError("file-too-large", _too_large_message(info.st_size))
        return stream.read(MAX_FILE_BYTES + 1)


def _read_stdin() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if _stdin_read and _stdin_read[0][0] is stream:
        return _stdin_read[0][1]
    if stream is None:
        raise _NotReadableError("file-unreadable", "there is no stdin to read the scenario from")
    if stream.isatty():
        raise _NotReadableError(
            "file-unreadable",
            "stdin is a terminal; pipe a scenario into it (cat scenario.yaml | chatassign ... -)",
        )
    try:
        size = os.fstat(stream.fileno())
    except (OSError, ValueError):  # not a real descriptor (a test's in-memory stdin)
        size = None
    if size is not None and stat.S_ISREG(size.st_mode) and size.st_size > MAX_FILE_BYTES:
        raise _NotReadableError("file-too-large", _too_large_message(size.st_size))
    raw = bytes(stream.read(MAX_FILE_BYTES + 1))
    _stdin_read[:] = [(stream, raw)]
    return raw


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _too_large_message(size: int | None) -> str:
    limit = MAX_FILE_BYTES // 1024
    shown = f"{size / 1e6:.1f} MB" if size is not None else f"more than {limit} KiB"
    return f"the file is {shown}; scenario files are limited to {limit} KiB of YAML text"


def _location_of_byte(raw: bytes, offset: int) -> Location:
    before = raw[:offset]
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return Location(before.count(b"\n") + 1, column)


def parse_yaml(text: str, *, file: str) -> tuple[YamlDocument | None, list[Problem]]:
    """The document in ``text`` with its source map, or the problems that prevent it."""
    try:
        node = _compose(text)
    except _TooComplexError as error:
        message = f"{error}; simplify the file"
        where = error.where
        return None, [
            Problem(file, where.line, where.column, "", Severity.ERROR, "too-complex", message)
        ]
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_problem(file, text, error)]
    except yaml.reader.ReaderError as error:
        where = _location_of_char(text, int(error.position))
        message = f"the control character U+{int(error.character):04X} is not allowed; remove it"
        return None, [
            Problem(file, where.line, where.column, "", Severity.ERROR, "yaml-syntax", message)
        ]
    except yaml.YAMLError as error:
        return None, [_file_error(file, "yaml-syntax", f"cannot parse YAML: {error}")]
    if node is None:
        message = "the file holds no YAML document; a scenario needs at least `plan:`"
        return None, [_file_error(file, "empty-file", message)]
    walker = _Walker(file)
    try:
        data = walker.walk(node, (), 0)
    except _TooComplexError as error:
        where = error.where
        message = f"{error}; avoid repeating large anchors (&name / *name)"
        return None, [
            Problem(file, where.line, where.column, "", Severity.ERROR, "too-complex", message)
        ]
    return YamlDocument(data, walker.source), walker.problems


def _compose(text: str) -> Node | None:
    loader = SafeLocatingLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _file_error(file: str, code: str, message: str) -> Problem:
    return Problem(file, 1, 1, "", Severity.ERROR, code, message)


def _syntax_problem(file: str, text: str, error: yaml.MarkedYAMLError) -> Problem:
    found = explain_syntax_error(text, error)
    return Problem(file, found.line, found.column, "", Severity.ERROR, "yaml-syntax", found.message)


def _location_of_char(text: str, offset: int) -> Location:
    before = text[:offset]
    return Location(before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


def _node_location(node: Node) -> Location:
    return Location(node.start_mark.line + 1, node.start_mark.column + 1)


class _Walker:
    """Turns a composed node graph into plain values, recording locations and problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.source = SourceMap()
        self.problems: list[Problem] = []
        self._budget = MAX_NODES

    def walk(self, node: Node, path: FieldPath, depth: int) -> YamlValue:
        """The plain value of ``node`` found at ``path``."""
        self._budget -= 1
        if self._budget < 0:
            raise _TooComplexError(f"the document expands to more than {MAX_NODES} values", node)
        if depth > MAX_DEPTH:
            raise _TooComplexError(f"aliases nest deeper than {MAX_DEPTH} levels", node)
        self.source.values.setdefault(path, _node_location(node))
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                return self._bad_tag(node, path)
            return [self.walk(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        return self._bad_tag(node, path)

    def _mapping(self, node: MappingNode, path: FieldPath, depth: int) -> YamlValue:
        if node.tag != _MAP:
            return self._bad_tag(node, path)
        result: dict[str, YamlValue] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in result:
                self._duplicate(key, key_node, path)
                continue
            self.source.keys[(*path, key)] = _node_location(key_node)
            result[key] = self.walk(value_node, (*path, key), depth + 1)
        for merged in self._merged_mappings(merges, path):
            value = self.walk(merged, path, depth + 1)
            if isinstance(value, dict):
                for key, item in value.items():
                    result.setdefault(key, item)
        return result

    def _merged_mappings(self, merges: list[Node], path: FieldPath) -> Iterator[Node]:
        for node in merges:
            items = node.value if isinstance(node, SequenceNode) else [node]
            for item in items:
                if isinstance(item, MappingNode):
                    yield item
                else:
                    self._error(item, path, "yaml-merge", "`<<` must merge a mapping (<<: *name)")

    def _key(self, node: Node, path: FieldPath) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag not in (_STR, _INT, _FLOAT, _BOOL, _NULL):
            self._error(node, path, "yaml-key", "a key must be plain text (name: value)")
            return None
        text = str(node.value)
        if not text:
            self._error(node, path, "yaml-key", "a key must not be empty")
            return None
        if not text.isascii() and _SURROGATE.search(text):
            self._error(node, path, "yaml-key", _SURROGATE_MESSAGE)
            return None
        return text

    def _duplicate(self, key: str, node: Node, path: FieldPath) -> None:
        first = self.source.keys[(*path, key)]
        message = (
            f"{key!r} is defined twice (first on line {first.line}); "
            "ids and keys must be unique: rename or merge the two"
        )
        self._error(node, (*path, key), "duplicate-key", message)

    def _scalar(self, node: ScalarNode, path: FieldPath) -> YamlValue:
        text = str(node.value)
        if not text.isascii() and _SURROGATE.search(text):
            self._error(node, path, "yaml-value", _SURROGATE_MESSAGE)
            return None
        try:
            if node.tag == _STR:
                return text
            if node.tag == _NULL:
                return None
            if node.tag == _BOOL:
                return _parse_bool(text)
            if node.tag == _INT:
                return int(text)
            if node.tag == _FLOAT:
                return _parse_float(text)
        except ValueError:
            short = text if len(text) <= 40 else text[:37] + "..."
            message = f"{short!r} is not a valid {node.tag.rsplit(':', 1)[-1]}"
            if len(text) > 40 and node.tag == _INT:
                message = "this number has too many digits; use a smaller value"
            self._error(node, path, "yaml-value", message)
            return None
        return self._bad_tag(node, path)

    def _bad_tag(self, node: Node, path: FieldPath) -> YamlValue:
        message = (
            f"the tag {_short_tag(node.tag)} is not allowed; scenario files hold only mappings, "
            "lists, text, numbers and booleans (remove the tag)"
        )
        self._error(node, path, "yaml-tag", message)
        return None

    def _error(self, node: Node, path: FieldPath, code: str, message: str) -> None:
        where = _node_location(node)
        self.problems.append(
            Problem(
                self.file,
                where.line,
                where.column,
                format_path(path),
                Severity.ERROR,
                code,
                message,
            )
        )


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(text)
    return lowered == "true"


def _parse_float(text: str) -> float:
    lowered = text.lower().lstrip("+")
    if lowered in (".inf", "-.inf", ".nan"):
        return {".inf": math.inf, "-.inf": -math.inf}.get(lowered, math.nan)
    return float(text)


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag
