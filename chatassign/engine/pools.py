"""The engine's state and how it is looked up: agents, teamspaces, routes, pools, pickers.

``EngineBase`` holds everything the engine knows and answers every question about it
without changing it: the read-only queries of the public API, the routes from an AI
agent to its pool (resolved once), the pools and their pickers (built on first use and
rebuilt when a setting or a user changes), and the argument checks every operation
starts with. ``Engine`` (``core.py``) adds the operations that change it.

Under a heap method (balanced, round robin) every team of a teamspace has one picker,
and a pool made of whole teams picks through its teams' pickers (one team: that
team's; several, or the whole teamspace: a ``UnionPicker`` of them), so a change of an
agent refreshes each of its teams' heaps once, not one heap per pool it is in.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from typing import Final, cast

from chatassign.engine.records import ChatState, Observer
from chatassign.engine.state import AgentRecord, LiveChat, Pool, Route, TeamspaceState
from chatassign.errors import ConfigError, EngineConfigError, EngineError
from chatassign.methods import HeapPicker, Picker, UnionPicker, make_picker
from chatassign.model import (
    MAX_CAP,
    TRANSFER_MIN_PLAN,
    CapCounts,
    ChatId,
    Method,
    OnAway,
    Target,
    Workspace,
    method_allowed,
    required_plan,
)

_INF: Final = math.inf
_HEAP_METHODS: Final = (Method.BALANCED, Method.ROUND_ROBIN)
MAX_UNION: Final = 64
"""The most teams a pool picks through (``_teams_of``): beyond, it keeps a heap of its own."""
_EARLIEST: Final = -1.7976931348623157e308
"""Below every finite time: the engine's clock before its first operation."""


