"""The assignment engine: every operation on agents, pools and the pending queue.

Pure Python, no I/O, no clock (``now`` is an argument in seconds), no global random
state. A live chat service could embed it unchanged; the simulator drives it on a
SimPy clock. The rules are ``docs/semantics.md``.

Every operation that can place chats returns the placements it made, so a caller
never has to watch events to know who holds what. Events (``EngineEvent``) go to an
optional observer; with none, the engine builds none.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from types import MappingProxyType
from typing import Final, cast

from chatassign.engine.records import (
    NO_ASSIGNMENTS,
    QUEUED,
    UNAVAILABLE,
    Assignment,
    ChatState,
    EngineEvent,
    HandoffResult,
    Observer,
    Origin,
    engine_event,
)
from chatassign.engine.state import AgentRecord, LiveChat, Pool, Route, TeamspaceState
from chatassign.errors import ConfigError, EngineConfigError, EngineError
from chatassign.methods import Picker, make_picker
from chatassign.model import (
    MAX_CAP,
    TRANSFER_MIN_PLAN,
    TRANSFER_TAKEOVER_PERMISSION,
    CapCounts,
    Chat,
    ChatId,
    Method,
    OnAway,
    Target,
    User,
    Workspace,
    method_allowed,
    required_plan,
)

_TEAMSPACE_TARGET: Final = Target(teamspace=True)
_INF: Final = math.inf
_EARLIEST: Final = -1.7976931348623157e308
"""Below every finite time: the engine's clock before its first operation."""

_AUTO: Final = Origin.AUTO
"""An enum member read from the class costs ten times a global's read (Python 3.11)."""


