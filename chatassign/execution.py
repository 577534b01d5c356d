"""Running many (grid point, replication) tasks: serially, in processes, or on Dask.

Every task is ``measure_replication(plans[point], replication)``: a pure function of
the plan and the replication number, whose random streams come from (seed,
replication) alone. So the result of a task does not depend on where or when it
runs, and callers that file results by task get the same bytes whatever the
executor and the number of workers.

Plans cross process boundaries pickled by :func:`pack_plan` (workspaces hold
``MappingProxyType`` values, which the standard pickler refuses; a private
dispatch table turns them into dicts and back, without touching global state).
A task that fails is retried (a worker process that dies, a Dask worker lost)
up to ``retries`` times before the run fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import copyreg
import functools
import importlib
import io
import logging
import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_all_start_methods, get_context
from types import MappingProxyType, ModuleType
from typing import NamedTuple, Protocol, cast

from chatassign.errors import ChatAssignError, LimitError, UsageError
from chatassign.limits import MAX_WORKERS, workers_problem
from chatassign.measures import Measures, measure_replication
from chatassign.simulation import SimulationPlan
from chatassign.simulation.parallel import worker_pool

DEFAULT_RETRIES = 2
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler to answer before ``--cluster`` gives up."""


class Task(NamedTuple):
    """One unit of work: replication ``replication`` of grid point ``point``."""

    point: int
    replication: int


Done = Callable[[Task, Measures], None]
"""Told each finished task and its measures, in the calling process, in any order."""


class TaskFailedError(ChatAssignError):
    """A task kept failing after its retries."""


class ClusterLostError(ChatAssignError):
    """The Dask scheduler went away during a run."""


class Executor(Protocol):
    """Runs tasks somewhere and reports each result through ``done``."""

    @property
    def workers(self) -> int:
        """How many tasks run at once."""

    def run(self, plans: Sequence[SimulationPlan], tasks: Sequence[Task], done: Done) -> None:
        """Run every task of ``tasks`` against ``plans``; return when all are done."""


# ---------------------------------------------------------------- pickling plans


def _mapping_proxy(items: dict[str, object]) -> Mapping[str, object]:
    return MappingProxyType(items)


def _reduce_mapping_proxy(
    proxy: MappingProxyType[str, object],
) -> tuple[Callable[[dict[str, object]], Mapping[str, object]], tuple[dict[str, object]]]:
    return _mapping_proxy, (dict(proxy),)


def pack_plan(plan: SimulationPlan) -> bytes:
    """``plan`` as bytes any process with chatassign installed can :func:`unpack_plan`."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    table = copyreg.dispatch_table.copy()
    table[MappingProxyType] = _reduce_mapping_proxy
    pickler.dispatch_table = table
    pickler.dump(plan)
    return buffer.getvalue()


@functools.lru_cache(maxsize=256)
def unpack_plan(packed: bytes) -> SimulationPlan:
    """The plan :func:`pack_plan` packed (cached: a worker unpickles each plan once)."""
    plan = pickle.loads(packed)  # bytes this package produced
    if not isinstance(plan, SimulationPlan):
        raise TypeError("not a packed SimulationPlan")
    return plan


def run_packed(packed: bytes, replication: int) -> Measures:
    """The task function shipped to remote workers."""
    return measure_replication(unpack_plan(packed), replication)


# ---------------------------------------------------------------- executors


class SerialExecutor:
    """Runs tasks one after another in this process (``--workers 1``)."""

    workers = 1

    def run(self, plans: Sequence[SimulationPlan], tasks: Sequence[Task], done: Done) -> None:
        """Run each task in order."""
        for task in tasks:
            done(task, measure_replication(plans[task.point], task.replication))


_WORKER_PLANS: list[SimulationPlan] = []


def _load_worker_plans(packed: Sequence[bytes]) -> None:
    _WORKER_PLANS[:] = [unpack_plan(p) for p in packed]


def _run_batch_in_worker(batch: Sequence[tuple[int, int]]) -> list[Measures]:
    return [measure_replication(_WORKER_PLANS[point], r) for point, r in batch]


def _batch_size(tasks: int, workers: int) -> int:
    """Tasks per submission: about 16 submissions per worker, fewer round trips."""
    return max(1, tasks // (workers * 16))


class ProcessExecutor:
    """Runs tasks in ``workers`` local processes; a broken pool is rebuilt and retried."""

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
        """Run every task; each process unpickles every plan once, at start.

        Tasks go out in batches (about 16 per worker), fewer round trips through the
        pool (the 48-point benchmark sweep: 1.79–2.08× on 2 workers, was 1.77–1.87×);
        retries go one task at a time.
        """
        packed = [pack_plan(plan) for plan in plans]
        method = "fork" if "fork" in get_all_start_methods() else "spawn"
        failures: dict[Task, int] = {}
        remaining = list(tasks)
        batch = _batch_size(len(remaining), self._workers)
        while remaining:
            with worker_pool(
                min(self._workers, len(remaining)),
                context=get_context(method),
                initializer=_load_worker_plans,
                initargs=(packed,),
            ) as pool:
                remaining = self._run_pool(pool, remaining, done, failures, batch)
            batch = 1  # retries run one task per submission: a failure blames one task

    def _run_pool(
        self,
        pool: ProcessPoolExecutor,
        tasks: list[Task],
        done: Done,
        failures: dict[Task, int],
        batch: int,
    ) -> list[Task]:
        """Run ``tasks`` on ``pool``, ``batch`` per submission; the tasks to retry.

        Batches are strided (tasks i, i + n, i + 2n, ...), so each mixes grid points
        and none is much longer than the others. A failed batch is split: its tasks are
        retried one by one, and only a failure of a task run alone counts against it.
        """
        count = -(-len(tasks) // batch)
        pending: dict[Future[list[Measures]], list[Task]] = {}
        for i in range(count):
            group = tasks[i::count]
            work = [(t.point, t.replication) for t in group]
            pending[pool.submit(_run_batch_in_worker, work)] = group
        retry: list[Task] = []
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                group = pending.pop(future)
                error = future.exception()
                if error is None:
                    for task, measures in zip(group, future.result(), strict=True):
                        done(task, measures)
                    continue
                if len(group) > 1:  # which task failed is unknown: each runs alone next
                    retry.extend(group)
                    continue
                (task,) = group
                failures[task] = failures.get(task, 0) + 1
                if failures[task] > self.retries:
                    raise TaskFailedError(
                        f"replication {task.replication} of grid point {task.point} "
                        f"failed {failures[task]} times: {error!r}"
                    ) from error
                retry.append(task)
        return sorted(retry)


class _DaskFuture(Protocol):
    key: object

    def result(self) -> Measures: ...


class _DaskClient(Protocol):
    loop: object
    status: str

    def nthreads(self) -> Mapping[str, int]: ...

    def close(self) -> None: ...

    def scatter(self, data: bytes, *, hash: bool) -> _DaskFuture: ...

    def submit(
        self,
        func: Callable[[bytes, int], Measures],
        packed: _DaskFuture,
        replication: int,
        *,
        retries: int,
        pure: bool,
    ) -> _DaskFuture: ...


def _dask() -> ModuleType:
    try:
        return importlib.import_module("dask.distributed")
    except ImportError:
        raise UsageError("--cluster needs Dask: pip install 'chatassign[cluster]'") from None


_quieted: list[tuple[logging.Logger, int]] = []
"""Dask's loggers and their levels before the first open executor quieted them."""
_quiet_holders = 0


