"""Semantic checks of a workload: references, ranges, shifts, language mixes and capacity.

``traffic_checks.py`` holds the warnings about chats that could never be served.
"""

from __future__ import annotations

import difflib
import math
from collections import defaultdict

from chatassign import limits
from chatassign.model import TRANSFER_MIN_PLAN, Method, Workspace
from chatassign.scenario.checks import Findings
from chatassign.scenario.convert import rate_schedule
from chatassign.scenario.models import (
    ArrivalModel,
    EscalationModel,
    IntervalModel,
    LanguageModel,
    ScenarioModel,
    WorkloadModel,
)
from chatassign.scenario.traffic_checks import check_traffic, expected_arrivals
from chatassign.scenario.yamlsource import FieldPath
from chatassign.workload.quantities import DayStart, format_duration, format_moment

MAX_RATE = 100.0
"""Arrivals per second above which a file is surely a typo (360 000 per hour)."""
MAX_HORIZON = limits.MAX_HORIZON_S
MAX_SELF = limits.MAX_SELF_LIMIT
MAX_EXPECTED_ARRIVALS = 10_000_000
"""Expected arrivals of one replication above which a simulation would not finish."""
MAX_FACTOR = 1_000.0
"""Largest speed or slowdown factor."""
_SUM_TOLERANCE = 1e-6


def check_workload(model: ScenarioModel, workspace: Workspace, findings: Findings) -> None:
    """Every workload rule; ``model.workload`` must be present."""
    workload = model.workload
    assert workload is not None
    _check_ranges(model, workload, findings)
    for ai_id, arrival in workload.arrivals.items():
        path: FieldPath = ("workload", "arrivals", ai_id)
        if ai_id not in model.ai_agents:
            findings.error(
                path,
                "unknown-ai-agent",
                f"unknown AI agent {ai_id!r}; arrivals are keyed by ids under `ai_agents`",
            )
        _check_arrival(model, path, arrival, findings)
        if arrival.escalation is not None:
            _check_escalation(model, workspace, path, arrival.escalation, findings)
    for user_id, spans in workload.shifts.items():
        if user_id not in model.users:
            findings.error(
                ("workload", "shifts", user_id),
                "unknown-user",
                f"unknown user {user_id!r}; shifts are keyed by ids under `users`",
            )
        _check_shift(
            ("workload", "shifts", user_id), spans, workload.horizon, workload.starts_at, findings
        )
    # Only a workload that is otherwise valid gets the volume and capacity checks.
    valid = not any(p.is_error for p in findings.problems)
    if valid and _check_volume(workload, findings):
        _check_capacity(model, workspace, findings)
        check_traffic(model, workspace, findings)


def _check_ranges(model: ScenarioModel, workload: WorkloadModel, findings: Findings) -> None:
    base: FieldPath = ("workload",)

    def out_of_range(key: str, message: str) -> None:
        findings.error((*base, key), "value-range", message)

    horizon = limits.horizon_problem(workload.horizon)
    if horizon is not None:
        out_of_range("horizon", horizon)
    if workload.warmup >= workload.horizon > 0:
        out_of_range("warmup", "the warm-up must end before the horizon; shorten it")
    replications = limits.replications_problem(workload.replications)
    if replications is not None:
        out_of_range("replications", replications)
    slowdown = workload.concurrency_slowdown
    if not slowdown or not all(0 < factor <= MAX_FACTOR for factor in slowdown):
        out_of_range(
            "concurrency_slowdown",
            f"give one or more factors, each above 0 and at most {MAX_FACTOR:g} (e.g. [1.0, 1.25])",
        )
    if workload.voluntary is not None and not 1 <= workload.voluntary.self_limit <= MAX_SELF:
        findings.error(
            ("workload", "voluntary", "self_limit"),
            "value-range",
            f"self_limit must be 1 to {MAX_SELF:,}",
        )
    for user_id, user in model.users.items():
        if not 0 < user.speed <= MAX_FACTOR:
            findings.error(
                ("users", user_id, "speed"),
                "value-range",
                f"speed must be above 0 and at most {MAX_FACTOR:g} (1 = normal)",
            )


