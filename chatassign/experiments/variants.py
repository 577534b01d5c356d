"""Variants of a scenario: ``--vary`` axes, grid points, and team sizes.

A grid point is a tuple of settings ``(KEY, VALUE)``. Three kinds of key:

* ``method`` — the assignment method of every teamspace (as ``simulate --method``);
* ``cap`` — every teamspace's ``max_auto_assigned`` (as ``simulate --cap``);
* ``staff.TEAM`` — the number of live agents on team ``TEAM`` (:func:`with_team_size`);
* anything else — a dotted key of the scenario file, applied before validation by
  :mod:`chatassign.scenario.overrides` (exactly like ``--set KEY=VALUE``).

Pure apart from reading the scenario file through ``overrides.read_source``, which
the caller does once.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

from chatassign.errors import LimitError, UsageError
from chatassign.limits import MAX_GRID_POINTS, MAX_USERS, cap_problem, grid_problem
from chatassign.model import Method, User, Workspace
from chatassign.scenario.overrides import (
    Override,
    ScenarioSource,
    build_scenario,
    cap_override,
    parse_override,
)
from chatassign.simulation import SimulationPlan, plan_simulation
from chatassign.workload.values import Interval, Scenario

METHOD_KEY = "method"
CAP_KEY = "cap"
STAFF_PREFIX = "staff."

Setting = tuple[str, str]
"""One coordinate of a grid point: (key, value as written)."""

_RANGE = re.compile(r"\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*(?:\.\.\s*(\d+)\s*)?")


@dataclass(frozen=True, slots=True)
class Axis:
    """One ``--vary KEY=V1,V2,...``: a key and the values it takes, in order."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GridPoint:
    """One combination of axis values: the settings a run applies to the scenario."""

    index: int
    settings: tuple[Setting, ...]

    @property
    def label(self) -> tuple[str, ...]:
        """``KEY=VALUE`` per setting: the point's identity in journals and messages."""
        return tuple(f"{key}={value}" for key, value in self.settings)


def parse_vary(text: str) -> Axis:
    """``KEY=V1,V2,...`` as an Axis; ``A..B`` (or ``A..B..STEP``) stands for integers A to B.

    Commas inside brackets or parentheses do not split (``lognormal(mean=8m, sd=5m)``,
    ``[1, 1.3]``). UsageError when the form is wrong, a value repeats or is empty.
    """
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(f"--vary {text}: expected KEY=V1,V2,... e.g. staff.billing=4..12")
    values: list[str] = []
    for part in _split_top_level(rest):
        if not part:
            raise UsageError(f"--vary {text}: an empty value (two commas in a row?)")
        values.extend(_expand_range(part, text))
    if len(set(values)) != len(values):
        raise UsageError(f"--vary {text}: a value is listed twice")
    if key == METHOD_KEY:
        for value in values:
            try:
                Method.parse(value)
            except ValueError as error:
                raise UsageError(f"--vary {text}: {error}") from None
    elif key == CAP_KEY:
        for value in values:
            if not value.isdigit():
                raise UsageError(f"--vary {text}: a cap is a whole number, not {value!r}")
            problem = cap_problem(int(value))
            if problem is not None:
                raise LimitError(f"--vary {text}: {problem}")
    elif key.startswith(STAFF_PREFIX):
        for value in values:
            if not value.isdigit() or int(value) < 1:
                raise UsageError(f"--vary {text}: a team size is a whole number ≥ 1, not {value!r}")
            if int(value) > MAX_USERS:
                raise LimitError(f"--vary {text}: a team may have at most {MAX_USERS:,} agents")
    else:
        for value in values:
            parse_override(f"{key}={value}", option="--vary")
    return Axis(key, tuple(values))


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def _expand_range(part: str, text: str) -> list[str]:
    match = _RANGE.fullmatch(part)
    if match is None:
        return [part]
    low, high, step = _range_bounds(match, part, text)
    return [str(n) for n in range(low, high + 1, step)]


