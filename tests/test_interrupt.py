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
