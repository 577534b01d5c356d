"""What-if sweeps: a grid of scenario variants × replications, as one tidy table.

Every grid point runs the same replications ``0 … R−1`` with the same seed, and a
replication's random streams are derived from (seed, replication) alone, so every
grid point sees the same customers with the same work and patience (common random
numbers): differences between rows come from the settings, not from the draws.

Results are filed by (grid point, replication) and averaged in replication order,
so the table is the same, byte for byte, whatever executor ran the tasks, in
whatever order they finished, and whether or not some came from a resume journal.
Pure apart from the executor and the journal file.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from chatassign.analysis.intervals import Estimate
from chatassign.errors import LimitError, OutputError, UsageError
from chatassign.experiments.execution import Executor, Task
from chatassign.experiments.measures import MEASURES, Measures, combine
from chatassign.experiments.variants import Axis, GridPoint, Variants, build_grid
from chatassign.limits import grid_problem
from chatassign.simulation import SimulationPlan

SweepProgress = Callable[[int, int], None]
"""Told (tasks done, tasks in all) after each finished task."""

JsonScalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One grid point: its settings and every measure's mean and 95 % interval."""

    point: GridPoint
    replications: int
    metrics: Mapping[str, Estimate]


@dataclass(frozen=True, slots=True)
class SweepResult:
    """A finished sweep: what was varied and one row per grid point, in grid order."""

    scenario: str
    seed: int
    replications: int
    axes: tuple[Axis, ...]
    rows: tuple[SweepRow, ...]
    measures: tuple[str, ...] = ()
    """Per-team or per-AI-agent measures kept after ``MEASURES`` (``--measure``)."""

    @property
    def names(self) -> tuple[str, ...]:
        """Every measure of a row, in column order."""
        return (*MEASURES, *self.measures)


class Journal:
    """A JSONL file of finished (grid point, replication) records, for ``--resume``.

    The first line names the sweep (``{"sweep": identity}``); each further line is
    ``{"point": [KEY=VALUE, ...], "replication": r, "values": [...]}``. Records are
    flushed as they arrive; a line cut short by an interruption is ignored on load.
    """

    def __init__(self, path: Path, identity: str, *, width: int = len(MEASURES)) -> None:
        self.path = path
        self.identity = identity
        self.width = width
        """Values per record (the measures kept); records of another width are ignored."""
        self._handle: TextIO | None = None

    def load(self) -> dict[tuple[tuple[str, ...], int], Measures]:
        """The records already written; UsageError if the file is another sweep's."""
        if not self.path.exists():
            return {}
        lines = self.path.read_text(encoding="utf-8").splitlines()
        found: dict[tuple[tuple[str, ...], int], Measures] = {}
        for number, line in enumerate(lines):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                if number == len(lines) - 1:
                    break  # the last line, cut short by an interruption
                raise UsageError(f"{self.path}:{number + 1}: not a journal line") from None
            if number == 0:
                if record.get("sweep") != self.identity:
                    raise UsageError(
                        f"{self.path} holds another sweep's results (different scenario, "
                        "keys, seed or horizon); remove it or choose another --output"
                    )
                continue
            values = tuple(float(v) for v in record["values"])
            if len(values) == self.width:
                found[(tuple(record["point"]), int(record["replication"]))] = values
        return found

    def open(self, *, resume: bool) -> None:
        """Start writing: append after the records kept, or start afresh."""
        with self._writing():
            keep = resume and self.path.exists() and self.path.stat().st_size > 0
            if keep:
                self._trim_partial_line()
            self._handle = self.path.open("a" if keep else "w", encoding="utf-8", newline="\n")
        if not keep:
            self._write({"sweep": self.identity})

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise OutputError(f"cannot write the sweep journal {self.path} ({reason})") from None

    def _trim_partial_line(self) -> None:
        data = self.path.read_bytes()
        if not data.endswith(b"\n"):
            self.path.write_bytes(data[: data.rfind(b"\n") + 1])

    def record(self, point: GridPoint, replication: int, values: Measures) -> None:
        """Append one finished task."""
        self._write({"point": list(point.label), "replication": replication, "values": values})

    def _write(self, record: Mapping[str, object]) -> None:
        assert self._handle is not None
        with self._writing():
            self._handle.write(json.dumps(record) + "\n")
            self._handle.flush()

    def close(self) -> None:
        """Close the file (records are already on disk)."""
        if self._handle is not None:
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None


def sweep_plans(
    variants: Variants, axes: Sequence[Axis], measures: Sequence[str] = ()
) -> tuple[tuple[GridPoint, ...], list[SimulationPlan]]:
    """The grid of ``axes`` and each point's simulation plan (validated up front).

    ``measures``: per-team or per-AI-agent measures each replication keeps as well. A
    grid of more than ``MAX_GRID_POINTS`` points, or of more than ``MAX_TASKS``
    replications in all, is refused before any plan is built.
    """
    points = build_grid(axes)
    workload = variants.base.workload
    replications = variants.replications or (workload.replications if workload else 1)
    _check_size(len(points), replications)
    extra = tuple(measures)
    plans = [variants.plan(point.settings) for point in points]
    _check_size(len(points), max(plan.replications for plan in plans))
    return points, [dataclasses.replace(p, extra_measures=extra) if extra else p for p in plans]


