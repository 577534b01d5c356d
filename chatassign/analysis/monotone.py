"""Searches over the integers for a predicate that is false, then true from some n on.

The one home of the gallop-then-bisect search: the Erlang ``servers_needed``, the
staffing search's Erlang start and its simulated bisection all use it. Pure.
"""

from __future__ import annotations

from collections.abc import Callable


def first_true(predicate: Callable[[int], bool], low: int, *, limit: int) -> int | None:
    """The smallest n ≥ ``low`` with ``predicate(n)``; None when the steps pass ``limit``.

    Probes ``low``, then ``low + 1``, ``low + 3``, ``low + 7``, … (steps doubling) until
    the predicate holds, then bisects the last step: O(log n) probes.
    """
    if predicate(low):
        return low
    step = 1
    while not predicate(low + step):
        low += step
        step *= 2
        if low > limit:
            return None
    return first_true_between(predicate, low, low + step)


def first_true_between(predicate: Callable[[int], bool], low: int, high: int) -> int:
    """The smallest n in (``low``, ``high``] with ``predicate(n)``, given it is false at
    ``low`` and true at ``high``."""
    while high - low > 1:
        middle = (low + high) // 2
        if predicate(middle):
            high = middle
        else:
            low = middle
    return high
