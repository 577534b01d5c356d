"""Helpers for tests that run chatassign in a child process and stop it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def processes() -> list[tuple[int, int, int, str, bytes]]:
    """(pid, parent, process group, state, command line) of every process (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        state, ppid, pgid = stat.rsplit(")", 1)[1].split()[:3]
        found.append((int(entry.name), int(ppid), int(pgid), state, command))
    return found


def group_alive(pgid: int) -> bool:
    """Any live process in the group. With /proc, a zombie does not count: it waits for
    an init that may never reap it. Without /proc, any process the group still has."""
    if Path("/proc/self/stat").exists():
        return any(p[2] == pgid and p[3] != "Z" for p in processes())
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_workers(process: subprocess.Popen[str], count: int, *, timeout: float = 60) -> None:
    """Return once ``process`` has ``count`` live child processes (its workers are up);
    a failure if it ends first or has not after ``timeout`` seconds. A fixed sleep
    instead races a fast build: the compiled one can finish a run before it is over."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, stderr = process.communicate()
            raise AssertionError(f"the run ended (exit {process.returncode}): {stderr}")
        if sum(1 for p in processes() if p[1] == process.pid and p[3] != "Z") >= count:
            return
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError(f"{count} worker processes did not start in {timeout:g} s")


def finish(process: subprocess.Popen[str], *, timeout: float, after: str) -> tuple[str, str]:
    """The output of ``process`` once it ends; killed (group and all) and a failure if it
    is still running after ``timeout`` seconds."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError(f"the run hung after {after}") from None


def assert_group_ends(pgid: int, seconds: float = 10) -> None:
    """Every process of the group is gone within ``seconds``."""
    deadline = time.monotonic() + seconds
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not group_alive(pgid), "a worker process outlived the command"