def _check_size(points: int, replications: int) -> None:
    problem = grid_problem(points, replications)
    if problem is not None:
        raise LimitError(f"--vary: {problem}")


def run_sweep(
    variants: Variants,
    axes: Sequence[Axis],
    executor: Executor,
    *,
    journal: Journal | None = None,
    resume: bool = False,
    progress: SweepProgress | None = None,
    measures: Sequence[str] = (),
) -> SweepResult:
    """Run every replication of every grid point; the tidy result.

    With ``journal``, finished tasks are appended to it; with ``resume`` too, tasks it
    already holds are not run again. ``measures`` are kept after ``MEASURES``.
    """
    points, plans = sweep_plans(variants, axes, measures)
    extra = tuple(measures)
    replications = plans[0].replications
    done: dict[Task, Measures] = {}
    if journal is not None and resume:
        kept = journal.load()
        for point in points:
            for r in range(replications):
                values = kept.get((point.label, r))
                if values is not None:
                    done[Task(point.index, r)] = values
    tasks = [
        Task(p.index, r)
        for r in range(replications)
        for p in points
        if Task(p.index, r) not in done
    ]
    total = len(points) * replications
    if progress is not None:
        progress(len(done), total)

    def finished(task: Task, values: Measures) -> None:
        done[task] = values
        if journal is not None:
            journal.record(points[task.point], task.replication, values)
        if progress is not None:
            progress(len(done), total)

    if journal is not None:
        journal.open(resume=resume)
    try:
        executor.run(plans, tasks, finished)
    finally:
        if journal is not None:
            journal.close()
    rows = tuple(
        SweepRow(
            p, replications, combine([done[Task(p.index, r)] for r in range(replications)], extra)
        )
        for p in points
    )
    scenario, seed = plans[0].scenario.name, plans[0].seed
    return SweepResult(scenario, seed, replications, tuple(axes), rows, extra)


def sweep_identity(
    scenario_text: str, variants: Variants, axes: Iterable[Axis], measures: Sequence[str] = ()
) -> str:
    """What a journal must match to be resumed: the scenario, overrides, keys, seed, horizon
    (and the ``--measure`` list, when there is one)."""
    import hashlib

    parts: dict[str, object] = {
        "scenario": hashlib.sha256(scenario_text.encode()).hexdigest(),
        "set": [o.argument for o in variants.base_overrides],
        "vary": [[a.key, list(a.values)] for a in axes],
        "seed": variants.seed,
        "horizon": variants.horizon,
    }
    if measures:
        parts["measures"] = list(measures)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- the tidy table


def table_columns(result: SweepResult) -> list[str]:
    """The columns: each varied key, ``replications``, then each measure and its CI bounds."""
    columns = [axis.key for axis in result.axes] + ["replications"]
    for name in result.names:
        columns += [name, f"{name}_ci_low", f"{name}_ci_high"]
    return columns


def _typed(value: str) -> JsonScalar:
    """A grid value as JSON: a number when it reads as one, else the text as written."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        return value
    return number if math.isfinite(number) else value


def table_rows(result: SweepResult) -> list[list[JsonScalar]]:
    """One list of cells per grid point, aligned with :func:`table_columns`."""
    rows: list[list[JsonScalar]] = []
    for row in result.rows:
        cells: list[JsonScalar] = [_typed(value) for _, value in row.point.settings]
        cells.append(row.replications)
        for name in result.names:
            est = row.metrics[name]
            low, high = est.ci95 if est.ci95 is not None else (None, None)
            mean = est.mean if math.isfinite(est.mean) else None  # NaN: no chat handed off
            cells += [mean, low, high]
        rows.append(cells)
    return rows


def render_sweep_csv(result: SweepResult) -> str:
    """The tidy table as CSV (floats in shortest round-trip form; empty: no interval)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table_columns(result))
    for cells in table_rows(result):
        writer.writerow(
            ["" if c is None else repr(c) if isinstance(c, float) else c for c in cells]
        )
    return out.getvalue()


def render_sweep_json(result: SweepResult) -> str:
    """The tidy table as JSON: the run's settings and one object per grid point."""
    columns = table_columns(result)
    document = {
        "scenario": result.scenario,
        "seed": result.seed,
        "replications": result.replications,
        "vary": {axis.key: [_typed(v) for v in axis.values] for axis in result.axes},
        "metrics": list(result.names),
        "rows": [dict(zip(columns, cells, strict=True)) for cells in table_rows(result)],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


__all__ = [
    "Journal",
    "SweepProgress",
    "SweepResult",
    "SweepRow",
    "render_sweep_csv",
    "render_sweep_json",
    "run_sweep",
    "sweep_identity",
    "sweep_plans",
    "table_columns",
    "table_rows",
]
