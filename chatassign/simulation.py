"""Drive the assignment engine on a SimPy clock and record what happens.

The only module that imports SimPy, used as an event calendar: every future event is
a ``Timeout`` with one callback (no process, no ``Resource`` per chat). The engine
decides every assignment; this module only turns clock events into engine calls
(handoff, close, status change, claim, abandon) and keeps the books. The model and
every choice the spec left open are in ``docs/simulation.md``.

Random streams: replication ``r`` of seed ``s`` draws each purpose from its own
``random.Random`` seeded by SHA-256 of ``"s:r:purpose"``, and every customer's work
and patience are drawn at its handoff, in handoff order, whatever the method did
before. Two methods run on the same seed therefore see the same customers (common
random numbers), and a run is a pure function of (scenario, seed, replication).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import os
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from heapq import heappush
from multiprocessing import get_all_start_methods, get_context
from operator import itemgetter
from typing import Generic, TypeVar, cast

import simpy

from chatassign.engine import Assignment, Engine, EngineEvent, Outcome
from chatassign.errors import UsageError
from chatassign.estimate import erlang_estimate
from chatassign.facts import AgentFacts, ChatCounts, ChatRecord, ReplicationFacts, WaitSketch
from chatassign.metrics import MethodResult, SimulationReport, summarize
from chatassign.model import Chat, ChatId, Method, OnAway, Workspace, required_plan
from chatassign.workload import ArrivalStream, Distribution, Scenario, Workload

Progress = Callable[[float], None]
"""Told the share of the whole run done so far (0 to 1)."""

TraceSink = Callable[[int, EngineEvent], None]
"""Receives every engine event with its replication number."""

_PROGRESS_TICKS = 100
_PENDING, _OPEN, _ENDED = 0, 1, 2


def random_stream(seed: int, replication: int, purpose: str) -> random.Random:
    """The random source of one purpose in one replication (no salted ``hash()``)."""
    digest = hashlib.sha256(f"{seed}:{replication}:{purpose}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


_T = TypeVar("_T")


class _Alarm(Generic[_T]):
    """A bare entry of SimPy's calendar: what ``Environment.step`` reads of an event.

    ``simpy.Timeout`` validates its delay and goes through ``Environment.schedule``;
    the simulator's own alarms are pushed straight onto the same heap with SimPy's
    ``NORMAL`` priority and event counter, so ordering is exactly SimPy's and the hot
    path saves a third of its scheduling cost.
    """

    __slots__ = ("_ok", "_value", "callbacks")

    def __init__(self, callback: Callable[[_Alarm[_T]], None], value: _T) -> None:
        self.callbacks = [callback]
        self._ok = True
        self._value = value


_NORMAL = 1
"""SimPy's priority of ordinary events (``simpy.events.NORMAL``)."""


def _sampler(dist: Distribution, rng: random.Random) -> Callable[[], float]:
    """A no-argument draw from ``dist``: its own fast ``sampler`` when it has one.

    A fast sampler draws exactly what ``sample`` would (the quantities module
    promises it), so the choice never changes results.
    """
    fast = getattr(dist, "sampler", None)
    if callable(fast):
        draw: Callable[[], float] = fast(rng)
        return draw
    return functools.partial(dist.sample, rng)


class _Zero:
    """The constant 0 s distribution: instant pickup when a scenario gives no behaviour."""

    mean = 0.0

    def sample(self, rng: random.Random) -> float:
        return 0.0

    def describe(self) -> str:
        return "constant(0)"


