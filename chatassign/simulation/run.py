"""One replication: SimPy's calendar drives the engine; the handlers keep the books.

SimPy is used as an event calendar: every future event is an ``Alarm`` (or a customer)
booked on SimPy's own heap through ``calendar.Calendar``, with one callback (no
process, no ``Resource`` per chat). The engine decides every assignment; this module
only turns clock events into engine calls (handoff, close, status change, claim,
abandon). The model and every choice we made
where the product's rules are silent are in ``docs/simulation.md``.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from heapq import heapify, heappop, heappush
from typing import Final, cast

from chatassign.analysis.facts import (
    ChatCounts,
    ChatRecord,
    ReplicationFacts,
    TeamFacts,
    WaitSketch,
)
from chatassign.engine import Assignment, Engine, EngineEvent, Outcome
from chatassign.model import Chat, ChatId, Method, OnAway, Target, Workspace
from chatassign.simulation.books import (
    ENDED,
    OPEN,
    PENDING,
    AgentBooks,
    Arrivals,
    ChatBooks,
    Customer,
    Draws,
    EscalatingCustomer,
    EscalationDraws,
    Sampler,
    Saturation,
)
from chatassign.simulation.calendar import Alarm, Calendar, T
from chatassign.simulation.plan import Progress, SimulationPlan, random_stream
from chatassign.workload.distributions import Constant, Distribution
from chatassign.workload.values import ArrivalStream, RecordedHandoff

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


_CONDITIONED_DRAWS = 1000
"""Draws of a served chat's patience before its recorded wait is used instead."""


def _above(draw: Sampler, floor: float) -> float:
    """A draw of ``draw`` above ``floor`` (rejection); ``floor`` when none comes."""
    for _ in range(_CONDITIONED_DRAWS):
        value = draw()
        if value > floor:
            return value
    return floor


