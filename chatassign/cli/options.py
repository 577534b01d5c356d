"""Options ``simulate`` and ``compare`` share: parsing, where outputs go, the report extra."""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Generic, TextIO, TypeVar

from rich.console import Console
from rich.text import Text

from chatassign.cli.app import TABLE_WIDTH, notice_console
from chatassign.engine import EngineEvent
from chatassign.errors import UsageError
from chatassign.model import Method
from chatassign.overrides import Override, parse_overrides
from chatassign.quantities import parse_duration
from chatassign.report import TRACE_HEADER, trace_row
from chatassign.simulation import SimulationPlan, TraceSink


class ReportFormat(StrEnum):
    """How ``simulate`` and ``compare`` print their result."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    CSV = "csv"


R = TypeVar("R")


@dataclass(frozen=True)
class Renderers(Generic[R]):
    """How one kind of result is shown in each ``--format``."""

    table: Callable[[R, Console], None]
    json: Callable[[R], str]
    markdown: Callable[[R], str]
    csv: Callable[[R], str]

    def text(self, result: R, output_format: ReportFormat) -> str:
        """``result`` as text (the table at ``TABLE_WIDTH``, without colour)."""
        if output_format is ReportFormat.JSON:
            return self.json(result)
        if output_format is ReportFormat.MARKDOWN:
            return self.markdown(result)
        if output_format is ReportFormat.CSV:
            return self.csv(result)
        capture = Console(width=TABLE_WIDTH, color_system=None, highlight=False, soft_wrap=False)
        with capture.capture() as captured:
            self.table(result, capture)
        return captured.get()

    def emit(
        self, result: R, output_format: ReportFormat, output: Path | None, console: Console
    ) -> None:
        """Print ``result`` (a table straight to ``console``), or write it to ``output``."""
        if output is None and output_format is ReportFormat.TABLE:
            self.table(result, console)
            return
        text = self.text(result, output_format)
        if output is None:
            sys.stdout.write(text)
        else:
            write_text(output, text)


REPORTS_DIR = Path("reports")
"""Where ``--output`` and ``--report`` put a bare file name."""

SET_HELP = (
    "Change the scenario before running, validated like the file: KEY=VALUE with KEY a "
    "dotted path (teamspaces.support.assignment.max_auto_assigned=4). Repeatable."
)
CAP_HELP = "Run at each of these caps (max_auto_assigned of every teamspace), e.g. 2,3,4."
REPORT_HELP = (
    "Write a self-contained HTML report with charts here (needs: pip install 'chatassign[report]')."
)
OUTPUT_HELP = "Write the result to this file instead of stdout (a bare name goes under reports/)."


def parse_methods(text: str | None) -> tuple[Method, ...]:
    """``balanced,round-robin`` as methods, in order, without repeats; None: all four."""
    if text is None:
        return tuple(Method)
    methods: list[Method] = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            method = Method.parse(part)
        except ValueError as error:
            raise UsageError(f"--methods: {error}") from None
        if method not in methods:
            methods.append(method)
    if not methods:
        raise UsageError("--methods needs at least one method, e.g. balanced,round-robin")
    return tuple(methods)


def parse_caps(text: str | None) -> tuple[int, ...]:
    """``2,3,4`` as caps (each ≥ 1), in order, without repeats; None: no caps."""
    if text is None:
        return ()
    caps: list[int] = []
    for part in text.split(","):
        try:
            cap = int(part.strip())
        except ValueError:
            raise UsageError(f"--cap: {part.strip()!r} is not a whole number") from None
        if cap < 1:
            raise UsageError(f"--cap: a cap must be at least 1, not {cap}")
        if cap not in caps:
            caps.append(cap)
    return tuple(caps)


def parse_sets(arguments: Sequence[str] | None) -> tuple[Override, ...]:
    """Every ``--set KEY=VALUE``, in order."""
    return parse_overrides(list(arguments or ()))


def parse_horizon(text: str | None) -> float | None:
    """``8h`` in seconds; None when not given."""
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as error:
        raise UsageError(f"--horizon: {error}") from None


def output_path(text: str | None, *, suffix: str | None = None) -> Path | None:
    """Where to write: a bare file name goes under ``reports/`` (created); None stays None.

    ``suffix`` (``.html``) is required of the name when given.
    """
    if text is None:
        return None
    path = Path(text)
    if suffix is not None and path.suffix.lower() != suffix:
        raise UsageError(f"{text}: the report is HTML; give a name ending in {suffix}")
    if "/" in text or "\\" in text or path.is_absolute():
        if not path.parent.is_dir():
            raise UsageError(f"cannot write {path}: no such folder {path.parent}")
        return path
    REPORTS_DIR.mkdir(exist_ok=True)
    return REPORTS_DIR / path


def command_line(command: str, arguments: Sequence[str]) -> str:
    """The shell command that repeats a run: ``chatassign compare --seed 7 ...``."""
    return shlex.join(["chatassign", command, *arguments])


def reproduce_arguments(
    scenario: Path | None,
    chosen: Sequence[str],
    plan: SimulationPlan,
    *,
    horizon: str | None,
    sets: Sequence[str] | None,
    cap: str | None,
) -> list[str]:
    """The arguments that repeat a run exactly: seed and replications always spelled out.

    ``chosen`` are the method arguments as given (``--methods a,b``); ``plan`` is one
    arm's plan, for the seed and replications actually used.
    """
    args = [] if scenario is None else [str(scenario)]
    args += [*chosen, "--seed", str(plan.seed), "--replications", str(plan.replications)]
    args += [] if horizon is None else ["--horizon", horizon]
    args += [arg for item in sets or () for arg in ("--set", item)]
    return args + ([] if cap is None else ["--cap", cap])


def trace_writer(handle: TextIO) -> TraceSink:
    """A trace sink writing cli.md's CSV (header first) to ``handle``."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(TRACE_HEADER)

    def write(replication: int, event: EngineEvent) -> None:
        writer.writerow(trace_row(replication, event))

    return write


def trace_path(path: Path, label: str) -> Path:
    """The trace file of one compared column: ``trace.csv`` → ``trace.round-robin.csv``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-").lower() or "run"
    return path.with_name(f"{path.stem}.{slug}{path.suffix or '.csv'}")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (all or nothing), and say so on stderr."""
    with atomic_writer(path) as handle:
        handle.write(text)
    notice_console().print(Text(f"wrote {path}", style="dim"))


def write_report(path: Path, html: str, json_text: str) -> Path:
    """Write the HTML report and, beside it, the JSON of the same run; the JSON's path."""
    beside = path.with_suffix(".json")
    write_text(beside, json_text)
    write_text(path, html)
    return beside


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[TextIO]:
    """A text file that appears at ``path`` only when the block completes.

    Written to a temporary file in the same folder, then renamed over ``path``, so an
    interrupted run (Ctrl-C) or an error leaves no half-written file behind.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: no such folder {folder}")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes it private; outputs are shared
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


__all__ = [
    "CAP_HELP",
    "OUTPUT_HELP",
    "REPORTS_DIR",
    "REPORT_HELP",
    "SET_HELP",
    "atomic_writer",
    "command_line",
    "output_path",
    "parse_caps",
    "parse_horizon",
    "parse_methods",
    "parse_sets",
    "reproduce_arguments",
    "write_report",
    "write_text",
]
