"""Each benchmark script still runs end to end, on a tiny size (speed is not checked here)."""

from __future__ import annotations

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


def test_bench_simulate_prints_every_ratio() -> None:
    out = bench("bench_simulate.py", "--handoffs", "3000", "--repeat", "1")
    lines = out.splitlines()
    assert lines[0].split() == ["measure", "handoffs", "per", "second", "ratio", "peak", "MiB"]
    assert lines[1] == "(best of 1 runs each, alternating)"
    names = [line.split()[0] for line in lines[2:]]
    assert names == ["baseline", "mmc", "baseline", "full", "baseline", "streams"]
    assert "(goal 0.4)" in lines[3]
    assert "(goal 0.25)" in lines[5]
    assert "(goal 0.25)" in lines[7]


def test_bench_engine_runs_both_sizes() -> None:
    out = bench("bench_engine.py", "--pairs", "3000", "--method", "round-robin")
    assert "100 agents:" in out
    assert "10000 agents:" in out


def test_bench_validate_and_sweep_run() -> None:
    assert "files" in bench("bench_validate.py", "--files", "5")
    assert "identical" in bench("bench_sweep.py", "--replications", "1").lower()
