"""The assignment engine: ``Engine`` and the values it reports.

``core`` holds the operations, ``pools`` the state, lookups and queries they share,
``state`` the mutable records behind them, ``records`` the outcomes and events
callers see. See ``docs/semantics.md`` for the rules.
"""

from __future__ import annotations

from chatassign.engine.core import Engine
from chatassign.engine.records import (
    Assignment,
    ChatState,
    EngineEvent,
    HandoffResult,
    Observer,
    Origin,
    Outcome,
)

__all__ = [
    "Assignment",
    "ChatState",
    "Engine",
    "EngineEvent",
    "HandoffResult",
    "Observer",
    "Origin",
    "Outcome",
]
