"""The one runner of replications: in this process, or in local worker processes.

``simulate`` (and so ``compare``) and the local executors of ``experiments/`` (and so
``sweep`` and ``staff``) all run their replications through :func:`run_tasks`. A task
is replication ``r`` of plan ``point``; its result is ``work(plans[point], r)``, a pure
function of the plan and the replication number whose random streams come from
(seed, replication) alone. Results are filed by task, so the bytes out never depend
on the number of workers or the order tasks finish in.

Plans cross the process boundary pickled by :func:`pack_plan` (workspaces and
workloads hold ``MappingProxyType`` values, which the standard pickler refuses; a
private dispatch table turns them into dicts and back, without touching global
state), so the workers may be forked or spawned. A task that fails is retried up to
``retries`` times before the run fails naming it; a worker process that dies fails
every task in flight with it, so that counts against a task only when it ran alone.
Ctrl-C and the stop signals are the parent's: the workers start with them held and
ignore Ctrl-C, and :func:`worker_pool` terminates them at once.
"""

from __future__ import annotations

import contextlib
import copyreg
import functools
import io
import pickle
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from types import FrameType, MappingProxyType
from typing import NamedTuple, TypeVar, cast

from chatassign.analysis.facts import ReplicationFacts
from chatassign.engine import EngineEvent
from chatassign.errors import TaskFailedError
from chatassign.limits import default_workers
from chatassign.simulation.plan import Progress, SimulationPlan, TraceSink
from chatassign.simulation.run import run_replication

T = TypeVar("T")

DEFAULT_RETRIES = 2
"""How many times a failed task runs again before the run fails."""


class Task(NamedTuple):
    """One unit of work: replication ``replication`` of plan (grid point) ``point``."""

    point: int
    replication: int


Work = Callable[[SimulationPlan, int], T]
"""What a task computes: ``work(plan, replication)``; a module-level function."""


# ---------------------------------------------------------------- simulate


def simulate(
    plan: SimulationPlan,
    *,
    workers: int | None = None,
    trace: TraceSink | None = None,
    progress: Progress | None = None,
) -> tuple[ReplicationFacts, ...]:
    """Run every replication of ``plan``; the facts come back in replication order.

    Replications run in ``workers`` processes (default: ``limits.default_workers()``,
    every core up to 256) when there are several and no trace is asked for; the result
    is the same as a serial run because each replication owns its random streams. Run
    here, ``progress`` also hears the share of each replication done.
    """
    count = plan.replications
    jobs = min(count, workers if workers is not None else default_workers())
    if jobs > 1 and trace is None:
        results: list[ReplicationFacts | None] = [None] * count
        finished = 0

        def done(task: Task, facts: ReplicationFacts) -> None:
            nonlocal finished
            results[task.replication] = facts
            finished += 1
            if progress is not None:
                progress(finished / count)

        run_tasks([plan], [Task(0, r) for r in range(count)], run_replication, done, workers=jobs)
        return tuple(facts for facts in results if facts is not None)
    serial: list[ReplicationFacts] = []
    for r in range(count):

        def tick(share: float, done: int = r) -> None:
            if progress is not None:
                progress((done + share) / count)

        # A partial, not a closure: it is called for every engine event, and a closure
        # is interpreted even in the compiled build (docs/performance.md, session 6).
        observer: Callable[[EngineEvent], None] | None = (
            None if trace is None else functools.partial(trace, r)
        )
        serial.append(run_replication(plan, r, observer=observer, progress=tick))
    return tuple(serial)


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


# ---------------------------------------------------------------- the runner


