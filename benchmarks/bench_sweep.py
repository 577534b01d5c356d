"""A 48-point sweep, serially and with worker processes: the speed-up, and equal bytes.

The grid is the built-in example with ``staff.billing=2..7`` × four methods ×
caps 2 and 3 (48 points), each with the same replications (common random numbers).
The serial run and the parallel run must give the same CSV, byte for byte; the
script prints both wall times and the speed-up (goal: ≥ 1.8× with 2 workers on
2 cores). On a busy machine the wall times say little: the CPU seconds (this process
and its worker processes) say what the run cost, and the serial CPU time over the
parallel CPU time per worker is the speed-up the run would have on idle cores.

    python benchmarks/bench_sweep.py                   # 4 replications of 8 h per point
    python benchmarks/bench_sweep.py --replications 2 --workers 4
"""

from __future__ import annotations

import argparse
import os
import resource
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


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its ended child processes so far."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed_sweep(variants: Variants, executor: Executor) -> tuple[float, float, str]:
    """Wall and CPU seconds of the whole sweep (workers included), and its CSV table."""
    axes = [parse_vary(text) for text in AXES]
    start, cpu = time.perf_counter(), _cpu_seconds()
    result = run_sweep(variants, axes, executor)
    return time.perf_counter() - start, _cpu_seconds() - cpu, render_sweep_csv(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    source = read_source(None)
    variants = Variants(build_scenario(source), source, replications=args.replications)
    points = 6 * 4 * 2
    print(f"{points} grid points × {args.replications} replications, {os.cpu_count()} cores")
    serial, serial_cpu, serial_csv = timed_sweep(variants, SerialExecutor())
    print(f"serial:    {serial:7.2f} s ({serial_cpu:.2f} s CPU)")
    parallel, parallel_cpu, parallel_csv = timed_sweep(variants, ProcessExecutor(args.workers))
    print(f"{args.workers} workers: {parallel:7.2f} s ({parallel_cpu:.2f} s CPU)")
    assert parallel_csv == serial_csv, "the parallel table differs from the serial one"
    print(f"speed-up:  {serial / parallel:7.2f}× (tables identical)")
    idle = serial_cpu / (parallel_cpu / args.workers)
    print(f"by CPU:    {idle:7.2f}× (serial CPU over parallel CPU per worker)")


if __name__ == "__main__":
    main()
