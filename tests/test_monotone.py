"""The gallop-then-bisect search: the smallest n where a false-then-true predicate holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chatassign.analysis.monotone import first_true, first_true_between


@given(threshold=st.integers(0, 10_000), low=st.integers(0, 50))
def test_first_true_finds_the_threshold_in_few_probes(threshold: int, low: int) -> None:
    probes: list[int] = []

    def at_least(n: int) -> bool:
        probes.append(n)
        return n >= threshold

    assert first_true(at_least, low, limit=100_000) == max(threshold, low)
    assert len(probes) <= 2 * max(threshold - low, 1).bit_length() + 2


def test_first_true_gives_up_past_the_limit() -> None:
    assert first_true(lambda n: False, 1, limit=100) is None
    assert first_true(lambda n: n >= 1000, 1, limit=100) is None


@given(threshold=st.integers(1, 1000), data=st.data())
def test_bisection_between_a_false_and_a_true_end(threshold: int, data: st.DataObject) -> None:
    low = data.draw(st.integers(0, threshold - 1))
    high = data.draw(st.integers(threshold, 2000))
    assert first_true_between(lambda n: n >= threshold, low, high) == threshold
