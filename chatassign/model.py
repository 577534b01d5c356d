"""Domain values of a Proto AICX workspace: plans, roles, users, teams, teamspaces, AI agents.

Everything here is an immutable value built once (by ``scenario.py`` or by hand in
tests) and read by the engine. Only the standard library is imported.
See ``docs/semantics.md`` for the rules these values feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import NamedTuple

LIVE_AGENT_PERMISSION = "livechats.view_manage_assigned"
""""View/Manage livechats assigned to them": a user whose role grants it is a live agent."""

TRANSFER_TAKEOVER_PERMISSION = "livechats.transfer_takeover"
"""Transfer a chat assigned to someone else, or take it over."""

KNOWN_PERMISSIONS = frozenset({LIVE_AGENT_PERMISSION, TRANSFER_TAKEOVER_PERMISSION})

ADMIN_ROLE = "admin"
"""The preset role that holds every permission."""

DEFAULT_CAP = 10
"""The default of a teamspace's "auto-assigned chats" cap."""
MAX_CAP = 1_000
"""The largest cap: each chat slot of an agent costs memory in the simulator."""

ChatId = int | str
"""A chat's id: any hashable the caller chooses (the simulator uses ints)."""


class Plan(IntEnum):
    """Subscription tiers, ordered: a higher plan includes everything of a lower one."""

    FREE = 0
    LITE = 1
    PRO = 2
    TOTAL = 3
    ENTERPRISE = 4

    @property
    def label(self) -> str:
        """The name used in files and messages (``pro``)."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Plan:
        """The plan named ``text`` (case-insensitive); ValueError if there is none."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(p.label for p in cls)
            raise ValueError(f"unknown plan {text!r}; expected one of {names}") from None


class Method(StrEnum):
    """A teamspace's assignment method."""

    BALANCED = "balanced"
    RANDOM = "random"
    ROUND_ROBIN = "round-robin"
    VOLUNTARY = "voluntary"

    @property
    def automatic(self) -> bool:
        """True for the methods that place chats by themselves (all but voluntary)."""
        return self is not Method.VOLUNTARY

    @classmethod
    def parse(cls, text: str) -> Method:
        """The method named ``text``; accepts ``round_robin`` and ``roundrobin`` too."""
        key = text.strip().lower().replace("_", "-")
        if key == "roundrobin":
            key = "round-robin"
        for method in cls:
            if method.value == key:
                return method
        names = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown method {text!r}; expected one of {names}")


_METHOD_MIN_PLAN: Mapping[Method, Plan] = MappingProxyType(
    {
        Method.BALANCED: Plan.FREE,
        Method.RANDOM: Plan.LITE,
        Method.ROUND_ROBIN: Plan.PRO,
        Method.VOLUNTARY: Plan.TOTAL,
    }
)

TRANSFER_MIN_PLAN = Plan.LITE
"""Transfers, and takeovers of a chat assigned to someone else, need this plan."""


def required_plan(method: Method) -> Plan:
    """The lowest plan that includes ``method``."""
    return _METHOD_MIN_PLAN[method]


def method_allowed(method: Method, plan: Plan) -> bool:
    """Whether a workspace on ``plan`` may select ``method``."""
    return plan >= _METHOD_MIN_PLAN[method]


class CapCounts(StrEnum):
    """What the cap is compared with."""

    ALL_OPEN = "all_open"
    """Every open livechat of the agent, whatever its origin (the default)."""
    AUTO_ONLY = "auto_only"
    """Only the chats the agent got by automatic placement."""


class OnAway(StrEnum):
    """What happens to an agent's open chats when the agent goes away."""

    KEEP = "keep"
    """The agent keeps them (the default)."""
    REQUEUE = "requeue"
    """They return to the front of the queue in their original order."""


@dataclass(frozen=True, slots=True)
class Role:
    """A named set of permissions; ``all_permissions`` marks the preset admin role."""

    id: str
    permissions: frozenset[str] = frozenset()
    all_permissions: bool = False

    def grants(self, permission: str) -> bool:
        """Whether holders of this role have ``permission``."""
        return self.all_permissions or permission in self.permissions


@dataclass(frozen=True, slots=True)
class User:
    """A person of the workspace. ``speed`` is work done per unit of time (simulation only)."""

    id: str
    role: str
    teams: tuple[str, ...] = ()
    speed: float = 1.0


@dataclass(frozen=True, slots=True)
class Team:
    """A group of users: its listed users plus every holder of ``role``, if set."""

    id: str
    teamspaces: tuple[str, ...] = ()
    role: str | None = None


@dataclass(frozen=True, slots=True)
class AssignmentSettings:
    """A teamspace's assignment rules: the method and the "auto-assigned chats" cap."""

    method: Method = Method.BALANCED
    max_auto_assigned: int = DEFAULT_CAP


@dataclass(frozen=True, slots=True)
class Teamspace:
    """A set of preferences; chatassign reads its assignment settings."""

    id: str
    assignment: AssignmentSettings = AssignmentSettings()


