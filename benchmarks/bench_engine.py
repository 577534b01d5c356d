"""Engine throughput of both builds: handoff+close pairs per second, and peak memory.

Two workspaces: 100 agents in one team, and 10,000 agents in teams of 10 to 1,000
(handoffs go to single teams and to the whole teamspace). Each pair hands one chat off
and closes the oldest open one, holding the open chats near 80 % of capacity. Each
measurement runs in a child process so peak memory (ru_maxrss) is its own, on each
build (``builds.py``: compiled from a wheel, pure Python from this tree), ``--repeat``
times (default 3); the best run counts. A pair rate depends on the machine, so the
bare SimPy loop of ``bench_simulate.py`` is timed alongside as its speed: the last
column scales each rate to a machine where that loop runs 360,000 customers/s.

    python benchmarks/bench_engine.py                 # the issue's measurements
    python benchmarks/bench_engine.py --pairs 100000  # a quicker run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from collections import deque
from contextlib import ExitStack
from pathlib import Path

# builds.py beside this script; appended, so the chatassign under test stays the one
# PYTHONPATH (or the installed package) provides.
sys.path.append(str(Path(__file__).resolve().parent.parent))
from benchmarks.builds import (
    COMPILED,
    Build,
    add_build_options,
    build_of_this_process,
    chosen_builds,
)
from chatassign.engine import Engine
from chatassign.model import (
    LIVE_AGENT_PERMISSION,
    AIAgent,
    AssignmentSettings,
    Chat,
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

CAP = 3
TEAM_SIZES_10K = (10, 20, 50, 100, 200, 500, 1000)


def build_workspace(agents: int, method: Method) -> tuple[Workspace, list[str]]:
    """A workspace of ``agents`` live agents and the AI agents that hand off to it."""
    sizes: list[int] = []
    if agents <= 1000:
        sizes = [agents]
    else:
        remaining = agents
        i = 0
        while remaining > 0:
            size = min(TEAM_SIZES_10K[i % len(TEAM_SIZES_10K)], remaining)
            sizes.append(size)
            remaining -= size
            i += 1
    users: list[User] = []
    teams: list[Team] = []
    ai_agents: list[AIAgent] = []
    uid = 0
    for t, size in enumerate(sizes):
        team_id = f"team{t}"
        teams.append(Team(team_id, ("support",)))
        for _ in range(size):
            users.append(User(f"agent{uid:05d}", "agent", (team_id,)))
            uid += 1
        ai_agents.append(AIAgent(f"bot{t}", "support", Handoff(Target(teams=(team_id,)))))
    ai_agents.append(AIAgent("bot-all", "support", Handoff(Target(teamspace=True))))
    workspace = Workspace.build(
        plan=Plan.ENTERPRISE,
        roles=[Role("agent", frozenset({LIVE_AGENT_PERMISSION}))],
        users=users,
        teams=teams,
        teamspaces=[Teamspace("support", AssignmentSettings(method, CAP))],
        ai_agents=ai_agents,
    )
    # Bots are weighted by team size so every team sees the same load per agent.
    weights = [*sizes, max(1, agents // 10)]
    rng = random.Random(1)
    names = [a.id for a in ai_agents]
    choices = rng.choices(names, weights=weights, k=4096)
    return workspace, choices


def run(agents: int, pairs: int, method: Method) -> dict[str, float | str]:
    """Hand off and close ``pairs`` chats; the pair rate and this process's peak memory."""
    workspace, bots = build_workspace(agents, method)
    engine = Engine(workspace, rng=random.Random(7))
    for user in workspace.users:
        engine.set_status(user, online=True, now=0.0)
    steady = int(agents * CAP * 0.8)
    open_chats: deque[int] = deque()
    handoff = engine.handoff
    close = engine.close
    n_bots = len(bots)
    for i in range(steady):
        if handoff(Chat(i, bots[i % n_bots]), 0.0).agent is not None:
            open_chats.append(i)
    pending = engine.pending_count()
    started = time.perf_counter()
    now = 1.0
    for i in range(steady, steady + pairs):
        now += 0.001
        result = handoff(Chat(i, bots[i % n_bots]), now)
        if result.agent is not None:
            open_chats.append(i)
        for assignment in close(open_chats.popleft(), now):
            open_chats.append(assignment.chat)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    return {
        "agents": agents,
        "pairs": pairs,
        "seconds": elapsed,
        "pairs_per_s": pairs / elapsed,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "pending_at_start": pending,
        "build": build_of_this_process(),
    }


REFERENCE_SPEED = 360_000
"""Bare SimPy customers/s on the machine the goals were set on."""
GOAL_100 = 700_000
"""Compiled pairs/s at 100 agents (at the reference speed); 10,000 agents: half of that."""


def best(build: Build, command: list[str], repeat: int) -> dict[str, float]:
    runs = [build.run(command) for _ in range(repeat)]
    return max(runs, key=lambda r: r["pairs_per_s"])


def main() -> None:
    """Print the issue's table: rates for 100 and 10,000 agents, their ratio, memory."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--method", default="balanced")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--child", nargs=3, metavar=("AGENTS", "PAIRS", "METHOD"))
    add_build_options(parser)
    args = parser.parse_args()
    if args.child:
        agents, pairs, method = args.child
        print(json.dumps(run(int(agents), int(pairs), Method.parse(method))))
        return
    with ExitStack() as stack:
        builds = chosen_builds(args, stack)
        report(builds, args.pairs, args.method, args.repeat)


def report(builds: list[Build], pairs: int, method: str, repeat: int) -> None:
    baseline = [str(Path(__file__).with_name("bench_simulate.py")), "--only", "baseline"]
    baseline += ["--handoffs", str(min(pairs, 300_000))]
    speeds = [builds[0].run(baseline)["rate"]]
    print(f"method: {method}, cap {CAP}, steady load 80 % of capacity, no observer")
    print(f"(best of {repeat} runs each; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    for build in builds:
        rows = []
        for agents in (100, 10_000):
            command = [__file__, "--child", str(agents), str(pairs), method]
            rows.append(best(build, command, repeat))
            speeds.append(builds[0].run(baseline)["rate"])
        speed = max(speeds)
        scale = REFERENCE_SPEED / speed
        small, large = rows
        for row in rows:
            line = (
                f"{build.name:<12} {int(row['agents']):>6} agents: "
                f"{row['pairs_per_s']:>10,.0f} pairs/s, peak RSS {row['peak_rss_mib']:.1f} MiB; "
                f"at the reference speed {row['pairs_per_s'] * scale:>10,.0f}"
            )
            if build.name == COMPILED:
                goal = GOAL_100 if row is small else GOAL_100 / 2
                verdict = "ok" if row["pairs_per_s"] * scale >= goal else "below goal"
                line += f"  {verdict} (goal {goal:,.0f})"
            print(line)
        ratio = large["pairs_per_s"] / small["pairs_per_s"]
        print(f"{build.name:<12} 10,000-agent rate / 100-agent rate: {ratio:.2f}")
    print(f"machine speed: bare SimPy {speed:,.0f} customers/s (reference {REFERENCE_SPEED:,})")


if __name__ == "__main__":
    main()
