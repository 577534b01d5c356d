"""Per-AI-agent and per-language work and patience, results by AI agent and by team."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from chatassign.analysis.analytic import erlang_a
from chatassign.analysis.facts import ReplicationFacts, StreamFacts, WaitSketch
from chatassign.analysis.intervals import Estimate, estimate
from chatassign.analysis.metrics import summarize
from chatassign.engine import EngineEvent
from chatassign.model import Method
from chatassign.scenario.overrides import load_scenario
from chatassign.simulation import plan_simulation, run_replication, simulate
from chatassign.workload.distributions import Lognormal
from chatassign.workload.values import ArrivalStream, LanguageParameters, RateSegment, Scenario
from tests.sim_world import Expo, Fixed, scenario, workspace
from tests.test_simulation import assert_conserved, within

MINUTE = 60.0


def two_desks(horizon: float, *, seed: int = 21) -> Scenario:
    """bot0 -> team t0 and bot1 -> team t1, five agents × cap 2 each, own work and patience."""
    ws = workspace(10, cap=2, teams=2)
    base = scenario(ws, rate=1.0, handle=Expo(MINUTE), horizon=horizon, warmup=100 * MINUTE)
    assert base.workload is not None
    streams = (
        ArrivalStream(
            "bot0",
            (RateSegment(math.inf, 9 / MINUTE),),
            1.0,
            base.workload.arrivals[0].ai_time,
            handle_time=Expo(MINUTE),
            patience=Expo(2 * MINUTE),
        ),
        ArrivalStream(
            "bot1",
            (RateSegment(math.inf, 4 / MINUTE),),
            1.0,
            base.workload.arrivals[1].ai_time,
            handle_time=Expo(2 * MINUTE),
            patience=Expo(MINUTE),
        ),
    )
    assert base.workload is not None
    workload = dataclasses.replace(
        base.workload,
        arrivals=streams,
        seed=seed,
        service_level_threshold=20.0,
        handle_time=Lognormal(30 * MINUTE, 1.0),  # never used: every stream has its own
    )
    return dataclasses.replace(base, workload=workload)


def stream_of(facts: ReplicationFacts, bot: str) -> StreamFacts:
    return next(s for s in facts.streams if s.ai_agent == bot)


def check_two_independent_erlang_a(horizon: float) -> None:
    facts = simulate(plan_simulation(two_desks(horizon), replications=6))
    expected = {
        "bot0": erlang_a(9 / MINUTE, 1 / MINUTE, servers=10, patience_rate=1 / (2 * MINUTE)),
        "bot1": erlang_a(4 / MINUTE, 1 / (2 * MINUTE), servers=10, patience_rate=1 / MINUTE),
    }
    for bot, model in expected.items():
        streams = [stream_of(f, bot) for f in facts]
        p_wait = estimate([s.waited / s.counts.handed_off for s in streams])
        abandon = estimate([s.counts.abandoned / s.counts.handed_off for s in streams])
        served = estimate([s.waits.mean for s in streams])
        assert within(p_wait, model.p_wait), (bot, p_wait, model.p_wait)
        assert within(abandon, model.p_abandon), (bot, abandon, model.p_abandon)
        assert within(served, model.mean_wait_served), (bot, served, model.mean_wait_served)


def test_fidelity_two_streams_are_two_erlang_a_systems_quick() -> None:
    check_two_independent_erlang_a(1500 * MINUTE)


@pytest.mark.slow
def test_fidelity_two_streams_are_two_erlang_a_systems_long() -> None:
    check_two_independent_erlang_a(10000 * MINUTE)


def test_stream_facts_add_up_to_the_totals() -> None:
    (facts,) = simulate(plan_simulation(two_desks(300 * MINUTE)))
    assert_conserved(facts)
    for field in dataclasses.fields(facts.counts):
        total = sum(getattr(s.counts, field.name) for s in facts.streams)
        assert getattr(facts.counts, field.name) == total, field.name
    assert facts.waited == sum(s.waited for s in facts.streams)
    assert facts.waits.count == sum(s.waits.count for s in facts.streams)
    assert facts.abandoned_waits.count == facts.counts.abandoned
    c = facts.counts
    assert facts.all_waits.count == c.handed_off
    assert facts.all_waits.maximum >= facts.abandoned_waits.maximum


def test_a_stream_of_its_own_leaves_the_other_streams_draws_alone() -> None:
    """Common random numbers: bot1's handle time changes, bot0's customers do not."""
    sc = two_desks(200 * MINUTE)
    assert sc.workload is not None
    slower = dataclasses.replace(sc.workload.arrivals[1], handle_time=Expo(3 * MINUTE))
    changed = dataclasses.replace(
        sc, workload=dataclasses.replace(sc.workload, arrivals=(sc.workload.arrivals[0], slower))
    )
    first = run_replication(plan_simulation(sc), 0)
    second = run_replication(plan_simulation(changed), 0)
    # Disjoint teams: bot0's chats meet exactly the same desk.
    assert stream_of(first, "bot0") == stream_of(second, "bot0")
    assert stream_of(first, "bot1") != stream_of(second, "bot1")


def languages_desk(horizon: float) -> Scenario:
    """One pool of 6 agents × cap 2; 80 % English chats of 6 min, 20 % Spanish of 15 min."""
    ws = workspace(6, cap=2)
    base = scenario(ws, rate=1.0, handle=Expo(6 * MINUTE), horizon=horizon, warmup=60 * MINUTE)
    assert base.workload is not None
    (stream,) = base.workload.arrivals
    mixed = dataclasses.replace(
        stream,
        schedule=(RateSegment(math.inf, 1.2 / MINUTE),),
        languages=(("en", 0.8), ("es", 0.2)),
        by_language=(LanguageParameters("es", handle_time=Expo(15 * MINUTE)),),
    )
    workload = dataclasses.replace(base.workload, arrivals=(mixed,), seed=5)
    return dataclasses.replace(base, workload=workload)


def test_per_language_handle_time_matches_littles_law() -> None:
    """M/G/c with every chat served: mean open chats = λ × E[work], E[work] the mixed mean.

    λ = 1.2/min, E[work] = 0.8 × 6 + 0.2 × 15 = 7.8 min: 9.36 chats in service on
    average (of 12 slots). The workload's 6 min alone would give 7.2.
    """
    sc = languages_desk(3000 * MINUTE)
    assert sc.workload is not None
    assert sc.workload.mean_handle_time(sc.workload.arrivals[0]) == pytest.approx(7.8 * MINUTE)
    facts = simulate(plan_simulation(sc, replications=6))
    summary = summarize(
        facts, method="balanced", allowed_by_plan=True, required_plan="free", threshold=60.0
    )
    open_chats = estimate([sum(a.open_area for a in f.agents) / f.duration for f in facts])
    assert within(open_chats, 1.2 * 7.8), open_chats
    (bot,) = summary.by_ai_agent
    spanish = next(part for part in bot.languages if part.language == "es")
    share = spanish.counts["handed_off"] / bot.counts["handed_off"]
    assert share == pytest.approx(0.2, abs=0.02)


def test_results_by_team_and_by_ai_agent_are_summarized() -> None:
    facts = simulate(plan_simulation(two_desks(300 * MINUTE), replications=2))
    summary = summarize(
        facts, method="balanced", allowed_by_plan=True, required_plan="free", threshold=20.0
    )
    assert [s.ai_agent for s in summary.by_ai_agent] == ["bot0", "bot1"]
    assert [t.id for t in summary.by_team] == ["t0", "t1"]
    t0 = summary.by_team[0]
    assert t0.agents == ("a00", "a02", "a04", "a06", "a08")
    assert 0 < t0.utilization <= 1
    assert 0 <= t0.cap_saturation <= 1
    bot0 = summary.by_ai_agent[0]
    assigned = sum(a.assigned for a in summary.agents if a.id in t0.agents)
    assert t0.assigned == pytest.approx(assigned)
    assert bot0.counts["assigned"] == pytest.approx(t0.assigned)
    assert isinstance(bot0.p_wait, Estimate)


def test_team_cap_saturation_is_the_share_with_every_online_member_at_cap() -> None:
    """A team of one agent with cap 1: saturated exactly while the agent holds a chat."""
    ws = workspace(1, cap=1)
    sc = scenario(ws, rate=1 / MINUTE, handle=Expo(MINUTE), horizon=500 * MINUTE)
    facts = run_replication(plan_simulation(sc), 0)
    (agent,) = facts.agents
    (team,) = facts.teams
    assert team.saturated_time == pytest.approx(agent.busy_time)
    assert team.saturated_time == pytest.approx(agent.at_cap_time)


def test_waits_merge_exactly() -> None:
    a, b = WaitSketch(), WaitSketch()
    for wait in (0.0, 1.0, 5.0):
        a.add(wait)
    for wait in (0.0, 30.0):
        b.add(wait)
    both = WaitSketch.merged([a, b])
    direct = WaitSketch()
    for wait in (0.0, 1.0, 5.0, 0.0, 30.0):
        direct.add(wait)
    assert both == direct


def test_method_override_keeps_the_streams() -> None:
    facts = run_replication(plan_simulation(two_desks(200 * MINUTE), method=Method.RANDOM), 0)
    assert [s.ai_agent for s in facts.streams] == ["bot0", "bot1"]


# ------------------------------------------------------------------ escalations

ESCALATION = Path(__file__).parent / "data" / "desk" / "escalation.yaml"


def escalation_run(replication: int = 0) -> tuple[ReplicationFacts, list[EngineEvent]]:
    plan = plan_simulation(load_scenario(ESCALATION))
    events: list[EngineEvent] = []
    facts = run_replication(plan, replication, observer=events.append)
    assert_conserved(facts)
    return facts, events


def test_escalations_follow_their_probability_within_the_binomial_interval() -> None:
    """P(transfer | first assignment) = 0.3 × P(after < work) = 0.3 × (1/3)/(1/3 + 1/6) = 0.2.

    ``after`` is exponential with mean 3 min and the work exponential with mean 6 min,
    so the chat outlasts ``after`` with probability 2/3.
    """
    first = transferred = 0
    for replication in range(4):
        _, events = escalation_run(replication)
        seen: set[object] = set()
        for event in events:
            if event.event == "assigned" and event.chat not in seen:
                seen.add(event.chat)
                first += 1
            elif event.event == "transferred":
                transferred += 1
    expected = 0.3 * 2 / 3
    share = transferred / first
    assert abs(share - expected) <= 3 * math.sqrt(expected * (1 - expected) / first), share


def test_the_receiving_team_gets_chats_only_through_transfers() -> None:
    facts, events = escalation_run()
    tier2 = {"dev", "eve"}
    transferred: set[object] = set()
    to_tier2 = 0
    for event in events:
        if event.event == "transferred":
            transferred.add(event.chat)
        elif event.event == "assigned" and event.agent in tier2:
            assert event.chat in transferred
            to_tier2 += 1
    assert to_tier2 > 0
    assert facts.counts.transferred == len(transferred)


def test_a_transferred_chat_is_counted_once() -> None:
    facts, events = escalation_run()
    c = facts.counts
    handed = {e.chat for e in events if e.event == "handoff"} - {
        e.chat for e in events if e.event == "unavailable"
    }
    assert c.handed_off == len(handed)
    assert c.handed_off == c.assigned + c.abandoned + c.unattended + c.waiting_at_end
    assert 0 < c.transferred <= c.assigned
    closed = [e.chat for e in events if e.event == "closed"]
    assert len(closed) == len(set(closed)) == c.assigned  # run to completion: each once
    (stream,) = facts.streams
    assert stream.counts.transferred == c.transferred
    teams = {t.id: t for t in facts.teams}
    placed = {a.id: a.assigned for a in facts.agents}
    assert sum(placed[a] for a in teams["tier2"].agents) == c.transferred


def test_a_chat_that_ends_before_after_is_not_escalated() -> None:
    sc = load_scenario(ESCALATION)
    assert sc.workload is not None
    (stream,) = sc.workload.arrivals
    assert stream.escalation is not None
    late = dataclasses.replace(stream.escalation, probability=1.0, after=Fixed(3600.0))
    workload = dataclasses.replace(
        sc.workload, arrivals=(dataclasses.replace(stream, escalation=late),)
    )
    facts = run_replication(plan_simulation(dataclasses.replace(sc, workload=workload)), 0)
    # Exponential work of mean 6 min exceeds an hour with probability e^-10.
    assert facts.counts.transferred == 0
