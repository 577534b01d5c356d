"""The simulator: exact traces, conservation, common random numbers, fidelity to Erlang."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import pytest

from chatassign.analysis.analytic import erlang_a, erlang_c
from chatassign.analysis.facts import ReplicationFacts
from chatassign.analysis.intervals import Estimate, estimate
from chatassign.engine import EngineEvent
from chatassign.errors import ScenarioError, UsageError
from chatassign.model import Method, OnAway
from chatassign.simulation import plan_simulation, random_stream, run_replication, simulate
from chatassign.workload.values import Interval, RateSegment, Scenario, VoluntaryBehaviour
from tests.sim_world import Expo, Fixed, scenario, workspace

MINUTE = 60.0


def assert_conserved(facts: ReplicationFacts) -> None:
    """handed_off = assigned + abandoned + unattended + waiting_at_end, and sane counts."""
    c = facts.counts
    assert c.handed_off == c.assigned + c.abandoned + c.unattended + c.waiting_at_end
    assert c.arrived >= c.handed_off + c.unavailable
    assert facts.waits.count == c.assigned
    assert facts.within_threshold <= c.assigned
    assert sum(a.assigned for a in facts.agents) >= c.assigned


def run(
    sc: Scenario,
    *,
    method: Method | None = None,
    observer: Callable[[EngineEvent], None] | None = None,
) -> ReplicationFacts:
    plan = plan_simulation(sc, method=method, keep_chats=True)
    facts = run_replication(plan, 0, observer=observer)
    assert_conserved(facts)
    return facts


def arrival_times(rate: float, horizon: float, *, seed: int = 1, bot: str = "bot0") -> list[float]:
    """The arrival times the simulator draws for ``bot`` (its own stream, exponential gaps)."""
    rng = random_stream(seed, 0, f"arrivals:{bot}")
    times: list[float] = []
    t = rng.expovariate(rate)
    while t < horizon:
        times.append(t)
        t += rng.expovariate(rate)
    return times


def rows(events: list[EngineEvent]) -> list[tuple[float, str, object, object, str]]:
    return [(e.time, e.event, e.chat, e.agent, e.detail) for e in events]


# ------------------------------------------------------------------ exact traces


def test_trace_of_a_small_run_with_shift_requeue_and_patience() -> None:
    ws = workspace(["a", "b"], cap=1, on_away=OnAway.REQUEUE)
    sc = scenario(
        ws,
        rate=1 / 40,
        handle=Fixed(100.0),
        horizon=300.0,
        patience=Fixed(90.0),
        shifts={"a": (Interval(0.0, 150.0),)},
    )
    events: list[EngineEvent] = []
    facts = run(sc, observer=events.append)
    t = arrival_times(1 / 40, 300.0)
    assert len(t) == 7
    assert t[3] < 150.0 < t[4]
    remaining_3 = t[2] + 100.0 - 150.0  # chat 3's work left when a went away
    assert rows(events) == [
        (0.0, "online", None, "a", ""),
        (0.0, "online", None, "b", ""),
        (t[0], "handoff", 1, None, "bot0"),
        (t[0], "assigned", 1, "a", "balanced load=1"),
        (t[1], "handoff", 2, None, "bot0"),
        (t[1], "assigned", 2, "b", "balanced load=1"),
        (t[0] + 100.0, "closed", 1, "a", ""),
        (t[2], "handoff", 3, None, "bot0"),
        (t[2], "assigned", 3, "a", "balanced load=1"),
        (t[3], "handoff", 4, None, "bot0"),
        (t[3], "queued", 4, None, "all at cap"),
        (150.0, "away", None, "a", ""),
        (150.0, "queued", 3, None, "requeued"),
        (t[1] + 100.0, "closed", 2, "b", ""),
        (t[1] + 100.0, "assigned", 3, "b", "balanced load=1"),
        (t[3] + 90.0, "abandoned", 4, None, ""),
        (t[1] + 100.0 + remaining_3, "closed", 3, "b", ""),
        (t[4], "handoff", 5, None, "bot0"),
        (t[4], "assigned", 5, "b", "balanced load=1"),
        (t[5], "handoff", 6, None, "bot0"),
        (t[5], "queued", 6, None, "all at cap"),
        (t[6], "handoff", 7, None, "bot0"),
        (t[6], "queued", 7, None, "all at cap"),
    ]
    c = facts.counts
    assert (c.handed_off, c.assigned, c.abandoned, c.waiting_at_end) == (7, 4, 1, 2)
    waits = {r.chat: r.wait for r in facts.chats}
    assert waits == {1: 0.0, 2: 0.0, 3: 0.0, 4: None, 5: 0.0, 6: None, 7: None}


def test_trace_of_voluntary_claims_after_the_pickup_delay() -> None:
    ws = workspace(["a", "b"], method=Method.VOLUNTARY, cap=1)
    sc = scenario(
        ws,
        rate=1 / 40,
        handle=Fixed(100.0),
        horizon=130.0,
        voluntary=VoluntaryBehaviour(Fixed(5.0), self_limit=1),
    )
    events: list[EngineEvent] = []
    facts = run(sc, observer=events.append)
    t = arrival_times(1 / 40, 130.0)
    assert len(t) == 3
    assert rows(events) == [
        (0.0, "online", None, "a", ""),
        (0.0, "online", None, "b", ""),
        (t[0], "handoff", 1, None, "bot0"),
        (t[0], "queued", 1, None, "voluntary"),
        (t[0] + 5.0, "claimed", 1, "a", "claim"),
        (t[1], "handoff", 2, None, "bot0"),
        (t[1], "queued", 2, None, "voluntary"),
        (t[1] + 5.0, "claimed", 2, "b", "claim"),
        (t[2], "handoff", 3, None, "bot0"),
        (t[2], "queued", 3, None, "voluntary"),
        (t[0] + 105.0, "closed", 1, "a", ""),
        (t[0] + 110.0, "claimed", 3, "a", "claim"),
    ]
    assert facts.counts.unattended == 0
    assert facts.waits.maximum == pytest.approx(t[0] + 110.0 - t[2])
    assert sc.workload is not None
    shorter = dataclasses.replace(sc, workload=dataclasses.replace(sc.workload, horizon=118.0))
    assert run(shorter).counts.unattended == 1


def test_processor_sharing_stretches_and_reschedules_completions() -> None:
    """Two chats at one agent each progress at 1/2: the first ends when its work is done."""
    ws = workspace(["a"], cap=2)
    sc = scenario(
        ws,
        rate=1 / 20,
        handle=Fixed(100.0),
        horizon=60.0,
        slowdown=(1.0, 2.0),
        run_to_completion=True,
    )
    events: list[EngineEvent] = []
    run(sc, observer=events.append)
    t = arrival_times(1 / 20, 60.0)
    closes = [e.time for e in events if e.event == "closed"]
    assert len(t) >= 2
    # Chat 1 alone until t1, then both at rate 1/2 (chat 3+ only if room, cap 2).
    assert t[1] - t[0] < 100.0
    done_1 = t[1] + 2 * (100.0 - (t[1] - t[0]))
    assert closes[0] == pytest.approx(done_1)


# ------------------------------------------------------------- bookkeeping rules


def load_measures_from_trace(
    events: list[EngineEvent], agent: str, start: float, end: float
) -> tuple[float, int, float, float, float]:
    """(open area, max open, online, busy, at cap) of one agent, integrated from the trace."""
    holder: dict[object, str] = {}
    load, online, last = 0, False, start
    area = online_time = busy = at_cap = 0.0
    top = 0
    cap = 2

    def advance(to: float) -> None:
        nonlocal area, online_time, busy, at_cap, last
        dt = min(to, end) - last
        if dt > 0.0:
            area += load * dt
            if online:
                online_time += dt
                busy += dt if load else 0.0
                at_cap += dt if load >= cap else 0.0
        last = max(last, min(to, end))

    for e in events:
        advance(max(e.time, start))
        if e.time >= start:
            top = max(top, load)
        if e.event in ("assigned", "claimed"):
            holder[e.chat] = str(e.agent)
            load += e.agent == agent
        elif e.event == "closed" or (e.event == "queued" and e.detail == "requeued"):
            load -= holder.pop(e.chat, None) == agent
        elif e.event in ("online", "away") and e.agent == agent:
            online = e.event == "online"
        if e.time >= start:
            top = max(top, load)
    advance(end)
    return area, max(top, load), online_time, busy, at_cap


@pytest.mark.parametrize(
    ("on_away", "slowdown"),
    [
        (OnAway.KEEP, (1.0,)),
        (OnAway.REQUEUE, (1.0,)),
        (OnAway.KEEP, (1.0, 1.5)),
        (OnAway.REQUEUE, (1.0, 1.5)),
    ],
)
def test_agent_load_measures_match_the_trace(on_away: OnAway, slowdown: tuple[float, ...]) -> None:
    """Every agent's time-weighted load equals the integral of its load in the trace."""
    ws = workspace(["a", "b", "c"], cap=2, on_away=on_away)
    shifts = {
        "a": (Interval(0.0, 700.0), Interval(1500.0, 3000.0)),
        "b": (Interval(300.0, 2200.0),),
    }
    sc = scenario(
        ws,
        rate=1 / 25,
        handle=Expo(90.0),
        horizon=3000.0,
        warmup=400.0,
        patience=Expo(200.0),
        slowdown=slowdown,
        shifts=shifts,
    )
    events: list[EngineEvent] = []
    facts = run(sc, observer=events.append)
    assert {e.event for e in events} >= {"assigned", "closed", "online", "away", "queued"}
    for agent in facts.agents:
        area, top, online, busy, at_cap = load_measures_from_trace(
            events, agent.id, facts.start, facts.end
        )
        assert agent.open_area == pytest.approx(area)
        assert agent.max_open == top
        assert agent.online_time == pytest.approx(online)
        assert agent.busy_time == pytest.approx(busy)
        assert agent.at_cap_time == pytest.approx(at_cap)
    assert any(a.at_cap_time > 0.0 for a in facts.agents)


