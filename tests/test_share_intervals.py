"""Intervals of shares stay within [0, 1], of waits and counts at or above 0 (Student-t,
clipped)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chatassign.analysis.intervals import estimate, estimate_nonnegative, estimate_share
from chatassign.experiments.measures import MEASURES, SHARES, combine


def test_a_share_interval_is_clipped_at_the_bounds() -> None:
    raw = estimate([0.0, 0.0, 0.3])
    assert raw.ci95 is not None
    assert raw.ci95[0] < 0
    clipped = estimate_share([0.0, 0.0, 0.3])
    assert clipped.mean == raw.mean
    assert clipped.ci95 == (0.0, raw.ci95[1])
    high = estimate([1.0, 0.9])
    assert high.ci95 is not None
    assert estimate_share([1.0, 0.9]).ci95 == (high.ci95[0], 1.0)


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=2, max_size=6))
def test_every_share_measure_interval_is_within_0_and_1(values: list[float]) -> None:
    samples = [tuple(v for _ in MEASURES) for v in values]
    combined = combine(samples)
    for name in SHARES:
        interval = combined[name].ci95
        assert interval is not None
        assert 0.0 <= interval[0] <= combined[name].mean <= interval[1] <= 1.0


@given(st.lists(st.floats(min_value=0.0, max_value=1e6, allow_nan=False), min_size=2, max_size=6))
def test_a_wait_interval_never_reaches_below_0(values: list[float]) -> None:
    """The Student-t interval, its lower end cut at 0 and nothing else changed."""
    raw = estimate(values)
    clipped = estimate_nonnegative(values)
    assert raw.ci95 is not None
    assert clipped.ci95 is not None
    assert clipped.mean == raw.mean
    assert clipped.ci95 == (max(0.0, raw.ci95[0]), raw.ci95[1])
    samples = [tuple(v for _ in MEASURES) for v in values]
    for name, found in combine(samples).items():
        assert found.ci95 is not None
        assert found.ci95[0] >= 0.0, name


def test_one_long_wait_in_few_replications_keeps_the_bound_at_0() -> None:
    """As seen in a report: mean wait 29 s over two replications, one of them 0 s."""
    raw = estimate([0.0, 58.6])
    assert raw.ci95 is not None
    assert raw.ci95[0] < 0
    assert estimate_nonnegative([0.0, 58.6]).ci95 == (0.0, raw.ci95[1])