def _check_arrival(
    model: ScenarioModel, path: FieldPath, arrival: ArrivalModel, findings: Findings
) -> None:
    assert model.workload is not None
    _check_rates(path, arrival, model.workload.starts_at, findings)
    if not 0.0 <= arrival.handoff_probability <= 1.0:
        findings.error(
            (*path, "handoff_probability"),
            "probability-range",
            f"a probability must be between 0 and 1, got {arrival.handoff_probability:g}",
        )
    if not arrival.languages:
        return
    ai = model.ai_agents.get(str(path[-1]))
    for language, share in arrival.shares.items():
        where: FieldPath = (*path, "languages", language)
        if isinstance(arrival.languages[language], LanguageModel):
            where = (*where, "share")
        if not 0.0 <= share <= 1.0:
            findings.error(
                where, "probability-range", f"a share must be between 0 and 1, got {share:g}"
            )
        if ai is not None and language not in ai.languages:
            findings.error(
                where,
                "unknown-language",
                f"AI agent {path[-1]!r} does not speak {language!r}; add it to "
                f"ai_agents.{path[-1]}.languages or remove it from the mix",
            )
    total = math.fsum(arrival.shares.values())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        findings.error(
            (*path, "languages"),
            "language-mix-sum",
            f"the language shares sum to {total:g}, not 1; adjust them",
        )