@dataclass(frozen=True)
class SimulationPlan:
    """A scenario with every command-line override applied, ready to run."""

    scenario: Scenario
    workload: Workload
    method: Method | None
    """Overrides every teamspace's method when set (the plan is then not enforced)."""
    seed: int
    replications: int
    keep_chats: bool = False
    """Keep a ``ChatRecord`` per chat (memory grows with chats; for tests)."""
    queue_sample_interval: float = 0.0
    """Record the pending-queue length every this many seconds (0: off; for report charts)."""

    @cached_property
    def workspace(self) -> Workspace:
        """The workspace the engine runs: the scenario's, with the method override."""
        ws = self.scenario.workspace
        if self.method is None:
            return ws
        spaces = {
            tid: dataclasses.replace(
                ts, assignment=dataclasses.replace(ts.assignment, method=self.method)
            )
            for tid, ts in ws.teamspaces.items()
        }
        return Workspace.build(
            plan=ws.plan,
            roles=list(ws.roles.values()),
            users=list(ws.users.values()),
            teams=list(ws.teams.values()),
            teamspaces=list(spaces.values()),
            ai_agents=list(ws.ai_agents.values()),
            options=ws.options,
        )

    @property
    def methods(self) -> tuple[Method, ...]:
        """The methods in use, in teamspace order, without repeats."""
        found: list[Method] = []
        for ts in self.workspace.teamspaces.values():
            if ts.assignment.method not in found:
                found.append(ts.assignment.method)
        return tuple(found)

    @property
    def method_label(self) -> str:
        """The method's name, or the names joined by ``+`` when teamspaces differ."""
        return "+".join(m.value for m in self.methods) or Method.BALANCED.value

    @property
    def required_plan_label(self) -> str:
        """The lowest plan that includes every method in use."""
        plans = [required_plan(m) for m in self.methods]
        return max(plans).label if plans else "free"

    @property
    def allowed_by_plan(self) -> bool:
        """Whether the workspace's plan includes every method in use."""
        return all(self.scenario.workspace.plan >= required_plan(m) for m in self.methods)


def plan_simulation(
    scenario: Scenario,
    *,
    method: Method | None = None,
    seed: int | None = None,
    replications: int | None = None,
    horizon: float | None = None,
    run_to_completion: bool | None = None,
    keep_chats: bool = False,
    queue_sample_interval: float = 0.0,
) -> SimulationPlan:
    """Apply overrides to ``scenario``; UsageError if it cannot be simulated as asked."""
    workload = scenario.workload
    if workload is None:
        raise UsageError(f"scenario {scenario.name!r} has no workload; add one to simulate it")
    if horizon is not None:
        workload = dataclasses.replace(workload, horizon=horizon)
    if run_to_completion is not None:
        workload = dataclasses.replace(workload, run_to_completion=run_to_completion)
    if not (math.isfinite(workload.horizon) and workload.horizon > 0):
        raise UsageError(f"the horizon must be a positive duration, not {workload.horizon:g} s")
    if not 0 <= workload.warmup < workload.horizon:
        raise UsageError(
            f"the warm-up ({workload.warmup:g} s) must be shorter than the horizon "
            f"({workload.horizon:g} s)"
        )
    count = workload.replications if replications is None else replications
    if count < 1:
        raise UsageError(f"replications must be at least 1, not {count}")
    return SimulationPlan(
        scenario=scenario,
        workload=workload,
        method=method,
        seed=workload.seed if seed is None else seed,
        replications=count,
        keep_chats=keep_chats,
        queue_sample_interval=queue_sample_interval,
    )


def simulate(
    plan: SimulationPlan,
    *,
    workers: int | None = None,
    trace: TraceSink | None = None,
    progress: Progress | None = None,
) -> tuple[ReplicationFacts, ...]:
    """Run every replication of ``plan``; the facts come back in replication order.

    Replications run in ``workers`` processes (default: every core) when there are
    several, no trace is asked for and the platform can fork; the result is the same
    as a serial run because each replication owns its random streams.
    """
    count = plan.replications
    jobs = min(count, workers if workers is not None else (os.cpu_count() or 1))
    if jobs > 1 and trace is None and "fork" in get_all_start_methods():
        return _simulate_parallel(plan, jobs, progress)
    results: list[ReplicationFacts] = []
    for r in range(count):

        def tick(share: float, done: int = r) -> None:
            if progress is not None:
                progress((done + share) / count)

        observer = None if trace is None else _bind(trace, r)
        results.append(run_replication(plan, r, observer=observer, progress=tick))
    return tuple(results)