def run_tasks(
    plans: Sequence[SimulationPlan],
    tasks: Sequence[Task],
    work: Work[T],
    done: Callable[[Task, T], None],
    *,
    workers: int,
    retries: int = DEFAULT_RETRIES,
) -> None:
    """Run every task, telling ``done`` each one's result (in the calling process).

    One worker runs the tasks here, in order. More run them in that many processes
    (forked where the platform can, else spawned), each of which unpickles every plan
    once, at start. Tasks go out in batches (:func:`_batch_size`), fewer round trips
    through the pool; retries go one task at a time. A task that fails more than
    ``retries`` times raises :class:`TaskFailedError` naming it.
    """
    if workers <= 1:
        for task in tasks:
            done(task, work(plans[task.point], task.replication))
        return
    packed = [pack_plan(plan) for plan in plans]
    context = get_context("fork" if "fork" in get_all_start_methods() else "spawn")
    failures: dict[Task, int] = {}
    several = len(plans) > 1

    def failed(task: Task, error: BaseException) -> None:
        """Count a failure of ``task`` run alone; past ``retries`` the run stops."""
        failures[task] = failures.get(task, 0) + 1
        if failures[task] > retries:
            where = f" of grid point {task.point}" if several else ""
            raise TaskFailedError(
                f"replication {task.replication}{where} failed {failures[task]} times: {error!r}"
            ) from error

    remaining = list(tasks)
    batch = _batch_size(len(remaining), workers)
    retrying = alone = False
    while remaining:
        with worker_pool(
            1 if alone else min(workers, len(remaining)),
            context=context,
            initializer=_load_worker,
            initargs=(packed, work),
        ) as pool:
            remaining, broken = _run_pool(pool, remaining, batch, done, failed, alone=alone)
        # A worker that died blamed none of the tasks in flight. If it happens again on
        # the retries, the next pool runs them one at a time, until the one that kills
        # its worker is found and blamed; the others then run in parallel again.
        alone = broken and retrying and not alone
        retrying = True
        batch = 1  # retries run one task per submission: a failure blames one task


