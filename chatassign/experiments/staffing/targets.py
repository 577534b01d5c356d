"""Service targets (``service_level>=0.8``) and the verdict of estimates on them."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from chatassign.analysis.intervals import Estimate
from chatassign.analysis.registry import METRICS, Better
from chatassign.errors import UsageError
from chatassign.experiments.measures import split_scoped

_TARGET = re.compile(r"\s*([A-Za-z_0-9.\-]+?)\s*(>=|<=)\s*([0-9.eE+-]+)\s*(%?)\s*")

HIGHER_IS_BETTER = frozenset(
    key for key, info in METRICS.items() if info.target and info.staff_direction is Better.HIGHER
)
"""Workspace-wide target metrics that grow with staff: written ``>=``."""
LOWER_IS_BETTER = frozenset(
    key for key, info in METRICS.items() if info.target and info.staff_direction is Better.LOWER
)
"""Workspace-wide target metrics that shrink with staff: written ``<=``."""
SCOPED_HIGHER_IS_BETTER = frozenset(
    key
    for key, info in METRICS.items()
    if info.scoped_target and info.staff_direction is Better.HIGHER
)
SCOPED_LOWER_IS_BETTER = frozenset(
    key
    for key, info in METRICS.items()
    if info.scoped_target and info.staff_direction is Better.LOWER
)
"""Per-team and per-AI-agent target measures (``by_team.<team>.<measure>``), by direction."""


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    """A service target: ``metric >= value`` or ``metric <= value``."""

    metric: str
    at_least: bool
    value: float

    @property
    def text(self) -> str:
        """As written on the command line: ``service_level>=0.8``."""
        return f"{self.metric}{'>=' if self.at_least else '<='}{self.value:g}"

    def met_by(self, value: float) -> bool:
        """Whether ``value`` of the metric meets the target."""
        return value >= self.value if self.at_least else value <= self.value


def parse_target(text: str) -> ServiceTarget:
    """``service_level>=0.8`` (or ``80%``), ``abandon_rate<=0.05``, ``wait_mean_s<=30``."""
    match = _TARGET.fullmatch(text)
    known = ", ".join(sorted(HIGHER_IS_BETTER | LOWER_IS_BETTER))
    if match is None:
        raise UsageError(f"--target {text}: expected METRIC>=VALUE or METRIC<=VALUE ({known})")
    metric, op, number, percent = match.groups()
    measure = _direction_key(metric)
    if measure is None:
        raise UsageError(
            f"--target {text}: unknown metric {metric!r} (one of {known}, or "
            "by_team.<team>.<measure>, by_ai_agent.<ai agent>.<measure>)"
        )
    at_least = op == ">="
    grows = measure in HIGHER_IS_BETTER | SCOPED_HIGHER_IS_BETTER
    if at_least != grows:
        better = ">=" if grows else "<="
        raise UsageError(f"--target {text}: {metric} improves with staff; write {metric}{better}")
    try:
        value = float(number) / (100.0 if percent else 1.0)
    except ValueError:
        raise UsageError(f"--target {text}: {number!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"--target {text}: the value must be a finite number ≥ 0")
    return ServiceTarget(metric, at_least, value)


def _direction_key(metric: str) -> str | None:
    """The measure whose direction ``metric`` takes, or None if it is no target metric."""
    if metric in HIGHER_IS_BETTER | LOWER_IS_BETTER:
        return metric
    parts = split_scoped(metric)
    if parts is None:
        return None
    measure = parts[2]
    return measure if measure in SCOPED_HIGHER_IS_BETTER | SCOPED_LOWER_IS_BETTER else None


def scoped_targets(targets: Sequence[ServiceTarget]) -> tuple[str, ...]:
    """The per-team and per-AI-agent metrics among ``targets``, each once, in order."""
    names = [t.metric for t in targets if split_scoped(t.metric) is not None]
    return tuple(dict.fromkeys(names))


class Verdict(Enum):
    """What replications say about one staffing level."""

    MEETS = "meets"
    FAILS = "fails"
    UNCLEAR = "unclear"


def judge(targets: Sequence[ServiceTarget], estimates: Mapping[str, Estimate]) -> Verdict:
    """MEETS when every interval is clear on the good side; FAILS when one is clear on the bad."""
    verdicts = []
    for target in targets:
        est = estimates[target.metric]
        low, high = est.ci95 if est.ci95 is not None else (est.mean, est.mean)
        good, bad = (low, high) if target.at_least else (high, low)
        if target.met_by(good):
            verdicts.append(Verdict.MEETS)
        elif not target.met_by(bad):
            verdicts.append(Verdict.FAILS)
        else:
            verdicts.append(Verdict.UNCLEAR)
    if Verdict.FAILS in verdicts:
        return Verdict.FAILS
    return Verdict.MEETS if all(v is Verdict.MEETS for v in verdicts) else Verdict.UNCLEAR
