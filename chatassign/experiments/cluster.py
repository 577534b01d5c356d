"""Running tasks on a Dask cluster (``--cluster ADDRESS``): the executor and its connection.

Dask is imported only when a cluster is asked for (``pip install 'chatassign[cluster]'``).
Each plan is scattered once, packed by :func:`~chatassign.experiments.execution.pack_plan`;
each task is one :func:`~chatassign.experiments.execution.run_packed` call, retried by
Dask on a lost worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import ModuleType
from typing import Protocol, cast

from chatassign.errors import ClusterLostError, TaskFailedError, UsageError
from chatassign.experiments.execution import DEFAULT_RETRIES, Done, Task, pack_plan, run_packed
from chatassign.experiments.measures import Measures
from chatassign.simulation import SimulationPlan

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler to answer before ``--cluster`` gives up."""


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


__all__ = ["CONNECT_TIMEOUT", "DaskExecutor"]
