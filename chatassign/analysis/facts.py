"""What one simulated replication records: counts, a wait sketch, time-weighted areas.

``simulation/`` fills these; ``metrics.py`` turns them into summaries. Plain values,
picklable (replications run in worker processes), standard library only. Memory does
not grow with the number of chats: waits go into a bounded log-bucket sketch, and
per-chat records are kept only when a caller asks for them (tests, traces).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields

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

    @classmethod
    def merged(cls, sketches: Iterable[WaitSketch]) -> WaitSketch:
        """One sketch of every wait recorded in ``sketches`` (quantiles as exact as each)."""
        out = cls()
        buckets = out.buckets
        for sketch in sketches:
            out.zeros += sketch.zeros
            out.count += sketch.count
            out.total += sketch.total
            out.maximum = max(out.maximum, sketch.maximum)
            for index, count in sketch.buckets.items():
                buckets[index] = buckets.get(index, 0) + count
        return out

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
    transferred: int = 0
    """Chats the first agent escalated to another team (each also counted as assigned)."""

    @classmethod
    def total(cls, parts: Iterable[ChatCounts]) -> ChatCounts:
        """The counts of ``parts`` added up."""
        listed = list(parts)
        return cls(**{f.name: sum(getattr(p, f.name) for p in listed) for f in fields(cls)})


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
class StreamFacts:
    """The chats of one AI agent, or of one of its languages, over the window.

    The same measures as the totals of ``ReplicationFacts``; ``arrived`` and
    ``with_ai_at_end`` are counted per AI agent only (the language is drawn at the
    handoff), so they are 0 in a language's facts.
    """

    ai_agent: str
    language: str | None
    counts: ChatCounts
    waits: WaitSketch
    """Waits of assigned chats (to the first assignee)."""
    abandoned_waits: WaitSketch
    """How long abandoned customers waited before leaving."""
    all_waits: WaitSketch
    """Every handed-off chat: assigned ones to the first assignee, abandoned ones until
    they left, the rest until the window ended."""
    waited: int
    within_threshold: int
    languages: tuple[StreamFacts, ...] = ()

    @classmethod
    def combined(
        cls, ai_agent: str, parts: Sequence[StreamFacts], *, arrived: int, with_ai_at_end: int
    ) -> StreamFacts:
        """One AI agent's facts from those of its languages (kept as ``languages``)."""
        counts = ChatCounts.total(p.counts for p in parts)
        counts = ChatCounts(
            **{f.name: getattr(counts, f.name) for f in fields(ChatCounts)}
            | {"arrived": arrived, "with_ai_at_end": with_ai_at_end}
        )
        return cls(
            ai_agent=ai_agent,
            language=None,
            counts=counts,
            waits=WaitSketch.merged(p.waits for p in parts),
            abandoned_waits=WaitSketch.merged(p.abandoned_waits for p in parts),
            all_waits=WaitSketch.merged(p.all_waits for p in parts),
            waited=sum(p.waited for p in parts),
            within_threshold=sum(p.within_threshold for p in parts),
            languages=tuple(p for p in parts if p.language is not None),
        )


@dataclass(frozen=True, slots=True)
class TeamFacts:
    """One team over the window: its agents (of any pool) and its own cap saturation."""

    id: str
    agents: tuple[str, ...]
    saturated_time: float
    """Time during which at least one of ``agents`` was online and every online one held
    at least their cap (the smallest cap of their teamspaces)."""


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
    abandoned_waits: WaitSketch = field(default_factory=WaitSketch)
    """How long abandoned customers waited before leaving."""
    all_waits: WaitSketch = field(default_factory=WaitSketch)
    """Every handed-off chat's wait: to the first assignee, until leaving, or until the end."""
    streams: tuple[StreamFacts, ...] = field(default=())
    """Per AI agent, in arrival-stream order."""
    teams: tuple[TeamFacts, ...] = field(default=())
    """Per team of the workspace, in configuration order."""

    @property
    def duration(self) -> float:
        """The window's length in seconds."""
        return self.end - self.start
