"""Running many (grid point, replication) tasks: here, in local processes, or on Dask.

Every task is ``measure_replication(plans[point], replication)``: a pure function of
the plan and the replication number, whose random streams come from (seed,
replication) alone. So the result of a task does not depend on where or when it
runs, and callers that file results by task get the same bytes whatever the
executor and the number of workers.

The local executors are adapters over the one runner of replications,
:func:`chatassign.simulation.parallel.run_tasks` (which ``simulate`` uses too): it
packs the plans (:func:`pack_plan`), batches the tasks, retries a task that fails up
to ``retries`` times and stops its workers at once on Ctrl-C. The Dask executor
(``cluster.py``) ships the same packed plans and :func:`run_packed`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from chatassign.errors import LimitError, UsageError
from chatassign.experiments.measures import Measures, measure_replication
from chatassign.limits import default_workers, workers_problem
from chatassign.simulation import SimulationPlan
from chatassign.simulation.parallel import (
    DEFAULT_RETRIES,
    Task,
    pack_plan,
    run_tasks,
    unpack_plan,
)

Done = Callable[[Task, Measures], None]
"""Told each finished task and its measures, in the calling process, in any order."""


class Executor(Protocol):
    """Runs tasks somewhere and reports each result through ``done``."""

    @property
    def workers(self) -> int:
        """How many tasks run at once."""

    def run(self, plans: Sequence[SimulationPlan], tasks: Sequence[Task], done: Done) -> None:
        """Run every task of ``tasks`` against ``plans``; return when all are done."""


def run_packed(packed: bytes, replication: int) -> Measures:
    """The task function shipped to remote workers."""
    return measure_replication(unpack_plan(packed), replication)


# ---------------------------------------------------------------- executors


class ProcessExecutor:
    """Runs tasks in ``workers`` local processes (one: in this process)."""

    def __init__(self, workers: int, *, retries: int = DEFAULT_RETRIES) -> None:
        if workers < 1:
            raise UsageError(f"--workers must be at least 1, not {workers}")
        self._workers = workers
        self.retries = retries

    @property
    def workers(self) -> int:
        """The number of processes."""
        return self._workers

    def run(self, plans: Sequence[SimulationPlan], tasks: Sequence[Task], done: Done) -> None:
        """Run every task through the runner of replications."""
        run_tasks(
            plans, tasks, measure_replication, done, workers=self._workers, retries=self.retries
        )


class SerialExecutor(ProcessExecutor):
    """Runs tasks one after another in this process (``--workers 1``)."""

    def __init__(self) -> None:
        super().__init__(1)


def make_executor(workers: int | None = None, cluster: str | None = None) -> Executor:
    """The executor the options ask for: Dask at ``cluster``, else local processes.

    ``workers`` defaults to ``limits.default_workers()`` (every core, at most 256); 1 runs
    in this process.
    """
    if cluster is not None:
        from chatassign.experiments.cluster import DaskExecutor  # it imports this module

        return DaskExecutor(cluster)
    count = workers if workers is not None else default_workers()
    problem = workers_problem(count)
    if problem is not None:
        raise LimitError(problem)
    return SerialExecutor() if count == 1 else ProcessExecutor(count)


@contextlib.contextmanager
def open_executor(workers: int | None = None, cluster: str | None = None) -> Iterator[Executor]:
    """:func:`make_executor` for the length of a block: a Dask client is closed after it."""
    executor = make_executor(workers, cluster)
    try:
        yield executor
    finally:
        close = getattr(executor, "close", None)  # a Dask client's connection
        if close is not None:
            close()


class CountingExecutor:
    """Runs tasks on ``inner`` and tells ``progress`` (tasks done, tasks asked for so far).

    For callers that submit tasks in several batches (the staffing search), so the
    total grows as they go.
    """

    def __init__(self, inner: Executor, progress: Callable[[int, int], None]) -> None:
        self.inner = inner
        self.progress = progress
        self.done = 0
        self.asked = 0

    @property
    def workers(self) -> int:
        """The inner executor's."""
        return self.inner.workers

    def run(self, plans: Sequence[SimulationPlan], tasks: Sequence[Task], done: Done) -> None:
        """Run ``tasks`` on the inner executor, counting each one finished."""
        self.asked += len(tasks)
        self.progress(self.done, self.asked)

        def counted(task: Task, values: Measures) -> None:
            done(task, values)
            self.done += 1
            self.progress(self.done, self.asked)

        self.inner.run(plans, tasks, counted)


__all__ = [
    "DEFAULT_RETRIES",
    "CountingExecutor",
    "Done",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "Task",
    "make_executor",
    "open_executor",
    "pack_plan",
    "run_packed",
    "unpack_plan",
]
