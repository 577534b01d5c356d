"""The metric registry: every metric's name, labels, unit, direction and how to show it.

One entry per metric, read by ``compare`` (rows, units, which way is better), the
sweep and staff tables, staff's ``--target`` (which metrics, which way) and the
sweep's charts (title, scale, unit, "higher/lower is better"). A new metric is added
here once; its value is computed in ``metrics.py`` (summaries) and kept per
replication by ``experiments/measures.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Better(StrEnum):
    """Which way a metric improves."""

    LOWER = "lower"
    HIGHER = "higher"


class Unit(StrEnum):
    """How a metric's values read: seconds, a share (0 to 1), chats, or a plain number."""

    SECONDS = "s"
    SHARE = "share"
    CHATS = "chats"
    NUMBER = "number"


_SCALE = {Unit.SECONDS: (1.0, "s"), Unit.SHARE: (100.0, "%"), Unit.CHATS: (1.0, "chats")}


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """What one metric is and how it is shown (its value comes from the summaries)."""

    key: str
    """Stable name: JSON and CSV keys, ``--measure`` and ``--target`` names."""
    unit: Unit
    better: Better | None
    """Which way is good; None for a count of the workload or a load (utilisation)."""
    label: str
    """The words of a row (``compare``): lower case, precise."""
    title: str = ""
    """A chart's title; empty: the label with a capital."""
    column: str = ""
    """A table's column header; empty: the label."""
    with_staff: Better | None = None
    """Which way the metric moves as agents are added (a staffing target goes that way);
    None: ``better``."""
    target: bool = False
    """Whether ``staff --target`` may name it for the whole workspace."""
    scoped_target: bool = False
    """Whether ``--target by_team.<team>.<key>`` / ``by_ai_agent.<ai agent>.<key>`` may."""

    @property
    def heading(self) -> str:
        """The chart title."""
        return self.title or self.label[:1].upper() + self.label[1:]

    @property
    def header(self) -> str:
        """The table column header."""
        return self.column or self.label

    @property
    def staff_direction(self) -> Better | None:
        """Which way more agents move it."""
        return self.with_staff or self.better

    @property
    def scale(self) -> float:
        """What a value is multiplied by for display (100 for a share, shown in %)."""
        return _SCALE.get(self.unit, (1.0, ""))[0]

    @property
    def suffix(self) -> str:
        """The display unit: ``%``, ``s``, ``chats`` or empty."""
        return _SCALE.get(self.unit, (1.0, ""))[1]

    def text(self, value: float) -> str:
        """``value`` scaled, with its unit (a plain number up to 1 gets three decimals)."""
        digits = 3 if not self.suffix and abs(value) <= 1.0 else 1
        number = f"{value * self.scale:.{digits}f}"
        return number + ("" if not self.suffix else f" {self.suffix}")


def _entries(*infos: MetricInfo) -> Mapping[str, MetricInfo]:
    return MappingProxyType({info.key: info for info in infos})


S, SH, C, N = Unit.SECONDS, Unit.SHARE, Unit.CHATS, Unit.NUMBER
LO, HI = Better.LOWER, Better.HIGHER

METRICS: Mapping[str, MetricInfo] = _entries(
    MetricInfo("handed_off", N, None, "handed-off chats", column="handed off"),
    MetricInfo("service_level", SH, HI, "service level", target=True, scoped_target=True),
    MetricInfo("abandon_rate", SH, LO, "abandon rate", column="abandoned", target=True,
               scoped_target=True),
    MetricInfo("p_wait", SH, LO, "share of chats that waited", title="Chats that waited",
               column="P(wait > 0)", target=True, scoped_target=True),
    MetricInfo("wait_mean_s", S, LO, "mean wait", target=True, scoped_target=True),
    MetricInfo("wait_p50_s", S, LO, "median wait"),
    MetricInfo("wait_p90_s", S, LO, "90th-percentile wait", column="p90 wait", target=True,
               scoped_target=True),
    MetricInfo("wait_p99_s", S, LO, "99th-percentile wait"),
    MetricInfo("handed_off_wait_p90_s", S, LO, "90th-percentile wait of every handed-off chat",
               scoped_target=True),
    MetricInfo("queue_mean", C, LO, "mean queue length", target=True),
    MetricInfo("utilization", SH, None, "utilization", title="Utilisation", with_staff=LO,
               scoped_target=True),
    MetricInfo("cap_saturation", SH, LO, "time the whole pool is at the cap",
               title="Cap saturation", column="cap saturation", scoped_target=True),
    MetricInfo("at_cap_share", SH, LO, "agents' time at the cap", scoped_target=True),
    MetricInfo("mean_open", N, None, "open chats (time average)", with_staff=LO,
               scoped_target=True),
    MetricInfo("assigned", C, None, "assigned chats"),
    MetricInfo("jain", N, HI, "Jain's index of assigned chats", title="Jain's fairness index"),
    MetricInfo("assigned_spread", C, LO, "assigned chats, most − fewest"),
    MetricInfo("open_spread", N, LO, "open chats (time avg), most − fewest"),
    MetricInfo("max_min_ratio", N, LO, "assigned chats, most ÷ fewest"),
    MetricInfo("agent_at_cap", SH, LO, "agents' time at the cap (mean)"),
    MetricInfo("agent_at_cap_max", SH, LO, "agents' time at the cap (most)"),
)  # fmt: skip
"""Every metric, by key."""


def metric_info(name: str) -> MetricInfo | None:
    """The entry of ``name``, a key or a scoped name (``by_team.<team>.<key>``); None if unknown."""
    return METRICS.get(name.rsplit(".", 1)[-1] if name.startswith("by_") else name)


__all__ = ["METRICS", "Better", "MetricInfo", "Unit", "metric_info"]
