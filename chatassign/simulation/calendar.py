"""SimPy's event calendar as the simulator uses it: the one module that knows SimPy's internals.

SimPy keeps future events in a heap, ``Environment._queue``, of entries
``(time, priority, event id, event)``; the id comes from ``Environment._eid`` (a
counter), so events due at the same time and priority fire in the order they were
booked. ``Environment.step`` pops the smallest entry, sets ``Environment._now`` to its
time, takes the event's ``callbacks`` (leaving None) and calls each with the event;
an event whose ``_ok`` is false raises its value.

The simulator books its own entries on that heap (``Calendar.push``): any object with
``callbacks`` and ``_ok`` will do (an ``Alarm``, or a customer that is its own entry
for the end of its service). It fires them with ``Calendar.run`` and ``step``: the
same pops, clock and callbacks as ``Environment.run`` and ``step``, in one loop that
the compiled build runs natively (SimPy's own loop is a Python method call per event,
interpreted in both builds). Public ``Environment.schedule`` books by delay, not by
time, so an entry booked for an absolute time would land a rounding error away from
it; and it is a Python call where ``push`` is a native one in the compiled build.
``tests/test_calendar.py`` pins every internal read here, so a SimPy release that
changes them fails there first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any, Final, Generic, Protocol, TypeVar, cast

import simpy

T = TypeVar("T")

NORMAL: Final = 1
"""SimPy's priority of ordinary events (``simpy.events.NORMAL``)."""


class Entry(Protocol):
    """What ``Environment.step`` reads of a calendar entry (and sets: ``callbacks``)."""

    callbacks: list[Callable[[Any], None]] | None

    @property
    def _ok(self) -> bool: ...


class Alarm(Generic[T]):
    """A bare calendar entry: a value and the callbacks that get this alarm when it fires.

    ``simpy.Timeout`` validates its delay and goes through ``Environment.schedule``;
    an alarm is pushed straight onto the heap with SimPy's ``NORMAL`` priority and
    event counter, so ordering is exactly SimPy's and booking costs a third less.
    """

    __slots__ = ("_value", "callbacks")
    _ok = True
    """Never failed (a class attribute: one store less per alarm)."""

    def __init__(self, callbacks: list[Callable[[Alarm[T]], None]], value: T) -> None:
        self.callbacks: list[Callable[[Alarm[T]], None]] | None = callbacks
        """SimPy sets this to None when the alarm fires (a compiled field checks the type)."""
        self._value = value


class Calendar:
    """A SimPy environment's clock and heap, for booking the simulator's own entries."""

    __slots__ = ("_heap", "_ids", "env")

    def __init__(self) -> None:
        self.env = simpy.Environment()
        """The environment; ``run``, ``step``, ``peek`` and ``now`` are its public ones."""
        self._heap = cast(list[tuple[float, int, int, Entry]], self.env._queue)
        self._ids = self.env._eid

    def now(self) -> float:
        """The current simulated time, in seconds (the time of the entry firing now)."""
        return cast(float, self.env._now)

    def push(self, at: float, entry: Entry) -> None:
        """Book ``entry`` to fire at time ``at`` (not before now), after all booked for ``at``."""
        heappush(self._heap, (at, NORMAL, next(self._ids), entry))

    def peek(self) -> float:
        """The time of the next entry (infinity when none is booked)."""
        heap = self._heap
        return heap[0][0] if heap else math.inf

    def step(self) -> None:
        """Fire the next entry: ``Environment.step``, for entries that never fail."""
        at, _, _, entry = heappop(self._heap)
        self.env._now = at
        callbacks = entry.callbacks
        entry.callbacks = None
        assert callbacks is not None, "an entry fires once"
        for callback in callbacks:
            callback(entry)

    def run(self, until: float) -> None:
        """Fire every entry booked before ``until``, then stand at ``until``.

        What ``Environment.run(until=until)`` does: its stop is urgent at ``until``, so
        entries booked for ``until`` itself stay booked (``step`` fires them).
        """
        heap = self._heap
        env = self.env
        while heap and heap[0][0] < until:
            # step's body, written out: a method call per event is what this loop saves.
            at, _, _, entry = heappop(heap)
            env._now = at
            callbacks = entry.callbacks
            entry.callbacks = None
            assert callbacks is not None, "an entry fires once"
            for callback in callbacks:
                callback(entry)
        env._now = max(until, env._now)
