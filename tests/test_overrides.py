"""Overrides: ``KEY=VALUE`` parsing, applying to the document, validation like the file."""

from __future__ import annotations

import pytest

from chatassign.errors import InvalidOverrideError, UsageError
from chatassign.scenario import InvalidScenarioError
from chatassign.scenario.overrides import (
    Override,
    apply_overrides,
    build_scenario,
    cap_override,
    load_scenario,
    parse_override,
    parse_overrides,
    read_source,
)
from chatassign.scenario.yamlsource import YamlValue


def test_values_are_read_as_yaml_with_the_file_rules() -> None:
    assert parse_override("a.b=4").value == 4
    assert parse_override("a.b=200/h").value == "200/h"
    assert parse_override("a.b=no").value == "no"
    assert parse_override("a.b=true").value is True
    assert parse_override("a.b=[1, 1.3]").value == [1, 1.3]
    assert parse_override("a.b=").value is None
    assert parse_override("a.b=x=y").value == "x=y"


def test_keys_take_list_indexes_and_wildcards() -> None:
    assert parse_override("workload.shifts.alice[0].to=3h").path == (
        "workload",
        "shifts",
        "alice",
        0,
        "to",
    )
    assert parse_override("workload.shifts.alice.1.to=3h").path[3] == 1
    assert cap_override(4) == Override(
        "teamspaces.*.assignment.max_auto_assigned=4",
        (
            "teamspaces",
            "*",
            "assignment",
            "max_auto_assigned",
        ),
        4,
    )


@pytest.mark.parametrize("argument", ["nokey", "=4", "a..b=1", "a.[x]=1"])
def test_malformed_arguments_are_usage_errors(argument: str) -> None:
    with pytest.raises(UsageError, match="--set"):
        parse_override(argument)


def test_the_document_is_copied_not_edited() -> None:
    data: YamlValue = {"teamspaces": {"support": None}, "plan": "pro"}
    new, written = apply_overrides(data, [cap_override(5)])
    assert data == {"teamspaces": {"support": None}, "plan": "pro"}
    assert new == {
        "teamspaces": {"support": {"assignment": {"max_auto_assigned": 5}}},
        "plan": "pro",
    }
    assert list(written) == ["teamspaces.support.assignment.max_auto_assigned"]


def test_overrides_reach_the_scenario() -> None:
    scenario = load_scenario(
        None,
        parse_overrides(
            [
                "teamspaces.support.assignment.max_auto_assigned=4",
                "workload.arrivals.helpbot.rate=200/h",
                "workload.concurrency_slowdown=[1, 1.3]",
            ]
        ),
    )
    assert scenario.workspace.teamspaces["support"].assignment.max_auto_assigned == 4
    assert scenario.workload is not None
    assert scenario.workload.arrivals[0].schedule[0].rate == pytest.approx(200 / 3600)
    assert scenario.workload.concurrency_slowdown == (1.0, 1.3)


def test_one_source_builds_many_variants() -> None:
    source = read_source()
    caps = [
        build_scenario(source, [cap_override(c)]).workspace.teamspaces["support"] for c in (2, 3, 4)
    ]
    assert [ts.assignment.max_auto_assigned for ts in caps] == [2, 3, 4]


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("teamspaces.suport.assignment.max_auto_assigned=4", "has no 'suport' (there is: support)"),
        ("teamspaces.support.assignment.maxx=4", "has no field 'maxx' (fields: max_auto_assigned"),
        ("workload.shifts.alice[5].to=3h", "has 2 item(s)"),
        ("name.first=x", "name is a single value"),
    ],
)
def test_keys_that_lead_nowhere_say_what_exists(argument: str, message: str) -> None:
    with pytest.raises(InvalidOverrideError, match=r"^--set ") as caught:
        load_scenario(None, [parse_override(argument)])
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("argument", "code"),
    [
        ("teamspaces.support.assignment.max_auto_assigned=0", "cap-below-one"),
        ("teamspaces.support.assignment.max_auto_assigned=abc", "wrong-type"),
        ("workload.arrivals.helpbot.rate=fast", "bad-rate"),
        ("teamspaces.support.assignment.method=fastest", "unknown-method"),
    ],
)
def test_values_are_validated_like_the_file_and_blame_the_argument(
    argument: str, code: str
) -> None:
    with pytest.raises(InvalidOverrideError) as caught:
        load_scenario(None, [parse_override(argument)])
    assert f"--set {argument}: " in str(caught.value)
    assert [p.code for p in caught.value.problems] == [code]


def test_errors_of_the_file_stay_errors_of_the_file() -> None:
    # Removing the only teamspace breaks references written in the file itself.
    with pytest.raises(InvalidScenarioError):
        load_scenario(None, [parse_override("teamspaces={}")])
