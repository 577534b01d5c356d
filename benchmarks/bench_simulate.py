"""Simulator throughput of both builds against a bare SimPy M/M/c loop, and peak memory.

Five measurements, each in its own child process (so its peak RSS is its own):

* ``baseline`` — a bare SimPy M/M/c queue: one ``Timeout`` with a callback per
  arrival and per service, a deque as the queue, a counter of busy servers;
* ``mmc`` — ``simulate`` on the equivalent scenario: one teamspace, 50 agents × cap 3,
  exponential handle time, every arrival handed off at once, no trace;
* ``full`` — the same with concurrency slowdown [1, 1.2, 1.5], exponential patience
  and 20 teams (one AI agent handing off to each);
* ``streams`` — ``full`` with per-AI-agent parameters: each of the 20 AI agents has
  its own exponential handle time and patience (same means), so every customer
  draws from its AI agent's own random streams;
* ``traced`` — ``mmc`` writing the ``--trace`` CSV (``TraceWriter``, as the command
  line does) to a file; its goal is a time per handoff at most twice ``mmc``'s.

Every run offers 90 % of the capacity. Every measure but the baseline runs on each
build (``builds.py``: compiled from a wheel, pure Python from this tree). Prints
handoffs per second and the ratio to the baseline. Each measure runs ``--repeat``
times (default 3), alternating with baseline runs; each side counts its best run, so
a busy machine (which only ever slows a run down) skews a ratio less.

    python benchmarks/bench_simulate.py                    # 1,000,000 handoffs each
    python benchmarks/bench_simulate.py --handoffs 100000  # a quicker run
    python benchmarks/bench_simulate.py --compiled none    # the pure build only
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import sys
import tempfile
import time
from collections import deque
from contextlib import ExitStack
from pathlib import Path
from types import MappingProxyType

import simpy

# builds.py beside this script; appended, so the chatassign under test stays the one
# PYTHONPATH (or the installed package) provides.
sys.path.append(str(Path(__file__).resolve().parent.parent))
from benchmarks.builds import (
    COMPILED,
    PURE,
    Build,
    add_build_options,
    build_of_this_process,
    chosen_builds,
)
from chatassign.model import (
    LIVE_AGENT_PERMISSION,
    AIAgent,
    AssignmentSettings,
    Handoff,
    Method,
    Plan,
    Role,
    Target,
    Team,
    Teamspace,
    User,
    Workspace,
)
from chatassign.simulation import plan_simulation, simulate
from chatassign.simulation.trace import TraceWriter
from chatassign.workload.distributions import Constant, Exponential
from chatassign.workload.values import ArrivalStream, RateSegment, Scenario, Workload

AGENTS = 50
CAP = 3
HANDLE_MEAN = 600.0
LOAD = 0.9
ARRIVAL_RATE = LOAD * AGENTS * CAP / HANDLE_MEAN


def bare_simpy(handoffs: int) -> float:
    """Customers per second of a minimal callback-driven M/M/c loop on SimPy."""
    env = simpy.Environment()
    arrivals, services = random.Random(1), random.Random(2)
    servers = AGENTS * CAP
    queue: deque[float] = deque()
    state = {"busy": 0, "arrived": 0}

    def start() -> None:
        state["busy"] += 1
        env.timeout(services.expovariate(1 / HANDLE_MEAN)).callbacks.append(finish)

    def finish(_: simpy.Event) -> None:
        state["busy"] -= 1
        if queue:
            queue.popleft()
            start()

    def arrive(_: simpy.Event) -> None:
        state["arrived"] += 1
        if state["arrived"] < handoffs:
            env.timeout(arrivals.expovariate(ARRIVAL_RATE)).callbacks.append(arrive)
        if state["busy"] < servers:
            start()
        else:
            queue.append(env.now)

    env.timeout(arrivals.expovariate(ARRIVAL_RATE)).callbacks.append(arrive)
    began = time.perf_counter()
    env.run()
    return handoffs / (time.perf_counter() - began)


def bench_workspace(teams: int) -> Workspace:
    """50 live agents over ``teams`` teams of one teamspace; one AI agent per team."""
    users = [User(f"a{i:02d}", "agent", (f"t{i % teams}",)) for i in range(AGENTS)]
    bots = [
        AIAgent(
            f"bot{i}",
            "s",
            Handoff(Target(teamspace=True) if teams == 1 else Target(teams=(f"t{i}",))),
        )
        for i in range(teams)
    ]
    return Workspace.build(
        plan=Plan.ENTERPRISE,
        roles=[Role("agent", frozenset({LIVE_AGENT_PERMISSION}))],
        users=users,
        teams=[Team(f"t{i}", ("s",)) for i in range(teams)],
        teamspaces=[Teamspace("s", AssignmentSettings(Method.BALANCED, CAP))],
        ai_agents=bots,
    )


def bench_scenario(handoffs: int, *, full: bool, streams: bool = False) -> Scenario:
    """The M/M/c scenario, or the full one (per-AI-agent parameters with ``streams``)."""
    teams = 20 if full else 1
    ws = bench_workspace(teams)
    # Team sizes differ (50 agents over 20 teams): offer each its share of the load.
    sizes = [sum(1 for i in range(AGENTS) if i % teams == t) for t in range(teams)]
    slowdown = (1.0, 1.2, 1.5) if full else (1.0,)
    # With slowdown the capacity at cap is 3/1.5 = 2 chats per handle time per agent.
    capacity = AGENTS * (CAP / slowdown[-1]) / HANDLE_MEAN
    rate = LOAD * capacity
    arrivals = tuple(
        ArrivalStream(
            f"bot{t}",
            (RateSegment(math.inf, rate * size / AGENTS),),
            1.0,
            Constant(0.0),
            handle_time=Exponential(HANDLE_MEAN) if streams else None,
            patience=Exponential(240.0) if streams else None,
        )
        for t, size in enumerate(sizes)
    )
    workload = Workload(
        horizon=handoffs / rate,
        arrivals=arrivals,
        handle_time=Exponential(HANDLE_MEAN),
        seed=1,
        concurrency_slowdown=slowdown,
        patience=Exponential(240.0) if full else None,
        shifts=MappingProxyType({}),
    )
    return Scenario("bench", ws, workload)


def run_simulate(
    handoffs: int, *, full: bool, streams: bool = False, traced: bool = False
) -> tuple[float, int]:
    """(handoffs per second, handoffs) of one replication; ``traced`` writes the trace CSV."""
    plan = plan_simulation(bench_scenario(handoffs, full=full, streams=streams))
    with tempfile.TemporaryFile("w", encoding="utf-8", newline="") as handle:
        sink = TraceWriter(handle) if traced else None
        began = time.perf_counter()
        (facts,) = simulate(plan, workers=1, trace=sink)
        if sink is not None:
            sink.flush()
        handle.flush()
        elapsed = time.perf_counter() - began
    done = facts.counts.handed_off
    return done / elapsed, done


def measure(name: str, handoffs: int) -> dict[str, float | str]:
    """One measurement in this process: its rate, this process's peak RSS, the build."""
    if name == "baseline":
        rate, count = bare_simpy(handoffs), handoffs
    else:
        full, streams, traced = name in ("full", "streams"), name == "streams", name == "traced"
        rate, count = run_simulate(handoffs, full=full, streams=streams, traced=traced)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rate": rate,
        "handoffs": count,
        "peak_mib": peak_kib / 1024,
        "build": build_of_this_process(),
    }


