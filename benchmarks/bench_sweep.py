"""A 48-point sweep, serially and with worker processes: the speed-up, and equal bytes.

The grid is the built-in example with ``staff.billing=2..7`` × four methods ×
caps 2 and 3 (48 points), each with the same replications (common random numbers).
The serial run and the parallel run must give the same CSV, byte for byte; the
script prints both wall times and the speed-up (goal: ≥ 1.8× with 2 workers on
2 cores).

    python benchmarks/bench_sweep.py                   # 4 replications of 8 h per point
    python benchmarks/bench_sweep.py --replications 2 --workers 4
"""

from __future__ import annotations

import argparse
import os
import time

from chatassign.experiments.execution import Executor, ProcessExecutor, SerialExecutor
from chatassign.experiments.sweep import render_sweep_csv, run_sweep
from chatassign.experiments.variants import Variants, parse_vary
from chatassign.scenario.overrides import build_scenario, read_source

AXES = (
    "staff.billing=2..7",
    "method=balanced,random,round-robin,voluntary",
    "teamspaces.support.assignment.max_auto_assigned=2,3",
)


def timed_sweep(variants: Variants, executor: Executor) -> tuple[float, str]:
    """Wall seconds of the whole sweep and its CSV table."""
    axes = [parse_vary(text) for text in AXES]
    start = time.perf_counter()
    result = run_sweep(variants, axes, executor)
    return time.perf_counter() - start, render_sweep_csv(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    source = read_source(None)
    variants = Variants(build_scenario(source), source, replications=args.replications)
    points = 6 * 4 * 2
    print(f"{points} grid points × {args.replications} replications, {os.cpu_count()} cores")
    serial, serial_csv = timed_sweep(variants, SerialExecutor())
    print(f"serial:    {serial:7.2f} s")
    parallel, parallel_csv = timed_sweep(variants, ProcessExecutor(args.workers))
    print(f"{args.workers} workers: {parallel:7.2f} s")
    assert parallel_csv == serial_csv, "the parallel table differs from the serial one"
    print(f"speed-up:  {serial / parallel:7.2f}× (tables identical)")


if __name__ == "__main__":
    main()
