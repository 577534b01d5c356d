"""One replication: SimPy's calendar drives the engine; the handlers keep the books.

SimPy is used as an event calendar: every future event is an ``Alarm`` (or a customer)
booked on SimPy's own heap through ``calendar.Calendar``, with one callback (no
process, no ``Resource`` per chat). The engine decides every assignment; the handlers
only turn clock events into engine calls (handoff, close, status change, claim,
abandon). This module holds the traffic (arrivals, AI time, handoffs, patience,
replay), the run itself and the facts at the end; ``desk.py`` what follows a
placement, and the agents' status and claims; ``setup.py`` what a replication starts
from. The model and every choice we made where the product's rules are silent are in
``docs/simulation.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from chatassign.analysis.facts import (
    ChatCounts,
    ChatRecord,
    ReplicationFacts,
    TeamFacts,
    WaitSketch,
)
from chatassign.engine import EngineEvent, Outcome
from chatassign.model import Chat
from chatassign.simulation.books import (
    ENDED,
    PENDING,
    Arrivals,
    Customer,
    EscalatingCustomer,
)
from chatassign.simulation.calendar import Alarm
from chatassign.simulation.desk import Desk
from chatassign.simulation.plan import Progress, SimulationPlan
from chatassign.simulation.setup import (
    RecordedCustomers,
    Streams,
    build_arrivals,
)
from chatassign.workload.values import RecordedHandoff

_PROGRESS_TICKS: Final = 100
_new_tuple: Final = tuple.__new__
_ASSIGNED: Final = Outcome.ASSIGNED
_UNAVAILABLE: Final = Outcome.UNAVAILABLE
"""Enum members read from the class cost ten times a global's read (Python 3.11)."""


def run_replication(
    plan: SimulationPlan,
    replication: int,
    *,
    observer: Callable[[EngineEvent], None] | None = None,
    progress: Progress | None = None,
) -> ReplicationFacts:
    """Simulate one replication and return its facts."""
    return ReplicationRun(plan, replication, observer=observer, progress=progress).run()


