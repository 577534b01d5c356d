"""What the engine reports: outcomes, chat states, placements and events.

These are the engine's public values; callers compare and store them freely.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Final, NamedTuple

from chatassign.model import ChatId


class Outcome(StrEnum):
    """What a handoff did."""

    ASSIGNED = "assigned"
    QUEUED = "queued"
    UNAVAILABLE = "unavailable"


class ChatState(StrEnum):
    """Where a handed-off chat is."""

    PENDING = "pending"
    OPEN = "open"
    CLOSED = "closed"
    ABANDONED = "abandoned"


class Origin(StrEnum):
    """How a chat reached its assignee."""

    AUTO = "auto"
    DIRECT = "direct"
    CLAIM = "claim"
    TRANSFER = "transfer"
    TAKEOVER = "takeover"


class HandoffResult(NamedTuple):
    """The outcome of one handoff; ``agent`` is set when it was assigned."""

    outcome: Outcome
    agent: str | None = None


class Assignment(NamedTuple):
    """A chat that got an assignee as a side effect of an operation (a queue drain)."""

    chat: ChatId
    agent: str


class EngineEvent(NamedTuple):
    """One state change, as the trace reports it. Times are seconds.

    A named tuple (immutable, compared by value), not a frozen dataclass: a traced run
    builds one per event, and a frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` per field, interpreted even in the compiled build) was
    nearly a third of an event's cost.
    """

    time: float
    event: str
    chat: ChatId | None
    agent: str | None
    teamspace: str | None
    pool: str | None
    detail: str = ""


Observer = Callable[[EngineEvent], None]

_new_tuple: Final = tuple.__new__


def engine_event(
    time: float,
    event: str,
    chat: ChatId | None,
    agent: str | None,
    teamspace: str | None,
    pool: str | None,
    detail: str,
) -> EngineEvent:
    """``EngineEvent(...)`` for the engine's per-chat events, built as a plain tuple is.

    A named tuple's generated ``__new__`` is a Python function (interpreted in the
    compiled build too); ``tuple.__new__`` with the class gives the same value at half
    the cost, which a traced run pays three times per chat.
    """
    return _new_tuple(EngineEvent, (time, event, chat, agent, teamspace, pool, detail))


QUEUED: Final = HandoffResult(Outcome.QUEUED)
UNAVAILABLE: Final = HandoffResult(Outcome.UNAVAILABLE)
NO_ASSIGNMENTS: tuple[Assignment, ...] = ()
