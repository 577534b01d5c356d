"""The automatic assignment methods behind one small interface, and a registry by name.

A *picker* belongs to one pool (the candidate agents of a handoff target within one
teamspace). The engine tells it whenever an agent of the pool changed (``refresh``),
with whether the agent is now available in this pool (live, online, under the cap);
``pick`` answers the agent the method would choose now, or None. Pickers never decide
eligibility themselves, so every method sees exactly the same candidates.

Balanced and round robin keep a heap with lazy deletion: every change of an agent bumps
its ``version`` and pushes a fresh entry; entries with an old version are dropped when
they reach the top. When the changed agent's old entry is the top (as it is for the
agent just picked), the fresh entry replaces it in one sift. Decisions cost O(log n)
in the pool size, not O(n). The two share this code (``HeapPicker``) and differ in
their entries' order key only. They used to keep a copy each, which saved a call per refresh
in the pure-Python build; compiled, the call through the base class is a native one
and the shared code measured as fast (docs/performance.md). Their order is a function
of the agents' state alone, so the engine keeps one heap per team and picks a pool of
several teams through a ``UnionPicker`` (the best of the teams' tops).
Voluntary has no picker: it never places a chat by itself.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable
from heapq import heappop, heappush, heapreplace
from typing import cast

from chatassign.model import Method


class AgentState:
    """The engine's mutable record of one user: status, load and placement history."""

    __slots__ = (
        "auto_load",
        "id",
        "last_assigned",
        "live",
        "load",
        "online",
        "online_seq",
        "online_since",
        "rotation",
        "version",
    )

    def __init__(self, user_id: str, *, live: bool) -> None:
        self.id = user_id
        self.live = live
        self.online = False
        self.online_since = 0.0
        self.online_seq = 0
        self.load = 0
        """Open livechats held, whatever their origin."""
        self.auto_load = 0
        """Open livechats held that came from automatic placement."""
        self.last_assigned = float("-inf")
        self.version = 0
        self.rotation: dict[str, int] = {}
        """Round-robin position per teamspace; absent means ``online_seq``."""


class Picker:
    """One pool's view of an assignment method (the base of every method's picker).

    A base class rather than a Protocol: compiled, a call through it is a native call.
    """

    __slots__ = ()
    rotates = False
    """Whether ``placed`` must be called after each placement (round robin)."""
    tracks_removals = False
    """Whether ``refresh`` must be called when an agent becomes unavailable."""

    def refresh(self, agent: AgentState, available: bool) -> None:
        """The agent changed (its ``version`` was bumped); ``available`` is its new eligibility."""
        raise NotImplementedError

    def pick(self) -> AgentState | None:
        """The agent this method gives the next chat to (random draws from its source)."""
        raise NotImplementedError

    def any_available(self) -> bool:
        """Whether some agent is available, without drawing from any random source."""
        return self.pick() is not None

    def placed(self, agent: AgentState) -> None:
        """The pool just gave ``agent`` a chat (called before the agent's refresh)."""

    def detail(self, agent: AgentState) -> str:
        """Why ``agent`` was chosen, for the event trace."""
        raise NotImplementedError


Entry = tuple[int, float, float, str, int, AgentState]
"""A heap entry: the method's order key (three numbers, then the agent id, which breaks
ties), the agent's version when it was pushed, and the agent.

One flat tuple for both heap methods: the heap compares entries item by item, and a
key nested in its own tuple measured a third slower per comparison (compiled too).
"""


class HeapPicker(Picker):
    """The method whose order ``entry`` gives: a heap of agents with lazy deletion."""

    __slots__ = ("_heap", "_limit")

    def __init__(self, members: int) -> None:
        self._heap: list[Entry] = []
        self._limit = 2 * members + 32

    def entry(self, agent: AgentState) -> Entry:
        """The agent's heap entry now: the smallest is picked first."""
        raise NotImplementedError

    def refresh(self, agent: AgentState, available: bool) -> None:
        if available:
            heap = self._heap
            entry = self.entry(agent)
            if heap and heap[0][5] is agent:  # the top is stale: replace it
                heapreplace(heap, entry)
                return
            heappush(heap, entry)
            if len(heap) > self._limit:
                self._heap = [e for e in heap if e[4] == e[5].version]
                heapq.heapify(self._heap)

    def pick(self) -> AgentState | None:
        heap = self._heap
        while heap:
            entry = heap[0]
            if entry[4] == entry[5].version:
                return entry[5]
            heappop(heap)
        return None

    def top(self) -> tuple[object, ...] | None:
        """The entry of the agent ``pick`` answers, as a plain tuple (None: nobody available).

        A plain tuple, not an ``Entry``: compiled, an ``Entry`` read from the heap is
        unpacked field by field, and comparing two packs them into new tuples again.
        """
        if self.pick() is None:
            return None
        return cast(list[tuple[object, ...]], self._heap)[0]


