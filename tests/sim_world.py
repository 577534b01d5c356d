"""Small scenarios for simulation tests, built in code (no scenario file needed)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from chatassign.model import (
    LIVE_AGENT_PERMISSION,
    AIAgent,
    AssignmentSettings,
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
from chatassign.workload.distributions import Constant, Distribution, Exponential
from chatassign.workload.values import (
    ArrivalStream,
    Interval,
    RateSegment,
    Scenario,
    VoluntaryBehaviour,
    Workload,
)

Fixed = Constant
"""Always ``value`` seconds (the scenario files' ``constant(x)``)."""
Expo = Exponential
"""Exponential with ``mean`` seconds, one ``rng.random()`` per draw."""
INSTANT = Constant(0.0)


AGENT_ROLE = Role("agent", frozenset({LIVE_AGENT_PERMISSION}))


def workspace(
    agents: Sequence[str] | int = 3,
    *,
    method: Method = Method.BALANCED,
    cap: int = 2,
    teams: int = 1,
    speeds: Mapping[str, float] | None = None,
    on_away: OnAway = OnAway.KEEP,
    check: bool = True,
) -> Workspace:
    """Agents split over ``teams`` teams of teamspace ``s``; one AI agent ``bot<i>`` per team.

    With one team the bot hands off to the whole teamspace; with several, bot<i> hands
    off to team t<i>.
    """
    names = [f"a{i:02d}" for i in range(agents)] if isinstance(agents, int) else list(agents)
    speeds = speeds or {}
    users = [
        User(name, "agent", (f"t{i % teams}",), speeds.get(name, 1.0))
        for i, name in enumerate(names)
    ]
    bots = [
        AIAgent(
            f"bot{i}",
            "s",
            Handoff(
                Target(teamspace=True) if teams == 1 else Target(teams=(f"t{i}",)),
                availability_check=check,
            ),
        )
        for i in range(teams)
    ]
    return Workspace.build(
        plan=Plan.ENTERPRISE,
        roles=[AGENT_ROLE],
        users=users,
        teams=[Team(f"t{i}", ("s",)) for i in range(teams)],
        teamspaces=[Teamspace("s", AssignmentSettings(method, cap))],
        ai_agents=bots,
        options=Options(on_away=on_away),
    )


def scenario(
    ws: Workspace,
    *,
    rate: float,
    handle: Distribution,
    horizon: float,
    warmup: float = 0.0,
    patience: Distribution | None = None,
    slowdown: tuple[float, ...] = (1.0,),
    seed: int = 1,
    replications: int = 1,
    ai_time: Distribution = INSTANT,
    probability: float = 1.0,
    shifts: Mapping[str, tuple[Interval, ...]] | None = None,
    voluntary: VoluntaryBehaviour | None = None,
    run_to_completion: bool = False,
    threshold: float = 60.0,
) -> Scenario:
    """A scenario whose total arrival ``rate`` (per second) is split evenly over the bots."""
    bots = sorted(ws.ai_agents)
    arrivals = tuple(
        ArrivalStream(
            bot,
            (RateSegment(math.inf, rate / len(bots)),),
            probability,
            ai_time,
        )
        for bot in bots
    )
    load = Workload(
        horizon=horizon,
        arrivals=arrivals,
        handle_time=handle,
        warmup=warmup,
        seed=seed,
        replications=replications,
        concurrency_slowdown=slowdown,
        patience=patience,
        service_level_threshold=threshold,
        shifts=MappingProxyType(dict(shifts or {})),
        voluntary=voluntary,
        run_to_completion=run_to_completion,
    )
    return Scenario("test", ws, load)
