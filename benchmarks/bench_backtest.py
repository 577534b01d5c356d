"""Backtest time: ``chatassign backtest`` on a 100,000-row export, phase by phase.

Writes bench_fit's synthetic export (100 agents over 60 weekdays, two AI agents, 8 %
abandoned, one unmapped text column), fits it (not timed), then times the backtest
command in process and, apart, its three phases through the library: reading the
export, simulating the replications (worker processes: their CPU time is counted
from RUSAGE_CHILDREN) and computing the recorded figures and ranges. The in-run
baseline (csv.reader alone over the file) shows how loaded the machine is.

    python benchmarks/bench_backtest.py                  # 100,000 rows, 10 replications
    python benchmarks/bench_backtest.py --rows 20000 --replications 4
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, too
from benchmarks.bench_fit import MAPPING, time_bare_csv, write_export
from chatassign.cli import app
from chatassign.history.backtest import backtest_plan, recorded_days, run_backtest
from chatassign.history.export import read_export
from chatassign.history.mapping import load_mapping
from chatassign.scenario.overrides import build_scenario, read_source
from chatassign.simulation import plan_simulation, simulate

T = TypeVar("T")


def timed(step: Callable[[], T]) -> tuple[T, float, float]:
    """``step()``, its wall seconds and its CPU seconds (this process and its children)."""

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    started, before = time.perf_counter(), cpu()
    value = step()
    return value, time.perf_counter() - started, cpu() - before


def main() -> None:
    """Run the measurement and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--replications", type=int, default=10)
    options = parser.parse_args()
    rows, replications = options.rows, options.replications
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        export_path, mapping_path = folder / "export.csv", folder / "mapping.yaml"
        spawn = multiprocessing.get_context("spawn")
        writer = spawn.Process(target=write_export, args=(export_path, rows))
        writer.start()
        writer.join()
        mapping_path.write_text(MAPPING, encoding="utf-8")
        desk = folder / "desk.yaml"
        fitted = CliRunner().invoke(
            app,
            ["fit", str(export_path), "--mapping", str(mapping_path), "--output", str(desk), "-q"],
        )
        if fitted.exit_code != 0:
            print(fitted.output)
            raise SystemExit(1)
        args = ["backtest", str(desk), "--history", str(export_path), "--mapping"]
        args += [str(mapping_path), "--replications", str(replications), "--format", "json"]
        result, wall, cpu = timed(lambda: CliRunner().invoke(app, args))
        print(
            f"backtest of {rows:,} rows, {replications} replications: {wall:.2f} s wall, "
            f"{cpu:.2f} s CPU (with worker processes), exit {result.exit_code}"
        )
        mapping = load_mapping(mapping_path)
        export, read_wall, read_cpu = timed(lambda: read_export(export_path, mapping))
        plan = backtest_plan(
            plan_simulation(build_scenario(read_source(desk)), replications=replications)
        )
        facts, sim_wall, sim_cpu = timed(lambda: simulate(plan))
        workload = plan.workload
        days = recorded_days(
            export, mapping.timezone, day=None, starts_at=workload.starts_at,
            horizon=workload.horizon,
        )  # fmt: skip
        _, figures_wall, figures_cpu = timed(
            lambda: run_backtest(export, days, plan, facts, interval=3600.0)
        )
        chats = sum(len(f.chats) for f in facts)
        print(f"  read the export: {read_wall:.2f} s wall, {read_cpu:.2f} s CPU")
        print(
            f"  simulate: {sim_wall:.2f} s wall, {sim_cpu:.2f} s CPU "
            f"({chats:,} simulated chats over {len(days.origins)} recorded days)"
        )
        print(f"  figures and ranges: {figures_wall:.2f} s wall, {figures_cpu:.2f} s CPU")
        floor = time_bare_csv(export_path)
        print(
            f"in-run baseline: csv.reader alone over the file {floor:.2f} s CPU; "
            f"reading = {read_cpu / floor:.1f}x the bare CSV read"
        )


if __name__ == "__main__":
    main()
