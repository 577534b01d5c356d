"""The fit's estimators on data with a known truth, and the naive estimators they replace."""

from __future__ import annotations

import math
import random
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatassign.history.distfit import fit_censored, fit_complete, kaplan_meier
from chatassign.history.export import read_export
from chatassign.history.fit import DeskFit, FitOptions, fit_desk
from chatassign.history.mapping import load_mapping
from chatassign.history.shifts import Window, clip_days, merge_windows, typical_windows
from chatassign.workload.distributions import Exponential, Gamma, Lognormal
from tests.history_generator import Truth, write_export


@cache
def fitted(days: int) -> tuple[Truth, DeskFit]:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="history-"))
    truth = Truth(days=days)
    export_path, mapping_path = write_export(folder, truth)
    mapping = load_mapping(mapping_path)
    return truth, fit_desk(read_export(export_path, mapping), mapping, FitOptions())


def within(value: float | None, truth: float, share: float) -> bool:
    assert value is not None
    return abs(value - truth) <= share * truth


def test_volumes_are_recovered_within_3_percent() -> None:
    truth, fit = fitted(10)
    for stream in fit.streams:
        assert within(stream.volume, truth.rates[stream.name] * 8, 0.03), stream
        interval = fit.options.interval
        assert math.isclose(
            sum(stream.rates) * interval * len(fit.period.dates), sum(stream.counts)
        )
    assert fit.period.start_clock == 9 * 3600
    assert fit.period.horizon == 8 * 3600


def test_the_naive_estimates_miss_where_the_fit_does_not() -> None:
    truth, fit = fitted(10)
    assert fit.mean_duration > 1.3 * truth.mean_work  # stretched by the other chats
    assert fit.naive_patience is not None
    assert fit.naive_patience < 0.5 * truth.patience
    assert fit.patience is not None
    assert within(fit.patience.mean, truth.patience, 0.2)
    for stream in fit.streams:
        assert within(stream.mean_work, truth.work[stream.name][1], 0.1), stream


def test_each_ai_agent_gets_its_own_work_family_and_patience() -> None:
    truth, fit = fitted(10)
    families = {s.name: s.work_fits[0].family for s in fit.streams}
    assert families == {"billbot": "lognormal", "techbot": "exponential"}
    for stream in fit.streams:
        assert stream.handle_time is not None
        assert within(stream.handle_time.mean, truth.work[stream.name][1], 0.1)
        assert stream.work_fits[0].fit_statistic < 0.03
        assert stream.patience is not None
        assert within(stream.patience.mean, truth.patience, 0.25)


def test_partial_shifts_and_teams_are_recovered() -> None:
    _, fit = fitted(10)
    assert fit.shifts["dee@desk"] == [(14400, 28800)]
    assert fit.shifts["hal@desk"] == [(0, 18000)]
    assert fit.shifts["ana@desk"] == [(0, 28800)]
    assert fit.agent_teams["eli@desk"] == ["tech"]
    assert fit.stream_teams == {"billbot": ["billing"], "techbot": ["tech"]}
    assert fit.cap == 3


@pytest.mark.slow
def test_recovery_on_forty_days() -> None:
    truth, fit = fitted(40)
    for stream in fit.streams:
        assert within(stream.volume, truth.rates[stream.name] * 8, 0.03), stream
        assert within(stream.mean_work, truth.work[stream.name][1], 0.08), stream
    for found, true in zip(fit.work.slowdown, truth.slowdown, strict=True):
        assert abs(found - true) <= 0.1, fit.work.slowdown
    assert fit.patience is not None
    assert within(fit.patience.mean, truth.patience, 0.2)
    assert fit.mean_duration > 1.3 * truth.mean_work
    assert fit.naive_patience is not None
    assert fit.naive_patience < 0.5 * truth.patience


@pytest.mark.parametrize(
    ("distribution", "family"),
    [
        (Exponential(300), "exponential"),
        (Lognormal(300, 400), "lognormal"),
        (Gamma(300, 100), "gamma"),
    ],
)
def test_complete_samples_pick_their_family(distribution: Exponential, family: str) -> None:
    rng = random.Random(3)
    sample = [distribution.sample(rng) for _ in range(4000)]
    best = fit_complete(sample)[0]
    assert best.family == family
    assert within(best.distribution.mean, 300, 0.06)
    assert best.fit_statistic < 0.03


def test_censored_exponential_patience_is_recovered() -> None:
    rng = random.Random(5)
    events: dict[float, int] = {}
    censored: dict[float, int] = {}
    for _ in range(20000):
        patience, wait = rng.expovariate(1 / 240), rng.expovariate(1 / 120)
        target = events if patience < wait else censored
        value = round(min(patience, wait), 1)
        target[value] = target.get(value, 0) + 1
    best = fit_censored(events, censored)[0]
    assert best.family == "exponential"
    assert within(best.distribution.mean, 240, 0.05)
    naive = sum(v * c for v, c in events.items()) / sum(events.values())
    assert naive < 0.5 * 240


def test_censored_lognormal_patience_is_recovered() -> None:
    rng = random.Random(6)
    truth = Lognormal(300, 300)
    events: dict[float, int] = {}
    censored: dict[float, int] = {}
    for _ in range(6000):
        patience, wait = truth.sample(rng), rng.uniform(0, 900)
        target = events if patience < wait else censored
        value = round(min(patience, wait), 1)
        target[value] = target.get(value, 0) + 1
    best = fit_censored(events, censored)[0]
    assert best.family == "lognormal"
    assert within(best.distribution.mean, 300, 0.1)
    assert best.fit_statistic < 0.03


def test_kaplan_meier_steps_at_events_only() -> None:
    curve = kaplan_meier({1.0: 1, 3.0: 1}, {2.0: 1, 3.0: 1})
    assert curve == [(1.0, 0.75, 4), (3.0, 0.375, 2)]


def test_windows_merge_over_short_gaps_and_average_over_days() -> None:
    assert merge_windows([(0, 10), (15, 20), (100, 120)], gap=10) == [(0, 20), (100, 120)]
    days = [[(0.0, 3600.0)], [(0.0, 1800.0)], [(1800.0, 3600.0)]]
    assert typical_windows(days, horizon=3600, interval=1800) == [(0.0, 3600.0)]
    assert typical_windows(days[1:], horizon=3600, interval=1800) == [(0.0, 3600.0)]
    assert typical_windows([[(0.0, 600.0)]], horizon=3600, interval=1800) == []


def plain_clip(windows: list[Window], start: float, end: float) -> list[Window]:
    """The reference: every window's part inside [start, end), as offsets from ``start``."""
    clipped = []
    for a, b in windows:
        low, high = max(a, start), min(b, end)
        if high > low:
            clipped.append((low - start, high - start))
    return clipped


@given(
    st.lists(
        st.tuples(st.integers(0, 500), st.integers(1, 80)).map(lambda p: (p[0], p[0] + p[1])),
        max_size=25,
    ),
    st.lists(st.integers(0, 500), max_size=8),
    st.integers(1, 200),
)
def test_clipping_every_day_at_once_is_clipping_each_day(
    spans: list[tuple[int, int]], origins: list[int], horizon: int
) -> None:
    """The bisecting clip of all days equals the plain clip of each day (overlapping,
    touching and unsorted windows included)."""
    windows = [(float(a), float(b)) for a, b in spans]
    expected = [plain_clip(sorted(windows), o, o + horizon) for o in map(float, origins)]
    assert clip_days(windows, [float(o) for o in origins], float(horizon)) == expected