def _range_bounds(match: re.Match[str], part: str, text: str) -> tuple[int, int, int]:
    """LOW, HIGH and STEP of ``A..B[..STEP]``; a LimitError when it is too long a range."""
    if any(len(bound or "") > 30 for bound in match.groups()):
        raise LimitError(
            f"--vary {text}: {part} has a bound of more than 30 digits; "
            f"a grid may have at most {MAX_GRID_POINTS:,} points"
        )
    low, high = int(match[1]), int(match[2])
    step = int(match[3]) if match[3] else 1
    if step < 1 or high < low:
        raise UsageError(f"--vary {text}: {part} is an empty range (write LOW..HIGH[..STEP])")
    count = (high - low) // step + 1
    if count > MAX_GRID_POINTS:
        raise LimitError(
            f"--vary {text}: {part} stands for {_count(count)} values; "
            f"a grid may have at most {MAX_GRID_POINTS:,} points"
        )
    return low, high, step


def _count(count: int) -> str:
    return f"{count:,}" if count < 10**15 else f"a {len(str(count))}-digit number of"


def parse_axes(texts: Sequence[str], *, replications: int | None = None) -> list[Axis]:
    """Every ``--vary`` as an Axis; a grid over the limit is refused before any value is read.

    ``replications`` (``--replications``, when given) counts towards the limit on runs.
    """
    points = 1
    for text in texts:
        parts = _split_top_level(text.partition("=")[2])
        count = 0
        for part in parts:
            match = _RANGE.fullmatch(part)
            if match is None:
                count += 1
                continue
            low, high, step = _range_bounds(match, part, text)
            count += (high - low) // step + 1
        points *= max(count, 1)
    problem = grid_problem(points, replications or 1)
    if problem is not None:
        raise LimitError(f"--vary: {problem}")
    return [parse_vary(text) for text in texts]


def build_grid(axes: Sequence[Axis]) -> tuple[GridPoint, ...]:
    """Every combination of the axes' values; the first axis varies slowest."""
    keys = [axis.key for axis in axes]
    if len(set(keys)) != len(keys):
        raise UsageError("each key may be varied by one --vary only")
    problem = grid_problem(math.prod(len(axis.values) for axis in axes), 1)
    if problem is not None:
        raise LimitError(f"--vary: {problem}")
    combos = itertools.product(*(axis.values for axis in axes))
    return tuple(
        GridPoint(i, tuple(zip(keys, combo, strict=True))) for i, combo in enumerate(combos)
    )


@dataclass(frozen=True)
class Variants:
    """Builds the simulation plan of any grid point from one base scenario.

    ``source`` is needed only when a setting edits the scenario file (a dotted key);
    ``base_overrides`` (``--set``) apply to every point before the point's own.
    """

    base: Scenario
    source: ScenarioSource | None = None
    base_overrides: tuple[Override, ...] = ()
    seed: int | None = None
    replications: int | None = None
    horizon: float | None = None

    def scenario(self, settings: Sequence[Setting]) -> tuple[Scenario, Method | None]:
        """The scenario with ``settings`` applied, and the method override if any."""
        file_edits = [
            cap_override(int(value))
            if key == CAP_KEY
            else parse_override(f"{key}={value}", option="--vary")
            for key, value in settings
            if key != METHOD_KEY and not key.startswith(STAFF_PREFIX)
        ]
        scenario = self.base
        if file_edits:
            if self.source is None:
                raise UsageError("varying a scenario key needs a scenario file")
            scenario = build_scenario(self.source, [*self.base_overrides, *file_edits])
        method: Method | None = None
        for key, value in settings:
            if key == METHOD_KEY:
                method = Method.parse(value)
            elif key.startswith(STAFF_PREFIX):
                scenario = with_team_size(scenario, key.removeprefix(STAFF_PREFIX), int(value))
        return scenario, method

    def plan(self, settings: Sequence[Setting]) -> SimulationPlan:
        """The simulation plan of one grid point (seed and replications as configured)."""
        scenario, method = self.scenario(settings)
        return plan_simulation(
            scenario,
            method=method,
            seed=self.seed,
            replications=self.replications,
            horizon=self.horizon,
        )


