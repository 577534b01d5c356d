"""The one output writer and the stdout guard: devices stay devices, links are followed,
bad targets are usage errors before anything runs, a failed stdout is one message."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import chatassign.cli.columns as columns_module
from chatassign.cli import app
from chatassign.cli.output import open_output, output_file

runner = CliRunner()
QUICK = ["--replications", "1", "--horizon", "1h", "--format", "json"]
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX devices and descriptors")


def chatassign(
    *args: str, stdout: int | None = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatassign", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )


@POSIX
def test_a_device_node_is_still_a_device_after_output_to_it() -> None:
    result = runner.invoke(app, ["simulate", *QUICK, "--output", os.devnull])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@POSIX
def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real.name)
    result = runner.invoke(app, ["simulate", *QUICK, "--output", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert '"replications": 1' in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the file keeps its permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


@pytest.mark.parametrize("option", ["--output", "--trace", "--report"])
def test_a_folder_target_exits_2_before_simulating(
    option: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object, **kwargs: object) -> object:
        raise AssertionError("simulated although the output cannot be written")

    monkeypatch.setattr(columns_module, "run_arms", never)
    folder = tmp_path / "out.html"
    folder.mkdir()
    result = runner.invoke(app, ["simulate", *QUICK, option, str(folder)])
    assert result.exit_code == 2, result.output
    assert f"{option} {folder}: this is a folder" in result.output


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "the path is empty"),
        ("{tmp}/missing/out.json", "no such folder"),
        ("{tmp}/read-only.json", "the file is read-only"),
    ],
)
def test_unwritable_targets_are_usage_errors(target: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "read-only.json").write_text("keep")
    (tmp_path / "read-only.json").chmod(0o444)
    path = target.format(tmp=tmp_path)
    for command in ("simulate", "compare"):
        result = runner.invoke(app, [command, *QUICK, "--output", path])
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert (tmp_path / "read-only.json").read_text() == "keep"


@POSIX
def test_a_read_only_folder_is_a_usage_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes in any folder: the read-only file system case is below")
    tmp_path.chmod(0o555)
    try:
        result = runner.invoke(app, ["simulate", *QUICK, "--output", str(tmp_path / "x.json")])
    finally:
        tmp_path.chmod(0o755)
    assert result.exit_code == 2
    assert "cannot write in the folder" in result.output


@POSIX
def test_a_read_only_file_system_is_a_usage_error() -> None:
    if os.access("/proc/sys", os.W_OK) and os.access("/sys", os.W_OK):
        pytest.skip("no read-only mount to try")
    folder = "/sys" if not os.access("/sys", os.W_OK) else "/proc/sys"
    result = runner.invoke(app, ["simulate", *QUICK, "--output", f"{folder}/chatassign.json"])
    assert result.exit_code == 2, result.output
    assert "cannot write in the folder" in result.output


@POSIX
def test_a_full_device_is_an_error_exit_1() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    result = runner.invoke(app, ["simulate", *QUICK, "--output", "/dev/full"])
    assert result.exit_code == 1
    assert "--output /dev/full: cannot write (No space left on device)" in result.output
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_an_interrupted_write_leaves_the_old_file_and_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")

    def interrupted() -> None:
        with open_output(output_file("--output", target)) as handle:
            handle.write("half")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_bare_name_goes_under_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert output_file("--output", "day.json").path == Path("reports/day.json")
    assert output_file("--trace", "day.csv", bare=False).path == Path("day.csv")
    assert (tmp_path / "reports").is_dir()


def test_sweep_output_over_an_existing_file_writes_the_table(tmp_path: Path) -> None:
    out = tmp_path / "grid.csv"
    out.write_text("old")
    args = ["sweep", "--vary", "method=balanced,random", "--replications", "1"]
    args += ["--horizon", "1h", "--workers", "1", "--format", "csv", "--output", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("method,replications,")
    assert (tmp_path / "grid.journal.jsonl").exists()
    folder = runner.invoke(app, [*args[:-1], str(tmp_path)])
    assert folder.exit_code == 2
    assert "this is a folder" in folder.output


def test_staff_output_takes_the_table_too(tmp_path: Path) -> None:
    out = tmp_path / "staff.txt"
    args = ["staff", "--target", "service_level>=0.5", "--team", "billing", "--workers", "1"]
    args += ["--horizon", "2h", "--replications", "3", "--max-replications", "3"]
    result = runner.invoke(app, [*args, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "billing" in out.read_text()


# ---------------------------------------------------------------- stdout


@POSIX
def test_a_full_stdout_exits_1_with_a_message() -> None:
    with open("/dev/full", "w") as full:
        result = chatassign("schema", stdout=full.fileno())
    assert result.returncode == 1
    assert result.stderr.strip() == "error: cannot write to stdout (No space left on device)"


@POSIX
def test_a_closed_stdout_gives_no_traceback() -> None:
    result = subprocess.run(
        f"exec {sys.executable} -m chatassign schema >&-",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot write to stdout" in result.stderr


@POSIX
def test_a_broken_pipe_ends_quietly() -> None:
    """As after ``| head``: the reader is gone before the first write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = chatassign("schema", stdout=write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == ""