@dataclass(frozen=True, slots=True)
class Target:
    """Who a handoff goes to.

    Exactly one form is used: ``agent`` (a specific agent), ``teamspace`` (every
    live agent of the AI agent's teamspace) or ``users``/``teams`` (their union).
    """

    agent: str | None = None
    teamspace: bool = False
    users: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @property
    def is_direct(self) -> bool:
        """True when the target is one specific agent (method and cap do not apply)."""
        return self.agent is not None

    def describe(self) -> str:
        """A short stable label of the target, used as the pool name in traces."""
        if self.agent is not None:
            return f"agent:{self.agent}"
        if self.teamspace:
            return "teamspace"
        parts = [f"users:{'+'.join(self.users)}"] if self.users else []
        if self.teams:
            parts.append(f"teams:{'+'.join(self.teams)}")
        return ",".join(parts) or "nobody"


@dataclass(frozen=True, slots=True)
class Handoff:
    """An AI agent's Human Handoff: the default target, per-language targets, the check."""

    target: Target
    by_language: tuple[tuple[str, Target], ...] = ()
    availability_check: bool = True

    def target_for(self, language: str | None) -> Target:
        """The target for a chat in ``language``: its own list, else the default."""
        if language is not None:
            for lang, target in self.by_language:
                if lang == language:
                    return target
        return self.target


@dataclass(frozen=True, slots=True)
class AIAgent:
    """An AI agent; it belongs to one teamspace and runs the handoff."""

    id: str
    teamspace: str
    handoff: Handoff
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Options:
    """Engine options that fill gaps in the product documentation (see docs/semantics.md)."""

    cap_counts: CapCounts = CapCounts.ALL_OPEN
    on_away: OnAway = OnAway.KEEP


def _frozen(mapping: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Workspace:
    """One customer account: its plan and every configured object, keyed by id."""

    plan: Plan
    roles: Mapping[str, Role]
    users: Mapping[str, User]
    teams: Mapping[str, Team]
    teamspaces: Mapping[str, Teamspace]
    ai_agents: Mapping[str, AIAgent]
    options: Options = field(default_factory=Options)

    @staticmethod
    def build(
        *,
        plan: Plan,
        roles: list[Role] | tuple[Role, ...] = (),
        users: list[User] | tuple[User, ...] = (),
        teams: list[Team] | tuple[Team, ...] = (),
        teamspaces: list[Teamspace] | tuple[Teamspace, ...] = (),
        ai_agents: list[AIAgent] | tuple[AIAgent, ...] = (),
        options: Options | None = None,
    ) -> Workspace:
        """A workspace from lists of values; the preset ``admin`` role is added if missing."""
        role_map = {r.id: r for r in roles}
        role_map.setdefault(ADMIN_ROLE, Role(ADMIN_ROLE, all_permissions=True))
        return Workspace(
            plan=plan,
            roles=MappingProxyType(role_map),
            users=MappingProxyType({u.id: u for u in users}),
            teams=MappingProxyType({t.id: t for t in teams}),
            teamspaces=MappingProxyType({t.id: t for t in teamspaces}),
            ai_agents=MappingProxyType({a.id: a for a in ai_agents}),
            options=options or Options(),
        )

    def is_live_agent(self, user_id: str) -> bool:
        """Whether the user's role grants the live-agent permission."""
        user = self.users.get(user_id)
        if user is None:
            return False
        role = self.roles.get(user.role)
        return role is not None and role.grants(LIVE_AGENT_PERMISSION)

    def team_members(self, team_id: str) -> frozenset[str]:
        """Every member of the team: listed users plus holders of the team's role."""
        team = self.teams.get(team_id)
        if team is None:
            return frozenset()
        return frozenset(
            u.id for u in self.users.values() if team_id in u.teams or u.role == team.role
        )

    def teamspace_teams(self, teamspace_id: str) -> tuple[str, ...]:
        """The ids of the teams linked to the teamspace, in configuration order."""
        return tuple(t.id for t in self.teams.values() if teamspace_id in t.teamspaces)

    def pool_members(self, teamspace_id: str, target: Target) -> frozenset[str]:
        """The live agents a handoff to ``target`` from ``teamspace_id`` may go to."""
        if target.agent is not None:
            users: set[str] = {target.agent}
        elif target.teamspace:
            users = set()
            for team_id in self.teamspace_teams(teamspace_id):
                users |= self.team_members(team_id)
        else:
            users = set(target.users)
            for team_id in target.teams:
                users |= self.team_members(team_id)
        return frozenset(u for u in users if self.is_live_agent(u))


class Chat(NamedTuple):
    """A chat an AI agent hands off: its id, the AI agent holding it, its language.

    A named tuple rather than a dataclass: the simulator builds one per handoff.
    """

    id: ChatId
    ai_agent: str
    language: str | None = None