class EngineBase:
    """The engine's state, its lookups and queries; ``Engine`` adds the operations."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        rng: random.Random | None = None,
        observer: Observer | None = None,
        enforce_plan: bool = True,
    ) -> None:
        """Build the engine; every user starts away with no chats.

        ``rng`` feeds the random method (a fresh ``random.Random(0)`` if omitted; the
        global source is never used). ``enforce_plan=False`` lets a method above the
        plan run, for comparisons; by default it is a ``ConfigError``.
        """
        self._workspace = workspace
        self._rng = rng if rng is not None else random.Random(0)
        self._observer = observer
        self._enforce_plan = enforce_plan
        self._now = _EARLIEST
        """The time of the last operation: ``now`` may not go back before it."""
        self._next_seq: Callable[[], int] = itertools.count(1).__next__
        self._front_seq = 0
        self._all_open = workspace.options.cap_counts is CapCounts.ALL_OPEN
        self._requeue_on_away = workspace.options.on_away is OnAway.REQUEUE
        self._chats: dict[ChatId, LiveChat] = {}
        self._agents: dict[str, AgentRecord] = {
            uid: AgentRecord(uid, live=workspace.is_live_agent(uid)) for uid in workspace.users
        }
        self._teamspaces: dict[str, TeamspaceState] = {}
        for ts in workspace.teamspaces.values():
            settings = ts.assignment
            self._check_method(ts.id, settings.method)
            self._check_cap(ts.id, settings.max_auto_assigned)
            self._teamspaces[ts.id] = TeamspaceState(
                ts.id, settings.method, settings.max_auto_assigned
            )
        self._pools: dict[tuple[str, Target], Pool] = {}
        self._routes: dict[str, dict[str | None, Route]] = {}
        """AI agent -> language -> route, filled on first use."""
        for ai in workspace.ai_agents.values():
            if ai.teamspace not in self._teamspaces:
                raise ConfigError(f"AI agent {ai.id!r}: unknown teamspace {ai.teamspace!r}")
            targets = [ai.handoff.target, *(t for _, t in ai.handoff.by_language)]
            for target in targets:
                if target.agent is not None and target.agent not in self._agents:
                    raise ConfigError(f"AI agent {ai.id!r}: unknown agent {target.agent!r}")

    # ----------------------------------------------------------------- queries

    @property
    def workspace(self) -> Workspace:
        """The configuration in force (``update_user`` replaces it)."""
        return self._workspace

    def last_time(self) -> float | None:
        """The ``now`` of the last operation (None before the first): no call may go before it."""
        return None if self._now == _EARLIEST else self._now

    def is_online(self, agent_id: str) -> bool:
        """Whether the agent is online."""
        return self._agent(agent_id).online

    def load(self, agent_id: str) -> int:
        """The agent's open livechats, whatever their origin."""
        return self._agent(agent_id).load

    def chats_of(self, agent_id: str) -> tuple[ChatId, ...]:
        """The ids of the agent's open chats, in the order they were assigned."""
        return tuple(self._agent(agent_id).chats)

    def assignee(self, chat_id: ChatId) -> str | None:
        """The agent holding the chat, or None while it is pending."""
        agent = self._live(chat_id).agent
        return agent.id if agent is not None else None

    def state(self, chat_id: ChatId) -> ChatState | None:
        """The chat's state while the engine holds it; None once closed or abandoned."""
        live = self._chats.get(chat_id)
        return live.state if live is not None else None

    def pending_count(self, teamspace: str | None = None) -> int:
        """Chats waiting for an assignee, in one teamspace or in all."""
        if teamspace is not None:
            return self._teamspace(teamspace).pending
        return sum(ts.pending for ts in self._teamspaces.values())

    def pending(self, teamspace: str | None = None) -> list[ChatId]:
        """The pending chats in queue order (oldest first), in one teamspace or in all."""
        entries = [
            (seq, live.id)
            for pool in self._pools.values()
            if teamspace is None or pool.teamspace.id == teamspace
            for seq, live in pool.waiting
            if live.queue_seq == seq
        ]
        return [chat_id for _, chat_id in sorted(entries, key=lambda e: e[0])]

    def open_count(self) -> int:
        """Chats the engine holds now (pending and open)."""
        return len(self._chats)

    def cap(self, teamspace: str) -> int:
        """The teamspace's cap in force."""
        return self._teamspace(teamspace).cap

    def method(self, teamspace: str) -> Method:
        """The teamspace's method in force."""
        return self._teamspace(teamspace).method

    def pool_members(self, ai_agent: str, language: str | None = None) -> frozenset[str]:
        """The live agents a chat of ``ai_agent`` in ``language`` may be placed with."""
        _ts, target, pool, _check = self._route(ai_agent, language)
        if pool is None:
            return frozenset({target.agent}) if target.agent is not None else frozenset()
        return frozenset(a.id for a in pool.members)

    def oldest_claimable(self, agent_id: str) -> ChatId | None:
        """The oldest pending chat of a voluntary teamspace that the agent may claim."""
        agent = self._agent(agent_id)
        best: tuple[int, ChatId] | None = None
        for pool in agent.pools:
            if pool.teamspace.method is not Method.VOLUNTARY:
                continue
            head = self._head(pool)
            if head is not None and (best is None or head.queue_seq < best[0]):
                best = (head.queue_seq, head.id)
        return best[1] if best is not None else None

    def claimable_by(self, chat_id: ChatId) -> tuple[str, ...]:
        """The agents who may claim a pending chat (its pool's live members)."""
        live = self._live(chat_id)
        return tuple(a.id for a in live.pool.members)

    # ------------------------------------------------- pools, routes, pickers

    def _head(self, pool: Pool) -> LiveChat | None:
        """The pool's oldest waiting chat; stale queue entries are dropped on the way."""
        waiting = pool.waiting
        while waiting:
            seq, live = waiting[0]
            if live.queue_seq == seq and live.pool is pool:
                return live
            waiting.popleft()
        return None

    def _route(self, ai_agent: str, language: str | None) -> Route:
        by_language = self._routes.setdefault(ai_agent, {})
        route = by_language.get(language)
        if route is None:
            ai = self._workspace.ai_agents.get(ai_agent)
            if ai is None:
                raise EngineError(f"unknown AI agent {ai_agent!r}")
            ts = self._teamspaces[ai.teamspace]
            target = ai.handoff.target_for(language)
            pool = None if target.is_direct else self._pool(ts, target)
            route = Route(ts, target, pool, ai.handoff.availability_check)
            by_language[language] = route
        return route

    def _pool(self, ts: TeamspaceState, target: Target) -> Pool:
        key = (ts.id, target)
        pool = self._pools.get(key)
        if pool is None:
            pool = Pool(ts, target)
            self._pools[key] = pool
            ts.pools.append(pool)
            self._fill_pool(pool)
            self._rebuild_picker(pool)
        return pool

    def _fill_pool(self, pool: Pool) -> None:
        ids = self._workspace.pool_members(pool.teamspace.id, pool.target)
        pool.members = [self._agents[uid] for uid in sorted(ids)]
        pool.online = sum(1 for a in pool.members if a.online)
        for agent in pool.members:
            agent.pools.append(pool)

    def _rebuild_pickers(self, ts: TeamspaceState) -> None:
        for agent in self._agents.values():
            agent.pickers = [p for p in agent.pickers if p.teamspace is not ts]
        ts.teams = {}
        for pool in ts.pools:
            pool.cap = ts.cap
            self._rebuild_picker(pool)

    def _rebuild_picker(self, pool: Pool) -> None:
        """A fresh picker for the pool: its teams' shared ones where it is made of whole
        teams and the method keeps a heap, else one of its own."""
        teams = self._teams_of(pool)
        if teams:
            parts = [self._team_picker(pool.teamspace, team) for team in teams]
            pool.picker = parts[0] if len(parts) == 1 else UnionPicker(parts)
            return
        pool.picker = self._make_picker(pool)
        if pool.picker is not None:
            self._offer(pool)

    def _teams_of(self, pool: Pool) -> tuple[str, ...]:
        """The teams whose union is the pool, when it may pick through their shared pickers.

        A heap method's order is a function of the agents' state alone, so a shared
        picker answers what the pool's own would; random's answer depends on the order
        agents were offered, so its pools keep their own. So do pools naming users, and
        unions of more than ``MAX_UNION`` teams (a pick reads every team's top).
        """
        target = pool.target
        if pool.teamspace.method not in _HEAP_METHODS or target.agent is not None:
            return ()
        if target.users:
            return ()
        if target.teamspace:
            teams = self._workspace.teamspace_teams(pool.teamspace.id)
        else:
            teams = tuple(dict.fromkeys(target.teams))
        return teams if len(teams) <= MAX_UNION else ()

    def _team_picker(self, ts: TeamspaceState, team: str) -> HeapPicker:
        holder = ts.teams.get(team)
        if holder is None:
            holder = Pool(ts, Target(teams=(team,)))
            ids = self._workspace.pool_members(ts.id, holder.target)
            holder.members = [self._agents[uid] for uid in sorted(ids)]
            holder.picker = self._make_picker(holder)
            self._offer(holder)
            ts.teams[team] = holder
        return cast(HeapPicker, holder.picker)

    def _make_picker(self, pool: Pool) -> Picker | None:
        ts = pool.teamspace
        return make_picker(
            ts.method,
            teamspace=ts.id,
            members=pool.members,
            rng=self._rng,
            sequence=self._next_seq,
        )

    def _offer(self, pool: Pool) -> None:
        """Every member of the pool to its fresh picker, which they now refresh."""
        picker = pool.picker
        assert picker is not None
        for agent in pool.members:
            agent.pickers.append(pool)
            held = agent.load if self._all_open else agent.auto_load
            picker.refresh(agent, agent.online and agent.live and held < pool.cap)

    # ---------------------------------------------------------- argument checks

    def _valid_now(self, now: float) -> float:
        """``now`` if it is a finite time not before the last operation's; else EngineError."""
        if type(now) is float and self._now <= now < _INF:
            return now
        if isinstance(now, bool) or not isinstance(now, int | float):
            raise EngineError(f"now must be a number of seconds, not {now!r}")
        try:
            seconds = float(now)
        except OverflowError:
            raise EngineError(f"now must be a finite number of seconds, not {now!r}") from None
        if not math.isfinite(seconds):
            raise EngineError(f"now must be a finite number of seconds, not {now!r}")
        if seconds < self._now:
            raise EngineError(
                f"now ({seconds!r}) is earlier than the last operation's time ({self._now!r}); "
                "time only goes forward"
            )
        return seconds

    def _check_method(self, teamspace: str, method: Method) -> None:
        if self._enforce_plan and not method_allowed(method, self._workspace.plan):
            raise EngineConfigError(
                f"teamspace {teamspace!r}: {method.value} needs plan "
                f"{required_plan(method).label} or above; this workspace is on "
                f"{self._workspace.plan.label}"
            )

    def _check_cap(self, teamspace: str, cap: int) -> None:
        if not 1 <= cap <= MAX_CAP:
            raise EngineConfigError(
                f"teamspace {teamspace!r}: the cap must be at least 1 and at most {MAX_CAP}, "
                f"not {cap}"
            )

    def _check_transfers_allowed(self, what: str) -> None:
        if self._workspace.plan < TRANSFER_MIN_PLAN:
            raise EngineError(
                f"{what} needs plan {TRANSFER_MIN_PLAN.label} or above; "
                f"this workspace is on {self._workspace.plan.label}"
            )

    def _agent(self, agent_id: str) -> AgentRecord:
        agent = self._agents.get(agent_id) if type(agent_id) is str else None
        if agent is None:
            raise EngineError(f"unknown user {agent_id!r}")
        return agent

    def _teamspace(self, teamspace: str) -> TeamspaceState:
        ts = self._teamspaces.get(teamspace) if type(teamspace) is str else None
        if ts is None:
            raise EngineError(f"unknown teamspace {teamspace!r}")
        return ts

    def _live(self, chat_id: ChatId) -> LiveChat:
        chat_type = type(chat_id)
        is_id = chat_type is int or chat_type is str  # not a bool, not anything unhashable
        live = self._chats.get(chat_id) if is_id else None
        if live is None:
            raise EngineError(f"chat {chat_id!r} is not pending or open")
        return live

    def _open(self, chat_id: ChatId) -> LiveChat:
        live = self._live(chat_id)
        if live.agent is None:
            raise EngineError(f"chat {chat_id!r} is pending; it has no assignee to transfer from")
        return live
