"""Stateful property tests: random operations on random small workspaces.

The invariants are those of docs/semantics.md, "Invariants".

A shadow model follows every chat from the engine's return values alone; after each
step the engine must agree with it, and while operations run an observer checks each
automatic placement against the invariants at the moment it happens.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from chatassign.engine import Assignment, ChatState, Engine, EngineEvent, Outcome
from chatassign.errors import EngineError
from chatassign.model import (
    TRANSFER_MIN_PLAN,
    AIAgent,
    AssignmentSettings,
    CapCounts,
    Chat,
    Handoff,
    Method,
    OnAway,
    Options,
    Plan,
    Target,
    Team,
    Teamspace,
    User,
    Workspace,
)
from tests.engine_fixtures import ROLES

USERS = ("u0", "u1", "u2", "u3", "u4")
TEAMS = ("t0", "t1", "t2")
SPACES = ("s0", "s1")
LANGS = ("en", "es")
ROLE_IDS = ("agent", "agent", "supervisor", "lead", "viewer")


@st.composite
def targets(draw: st.DrawFn) -> Target:
    kind = draw(st.sampled_from(["agent", "teamspace", "union", "union"]))
    if kind == "agent":
        return Target(agent=draw(st.sampled_from(USERS)))
    if kind == "teamspace":
        return Target(teamspace=True)
    users = tuple(draw(st.lists(st.sampled_from(USERS), max_size=2, unique=True)))
    teams = tuple(draw(st.lists(st.sampled_from(TEAMS), min_size=0 if users else 1, max_size=2)))
    return Target(users=users, teams=tuple(dict.fromkeys(teams)))


@st.composite
def workspaces(draw: st.DrawFn) -> Workspace:
    users = [
        User(
            uid,
            draw(st.sampled_from(ROLE_IDS)),
            tuple(draw(st.lists(st.sampled_from(TEAMS), max_size=2, unique=True))),
        )
        for uid in USERS
    ]
    teams = [
        Team(
            tid,
            tuple(draw(st.lists(st.sampled_from(SPACES), min_size=1, max_size=2, unique=True))),
            role=draw(st.none() | st.just("supervisor")),
        )
        for tid in TEAMS
    ]
    spaces = [
        Teamspace(
            sid,
            AssignmentSettings(draw(st.sampled_from(list(Method))), draw(st.integers(1, 3))),
        )
        for sid in SPACES
    ]
    bots = []
    for i, sid in enumerate(SPACES * 2):
        by_language = tuple(
            (lang, draw(targets())) for lang in LANGS if draw(st.booleans()) and lang != "en"
        )
        handoff = Handoff(draw(targets()), by_language, availability_check=draw(st.booleans()))
        bots.append(AIAgent(f"bot{i}", sid, handoff, languages=LANGS))
    options = Options(
        cap_counts=draw(st.sampled_from(list(CapCounts))),
        on_away=draw(st.sampled_from(list(OnAway))),
    )
    return Workspace.build(
        plan=draw(st.sampled_from(list(Plan))),
        roles=list(ROLES),
        users=users,
        teams=teams,
        teamspaces=spaces,
        ai_agents=bots,
        options=options,
    )


@dataclass
class ShadowChat:
    """What the test believes about one chat, from return values only."""

    target: Target
    teamspace: str
    state: ChatState = ChatState.PENDING
    agent: str | None = None
    auto: bool = False


@dataclass
class RotationWatch:
    """Round-robin history of one teamspace, to check the rotation invariant."""

    placements: list[tuple[float, str, frozenset[str]]] = field(default_factory=list)
    """(time, agent given the chat, agents eligible for that chat at that moment)."""


class EngineMachine(RuleBasedStateMachine):
    """Random operations against the engine, with the engine's invariants after each."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.next_id = 0
        self.chats: dict[int, ShadowChat] = {}
        self.ended: set[int] = set()
        self.unavailable: set[int] = set()
        self.rotation: dict[str, RotationWatch] = {}
        self.went_online: dict[str, float] = {}
        """When each online agent last came online."""

    @initialize(workspace=workspaces(), seed=st.integers(0, 2**16))
    def build(self, workspace: Workspace, seed: int) -> None:
        self.workspace = workspace
        self.engine = Engine(
            workspace, rng=random.Random(seed), observer=self.observe, enforce_plan=False
        )

    # -------------------------------------------------- the observer's checks

    def pool_of(self, chat_id: int) -> frozenset[str]:
        shadow = self.chats[chat_id]
        return self.engine.workspace.pool_members(shadow.teamspace, shadow.target)

    def cap_load(self, agent: str) -> int:
        if self.workspace.options.cap_counts is CapCounts.ALL_OPEN:
            return self.engine.load(agent)
        return sum(1 for c in self.chats.values() if c.agent == agent and c.auto)

    def eligible(self, agent: str, pool: frozenset[str], cap: int) -> bool:
        return (
            agent in pool
            and self.engine.is_online(agent)
            and self.engine.workspace.is_live_agent(agent)
            and self.cap_load(agent) < cap
        )

    def observe(self, event: EngineEvent) -> None:
        if event.event != "assigned" or event.detail in ("direct",):
            return
        assert isinstance(event.chat, int)
        assert event.agent is not None
        assert event.teamspace is not None
        chosen = event.agent
        pool = self.pool_of(event.chat)
        cap = self.engine.cap(event.teamspace)
        method = self.engine.method(event.teamspace)
        assert method is not Method.VOLUNTARY, "voluntary placed a chat by itself"
        assert chosen in pool, f"{chosen} placed outside pool {sorted(pool)}"
        assert self.engine.is_online(chosen), f"{chosen} placed while away"
        assert self.engine.workspace.is_live_agent(chosen), f"{chosen} is no live agent"
        # The shadow has not recorded this placement yet: cap_load is the load before it
        # for auto_only; the engine's load already includes it.
        held = self.engine.load(chosen) - 1
        if self.workspace.options.cap_counts is CapCounts.AUTO_ONLY:
            held = self.cap_load(chosen)
        assert held < cap, f"{chosen} taken above the cap {cap}"
        others = [a for a in USERS if a != chosen and self.eligible(a, pool, cap)]
        if method is Method.BALANCED:
            for other in others:
                assert self.engine.load(chosen) - 1 <= self.engine.load(other)
        if method is Method.ROUND_ROBIN:
            self.check_rotation(event.teamspace, chosen, frozenset([chosen, *others]))
        shadow = self.chats[event.chat]
        assert shadow.state is ChatState.PENDING, f"chat {event.chat} placed twice"
        shadow.state, shadow.agent, shadow.auto = ChatState.OPEN, chosen, True

    def check_rotation(self, teamspace: str, chosen: str, eligible: frozenset[str]) -> None:
        """Between two placements to ``chosen``, everyone who stayed eligible got a chat."""
        watch = self.rotation.setdefault(teamspace, RotationWatch())
        history = watch.placements
        history.append((self.now, chosen, eligible))
        earlier = [i for i, (_, agent, _) in enumerate(history[:-1]) if agent == chosen]
        if not earlier:
            return
        first_time = history[earlier[-1]][0]
        since = history[earlier[-1] + 1 :]
        given = {agent for _, agent, _ in since[:-1]}
        steady = frozenset.intersection(*(e for _, _, e in since))
        for other in steady - given - {chosen}:
            if self.went_online.get(other, float("inf")) <= first_time:
                raise AssertionError(
                    f"round robin gave {chosen} two chats while {other} stayed eligible"
                )

    # ----------------------------------------------------------- bookkeeping

    def record(self, assignments: tuple[Assignment, ...]) -> None:
        """Each returned placement was observed as it happened, with the same agent."""
        for a in assignments:
            assert isinstance(a.chat, int)
            shadow = self.chats[a.chat]
            assert shadow.state is ChatState.OPEN
            assert shadow.agent == a.agent
            assert shadow.auto

    def tick(self) -> float:
        self.now += 1.0
        return self.now

    def live_ids(self, state: ChatState) -> list[int]:
        return sorted(i for i, c in self.chats.items() if c.state is state)

    def end(self, chat_id: int) -> None:
        del self.chats[chat_id]
        self.ended.add(chat_id)

    # --------------------------------------------------------------- rules

    @rule(bot=st.integers(0, 3), language=st.sampled_from([None, "en", "es"]))
    def handoff(self, bot: int, language: str | None) -> None:
        chat_id = self.next_id
        self.next_id += 1
        ai = self.workspace.ai_agents[f"bot{bot}"]
        target = ai.handoff.target_for(language)
        self.chats[chat_id] = ShadowChat(target, ai.teamspace)
        result = self.engine.handoff(Chat(chat_id, ai.id, language), self.tick())
        shadow = self.chats[chat_id]
        if target.agent is not None:
            # A direct chat, if ever requeued, waits in the teamspace's pool.
            shadow.target = Target(teamspace=True)
        if result.outcome is Outcome.UNAVAILABLE:
            self.unavailable.add(chat_id)
            del self.chats[chat_id]
        elif result.outcome is Outcome.ASSIGNED:
            if target.agent is not None:
                assert result.agent == target.agent
                shadow.state, shadow.agent = ChatState.OPEN, result.agent
            else:
                self.record((Assignment(chat_id, str(result.agent)),))
        else:
            if target.agent is not None:
                raise AssertionError("a direct handoff was queued")

    @precondition(lambda self: any(c.state is ChatState.OPEN for c in self.chats.values()))
    @rule(pick=st.integers(0, 50))
    def close(self, pick: int) -> None:
        ids = self.live_ids(ChatState.OPEN)
        chat_id = ids[pick % len(ids)]
        self.end(chat_id)
        self.record(self.engine.close(chat_id, self.tick()))

    @precondition(lambda self: any(c.state is ChatState.PENDING for c in self.chats.values()))
    @rule(pick=st.integers(0, 50))
    def abandon(self, pick: int) -> None:
        ids = self.live_ids(ChatState.PENDING)
        chat_id = ids[pick % len(ids)]
        self.engine.abandon(chat_id, self.tick())
        self.end(chat_id)

    @rule(user=st.sampled_from(USERS), online=st.booleans())
    def set_status(self, user: str, online: bool) -> None:
        was_online = self.engine.is_online(user)
        now = self.tick()
        if online and not was_online:
            self.went_online[user] = now
        if not online:
            self.went_online.pop(user, None)
            if was_online and self.workspace.options.on_away is OnAway.REQUEUE:
                for shadow in self.chats.values():
                    if shadow.agent == user:
                        shadow.state, shadow.agent, shadow.auto = ChatState.PENDING, None, False
        result = self.engine.set_status(user, online=online, now=now)
        self.record(result)

    @precondition(lambda self: any(c.state is ChatState.PENDING for c in self.chats.values()))
    @rule(user=st.sampled_from(USERS), pick=st.integers(0, 50))
    def claim(self, user: str, pick: int) -> None:
        ids = self.live_ids(ChatState.PENDING)
        chat_id = ids[pick % len(ids)]
        if user not in self.pool_of(chat_id):
            try:
                self.engine.claim(user, chat_id, self.tick())
            except EngineError:
                return
            raise AssertionError("a claim from outside the pool was accepted")
        shadow = self.chats[chat_id]
        shadow.state, shadow.agent, shadow.auto = ChatState.OPEN, user, False
        self.engine.claim(user, chat_id, self.tick())

    @precondition(lambda self: any(c.state is ChatState.OPEN for c in self.chats.values()))
    @rule(user=st.sampled_from(USERS), pick=st.integers(0, 50))
    def transfer_to_user(self, user: str, pick: int) -> None:
        ids = self.live_ids(ChatState.OPEN)
        chat_id = ids[pick % len(ids)]
        allowed = self.workspace.plan >= TRANSFER_MIN_PLAN
        if not allowed or not self.engine.workspace.is_live_agent(user):
            try:
                self.engine.transfer_to_user(chat_id, user, self.tick())
            except EngineError:
                return
            raise AssertionError("a forbidden transfer was accepted")
        shadow = self.chats[chat_id]
        if shadow.agent != user:
            shadow.agent, shadow.auto = user, False
        self.record(self.engine.transfer_to_user(chat_id, user, self.tick()))

    @precondition(lambda self: any(c.state is ChatState.OPEN for c in self.chats.values()))
    @rule(team=st.sampled_from(TEAMS), pick=st.integers(0, 50))
    def transfer_to_team(self, team: str, pick: int) -> None:
        if self.workspace.plan < TRANSFER_MIN_PLAN:
            return
        ids = self.live_ids(ChatState.OPEN)
        chat_id = ids[pick % len(ids)]
        shadow = self.chats[chat_id]
        shadow.state, shadow.agent, shadow.auto = ChatState.PENDING, None, False
        shadow.target = Target(teams=(team,))
        self.record(self.engine.transfer_to_team(chat_id, team, self.tick()))

    @precondition(lambda self: bool(self.chats))
    @rule(user=st.sampled_from(USERS), pick=st.integers(0, 50))
    def takeover(self, user: str, pick: int) -> None:
        ids = sorted(self.chats)
        chat_id = ids[pick % len(ids)]
        shadow = self.chats[chat_id]
        role = self.engine.workspace.users[user].role
        permitted = role in ("supervisor", "lead")
        assigned_elsewhere = shadow.agent is not None and shadow.agent != user
        if not permitted or (assigned_elsewhere and self.workspace.plan < TRANSFER_MIN_PLAN):
            try:
                self.engine.takeover(chat_id, user, self.tick())
            except EngineError:
                return
            raise AssertionError("a forbidden takeover was accepted")
        if shadow.agent != user:
            shadow.state, shadow.agent, shadow.auto = ChatState.OPEN, user, False
        self.record(self.engine.takeover(chat_id, user, self.tick()))

    @rule(space=st.sampled_from(SPACES), cap=st.integers(1, 4))
    def set_cap(self, space: str, cap: int) -> None:
        self.record(self.engine.set_cap(space, cap, self.tick()))

    @rule(space=st.sampled_from(SPACES), method=st.sampled_from(list(Method)))
    def set_method(self, space: str, method: Method) -> None:
        self.rotation.pop(space, None)
        self.record(self.engine.set_method(space, method, self.tick()))

    @rule(
        user=st.sampled_from(USERS),
        role=st.sampled_from(ROLE_IDS),
        teams=st.lists(st.sampled_from(TEAMS), max_size=2, unique=True),
    )
    def update_user(self, user: str, role: str, teams: list[str]) -> None:
        for watch in self.rotation.values():
            watch.placements.clear()
        self.record(self.engine.update_user(User(user, role, tuple(teams)), self.tick()))

    # ---------------------------------------------------------- invariants

    @invariant()
    def engine_agrees_with_the_shadow(self) -> None:
        if not hasattr(self, "engine"):
            return
        engine = self.engine
        assert engine.open_count() == len(self.chats)
        for chat_id, shadow in self.chats.items():
            assert engine.state(chat_id) is shadow.state, chat_id
            assert engine.assignee(chat_id) == shadow.agent, chat_id
        for chat_id in self.ended | self.unavailable:
            assert engine.state(chat_id) is None
        assert sorted(engine.pending()) == self.live_ids(ChatState.PENDING)
        for user in USERS:
            held = sorted(i for i, c in self.chats.items() if c.agent == user)
            assert sorted(engine.chats_of(user)) == held  # type: ignore[type-var,unused-ignore]
            assert engine.load(user) == len(held)

    @invariant()
    def no_chat_waits_while_its_pool_has_room(self) -> None:
        if not hasattr(self, "engine"):
            return
        for chat_id in self.live_ids(ChatState.PENDING):
            space = self.chats[chat_id].teamspace
            if self.engine.method(space) is Method.VOLUNTARY:
                continue
            pool = self.pool_of(chat_id)
            cap = self.engine.cap(space)
            free = [a for a in pool if self.eligible(a, pool, cap)]
            assert not free, f"chat {chat_id} waits while {free} have room"


EngineMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEngineMachine = EngineMachine.TestCase
