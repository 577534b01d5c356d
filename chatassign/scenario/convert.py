"""Validated scenario models turned into the engine's domain values."""

from __future__ import annotations

import math
from types import MappingProxyType

from chatassign.model import (
    ADMIN_ROLE,
    AIAgent,
    AssignmentSettings,
    CapCounts,
    Handoff,
    OnAway,
    Options,
    Role,
    Target,
    Team,
    Teamspace,
    User,
    Workspace,
)
from chatassign.scenario.models import (
    ArrivalModel,
    LanguageModel,
    ScenarioModel,
    TargetModel,
    TeamModel,
    TeamspaceModel,
    WorkloadModel,
)
from chatassign.workload.values import (
    ArrivalStream,
    Escalation,
    Interval,
    LanguageParameters,
    RateSegment,
    Scenario,
    VoluntaryBehaviour,
    Workload,
)


def to_workspace(model: ScenarioModel) -> Workspace:
    """The workspace a scenario file describes (references are not checked here)."""
    roles = [
        Role(role_id, frozenset(permissions or ()), all_permissions=role_id == ADMIN_ROLE)
        for role_id, permissions in model.roles.items()
    ]
    users = [
        User(user_id, user.role, tuple(user.teams), user.speed)
        for user_id, user in model.users.items()
    ]
    teams = [_team(team_id, team or TeamModel()) for team_id, team in model.teams.items()]
    teamspaces = [
        _teamspace(teamspace_id, teamspace or TeamspaceModel())
        for teamspace_id, teamspace in model.teamspaces.items()
    ]
    ai_agents = [
        AIAgent(
            ai_id,
            ai.teamspace,
            Handoff(
                to_target(ai.handoff.target),
                tuple((lang, to_target(t)) for lang, t in ai.handoff.by_language.items()),
                ai.handoff.availability_check,
            ),
            tuple(ai.languages),
        )
        for ai_id, ai in model.ai_agents.items()
    ]
    options = Options(CapCounts(model.options.cap_counts), OnAway(model.options.on_away))
    return Workspace.build(
        plan=model.plan,
        roles=roles,
        users=users,
        teams=teams,
        teamspaces=teamspaces,
        ai_agents=ai_agents,
        options=options,
    )


def _team(team_id: str, team: TeamModel) -> Team:
    return Team(team_id, tuple(team.teamspaces), team.role)


def _teamspace(teamspace_id: str, teamspace: TeamspaceModel) -> Teamspace:
    settings = teamspace.assignment
    return Teamspace(teamspace_id, AssignmentSettings(settings.method, settings.max_auto_assigned))


def to_target(target: TargetModel) -> Target:
    """The domain target of a handoff target model."""
    return Target(target.agent, target.teamspace, tuple(target.users), tuple(target.teams))


def to_workload(model: WorkloadModel) -> Workload:
    """The workload a scenario file describes (ranges are checked in ``checks.py``)."""
    voluntary = (
        VoluntaryBehaviour(model.voluntary.pickup_delay, model.voluntary.self_limit)
        if model.voluntary is not None
        else None
    )
    shifts = {
        user: tuple(Interval(span.start, span.end) for span in spans)
        for user, spans in model.shifts.items()
    }
    return Workload(
        horizon=model.horizon,
        arrivals=tuple(_stream(ai_id, arrival) for ai_id, arrival in model.arrivals.items()),
        handle_time=model.handle_time,
        warmup=model.warmup,
        seed=model.seed,
        replications=model.replications,
        concurrency_slowdown=tuple(model.concurrency_slowdown),
        patience=model.patience,
        service_level_threshold=model.service_level_threshold,
        shifts=MappingProxyType(shifts),
        voluntary=voluntary,
        run_to_completion=model.run_to_completion,
        starts_at=model.starts_at,
    )


def rate_schedule(arrival: ArrivalModel) -> tuple[RateSegment, ...]:
    """The arrival rate as segments; a single rate is one segment lasting forever."""
    if isinstance(arrival.rate, float):
        return (RateSegment(math.inf, arrival.rate),)
    return tuple(
        RateSegment(math.inf if segment.until is None else segment.until, segment.rate)
        for segment in arrival.rate
    )


def _stream(ai_id: str, arrival: ArrivalModel) -> ArrivalStream:
    escalation = arrival.escalation
    return ArrivalStream(
        ai_agent=ai_id,
        schedule=rate_schedule(arrival),
        handoff_probability=arrival.handoff_probability,
        ai_time=arrival.ai_time,
        languages=tuple(arrival.shares.items()),
        handle_time=arrival.handle_time,
        patience=arrival.patience,
        by_language=tuple(
            LanguageParameters(language, entry.handle_time, entry.patience)
            for language, entry in arrival.languages.items()
            if isinstance(entry, LanguageModel)
            and (entry.handle_time is not None or entry.patience is not None)
        ),
        escalation=None
        if escalation is None
        else Escalation(
            escalation.probability,
            escalation.after,
            tuple(escalation.to.teams),
            escalation.handle_time,
        ),
    )


def to_scenario(model: ScenarioModel, *, default_name: str, source: str | None) -> Scenario:
    """The scenario: its name (``default_name`` if the file gives none), workspace, workload."""
    workload = to_workload(model.workload) if model.workload is not None else None
    return Scenario(
        name=model.name or default_name,
        workspace=to_workspace(model),
        workload=workload,
        source=source,
    )