def shared_pool_notes(workspace: Workspace, team: str) -> tuple[str, ...]:
    """Why sizing ``team`` may not size a pool: the handoff pools it shares with others.

    A handoff to the whole teamspace, or to several teams, reaches agents beyond
    ``team``; changing the team's size then changes that pool by the team's own agents
    only, and the answer is "agents on the team beside the others", not a pool size.
    """
    members = {u for u in workspace.team_members(team) if workspace.is_live_agent(u)}
    notes: list[str] = []
    for ai in workspace.ai_agents.values():
        targets = [ai.handoff.target, *(t for _, t in ai.handoff.by_language)]
        for target in dict.fromkeys(targets):
            pool = workspace.pool_members(ai.teamspace, target)
            others = sorted(pool - members)
            if pool & members and others:
                notes.append(
                    f"team {team} is not a pool of its own: {ai.id} hands off to "
                    f"{target.describe()}, which also reaches {', '.join(others)}; "
                    f"sizes are {team}'s agents beside them"
                )
    return tuple(dict.fromkeys(notes))


def team_template(workspace: Workspace, team: str) -> User:
    """The agent copied to grow ``team``: its first listed live agent on no other team.

    Failing that, its first listed live agent (configuration order). Copies join only
    ``team``, with the template's role, speed and shifts.
    """
    members = _listed_agents(workspace, team)
    if not members:
        raise UsageError(f"team {team!r} has no listed live agent to copy")
    alone = [u for u in members if u.teams == (team,)]
    return (alone or members)[0]


def with_team_size(scenario: Scenario, team: str, size: int) -> Scenario:
    """``scenario`` with exactly ``size`` live agents on ``team``.

    Growing adds copies of :func:`team_template` named ``TEMPLATE-2``, ``TEMPLATE-3``, …
    Shrinking takes the team off its last listed members (configuration order); a
    member left on no team is removed, with its shift. Members through the team's role
    are never removed: asking for fewer is a UsageError.
    """
    ws = scenario.workspace
    if team not in ws.teams:
        known = ", ".join(sorted(ws.teams)) or "none"
        raise UsageError(f"staff.{team}: no team {team!r} (teams: {known})")
    if size < 1:
        raise UsageError(f"staff.{team}: a team needs at least 1 agent, not {size}")
    listed = _listed_agents(ws, team)
    by_role = len([u for u in ws.team_members(team) if ws.is_live_agent(u)]) - len(listed)
    wanted = size - by_role
    if wanted < 0:
        raise UsageError(
            f"staff.{team}: {by_role} agents are on the team through its role; cannot go to {size}"
        )
    users = dict(ws.users)
    shifts = dict(scenario.workload.shifts) if scenario.workload is not None else {}
    if wanted <= len(listed):
        for user in listed[wanted:]:
            remaining = tuple(t for t in user.teams if t != team)
            if remaining:
                users[user.id] = dataclasses.replace(user, teams=remaining)
            else:
                del users[user.id]
                shifts.pop(user.id, None)
    else:
        template = team_template(ws, team)
        number = 2
        for _ in range(wanted - len(listed)):
            while f"{template.id}-{number}" in users:
                number += 1
            copy = User(f"{template.id}-{number}", template.role, (team,), template.speed)
            users[copy.id] = copy
            if template.id in shifts:
                shifts[copy.id] = shifts[template.id]
    return _rebuilt(scenario, list(users.values()), shifts)


def _listed_agents(ws: Workspace, team: str) -> list[User]:
    return [u for u in ws.users.values() if team in u.teams and ws.is_live_agent(u.id)]


def _rebuilt(
    scenario: Scenario, users: list[User], shifts: dict[str, tuple[Interval, ...]]
) -> Scenario:
    ws = scenario.workspace
    workspace = Workspace.build(
        plan=ws.plan,
        roles=list(ws.roles.values()),
        users=users,
        teams=list(ws.teams.values()),
        teamspaces=list(ws.teamspaces.values()),
        ai_agents=list(ws.ai_agents.values()),
        options=ws.options,
    )
    workload = scenario.workload
    if workload is not None:
        workload = dataclasses.replace(workload, shifts=MappingProxyType(shifts))
    return dataclasses.replace(scenario, workspace=workspace, workload=workload)


__all__ = [
    "CAP_KEY",
    "METHOD_KEY",
    "STAFF_PREFIX",
    "Axis",
    "GridPoint",
    "Setting",
    "Variants",
    "build_grid",
    "parse_vary",
    "team_template",
    "with_team_size",
]