class ReplicationRun:
    """One replication: the SimPy calendar, the engine and the books."""

    def __init__(
        self,
        plan: SimulationPlan,
        replication: int,
        *,
        observer: Callable[[EngineEvent], None] | None,
        progress: Progress | None,
    ) -> None:
        workload = plan.workload
        seed = plan.seed
        self.plan = plan
        self.workload = workload
        self.replication = replication
        self.progress = progress
        self.horizon = workload.horizon
        self.warmup = workload.warmup
        self.threshold = workload.service_level_threshold
        self.keep_chats = plan.keep_chats

        def rng(purpose: str) -> random.Random:
            return random_stream(seed, replication, purpose)

        workspace = plan.workspace
        self.engine = Engine(
            workspace, rng=rng("method"), observer=observer, enforce_plan=plan.method is None
        )
        self.calendar = Calendar()
        self.env = self.calendar.env
        self.handoff_rng = rng("handoff")
        self.language_rng = rng("languages")
        self.samplers: dict[str, Sampler] = {}
        """Work and patience samplers by random-stream name, shared by the streams using them."""
        ai_rng = rng("ai_time")
        voluntary_ai = {
            ai.id
            for ai in workspace.ai_agents.values()
            if workspace.teamspaces[ai.teamspace].assignment.method is Method.VOLUNTARY
        }
        self.arrivals = [
            Arrivals(
                s,
                rng(f"arrivals:{s.ai_agent}"),
                ai_rng,
                voluntary=s.ai_agent in voluntary_ai,
                draws=self._draws(s, None),
                language_draws=[self._draws(s, lang) for lang, _ in s.languages]
                if s.by_language
                else (),
                escalation=self._escalation_draws(s),
            )
            for s in workload.arrivals
        ]
        slowdown = workload.concurrency_slowdown or (1.0,)
        self.slowdown = slowdown
        self.shared = any(s != slowdown[0] for s in slowdown)
        """Processor sharing matters only when the slowdown changes with the load."""
        self.flat_factor = slowdown[0]
        behaviour = workload.voluntary
        pickup: Distribution = behaviour.pickup_delay if behaviour else Constant(0.0)
        self.draw_pickup = pickup.sampler(rng("pickup"))
        self.self_limit = behaviour.self_limit if behaviour else 3
        self.requeue = workspace.options.on_away is OnAway.REQUEUE

        self.customers: dict[ChatId, Customer] = {}
        self.next_id = 1
        self.waits = WaitSketch()
        """Every recorded wait of an assigned chat (each chat's books keep their own too)."""
        self.queue = 0
        self.queue_last = 0.0
        self.queue_area = 0.0
        self.queue_max = 0
        self.records: list[ChatRecord] = []
        self.queue_samples: list[int] = []
        self.after_horizon = False
        self.finished = False
        # SimPy never mutates a callbacks list it takes from an event, so every alarm
        # of one kind shares one list (saves a list and a bound method per alarm).
        self.arrivals_of = {arrivals.ai_agent: arrivals for arrivals in self.arrivals}
        self.replay_books: dict[tuple[str, str | None], tuple[ChatBooks, Draws]] = {}
        self.arrival_callbacks: list[Callable[[Alarm[Arrivals]], None]] = [self._on_arrival]
        self.finish_callbacks: list[Callable[[Customer], None]] = [self._on_finish]
        self.ps_callbacks: list[Callable[[Alarm[AgentBooks]], None]] = [self._on_ps_finish]
        self.patience_callbacks: list[Callable[[Alarm[Customer]], None]] = [self._on_patience]
        self.ps_order = itertools.count()
        """Ties between equal targets go to the chat assigned first."""

        self.agents, self.saturations = self._build_books(workspace)
        self.team_books, self.team_agents = self._build_team_books(workspace)

    # ----------------------------------------------------------------- set-up

    def _draws(self, stream: ArrivalStream, language: str | None) -> Draws:
        """The work and patience samplers of ``stream``'s customers in ``language``.

        A distribution of the workload draws from the shared ``handle_time`` or
        ``patience`` stream, in handoff order; one an AI agent (or a language of it)
        sets of its own draws from a stream of its own, ``handle_time:<ai agent>``
        (``handle_time:<ai agent>:<language>``), so changing it leaves every other
        customer's draws as they were. Samplers are made once per distinct stream.
        """
        work = self.plan.workload.handle_time_of(stream, language)
        patience = self.plan.workload.patience_of(stream, language)
        return (
            self._sampler(work, "handle_time", stream, language),
            None if patience is None else self._sampler(patience, "patience", stream, language),
        )

    def _escalation_draws(self, stream: ArrivalStream) -> EscalationDraws | None:
        """The samplers of ``stream``'s escalations, each from its own random stream.

        Every chat of the stream that is handed off draws all three (whether it is
        escalated or not), so the draws do not depend on what happens to the chat.
        """
        escalation = stream.escalation
        if escalation is None:
            return None
        ai = stream.ai_agent
        work = escalation.handle_time
        if work is None:
            work = self.plan.workload.handle_time_of(stream)
        return (
            escalation.probability,
            self._rng(f"escalation:{ai}").random,
            escalation.after.sampler(self._rng(f"escalation_after:{ai}")),
            work.sampler(self._rng(f"escalation_work:{ai}")),
            escalation.teams,
        )

    def _rng(self, purpose: str) -> random.Random:
        return random_stream(self.plan.seed, self.replication, purpose)

    def _sampler(
        self, distribution: Distribution, purpose: str, stream: ArrivalStream, language: str | None
    ) -> Sampler:
        own = stream.language_parameters(language)
        if own is not None and getattr(own, purpose) is not None:
            name = f"{purpose}:{stream.ai_agent}:{language}"
        elif getattr(stream, purpose) is not None:
            name = f"{purpose}:{stream.ai_agent}"
        else:
            name = purpose
        sampler = self.samplers.get(name)
        if sampler is None:
            rng = random_stream(self.plan.seed, self.replication, name)
            sampler = self.samplers[name] = distribution.sampler(rng)
        return sampler

    def _build_books(self, ws: Workspace) -> tuple[dict[str, AgentBooks], list[Saturation]]:
        """Agents of any pool, their smallest cap, and each teamspace's members."""
        members: dict[str, set[str]] = {tid: set() for tid in ws.teamspaces}
        direct: set[str] = set()
        for ai in ws.ai_agents.values():
            for language in (None, *ai.languages):
                pool = self.engine.pool_members(ai.id, language)
                if ai.handoff.target_for(language).is_direct:
                    direct |= pool
                else:
                    members[ai.teamspace] |= pool
        for stream in self.workload.arrivals:  # escalations reach their teams' agents too
            owner = ws.ai_agents.get(stream.ai_agent)
            if stream.escalation is not None and owner is not None:
                target = Target(teams=stream.escalation.teams)
                members[owner.teamspace] |= ws.pool_members(owner.teamspace, target)
        saturations = {tid: Saturation(tid, self.engine.cap(tid)) for tid in ws.teamspaces}
        agents: dict[str, AgentBooks] = {}
        for uid in sorted(direct.union(*members.values())):
            spaces = [saturations[tid] for tid in ws.teamspaces if uid in members[tid]]
            cap = min((s.cap for s in spaces), default=math.inf)
            agent = AgentBooks(uid, ws.users[uid].speed, cap, self.slowdown)
            agent.saturations = spaces
            agent.voluntary = any(
                ws.teamspaces[s.id].assignment.method is Method.VOLUNTARY for s in spaces
            )
            agents[uid] = agent
        return agents, list(saturations.values())

    def _build_team_books(
        self, ws: Workspace
    ) -> tuple[list[Saturation], dict[str, tuple[str, ...]]]:
        """Each team's saturation books, shared by its members among the simulated agents.

        A team whose agents are exactly a teamspace's, each with that teamspace's cap
        as their own, is saturated exactly when the teamspace is: it reads the
        teamspace's books (one desk of one team keeps one set of books, not two).
        """
        agents = self.agents
        spaces = {
            id(saturation): frozenset(
                uid for uid, a in agents.items() if saturation in a.saturations
            )
            for saturation in self.saturations
        }
        books: list[Saturation] = []
        members: dict[str, tuple[str, ...]] = {}
        for team_id in ws.teams:
            # dict_keys & frozenset is a set (frozenset & dict_keys too, whatever mypy says).
            members[team_id] = tuple(sorted(agents.keys() & ws.team_members(team_id)))
            mine = frozenset(members[team_id])
            same = [
                saturation
                for saturation in self.saturations
                if mine
                and spaces[id(saturation)] == mine
                and all(agents[uid].cap == saturation.cap for uid in mine)
            ]
            if same:
                books.append(same[0])
                continue
            team = Saturation(team_id, 0)
            for uid in members[team_id]:
                agents[uid].teams.append(team)
            books.append(team)
        return books, members

    def _schedule(self, delay: float, callback: Callable[[Alarm[T]], None], value: T) -> None:
        """Call ``callback`` with an alarm holding ``value`` after ``delay`` seconds."""
        self._schedule_at(self.calendar.now() + delay, callback, value)

    def _schedule_at(self, at: float, callback: Callable[[Alarm[T]], None], value: T) -> None:
        """Call ``callback`` with an alarm holding ``value`` at time ``at``."""
        self.calendar.push(at, Alarm([callback], value))

    def _schedule_shifts(self) -> None:
        shifts = self.workload.shifts
        for uid in sorted(self.engine.workspace.users):
            if uid not in shifts:
                self._schedule(0.0, self._on_status, (uid, True))
                continue
            for interval in shifts[uid]:
                for at, online in ((interval.start, True), (interval.end, False)):
                    if math.isfinite(at):
                        self._schedule(max(0.0, float(at)), self._on_status, (uid, online))

    # --------------------------------------------------------------- running

    def run(self) -> ReplicationFacts:
        env = self.env
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
        env.run(until=self.horizon)
        if self.workload.run_to_completion:
            self.after_horizon = True
            self.finished = not self.customers
            while not self.finished and env.peek() < math.inf:
                env.step()
        end = max(env.now, self.horizon)
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

    def _recorded_customer(
        self, arrivals: Arrivals, handoff: RecordedHandoff
    ) -> tuple[str | None, ChatBooks, float, float]:
        """A recorded chat's language, books, work and patience (drawn where not recorded)."""
        books, (draw_work, draw_patience) = self._replay_books(arrivals, handoff.language)
        work = draw_work() if handoff.work is None else handoff.work
        patience = handoff.patience
        if patience is None:
            patience = math.inf if draw_patience is None else _above(draw_patience, handoff.waited)
        return handoff.language, books, work, patience

    def _replay_books(self, arrivals: Arrivals, language: str | None) -> tuple[ChatBooks, Draws]:
        """The books and draws of a recorded chat of ``arrivals`` in ``language``.

        A language of the stream's mix keeps its own books; a stream without a mix
        books every chat in its one entry; a language outside the mix gets books of
        its own beside the mix's.
        """
        key = (arrivals.ai_agent, language)
        found = self.replay_books.get(key)
        if found is None:
            if language in arrivals.languages:
                books = arrivals.books[arrivals.languages.index(language)]
            elif not arrivals.languages:
                books = arrivals.books[0]
            else:
                books = ChatBooks(arrivals.ai_agent, language)
                arrivals.books.append(books)
            found = self.replay_books[key] = (books, self._draws(arrivals.stream, language))
        return found

    def _handoff(
        self, arrivals: Arrivals, now: float, recorded: RecordedHandoff | None = None
    ) -> None:
        """The AI agent hands a chat off: draw its customer (replay: read it), ask the engine."""
        chat_id = self.next_id
        self.next_id += 1
        if recorded is not None:
            language, books, work, patience = self._recorded_customer(arrivals, recorded)
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
        voluntary = arrivals.voluntary
        if escalate_to is None:
            customer = Customer(chat_id, work, now, counted, voluntary, books)
        else:
            customer = EscalatingCustomer(
                chat_id,
                work,
                now,
                counted,
                voluntary,
                books,
                escalate_to=escalate_to,
                then_work=then_work,
            )
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
        if voluntary:
            agents = self.agents
            for uid in self.engine.claimable_by(chat_id):
                self._arm_claim(agents[uid], now)

    def _queue_change(self, now: float, delta: int) -> None:
        self.queue_area += self.queue * (now - self.queue_last)
        self.queue_last = now
        self.queue += delta
        if self.queue > self.queue_max:
            self.queue_max = self.queue

    def _assigned(self, customer: Customer, agent: AgentBooks, now: float) -> None:
        """A chat got ``agent`` as its assignee: record the wait, start the service."""
        if customer.state is PENDING and customer.counted:
            wait = now - customer.queued_at
            if wait > 0.0 or self.keep_chats:
                self._record_wait(customer, wait)
            else:  # most chats do not wait: one count now instead of four
                customer.books.unrecorded += 1
        customer.state = OPEN
        customer.agent = agent
        if customer.counted:
            agent.assigned += 1
        # One chat more: the time at the old load ends (agent.account(now), inlined).
        load = agent.load
        agent.times[load] += now - agent.last
        agent.last = now
        load = agent.load = load + 1
        if load > agent.max_open:
            agent.max_open = load
            if load == len(agent.times):
                agent.grow()
        if load >= agent.cap and agent.online:
            for saturation in agent.saturations:
                if load == saturation.cap:  # the agent reached this teamspace's cap
                    saturation.flush(now)
                    saturation.below -= 1
            if load == agent.cap:  # and their own cap, for their teams
                for team in agent.teams:
                    team.flush(now)
                    team.below -= 1
        if self.shared:
            self._ps_advance(agent, now)
            target = agent.progress + customer.work
            heappush(agent.targets, (target, next(self.ps_order), customer))
            self._ps_reschedule(agent)
        else:
            finish = customer.finish = now + customer.work * self.flat_factor / agent.speed
            entry: Customer | Alarm[Customer]
            if customer.callbacks is None:
                customer.callbacks = self.finish_callbacks
                entry = customer
            else:  # a requeued chat's old entry is still on the calendar
                entry = Alarm([self._on_finish_alarm], customer)
            self.calendar.push(finish, entry)

    def _record_wait(self, customer: Customer, wait: float) -> None:
        books = customer.books
        books.recorded += 1
        self.waits.add(wait)
        books.waits.add(wait)
        if wait > 0.0:
            books.waited += 1
        if wait <= self.threshold:
            books.within += 1
        if self.keep_chats:
            self.records.append(ChatRecord(customer.id, customer.queued_at, wait, "assigned"))

    def _placed(self, placements: Sequence[Assignment], now: float) -> None:
        """Chats a queue drain placed as a side effect of another operation."""
        customers = self.customers
        agents = self.agents
        for placement in placements:
            self._queue_change(now, -1)
            self._assigned(customers[placement.chat], agents[placement.agent], now)

    def _load_down(self, agent: AgentBooks, now: float) -> None:
        """One chat fewer for the agent (``_assigned`` counts one more)."""
        load = agent.load
        agent.times[load] += now - agent.last  # agent.account(now), inlined
        agent.last = now
        agent.load = load - 1
        if load >= agent.cap and agent.online:
            for saturation in agent.saturations:
                if load == saturation.cap:  # the agent left this teamspace's cap
                    saturation.flush(now)
                    saturation.below += 1
            if load == agent.cap:
                for team in agent.teams:
                    team.flush(now)
                    team.below += 1

    def _on_finish(self, customer: Customer) -> None:
        """The service ends if it is due now: the assignee closes the chat.

        A requeued chat's old entry no longer matches its finish time: it is ignored.
        """
        now = self.calendar.now()
        agent = customer.agent
        if now != customer.finish or customer.state is not OPEN or agent is None:
            return
        if customer.escalate_to is not None:
            self._escalate(cast(EscalatingCustomer, customer), agent, now)
            return
        customer.state = ENDED
        del self.customers[customer.id]
        self._load_down(agent, now)
        placements = self.engine.close(customer.id, now)
        if placements:
            self._placed(placements, now)
        if agent.voluntary:
            self._arm_claim(agent, now)
        if self.after_horizon and not self.customers:
            self.finished = True

    def _escalate(self, customer: EscalatingCustomer, agent: AgentBooks, now: float) -> None:
        """The first agent's part is done: the chat goes to the receiving teams' queue.

        It stays open (it was assigned once, so it never abandons and is counted once);
        its new work waits for whoever the engine places it with.
        """
        teams = customer.escalate_to
        assert teams is not None
        customer.escalate_to = None
        customer.work = customer.then_work
        customer.agent = None
        if customer.counted:
            customer.books.transferred += 1
        self._load_down(agent, now)
        self._queue_change(now, 1)
        placements = self.engine.transfer_to_teams(customer.id, teams, now)
        if placements:
            self._placed(placements, now)
        if customer.voluntary and customer.agent is None:
            agents = self.agents
            for uid in self.engine.claimable_by(customer.id):
                self._arm_claim(agents[uid], now)
        if agent.voluntary:
            self._arm_claim(agent, now)

    def _on_finish_alarm(self, event: Alarm[Customer]) -> None:
        self._on_finish(event._value)

    # ------------------------------------------------------ processor sharing

    def _ps_advance(self, agent: AgentBooks, now: float) -> None:
        if agent.targets:
            agent.progress += agent.ps_rate * (now - agent.ps_last)
        agent.ps_last = now

    def _ps_reschedule(self, agent: AgentBooks) -> None:
        """Schedule the agent's next completion at the rate its new load allows."""
        targets = agent.targets
        if not targets:
            agent.ps_alarm = None
            return
        rates = agent.ps_rates
        count = len(targets)
        rate = agent.ps_rate = rates[count - 1] if count <= len(rates) else rates[-1]
        delay = (targets[0][0] - agent.progress) / rate
        now = self.calendar.now()
        alarm = agent.ps_alarm = Alarm(self.ps_callbacks, agent)
        at = now + delay if delay > 0.0 else now
        self.calendar.push(at, alarm)

    def _on_ps_finish(self, event: Alarm[AgentBooks]) -> None:
        agent = event._value
        if event is not agent.ps_alarm:
            return
        now = self.calendar.now()
        # The alarm is current, so the heap has not changed since it was set.
        agent.progress, _, customer = heappop(agent.targets)
        agent.ps_last = now
        customer.finish = now  # due now: _on_finish closes it
        self._on_finish(customer)
        if agent.ps_alarm is event:  # the close placed no chat with this agent
            self._ps_reschedule(agent)

    # ------------------------------------------------- patience, shifts, claims

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

    def _on_status(self, event: Alarm[tuple[str, bool]]) -> None:
        uid, online = event._value
        self._set_status(uid, online=online, now=self.calendar.now())

    def _set_status(self, uid: str, *, online: bool, now: float) -> None:
        agent = self.agents.get(uid)
        if agent is None or self.engine.is_online(uid) == online:
            self.engine.set_status(uid, online=online, now=now)
            return
        agent.set_online(online, now)
        for saturation in agent.saturations:
            saturation.flush(now)
            saturation.online += 1 if online else -1
            if agent.load < saturation.cap:
                saturation.below += 1 if online else -1
        for team in agent.teams:
            team.flush(now)
            team.online += 1 if online else -1
            if agent.load < agent.cap:
                team.below += 1 if online else -1
        if online:
            self._placed(self.engine.set_status(uid, online=True, now=now), now)
            if agent.voluntary:
                self._arm_claim(agent, now)
            return
        agent.claim_token += 1
        agent.claim_armed = False
        returned = self.engine.chats_of(uid) if self.requeue else ()
        placements = self.engine.set_status(uid, online=False, now=now)
        for chat_id in returned:
            self._requeued(self.customers[chat_id], now)
        self._placed(placements, now)

    def _requeued(self, customer: Customer, now: float) -> None:
        """The agent went away and the chat went back to the queue: stop its service."""
        agent = customer.agent
        assert agent is not None
        if self.shared:
            self._ps_advance(agent, now)
            targets = agent.targets
            (target,) = [t for t, _, c in targets if c is customer]
            targets[:] = [entry for entry in targets if entry[2] is not customer]
            heapify(targets)
            customer.work = max(0.0, target - agent.progress)
            self._ps_reschedule(agent)
        else:
            customer.work = (customer.finish - now) * agent.speed / self.flat_factor
            customer.finish = math.nan
        customer.agent = None
        self._load_down(agent, now)
        self._queue_change(now, 1)

    def _arm_claim(self, agent: AgentBooks, now: float) -> None:
        """Start the agent's pickup delay if they could claim a visible chat."""
        if agent.claim_armed or not agent.online or agent.load >= self.self_limit:
            return
        if self.engine.oldest_claimable(agent.id) is None:
            return
        agent.claim_armed = True
        delay = self.draw_pickup()
        self._schedule(delay, self._on_pickup, (agent, agent.claim_token))

    def _on_pickup(self, event: Alarm[tuple[AgentBooks, int]]) -> None:
        agent, token = event._value
        if token != agent.claim_token:
            return
        agent.claim_armed = False
        now = self.calendar.now()
        if agent.load >= self.self_limit:
            return
        chat_id = self.engine.oldest_claimable(agent.id)
        if chat_id is None:
            return
        self.engine.claim(agent.id, chat_id, now)
        self._queue_change(now, -1)
        self._assigned(self.customers[chat_id], agent, now)
        self._arm_claim(agent, now)

    # ---------------------------------------------------------------- results

    def _facts(self, end: float) -> ReplicationFacts:
        for customer in self.customers.values():
            if customer.state is not PENDING or not customer.counted:
                continue
            outcome = "unattended" if customer.voluntary else "waiting_at_end"
            books = customer.books
            if customer.voluntary:
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
