"""Scenario files: examples load, values keep their locations, one bad file per rule."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import chatassign
from chatassign.model import Method, Plan
from chatassign.scenario import (
    InvalidScenarioError,
    MissingScenarioFileError,
    check_scenario_file,
    example_scenario_path,
    load_scenario,
    read_scenario,
    scenario_json_schema,
)
from chatassign.scenario.schema_errors import keys_at, unknown_key_message
from chatassign.workload.distributions import Lognormal
from chatassign.workload.values import RateSegment

ROOT = Path(__file__).resolve().parent.parent
INVALID = Path(__file__).parent / "data" / "invalid"
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))

MINIMAL = """\
plan: pro
roles:
  agent: [livechats.view_manage_assigned]
users:
  alice: {role: agent, teams: [support]}
teams:
  support: {teamspaces: [main]}
teamspaces:
  main: {}
ai_agents:
  bot:
    teamspace: main
    languages: [en, "no"]
    handoff: {target: {teamspace: true}}
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", [*EXAMPLES, example_scenario_path()], ids=lambda p: p.name)
def test_every_example_loads_without_problems(path: Path) -> None:
    assert check_scenario_file(path) == []
    scenario = load_scenario(path)
    assert scenario.workload is not None
    assert scenario.workload.horizon <= 8 * 3600
    assert scenario.workspace.teamspaces


def test_examples_cover_every_plan_and_method() -> None:
    scenarios = [load_scenario(path) for path in EXAMPLES]
    assert {s.workspace.plan for s in scenarios} == set(Plan)
    methods = {t.assignment.method for s in scenarios for t in s.workspace.teamspaces.values()}
    assert methods == set(Method)
    targets = [a.handoff for s in scenarios for a in s.workspace.ai_agents.values()]
    assert any(h.target.is_direct for h in targets)
    assert any(h.by_language for h in targets)


def test_builtin_example_is_the_documented_demo() -> None:
    scenario = load_scenario(example_scenario_path())
    assert scenario.name == "Acme support, weekday"
    assert scenario.workspace.plan is Plan.PRO
    assert len(scenario.workspace.teams) == 2
    assert scenario.workspace.teamspaces["support"].assignment.max_auto_assigned == 3
    workload = scenario.workload
    assert workload is not None
    assert workload.handle_time == Lognormal(480.0, 300.0)
    assert workload.patience is not None
    assert workload.concurrency_slowdown == (1.0, 1.2, 1.5)
    assert workload.shifts["alice"][1].start == 4.5 * 3600


def test_quantities_come_through_yaml(tmp_path: Path) -> None:
    text = MINIMAL + (
        "workload:\n"
        "  horizon: 1h30m\n"
        "  warmup: 90\n"
        "  arrivals:\n"
        "    bot:\n"
        "      rate: [{until: 30m, rate: 120/h}, {rate: 2/m}]\n"
        "      languages: {en: 0.5, 'no': 0.5}\n"
        "  handle_time: constant(5m)\n"
    )
    scenario = load_scenario(write(tmp_path, text))
    workload = scenario.workload
    assert workload is not None
    assert workload.horizon == 5400.0
    assert workload.warmup == 90.0
    stream = workload.arrivals[0]
    assert stream.schedule == (RateSegment(1800.0, 1 / 30), RateSegment(math.inf, 1 / 30))
    assert stream.languages == (("en", 0.5), ("no", 0.5))
    assert workload.handle_time.mean == 300.0
    assert scenario.name == "s"
    assert scenario.workspace.ai_agents["bot"].languages == ("en", "no")


def test_norway_stays_text_and_sexagesimal_is_not_a_number(tmp_path: Path) -> None:
    text = MINIMAL.replace('languages: [en, "no"]', "languages: [en, no, on]")
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.workspace.ai_agents["bot"].languages == ("en", "no", "on")
    bad = MINIMAL + "workload:\n  horizon: 4:30\n  arrivals: {}\n  handle_time: constant(1m)\n"
    [problem] = check_scenario_file(write(tmp_path, bad))
    assert (problem.code, problem.line, problem.column) == ("bad-duration", 16, 12)