def test_queue_samples_read_the_queue_before_events_at_the_same_time() -> None:
    """Samples are booked first: one at t sees the queue left by the events before t.

    Constant 90-s chats on a 60-s sampling grid close (and drain the queue) exactly at
    sample times 150 and 330.
    """
    ws = workspace(["a"], cap=1, check=False)
    sc = scenario(
        ws, rate=1 / 20, handle=Fixed(90.0), horizon=400.0, shifts={"a": (Interval(60.0, 1e9),)}
    )
    events: list[EngineEvent] = []
    facts = run_replication(
        plan_simulation(sc, queue_sample_interval=60.0), 0, observer=events.append
    )
    assert {e.time for e in events if e.event == "closed"} >= {150.0, 330.0}
    expected = []
    for k in range(7):
        at = (k + 0.5) * 60.0
        before = [e for e in events if e.time < at]
        queued = {e.chat for e in before if e.event == "queued"}
        left = {e.chat for e in before if e.event in ("assigned", "abandoned") and e.chat in queued}
        expected.append(len(queued - left))
    assert facts.queue_samples == tuple(expected) == (1, 3, 6, 9, 8, 12, 15)


def test_unavailable_when_nobody_is_online() -> None:
    ws = workspace(["a"], cap=2)
    sc = scenario(
        ws, rate=1 / 10, handle=Fixed(5.0), horizon=400.0, shifts={"a": (Interval(200.0, 400),)}
    )
    facts = run(sc)
    early = [x for x in arrival_times(1 / 10, 400.0) if x < 200.0]
    assert facts.counts.unavailable == len(early)