def _quiet_dask_logs() -> Callable[[], None]:
    """Hold Dask's loggers at CRITICAL; returns what releases this hold.

    Holds nest: the levels come back when the last holder releases, whatever the
    order of release.
    """
    global _quiet_holders
    if _quiet_holders == 0:
        names = ["distributed"] + [
            name for name in logging.root.manager.loggerDict if name.startswith("distributed.")
        ]
        _quieted[:] = [(logging.getLogger(name), logging.getLogger(name).level) for name in names]
        for logger, _ in _quieted:
            logger.setLevel(logging.CRITICAL)
    _quiet_holders += 1
    released = False

    def release() -> None:
        global _quiet_holders
        nonlocal released
        if released:
            return
        released = True
        _quiet_holders -= 1
        if _quiet_holders == 0:
            for logger, level in _quieted:
                logger.setLevel(level)
            _quieted.clear()

    return release


def _check_address(address: str) -> None:
    """Raise ValueError unless ``address`` is well formed for a scheme in ``SCHEMES``."""
    comm = importlib.import_module("distributed.comm")
    scheme, location = comm.parse_address(address)
    if scheme not in SCHEMES:
        raise ValueError(f"the scheme {scheme}:// is not supported; use tcp:// or tls://")
    backend = comm.registry.get_backend(scheme)  # ValueError: unknown scheme
    # ValueError: no port, or not a number; a scheme without host and port (inproc://)
    # has nothing to check.
    with contextlib.suppress(NotImplementedError):
        backend.get_address_host_port(location)


SCHEMES = ("tcp", "tls")
"""The address schemes ``--cluster`` accepts (``inproc://`` lives in one process only)."""


def _connect(distributed: ModuleType, address: str | None, timeout: float) -> object:
    """``Client(address)`` within ``timeout`` seconds; a UsageError saying why not.

    The address is checked first: a ``Client`` that fails on its own address is left
    half-built, and its finalizer later blocks for 20 s and prints a traceback. Then a
    probe connects and asks the scheduler who it is, all within ``timeout``: a port
    that accepts TCP but never answers (or answers as something else) is refused
    before any client is built.
    """
    if address is not None:
        try:
            _check_address(address)
        except ValueError as error:  # no port, a bad port, an unknown scheme
            raise UsageError(
                f"--cluster {address}: not a Dask scheduler address ({error}); "
                "expected e.g. tcp://scheduler:8786"
            ) from None
        _probe_scheduler(address, timeout)
    try:
        return distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as error:  # refused, unknown host, no answer
        raise UsageError(
            f"--cluster {address}: cannot reach the Dask scheduler within {timeout:g} s "
            f"({error}); is it running, and is the address right?"
        ) from None