def _check_escalation(
    model: ScenarioModel,
    workspace: Workspace,
    path: FieldPath,
    escalation: EscalationModel,
    findings: Findings,
) -> None:
    """Transfers need lite; the teams must exist, be linked and hold a live agent."""
    where: FieldPath = (*path, "escalation")
    if model.plan < TRANSFER_MIN_PLAN:
        findings.error(
            where,
            "escalation-plan",
            f"escalations are transfers, which need plan {TRANSFER_MIN_PLAN.label} or above; "
            f"this workspace is on {model.plan.label}: raise the plan or remove the escalation",
        )
    if not 0.0 <= escalation.probability <= 1.0:
        findings.error(
            (*where, "probability"),
            "probability-range",
            f"a probability must be between 0 and 1, got {escalation.probability:g}",
        )
    ai = model.ai_agents.get(str(path[-1]))
    for i, team_id in enumerate(escalation.to.teams):
        at: FieldPath = (*where, "to", "teams", i)
        team = model.teams.get(team_id)
        if team_id not in model.teams:
            close = difflib.get_close_matches(team_id, list(model.teams), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            findings.error(
                at,
                "unknown-team",
                f"unknown team {team_id!r}{hint}; define it under `teams` or fix the name",
            )
        elif ai is not None and ai.teamspace not in (team.teamspaces if team else []):
            findings.error(
                at,
                "team-not-in-teamspace",
                f"team {team_id!r} is not linked to teamspace {ai.teamspace!r} of AI agent "
                f"{path[-1]!r}; add {ai.teamspace!r} to teams.{team_id}.teamspaces",
            )
        elif not any(workspace.is_live_agent(u) for u in workspace.team_members(team_id)):
            findings.error(
                at,
                "escalation-no-live-agent",
                f"team {team_id!r} has no live agent, so no escalated chat could ever be "
                "served there; add one or escalate to another team",
            )


def _check_rates(
    path: FieldPath, arrival: ArrivalModel, start: DayStart | None, findings: Findings
) -> None:
    if isinstance(arrival.rate, float):
        rates: list[tuple[FieldPath, float]] = [((*path, "rate"), arrival.rate)]
    else:
        rates = [((*path, "rate", i, "rate"), s.rate) for i, s in enumerate(arrival.rate)]
        _check_schedule_order(path, arrival, start, findings)
    for where, rate in rates:
        if rate > MAX_RATE:
            findings.error(
                where,
                "rate-range",
                f"{rate * 3600:g}/h is above the limit of {MAX_RATE * 3600:g}/h; "
                "check the unit (/s, /m, /h, /d)",
            )


def _check_schedule_order(
    path: FieldPath, arrival: ArrivalModel, start: DayStart | None, findings: Findings
) -> None:
    assert not isinstance(arrival.rate, float)
    previous = 0.0
    for i, segment in enumerate(arrival.rate):
        last = i == len(arrival.rate) - 1
        if segment.until is None and not last:
            findings.error(
                (*path, "rate", i),
                "schedule-order",
                "only the last piece of a rate schedule may leave out `until`",
            )
        elif segment.until is not None and segment.until <= previous:
            findings.error(
                (*path, "rate", i, "until"),
                "schedule-order",
                f"`until` must increase from piece to piece "
                f"({format_moment(segment.until, start)} is not after "
                f"{format_moment(previous, start)})",
            )
        if segment.until is not None:  # an open piece out of place was reported above
            previous = max(previous, segment.until)


def _check_shift(
    path: FieldPath,
    spans: list[IntervalModel],
    horizon: float,
    start: DayStart | None,
    findings: Findings,
) -> None:
    def at(offset: float) -> str:
        return format_moment(offset, start)

    ordered = sorted(enumerate(spans), key=lambda pair: pair[1].start)
    for i, span in enumerate(spans):
        if span.start >= span.end:
            findings.error(
                (*path, i, "to"),
                "shift-order",
                f"the shift ends ({at(span.end)}) before it starts "
                f"({at(span.start)}); swap `from` and `to`",
            )
        elif span.end > horizon:
            findings.error(
                (*path, i, "to"),
                "shift-outside-horizon",
                f"the shift ends at {at(span.end)}, after the horizon "
                f"({_horizon_text(horizon, start)}); end it by then",
            )
    latest: IntervalModel | None = None
    for j, span in ordered:
        if latest is not None and span.start < latest.end:
            findings.error(
                (*path, j, "from"),
                "shift-overlap",
                f"this shift starts at {at(span.start)}, before the shift "
                f"from {at(latest.start)} ends ({at(latest.end)}); "
                "merge or separate them",
            )
        if latest is None or span.end > latest.end:
            latest = span


def _horizon_text(horizon: float, start: DayStart | None) -> str:
    """``8h``, or ``17:00, 8h after 09:00`` when the day has a clock start."""
    if start is None:
        return format_duration(horizon)
    return f"{start.clock_at(horizon)}, {format_duration(horizon)} after {start.clock_at(0)}"


def _check_volume(workload: WorkloadModel, findings: Findings) -> bool:
    """Report a workload too large to simulate; True when its size is fine."""
    horizon = min(workload.horizon, MAX_HORIZON)
    expected = math.fsum(expected_arrivals(a, horizon) for a in workload.arrivals.values())
    if expected > MAX_EXPECTED_ARRIVALS:
        findings.error(
            ("workload", "arrivals"),
            "workload-too-large",
            f"about {expected:.3g} customers per replication would arrive; the limit is "
            f"{MAX_EXPECTED_ARRIVALS:.0e}: lower the rates or the horizon",
        )
        return False
    return True


def _check_capacity(model: ScenarioModel, workspace: Workspace, findings: Findings) -> None:
    """Warn where a pool's summed caps cannot hold its offered load at the peak rate."""
    workload = model.workload
    assert workload is not None
    load: dict[tuple[str, frozenset[str]], float] = defaultdict(float)
    first_path: dict[tuple[str, frozenset[str]], FieldPath] = {}
    for ai_id, arrival in workload.arrivals.items():
        ai = workspace.ai_agents.get(ai_id)
        if ai is None or ai.teamspace not in workspace.teamspaces:
            continue
        peak = max(s.rate for s in rate_schedule(arrival)) * arrival.handoff_probability
        shares = dict(arrival.shares) or {"": 1.0}
        for language, share in shares.items():
            target = ai.handoff.target_for(language or None)
            members = workspace.pool_members(ai.teamspace, target)
            if target.is_direct or not members:
                continue
            key = (ai.teamspace, members)
            load[key] += peak * share * _mean_work(workload, arrival, language)
            first_path.setdefault(key, ("workload", "arrivals", ai_id, "rate"))
    for key, offered in load.items():
        capacity = _pool_capacity(key, workspace, model)
        if capacity < offered:
            teamspace, members = key
            findings.warning(
                first_path[key],
                "capacity-below-load",
                f"the pool {', '.join(sorted(members))} of teamspace {teamspace!r} can work "
                f"{capacity:.3g} chats at once but the offered load at the peak rate is "
                f"{offered:.3g}; the queue will grow: add agents, raise the cap or lower the rate",
            )


def _mean_work(workload: WorkloadModel, arrival: ArrivalModel, language: str) -> float:
    """The mean handle time of an AI agent's chats in ``language`` ("" for none)."""
    entry = arrival.languages.get(language)
    if isinstance(entry, LanguageModel) and entry.handle_time is not None:
        return entry.handle_time.mean
    own = arrival.handle_time
    return (workload.handle_time if own is None else own).mean


def _pool_capacity(
    key: tuple[str, frozenset[str]], workspace: Workspace, model: ScenarioModel
) -> float:
    """Work done per second when every pool member holds the cap (speed / slowdown)."""
    workload = model.workload
    assert workload is not None
    teamspace_id, members = key
    settings = workspace.teamspaces[teamspace_id].assignment
    cap = settings.max_auto_assigned
    if settings.method is Method.VOLUNTARY:
        cap = workload.voluntary.self_limit if workload.voluntary else 3
    cap = max(cap, 1)
    slowdown = workload.concurrency_slowdown or [1.0]
    factor = slowdown[min(cap, len(slowdown)) - 1] or 1.0
    return math.fsum(cap * workspace.users[user].speed / factor for user in members)