def test_warmup_excludes_early_chats() -> None:
    ws = workspace(3, cap=2)
    base = scenario(ws, rate=0.05, handle=Expo(60.0), horizon=2000.0)
    later = scenario(ws, rate=0.05, handle=Expo(60.0), horizon=2000.0, warmup=1000.0)
    full, part = run(base), run(later)
    assert full.start == 0.0
    assert part.start == 1000.0
    expected = sum(1 for x in arrival_times(0.05, 2000.0) if x >= 1000.0)
    assert part.counts.arrived == expected < full.counts.arrived


def test_piecewise_schedule_has_no_arrivals_in_a_zero_rate_segment() -> None:
    sc = scenario(workspace(3, cap=2), rate=0.1, handle=Fixed(1.0), horizon=1000.0)
    assert sc.workload is not None
    schedule = (RateSegment(500.0, 0.0), RateSegment(math.inf, 0.1))
    stream = dataclasses.replace(sc.workload.arrivals[0], schedule=schedule)
    workload = dataclasses.replace(sc.workload, arrivals=(stream,))
    events: list[EngineEvent] = []
    run(dataclasses.replace(sc, workload=workload), observer=events.append)
    handoffs = [e.time for e in events if e.event == "handoff"]
    assert 20 < len(handoffs) < 90
    assert min(handoffs) >= 500.0


def test_run_to_completion_ends_every_chat() -> None:
    ws = workspace(2, cap=1)
    sc = scenario(ws, rate=0.05, handle=Expo(60.0), horizon=1000.0, run_to_completion=True)
    facts = run(sc)
    assert facts.counts.waiting_at_end == 0
    assert facts.counts.assigned == facts.counts.handed_off
    assert facts.end >= 1000.0


