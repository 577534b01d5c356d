"""Semantic checks of a workspace configuration: the rules the schema cannot express.

Each check adds located problems with a stable code (docs/validation.md); none stops
at the first finding. ``workload_checks.py`` holds the checks of the workload.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence, Sized
from dataclasses import dataclass, field

from chatassign import limits
from chatassign.errors import Problem, Severity
from chatassign.model import (
    ADMIN_ROLE,
    KNOWN_PERMISSIONS,
    Workspace,
    method_allowed,
    required_plan,
)
from chatassign.scenario.convert import to_target
from chatassign.scenario.models import ScenarioModel, TargetModel
from chatassign.scenario.yamlsource import FieldPath, SourceMap, format_path


@dataclass
class Findings:
    """The problems found so far in one file, located through its source map."""

    file: str
    source: SourceMap
    problems: list[Problem] = field(default_factory=list)

    def add(self, severity: Severity, path: FieldPath, code: str, message: str) -> None:
        """Record a problem about the value at ``path``."""
        _, where = self.source.locate(path)
        self.problems.append(
            Problem(self.file, where.line, where.column, format_path(path), severity, code, message)
        )

    def error(self, path: FieldPath, code: str, message: str) -> None:
        """Record an error about the value at ``path``."""
        self.add(Severity.ERROR, path, code, message)

    def warning(self, path: FieldPath, code: str, message: str) -> None:
        """Record a warning about the value at ``path``."""
        self.add(Severity.WARNING, path, code, message)


def check_workspace(model: ScenarioModel, workspace: Workspace, findings: Findings) -> None:
    """Every workspace rule: references, plan gating, caps, handoff targets, membership.

    Who is a live agent on which team is unreliable once a user's role or team or an
    AI agent's teamspace is unknown, so the pool and membership checks are skipped
    then: one typo gives one problem, not a cascade.
    """
    before = len(findings.problems)
    _check_sizes(model, findings)
    _check_references(model, findings)
    membership_known = not any(
        p.code.startswith("unknown-") and p.code != "unknown-permission"
        for p in findings.problems[before:]
    )
    _check_duplicates(model, findings)
    _check_teamspaces(model, workspace, findings, check_use=membership_known)
    _check_handoffs(model, workspace, findings, check_pools=membership_known)
    if membership_known:
        _check_membership(workspace, findings)


def _check_sizes(model: ScenarioModel, findings: Findings) -> None:
    """At most ``MAX_USERS`` users and ``MAX_ENTRIES`` of each other kind of entry."""
    collections: list[tuple[str, Sized, int]] = [
        ("users", model.users, limits.MAX_USERS),
        ("teams", model.teams, limits.MAX_ENTRIES),
        ("teamspaces", model.teamspaces, limits.MAX_ENTRIES),
        ("ai_agents", model.ai_agents, limits.MAX_ENTRIES),
        ("roles", model.roles, limits.MAX_ENTRIES),
    ]
    for key, entries, limit in collections:
        problem = limits.count_problem(key.replace("_", " "), len(entries), limit)
        if problem is not None:
            findings.error((key,), "over-limit", problem)


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_ref(
    findings: Findings,
    path: FieldPath,
    name: str,
    known: Iterable[str],
    kind: str,
    section: str | None = None,
) -> bool:
    """Report an unknown reference; True when ``name`` is known.

    ``section`` is where such names are defined (default: ``kind`` + s, ``teams``).
    """
    section = section or f"{kind}s"
    known = list(known)
    if name in known:
        return True
    findings.error(
        path,
        f"unknown-{kind}",
        f"unknown {kind.replace('-', ' ')} {name!r}{_suggest(name, known)}; "
        f"define it under `{section}` or fix the name",
    )
    return False


def _role_ids(model: ScenarioModel) -> list[str]:
    return [*model.roles, ADMIN_ROLE]


def _check_references(model: ScenarioModel, findings: Findings) -> None:
    roles = _role_ids(model)
    for user_id, user in model.users.items():
        _check_ref(findings, ("users", user_id, "role"), user.role, roles, "role")
        for i, team_id in enumerate(user.teams):
            _check_ref(findings, ("users", user_id, "teams", i), team_id, model.teams, "team")
    for team_id, team in model.teams.items():
        if team is None:
            continue
        if team.role is not None:
            _check_ref(findings, ("teams", team_id, "role"), team.role, roles, "role")
        for i, teamspace in enumerate(team.teamspaces):
            _check_ref(
                findings,
                ("teams", team_id, "teamspaces", i),
                teamspace,
                model.teamspaces,
                "teamspace",
            )
    for role_id, permissions in model.roles.items():
        for i, permission in enumerate(permissions or ()):
            if permission not in KNOWN_PERMISSIONS:
                known = ", ".join(sorted(KNOWN_PERMISSIONS))
                findings.warning(
                    ("roles", role_id, i),
                    "unknown-permission",
                    f"chatassign does not know the permission {permission!r}"
                    f"{_suggest(permission, KNOWN_PERMISSIONS)}; it has no effect here "
                    f"(known: {known})",
                )
    for ai_id, ai in model.ai_agents.items():
        _check_ref(
            findings, ("ai_agents", ai_id, "teamspace"), ai.teamspace, model.teamspaces, "teamspace"
        )
        for language, path in _language_targets(ai_id, model):
            _check_ref(
                findings,
                path,
                language,
                ai.languages,
                "language",
                f"ai_agents.{ai_id}.languages",
            )


def _language_targets(ai_id: str, model: ScenarioModel) -> list[tuple[str, FieldPath]]:
    by_language = model.ai_agents[ai_id].handoff.by_language
    return [(lang, ("ai_agents", ai_id, "handoff", "by_language", lang)) for lang in by_language]


def _check_duplicates(model: ScenarioModel, findings: Findings) -> None:
    lists: list[tuple[FieldPath, Sequence[str]]] = []
    lists += [(("roles", r), p or []) for r, p in model.roles.items()]
    lists += [(("users", u, "teams"), user.teams) for u, user in model.users.items()]
    lists += [
        (("teams", t, "teamspaces"), team.teamspaces) for t, team in model.teams.items() if team
    ]
    for ai_id, ai in model.ai_agents.items():
        lists.append((("ai_agents", ai_id, "languages"), ai.languages))
        for path, target in _targets(ai_id, model):
            lists += [((*path, "users"), target.users), ((*path, "teams"), target.teams)]
    for path, items in lists:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item in seen:
                findings.warning(
                    (*path, i), "duplicate-entry", f"{item!r} is listed twice; remove one"
                )
            seen.add(item)


def _check_teamspaces(
    model: ScenarioModel, workspace: Workspace, findings: Findings, *, check_use: bool
) -> None:
    used = {ai.teamspace for ai in model.ai_agents.values()}
    for teamspace_id, teamspace in workspace.teamspaces.items():
        path: FieldPath = ("teamspaces", teamspace_id, "assignment")
        method, cap = teamspace.assignment.method, teamspace.assignment.max_auto_assigned
        if not method_allowed(method, workspace.plan):
            findings.error(
                (*path, "method"),
                "plan-method",
                f"{method.value} needs plan {required_plan(method).label} or above; "
                f"this workspace is on {workspace.plan.label} (change the method or the plan)",
            )
        if cap < 1:
            findings.error(
                (*path, "max_auto_assigned"),
                "cap-below-one",
                f"the cap must be at least 1, got {cap}; with 0 no chat could be placed",
            )
        elif (too_large := limits.cap_problem(cap)) is not None:
            findings.error((*path, "max_auto_assigned"), "over-limit", too_large)
        if check_use and teamspace_id not in used:
            findings.warning(
                ("teamspaces", teamspace_id),
                "teamspace-no-ai-agent",
                f"no AI agent belongs to teamspace {teamspace_id!r}, so no chat reaches it; "
                "add an AI agent or remove the teamspace",
            )


def _targets(ai_id: str, model: ScenarioModel) -> list[tuple[FieldPath, TargetModel]]:
    handoff = model.ai_agents[ai_id].handoff
    base: FieldPath = ("ai_agents", ai_id, "handoff")
    found: list[tuple[FieldPath, TargetModel]] = [((*base, "target"), handoff.target)]
    found += [((*base, "by_language", lang), t) for lang, t in handoff.by_language.items()]
    return found


def _check_handoffs(
    model: ScenarioModel, workspace: Workspace, findings: Findings, *, check_pools: bool
) -> None:
    for ai_id, ai in model.ai_agents.items():
        for path, target in _targets(ai_id, model):
            if not _check_target_form(path, target, findings):
                continue
            if _check_target_refs(path, target, model, findings) and check_pools:
                _check_pool(ai_id, ai.teamspace, path, target, workspace, findings)
            for i, team_id in enumerate(target.teams):
                team = model.teams.get(team_id)
                if team_id in model.teams and ai.teamspace not in (team.teamspaces if team else []):
                    findings.error(
                        (*path, "teams", i),
                        "team-not-in-teamspace",
                        f"team {team_id!r} is not linked to teamspace {ai.teamspace!r} of AI "
                        f"agent {ai_id!r}; add {ai.teamspace!r} to teams.{team_id}.teamspaces",
                    )


def _check_target_form(path: FieldPath, target: TargetModel, findings: Findings) -> bool:
    forms = [target.agent is not None, target.teamspace, bool(target.users or target.teams)]
    if sum(forms) == 1:
        return True
    what = "names no one" if sum(forms) == 0 else "mixes several forms"
    findings.error(
        path,
        "target-form",
        f"the target {what}; use exactly one of {{agent: id}}, {{teamspace: true}} "
        "or {users: [...], teams: [...]}",
    )
    return False


def _check_target_refs(
    path: FieldPath, target: TargetModel, model: ScenarioModel, findings: Findings
) -> bool:
    ok = True
    if target.agent is not None:
        ok &= _check_ref(findings, (*path, "agent"), target.agent, model.users, "user")
    for i, user in enumerate(target.users):
        ok &= _check_ref(findings, (*path, "users", i), user, model.users, "user")
    for i, team in enumerate(target.teams):
        ok &= _check_ref(findings, (*path, "teams", i), team, model.teams, "team")
    return ok


def _check_pool(
    ai_id: str,
    teamspace_id: str,
    path: FieldPath,
    target: TargetModel,
    workspace: Workspace,
    findings: Findings,
) -> None:
    if target.agent is not None:
        if not workspace.is_live_agent(target.agent):
            findings.error(
                (*path, "agent"),
                "agent-not-live",
                f"{target.agent!r} cannot receive chats: their role lacks the live-agent "
                "permission livechats.view_manage_assigned; grant it or pick a live agent",
            )
        return
    for i, user in enumerate(target.users):
        if not workspace.is_live_agent(user):
            findings.warning(
                (*path, "users", i),
                "user-not-live",
                f"{user!r} is not a live agent (role lacks livechats.view_manage_assigned), "
                "so no chat goes to them; grant the permission or remove them",
            )
    if not workspace.pool_members(teamspace_id, to_target(target)):
        findings.error(
            path,
            "pool-no-live-agent",
            f"no live agent can receive chats handed off by {ai_id!r} here; add a user whose "
            "role grants livechats.view_manage_assigned to this target's teams or users",
        )


def _check_membership(workspace: Workspace, findings: Findings) -> None:
    members = {team_id: workspace.team_members(team_id) for team_id in workspace.teams}
    for team_id, team_members in members.items():
        if not any(workspace.is_live_agent(user) for user in team_members):
            findings.warning(
                ("teams", team_id),
                "team-no-live-agent",
                f"team {team_id!r} has no live agent, so it can take no chat; add one",
            )
    on_a_team = set().union(*members.values()) if members else set()
    for user_id in workspace.users:
        if workspace.is_live_agent(user_id) and user_id not in on_a_team:
            findings.warning(
                ("users", user_id),
                "agent-no-team",
                f"live agent {user_id!r} is on no team, so no chat is assigned to them "
                "automatically; add them to a team",
            )