def method_result(plan: SimulationPlan, facts: Sequence[ReplicationFacts]) -> MethodResult:
    """The summary of ``facts`` (run from ``plan``) with the Erlang estimate beside it."""
    summary = summarize(
        facts,
        method=plan.method_label,
        allowed_by_plan=plan.allowed_by_plan,
        required_plan=plan.required_plan_label,
        threshold=plan.workload.service_level_threshold,
    )
    estimate = erlang_estimate(plan.scenario.workspace, plan.workload, plan.method)
    return MethodResult(summary, estimate)


def simulation_report(plan: SimulationPlan, results: Sequence[MethodResult]) -> SimulationReport:
    """The report of ``results``, all run with ``plan``'s seed, horizon and replications."""
    return SimulationReport(
        scenario=plan.scenario.name,
        seed=plan.seed,
        replications=plan.replications,
        horizon=plan.workload.horizon,
        warmup=plan.workload.warmup,
        results=tuple(results),
    )


def run_replication(
    plan: SimulationPlan,
    replication: int,
    *,
    observer: Callable[[EngineEvent], None] | None = None,
    progress: Progress | None = None,
) -> ReplicationFacts:
    """Simulate one replication and return its facts."""
    return _Run(plan, replication, observer=observer, progress=progress).run()


def _bind(trace: TraceSink, replication: int) -> Callable[[EngineEvent], None]:
    def observe(event: EngineEvent) -> None:
        trace(replication, event)

    return observe


_WORKER_PLAN: list[SimulationPlan] = []


def _set_worker_plan(plan: SimulationPlan) -> None:
    _WORKER_PLAN[:] = [plan]


def _run_in_worker(replication: int) -> ReplicationFacts:
    return run_replication(_WORKER_PLAN[0], replication)


def _simulate_parallel(
    plan: SimulationPlan, jobs: int, progress: Progress | None
) -> tuple[ReplicationFacts, ...]:
    # Forked workers inherit the plan (workspaces hold mapping proxies, which do not
    # pickle); only replication numbers and facts cross the process boundary.
    context = get_context("fork")
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_set_worker_plan, initargs=(plan,)
    ) as pool:
        results: list[ReplicationFacts] = []
        for facts in pool.map(_run_in_worker, range(plan.replications)):
            results.append(facts)
            if progress is not None:
                progress(len(results) / plan.replications)
    return tuple(results)


class _Customer:
    """One handed-off chat while it is pending or open."""

    __slots__ = (
        "agent",
        "counted",
        "finish",
        "id",
        "queued_at",
        "state",
        "voluntary",
        "work",
    )

    def __init__(
        self, chat_id: int, work: float, queued_at: float, counted: bool, voluntary: bool
    ) -> None:
        self.id = chat_id
        self.voluntary = voluntary
        """Whether it waits in a voluntary teamspace (unclaimed at the end: unattended)."""
        self.work = work
        """Work still to do, in seconds at speed 1 and concurrency 1."""
        self.queued_at = queued_at
        self.counted = counted
        self.state = _PENDING
        self.agent: _Agent | None = None
        self.finish = 0.0
        """When the service ends (constant-rate service); a requeue moves it."""


class _Saturation:
    """One teamspace's cap saturation: time with every online member at the cap."""

    __slots__ = ("below", "cap", "id", "last", "online", "time")

    def __init__(self, teamspace: str, cap: int) -> None:
        self.id = teamspace
        self.cap = cap
        self.online = 0
        self.below = 0
        """Online members holding fewer chats than the cap."""
        self.last = 0.0
        self.time = 0.0

    def flush(self, now: float) -> None:
        if self.online and not self.below:
            self.time += now - self.last
        self.last = now


