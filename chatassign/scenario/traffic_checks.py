"""Warnings about a workload under which no chat, or almost none, could ever be served.

Run only on a workload without errors (``workload_checks.check_workload``), so each
warning is a consequence of the file as written, never of another problem.
"""

from __future__ import annotations

from collections.abc import Iterable

from chatassign.model import Workspace
from chatassign.scenario.checks import Findings
from chatassign.scenario.convert import rate_schedule
from chatassign.scenario.models import ArrivalModel, ScenarioModel, WorkloadModel
from chatassign.scenario.yamlsource import FieldPath
from chatassign.workload.quantities import format_duration, format_moment
from chatassign.workload.values import arrivals_between

BRIEFLY_ONLINE = 0.1
"""Share of the measured window below which a pool that is online at all is reported."""


def check_traffic(model: ScenarioModel, workspace: Workspace, findings: Findings) -> None:
    """Warn about silent arrivals, AI time past the horizon and pools never online."""
    workload = model.workload
    assert workload is not None
    active = {
        ai_id: arrival
        for ai_id, arrival in workload.arrivals.items()
        if expected_arrivals(arrival, workload.horizon) > 0 and arrival.handoff_probability > 0
    }
    if not active:
        findings.warning(
            ("workload", "arrivals"),
            "no-traffic",
            "no chat is ever handed off: no arrival stream has both a rate above 0 within "
            "the horizon and a handoff_probability above 0; give at least one AI agent a "
            "rate (e.g. 60/h) and a handoff_probability above 0",
        )
        return
    for ai_id, arrival in active.items():
        _check_ai_time(ai_id, arrival, workload, findings)
    _check_online(model, workspace, active, findings)


def expected_arrivals(arrival: ArrivalModel, horizon: float) -> float:
    """Customers expected to reach the AI agent in [0, ``horizon``) seconds."""
    return arrivals_between(rate_schedule(arrival), 0.0, horizon)


def _check_ai_time(
    ai_id: str, arrival: ArrivalModel, workload: WorkloadModel, findings: Findings
) -> None:
    mean = arrival.ai_time.mean
    if mean >= workload.horizon:
        findings.warning(
            ("workload", "arrivals", ai_id, "ai_time"),
            "ai-time-beyond-horizon",
            f"the mean AI time ({format_duration(mean)}) is not below the horizon "
            f"({format_duration(workload.horizon)}), so chats are still with {ai_id!r} when "
            "the run ends and almost none is handed off; shorten ai_time (a few minutes is "
            "usual) or lengthen the horizon",
        )


def _check_online(
    model: ScenarioModel,
    workspace: Workspace,
    active: dict[str, ArrivalModel],
    findings: Findings,
) -> None:
    """Warn at each handoff target reached whose live agents are (almost) never online."""
    workload = model.workload
    assert workload is not None
    start, end = workload.warmup, workload.horizon
    window = end - start
    window_text = (
        f"[{format_moment(start, workload.starts_at)}, {format_moment(end, workload.starts_at)})"
    )
    seen: set[FieldPath] = set()
    for ai_id, arrival in active.items():
        ai = workspace.ai_agents.get(ai_id)
        if ai is None or ai.teamspace not in workspace.teamspaces:
            continue
        languages: list[str | None] = [
            lang for lang, share in arrival.shares.items() if share > 0
        ] or [None]
        for language in languages:
            path = _target_path(model, ai_id, language)
            members = workspace.pool_members(ai.teamspace, ai.handoff.target_for(language))
            if path in seen or not members:
                continue
            seen.add(path)
            online = _online_time(members, workload, start, end)
            who = ", ".join(sorted(members))
            if online <= 0:
                findings.warning(
                    path,
                    "pool-never-online",
                    f"no live agent of this target ({who}) is online in the measured window "
                    f"{window_text}, so chats handed off by {ai_id!r} are never served; give one "
                    "of them a shift in that window under workload.shifts, or leave them out "
                    "of `shifts` to keep them online all the time",
                )
            elif online < BRIEFLY_ONLINE * window:
                findings.warning(
                    path,
                    "pool-online-briefly",
                    f"the live agents of this target ({who}) are online only "
                    f"{format_duration(online)} of the measured window {window_text} (under "
                    f"{BRIEFLY_ONLINE:.0%}), so most chats handed off by {ai_id!r} wait for "
                    "them; lengthen their shifts under workload.shifts or add agents",
                )


def _target_path(model: ScenarioModel, ai_id: str, language: str | None) -> FieldPath:
    """Where the target a chat in ``language`` goes to is written."""
    base: FieldPath = ("ai_agents", ai_id, "handoff")
    if language is not None and language in model.ai_agents[ai_id].handoff.by_language:
        return (*base, "by_language", language)
    return (*base, "target")


def _online_time(
    members: Iterable[str], workload: WorkloadModel, start: float, end: float
) -> float:
    """Seconds of [start, end) in which at least one of ``members`` is online.

    A user absent from ``workload.shifts`` is online all the time.
    """
    spans: list[tuple[float, float]] = []
    for user in members:
        if user not in workload.shifts:
            return end - start
        spans += [(max(s.start, start), min(s.end, end)) for s in workload.shifts[user]]
    total, reached = 0.0, start
    for lo, hi in sorted(s for s in spans if s[1] > s[0]):
        if hi > reached:
            total += hi - max(lo, reached)
            reached = hi
    return total
