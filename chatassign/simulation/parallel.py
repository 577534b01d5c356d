"""Run every replication of a plan: serially, or in forked worker processes.

A replication is a pure function of (plan, replication number), so the parallel
result is the serial one, byte for byte.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext

from chatassign.analysis.facts import ReplicationFacts
from chatassign.engine import EngineEvent
from chatassign.simulation.plan import Progress, SimulationPlan, TraceSink
from chatassign.simulation.run import run_replication


def simulate(
    plan: SimulationPlan,
    *,
    workers: int | None = None,
    trace: TraceSink | None = None,
    progress: Progress | None = None,
) -> tuple[ReplicationFacts, ...]:
    """Run every replication of ``plan``; the facts come back in replication order.

    Replications run in ``workers`` processes (default: every core) when there are
    several, no trace is asked for and the platform can fork; the result is the same
    as a serial run because each replication owns its random streams.
    """
    count = plan.replications
    jobs = min(count, workers if workers is not None else (os.cpu_count() or 1))
    if jobs > 1 and trace is None and "fork" in get_all_start_methods():
        return _simulate_parallel(plan, jobs, progress)
    results: list[ReplicationFacts] = []
    for r in range(count):

        def tick(share: float, done: int = r) -> None:
            if progress is not None:
                progress((done + share) / count)

        observer = None if trace is None else _bind(trace, r)
        results.append(run_replication(plan, r, observer=observer, progress=tick))
    return tuple(results)


def _bind(trace: TraceSink, replication: int) -> Callable[[EngineEvent], None]:
    def observe(event: EngineEvent) -> None:
        trace(replication, event)

    return observe


_WORKER_PLAN: list[SimulationPlan] = []


def _set_worker_plan(plan: SimulationPlan) -> None:
    _WORKER_PLAN[:] = [plan]


def _run_in_worker(replication: int) -> ReplicationFacts:
    return run_replication(_WORKER_PLAN[0], replication)


def _simulate_parallel(
    plan: SimulationPlan, jobs: int, progress: Progress | None
) -> tuple[ReplicationFacts, ...]:
    # Forked workers inherit the plan (workspaces hold mapping proxies, which do not
    # pickle); only replication numbers and facts cross the process boundary.
    with worker_pool(
        jobs, context=get_context("fork"), initializer=_set_worker_plan, initargs=(plan,)
    ) as pool:
        # submit, not map: map cancels its futures on an interrupt, which on 3.11 races
        # the pool's clean-up of the workers worker_pool terminates.
        futures = [pool.submit(_run_in_worker, r) for r in range(plan.replications)]
        results: list[ReplicationFacts] = []
        for future in futures:
            results.append(future.result())
            if progress is not None:
                progress(len(results) / plan.replications)
    return tuple(results)


@contextlib.contextmanager
def worker_pool(
    jobs: int,
    *,
    context: BaseContext,
    initializer: Callable[..., None],
    initargs: tuple[object, ...],
) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers leave Ctrl-C to the parent.

    On any exception in the parent (a Ctrl-C above all) the workers are terminated at
    once instead of being waited for, with further Ctrl-C ignored meanwhile, so a run
    stops promptly and never hangs in shutdown; the exception then goes on.
    """
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_start_worker,
        initargs=(initializer, initargs),
    )
    try:
        yield pool
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
            if isinstance(manager, threading.Thread):
                manager.join(_STOP_GRACE_S)
        finally:
            signal.signal(signal.SIGINT, previous)
        raise
    pool.shutdown(wait=True)


_STOP_GRACE_S = 5.0
"""How long a stop waits for each terminated worker and for the pool's manager thread."""


def _start_worker(initializer: Callable[..., None], initargs: tuple[object, ...]) -> None:
    # Stops are the parent's to handle; a worker it terminates (SIGTERM) just ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    initializer(*initargs)
