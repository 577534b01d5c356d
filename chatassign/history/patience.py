"""Patience from waits: a censored estimate, never the mean wait of those who left.

An abandoned customer's wait is their patience; a served customer's wait is only a
lower bound on it (they would have waited longer). The mean wait of abandoned
customers therefore understates patience badly (only the impatient leave). Waits are
grouped to 0.1 s, which keeps the censored likelihood cheap on a million rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from chatassign.history.distfit import Fitted, fit_censored

RESOLUTION = 0.1
"""Seconds to which waits are grouped."""


@dataclass(frozen=True)
class PatienceSample:
    """Waits grouped by value: the abandoned (events) and the served (censored)."""

    events: Counter[float]
    censored: Counter[float]

    @property
    def abandoned(self) -> int:
        """How many customers left before an agent took their chat."""
        return sum(self.events.values())

    @property
    def served(self) -> int:
        """How many were served (their wait bounds their patience from below)."""
        return sum(self.censored.values())


def patience_sample(waits: Iterable[tuple[float, bool]]) -> PatienceSample:
    """Group ``(wait seconds, abandoned)`` pairs; served waits of 0 carry no information."""
    events: Counter[float] = Counter()
    censored: Counter[float] = Counter()
    for wait, abandoned in waits:
        value = round(wait / RESOLUTION) * RESOLUTION
        if abandoned:
            events[value] += 1
        elif value > 0:
            censored[value] += 1
    return PatienceSample(events, censored)


def fit_patience(sample: PatienceSample) -> list[Fitted]:
    """The censored fits of patience, best first; empty when nobody abandoned."""
    if not sample.events:
        return []
    return fit_censored(dict(sample.events), dict(sample.censored))
