"""The metric registry: every metric shown anywhere has one entry, and the users read it."""

from __future__ import annotations

from chatassign.analysis.comparison import AI_AGENT_METRICS, METRICS, TEAM_METRICS
from chatassign.analysis.registry import METRICS as REGISTRY
from chatassign.analysis.registry import Better, Unit, metric_info
from chatassign.experiments.measures import AI_AGENT_MEASURES, MEASURES, SHARES, TEAM_MEASURES
from chatassign.experiments.staffing.targets import (
    HIGHER_IS_BETTER,
    LOWER_IS_BETTER,
    SCOPED_LOWER_IS_BETTER,
)
from chatassign.report.sweep import SWEEP_TABLE_METRICS


def test_every_metric_of_every_table_is_registered() -> None:
    names = {
        *MEASURES,
        *TEAM_MEASURES,
        *AI_AGENT_MEASURES,
        *(m.key for m in METRICS),
        *(key for key, _ in TEAM_METRICS),
        *AI_AGENT_METRICS,
        *(key for key, _, _ in SWEEP_TABLE_METRICS),
    }
    assert names <= set(REGISTRY), sorted(names - set(REGISTRY))


def test_compare_rows_take_label_unit_and_direction_from_the_registry() -> None:
    for metric in METRICS:
        info = REGISTRY[metric.key]
        assert (metric.label, metric.unit, metric.better) == (info.label, info.unit, info.better)


def test_targets_and_shares_follow_the_registry() -> None:
    assert {"service_level"} == HIGHER_IS_BETTER
    for name in LOWER_IS_BETTER | SCOPED_LOWER_IS_BETTER:
        assert REGISTRY[name].staff_direction is Better.LOWER
    assert {n for n in MEASURES if REGISTRY[n].unit is Unit.SHARE} == SHARES


def test_scoped_names_find_their_measure() -> None:
    info = metric_info("by_team.tier.1.utilization")
    assert info is not None
    assert info.key == "utilization"
    assert metric_info("by_ai_agent.bot.wait_mean_s") is REGISTRY["wait_mean_s"]
    assert metric_info("no_such_metric") is None


def test_display_scales_shares_and_keeps_small_numbers_precise() -> None:
    assert REGISTRY["service_level"].text(0.8125) == "81.2 %"
    assert REGISTRY["wait_mean_s"].text(12.34) == "12.3 s"
    assert REGISTRY["jain"].text(0.98765) == "0.988"
    assert REGISTRY["service_level"].heading == "Service level"