def _probe_scheduler(address: str, timeout: float) -> None:
    """Connect to ``address`` and ask its identity, in ``timeout`` seconds in all."""
    comm = importlib.import_module("distributed.comm")

    async def identify() -> object:
        channel = await comm.connect(address, timeout=timeout)
        try:
            await channel.write({"op": "identity", "reply": True})
            return await channel.read()
        finally:
            channel.abort()

    try:
        reply = asyncio.run(asyncio.wait_for(identify(), timeout))
    except TimeoutError:
        raise UsageError(
            f"--cluster {address}: cannot reach the Dask scheduler within {timeout:g} s "
            "(no answer to connecting and identifying it); is it running, and is the "
            "address right?"
        ) from None
    except OSError as error:  # refused, unknown host, no answer to the connection
        raise UsageError(
            f"--cluster {address}: cannot reach the Dask scheduler within {timeout:g} s "
            f"({error}); is it running, and is the address right?"
        ) from None
    except Exception as error:  # a server speaking another protocol
        raise UsageError(
            f"--cluster {address}: the server there is not a Dask scheduler "
            f"({type(error).__name__})"
        ) from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise UsageError(f"--cluster {address}: the server there is not a Dask scheduler")


class DaskExecutor:
    """Runs tasks on a Dask distributed cluster: ``Client(address)``, or a client given.

    Each plan is scattered to the cluster once; tasks are submitted with ``retries``,
    so a task lost with its worker runs again elsewhere.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        client: object = None,
        retries: int = DEFAULT_RETRIES,
        timeout: float | None = None,
    ) -> None:
        distributed = _dask()
        self._owned = client is None
        self._restore_logs: Callable[[], None] = lambda: None
        if client is None:
            # Dask logs every reconnection attempt with a traceback; our own error
            # says what happened, once (a client given keeps the caller's logging).
            self._restore_logs = _quiet_dask_logs()
            try:
                client = _connect(distributed, address, timeout or CONNECT_TIMEOUT)
            except BaseException:
                self._restore_logs()
                raise
        if not isinstance(client, distributed.Client):
            raise TypeError("client must be a dask.distributed.Client")
        self.client = cast(_DaskClient, client)
        self.address = address or "the cluster"
        self.retries = retries

    def close(self) -> None:
        """Close the client this executor opened (a client given stays open)."""
        if self._owned:
            self._owned = False
            try:
                self.client.close()
            finally:
                self._restore_logs()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def workers(self) -> int:
        """The cluster's total number of worker threads."""
        return max(1, sum(self.client.nthreads().values()))

    def run(self, plans: Sequence[SimulationPlan], tasks: Sequence[Task], done: Done) -> None:
        """Scatter the plans, submit every task, report results as they arrive.

        A scheduler lost on the way (the client is no longer running) is a
        ``ClusterLostError`` saying so, whatever Dask raised or cancelled.
        """
        finished = 0

        def count(task: Task, measures: Measures) -> None:
            nonlocal finished
            done(task, measures)
            finished += 1

        try:
            self._run(plans, tasks, count)
        except Exception as error:
            if self.client.status == "running":
                raise
            raise ClusterLostError(
                f"lost the Dask scheduler at {self.address} during the run, after "
                f"{finished} of {len(tasks)} replications ({type(error).__name__})"
            ) from error

    def _run(self, plans: Sequence[SimulationPlan], tasks: Sequence[Task], done: Done) -> None:
        client = self.client
        scattered = [client.scatter(pack_plan(p), hash=False) for p in plans]
        futures: dict[object, tuple[_DaskFuture, Task]] = {}
        for task in tasks:
            future = client.submit(
                run_packed,
                scattered[task.point],
                task.replication,
                retries=self.retries,
                pure=False,
            )
            futures[future.key] = (future, task)
        # The client is not the process's default one: as_completed needs its loop.
        completed = cast(
            Iterable[_DaskFuture],
            _dask().as_completed([f for f, _ in futures.values()], loop=client.loop),
        )
        for future in completed:
            _, task = futures[future.key]
            try:
                measures = future.result()
            except Exception as error:
                if client.status != "running":
                    raise  # the scheduler is gone, not the task: see run
                raise TaskFailedError(
                    f"replication {task.replication} of grid point {task.point} failed "
                    f"after {self.retries} retries: {error!r}"
                ) from error
            done(task, tuple(float(v) for v in measures))


def make_executor(workers: int | None = None, cluster: str | None = None) -> Executor:
    """The executor the options ask for: Dask at ``cluster``, else local processes.

    ``workers`` defaults to every local core; 1 runs in this process.
    """
    if cluster is not None:
        return DaskExecutor(cluster)
    count = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
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
        if isinstance(executor, DaskExecutor):
            executor.close()


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
    "CONNECT_TIMEOUT",
    "CountingExecutor",
    "DaskExecutor",
    "Done",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "Task",
    "TaskFailedError",
    "make_executor",
    "open_executor",
    "pack_plan",
    "run_packed",
    "unpack_plan",
]
