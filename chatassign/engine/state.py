"""The engine's mutable records: agents, teamspaces, pools, live chats, routes.

Internal to the engine package; nothing outside it holds these.
"""

from __future__ import annotations

from collections import deque
from typing import Final, NamedTuple

from chatassign.engine.records import ChatState, HandoffResult, Origin, Outcome
from chatassign.methods import AgentState, Picker
from chatassign.model import Chat, ChatId, Method, Target

_AUTO: Final = Origin.AUTO
"""An enum member read from the class costs ten times a global's read (Python 3.11)."""


class AgentRecord(AgentState):
    """AgentState plus what only the engine needs: pools and held chats."""

    __slots__ = ("assigned", "chats", "pickers", "pools")

    def __init__(self, user_id: str, *, live: bool) -> None:
        super().__init__(user_id, live=live)
        self.pools: list[Pool] = []
        self.pickers: list[Pool] = []
        """The holders of the pickers a change of this agent refreshes, each picker once:
        its pools' own pickers, and for a heap method its teams' shared ones."""
        self.chats: dict[ChatId, LiveChat] = {}
        self.assigned = HandoffResult(Outcome.ASSIGNED, user_id)
        """This agent's "assigned" outcome, built once: handoffs return it as is."""


class TeamspaceState:
    __slots__ = ("cap", "id", "method", "pending", "pools", "teams")

    def __init__(self, teamspace_id: str, method: Method, cap: int) -> None:
        self.id = teamspace_id
        self.method = method
        self.cap = cap
        self.pools: list[Pool] = []
        self.teams: dict[str, Pool] = {}
        """Team id -> the team's shared heap picker (held by a pool of its own, in no
        route), for a heap method: every pool of whole teams picks through them."""
        self.pending = 0


class Pool:
    """The candidates of one handoff target within one teamspace, and its waiting chats."""

    __slots__ = ("cap", "label", "members", "online", "picker", "target", "teamspace", "waiting")

    def __init__(self, teamspace: TeamspaceState, target: Target) -> None:
        self.teamspace = teamspace
        self.cap = teamspace.cap
        """The teamspace's cap, copied here for the hot path; kept in step by the engine."""
        self.target = target
        self.label = target.describe()
        self.members: list[AgentRecord] = []
        self.online = 0
        self.picker: Picker | None = None
        self.waiting: deque[tuple[int, LiveChat]] = deque()


class LiveChat:
    """A chat the engine holds: pending while ``agent`` is None, else open.

    Closed and abandoned chats are dropped from the engine, so no state is stored.
    ``queue_seq`` is its entry in its pool's queue while pending (0: not queued).
    """

    __slots__ = ("agent", "id", "origin", "pool", "queue_seq", "seq")

    def __init__(self, chat: Chat, pool: Pool, seq: int) -> None:
        self.id = chat[0]
        self.pool = pool
        self.seq = seq
        self.queue_seq = 0
        self.agent: AgentRecord | None = None
        self.origin = _AUTO

    @property
    def state(self) -> ChatState:
        """Pending or open (the only states a held chat can be in)."""
        return ChatState.PENDING if self.agent is None else ChatState.OPEN


class Route(NamedTuple):
    """Where chats of one AI agent in one language go, resolved once."""

    teamspace: TeamspaceState
    target: Target
    pool: Pool | None
    check: bool