GOALS = {
    ("mmc", COMPILED): 0.7,
    ("mmc", PURE): 0.35,
    ("full", COMPILED): 0.5,
    ("full", PURE): 0.25,
    ("streams", COMPILED): 0.5,
    ("streams", PURE): 0.25,
}
"""Goals as ratios to the baseline's rate."""
TRACED_GOAL = 2.0
"""The traced run's time per handoff, at most this many times the untraced one's."""


def best_runs(
    name: str, builds: list[Build], handoffs: int, repeat: int
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """The best baseline run and each build's best run, alternating between them."""
    command = [__file__, "--only", name, "--handoffs", str(handoffs)]
    base_command = [__file__, "--only", "baseline", "--handoffs", str(handoffs)]
    # The baseline is bare SimPy: the same in every build.
    baselines = [builds[0].run(base_command)]
    runs: dict[str, list[dict[str, float]]] = {build.name: [] for build in builds}
    for _ in range(repeat):
        for build in builds:
            runs[build.name].append(build.run(command))
            baselines.append(builds[0].run(base_command))
    best = {key: max(values, key=lambda r: r["rate"]) for key, values in runs.items()}
    return max(baselines, key=lambda r: r["rate"]), best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handoffs", type=int, default=1_000_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measure; the best one counts"
    )
    parser.add_argument("--only", choices=("baseline", "mmc", "full", "streams", "traced"))
    add_build_options(parser)
    args = parser.parse_args()
    if args.only:
        print(json.dumps(measure(args.only, args.handoffs)))
        return
    with ExitStack() as stack:
        builds = chosen_builds(args, stack)
        report(builds, args.handoffs, args.repeat)


def report(builds: list[Build], handoffs: int, repeat: int) -> None:
    """Print every measure of every build against the baseline."""
    header = f"{'measure':<9} {'build':<12} {'handoffs':>9} {'per second':>11} {'ratio':>6}"
    print(f"{header} {'peak MiB':>9}")
    print(f"(best of {repeat} runs each, alternating; {os.cpu_count()} cores, load {load()})")
    untraced: dict[str, float] = {}
    for name in ("mmc", "full", "streams", "traced"):
        base, best = best_runs(name, builds, handoffs, repeat)
        print(
            f"{'baseline':<9} {'':<12} {base['handoffs']:>9.0f} {base['rate']:>11,.0f} "
            f"{1:>6.2f} {base['peak_mib']:>9.1f}"
        )
        for build in builds:
            run = best[build.name]
            ratio = run["rate"] / base["rate"]
            line = (
                f"{name:<9} {build.name:<12} {run['handoffs']:>9.0f} {run['rate']:>11,.0f} "
                f"{ratio:>6.2f} {run['peak_mib']:>9.1f}"
            )
            if name == "mmc":
                untraced[build.name] = run["rate"]
            if name == "traced":
                slower = untraced[build.name] / run["rate"]
                verdict = "ok" if slower <= TRACED_GOAL else "below goal"
                line += f"  {slower:.2f}x the untraced time: {verdict} (goal {TRACED_GOAL})"
            elif (name, build.name) in GOALS:
                goal = GOALS[name, build.name]
                line += f"  {'ok' if ratio >= goal else 'below goal'} (goal {goal})"
            print(line, flush=True)


def load() -> str:
    """The 1-minute load average, for the conditions line."""
    return f"{os.getloadavg()[0]:.1f}"


if __name__ == "__main__":
    main()
