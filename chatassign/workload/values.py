"""Domain values of a workload (the traffic a simulation runs) and of a whole scenario.

Built by ``scenario/`` from YAML, read by ``simulation/``. Times are seconds,
rates are per second. Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from chatassign.model import Workspace
from chatassign.workload.distributions import Distribution
from chatassign.workload.quantities import DayStart


@dataclass(frozen=True, slots=True)
class RateSegment:
    """Arrivals at ``rate`` per second until ``until`` seconds (``inf`` for the last)."""

    until: float
    rate: float


def arrivals_between(schedule: Iterable[RateSegment], start: float, end: float) -> float:
    """Arrivals expected in [``start``, ``end``): the piecewise-constant rate integrated.

    The one integration of a rate schedule over time: the progress total of
    ``simulate``, the traffic checks of ``validate`` and the Erlang start of ``staff``.
    """
    total, previous = 0.0, 0.0
    for segment in schedule:
        low, high = max(previous, start), min(segment.until, end)
        if high > low:
            total += segment.rate * (high - low)
        previous = segment.until
    return total


@dataclass(frozen=True, slots=True)
class LanguageParameters:
    """What sets one language's chats of an AI agent apart (None: the AI agent's value)."""

    language: str
    handle_time: Distribution | None = None
    patience: Distribution | None = None


@dataclass(frozen=True, slots=True)
class Escalation:
    """A share of an AI agent's chats that the first agent transfers to other teams.

    A chat is escalated with ``probability`` when its work at the first agent is
    longer than ``after`` (drawn per chat): the first agent works ``after`` seconds
    (at speed 1) and transfers it to ``teams``, where ``handle_time`` of new work waits
    (None: a fresh draw of the AI agent's handle time).
    """

    probability: float
    after: Distribution
    teams: tuple[str, ...]
    handle_time: Distribution | None = None


@dataclass(frozen=True, slots=True)
class ArrivalStream:
    """Customers reaching one AI agent: a (piecewise) Poisson process and what follows."""

    ai_agent: str
    schedule: tuple[RateSegment, ...]
    handoff_probability: float
    ai_time: Distribution
    languages: tuple[tuple[str, float], ...] = ()
    """Language mix as (language, probability) pairs summing to 1; empty: no language."""
    handle_time: Distribution | None = None
    """This AI agent's chats' work; None: the workload's ``handle_time``."""
    patience: Distribution | None = None
    """This AI agent's customers' patience; None: the workload's ``patience``."""
    by_language: tuple[LanguageParameters, ...] = ()
    """Per-language handle time and patience, for languages that set their own."""
    escalation: Escalation | None = None

    def language_parameters(self, language: str | None) -> LanguageParameters | None:
        """The parameters ``language`` sets of its own, or None."""
        for parameters in self.by_language:
            if parameters.language == language:
                return parameters
        return None

    def expected_arrivals(self, start: float, end: float) -> float:
        """Customers expected to reach the AI agent in [``start``, ``end``) seconds."""
        return arrivals_between(self.schedule, start, end)

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


class RecordedHandoff(NamedTuple):
    """One handoff of a desk's history, replayed instead of a drawn arrival."""

    at: float
    """Seconds after time 0 of the simulated day."""
    ai_agent: str
    language: str | None
    work: float | None
    """The recorded handle time (s at speed 1), or None: drawn from the scenario."""
    patience: float | None
    """The recorded patience (an abandoned chat's wait), or None: drawn."""
    waited: float = 0.0
    """A served chat's recorded wait: a drawn patience is conditioned to exceed it."""


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
    starts_at: DayStart | None = None
    """The clock time (and optionally date and zone) of time 0; None: times are offsets."""

    def handle_time_of(self, stream: ArrivalStream, language: str | None = None) -> Distribution:
        """The work of a chat of ``stream`` in ``language`` (its own, else the defaults)."""
        own = stream.language_parameters(language)
        if own is not None and own.handle_time is not None:
            return own.handle_time
        return self.handle_time if stream.handle_time is None else stream.handle_time

    def patience_of(
        self, stream: ArrivalStream, language: str | None = None
    ) -> Distribution | None:
        """The patience of ``stream``'s customers in ``language`` (None: unlimited)."""
        own = stream.language_parameters(language)
        if own is not None and own.patience is not None:
            return own.patience
        return self.patience if stream.patience is None else stream.patience

    def mean_handle_time(self, stream: ArrivalStream) -> float:
        """The mean work of one of ``stream``'s chats over its language mix (seconds)."""
        mix: tuple[tuple[str | None, float], ...] = stream.languages or ((None, 1.0),)
        total = math.fsum(share for _, share in mix)
        if total <= 0:
            return self.handle_time_of(stream).mean
        return (
            math.fsum(share * self.handle_time_of(stream, lang).mean for lang, share in mix) / total
        )


@dataclass(frozen=True)
class Scenario:
    """A named workspace configuration and, optionally, its workload."""

    name: str
    workspace: Workspace
    workload: Workload | None = None
    source: str | None = None
    """Where it was loaded from, for messages; None when built in code."""