def test_bad_duration_is_located_at_its_value(tmp_path: Path) -> None:
    text = (
        MINIMAL + "workload:\n  horizon: 8h\n  arrivals: {}\n  handle_time: exponential(mean=5x)\n"
    )
    [problem] = check_scenario_file(write(tmp_path, text))
    assert problem.code == "bad-distribution"
    assert (problem.line, problem.column) == (18, 16)
    assert problem.path == "workload.handle_time"
    assert "5x" in problem.message


def test_empirical_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "times.csv").write_text("seconds\n60\n120\n", encoding="utf-8")
    text = (
        MINIMAL + "workload:\n  horizon: 1h\n  arrivals: {}\n  handle_time: empirical(times.csv)\n"
    )
    workload = load_scenario(write(tmp_path, text)).workload
    assert workload is not None
    assert workload.handle_time.mean == 90.0
    missing = text.replace("times.csv", "nowhere.csv")
    [problem] = check_scenario_file(write(tmp_path, missing, "m.yaml"))
    assert (problem.code, problem.path) == ("bad-distribution", "workload.handle_time")


def test_load_scenario_raises_with_every_error(tmp_path: Path) -> None:
    text = MINIMAL.replace("plan: pro", "plan: free").replace(
        "main: {}", "main: {assignment: {method: random, max_auto_assigned: 0}}"
    )
    with pytest.raises(InvalidScenarioError) as raised:
        load_scenario(write(tmp_path, text))
    assert [p.code for p in raised.value.problems] == ["plan-method", "cap-below-one"]
    assert "random needs plan lite or above; this workspace is on free" in str(raised.value)
    with pytest.raises(MissingScenarioFileError):
        load_scenario(tmp_path / "absent.yaml")


def test_warnings_do_not_stop_loading(tmp_path: Path) -> None:
    text = MINIMAL.replace("users:\n", "users:\n  lone: {role: agent}\n")
    scenario, problems = read_scenario(write(tmp_path, text))
    assert scenario is not None
    assert [p.code for p in problems] == ["agent-no-team"]


