"""Intervals of shares stay within [0, 1] (Student-t, clipped)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chatassign.measures import MEASURES, SHARES, combine
from chatassign.metrics import estimate, estimate_share


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
