"""The compiled and the pure-Python builds: which one runs, and that both give the same bytes.

CI runs the suite twice, on the editable (pure) install and on the installed wheel
(compiled). It sets ``CHATASSIGN_EXPECT_BUILD`` to what each run must be testing, and
``CHATASSIGN_PURE_PATH`` / ``CHATASSIGN_COMPILED_PATH`` to folders whose ``chatassign``
is each build, for the byte-for-byte comparison. Without them those tests skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import chatassign
from chatassign.cli import app
from chatassign.compiled import COMPILED_MODULES, compiled_modules, core_build

BUILD_PATHS = {
    "pure Python": os.environ.get("CHATASSIGN_PURE_PATH"),
    "compiled": os.environ.get("CHATASSIGN_COMPILED_PATH"),
}


def test_version_names_the_build() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"chatassign {chatassign.__version__} ({core_build()} core)\n"


def test_a_build_is_all_compiled_or_all_pure() -> None:
    assert compiled_modules() in ((), COMPILED_MODULES)


def test_every_compiled_module_exists() -> None:
    root = Path(chatassign.__file__).resolve().parent.parent
    assert all((root / module).is_file() for module in COMPILED_MODULES)


@pytest.mark.skipif("CHATASSIGN_EXPECT_BUILD" not in os.environ, reason="set by CI")
def test_the_build_ci_meant_to_test() -> None:
    assert core_build() == os.environ["CHATASSIGN_EXPECT_BUILD"]


def run_build(build: str, *args: str, cwd: Path) -> bytes:
    """``python -m chatassign ARGS`` with ``build``'s folder first on the import path."""
    path = BUILD_PATHS[build]
    assert path is not None
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, "-m", "chatassign", *args],
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.mark.skipif(None in BUILD_PATHS.values(), reason="needs both builds (CI sets their paths)")
def test_compiled_and_pure_builds_give_the_same_bytes(tmp_path: Path) -> None:
    outputs = {}
    for build in BUILD_PATHS:
        assert run_build(build, "--version", cwd=tmp_path).decode().endswith(f"({build} core)\n")
        folder = tmp_path / build.replace(" ", "-")
        folder.mkdir()
        args = ["compare", "--seed", "11", "--replications", "3", "--format", "json"]
        stdout = run_build(build, *args, "--trace", "trace.csv", cwd=folder)
        traces = {p.name: p.read_bytes() for p in sorted(folder.glob("trace*.csv"))}
        assert traces
        outputs[build] = (stdout, traces)
    assert outputs["compiled"] == outputs["pure Python"]