def _batch_size(tasks: int, workers: int) -> int:
    """Tasks per submission: about 16 submissions per worker, fewer round trips."""
    return max(1, tasks // (workers * 16))


class _Worker(NamedTuple):
    plans: list[SimulationPlan]
    work: Callable[[SimulationPlan, int], object]


_WORKER: list[_Worker] = []
"""In a worker process: the plans and the work its initializer was given."""


def _load_worker(packed: Sequence[bytes], work: Callable[[SimulationPlan, int], object]) -> None:
    _WORKER[:] = [_Worker([unpack_plan(p) for p in packed], work)]


def _run_batch_in_worker(batch: Sequence[tuple[int, int]]) -> list[object]:
    plans, work = _WORKER[0]
    return [work(plans[point], r) for point, r in batch]


def _run_pool(
    pool: ProcessPoolExecutor,
    tasks: list[Task],
    batch: int,
    done: Callable[[Task, T], None],
    failed: Callable[[Task, BaseException], None],
    *,
    alone: bool = False,
) -> tuple[list[Task], bool]:
    """Run ``tasks`` on ``pool``, ``batch`` per submission; the tasks to retry, and
    whether the pool broke (a worker died) with several tasks in flight.

    Batches are strided (tasks i, i + n, i + 2n, ...), so each mixes grid points and
    none is much longer than the others. A failed batch is split: its tasks are
    retried one by one. Only a failure that is surely a task's own is told to
    ``failed``: an exception it raised, run alone, or a dead worker when it was the
    only task in flight (``alone``: one task submitted at a time). A dead worker
    breaks the pool and fails every task in flight with it, so with several in flight
    it blames none (each is retried).
    """
    if alone:
        return _run_alone(pool, tasks, done, failed)
    count = -(-len(tasks) // batch)
    pending: dict[Future[list[object]], list[Task]] = {}
    # submit, not map: map cancels its futures on an interrupt, which on 3.11 races the
    # pool's clean-up of the workers worker_pool terminates.
    retry: list[Task] = []
    broken = False
    with _stops_held():  # the workers start on the first submissions
        for i in range(count):
            group = tasks[i::count]
            work = [(t.point, t.replication) for t in group]
            try:
                pending[pool.submit(_run_batch_in_worker, work)] = group
            except BrokenProcessPool:  # a worker died already: the rest waits for a retry
                broken = True
                retry.extend(task for j in range(i, count) for task in tasks[j::count])
                break
    while pending:
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            group = pending.pop(future)
            error = future.exception()
            if error is None:
                for task, result in zip(group, future.result(), strict=True):
                    done(task, cast(T, result))  # work's result, from the worker
                continue
            if isinstance(error, BrokenProcessPool):
                broken = True  # which task killed its worker is unknown
            elif len(group) == 1:
                failed(group[0], error)
            retry.extend(group)  # a batch's failed task is unknown: each runs alone next
    return sorted(retry), broken


def _run_alone(
    pool: ProcessPoolExecutor,
    tasks: list[Task],
    done: Callable[[Task, T], None],
    failed: Callable[[Task, BaseException], None],
) -> tuple[list[Task], bool]:
    """Run ``tasks`` one at a time until one fails: it is blamed, and it and the tasks
    not yet run are the ones to retry (a dead worker leaves the pool unusable)."""
    for i, task in enumerate(tasks):
        with _stops_held():  # the worker starts on the first submission
            future = pool.submit(_run_batch_in_worker, [(task.point, task.replication)])
        error = future.exception()
        if error is None:
            done(task, cast(T, future.result()[0]))  # work's result, from the worker
            continue
        failed(task, error)
        return tasks[i:], False
    return [], False


# ---------------------------------------------------------------- the pool


@contextlib.contextmanager
def worker_pool(
    jobs: int,
    *,
    context: BaseContext,
    initializer: Callable[..., None],
    initargs: tuple[object, ...],
) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers leave Ctrl-C to the parent.

    On any exception in the parent (a Ctrl-C above all), in the body or while the pool
    shuts down, the workers are terminated at once instead of being waited for, with
    further Ctrl-C ignored meanwhile, so a run stops promptly and never hangs in
    shutdown; the exception then goes on. The pool knows every worker it started:
    workers start only while the stops are held (:func:`_stops_held`), so no stop
    lands between a worker's start and the pool's note of it.
    """
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_start_worker,
        initargs=(initializer, initargs),
    )
    try:
        yield pool
        pool.shutdown(wait=True)
    except BaseException:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            # ProcessPoolExecutor has no public way to stop running tasks. No
            # cancel_futures: on 3.11 it races the pool's own clean-up of a broken pool.
            processes = list((pool._processes or {}).values())
            # Taken before shutdown(), which forgets it.
            manager = getattr(pool, "_executor_manager_thread", None)
            for process in processes:
                process.terminate()
            pool.shutdown(wait=False)
            # Let the pool's manager thread see the ended workers and close its wake-up
            # pipe before the interpreter exits: otherwise the exit hook of
            # concurrent.futures can race it and print a traceback (EBADF).
            for process in processes:
                process.join(_STOP_GRACE_S)
                if process.exitcode is None:  # still starting, the stops held: kill it
                    process.kill()
                    process.join(_STOP_GRACE_S)
            if isinstance(manager, threading.Thread):
                manager.join(_STOP_GRACE_S)
        finally:
            signal.signal(signal.SIGINT, previous)
        raise


_STOP_GRACE_S = 5.0
"""How long a stop waits for each terminated worker and for the pool's manager thread."""

_STOPS = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""The stop signals: Ctrl-C, what ``timeout`` and container stops send, a closed terminal."""


@contextlib.contextmanager
def _stops_held() -> Iterator[None]:
    """Hold the stop signals back while worker processes start; they act as it ends.

    Two holds, for two reasons. The signal mask: a worker inherits it, so a Ctrl-C sent
    to the whole process group while it starts (a spawned worker spends a second
    importing) waits until :func:`_start_worker` has made it ignore Ctrl-C; without it
    the worker would print a KeyboardInterrupt traceback (spawned) or a second stop
    message (forked, whose handlers are the parent's). Threads started meanwhile (the
    pool's) keep them blocked. And the handlers: a thread started before (a progress
    bar's) does not block them, so the kernel may give it the signal, and Python would
    then run the handler in this, the main, thread, whatever the mask; a stop raised in
    the middle of a worker's start would leave a process the pool never noted, waiting
    for work for ever. So the main thread's handlers only note a stop meanwhile, and the
    first one noted runs, as it would have, when the hold ends. POSIX only: elsewhere
    there is no signal mask, and the handlers are left as they are.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    noted: list[int] = []
    handlers: dict[int, Callable[[int, FrameType | None], object]] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in _STOPS:
            handler = signal.getsignal(signum)
            if callable(handler):
                handlers[signum] = handler
                signal.signal(signum, lambda signum, frame: noted.append(signum))
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # the held ones are noted
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        if noted:
            handlers[noted[0]](noted[0], None)


def _start_worker(initializer: Callable[..., None], initargs: tuple[object, ...]) -> None:
    # Stops are the parent's to handle; a worker it terminates (SIGTERM) just ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # started with them held (_stops_held)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    initializer(*initargs)
