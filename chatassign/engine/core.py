"""The assignment engine: every operation on agents, pools and the pending queue.

Pure Python, no I/O, no clock (``now`` is an argument in seconds), no global random
state. A live chat service could embed it unchanged; the simulator drives it on a
SimPy clock. The rules are ``docs/semantics.md``.

Every operation that can place chats returns the placements it made, so a caller
never has to watch events to know who holds what. Events (``EngineEvent``) go to an
optional observer; with none, the engine builds none. The state the operations work
on, its lookups and the read-only queries are ``EngineBase`` (``pools.py``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from types import MappingProxyType
from typing import Final, cast

from chatassign.engine.pools import EngineBase
from chatassign.engine.records import (
    NO_ASSIGNMENTS,
    QUEUED,
    UNAVAILABLE,
    Assignment,
    ChatState,
    EngineEvent,
    HandoffResult,
    Origin,
    engine_event,
)
from chatassign.engine.state import AgentRecord, LiveChat, Pool, TeamspaceState
from chatassign.errors import EngineError
from chatassign.methods import Picker
from chatassign.model import TRANSFER_TAKEOVER_PERMISSION, Chat, ChatId, Method, Target, User

_TEAMSPACE_TARGET: Final = Target(teamspace=True)
_INF: Final = math.inf

_AUTO: Final = Origin.AUTO
"""An enum member read from the class costs ten times a global's read (Python 3.11)."""


class Engine(EngineBase):
    """Assigns handed-off chats to live agents by a workspace's rules."""

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
            agent.pickers = []
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
            for pool in agent.pickers:
                picker = pool.picker
                if picker is not None:
                    picker.refresh(agent, held < pool.cap)
        else:
            self._touch_unavailable(agent)

    def _touch_unavailable(self, agent: AgentRecord) -> None:
        for pool in agent.pickers:
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

    def _settings_changed(
        self, ts: TeamspaceState, detail: str, now: float
    ) -> tuple[Assignment, ...]:
        """A teamspace's cap or method changed: new pickers, the event, and a queue drain."""
        self._rebuild_pickers(ts)
        if self._observer is not None:
            self._observer(EngineEvent(now, "settings", None, None, ts.id, None, detail))
        return self._drain(ts.pools, now)

    def _emit(self, now: float, event: str, live: LiveChat, agent: str | None, why: str) -> None:
        assert self._observer is not None
        pool = live.pool
        self._observer(engine_event(now, event, live.id, agent, pool.teamspace.id, pool.label, why))


def _refuse_id(what: str, value: object) -> None:
    raise EngineError(f"{what} must be an int or a str, not {value!r}")
