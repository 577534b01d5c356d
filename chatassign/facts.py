"""What one simulated replication records: counts, a wait sketch, time-weighted areas.

``simulation/`` fills these; ``metrics.py`` turns them into summaries. Plain values,
picklable (replications run in worker processes), standard library only. Memory does
not grow with the number of chats: waits go into a bounded log-bucket sketch, and
per-chat records are kept only when a caller asks for them (tests, traces).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WAIT_RELATIVE_ACCURACY = 0.005
"""Wait quantiles are within ±0.5 % of an exact order statistic (see ``WaitSketch``)."""

_GAMMA = (1.0 + WAIT_RELATIVE_ACCURACY) / (1.0 - WAIT_RELATIVE_ACCURACY)
_INV_LOG_GAMMA = 1.0 / math.log(_GAMMA)


class WaitSketch:
    """A streaming distribution of waits in seconds (a DDSketch-style log histogram).

    A wait of exactly 0 is counted apart. A positive wait ``x`` falls in bucket
    ``i = ceil(log_γ x)`` with ``γ = (1 + α) / (1 − α)``, α = ``WAIT_RELATIVE_ACCURACY``;
    a quantile is the bucket holding the order statistic of rank ``ceil(q·n)``,
    reported as ``2γ^i / (γ + 1)``, which is within a relative α of every value in
    the bucket (Masson, Rim & Lee, "DDSketch", VLDB 2019). The count, sum and maximum
    are exact. Buckets grow with log(max/min wait), not with the number of waits.
    """

    __slots__ = ("buckets", "count", "maximum", "total", "zeros")

    def __init__(self) -> None:
        self.zeros = 0
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.total = 0.0
        self.maximum = 0.0

    def add(self, wait: float) -> None:
        """Record one wait (seconds, ≥ 0)."""
        self.count += 1
        if wait <= 0.0:
            self.zeros += 1
            return
        self.total += wait
        if wait > self.maximum:
            self.maximum = wait
        index = math.ceil(math.log(wait) * _INV_LOG_GAMMA)
        buckets = self.buckets
        buckets[index] = buckets.get(index, 0) + 1

    @property
    def mean(self) -> float:
        """The exact mean wait; 0 when nothing was recorded."""
        return self.total / self.count if self.count else 0.0

    def quantile(self, q: float) -> float:
        """The q-quantile (0 ≤ q ≤ 1) within ±α relative; 0 when nothing was recorded."""
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile must be within [0, 1], got {q}")
        if self.count == 0:
            return 0.0
        rank = max(1, math.ceil(q * self.count))
        if rank <= self.zeros:
            return 0.0
        seen = self.zeros
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                value = 2.0 * _GAMMA**index / (_GAMMA + 1.0)
                return min(value, self.maximum)
        return self.maximum

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WaitSketch):
            return NotImplemented
        return self.__getstate__() == other.__getstate__()

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> tuple[int, dict[int, int], int, float, float]:
        return (self.zeros, self.buckets, self.count, self.total, self.maximum)

    def __setstate__(self, state: tuple[int, dict[int, int], int, float, float]) -> None:
        self.zeros, self.buckets, self.count, self.total, self.maximum = state


@dataclass(frozen=True, slots=True)
class ChatCounts:
    """What happened to the chats of the measurement window (handed off at ≥ warm-up).

    ``handed_off == assigned + abandoned + unattended + waiting_at_end`` always holds.
    ``unavailable`` handoffs found nobody online and never entered the queue;
    ``with_ai_at_end`` chats were still with their AI agent when handoffs stopped.
    """

    arrived: int = 0
    handed_off: int = 0
    unavailable: int = 0
    assigned: int = 0
    abandoned: int = 0
    unattended: int = 0
    waiting_at_end: int = 0
    with_ai_at_end: int = 0


@dataclass(frozen=True, slots=True)
class AgentFacts:
    """One agent over the window: placements and time-weighted load (seconds)."""

    id: str
    assigned: int
    open_area: float
    """∫ open chats dt over the window (chat-seconds)."""
    max_open: int
    online_time: float
    busy_time: float
    """Online time with at least one open chat."""
    at_cap_time: float
    """Online time holding at least the cap (the smallest cap of the agent's teamspaces)."""


@dataclass(frozen=True, slots=True)
class ChatRecord:
    """One chat of the window, kept only on request: for tests and diagnostics."""

    chat: int
    handoff_time: float
    wait: float | None
    """Seconds from entering the queue to the first assignee; None if never assigned."""
    outcome: str
    """assigned, abandoned, unattended or waiting_at_end."""


@dataclass(frozen=True, slots=True)
class ReplicationFacts:
    """Everything one replication measured, over the window [start, end] seconds."""

    replication: int
    start: float
    end: float
    counts: ChatCounts
    waits: WaitSketch
    waited: int
    """Handed-off chats of the window that waited more than 0 (assigned or not)."""
    within_threshold: int
    """Handed-off chats of the window assigned within the service-level threshold."""
    queue_area: float
    queue_max: int
    agents: tuple[AgentFacts, ...]
    saturated_time: tuple[tuple[str, float], ...]
    """Per teamspace: time during which every online pool member was at the cap."""
    chats: tuple[ChatRecord, ...] = field(default=())
    queue_samples: tuple[int, ...] = field(default=())
    """Pending-queue length at the middle of each sampling interval, from time 0 (on request)."""

    @property
    def duration(self) -> float:
        """The window's length in seconds."""
        return self.end - self.start