def test_ai_time_and_handoff_probability() -> None:
    ws = workspace(4, cap=3)
    sc = scenario(
        ws, rate=0.5, handle=Expo(10.0), horizon=2000.0, ai_time=Expo(30.0), probability=0.3
    )
    facts = run(sc)
    c = facts.counts
    assert 0.25 * c.arrived < c.handed_off + c.with_ai_at_end < 0.35 * c.arrived


def test_bad_overrides_are_usage_errors() -> None:
    sc = scenario(workspace(2), rate=0.1, handle=Fixed(1.0), horizon=100.0, warmup=50.0)
    with pytest.raises(UsageError, match="warm-up"):
        plan_simulation(sc, horizon=40.0)
    with pytest.raises(UsageError, match="replications"):
        plan_simulation(sc, replications=0)
    with pytest.raises(UsageError, match="replications must be 1 to 10,000"):
        plan_simulation(sc, replications=10_001)
    with pytest.raises(ScenarioError, match="no workload"):  # the file, not the command line
        plan_simulation(Scenario("x", sc.workspace))


# ------------------------------------------------- common random numbers, repeats


@pytest.mark.parametrize("patience", [None, Expo(2 * MINUTE)])
def test_work_conserving_methods_give_identical_waits(patience: Expo | None) -> None:
    ws = workspace(5, cap=2)
    sc = scenario(ws, rate=9 / MINUTE, handle=Expo(MINUTE), horizon=3000.0, patience=patience)
    records = {m: run(sc, method=m).chats for m in (Method.BALANCED, Method.RANDOM)}
    records[Method.ROUND_ROBIN] = run(sc, method=Method.ROUND_ROBIN).chats
    assert len(records[Method.BALANCED]) > 300
    assert any(r.wait for r in records[Method.BALANCED])
    assert records[Method.BALANCED] == records[Method.RANDOM] == records[Method.ROUND_ROBIN]


def test_same_seed_same_facts_and_parallel_equals_serial() -> None:
    ws = workspace(5, cap=2)
    sc = scenario(ws, rate=9 / MINUTE, handle=Expo(MINUTE), horizon=2000.0, replications=4)
    plan = plan_simulation(sc, method=Method.RANDOM)
    serial = simulate(plan, workers=1)
    parallel = simulate(plan, workers=2)
    assert serial == parallel
    assert serial[0] != serial[1]
    for facts in serial:
        assert_conserved(facts)