class Engine:
    """Assigns handed-off chats to live agents by a workspace's rules."""

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

    # -------------------------------------------------------------- operations

    def handoff(self, chat: Chat, now: float) -> HandoffResult:
        """An AI agent hands ``chat`` to humans: assign it, queue it, or find nobody."""
        if not isinstance(chat, Chat):
            raise EngineError(f"handoff needs a Chat(id, ai_agent, language), not {chat!r}")
        chat_id = chat[0]
        if type(chat_id) is not int and type(chat_id) is not str:
            _refuse_id("a chat id", chat_id)
        if chat_id in self._chats:
            raise EngineError(f"chat {chat_id!r} was already handed off")
        by_language = self._routes.get(chat[1]) if type(chat[1]) is str else None
        route = by_language.get(chat[2]) if by_language is not None else None
        if route is None:
            route = self._route(chat[1], chat[2])
        ts, target, pool, check = route
        # The common case of _valid_now without a call (the hot path, pure build).
        fast = type(now) is float and self._now <= now < _INF
        self._now = now if fast else self._valid_now(now)
        observer = self._observer
        if observer is not None:
            label = pool.label if pool is not None else target.describe()
            observer(engine_event(now, "handoff", chat_id, None, ts.id, label, chat[1]))
        if pool is None:
            return self._handoff_direct(chat, ts, target, check, now)
        if check and pool.online == 0:
            if observer is not None:
                why = "nobody online"
                observer(EngineEvent(now, "unavailable", chat_id, None, ts.id, pool.label, why))
            return UNAVAILABLE
        live = LiveChat(chat, pool, self._next_seq())
        self._chats[chat_id] = live
        picker = pool.picker
        if picker is not None:
            agent: AgentRecord | None = picker.pick()  # type: ignore[assignment]
            if agent is not None:
                self._place_auto(live, agent, picker, now)
                return agent.assigned
        self._enqueue(live, now, front=False)
        return QUEUED

    def close(self, chat_id: ChatId, now: float) -> tuple[Assignment, ...]:
        """The assignee closes the chat; the slot frees and the queue drains."""
        if type(now) is not float or not self._now <= now < _INF:  # as in handoff
            now = self._valid_now(now)
        chat_type = type(chat_id)
        is_id = chat_type is int or chat_type is str  # not a bool, not anything unhashable
        live = self._chats.pop(chat_id, None) if is_id else None
        if live is None:
            raise EngineError(f"chat {chat_id!r} is not pending or open")
        agent = live.agent
        if agent is None:
            self._chats[chat_id] = live  # left as it was
            raise EngineError(f"chat {chat_id!r} is pending; only an open chat can be closed")
        self._now = now
        self._unassign(live, agent)
        if self._observer is not None:
            self._emit(now, "closed", live, agent.id, "")
        # Only an available agent opens room; an away agent's close drains nothing.
        if agent.online and agent.live:
            for pool in agent.pools:
                if pool.waiting:
                    return self._drain(agent.pools, now)
        return NO_ASSIGNMENTS

    def abandon(self, chat_id: ChatId, now: float) -> None:
        """The customer of a pending chat leaves."""
        live = self._live(chat_id)
        if live.state is not ChatState.PENDING:
            raise EngineError(f"chat {chat_id!r} is open; only a pending chat can be abandoned")
        self._now = self._valid_now(now)
        self._dequeue(live)
        del self._chats[chat_id]
        if self._observer is not None:
            self._emit(now, "abandoned", live, None, "")

    def claim(self, agent_id: str, chat_id: ChatId, now: float) -> None:
        """A live agent of the chat's pool claims a pending chat (the cap does not apply)."""
        agent = self._agent(agent_id)
        live = self._live(chat_id)
        if live.state is not ChatState.PENDING:
            raise EngineError(f"chat {chat_id!r} is not pending; it cannot be claimed")
        if agent not in live.pool.members:
            raise EngineError(
                f"{agent_id!r} is not a live agent of pool {live.pool.label!r}; "
                f"they cannot claim chat {chat_id!r}"
            )
        self._now = self._valid_now(now)
        self._dequeue(live)
        self._place(live, agent, Origin.CLAIM, now)

    def set_status(self, agent_id: str, *, online: bool, now: float) -> tuple[Assignment, ...]:
        """The agent goes online (queue drains) or away (chats kept or requeued)."""
        agent = self._agent(agent_id)
        if online is not True and online is not False:
            raise EngineError(f"online must be True or False, not {online!r}")
        self._now = self._valid_now(now)
        if agent.online == online:
            return NO_ASSIGNMENTS
        agent.online = online
        delta = 1 if online else -1
        for pool in agent.pools:
            pool.online += delta
        if online:
            agent.online_since = now
            agent.online_seq = self._next_seq()
            agent.rotation.clear()
        self._touch(agent)
        if self._observer is not None:
            self._observer(
                EngineEvent(now, "online" if online else "away", None, agent.id, None, None)
            )
        if online:
            return self._drain(agent.pools, now)
        if self._requeue_on_away and agent.chats:
            return self._requeue(agent, now)
        return NO_ASSIGNMENTS

    def transfer_to_user(self, chat_id: ChatId, user_id: str, now: float) -> tuple[Assignment, ...]:
        """The assignee hands the chat to a named live agent, whatever their load or status."""
        self._check_transfers_allowed("transfer")
        live = self._open(chat_id)
        target = self._agent(user_id)
        if not target.live:
            raise EngineError(
                f"{user_id!r} is not a live agent; a chat cannot be transferred to them"
            )
        source = live.agent
        assert source is not None
        self._now = self._valid_now(now)
        if target is source:
            return NO_ASSIGNMENTS
        return self._move(live, source, target, Origin.TRANSFER, f"from {source.id}", now)

    def transfer_to_team(self, chat_id: ChatId, team_id: str, now: float) -> tuple[Assignment, ...]:
        """The chat leaves its assignee and is placed within a team by the teamspace's rules."""
        return self.transfer_to_teams(chat_id, (team_id,), now)

    def transfer_to_teams(
        self, chat_id: ChatId, team_ids: Sequence[str], now: float
    ) -> tuple[Assignment, ...]:
        """``transfer_to_team`` to the pool of several teams (their members, by the rules)."""
        self._check_transfers_allowed("transfer")
        if isinstance(team_ids, str):
            raise EngineError(f"team_ids must be a sequence of team ids, not the text {team_ids!r}")
        for team_id in team_ids:
            if type(team_id) is not str or team_id not in self._workspace.teams:
                raise EngineError(f"unknown team {team_id!r}")
        if not team_ids:
            raise EngineError("a transfer needs at least one team")
        live = self._open(chat_id)
        source = live.agent
        assert source is not None
        self._now = self._valid_now(now)
        self._unassign(live, source)
        live.pool = self._pool(live.pool.teamspace, Target(teams=tuple(team_ids)))
        if self._observer is not None:
            plural = "team" if len(team_ids) == 1 else "teams"
            why = f"from {source.id} to {plural} {', '.join(team_ids)}"
            self._emit(now, "transferred", live, None, why)
        self._enqueue(live, now, front=False)
        return self._drain([*source.pools, live.pool], now)

    def takeover(self, chat_id: ChatId, user_id: str, now: float) -> tuple[Assignment, ...]:
        """A user with the transfer-and-takeover permission becomes the chat's assignee."""
        user = self._workspace.users.get(user_id) if type(user_id) is str else None
        role = self._workspace.roles.get(user.role) if user is not None else None
        if role is None or not role.grants(TRANSFER_TAKEOVER_PERMISSION):
            raise EngineError(f"{user_id!r} lacks {TRANSFER_TAKEOVER_PERMISSION}; cannot take over")
        live = self._live(chat_id)
        agent = self._agent(user_id)
        source = live.agent
        if source is not None and source is not agent:
            self._check_transfers_allowed("takeover of a chat assigned to someone else")
        self._now = self._valid_now(now)
        if source is agent:
            return NO_ASSIGNMENTS
        if source is None:
            self._dequeue(live)
            self._place(live, agent, Origin.TAKEOVER, now, event="transferred", why="takeover")
            return NO_ASSIGNMENTS
        return self._move(live, source, agent, Origin.TAKEOVER, f"takeover from {source.id}", now)

    def set_cap(self, teamspace: str, cap: int, now: float) -> tuple[Assignment, ...]:
        """Change a teamspace's cap; lowering it unassigns nothing, raising it drains."""
        ts = self._teamspace(teamspace)
        if type(cap) is not int:
            raise EngineError(f"teamspace {teamspace!r}: a cap is a whole number, not {cap!r}")
        self._check_cap(teamspace, cap)
        self._now = self._valid_now(now)
        ts.cap = cap
        return self._settings_changed(ts, f"cap={cap}", now)

    def set_method(self, teamspace: str, method: Method, now: float) -> tuple[Assignment, ...]:
        """Change a teamspace's method; the queue drains under the new one."""
        ts = self._teamspace(teamspace)
        if not isinstance(method, Method):
            names = ", ".join(m.value for m in Method)
            raise EngineError(f"teamspace {teamspace!r}: {method!r} is not a Method ({names})")
        self._check_method(teamspace, method)
        self._now = self._valid_now(now)
        ts.method = method
        return self._settings_changed(ts, f"method={method.value}", now)

    def update_user(self, user: User, now: float) -> tuple[Assignment, ...]:
        """Replace a user's role or teams; held chats stay, pools are recomputed, queue drains."""
        if not isinstance(user, User):
            raise EngineError(f"update_user needs a User, not {user!r}")
        if user.id not in self._agents:
            raise EngineError(f"unknown user {user.id!r}")
        self._now = self._valid_now(now)
        users = dict(self._workspace.users)
        users[user.id] = user
        self._workspace = dataclasses.replace(self._workspace, users=MappingProxyType(users))
        for uid, agent in self._agents.items():
            agent.live = self._workspace.is_live_agent(uid)
        for agent in self._agents.values():
            agent.pools = []
        for pool in self._pools.values():
            self._fill_pool(pool)
        for ts in self._teamspaces.values():
            self._rebuild_pickers(ts)
        return self._drain(list(self._pools.values()), now)

    # ------------------------------------------------------------- internals

    def _handoff_direct(
        self, chat: Chat, ts: TeamspaceState, target: Target, check: bool, now: float
    ) -> HandoffResult:
        assert target.agent is not None
        agent = self._agents[target.agent]
        if (check and not agent.online) or not agent.live:
            if self._observer is not None:
                why = "agent away" if agent.live else "not a live agent"
                self._observer(
                    EngineEvent(
                        now, "unavailable", chat.id, agent.id, ts.id, target.describe(), why
                    )
                )
            return UNAVAILABLE
        # A direct chat that is ever requeued waits in the teamspace's pool.
        live = LiveChat(chat, self._pool(ts, _TEAMSPACE_TARGET), self._next_seq())
        self._chats[chat.id] = live
        self._place(live, agent, Origin.DIRECT, now)
        return agent.assigned

    def _place_auto(self, live: LiveChat, agent: AgentRecord, picker: Picker, now: float) -> None:
        """Automatic placement by the pool's method: the hot path of every handoff."""
        live.agent = agent
        agent.load += 1
        agent.auto_load += 1
        agent.chats[live.id] = live
        agent.last_assigned = now
        if picker.rotates:
            picker.placed(agent)
        self._touch(agent)
        if self._observer is not None:
            self._emit(now, "assigned", live, agent.id, picker.detail(agent))

    def _place(
        self,
        live: LiveChat,
        agent: AgentRecord,
        origin: Origin,
        now: float,
        *,
        event: str = "",
        why: str = "",
    ) -> None:
        """Manual placement (direct, claim, transfer, takeover): method and cap do not apply."""
        live.agent = agent
        live.origin = origin
        agent.load += 1
        agent.chats[live.id] = live
        agent.last_assigned = now
        self._touch(agent)
        if self._observer is not None:
            if not event:
                event = "claimed" if origin is Origin.CLAIM else "assigned"
            self._emit(now, event, live, agent.id, why or origin.value)

    def _move(
        self,
        live: LiveChat,
        source: AgentRecord,
        agent: AgentRecord,
        origin: Origin,
        why: str,
        now: float,
    ) -> tuple[Assignment, ...]:
        """An open chat goes from ``source`` to ``agent`` (transfer, takeover); ``source``'s
        pools drain into the room it left."""
        self._unassign(live, source)
        self._place(live, agent, origin, now, event="transferred", why=why)
        return self._drain(source.pools, now)

    def _unassign(self, live: LiveChat, agent: AgentRecord) -> None:
        agent.load -= 1
        if live.origin is _AUTO:
            agent.auto_load -= 1
        del agent.chats[live.id]
        live.agent = None
        self._touch(agent)

    def _touch(self, agent: AgentRecord) -> None:
        """The agent changed: invalidate its old picker entries and offer it anew."""
        agent.version += 1
        if agent.online and agent.live:
            held = agent.load if self._all_open else agent.auto_load
            for pool in agent.pools:
                picker = pool.picker
                if picker is not None:
                    picker.refresh(agent, held < pool.cap)
        else:
            self._touch_unavailable(agent)

    def _touch_unavailable(self, agent: AgentRecord) -> None:
        for pool in agent.pools:
            picker = pool.picker
            if picker is not None and picker.tracks_removals:
                picker.refresh(agent, False)

    def _enqueue(self, live: LiveChat, now: float, *, front: bool) -> None:
        pool = live.pool
        if front:
            self._front_seq -= 1
            seq = self._front_seq
            pool.waiting.appendleft((seq, live))
        else:
            seq = self._next_seq()
            pool.waiting.append((seq, live))
        live.queue_seq = seq
        pool.teamspace.pending += 1
        if self._observer is not None:
            if front:
                why = "requeued"
            elif pool.teamspace.method is Method.VOLUNTARY:
                why = "voluntary"
            elif pool.online == 0:
                why = "nobody online"
            else:
                why = "all at cap"
            self._emit(now, "queued", live, None, why)

    def _dequeue(self, live: LiveChat) -> None:
        """Take a pending chat out of the queue (its deque entry is dropped lazily)."""
        live.queue_seq = 0
        live.pool.teamspace.pending -= 1

    def _head(self, pool: Pool) -> LiveChat | None:
        waiting = pool.waiting
        while waiting:
            seq, live = waiting[0]
            if live.queue_seq == seq and live.pool is pool:
                return live
            waiting.popleft()
        return None

    def _drain(self, pools: Iterable[Pool], now: float) -> tuple[Assignment, ...]:
        """Place waiting chats of ``pools`` oldest first, skipping pools with no room."""
        candidates = [p for p in pools if p.waiting and p.picker is not None]
        if not candidates:
            return NO_ASSIGNMENTS
        placed: list[Assignment] = []
        while True:
            best: Pool | None = None
            best_head: LiveChat | None = None
            for pool in candidates:
                picker = pool.picker
                if not pool.waiting or picker is None or not picker.any_available():
                    continue
                head = self._head(pool)
                if head is not None and (best_head is None or head.queue_seq < best_head.queue_seq):
                    best, best_head = pool, head
            if best is None or best_head is None:
                return tuple(placed)
            assert best.picker is not None
            picker = best.picker
            agent = cast(AgentRecord, picker.pick())
            best.waiting.popleft()
            self._dequeue(best_head)
            best_head.origin = _AUTO
            self._place_auto(best_head, agent, picker, now)
            placed.append(Assignment(best_head.id, agent.id))

    def _requeue(self, agent: AgentRecord, now: float) -> tuple[Assignment, ...]:
        chats = sorted(agent.chats.values(), key=lambda c: c.seq)
        pools: list[Pool] = []
        for live in reversed(chats):
            self._unassign(live, agent)
            self._enqueue(live, now, front=True)
            if live.pool not in pools:
                pools.append(live.pool)
        return self._drain(pools, now)

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

    def _settings_changed(
        self, ts: TeamspaceState, detail: str, now: float
    ) -> tuple[Assignment, ...]:
        """A teamspace's cap or method changed: new pickers, the event, and a queue drain."""
        self._rebuild_pickers(ts)
        if self._observer is not None:
            self._observer(EngineEvent(now, "settings", None, None, ts.id, None, detail))
        return self._drain(ts.pools, now)

    def _rebuild_pickers(self, ts: TeamspaceState) -> None:
        for pool in ts.pools:
            pool.cap = ts.cap
            self._rebuild_picker(pool)

    def _rebuild_picker(self, pool: Pool) -> None:
        ts = pool.teamspace
        pool.picker = make_picker(
            ts.method,
            teamspace=ts.id,
            members=pool.members,
            rng=self._rng,
            sequence=self._next_seq,
        )
        if pool.picker is None:
            return
        for agent in pool.members:
            held = agent.load if self._all_open else agent.auto_load
            pool.picker.refresh(agent, agent.online and agent.live and held < ts.cap)

    def _emit(self, now: float, event: str, live: LiveChat, agent: str | None, why: str) -> None:
        assert self._observer is not None
        pool = live.pool
        self._observer(engine_event(now, event, live.id, agent, pool.teamspace.id, pool.label, why))

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


def _refuse_id(what: str, value: object) -> None:
    raise EngineError(f"{what} must be an int or a str, not {value!r}")
