"""The desk side of a replication: the agents, their load and status, and the service.

``Desk`` holds the state every handler shares (the engine, the calendar, the
customers and the books) and handles what happens once the engine has a chat: a
placement starts a service (constant rate, or processor sharing when the slowdown
changes with the load), a completion closes or escalates the chat, an agent's status
change may requeue their chats, and a voluntary agent's pickup delay ends in a
claim. ``run.ReplicationRun`` adds the traffic (arrivals, AI time, handoffs,
patience, replay) and the facts at the end.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from heapq import heapify, heappop, heappush
from typing import cast

from chatassign.analysis.facts import ChatRecord, WaitSketch
from chatassign.engine import Assignment, Engine, EngineEvent
from chatassign.model import ChatId, OnAway
from chatassign.simulation.books import (
    ENDED,
    OPEN,
    PENDING,
    AgentBooks,
    Customer,
    EscalatingCustomer,
)
from chatassign.simulation.calendar import Alarm, Calendar, T
from chatassign.simulation.plan import SimulationPlan
from chatassign.simulation.setup import Streams, build_agent_books, build_team_books
from chatassign.workload.distributions import Constant, Distribution


class Desk:
    """The engine, the calendar and the books, and the handlers of the agents' side."""

    def __init__(
        self,
        plan: SimulationPlan,
        streams: Streams,
        *,
        observer: Callable[[EngineEvent], None] | None,
    ) -> None:
        workload = plan.workload
        workspace = plan.workspace
        self.workload = workload
        self.threshold = workload.service_level_threshold
        self.keep_chats = plan.keep_chats
        self.engine = Engine(
            workspace,
            rng=streams.rng("method"),
            observer=observer,
            enforce_plan=plan.method is None,
        )
        self.calendar = Calendar()
        slowdown = workload.concurrency_slowdown or (1.0,)
        self.shared = any(s != slowdown[0] for s in slowdown)
        """Processor sharing matters only when the slowdown changes with the load."""
        self.flat_factor = slowdown[0]
        behaviour = workload.voluntary
        pickup: Distribution = behaviour.pickup_delay if behaviour else Constant(0.0)
        self.draw_pickup = pickup.sampler(streams.rng("pickup"))
        self.self_limit = behaviour.self_limit if behaviour else 3
        self.requeue = workspace.options.on_away is OnAway.REQUEUE

        self.customers: dict[ChatId, Customer] = {}
        self.waits = WaitSketch()
        """Every recorded wait of an assigned chat (each chat's books keep their own too)."""
        self.queue = 0
        self.queue_last = 0.0
        self.queue_area = 0.0
        self.queue_max = 0
        self.records: list[ChatRecord] = []
        self.after_horizon = False
        self.finished = False
        # SimPy never mutates a callbacks list it takes from an event, so every alarm
        # of one kind shares one list (saves a list and a bound method per alarm).
        self.finish_callbacks: list[Callable[[Customer], None]] = [self._on_finish]
        self.ps_callbacks: list[Callable[[Alarm[AgentBooks]], None]] = [self._on_ps_finish]
        self.ps_order = itertools.count()
        """Ties between equal targets go to the chat assigned first."""

        self.agents, self.saturations = build_agent_books(
            workspace, self.engine, workload, slowdown
        )
        self.team_books, self.team_agents = build_team_books(
            workspace, self.agents, self.saturations
        )

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
        if customer.books.voluntary and customer.agent is None:
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
