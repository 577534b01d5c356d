"""Small workspaces for engine tests, built in code."""

from __future__ import annotations

import random
from collections.abc import Sequence

from chatassign.engine import Engine, EngineEvent
from chatassign.model import (
    LIVE_AGENT_PERMISSION,
    TRANSFER_TAKEOVER_PERMISSION,
    AIAgent,
    AssignmentSettings,
    CapCounts,
    Handoff,
    Method,
    OnAway,
    Options,
    Plan,
    Role,
    Target,
    Team,
    Teamspace,
    User,
    Workspace,
)

ROLES = (
    Role("agent", frozenset({LIVE_AGENT_PERMISSION})),
    Role("supervisor", frozenset({LIVE_AGENT_PERMISSION, TRANSFER_TAKEOVER_PERMISSION})),
    Role("lead", frozenset({TRANSFER_TAKEOVER_PERMISSION})),
    Role("viewer", frozenset()),
)


def one_team(
    agents: Sequence[str] = ("a", "b", "c"),
    *,
    method: Method = Method.BALANCED,
    cap: int = 2,
    plan: Plan = Plan.ENTERPRISE,
    target: Target | None = None,
    check: bool = True,
    cap_counts: CapCounts = CapCounts.ALL_OPEN,
    on_away: OnAway = OnAway.KEEP,
    extra_users: Sequence[User] = (),
) -> Workspace:
    """Agents on team ``t`` of teamspace ``s``; AI agent ``bot`` hands off to ``target``."""
    return Workspace.build(
        plan=plan,
        roles=list(ROLES),
        users=[User(a, "agent", ("t",)) for a in agents] + list(extra_users),
        teams=[Team("t", ("s",))],
        teamspaces=[Teamspace("s", AssignmentSettings(method, cap))],
        ai_agents=[
            AIAgent("bot", "s", Handoff(target or Target(teamspace=True), availability_check=check))
        ],
        options=Options(cap_counts=cap_counts, on_away=on_away),
    )


def online_engine(
    workspace: Workspace,
    *,
    online: Sequence[str] | None = None,
    seed: int = 0,
    events: list[EngineEvent] | None = None,
) -> Engine:
    """An engine with ``online`` (default: every user) online at times 0, 1, 2, ..."""
    engine = Engine(
        workspace,
        rng=random.Random(seed),
        observer=events.append if events is not None else None,
    )
    names = list(workspace.users) if online is None else list(online)
    for i, name in enumerate(names):
        engine.set_status(name, online=True, now=float(i))
    return engine
