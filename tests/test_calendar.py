"""The calendar adapter: what it reads of SimPy's internals, pinned.

``chatassign.simulation.calendar`` is the only code that touches ``Environment._queue``,
``_eid`` and ``_now``; if a SimPy release changes them, these tests fail first.
"""

from __future__ import annotations

import itertools

import simpy
import simpy.events

from chatassign.simulation.books import ChatBooks, Customer
from chatassign.simulation.calendar import NORMAL, Alarm, Calendar


def test_simpy_internals_are_what_the_adapter_reads() -> None:
    env = simpy.Environment(initial_time=2.5)
    assert isinstance(env._queue, list)
    assert env._queue == []
    assert isinstance(env._eid, itertools.count)
    assert env._now == env.now == 2.5
    assert NORMAL == simpy.events.NORMAL
    env.timeout(1.0)
    ((at, priority, eid, event),) = env._queue
    assert (at, priority) == (3.5, NORMAL)
    assert isinstance(eid, int)
    assert next(env._eid) == eid + 1
    assert isinstance(event, simpy.Timeout)


def test_an_alarm_fires_with_its_value_and_gives_up_its_callbacks() -> None:
    calendar = Calendar()
    seen: list[tuple[float, object]] = []
    alarm = Alarm([lambda a: seen.append((calendar.now(), a._value))], "value")
    calendar.push(6.0, alarm)
    calendar.env.run()
    assert seen == [(6.0, "value")]
    assert calendar.now() == calendar.env.now == 6.0
    assert alarm.callbacks is None  # SimPy's mark of a fired event; the simulator relies on it


def test_any_entry_with_callbacks_and_ok_fires() -> None:
    """A customer is its own entry for the end of its service."""
    calendar = Calendar()
    customer = Customer(1, 10.0, 0.0, True, ChatBooks("bot", None, voluntary=False))
    seen: list[object] = []
    customer.callbacks = [seen.append]
    calendar.push(5.0, customer)
    calendar.env.step()
    assert calendar.now() == 5.0
    assert seen == [customer]
    assert customer.callbacks is None  # the simulator's "not on the calendar" mark


def test_entries_at_one_time_fire_in_booking_order_with_simpys_own_events() -> None:
    """Pushed entries share SimPy's counter: ties go to whichever was booked first."""
    calendar = Calendar()
    env = calendar.env
    order: list[str] = []

    def note(name: str) -> Alarm[str]:
        return Alarm([lambda a: order.append(a._value)], name)

    calendar.push(4.0, note("first"))
    env.timeout(4.0).callbacks.append(lambda _: order.append("timeout"))
    calendar.push(4.0, note("third"))
    calendar.push(1.0, note("earlier"))
    env.run(until=10.0)
    assert order == ["earlier", "first", "timeout", "third"]
    assert env.now == 10.0


def test_run_until_stops_before_entries_at_the_horizon() -> None:
    """``Environment.run(until=t)`` is urgent at t: an entry booked for t stays unfired."""
    calendar = Calendar()
    fired: list[str] = []
    calendar.push(10.0, Alarm([lambda a: fired.append(a._value)], "at the horizon"))
    calendar.env.run(until=10.0)
    assert fired == []
    assert calendar.env.peek() == 10.0


def test_calendar_run_fires_in_simpys_order_and_stops_before_the_horizon() -> None:
    """``Calendar.run`` is ``Environment.run(until=...)``: the same order, the same stop."""
    calendar = Calendar()
    env = calendar.env
    order: list[str] = []

    def note(name: str) -> Alarm[str]:
        return Alarm([lambda a: order.append(f"{a._value}@{calendar.now()}")], name)

    calendar.push(4.0, note("first"))
    env.timeout(4.0).callbacks.append(lambda _: order.append("timeout"))
    calendar.push(4.0, note("third"))
    calendar.push(1.0, note("earlier"))
    calendar.push(10.0, note("at the horizon"))
    calendar.run(10.0)
    assert order == ["earlier@1.0", "first@4.0", "timeout", "third@4.0"]
    assert calendar.now() == env.now == 10.0
    assert calendar.peek() == 10.0
    calendar.step()
    assert order[-1] == "at the horizon@10.0"
    assert calendar.peek() == float("inf")


def test_calendar_run_stands_at_the_horizon_when_nothing_is_booked() -> None:
    calendar = Calendar()
    calendar.run(7.5)
    assert calendar.now() == 7.5
