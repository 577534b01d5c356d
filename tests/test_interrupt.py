"""Ctrl-C, even twice, stops a parallel run promptly: exit 130, no file, no traceback."""

from __future__ import annotations

import concurrent.futures.process
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chatassign.limits import default_workers
from chatassign.simulation.parallel import _stops_held, worker_pool
from tests.processes import assert_group_ends, finish, wait_for_workers

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")

_WORKERS = 2 if default_workers() > 1 else 0
"""The worker processes each run below starts (sweep asks for two; one core: none)."""


@pytest.mark.parametrize("command", ["simulate", "compare"])
def test_a_double_ctrl_c_stops_the_run_cleanly(command: str, tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    args = [command, "--replications", "10000", "--format", "json", "--output", str(output)]
    process = subprocess.Popen(
        [sys.executable, "-m", "chatassign", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    wait_for_workers(process, _WORKERS)
    time.sleep(0.3)  # into the run: the workers are busy
    os.killpg(process.pid, signal.SIGINT)  # a terminal sends Ctrl-C to the whole group
    time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = finish(process, timeout=60, after="Ctrl-C")
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


@pytest.mark.parametrize(
    ("args", "signum"),
    [
        (["compare", "--replications", "10000", "--format", "json"], signal.SIGTERM),
        (
            [
                *("sweep", "--vary", "method=balanced,random", "--replications", "10000"),
                "--workers",
                "2",
                "--format",
                "csv",
            ],
            signal.SIGTERM,
        ),
        (["simulate", "--replications", "10000", "--format", "json"], signal.SIGHUP),
    ],
    ids=["compare-TERM", "sweep-workers-2-TERM", "simulate-HUP"],
)
def test_a_stop_signal_leaves_no_process_and_no_file(
    args: list[str], signum: int, tmp_path: Path
) -> None:
    """As ``timeout`` or a container stop: the signal goes to the command alone."""
    output = tmp_path / "out.txt"
    process = subprocess.Popen(
        [sys.executable, "-m", "chatassign", *args, "--output", str(output)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    wait_for_workers(process, _WORKERS)
    time.sleep(0.3)  # into the run: the workers are busy
    process.send_signal(signum)
    _, stderr = finish(process, timeout=120, after="the signal")
    assert process.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert "no unfinished output" in stderr
    assert_group_ends(process.pid)
    # No output and no temporary file; a sweep keeps its journal, for --resume.
    assert [p.name for p in tmp_path.iterdir() if p.name != "out.journal.jsonl"] == []


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _manager_threads_alive() -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if isinstance(t, concurrent.futures.process._ExecutorManagerThread) and t.is_alive()
    ]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="fork")
def test_a_stop_inside_the_pool_ends_its_manager_thread_before_going_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Left running, the pool's manager thread races concurrent.futures' exit hook,
    which then writes to a closed pipe and prints a traceback (seen in CI, on a loaded
    machine: here the manager's clean-up is slowed down to make that window wide)."""
    manager_class = concurrent.futures.process._ExecutorManagerThread
    clean_up = manager_class.join_executor_internals

    def slow_clean_up(self: concurrent.futures.process._ExecutorManagerThread) -> None:
        time.sleep(1.0)
        clean_up(self)

    monkeypatch.setattr(manager_class, "join_executor_internals", slow_clean_up)
    assert _manager_threads_alive() == []
    futures: list[concurrent.futures.Future[float]] = []
    with pytest.raises(KeyboardInterrupt):
        _stop_a_busy_pool(futures)
    assert _manager_threads_alive() == []
    assert len(futures) == 4
    assert all(f.done() for f in futures)


def _nothing() -> None:
    pass


def _stop_a_busy_pool(futures: list[concurrent.futures.Future[float]]) -> None:
    context = multiprocessing.get_context("fork")
    with worker_pool(2, context=context, initializer=_nothing, initargs=()) as pool:
        futures.extend(pool.submit(_sleep, 30.0) for _ in range(4))
        time.sleep(0.5)  # the workers are busy
        raise KeyboardInterrupt


def test_a_stop_taken_by_another_thread_waits_until_the_workers_have_started() -> None:
    """The main thread holds the stops while workers start, but a thread started before
    (a progress bar's) does not: the kernel gives it the signal, and Python runs the
    handler in the main thread all the same. Raised in the middle of a worker's start,
    it would leave a process the pool never noted; so it waits for the hold's end."""
    idle = threading.Event()
    other = threading.Thread(target=idle.wait, daemon=True)
    other.start()  # before the hold: the stop signals are not blocked in it
    steps: list[str] = []
    try:
        with pytest.raises(KeyboardInterrupt):
            _stop_while_held(steps)
    finally:
        idle.set()
        other.join()
    assert steps == ["signalled", "went on"]


def _stop_while_held(steps: list[str]) -> None:
    with _stops_held():
        os.kill(os.getpid(), signal.SIGINT)
        steps.append("signalled")
        time.sleep(0.2)  # the other thread takes it; the main thread's handler runs
        steps.append("went on")


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="fork")
def test_a_stop_while_the_pool_shuts_down_terminates_its_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The body is done, the pool waits for its workers to end, and a Ctrl-C lands
    there: the workers are terminated, not left to run (or wait) on their own."""
    shut_down = concurrent.futures.ProcessPoolExecutor.shutdown

    def interrupted_wait(
        self: concurrent.futures.ProcessPoolExecutor,
        wait: bool = True,
        *,
        cancel_futures: bool = False,
    ) -> None:
        if wait:
            raise KeyboardInterrupt  # as if in the join of the manager thread
        shut_down(self, wait=False)

    monkeypatch.setattr(concurrent.futures.ProcessPoolExecutor, "shutdown", interrupted_wait)
    before = set(multiprocessing.active_children())
    started = time.monotonic()
    futures: list[concurrent.futures.Future[float]] = []
    with pytest.raises(KeyboardInterrupt):
        _leave_a_busy_pool(futures)
    assert set(multiprocessing.active_children()) <= before
    assert all(f.done() for f in futures)
    assert time.monotonic() - started < 20
    assert _manager_threads_alive() == []


def _leave_a_busy_pool(futures: list[concurrent.futures.Future[float]]) -> None:
    context = multiprocessing.get_context("fork")
    with worker_pool(2, context=context, initializer=_nothing, initargs=()) as pool:
        futures.extend(pool.submit(_sleep, 30.0) for _ in range(2))
        time.sleep(0.5)  # the workers are busy; the body ends, the pool shuts down