class _Agent:
    """The simulator's books on one agent: load areas, service and claiming state."""

    __slots__ = (
        "assigned",
        "at_cap_time",
        "busy_time",
        "cap",
        "claim_armed",
        "claim_token",
        "id",
        "last",
        "load",
        "max_open",
        "online",
        "online_time",
        "open_area",
        "progress",
        "ps_last",
        "ps_rate",
        "ps_version",
        "saturations",
        "speed",
        "targets",
        "voluntary",
    )

    def __init__(self, agent_id: str, speed: float, cap: float) -> None:
        self.id = agent_id
        self.speed = speed
        self.cap = cap
        self.load = 0
        self.online = False
        self.last = 0.0
        self.open_area = 0.0
        self.online_time = 0.0
        self.busy_time = 0.0
        self.at_cap_time = 0.0
        self.max_open = 0
        self.assigned = 0
        self.saturations: list[_Saturation] = []
        self.voluntary = False
        self.claim_armed = False
        self.claim_token = 0
        # Processor sharing: every open chat of the agent progresses at ps_rate, so
        # one counter of work done per chat (progress) serves them all.
        self.progress = 0.0
        self.ps_last = 0.0
        self.ps_rate = speed
        self.ps_version = 0
        self.targets: dict[_Customer, float] = {}

    def account(self, now: float) -> None:
        """Add the time since the last change to the areas."""
        dt = now - self.last
        if dt > 0.0:
            load = self.load
            self.open_area += load * dt
            if self.online:
                self.online_time += dt
                if load:
                    self.busy_time += dt
                    if load >= self.cap:
                        self.at_cap_time += dt
        self.last = now

    def facts(self) -> AgentFacts:
        return AgentFacts(
            id=self.id,
            assigned=self.assigned,
            open_area=self.open_area,
            max_open=self.max_open,
            online_time=self.online_time,
            busy_time=self.busy_time,
            at_cap_time=self.at_cap_time,
        )


class _Arrivals:
    """One AI agent's arrival stream and the draws that follow each arrival."""

    __slots__ = (
        "ai_agent",
        "ai_time",
        "ai_zero",
        "constant_rate",
        "cumulative",
        "languages",
        "probability",
        "random",
        "rng",
        "stream",
        "voluntary",
    )

    def __init__(
        self,
        stream: ArrivalStream,
        rng: random.Random,
        ai_rng: random.Random,
        *,
        voluntary: bool,
    ) -> None:
        self.stream = stream
        self.ai_agent = stream.ai_agent
        self.voluntary = voluntary
        """Whether its chats wait in a voluntary teamspace."""
        self.rng = rng
        self.random = rng.random
        self.probability = stream.handoff_probability
        self.ai_time = _sampler(stream.ai_time, ai_rng)
        self.ai_zero = stream.ai_time.mean <= 0.0
        schedule = stream.schedule
        single = len(schedule) == 1 and schedule[0].until == math.inf and schedule[0].rate > 0
        self.constant_rate = schedule[0].rate if single else 0.0
        total = 0.0
        cumulative: list[float] = []
        for _, share in stream.languages:
            total += share
            cumulative.append(total)
        self.cumulative = [c / total for c in cumulative] if total > 0 else []
        self.languages = [lang for lang, _ in stream.languages]

    def gap(self, now: float) -> float:
        """Time to the next arrival after ``now`` (inf: none), piecewise-exponential.

        Exact for a piecewise-constant rate: by memorylessness a gap that crosses a
        segment's end is redrawn from that end at the next segment's rate.
        """
        if self.constant_rate:  # rng.expovariate(rate), inlined: the same draw
            return -math.log(1.0 - self.random()) / self.constant_rate
        t = now
        for segment in self.stream.schedule:
            if t >= segment.until:
                continue
            if segment.rate > 0.0:
                arrival = t + self.rng.expovariate(segment.rate)
                if arrival < segment.until:
                    return arrival - now
            t = segment.until
        return math.inf