# One bad file per rule: (code, line, field path) of every problem it reports.
EXPECTED: dict[str, list[tuple[str, int, str]]] = {
    "agent-no-team.yaml": [("agent-no-team", 6, "users.bob")],
    "ai-time-beyond-horizon.yaml": [
        ("ai-time-beyond-horizon", 23, "workload.arrivals.bot.ai_time")
    ],
    "agent-not-live.yaml": [("agent-not-live", 18, "ai_agents.bot.handoff.target.agent")],
    "bad-distribution.yaml": [("bad-distribution", 21, "workload.handle_time")],
    "escalation-plan.yaml": [("escalation-plan", 23, "workload.arrivals.bot.escalation")],
    "escalation-unknown-team.yaml": [
        ("unknown-team", 25, "workload.arrivals.bot.escalation.to.teams[0]")
    ],
    "escalation-no-live-agent.yaml": [
        ("team-no-live-agent", 10, "teams.tier2"),
        ("escalation-no-live-agent", 26, "workload.arrivals.bot.escalation.to.teams[0]"),
    ],
    "clock-without-start.yaml": [("clock-without-start", 23, "workload.shifts.alice[0].to")],
    "bad-clock-time.yaml": [("bad-clock-time", 24, "workload.shifts.alice[0].to")],
    "bad-start.yaml": [("bad-start", 19, "workload.starts_at")],
    "stream-bad-distribution.yaml": [("bad-distribution", 22, "workload.arrivals.bot.handle_time")],
    "language-bad-distribution.yaml": [
        ("bad-distribution", 24, "workload.arrivals.bot.languages.es.patience")
    ],
    "bad-duration.yaml": [("bad-duration", 18, "workload.horizon")],
    "bad-number.yaml": [("bad-number", 5, "users.alice.speed")],
    "bad-rate.yaml": [("bad-rate", 20, "workload.arrivals.bot.rate")],
    "cap-below-one.yaml": [("cap-below-one", 10, "teamspaces.main.assignment.max_auto_assigned")],
    "cap-over-limit.yaml": [("over-limit", 10, "teamspaces.main.assignment.max_auto_assigned")],
    "capacity-below-load.yaml": [("capacity-below-load", 20, "workload.arrivals.bot.rate")],
    "duplicate-entry.yaml": [("duplicate-entry", 5, "users.alice.teams[1]")],
    "duplicate-key.yaml": [("duplicate-key", 6, "users.alice")],
    "empty-file.yaml": [("empty-file", 1, "")],
    "language-mix-sum.yaml": [("language-mix-sum", 20, "workload.arrivals.bot.languages")],
    "missing-key.yaml": [("missing-key", 5, "users.alice.role")],
    "no-traffic.yaml": [("no-traffic", 20, "workload.arrivals")],
    "not-a-mapping.yaml": [("not-a-mapping", 1, "")],
    "plan-method.yaml": [("plan-method", 10, "teamspaces.main.assignment.method")],
    "pool-no-live-agent.yaml": [
        ("team-no-live-agent", 8, "teams.empty"),
        ("pool-no-live-agent", 17, "ai_agents.bot.handoff.target"),
    ],
    "pool-never-online.yaml": [("pool-never-online", 16, "ai_agents.bot.handoff.target")],
    "pool-online-briefly.yaml": [("pool-online-briefly", 16, "ai_agents.bot.handoff.target")],
    "probability-range.yaml": [
        ("probability-range", 20, "workload.arrivals.bot.handoff_probability")
    ],
    "rate-range.yaml": [("rate-range", 20, "workload.arrivals.bot.rate")],
    "schedule-order.yaml": [("schedule-order", 23, "workload.arrivals.bot.rate[1].until")],
    "shift-order.yaml": [("shift-order", 23, "workload.shifts.alice[0].to")],
    "shift-outside-horizon.yaml": [("shift-outside-horizon", 23, "workload.shifts.alice[0].to")],
    "shift-overlap.yaml": [("shift-overlap", 23, "workload.shifts.alice[1].from")],
    "target-form.yaml": [("target-form", 16, "ai_agents.bot.handoff.target")],
    "team-no-live-agent.yaml": [("team-no-live-agent", 8, "teams.ghosts")],
    "team-not-in-teamspace.yaml": [
        ("team-not-in-teamspace", 17, "ai_agents.bot.handoff.target.teams[0]")
    ],
    "teamspace-no-ai-agent.yaml": [("teamspace-no-ai-agent", 9, "teamspaces.spare")],
    "too-complex.yaml": [("too-complex", 1, "")],
    "unknown-ai-agent.yaml": [("unknown-ai-agent", 20, "workload.arrivals.robot")],
    "unknown-key.yaml": [("unknown-key", 5, "users.alice.sped")],
    "unknown-language.yaml": [("unknown-language", 18, "ai_agents.bot.handoff.by_language.fr")],
    "unknown-method.yaml": [("unknown-method", 10, "teamspaces.main.assignment.method")],
    "unknown-permission.yaml": [("unknown-permission", 3, "roles.agent[1]")],
    "unknown-plan.yaml": [("unknown-plan", 1, "plan")],
    "unknown-role.yaml": [("unknown-role", 5, "users.alice.role")],
    "unknown-team.yaml": [("unknown-team", 5, "users.alice.teams[0]")],
    "unknown-teamspace.yaml": [("unknown-teamspace", 13, "ai_agents.bot.teamspace")],
    "unknown-user.yaml": [("unknown-user", 16, "ai_agents.bot.handoff.target.users[0]")],
    "user-not-live.yaml": [("user-not-live", 18, "ai_agents.bot.handoff.target.users[1]")],
    "value-range.yaml": [("value-range", 19, "workload.replications")],
    "workload-too-large.yaml": [("workload-too-large", 20, "workload.arrivals")],
    "wrong-type.yaml": [("wrong-type", 10, "teamspaces.main.assignment.max_auto_assigned")],
    "yaml-key.yaml": [("yaml-key", 17, "")],
    "yaml-merge.yaml": [("yaml-merge", 18, "options")],
    "yaml-syntax.yaml": [("yaml-syntax", 3, "")],
    "yaml-indent.yaml": [("yaml-syntax", 14, "")],
    "yaml-indent-between.yaml": [("yaml-syntax", 17, "")],
    "yaml-unclosed-brace.yaml": [("yaml-syntax", 5, "")],
    "unknown-key-synonym.yaml": [("unknown-key", 10, "teamspaces.main.assignment.cap")],
    "unknown-key-elsewhere.yaml": [("unknown-key", 20, "workload.arrivals.bot.horizon")],
    "yaml-tabs.yaml": [("yaml-syntax", 3, "")],
    "yaml-tag.yaml": [("yaml-tag", 1, "plan")],
    "yaml-value.yaml": [("yaml-value", 10, "teamspaces.main.assignment.max_auto_assigned")],
}


