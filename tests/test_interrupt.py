"""Ctrl-C, even twice, stops a parallel run promptly: exit 130, no file, no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")


@pytest.mark.parametrize("command", ["simulate", "compare"])
def test_a_double_ctrl_c_stops_the_run_cleanly(command: str, tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    args = [command, "--replications", "2000", "--format", "json", "--output", str(output)]
    process = subprocess.Popen(
        [sys.executable, "-m", "chatassign", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(2.0)  # well into the run: imports done, worker processes started
    os.killpg(process.pid, signal.SIGINT)  # a terminal sends Ctrl-C to the whole group
    time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError("the run hung after Ctrl-C") from None
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("args", "signum"),
    [
        (["compare", "--replications", "2000", "--format", "json"], signal.SIGTERM),
        (
            [
                *("sweep", "--vary", "method=balanced,random", "--replications", "400"),
                "--workers",
                "2",
                "--format",
                "csv",
            ],
            signal.SIGTERM,
        ),
        (["simulate", "--replications", "2000", "--format", "json"], signal.SIGHUP),
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
    time.sleep(3.0)  # imports done, worker processes started
    process.send_signal(signum)
    try:
        _, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError("the run hung after the signal") from None
    assert process.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert "no unfinished output" in stderr
    deadline = time.monotonic() + 10
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group_alive(process.pid), "a worker process outlived the command"
    # No output and no temporary file; a sweep keeps its journal, for --resume.
    assert [p.name for p in tmp_path.iterdir() if p.name != "out.journal.jsonl"] == []