class _Run:
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
        self.env = simpy.Environment()
        self.calendar = cast(list[tuple[float, int, int, object]], self.env._queue)
        self.event_ids = self.env._eid
        self.handoff_rng = rng("handoff")
        self.language_rng = rng("languages")
        ai_rng = rng("ai_time")
        voluntary_ai = {
            ai.id
            for ai in workspace.ai_agents.values()
            if workspace.teamspaces[ai.teamspace].assignment.method is Method.VOLUNTARY
        }
        self.arrivals = [
            _Arrivals(
                s, rng(f"arrivals:{s.ai_agent}"), ai_rng, voluntary=s.ai_agent in voluntary_ai
            )
            for s in workload.arrivals
        ]
        self.draw_work = _sampler(workload.handle_time, rng("handle_time"))
        patience = workload.patience
        self.draw_patience = _sampler(patience, rng("patience")) if patience else None
        slowdown = workload.concurrency_slowdown or (1.0,)
        self.slowdown = slowdown
        self.shared = any(s != slowdown[0] for s in slowdown)
        """Processor sharing matters only when the slowdown changes with the load."""
        self.flat_factor = slowdown[0]
        behaviour = workload.voluntary
        pickup: Distribution = behaviour.pickup_delay if behaviour else _Zero()
        self.draw_pickup = _sampler(pickup, rng("pickup"))
        self.self_limit = behaviour.self_limit if behaviour else 3
        self.requeue = workspace.options.on_away is OnAway.REQUEUE

        self.customers: dict[ChatId, _Customer] = {}
        self.next_id = 1
        self.waits = WaitSketch()
        self.arrived = self.handed_off = self.unavailable = self.assigned = self.abandoned = 0
        self.waited = 0
        self.within = 0
        self.with_ai = 0
        self.queue = 0
        self.queue_last = 0.0
        self.queue_area = 0.0
        self.queue_max = 0
        self.records: list[ChatRecord] = []
        self.queue_samples: list[int] = []
        self.after_horizon = False
        self.finished = False

        self.agents, self.saturations = self._build_books(workspace)

    # ----------------------------------------------------------------- set-up

    def _build_books(self, ws: Workspace) -> tuple[dict[str, _Agent], list[_Saturation]]:
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
        saturations = {tid: _Saturation(tid, self.engine.cap(tid)) for tid in ws.teamspaces}
        agents: dict[str, _Agent] = {}
        for uid in sorted(direct.union(*members.values())):
            spaces = [saturations[tid] for tid in ws.teamspaces if uid in members[tid]]
            cap = min((s.cap for s in spaces), default=math.inf)
            agent = _Agent(uid, ws.users[uid].speed, cap)
            agent.saturations = spaces
            agent.voluntary = any(
                ws.teamspaces[s.id].assignment.method is Method.VOLUNTARY for s in spaces
            )
            agents[uid] = agent
        return agents, list(saturations.values())

    def _schedule(self, delay: float, callback: Callable[[_Alarm[_T]], None], value: _T) -> None:
        """Call ``callback`` with an alarm holding ``value`` after ``delay`` seconds."""
        alarm = _Alarm(callback, value)
        heappush(self.calendar, (self.env._now + delay, _NORMAL, next(self.event_ids), alarm))

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
        for arrivals in self.arrivals:
            gap = arrivals.gap(0.0)
            if gap < self.horizon:
                self._schedule(gap, self._on_arrival, arrivals)
        if self.warmup > 0:
            self._schedule(self.warmup, self._on_warmup, None)
        if self.progress is not None:
            step = self.horizon / _PROGRESS_TICKS
            for i in range(1, _PROGRESS_TICKS):
                self._schedule(i * step, self._on_tick, i / _PROGRESS_TICKS)
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

    def _on_tick(self, event: _Alarm[float]) -> None:
        assert self.progress is not None
        self.progress(event._value)

    def _schedule_queue_samples(self) -> None:
        """Read the queue length at the middle of each sampling interval (reports only).

        A sample changes no state, so results are the same with or without samples.
        """
        interval = self.plan.queue_sample_interval
        if interval <= 0:
            return
        for k in range(math.ceil(self.horizon / interval)):
            at = (k + 0.5) * interval
            if at < self.horizon:
                self._schedule(at, self._on_queue_sample, None)

    def _on_queue_sample(self, event: _Alarm[None]) -> None:
        self.queue_samples.append(self.queue)

    def _on_warmup(self, event: _Alarm[None]) -> None:
        """Start the window: zero every area and maximum measured so far."""
        now = self.warmup
        self._queue_change(now, 0)
        self.queue_area = 0.0
        self.queue_max = self.queue
        for agent in self.agents.values():
            agent.account(now)
            agent.open_area = agent.online_time = agent.busy_time = agent.at_cap_time = 0.0
            agent.max_open = agent.load
        for saturation in self.saturations:
            saturation.flush(now)
            saturation.time = 0.0

    def _on_arrival(self, event: _Alarm[_Arrivals]) -> None:
        arrivals: _Arrivals = event._value
        now = self.env._now
        at = now + arrivals.gap(now)
        if at < self.horizon:
            # A stream has one arrival pending at a time, so its alarm is reused: SimPy
            # has already taken this firing's callbacks.
            event.callbacks = [self._on_arrival]
            heappush(self.calendar, (at, _NORMAL, next(self.event_ids), event))
        counted = now >= self.warmup
        if counted:
            self.arrived += 1
        if arrivals.probability < 1.0 and self.handoff_rng.random() >= arrivals.probability:
            return
        if arrivals.ai_zero:
            self._handoff(arrivals, now)
            return
        delay = arrivals.ai_time()
        if now + delay >= self.horizon:
            if counted:
                self.with_ai += 1
            return
        self._schedule(delay, self._on_ai_done, arrivals)

    def _on_ai_done(self, event: _Alarm[_Arrivals]) -> None:
        self._handoff(event._value, self.env._now)

    def _handoff(self, arrivals: _Arrivals, now: float) -> None:
        """The AI agent hands a chat off; draw its customer, then ask the engine."""
        chat_id = self.next_id
        self.next_id += 1
        work = self.draw_work()
        patience = self.draw_patience() if self.draw_patience else math.inf
        language = None
        if arrivals.cumulative:
            u = self.language_rng.random()
            language = arrivals.languages[-1]
            for lang, bound in zip(arrivals.languages, arrivals.cumulative, strict=True):
                if u < bound:
                    language = lang
                    break
        ai_agent = arrivals.ai_agent
        result = self.engine.handoff(Chat(chat_id, ai_agent, language), now)
        counted = now >= self.warmup
        outcome = result.outcome
        if outcome is Outcome.UNAVAILABLE:
            if counted:
                self.unavailable += 1
            return
        voluntary = arrivals.voluntary
        customer = _Customer(chat_id, work, now, counted, voluntary)
        self.customers[chat_id] = customer
        if counted:
            self.handed_off += 1
        if outcome is Outcome.ASSIGNED:
            assert result.agent is not None
            self._assigned(customer, self.agents[result.agent], now)
            return
        self._queue_change(now, 1)
        if patience < math.inf:
            self._schedule(patience, self._on_patience, customer)
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

    def _assigned(self, customer: _Customer, agent: _Agent, now: float) -> None:
        """A chat got ``agent`` as its assignee: record the wait, start the service."""
        if customer.state is _PENDING and customer.counted:
            wait = now - customer.queued_at
            self.assigned += 1
            if wait > 0.0:
                self.waits.add(wait)
                self.waited += 1
            else:  # self.waits.add(0.0), inlined: most chats do not wait
                self.waits.count += 1
                self.waits.zeros += 1
            if wait <= self.threshold:
                self.within += 1
            if self.keep_chats:
                self.records.append(ChatRecord(customer.id, customer.queued_at, wait, "assigned"))
        customer.state = _OPEN
        customer.agent = agent
        if customer.counted:
            agent.assigned += 1
        self._load_change(agent, now, 1)
        if self.shared:
            self._ps_advance(agent, now)
            agent.targets[customer] = agent.progress + customer.work
            self._ps_reschedule(agent)
        else:
            finish = customer.finish = now + customer.work * self.flat_factor / agent.speed
            alarm = _Alarm(self._on_finish, customer)
            heappush(self.calendar, (finish, _NORMAL, next(self.event_ids), alarm))

    def _placed(self, placements: Sequence[Assignment], now: float) -> None:
        """Chats a queue drain placed as a side effect of another operation."""
        customers = self.customers
        agents = self.agents
        for placement in placements:
            self._queue_change(now, -1)
            self._assigned(customers[placement.chat], agents[placement.agent], now)

    def _load_change(self, agent: _Agent, now: float, delta: int) -> None:
        before = agent.load
        dt = now - agent.last
        if dt > 0.0:  # agent.account(now), inlined: this is the hot path
            agent.open_area += before * dt
            if agent.online:
                agent.online_time += dt
                if before:
                    agent.busy_time += dt
                    if before >= agent.cap:
                        agent.at_cap_time += dt
        agent.last = now
        after = agent.load = before + delta
        if after > agent.max_open:
            agent.max_open = after
        if agent.online:
            for saturation in agent.saturations:
                cap = saturation.cap
                if (before < cap) != (after < cap):
                    saturation.flush(now)
                    saturation.below += 1 if after < cap else -1

    def _on_finish(self, event: _Alarm[_Customer]) -> None:
        customer = event._value
        now = self.env._now
        # A requeued chat's old alarm no longer matches its finish time: it is ignored.
        if now == customer.finish and customer.state is _OPEN and customer.agent is not None:
            self._close(customer, now)

    def _close(self, customer: _Customer, now: float) -> None:
        agent = customer.agent
        assert agent is not None
        customer.state = _ENDED
        del self.customers[customer.id]
        self._load_change(agent, now, -1)
        placements = self.engine.close(customer.id, now)
        if placements:
            self._placed(placements, now)
        if agent.voluntary:
            self._arm_claim(agent, now)
        if self.after_horizon and not self.customers:
            self.finished = True

    # ------------------------------------------------------ processor sharing

    def _ps_advance(self, agent: _Agent, now: float) -> None:
        if agent.targets:
            agent.progress += agent.ps_rate * (now - agent.ps_last)
        agent.ps_last = now

    def _ps_reschedule(self, agent: _Agent) -> None:
        """Schedule the agent's next completion at the rate its new load allows."""
        agent.ps_version += 1
        targets = agent.targets
        if not targets:
            return
        slowdown = self.slowdown
        agent.ps_rate = agent.speed / slowdown[min(len(targets), len(slowdown)) - 1]
        target = min(targets.values())
        delay = max(0.0, (target - agent.progress) / agent.ps_rate)
        self._schedule(delay, self._on_ps_finish, (agent, agent.ps_version))

    def _on_ps_finish(self, event: _Alarm[tuple[_Agent, int]]) -> None:
        agent, version = event._value
        if version != agent.ps_version:
            return
        now = self.env._now
        customer, target = min(agent.targets.items(), key=itemgetter(1))
        agent.progress = target
        agent.ps_last = now
        del agent.targets[customer]
        self._close(customer, now)
        if agent.ps_version == version:
            self._ps_reschedule(agent)

    # ------------------------------------------------- patience, shifts, claims

    def _on_patience(self, event: _Alarm[_Customer]) -> None:
        customer: _Customer = event._value
        if customer.state is not _PENDING:
            return
        now = self.env._now
        customer.state = _ENDED
        del self.customers[customer.id]
        self.engine.abandon(customer.id, now)
        self._queue_change(now, -1)
        if customer.counted:
            self.abandoned += 1
            self.waited += 1
            if self.keep_chats:
                self.records.append(ChatRecord(customer.id, customer.queued_at, None, "abandoned"))
        if self.after_horizon and not self.customers:
            self.finished = True

    def _on_status(self, event: _Alarm[tuple[str, bool]]) -> None:
        uid, online = event._value
        self._set_status(uid, online=online, now=self.env._now)

    def _set_status(self, uid: str, *, online: bool, now: float) -> None:
        agent = self.agents.get(uid)
        if agent is None or self.engine.is_online(uid) == online:
            self.engine.set_status(uid, online=online, now=now)
            return
        agent.account(now)
        for saturation in agent.saturations:
            saturation.flush(now)
            saturation.online += 1 if online else -1
            if agent.load < saturation.cap:
                saturation.below += 1 if online else -1
        agent.online = online
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

    def _requeued(self, customer: _Customer, now: float) -> None:
        """The agent went away and the chat went back to the queue: stop its service."""
        agent = customer.agent
        assert agent is not None
        if self.shared:
            self._ps_advance(agent, now)
            customer.work = max(0.0, agent.targets.pop(customer) - agent.progress)
            self._ps_reschedule(agent)
        else:
            customer.work = (customer.finish - now) * agent.speed / self.flat_factor
            customer.finish = math.nan
        customer.agent = None
        self._load_change(agent, now, -1)
        self._queue_change(now, 1)

    def _arm_claim(self, agent: _Agent, now: float) -> None:
        """Start the agent's pickup delay if they could claim a visible chat."""
        if agent.claim_armed or not agent.online or agent.load >= self.self_limit:
            return
        if self.engine.oldest_claimable(agent.id) is None:
            return
        agent.claim_armed = True
        delay = self.draw_pickup()
        self._schedule(delay, self._on_pickup, (agent, agent.claim_token))

    def _on_pickup(self, event: _Alarm[tuple[_Agent, int]]) -> None:
        agent, token = event._value
        if token != agent.claim_token:
            return
        agent.claim_armed = False
        now = self.env._now
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
        unattended = waiting = 0
        for customer in self.customers.values():
            if customer.state is not _PENDING or not customer.counted:
                continue
            outcome = "unattended" if customer.voluntary else "waiting_at_end"
            if customer.voluntary:
                unattended += 1
            else:
                waiting += 1
            self.waited += 1
            if self.keep_chats:
                self.records.append(ChatRecord(customer.id, customer.queued_at, None, outcome))
        self._queue_change(end, 0)
        for agent in self.agents.values():
            agent.account(end)
        for saturation in self.saturations:
            saturation.flush(end)
        start = self.warmup
        return ReplicationFacts(
            replication=self.replication,
            start=start,
            end=end,
            counts=ChatCounts(
                arrived=self.arrived,
                handed_off=self.handed_off,
                unavailable=self.unavailable,
                assigned=self.assigned,
                abandoned=self.abandoned,
                unattended=unattended,
                waiting_at_end=waiting,
                with_ai_at_end=self.with_ai,
            ),
            waits=self.waits,
            waited=self.waited,
            within_threshold=self.within,
            queue_area=self.queue_area,
            queue_max=self.queue_max,
            agents=tuple(agent.facts() for agent in self.agents.values()),
            saturated_time=tuple((s.id, s.time) for s in self.saturations),
            chats=tuple(sorted(self.records, key=lambda r: r.chat)),
            queue_samples=tuple(self.queue_samples),
        )


__all__ = [
    "Progress",
    "SimulationPlan",
    "TraceSink",
    "method_result",
    "plan_simulation",
    "random_stream",
    "run_replication",
    "simulate",
    "simulation_report",
]
