"""Spawned workers, end to end: the command line as it runs where the platform cannot fork.

A driver script stands in for ``python -m chatassign`` with the runner's start method
forced to spawn (and records which start method the runner asked for). A spawned
worker imports the driver as ``__mp_main__`` before it does anything else, so the
driver can also make the workers slow to start, as on a loaded machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatassign.cli import app
from tests.processes import assert_group_ends, finish, processes

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")

DRIVER = """\
import multiprocessing
import os
import sys
import time

if __name__ == "__mp_main__":  # a spawned worker, starting up
    time.sleep(float(os.environ.get("SLOW_START", "0")))
else:
    from chatassign.simulation import parallel

    def logged(method):
        with open(os.environ["START_LOG"], "a") as log:
            log.write(method + "\\n")
        return multiprocessing.get_context(method)

    parallel.get_all_start_methods = lambda: ["spawn"]
    parallel.get_context = logged
    from chatassign.__main__ import main

    main()
"""

runner = CliRunner()


def _spawning(tmp_path: Path, args: list[str], slow_start: float = 0.0) -> subprocess.Popen[str]:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = dict(os.environ, START_LOG=str(tmp_path / "start.log"), SLOW_START=str(slow_start))
    return subprocess.Popen(
        [sys.executable, str(driver), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )


@pytest.mark.parametrize(
    ("args", "serial"),
    [
        (
            ["simulate", "--replications", "3", "--horizon", "1h", "--format", "json"],
            [],  # simulate's parallel bytes are its serial ones (test_simulation)
        ),
        (
            [
                *("sweep", "--vary", "method=balanced,random", "--replications", "2"),
                *("--horizon", "1h", "--format", "csv", "--workers", "2"),
            ],
            ["--workers", "1"],
        ),
    ],
    ids=["simulate", "sweep"],
)
def test_spawned_workers_give_the_same_bytes_from_the_command_line(
    args: list[str], serial: list[str], tmp_path: Path
) -> None:
    process = _spawning(tmp_path, args)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert (tmp_path / "start.log").read_text() == "spawn\n"  # the runner did spawn
    expected = runner.invoke(app, [*args, *serial])
    assert expected.exit_code == 0, expected.output
    assert stdout == expected.stdout


def _spawned_workers(parent: int) -> list[int]:
    return [p[0] for p in processes() if p[1] == parent and b"spawn_main" in p[4]]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("command", ["simulate", "sweep"])
def test_a_ctrl_c_while_spawned_workers_start_is_one_line(command: str, tmp_path: Path) -> None:
    """Ctrl-C goes to the whole process group, the workers too, mid-start: only the
    parent speaks (no KeyboardInterrupt traceback from a worker), and nothing is left."""
    output = tmp_path / "out.csv"
    args = [command, "--replications", "400", "--format", "csv", "--output", str(output)]
    if command == "sweep":
        args += ["--vary", "method=balanced,random", "--workers", "2"]
    process = _spawning(tmp_path, args, slow_start=3.0)
    deadline = time.monotonic() + 60
    while len(_spawned_workers(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    time.sleep(0.5)  # the workers are importing (sleeping in the driver)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = finish(process, timeout=60, after="Ctrl-C")
    assert process.returncode == 130, stderr
    assert stderr == "interrupted; no unfinished output was written\n"
    assert stdout == ""
    left = {p.name for p in tmp_path.iterdir()} - {"driver.py", "start.log", "out.journal.jsonl"}
    assert left == set()
    assert_group_ends(process.pid)
