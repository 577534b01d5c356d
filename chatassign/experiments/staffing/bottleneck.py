"""Why a team's size stops moving a target: the pools the team is not part of.

Adding agents to a team helps only the chats whose handoff pool includes the team.
When a target levels off as the team grows, the likely cause is traffic routed to a
pool without the team (a language handed to two agents, say): those pools are
listed here, most loaded first, with their offered load against their capacity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from chatassign.experiments.staffing.erlang_start import mean_handoff_rate, require_workload
from chatassign.workload.values import Scenario


@dataclass(frozen=True, slots=True)
class PoolLoad:
    """The chats one AI agent hands off in one language, and the pool they reach."""

    ai_agent: str
    language: str | None
    pool: str
    """The target's label: ``teams:spanish``, ``users:ana+bo``, ``teamspace``."""
    members: tuple[str, ...]
    rate: float
    """Handed-off chats per second, averaged over the measured window."""
    utilization: float
    """Offered work over the pool's capacity (agents × cap, with the slowdown); inf if empty."""
    includes_team: bool


def pool_loads(scenario: Scenario, team: str) -> list[PoolLoad]:
    """Every (AI agent, language) stream's pool, with its load; busiest first."""
    ws = scenario.workspace
    workload = require_workload(scenario)
    team_agents = {m for m in ws.team_members(team) if ws.is_live_agent(m)}
    slowdown = workload.concurrency_slowdown
    found: list[PoolLoad] = []
    for stream in workload.arrivals:
        ai = ws.ai_agents.get(stream.ai_agent)
        if ai is None:
            continue
        cap = ws.teamspaces[ai.teamspace].assignment.max_auto_assigned
        factor = slowdown[min(cap, len(slowdown)) - 1]
        rate = mean_handoff_rate(stream, workload.warmup, workload.horizon)
        mix: tuple[tuple[str | None, float], ...] = stream.languages or ((None, 1.0),)
        for language, share in mix:
            target = ai.handoff.target_for(language)
            members = ws.pool_members(ai.teamspace, target)
            capacity = cap * math.fsum(ws.users[m].speed for m in members)
            work = rate * share * workload.handle_time.mean * factor
            found.append(
                PoolLoad(
                    ai_agent=ai.id,
                    language=language,
                    pool=target.describe(),
                    members=tuple(sorted(members)),
                    rate=rate * share,
                    utilization=work / capacity if capacity > 0 else math.inf,
                    includes_team=bool(members & team_agents),
                )
            )
    return sorted(found, key=lambda p: (-p.utilization, p.ai_agent, p.language or ""))


def bottleneck_reason(scenario: Scenario, team: str) -> str:
    """A sentence naming the likely bottleneck when growing ``team`` stops helping."""
    outside = [p for p in pool_loads(scenario, team) if not p.includes_team and p.rate > 0]
    if not outside:
        return (
            f"every pool with traffic includes team {team}, so something other than its "
            "size limits the target (the cap, the AI time, customers' patience, or shifts)"
        )
    parts = [_describe(pool) for pool in outside[:3]]
    more = f" and {len(outside) - 3} more" if len(outside) > 3 else ""
    return (
        f"team {team} is not the bottleneck: {'; '.join(parts)}{more}; "
        f"team {team} is not part of {'that pool' if len(outside) == 1 else 'those pools'}"
    )


def _describe(pool: PoolLoad) -> str:
    chats = f"{pool.language} chats" if pool.language is not None else "chats"
    who = ", ".join(pool.members) if pool.members else "nobody"
    count = len(pool.members)
    load = (
        "no one to serve them"
        if math.isinf(pool.utilization)
        else f"offered load {pool.utilization * 100:.0f} % of their capacity"
    )
    return (
        f"{chats} of {pool.ai_agent} ({pool.rate * 3600:.0f}/h) go to {pool.pool}, "
        f"only {count} agent{'' if count == 1 else 's'} ({who}): {load}"
    )
