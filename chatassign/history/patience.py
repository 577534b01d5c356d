"""Patience from waits: a censored estimate, never the mean wait of those who left.

An abandoned customer's wait is their patience; a served customer's wait is only a
lower bound on it (they would have waited longer). The mean wait of abandoned
customers therefore understates patience badly (only the impatient leave). Waits are
grouped to 0.1 s, which keeps the censored likelihood cheap on a million rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

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


def patience_sample(
    waits: npt.NDArray[np.float64], abandoned: npt.NDArray[np.bool_]
) -> PatienceSample:
    """Group waits (seconds) and whether each customer left; served waits of 0 say nothing."""
    steps = np.round(waits / RESOLUTION).astype(np.int64)

    def grouped(selected: npt.NDArray[np.int64]) -> Counter[float]:
        values, counts = np.unique(selected, return_counts=True)
        return Counter(
            {round(int(v) * RESOLUTION, 1): int(c) for v, c in zip(values, counts, strict=True)}
        )

    served = steps[~abandoned]
    return PatienceSample(grouped(steps[abandoned]), grouped(served[served > 0]))


def fit_patience(sample: PatienceSample) -> list[Fitted]:
    """The censored fits of patience, best first; empty when nobody abandoned."""
    if not sample.events:
        return []
    return fit_censored(dict(sample.events), dict(sample.censored))
