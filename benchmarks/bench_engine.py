"""Engine throughput: handoff+close pairs per second at a steady load, and peak memory.

Two workspaces: 100 agents in one team, and 10,000 agents in teams of 10 to 1,000
(handoffs go to single teams and to the whole teamspace). Each pair hands one chat off
and closes the oldest open one, holding the open chats near 80 % of capacity. Each
measurement runs in a child process so peak memory (ru_maxrss) is its own.

    python benchmarks/bench_engine.py                 # the issue's measurements
    python benchmarks/bench_engine.py --pairs 100000  # a quicker run
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections import deque

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


def run(agents: int, pairs: int, method: Method) -> dict[str, float]:
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
    }


def child(agents: int, pairs: int, method: str) -> dict[str, float]:
    """Run one measurement in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(agents), str(pairs), method],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    """Print the issue's table: rates for 100 and 10,000 agents, their ratio, memory."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--method", default="balanced")
    parser.add_argument("--child", nargs=3, metavar=("AGENTS", "PAIRS", "METHOD"))
    args = parser.parse_args()
    if args.child:
        agents, pairs, method = args.child
        print(json.dumps(run(int(agents), int(pairs), Method.parse(method))))
        return
    small = child(100, args.pairs, args.method)
    large = child(10_000, args.pairs, args.method)
    tenth = child(100, max(1, args.pairs // 10), args.method)
    print(f"method: {args.method}, cap {CAP}, steady load 80 % of capacity, no observer")
    for row in (small, large):
        print(
            f"{int(row['agents']):>6} agents: {row['pairs_per_s']:>10,.0f} pairs/s "
            f"({int(row['pairs']):,} pairs in {row['seconds']:.2f} s), "
            f"peak RSS {row['peak_rss_mib']:.1f} MiB"
        )
    print(f"10,000-agent rate / 100-agent rate: {large['pairs_per_s'] / small['pairs_per_s']:.2f}")
    print(
        f"peak RSS, 100 agents: {int(tenth['pairs']):,} pairs {tenth['peak_rss_mib']:.1f} MiB, "
        f"{int(small['pairs']):,} pairs {small['peak_rss_mib']:.1f} MiB"
    )


if __name__ == "__main__":
    main()