def test_every_invalid_file_has_an_expectation() -> None:
    assert sorted(p.name for p in INVALID.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_file_reports_exact_code_line_and_path(name: str) -> None:
    problems = check_scenario_file(INVALID / name, file=name)
    assert [(p.code, p.line, p.path) for p in problems] == EXPECTED[name]
    assert all(p.file == name and p.column >= 1 and p.message for p in problems)


def test_every_code_is_documented() -> None:
    documented = set(
        re.findall(r"^\| `([a-z0-9-]+)` \|", (ROOT / "docs" / "validation.md").read_text(), re.M)
    )
    used = {code for expected in EXPECTED.values() for code, _, _ in expected}
    used |= {
        "file-missing",
        "not-a-file",
        "file-unreadable",
        "file-too-large",
        "binary-file",
        "not-utf8",
    }
    assert used <= documented
    package = Path(chatassign.__file__).parent
    sources = "".join(p.read_text() for p in (package / "scenario").glob("*.py"))
    for code in documented:
        assert f'"{code}"' in sources or code.startswith("unknown-"), code


SERVED = MINIMAL.replace(
    "handoff: {target: {teamspace: true}}",
    "handoff: {target: {teamspace: true}, by_language: {'no': {users: [bob]}}}",
).replace("users:\n", "users:\n  bob: {role: agent, teams: [support]}\n") + (
    "workload:\n"
    "  horizon: 8h\n"
    "  warmup: 1h\n"
    "  arrivals:\n"
    "    bot: {rate: 30/h, handoff_probability: 0.5, languages: {en: 0.5, 'no': 0.5}}\n"
    "  handle_time: constant(5m)\n"
)


@pytest.mark.parametrize(
    ("shifts", "expected"),
    [
        ("", []),
        ("  shifts: {alice: [], bob: [{from: 2h, to: 8h}]}\n", []),
        (
            "  shifts: {bob: [{from: 0s, to: 1h}]}\n",
            [("pool-never-online", "ai_agents.bot.handoff.by_language.no")],
        ),
        (
            "  shifts: {alice: [{from: 0s, to: 8h}], bob: [{from: 7h50m, to: 8h}]}\n",
            [("pool-online-briefly", "ai_agents.bot.handoff.by_language.no")],
        ),
        (
            "  shifts: {bob: [{from: 0s, to: 1h}, {from: 1h, to: 90m}]}\n",
            [("pool-online-briefly", "ai_agents.bot.handoff.by_language.no")],
        ),
    ],
    ids=["no-shifts", "covered", "before-warmup", "briefly", "adjacent-shifts"],
)
def test_pool_online_time_counts_the_measured_window(
    tmp_path: Path, shifts: str, expected: list[tuple[str, str]]
) -> None:
    problems = check_scenario_file(write(tmp_path, SERVED + shifts))
    assert [(p.code, p.path) for p in problems] == expected


def test_online_warnings_skip_a_workload_with_errors(tmp_path: Path) -> None:
    text = SERVED.replace("rate: 30/h", "rate: 30/x") + "  shifts: {alice: [], bob: []}\n"
    assert [p.code for p in check_scenario_file(write(tmp_path, text))] == ["bad-rate"]


def test_handoff_probability_zero_is_no_traffic(tmp_path: Path) -> None:
    text = SERVED.replace("handoff_probability: 0.5", "handoff_probability: 0")
    text += "  shifts: {alice: [], bob: []}\n"
    [problem] = check_scenario_file(write(tmp_path, text))
    assert (problem.code, problem.path) == ("no-traffic", "workload.arrivals")


def test_json_schema_describes_the_file() -> None:
    schema = scenario_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    properties = schema["properties"]
    assert isinstance(properties, dict)
    assert {"plan", "users", "teams", "teamspaces", "ai_agents", "workload", "options"} <= set(
        properties
    )
    assert schema["additionalProperties"] is False


def test_per_stream_and_per_language_parameters_load(tmp_path: Path) -> None:
    text = MINIMAL + (
        "workload:\n"
        "  horizon: 8h\n"
        "  handle_time: exponential(mean=5m)\n"
        "  patience: exponential(mean=4m)\n"
        "  arrivals:\n"
        "    bot:\n"
        "      rate: 60/h\n"
        "      handle_time: exponential(mean=6m)\n"
        "      languages:\n"
        "        en: 0.75\n"
        "        'no': {share: 0.25, handle_time: constant(10m), patience: constant(1m)}\n"
    )
    scenario = load_scenario(write(tmp_path, text))
    workload = scenario.workload
    assert workload is not None
    (stream,) = workload.arrivals
    assert stream.languages == (("en", 0.75), ("no", 0.25))
    assert workload.handle_time_of(stream).mean == 360.0
    assert workload.handle_time_of(stream, "en").mean == 360.0
    assert workload.handle_time_of(stream, "no").mean == 600.0
    patience = workload.patience_of(stream, "en")
    assert patience is not None
    assert patience.mean == 240.0
    assert workload.mean_handle_time(stream) == 0.75 * 360.0 + 0.25 * 600.0


def test_a_language_share_out_of_range_points_at_share(tmp_path: Path) -> None:
    text = MINIMAL + (
        "workload:\n"
        "  horizon: 8h\n"
        "  handle_time: exponential(mean=5m)\n"
        "  arrivals:\n"
        "    bot:\n"
        "      rate: 60/h\n"
        "      languages: {en: 0.5, 'no': {share: 1.5}}\n"
    )
    problems = check_scenario_file(write(tmp_path, text))
    paths = {(p.code, p.path) for p in problems}
    assert ("probability-range", "workload.arrivals.bot.languages.no.share") in paths


@pytest.mark.parametrize(
    ("key", "path", "words"),
    [
        ("horizon", ("workload", "arrivals", "bot"), "not a key here but of workload"),
        ("cap", ("teamspaces", "main", "assignment"), "did you mean 'max_auto_assigned'?"),
        ("sped", ("users", "alice"), "did you mean 'speed'?"),
        ("zzz", ("users", "alice"), "the keys here are role, speed, teams"),
    ],
)
def test_an_unknown_key_hint_names_a_key_allowed_there_never_itself(
    key: str, path: tuple[str, ...], words: str
) -> None:
    message = unknown_key_message(key, keys_at(path))
    assert words in message
    assert f"did you mean {key!r}" not in message


def test_clock_times_become_offsets_from_starts_at(tmp_path: Path) -> None:
    text = MINIMAL + (
        "workload:\n"
        "  horizon: 10h\n"
        "  starts_at: '2026-03-02 22:00 Europe/Berlin'\n"
        "  handle_time: exponential(mean=5m)\n"
        "  arrivals:\n"
        "    bot: {rate: [{until: '23:30', rate: 30/h}, {until: 3h, rate: 10/h}, {rate: 5/h}]}\n"
        "  shifts:\n"
        "    alice: [{from: '22:00', to: 02:00}, {from: 5h, to: '07:30:30'}]\n"
    )
    workload = load_scenario(write(tmp_path, text)).workload
    assert workload is not None
    assert workload.starts_at is not None
    assert workload.starts_at.text == "2026-03-02 22:00 Europe/Berlin"
    assert [s.until for s in workload.arrivals[0].schedule] == [5400.0, 10800.0, math.inf]
    spans = [(i.start, i.end) for i in workload.shifts["alice"]]
    assert spans == [(0.0, 4 * 3600.0), (5 * 3600.0, 9.5 * 3600.0 + 30)]