class ReplicationRun(Desk):
    """One replication: the traffic on the desk, run on the SimPy calendar, and its facts."""

    def __init__(
        self,
        plan: SimulationPlan,
        replication: int,
        *,
        observer: Callable[[EngineEvent], None] | None,
        progress: Progress | None,
    ) -> None:
        workload = plan.workload
        streams = Streams(workload, plan.seed, replication)
        super().__init__(plan, streams, observer=observer)
        self.plan = plan
        self.replication = replication
        self.progress = progress
        self.horizon = workload.horizon
        self.warmup = workload.warmup
        self.handoff_rng = streams.rng("handoff")
        self.language_rng = streams.rng("languages")
        self.arrivals = build_arrivals(plan.workspace, streams)
        self.arrivals_of = {arrivals.ai_agent: arrivals for arrivals in self.arrivals}
        self.recorded_customers = RecordedCustomers(streams)
        self.next_id = 1
        self.queue_samples: list[int] = []
        # One callbacks list per kind of alarm (see Desk.__init__).
        self.arrival_callbacks: list[Callable[[Alarm[Arrivals]], None]] = [self._on_arrival]
        self.patience_callbacks: list[Callable[[Alarm[Customer]], None]] = [self._on_patience]

    # --------------------------------------------------------------- running

    def run(self) -> ReplicationFacts:
        calendar = self.calendar
        self._schedule_shifts()
        recorded = self.plan.recorded
        if recorded is not None:
            if recorded:
                self._schedule_at(recorded[0].at, self._on_recorded, 0)
        else:
            for arrivals in self.arrivals:
                gap = arrivals.gap(0.0)
                if gap < self.horizon:
                    self._schedule(gap, self._on_arrival, arrivals)
        if self.warmup > 0:
            self._schedule(self.warmup, self._on_warmup, None)
        # Progress ticks are chained, one on the calendar at a time (a smaller heap is a
        # faster one); a tick reads no state, so when it runs among equal times is moot.
        if self.progress is not None:
            self._schedule_at(self.horizon / _PROGRESS_TICKS, self._on_tick, 1)
        self._schedule_queue_samples()
        calendar.run(self.horizon)
        if self.workload.run_to_completion:
            self.after_horizon = True
            self.finished = not self.customers
            while not self.finished and calendar.peek() < math.inf:
                calendar.step()
        end = max(calendar.now(), self.horizon)
        if self.progress is not None:
            self.progress(1.0)
        return self._facts(end)

    def _on_tick(self, event: Alarm[int]) -> None:
        """Report progress; tick ``i`` of ``_PROGRESS_TICKS`` is at ``i / ticks`` of the horizon."""
        assert self.progress is not None
        tick = event._value
        self.progress(tick / _PROGRESS_TICKS)
        if tick + 1 < _PROGRESS_TICKS:
            at = (tick + 1) * (self.horizon / _PROGRESS_TICKS)
            self._schedule_at(at, self._on_tick, tick + 1)

    def _schedule_queue_samples(self) -> None:
        """Read the queue length at the middle of each sampling interval (reports only).

        A sample changes no state, so results are the same with or without samples.
        Every sample is booked at the start, so it reads the queue before any event
        booked later for the same time (chaining them would change what they read).
        """
        interval = self.plan.queue_sample_interval
        if interval <= 0:
            return
        for k in range(math.ceil(self.horizon / interval)):
            at = (k + 0.5) * interval
            if at < self.horizon:
                self._schedule_at(at, self._on_queue_sample, None)

    def _on_queue_sample(self, event: Alarm[None]) -> None:
        self.queue_samples.append(self.queue)

    def _on_warmup(self, event: Alarm[None]) -> None:
        """Start the window: zero every area and maximum measured so far."""
        now = self.warmup
        self._queue_change(now, 0)
        self.queue_area = 0.0
        self.queue_max = self.queue
        for agent in self.agents.values():
            agent.restart(now)
        for saturation in {id(s): s for s in (*self.saturations, *self.team_books)}.values():
            saturation.flush(now)
            saturation.time = 0.0

    def _on_arrival(self, event: Alarm[Arrivals]) -> None:
        arrivals: Arrivals = event._value
        now = self.calendar.now()
        rate = arrivals.constant_rate
        # arrivals.gap(now), inlined for a constant rate: the same draw.
        at = now + (-math.log(1.0 - arrivals.random()) / rate if rate else arrivals.gap(now))
        if at < self.horizon:
            # A stream has one arrival pending at a time, so its alarm is reused: SimPy
            # has already taken this firing's callbacks.
            event.callbacks = self.arrival_callbacks
            self.calendar.push(at, event)
        counted = now >= self.warmup
        if counted:
            arrivals.arrived += 1
        if arrivals.probability < 1.0 and self.handoff_rng.random() >= arrivals.probability:
            return
        if arrivals.ai_zero:
            self._handoff(arrivals, now)
            return
        delay = arrivals.ai_time()
        if now + delay >= self.horizon:
            if counted:
                arrivals.with_ai += 1
            return
        self._schedule(delay, self._on_ai_done, arrivals)

    def _on_ai_done(self, event: Alarm[Arrivals]) -> None:
        self._handoff(event._value, self.calendar.now())

    def _on_recorded(self, event: Alarm[int]) -> None:
        """Replay: hand off recorded chat number ``event._value``, then book the next.

        The handoffs are chained (one on the calendar at a time); work and patience
        the export does not hold are drawn from the streams a drawn customer uses.
        """
        index: int = event._value
        recorded = self.plan.recorded
        assert recorded is not None
        if index + 1 < len(recorded):
            self._schedule_at(recorded[index + 1].at, self._on_recorded, index + 1)
        handoff = recorded[index]
        arrivals = self.arrivals_of[handoff.ai_agent]
        arrivals.arrived += 1
        self._handoff(arrivals, self.calendar.now(), handoff)

    def _handoff(
        self, arrivals: Arrivals, now: float, recorded: RecordedHandoff | None = None
    ) -> None:
        """The AI agent hands a chat off: draw its customer (replay: read it), ask the engine."""
        chat_id = self.next_id
        self.next_id += 1
        if recorded is not None:
            language, books, work, patience = self.recorded_customers.customer(arrivals, recorded)
        else:
            language = None
            draw_work, draw_patience = arrivals.draw_work, arrivals.draw_patience
            cumulative = arrivals.cumulative
            if cumulative:
                u = self.language_rng.random()
                index = len(cumulative) - 1
                for i, bound in enumerate(cumulative):
                    if u < bound:
                        index = i
                        break
                language = arrivals.languages[index]
                books = arrivals.books[index]
                if arrivals.language_draws:
                    draw_work, draw_patience = arrivals.language_draws[index]
            else:
                books = arrivals.books[0]
            work = draw_work()
            patience = draw_patience() if draw_patience is not None else math.inf
        escalate_to: tuple[str, ...] | None = None
        escalation = arrivals.escalation
        if escalation is not None:
            probability, uniform, draw_after, draw_then, teams = escalation
            escalated = uniform() < probability
            after, then_work = draw_after(), draw_then()
            if escalated and after < work:  # a chat done before `after` is not escalated
                escalate_to, work = teams, after
        # tuple.__new__ builds the named tuple at half the cost of Chat(...).
        result = self.engine.handoff(_new_tuple(Chat, (chat_id, arrivals.ai_agent, language)), now)
        counted = now >= self.warmup
        outcome = result.outcome
        if outcome is _UNAVAILABLE:
            if counted:
                books.unavailable += 1
            return
        if escalate_to is None:
            customer = Customer(chat_id, work, now, counted, books)
        else:
            escalating = EscalatingCustomer(chat_id, work, now, counted, books)
            escalating.escalates(escalate_to, then_work)
            customer = escalating
        self.customers[chat_id] = customer
        if counted:
            books.handed_off += 1
        if outcome is _ASSIGNED:
            assert result.agent is not None
            self._assigned(customer, self.agents[result.agent], now)
            return
        self._queue_change(now, 1)
        if patience < math.inf:
            alarm = Alarm(self.patience_callbacks, customer)
            self.calendar.push(now + patience, alarm)
        if arrivals.voluntary:
            agents = self.agents
            for uid in self.engine.claimable_by(chat_id):
                self._arm_claim(agents[uid], now)

    # -------------------------------------------------------------- patience

    def _on_patience(self, event: Alarm[Customer]) -> None:
        customer: Customer = event._value
        if customer.state is not PENDING:
            return
        now = self.calendar.now()
        customer.state = ENDED
        del self.customers[customer.id]
        self.engine.abandon(customer.id, now)
        self._queue_change(now, -1)
        if customer.counted:
            books = customer.books
            books.abandoned += 1
            books.abandoned_waits.add(now - customer.queued_at)
            if now > customer.queued_at:  # patience 0: left at once, without waiting
                books.waited += 1
            if self.keep_chats:
                self.records.append(ChatRecord(customer.id, customer.queued_at, None, "abandoned"))
        if self.after_horizon and not self.customers:
            self.finished = True

    # ---------------------------------------------------------------- results

    def _facts(self, end: float) -> ReplicationFacts:
        for customer in self.customers.values():
            if customer.state is not PENDING or not customer.counted:
                continue
            books = customer.books
            outcome = "unattended" if books.voluntary else "waiting_at_end"
            if books.voluntary:
                books.unattended += 1
            else:
                books.waiting += 1
            books.waited += 1
            books.unfinished_waits.add(end - customer.queued_at)
            if self.keep_chats:
                self.records.append(ChatRecord(customer.id, customer.queued_at, None, outcome))
        threshold = self.threshold
        streams = tuple(arrivals.facts(threshold=threshold) for arrivals in self.arrivals)
        totals = ChatCounts.total(stream.counts for stream in streams)
        # Chats assigned at once: a wait of 0, within any threshold of at least 0.
        unrecorded = sum(books.unrecorded for a in self.arrivals for books in a.books)
        self.waits.count += unrecorded
        self.waits.zeros += unrecorded
        self._queue_change(end, 0)
        for agent in self.agents.values():
            agent.account(end)
        for saturation in {id(s): s for s in (*self.saturations, *self.team_books)}.values():
            saturation.flush(end)
        start = self.warmup
        return ReplicationFacts(
            replication=self.replication,
            start=start,
            end=end,
            counts=totals,
            waits=self.waits,
            waited=sum(stream.waited for stream in streams),
            within_threshold=sum(stream.within_threshold for stream in streams),
            queue_area=self.queue_area,
            queue_max=self.queue_max,
            agents=tuple(agent.facts() for agent in self.agents.values()),
            saturated_time=tuple((s.id, s.time) for s in self.saturations),
            chats=tuple(sorted(self.records, key=lambda r: r.chat)),
            queue_samples=tuple(self.queue_samples),
            abandoned_waits=WaitSketch.merged(s.abandoned_waits for s in streams),
            all_waits=WaitSketch.merged(s.all_waits for s in streams),
            streams=streams,
            teams=tuple(
                TeamFacts(team_id, self.team_agents[team_id], books.time)
                for team_id, books in zip(self.engine.workspace.teams, self.team_books, strict=True)
            ),
        )