class UnionPicker(Picker):
    """A pool made of several teams, picked from the teams' own heaps: the best of their tops.

    A heap method's order is the same in every pool of a teamspace, so the best agent of
    a union of teams is the best of each team's best. A teamspace-wide pool (or one of
    several teams) then keeps no heap of its own: a change of an agent refreshes its
    teams' heaps only, and the large pool's heap, rarely picked but pushed onto at every
    change of any agent, is gone (docs/performance.md). Never refreshed itself.
    """

    __slots__ = ("_parts",)
    rotates = True
    """``placed`` goes to the parts (a no-op but for round robin)."""

    def __init__(self, parts: list[HeapPicker]) -> None:
        self._parts = parts

    def refresh(self, agent: AgentState, available: bool) -> None:
        raise AssertionError("a union picker is never refreshed: its parts are")

    def pick(self) -> AgentState | None:
        best: tuple[object, ...] | None = None
        for part in self._parts:
            entry = part.top()
            if entry is not None and (best is None or entry < best):
                best = entry
        return cast(AgentState, best[5]) if best is not None else None

    def placed(self, agent: AgentState) -> None:
        # Every part has the teamspace's one rotation: one step, once.
        self._parts[0].placed(agent)

    def detail(self, agent: AgentState) -> str:
        return self._parts[0].detail(agent)


class BalancedPicker(HeapPicker):
    """Fewest open chats; ties: last assignment longest ago, earliest online, agent id."""

    __slots__ = ()

    def entry(self, agent: AgentState) -> Entry:
        return (agent.load, agent.last_assigned, agent.online_since, agent.id, agent.version, agent)

    def detail(self, agent: AgentState) -> str:
        return f"balanced load={agent.load}"


class RoundRobinPicker(HeapPicker):
    """Agents in the order they came online; a chat moves its agent to the end.

    The rotation is a queue per teamspace (as Chatwoot keeps it): the next chat goes
    to the first agent in the queue eligible for it; skipped agents keep their place
    at the front. Coming online puts an agent at the end.
    """

    __slots__ = ("_sequence", "_teamspace")
    rotates = True

    def __init__(self, members: int, *, teamspace: str, sequence: Callable[[], int]) -> None:
        super().__init__(members)
        self._teamspace = teamspace
        self._sequence = sequence

    def entry(self, agent: AgentState) -> Entry:
        # Positions come from one sequence, so they never tie: the zeros are never read.
        position = agent.rotation.get(self._teamspace, agent.online_seq)
        return (position, 0.0, 0.0, agent.id, agent.version, agent)

    def placed(self, agent: AgentState) -> None:
        agent.rotation[self._teamspace] = self._sequence()

    def detail(self, agent: AgentState) -> str:
        return "round-robin"


class RandomPicker(Picker):
    """Uniformly at random among available agents, from an injected random source."""

    __slots__ = ("_agents", "_index", "_rng")
    tracks_removals = True

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._agents: list[AgentState] = []
        self._index: dict[str, int] = {}

    def refresh(self, agent: AgentState, available: bool) -> None:
        index = self._index
        if available:
            if agent.id not in index:
                index[agent.id] = len(self._agents)
                self._agents.append(agent)
        elif agent.id in index:
            # Swap-remove keeps removal O(1); order stays a function of the history.
            position = index.pop(agent.id)
            last = self._agents.pop()
            if last is not agent:
                self._agents[position] = last
                index[last.id] = position

    def pick(self) -> AgentState | None:
        agents = self._agents
        if not agents:
            return None
        return agents[self._rng.randrange(len(agents))]

    def any_available(self) -> bool:
        return bool(self._agents)

    def detail(self, agent: AgentState) -> str:
        return "random"


def make_picker(
    method: Method,
    *,
    teamspace: str,
    members: Iterable[AgentState],
    rng: random.Random,
    sequence: Callable[[], int],
) -> Picker | None:
    """A fresh picker of ``method`` for one pool; None for voluntary (it never places)."""
    size = sum(1 for _ in members)
    if method is Method.BALANCED:
        return BalancedPicker(size)
    if method is Method.ROUND_ROBIN:
        return RoundRobinPicker(size, teamspace=teamspace, sequence=sequence)
    if method is Method.RANDOM:
        return RandomPicker(rng)
    return None
