"""Domain values of a workload (the traffic a simulation runs) and of a whole scenario.

Built by ``scenario/`` from YAML, read by ``simulation/``. Times are seconds,
rates are per second. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from chatassign.distributions import Distribution
from chatassign.model import Workspace

MAX_REPLICATIONS = 10_000
"""The most replications one run may ask for, in a file or on the command line."""


@dataclass(frozen=True, slots=True)
class RateSegment:
    """Arrivals at ``rate`` per second until ``until`` seconds (``inf`` for the last)."""

    until: float
    rate: float


@dataclass(frozen=True, slots=True)
class ArrivalStream:
    """Customers reaching one AI agent: a (piecewise) Poisson process and what follows."""

    ai_agent: str
    schedule: tuple[RateSegment, ...]
    handoff_probability: float
    ai_time: Distribution
    languages: tuple[tuple[str, float], ...] = ()
    """Language mix as (language, probability) pairs summing to 1; empty: no language."""

    def rate_at(self, t: float) -> float:
        """The arrival rate in force at time ``t`` (per second)."""
        for segment in self.schedule:
            if t < segment.until:
                return segment.rate
        return self.schedule[-1].rate if self.schedule else 0.0


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span of time [start, end) in seconds."""

    start: float
    end: float


@dataclass(frozen=True, slots=True)
class VoluntaryBehaviour:
    """How agents claim under the voluntary method."""

    pickup_delay: Distribution
    self_limit: int = 3


@dataclass(frozen=True)
class Workload:
    """The traffic and the people's behaviour over one simulated horizon."""

    horizon: float
    arrivals: tuple[ArrivalStream, ...]
    handle_time: Distribution
    warmup: float = 0.0
    seed: int = 0
    replications: int = 1
    concurrency_slowdown: tuple[float, ...] = (1.0,)
    """At j open chats each progresses at speed / slowdown[j-1]; the last value repeats."""
    patience: Distribution | None = None
    service_level_threshold: float = 60.0
    shifts: Mapping[str, tuple[Interval, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """Online intervals per user; a user not listed is online the whole horizon."""
    voluntary: VoluntaryBehaviour | None = None
    run_to_completion: bool = False
    """Keep running past the horizon (no new handoffs) until every chat has ended."""


@dataclass(frozen=True)
class Scenario:
    """A named workspace configuration and, optionally, its workload."""

    name: str
    workspace: Workspace
    workload: Workload | None = None
    source: str | None = None
    """Where it was loaded from, for messages; None when built in code."""