def test_progress_reaches_one() -> None:
    sc = scenario(workspace(2), rate=0.1, handle=Fixed(1.0), horizon=100.0, replications=2)
    seen: list[float] = []
    simulate(plan_simulation(sc), workers=1, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


# ------------------------------------------------------------------- fidelity


def replicate(sc: Scenario, method: Method, count: int) -> list[ReplicationFacts]:
    facts = simulate(plan_simulation(sc, method=method, replications=count))
    for f in facts:
        assert_conserved(f)
    return list(facts)


def within(est: Estimate, target: float, sigmas: float = 3.0) -> bool:
    """|mean − target| ≤ sigmas standard errors (the SE from the t interval)."""
    assert est.ci95 is not None
    half = est.half_width
    assert half is not None
    se = half / 2.57  # t_{0.975,5}; callers use 6 replications
    return abs(est.mean - target) <= sigmas * se


FIDELITY_QUICK = [
    (Method.BALANCED, 5, 2),
    (Method.RANDOM, 10, 1),
    (Method.ROUND_ROBIN, 2, 5),
]


@pytest.mark.parametrize(("method", "agents", "cap"), FIDELITY_QUICK)
def test_fidelity_erlang_c_quick(method: Method, agents: int, cap: int) -> None:
    check_erlang_c(method, agents, cap, horizon=1500 * MINUTE)


@pytest.mark.parametrize(("method", "agents", "cap"), FIDELITY_QUICK[:1])
def test_fidelity_erlang_a_quick(method: Method, agents: int, cap: int) -> None:
    check_erlang_a(method, agents, cap, horizon=1500 * MINUTE)


SPLITS = [(10, 1), (5, 2), (2, 5)]
ALL_METHODS = [Method.BALANCED, Method.RANDOM, Method.ROUND_ROBIN]


@pytest.mark.slow
@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize(("agents", "cap"), SPLITS)
def test_fidelity_erlang_c_long(method: Method, agents: int, cap: int) -> None:
    check_erlang_c(method, agents, cap, horizon=10000 * MINUTE)


@pytest.mark.slow
@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize(("agents", "cap"), SPLITS)
def test_fidelity_erlang_a_long(method: Method, agents: int, cap: int) -> None:
    check_erlang_a(method, agents, cap, horizon=10000 * MINUTE)


def check_erlang_c(method: Method, agents: int, cap: int, *, horizon: float) -> None:
    """λ = 9/min, 1 min handle time, c = 10: the documented fidelity example."""
    ws = workspace(agents, cap=cap)
    sc = scenario(
        ws,
        rate=9 / MINUTE,
        handle=Expo(MINUTE),
        horizon=horizon,
        warmup=100 * MINUTE,
        threshold=20.0,
        seed=11,
    )
    facts = replicate(sc, method, 6)
    model = erlang_c(9 / MINUTE, 1 / MINUTE, servers=agents * cap)
    p_wait = estimate([f.waited / f.counts.handed_off for f in facts])
    mean_wait = estimate([f.waits.mean for f in facts])
    service = estimate([f.within_threshold / f.counts.handed_off for f in facts])
    assert model.p_wait == pytest.approx(0.668732, abs=1e-6)
    assert within(p_wait, model.p_wait), (p_wait, model.p_wait)
    assert within(mean_wait, model.mean_wait), (mean_wait, model.mean_wait)
    assert within(service, model.service_level(20.0)), (service, model.service_level(20.0))


def check_erlang_a(method: Method, agents: int, cap: int, *, horizon: float) -> None:
    """The spec's example with exponential patience of mean 2 min."""
    ws = workspace(agents, cap=cap)
    sc = scenario(
        ws,
        rate=9 / MINUTE,
        handle=Expo(MINUTE),
        patience=Expo(2 * MINUTE),
        horizon=horizon,
        warmup=100 * MINUTE,
        threshold=20.0,
        seed=12,
    )
    facts = replicate(sc, method, 6)
    model = erlang_a(9 / MINUTE, 1 / MINUTE, servers=agents * cap, patience_rate=1 / (2 * MINUTE))
    p_wait = estimate([f.waited / f.counts.handed_off for f in facts])
    abandon = estimate([f.counts.abandoned / f.counts.handed_off for f in facts])
    served_wait = estimate([f.waits.mean for f in facts])
    assert model.p_wait == pytest.approx(0.468942, abs=1e-6)
    assert within(p_wait, model.p_wait), (p_wait, model.p_wait)
    assert within(abandon, model.p_abandon), (abandon, model.p_abandon)
    assert within(served_wait, model.mean_wait_served), (served_wait, model.mean_wait_served)


def test_voluntary_with_pickup_delay_waits_longer_than_erlang_c() -> None:
    ws = workspace(5, method=Method.VOLUNTARY, cap=2)
    sc = scenario(
        ws,
        rate=8 / MINUTE,
        handle=Expo(MINUTE),
        horizon=600 * MINUTE,
        warmup=30 * MINUTE,
        voluntary=VoluntaryBehaviour(Expo(10.0), self_limit=2),
        seed=3,
    )
    facts = replicate(sc, Method.VOLUNTARY, 4)
    model = erlang_c(8 / MINUTE, 1 / MINUTE, servers=10)
    mean_wait = estimate([f.waits.mean for f in facts])
    assert mean_wait.ci95 is not None
    assert mean_wait.ci95[0] > model.mean_wait, (mean_wait, model.mean_wait)


def test_concave_slowdown_balanced_beats_random() -> None:
    ws = workspace(6, cap=3)
    sc = scenario(
        ws,
        rate=7 / MINUTE,
        handle=Expo(MINUTE),
        horizon=600 * MINUTE,
        warmup=30 * MINUTE,
        slowdown=(1.0, 1.5, 2.0),
        seed=5,
    )
    balanced = replicate(sc, Method.BALANCED, 4)
    random_ = replicate(sc, Method.RANDOM, 4)
    diffs = [b.waits.mean - r.waits.mean for b, r in zip(balanced, random_, strict=True)]
    gap = estimate(diffs)
    assert gap.ci95 is not None
    assert gap.ci95[1] < 0, gap


def test_a_customer_with_no_patience_abandons_without_having_waited() -> None:
    # patience constant(0): everyone who finds no free agent leaves at once. They are
    # abandoned, but they did not wait, so P(wait > 0) stays 0.
    ws = workspace(1, cap=1)
    sc = scenario(ws, rate=1 / 30, handle=Fixed(100.0), horizon=2000.0, patience=Fixed(0.0))
    facts = run(sc)
    assert facts.counts.abandoned > 10
    assert facts.waited == 0
