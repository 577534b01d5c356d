"""Each benchmark script still runs end to end, on a tiny size (speed is not checked here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def bench(script: str, *args: str) -> str:
    """The script's stdout; it must exit 0 within a hang guard."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def build_options() -> list[str]:
    """Both builds where CI provides their folders (``test_build.py``), else the current one."""
    pure, compiled = (
        os.environ.get("CHATASSIGN_PURE_PATH"),
        os.environ.get("CHATASSIGN_COMPILED_PATH"),
    )
    if pure is None or compiled is None:
        return ["--current"]
    return ["--pure", pure, "--compiled", compiled]


def test_bench_simulate_prints_every_measure_of_each_build() -> None:
    options = build_options()
    out = bench("bench_simulate.py", "--handoffs", "3000", "--repeat", "1", *options)
    lines = out.splitlines()
    assert lines[0].split() == [
        "measure",
        "build",
        "handoffs",
        "per",
        "second",
        "ratio",
        "peak",
        "MiB",
    ]
    assert lines[1].startswith("(best of 1 runs each, alternating;")
    builds = 1 if options == ["--current"] else 2
    names = [line.split()[0] for line in lines[2:]]
    assert names == [
        name
        for measure in ("mmc", "full", "streams", "traced")
        for name in ["baseline"] + [measure] * builds
    ]
    assert "(goal 2.0)" in lines[-1]
    if builds == 2:
        assert "compiled" in lines[3]
        assert "(goal 0.7)" in lines[3]
        assert "pure Python" in lines[4]
        assert "(goal 0.35)" in lines[4]


def test_bench_engine_runs_both_sizes() -> None:
    out = bench(
        "bench_engine.py",
        "--pairs",
        "3000",
        "--repeat",
        "1",
        "--method",
        "round-robin",
        *build_options(),
    )
    assert "100 agents:" in out
    assert "10000 agents:" in out
    assert "machine speed: bare SimPy" in out


def test_bench_validate_and_sweep_run() -> None:
    assert "files" in bench("bench_validate.py", "--files", "5")
    assert "identical" in bench("bench_sweep.py", "--replications", "1").lower()


def test_bench_backtest_runs_each_phase() -> None:
    out = bench("bench_backtest.py", "--rows", "20000", "--replications", "2")
    assert "exit 0" in out
    for phase in ("read the export", "simulate", "figures and ranges", "in-run baseline"):
        assert phase in out
