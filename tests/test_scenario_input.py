"""What a scenario may read: a regular file or stdin (``-``), bounded; ``empirical(PATH)``
inside the scenario's folder, never echoed back."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatassign.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
STARTUP = (ROOT / "scenarios" / "free-startup.yaml").read_text(encoding="utf-8")
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX FIFOs and devices")
QUICK = ["--replications", "1", "--horizon", "1h"]


def with_handle_time(folder: Path, value: str) -> Path:
    path = folder / "scenario.yaml"
    text = STARTUP.replace("handle_time: exponential(mean=6m)", f"handle_time: {value}")
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("output_format", ["github", "json", "text"])
def test_empirical_of_a_system_file_shows_no_line_of_it(output_format: str, tmp_path: Path) -> None:
    secret = Path("/etc/passwd")
    if not secret.is_file():
        pytest.skip("no /etc/passwd")
    path = with_handle_time(tmp_path, f"empirical({secret})")
    result = runner.invoke(app, ["validate", str(path), "--format", output_format])
    assert result.exit_code == 1
    assert "an absolute path is not allowed" in result.output
    for line in secret.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.strip():
            assert line not in result.output


def test_empirical_may_not_leave_the_scenario_folder(tmp_path: Path) -> None:
    (tmp_path / "outside.csv").write_text("secret-value-17\n60\n", encoding="utf-8")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "link.csv").symlink_to(tmp_path / "outside.csv")
    for written in ("../outside.csv", "link.csv"):
        path = with_handle_time(inner, f"empirical({written})")
        result = runner.invoke(app, ["validate", str(path), "--format", "json"])
        assert result.exit_code == 1
        assert "leads outside the scenario's folder" in result.output
        assert "secret-value-17" not in result.output


def test_a_bad_line_of_an_empirical_table_is_named_not_shown(tmp_path: Path) -> None:
    (tmp_path / "times.csv").write_text("seconds\n60\nhunter2\n", encoding="utf-8")
    path = with_handle_time(tmp_path, "empirical(times.csv)")
    result = runner.invoke(app, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 1
    assert "times.csv:3: not a duration" in result.output
    assert "hunter2" not in result.output


@POSIX
def test_an_empirical_fifo_or_device_is_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    for written, message in (("pipe.csv", "not a regular file"), ("zero.csv", "outside")):
        path = with_handle_time(tmp_path, f"empirical({written})")
        start = time.monotonic()
        result = runner.invoke(app, ["validate", str(path), "--format", "json"])
        assert time.monotonic() - start < 10  # no hang, no endless read
        assert result.exit_code == 1
        assert message in result.output


@POSIX
@pytest.mark.parametrize("kind", ["fifo", "device", "too-large"])
def test_a_scenario_that_is_no_regular_file_is_refused_at_once(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
    else:
        with path.open("wb") as handle:
            handle.truncate(64 * 1024 * 1024)  # sparse: refused by its size, never read
    for args in (["validate", str(path)], ["simulate", str(path), *QUICK]):
        start = time.monotonic()
        result = runner.invoke(app, args)
        assert time.monotonic() - start < 10
        assert result.exit_code == 1, result.output
        expected = "limited to 1024 KiB" if kind == "too-large" else "not a regular file"
        assert expected in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "-", *QUICK, "--format", "json"],
        ["compare", "-", *QUICK, "--methods", "balanced,random", "--format", "json"],
        ["sweep", "-", "--vary", "method=balanced,random", *QUICK, "--workers", "1"],
        ["staff", "-", "--target", "service_level>=0.5", "--team", "support", *QUICK, "-q"],
        ["validate", "-", "--format", "json"],
    ],
    ids=lambda args: args[0],
)
def test_a_scenario_can_come_from_stdin(args: list[str]) -> None:
    result = runner.invoke(app, args, input=STARTUP)
    assert result.exit_code == 0, result.output
    if args[0] == "validate":
        assert json.loads(result.stdout) == []


def test_a_broken_scenario_on_stdin_is_named_stdin() -> None:
    result = runner.invoke(app, ["validate", "-", "--format", "json"], input="plan: gold\n")
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["file"] == "<stdin>"
