"""Fit throughput and memory: ``chatassign fit`` on a one-million-row export.

Writes a synthetic export (CSV; 100 agents over 60 weekdays, each holding about three
chats at once, two AI agents, 8 % abandoned, one unmapped text column per row) to a
temporary folder, then runs the ``fit`` command in process and reports rows per second
(wall clock, and per CPU second: on a shared machine the wall clock includes time spent
waiting for a core) and the peak resident memory of the process (``ru_maxrss``; the file
is written by a child process, so that does not count). Goal: at least 100,000 rows/s and under
1 GiB. The in-run baseline (Python's csv.reader over the same file, doing nothing with
the rows) shows how loaded the machine is: fit's CPU time divided by it is the figure
that moves least with contention.

    python benchmarks/bench_fit.py               # 1,000,000 rows
    python benchmarks/bench_fit.py --rows 20000
"""

from __future__ import annotations

import argparse
import csv
import math
import multiprocessing
import random
import resource
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from chatassign.cli import app

MAPPING = """\
format: csv
timezone: Europe/Berlin
columns:
  handed_off_at: handed_off_at
  assigned_at: assigned_at
  closed_at: closed_at
  agent: agent
  team: team
  ai_agent: bot
  language: language
  outcome: status
outcomes:
  served: [closed]
  abandoned: [abandoned]
"""

AGENTS = 100
DAYS = 60


def write_export(path: Path, rows: int) -> None:
    """``rows`` chats: each agent's day is a run of overlapping chats (about 3 open)."""
    rng = random.Random(1)
    per_agent_day = max(1, rows // (AGENTS * DAYS))
    start = datetime(2026, 1, 5, 8)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "id",
                "handed_off_at",
                "assigned_at",
                "closed_at",
                "agent",
                "team",
                "bot",
                "language",
                "status",
                "transcript",
            ]
        )
        day = 0
        while written < rows:
            date = start + timedelta(days=day + 2 * (day // 5))  # weekdays only
            for agent in range(AGENTS):
                clock = rng.uniform(0, 1800)
                for _ in range(per_agent_day):
                    if written >= rows:
                        break
                    clock += rng.expovariate(1 / 110)
                    handed = date + timedelta(seconds=clock)
                    wait = rng.expovariate(1 / 20) if rng.random() < 0.3 else 0.0
                    bot = "billbot" if agent % 2 else "techbot"
                    team = "billing" if agent % 2 else "tech"
                    if rng.random() < 0.08:
                        left = handed + timedelta(seconds=wait + 30)
                        fields = [handed, "", left, "", team, bot, "en", "abandoned"]
                    else:
                        assigned = handed + timedelta(seconds=wait)
                        talk = math.exp(rng.normalvariate(5.6, 0.6))
                        closed = assigned + timedelta(seconds=talk)
                        fields = [handed, assigned, closed, f"a{agent}", team, bot, "en", "closed"]
                    writer.writerow(
                        [f"c{written}", *[_text(v) for v in fields], "Hello, I need help"]
                    )
                    written += 1
            day += 1


def _text(value: object) -> str:
    return (
        value.isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else str(value)
    )


def time_fit(folder: Path, rows: int) -> tuple[float, float, int, str]:
    """Wall and CPU seconds to fit ``rows`` rows, the exit code and the command's output."""
    export = folder / "export.csv"
    writer = multiprocessing.get_context("spawn").Process(target=write_export, args=(export, rows))
    writer.start()
    writer.join()
    (folder / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    args = ["fit", str(export), "--mapping", str(folder / "mapping.yaml")]
    args += ["--output", str(folder / "desk.yaml"), "--quiet"]
    started, cpu = time.perf_counter(), time.process_time()
    result = CliRunner().invoke(app, args)
    wall = time.perf_counter() - started
    return wall, time.process_time() - cpu, result.exit_code, result.output


def time_bare_csv(path: Path) -> float:
    """CPU seconds of the floor: Python's csv.reader over the same file, doing nothing."""
    cpu = time.process_time()
    with path.open(encoding="utf-8", newline="") as handle:
        for _ in csv.reader(handle):
            pass
    return time.process_time() - cpu


def main() -> None:
    """Run the measurement and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as name:
        seconds, cpu, code, output = time_fit(Path(name), rows)
        floor = time_bare_csv(Path(name) / "export.csv")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    if code != 0:
        print(output)
    print(
        f"fit {rows} rows in {seconds:.2f} s ({rows / seconds:,.0f} rows/s; CPU {cpu:.2f} s, "
        f"{rows / cpu:,.0f} rows/s), "
        f"peak memory {peak:.0f} MiB (before the fit {before / 1024:.0f} MiB), exit {code}"
    )
    print(
        f"in-run baseline: csv.reader alone over the file {floor:.2f} s CPU "
        f"({rows / floor:,.0f} rows/s); fit = {cpu / floor:.1f}x the bare CSV read"
    )


if __name__ == "__main__":
    main()
