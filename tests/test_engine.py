"""One short example per rule of the assignment spec (docs/semantics.md)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

from chatassign.compiled import core_build
from chatassign.engine import Assignment, ChatState, Engine, EngineEvent, Outcome
from chatassign.errors import ConfigError, EngineError
from chatassign.model import (
    AIAgent,
    AssignmentSettings,
    CapCounts,
    Chat,
    Handoff,
    Method,
    OnAway,
    Plan,
    Target,
    Team,
    Teamspace,
    User,
    Workspace,
    method_allowed,
    required_plan,
)
from tests.engine_fixtures import ROLES, one_team, online_engine


def hand(
    engine: Engine, chat_id: int, now: float | None = None, language: str | None = None
) -> str:
    """Hand off chat ``chat_id`` from ``bot`` (by default at 10 s or the engine's time since);
    the assignee, or the outcome's name."""
    when = max(10.0, engine.last_time() or 0.0) if now is None else now
    result = engine.handoff(Chat(chat_id, "bot", language), when)
    return result.agent if result.agent is not None else result.outcome.value


# ---------------------------------------------------------------- plans


@pytest.mark.parametrize(
    ("method", "lowest"),
    [
        (Method.BALANCED, Plan.FREE),
        (Method.RANDOM, Plan.LITE),
        (Method.ROUND_ROBIN, Plan.PRO),
        (Method.VOLUNTARY, Plan.TOTAL),
    ],
)
def test_plan_gating_table(method: Method, lowest: Plan) -> None:
    assert required_plan(method) is lowest
    for plan in Plan:
        assert method_allowed(method, plan) == (plan >= lowest)


def test_method_above_plan_is_a_config_error_unless_not_enforced() -> None:
    workspace = one_team(method=Method.ROUND_ROBIN, plan=Plan.LITE)
    with pytest.raises(ConfigError, match=r"round-robin needs plan pro or above; .* on lite"):
        Engine(workspace)
    engine = Engine(workspace, enforce_plan=False)
    assert engine.method("s") is Method.ROUND_ROBIN


def test_cap_below_one_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        Engine(one_team(cap=0))


# ------------------------------------------------------------- balanced


def test_balanced_gives_the_chat_to_the_fewest_open() -> None:
    engine = online_engine(one_team(cap=5))
    assert [hand(engine, i) for i in range(6)] == ["a", "b", "c", "a", "b", "c"]
    engine.close(1, 11.0)  # b drops to one chat
    assert hand(engine, 6, 12.0) == "b"


def test_balanced_ties_go_to_the_longest_ago_assigned_then_earliest_online_then_id() -> None:
    # Never-assigned agents count as longest ago; among them, earliest online first.
    engine = online_engine(one_team(("a", "b", "c"), cap=5), online=["c", "b", "a"])
    assert hand(engine, 1, 10.0) == "c"
    assert hand(engine, 2, 11.0) == "b"
    engine.close(1, 12.0)
    engine.close(2, 12.0)
    # a never assigned; b's last assignment (11) is later than c's (10).
    assert hand(engine, 3, 13.0) == "a"
    assert hand(engine, 4, 14.0) == "c"
    # Same online time and no assignment: the agent id decides.
    engine2 = Engine(one_team(("b", "a"), cap=5))
    engine2.set_status("b", online=True, now=0.0)
    engine2.set_status("a", online=True, now=0.0)
    assert hand(engine2, 1) == "a"


# ---------------------------------------------------------- round robin


def test_round_robin_follows_online_order() -> None:
    engine = online_engine(one_team(method=Method.ROUND_ROBIN, cap=5), online=["b", "c", "a"])
    assert [hand(engine, i) for i in range(6)] == ["b", "c", "a", "b", "c", "a"]


def test_round_robin_skips_agents_at_the_cap_who_keep_their_place() -> None:
    engine = online_engine(one_team(method=Method.ROUND_ROBIN, cap=1))
    assert [hand(engine, i) for i in range(3)] == ["a", "b", "c"]
    engine.close(1, 11.0)  # only b has room
    assert hand(engine, 3, 12.0) == "b"
    engine.close(0, 13.0)
    engine.close(2, 13.0)
    # a and c were skipped while full and kept their place ahead of b.
    assert [hand(engine, i, 14.0) for i in (4, 5)] == ["a", "c"]


def test_round_robin_agent_back_from_away_goes_to_the_end() -> None:
    engine = online_engine(one_team(method=Method.ROUND_ROBIN, cap=5))
    engine.set_status("a", online=False, now=5.0)
    engine.set_status("a", online=True, now=6.0)
    assert [hand(engine, i) for i in range(4)] == ["b", "c", "a", "b"]


# --------------------------------------------------------------- random


def test_random_uses_the_injected_source_and_only_eligible_agents() -> None:
    def picks(seed: int) -> list[str]:
        engine = online_engine(one_team(method=Method.RANDOM, cap=100), seed=seed)
        return [hand(engine, i) for i in range(200)]

    first = picks(3)
    assert first == picks(3)
    assert first != picks(4)
    assert {first.count(a) for a in "abc"} <= set(range(50, 90))
    engine = online_engine(one_team(method=Method.RANDOM, cap=1), online=["a", "b"])
    assert sorted(hand(engine, i) for i in range(2)) == ["a", "b"]
    assert hand(engine, 2) == "queued"


# -------------------------------------------------------------- voluntary


def test_voluntary_never_places_a_chat_by_itself() -> None:
    engine = online_engine(one_team(method=Method.VOLUNTARY, cap=1))
    assert [hand(engine, i) for i in range(3)] == ["queued"] * 3
    engine.set_status("a", online=False, now=11.0)
    assert engine.set_status("a", online=True, now=12.0) == ()
    assert engine.pending() == [0, 1, 2]
    assert engine.oldest_claimable("b") == 0


def test_claims_ignore_the_cap_but_need_pool_membership() -> None:
    workspace = one_team(
        ("a", "b"), method=Method.VOLUNTARY, cap=1, extra_users=[User("z", "agent")]
    )
    engine = online_engine(workspace)
    for i in range(3):
        hand(engine, i)
    engine.claim("a", 0, 11.0)
    engine.claim("a", 1, 11.0)
    assert engine.load("a") == 2
    with pytest.raises(EngineError, match="not a live agent of pool"):
        engine.claim("z", 2, 11.0)
    with pytest.raises(EngineError, match="not pending"):
        engine.claim("b", 0, 11.0)


# ------------------------------------------------------------------ cap


def test_cap_holds_automatic_placement_and_queues() -> None:
    engine = online_engine(one_team(("a", "b"), cap=1))
    assert [hand(engine, i) for i in range(3)] == ["a", "b", "queued"]
    assert engine.close(0, 11.0) == (Assignment(2, "a"),)


def test_direct_handoff_goes_above_the_cap() -> None:
    engine = online_engine(one_team(("a",), cap=1, target=Target(agent="a")))
    assert [hand(engine, i) for i in range(3)] == ["a", "a", "a"]
    assert engine.load("a") == 3


def test_cap_counts_all_open_or_auto_only() -> None:
    # Direct chats to a count against the cap by default, not with auto_only.
    for counts, expected in ((CapCounts.ALL_OPEN, "queued"), (CapCounts.AUTO_ONLY, "a")):
        workspace = Workspace.build(
            plan=Plan.ENTERPRISE,
            roles=list(ROLES),
            users=[User("a", "agent", ("t",))],
            teams=[Team("t", ("s",))],
            teamspaces=[Teamspace("s", AssignmentSettings(Method.BALANCED, 1))],
            ai_agents=[
                AIAgent("direct", "s", Handoff(Target(agent="a"))),
                AIAgent("bot", "s", Handoff(Target(teams=("t",)))),
            ],
            options=one_team(cap_counts=counts).options,
        )
        engine = online_engine(workspace)
        assert engine.handoff(Chat(0, "direct"), 1.0).agent == "a"
        assert hand(engine, 1) == expected


def test_lowering_the_cap_unassigns_nothing_and_raising_it_drains() -> None:
    engine = online_engine(one_team(("a",), cap=3))
    for i in range(3):
        hand(engine, i)
    assert engine.set_cap("s", 1, 11.0) == ()
    assert engine.load("a") == 3
    assert hand(engine, 3) == "queued"
    engine.close(0, 12.0)
    engine.close(1, 12.0)
    assert engine.pending() == [3]  # a still holds 1 = cap
    assert engine.set_cap("s", 2, 13.0) == (Assignment(3, "a"),)


# ------------------------------------------------------ availability


def test_availability_check_on_nobody_online_is_unavailable() -> None:
    engine = online_engine(one_team(), online=[])
    assert hand(engine, 0) == "unavailable"
    assert engine.open_count() == 0


def test_availability_check_on_everyone_full_queues() -> None:
    engine = online_engine(one_team(("a",), cap=1))
    assert [hand(engine, i) for i in range(2)] == ["a", "queued"]


def test_availability_check_off_always_enters_the_queue() -> None:
    engine = online_engine(one_team(check=False), online=[])
    assert hand(engine, 0) == "queued"
    assert engine.set_status("b", online=True, now=11.0) == (Assignment(0, "b"),)


def test_direct_handoff_with_the_check_off_reaches_an_away_agent() -> None:
    engine = online_engine(one_team(target=Target(agent="a"), check=False), online=[])
    assert hand(engine, 0) == "a"
    engine_on = online_engine(one_team(target=Target(agent="a")), online=["b"])
    assert hand(engine_on, 0) == "unavailable"


# ----------------------------------------------------------- targets


def test_by_language_target_falls_back_to_the_default() -> None:
    workspace = Workspace.build(
        plan=Plan.PRO,
        roles=list(ROLES),
        users=[User("ann", "agent", ("en",)), User("eva", "agent", ("es",))],
        teams=[Team("en", ("s",)), Team("es", ("s",))],
        teamspaces=[Teamspace("s")],
        ai_agents=[
            AIAgent(
                "bot",
                "s",
                Handoff(
                    Target(teams=("en",)),
                    by_language=(("es", Target(users=("eva",))),),
                ),
                languages=("en", "es", "fr"),
            )
        ],
    )
    engine = online_engine(workspace)
    assert hand(engine, 0, language="es") == "eva"
    assert hand(engine, 1, language="fr") == "ann"
    assert hand(engine, 2, language=None) == "ann"


def test_team_members_include_role_holders_and_exclude_non_live_users() -> None:
    workspace = Workspace.build(
        plan=Plan.PRO,
        roles=list(ROLES),
        users=[User("a", "viewer", ("t",)), User("s1", "supervisor"), User("l", "lead", ("t",))],
        teams=[Team("t", ("s",), role="supervisor")],
        teamspaces=[Teamspace("s")],
        ai_agents=[AIAgent("bot", "s", Handoff(Target(teams=("t",))))],
    )
    engine = online_engine(workspace)
    assert engine.pool_members("bot") == frozenset({"s1"})
    assert hand(engine, 0) == "s1"


# -------------------------------------------------------------- queue


def two_teams(cap: int = 1) -> Workspace:
    return Workspace.build(
        plan=Plan.PRO,
        roles=list(ROLES),
        users=[User("x", "agent", ("red",)), User("y", "agent", ("blue",))],
        teams=[Team("red", ("s",)), Team("blue", ("s",))],
        teamspaces=[Teamspace("s", AssignmentSettings(Method.BALANCED, cap))],
        ai_agents=[
            AIAgent("to-red", "s", Handoff(Target(teams=("red",)))),
            AIAgent("to-blue", "s", Handoff(Target(teams=("blue",)))),
        ],
    )


def test_no_head_of_line_blocking_between_two_teams() -> None:
    engine = online_engine(two_teams())
    engine.handoff(Chat("r1", "to-red"), 1.0)
    engine.handoff(Chat("b1", "to-blue"), 1.0)
    assert engine.handoff(Chat("r2", "to-red"), 2.0).outcome is Outcome.QUEUED
    assert engine.handoff(Chat("b2", "to-blue"), 3.0).outcome is Outcome.QUEUED
    # Blue frees first: b2 is placed although r2 is older and still stuck.
    assert engine.close("b1", 4.0) == (Assignment("b2", "y"),)
    assert engine.pending() == ["r2"]


def test_queue_is_first_in_first_out() -> None:
    engine = online_engine(one_team(("a",), cap=1))
    for i in range(4):
        hand(engine, i, 10.0 + i)
    assert engine.pending() == [1, 2, 3]
    assert engine.close(0, 20.0) == (Assignment(1, "a"),)
    assert engine.pending() == [2, 3]


def test_abandon_leaves_the_queue() -> None:
    engine = online_engine(one_team(("a",), cap=1))
    for i in range(3):
        hand(engine, i)
    engine.abandon(1, 11.0)
    assert engine.state(1) is None
    assert engine.close(0, 12.0) == (Assignment(2, "a"),)
    with pytest.raises(EngineError, match="only a pending chat"):
        engine.abandon(2, 13.0)


def test_coming_online_drains_the_queue() -> None:
    engine = online_engine(one_team(("a", "b"), cap=1, check=False), online=["a"])
    for i in range(3):
        hand(engine, i)
    assert engine.set_status("b", online=True, now=11.0) == (Assignment(1, "b"),)


# --------------------------------------------------------- online status


def test_away_agents_keep_their_chats_by_default_and_get_no_new_ones() -> None:
    engine = online_engine(one_team(("a", "b"), cap=5))
    hand(engine, 0)
    engine.set_status("a", online=False, now=11.0)
    assert engine.chats_of("a") == (0,)
    assert [hand(engine, i) for i in (1, 2)] == ["b", "b"]


def test_requeue_on_away_returns_chats_to_the_front_in_their_original_order() -> None:
    engine = online_engine(one_team(("a", "b"), cap=2, on_away=OnAway.REQUEUE))
    assert [hand(engine, i, 10.0 + i) for i in range(5)] == ["a", "b", "a", "b", "queued"]
    assert engine.set_status("a", online=False, now=20.0) == ()
    assert engine.pending() == [0, 2, 4]
    assert engine.state(0) is ChatState.PENDING
    engine.close(1, 21.0)
    engine.close(3, 21.0)  # b drains from the front: 0 then 2.
    assert engine.chats_of("b") == (0, 2)
    assert engine.pending() == [4]


# ----------------------------------------------- transfers and takeovers


def test_transfer_to_a_user_ignores_load_and_status_and_drains_the_source() -> None:
    engine = online_engine(one_team(("a", "b"), cap=1))
    hand(engine, 0)
    hand(engine, 1)
    hand(engine, 2)  # queued
    engine.set_status("b", online=False, now=11.0)
    assert engine.transfer_to_user(0, "b", 12.0) == (Assignment(2, "a"),)
    assert engine.chats_of("b") == (1, 0)


def test_transfers_need_plan_lite() -> None:
    engine = online_engine(one_team(("a", "b"), plan=Plan.FREE))
    hand(engine, 0)
    with pytest.raises(EngineError, match="needs plan lite"):
        engine.transfer_to_user(0, "b", 11.0)


def test_transfer_to_a_team_frees_the_slot_and_places_within_the_team() -> None:
    engine = online_engine(two_teams(cap=2))
    engine.handoff(Chat("c", "to-red"), 1.0)
    assert engine.transfer_to_team("c", "blue", 2.0) == (Assignment("c", "y"),)
    assert engine.load("x") == 0


def test_takeover_needs_the_permission_and_frees_the_source() -> None:
    workspace = one_team(("a",), cap=1, extra_users=[User("boss", "lead"), User("v", "viewer")])
    engine = online_engine(workspace)
    hand(engine, 0)
    hand(engine, 1)  # queued
    with pytest.raises(EngineError, match=r"lacks livechats\.transfer_takeover"):
        engine.takeover(0, "v", 11.0)
    assert engine.takeover(0, "boss", 11.0) == (Assignment(1, "a"),)
    assert engine.assignee(0) == "boss"


# ---------------------------------------------------- runtime changes


def test_method_change_drains_the_queue() -> None:
    engine = online_engine(one_team(method=Method.VOLUNTARY))
    hand(engine, 0)
    assert engine.set_method("s", Method.BALANCED, 11.0) == (Assignment(0, "a"),)
    with pytest.raises(ConfigError, match="needs plan"):
        online_engine(one_team(plan=Plan.FREE)).set_method("s", Method.RANDOM, 1.0)


def test_losing_the_permission_keeps_chats_and_gaining_it_drains() -> None:
    engine = online_engine(one_team(("a", "b"), cap=1))
    hand(engine, 0)
    engine.update_user(User("a", "viewer", ("t",)), 11.0)
    assert engine.chats_of("a") == (0,)
    assert hand(engine, 1) == "b"
    assert hand(engine, 2) == "queued"
    engine.close(0, 12.0)  # a has room again but is no live agent now
    assert engine.pending() == [2]
    assert engine.update_user(User("a", "agent", ("t",)), 13.0) == (Assignment(2, "a"),)


def test_joining_a_team_drains() -> None:
    engine = online_engine(one_team(("a",), cap=1, extra_users=[User("n", "agent")]))
    hand(engine, 0)
    hand(engine, 1)
    assert engine.update_user(User("n", "agent", ("t",)), 11.0) == (Assignment(1, "n"),)


# ---------------------------------------------------------- memory, events


def test_closed_and_abandoned_chats_are_not_kept() -> None:
    engine = online_engine(one_team(("a",), cap=1))
    for i in range(1000):
        hand(engine, i)
        engine.close(i, 11.0)
    assert engine.open_count() == 0
    assert engine.state(999) is None


def test_events_report_every_change_and_change_nothing() -> None:
    events: list[EngineEvent] = []
    with_events = online_engine(one_team(("a",), cap=1), events=events)
    without = online_engine(one_team(("a",), cap=1))
    for engine in (with_events, without):
        hand(engine, 0, 10.0)
        hand(engine, 1, 11.0)
        engine.close(0, 12.0)
    assert with_events.chats_of("a") == without.chats_of("a") == (1,)
    assert [(e.time, e.event, e.chat, e.agent, e.detail) for e in events] == [
        (0.0, "online", None, "a", ""),
        (10.0, "handoff", 0, None, "bot"),
        (10.0, "assigned", 0, "a", "balanced load=1"),
        (11.0, "handoff", 1, None, "bot"),
        (11.0, "queued", 1, None, "all at cap"),
        (12.0, "closed", 0, "a", ""),
        (12.0, "assigned", 1, "a", "balanced load=1"),
    ]
    assert events[2].pool == "teamspace"
    assert events[2].teamspace == "s"


def test_misuse_raises_engine_errors() -> None:
    engine = online_engine(one_team())
    hand(engine, 0)
    with pytest.raises(EngineError, match="already handed off"):
        hand(engine, 0)
    with pytest.raises(EngineError, match="unknown AI agent"):
        engine.handoff(Chat(1, "nobot"), 10.0)
    with pytest.raises(EngineError, match="unknown user"):
        engine.set_status("ghost", online=True, now=10.0)
    with pytest.raises(EngineError, match="not pending or open"):
        engine.close(42, 10.0)


def test_engine_is_deterministic_given_inputs_and_source() -> None:
    def run(seed: int) -> list[str]:
        rng = random.Random(99)
        engine = online_engine(one_team(method=Method.RANDOM, cap=2), seed=seed)
        out = []
        for i in range(300):
            out.append(hand(engine, i, 10.0 + i))
            if rng.random() < 0.5 and engine.chats_of("a"):
                engine.close(engine.chats_of("a")[0], 10.0 + i)
        return out

    assert run(1) == run(1)


COMPILED = core_build() == "compiled"


def refused(match: str | None = None) -> pytest.RaisesExc[Exception]:
    """The engine refuses the call.

    Compiled, its signatures check argument types on entry: a wrongly typed argument is
    a TypeError (an int past the float range: OverflowError) raised before the
    engine's own checks, and it changes nothing all the same.
    """
    if COMPILED:
        return pytest.raises((EngineError, TypeError, OverflowError))
    return pytest.raises(EngineError, match=match)


@pytest.mark.parametrize(
    "now", [math.nan, math.inf, -math.inf, "12", None, True, 10**400, 5.0], ids=repr
)
def test_a_bad_now_is_refused_and_changes_nothing(now: object) -> None:
    events: list[EngineEvent] = []
    engine = online_engine(one_team(("a", "b"), cap=2), events=events)
    hand(engine, 0, 10.0)
    before = (len(events), engine.pending(), engine.chats_of("a"), engine.chats_of("b"))
    with refused("now"):
        engine.handoff(Chat(1, "bot", None), now)  # type: ignore[arg-type]
    with refused("now"):
        engine.close(0, now)  # type: ignore[arg-type]
    with refused("now"):
        engine.set_status("a", online=False, now=now)  # type: ignore[arg-type]
    assert (len(events), engine.pending(), engine.chats_of("a"), engine.chats_of("b")) == before
    assert engine.last_time() == 10.0
    assert hand(engine, 1, 11.0) in ("a", "b")  # still works afterwards
    engine.close(0, 12.0)


def test_bad_arguments_are_engine_errors_that_change_nothing() -> None:
    engine = online_engine(one_team(("a",), cap=2))
    hand(engine, 0, 10.0)
    calls: list[Callable[[], object]] = [
        lambda: engine.set_method("s", "bogus", 11.0),  # type: ignore[arg-type]
        lambda: engine.set_cap("s", 2.5, 11.0),  # type: ignore[arg-type]
        lambda: engine.set_cap("s", 10**9, 11.0),
        lambda: engine.set_cap("s", 0, 11.0),
        lambda: engine.set_status("a", online="no", now=11.0),  # type: ignore[arg-type]
        lambda: engine.close([0], 11.0),  # type: ignore[arg-type]
        lambda: engine.handoff(Chat([1], "bot", None), 11.0),  # type: ignore[arg-type]
        lambda: engine.handoff((1, "bot", None), 11.0),  # type: ignore[arg-type]
        lambda: engine.set_status(["a"], online=True, now=11.0),  # type: ignore[arg-type]
    ]
    for call in calls:
        with refused():
            call()
    assert engine.cap("s") == 2
    assert engine.method("s") is Method.BALANCED
    assert engine.chats_of("a") == (0,)
    assert engine.last_time() == 10.0
