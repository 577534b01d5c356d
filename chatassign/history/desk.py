"""A fitted desk as a scenario document: the workspace (given or built) and the workload.

With a base scenario its plan, roles, users, teams, teamspaces, AI agents and options
are kept and only the workload is replaced. Without one a plausible workspace is built
from the export: one team per ``team`` value, every agent a member of the teams that
took at least 5 % of their chats, one teamspace ``desk`` with the balanced method and
the cap set to the most chats an agent held at once, one AI agent per ``ai_agent``
value handing off to the teams that took at least 5 % of its chats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from chatassign.errors import ExportError
from chatassign.history.export import read_export
from chatassign.history.fit import MIN_ABANDONED, MIN_WORK_CHATS, DeskFit, FitOptions, fit_desk
from chatassign.history.fit_report import fit_report
from chatassign.history.mapping import ExportMapping, load_mapping
from chatassign.scenario import load_scenario, read_document, scenario_from_document
from chatassign.scenario.yamlsource import YamlValue, parse_yaml
from chatassign.workload.quantities import format_clock, format_duration

TEAMSPACE = "desk"
"""The teamspace of a built workspace."""
DEFAULT_TEAM = "agents"
"""The team of a built workspace when the export has no team column."""
PLAN = "pro"
"""The plan of a built workspace: every automatic method is allowed on it."""
ROLE = "agent"


def fitted_document(
    fit: DeskFit, *, base: dict[str, YamlValue] | None, name: str
) -> tuple[dict[str, YamlValue], list[str]]:
    """The scenario document of ``fit`` (on ``base`` when given) and notes about it."""
    notes: list[str] = []
    if base is None:
        if "agent" not in fit.export.mapped:
            raise ExportError(
                f"{fit.export.file}: the mapping names no `agent` column, so there are no "
                "agents to build a workspace from; map it, or give the workspace with --workspace"
            )
        document = _built_workspace(fit, name)
    else:
        document = {key: value for key, value in base.items() if key != "workload"}
        document["name"] = name
        _check_streams(fit, document)
    document["workload"] = _workload(fit, document, base, notes)
    return document, notes


def scenario_text(document: dict[str, YamlValue], *, header: str) -> str:
    """The document as YAML text, keys in document order, after ``header`` comment lines."""
    body = yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
    )
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comments + body


def _built_workspace(fit: DeskFit, name: str) -> dict[str, YamlValue]:
    teams = sorted({t for members in fit.agent_teams.values() for t in members}) or [DEFAULT_TEAM]
    users: dict[str, YamlValue] = {}
    for agent in sorted(fit.shifts):
        member_of: list[YamlValue] = list(fit.agent_teams.get(agent) or [DEFAULT_TEAM])
        users[agent] = {"role": ROLE, "teams": member_of}
    ai_agents: dict[str, YamlValue] = {}
    for stream in fit.streams:
        targets = fit.stream_teams.get(stream.name) or []
        target: dict[str, YamlValue] = (
            {"teams": list[YamlValue](targets)} if targets else {"teamspace": True}
        )
        ai_agents[stream.name] = {
            "teamspace": TEAMSPACE,
            "languages": list[YamlValue](stream.languages),
            "handoff": {"target": target},
        }
    return {
        "name": name,
        "plan": PLAN,
        "roles": {ROLE: ["livechats.view_manage_assigned"]},
        "users": users,
        "teams": {team: {"teamspaces": [TEAMSPACE]} for team in teams},
        "teamspaces": {
            TEAMSPACE: {"assignment": {"method": "balanced", "max_auto_assigned": fit.cap}}
        },
        "ai_agents": ai_agents,
    }


def _check_streams(fit: DeskFit, document: dict[str, YamlValue]) -> None:
    known = document.get("ai_agents")
    known = known if isinstance(known, dict) else {}
    unknown = [stream.name for stream in fit.streams if stream.name not in known]
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        raise ExportError(
            f"the export hands off from AI agents the workspace does not have: {names}; "
            "add them under ai_agents or fit without --workspace"
        )


def _workload(
    fit: DeskFit,
    document: dict[str, YamlValue],
    base: dict[str, YamlValue] | None,
    notes: list[str],
) -> dict[str, YamlValue]:
    old = base.get("workload") if base is not None else None
    old = old if isinstance(old, dict) else {}
    workload: dict[str, YamlValue] = {
        "horizon": format_duration(fit.period.horizon),
        "starts_at": _starts_at(fit),
        "seed": old.get("seed", 1),
        "replications": old.get("replications", 10),
        "arrivals": _arrivals(fit, document, notes),
        "handle_time": fit.handle_time.describe(),
        "concurrency_slowdown": [round(s, 3) for s in fit.work.slowdown],
    }
    patience = fit.patience
    if patience is not None:
        workload["patience"] = patience.describe()
    if "service_level_threshold" in old:
        workload["service_level_threshold"] = old["service_level_threshold"]
    if "agent" in fit.export.mapped:
        workload["shifts"] = _shifts(fit, document, notes)
    else:
        notes.append(
            "the export names no agents: every user of the workspace is online all day and "
            "the slowdown could not be fitted"
        )
    if "voluntary" in old:
        workload["voluntary"] = old["voluntary"]
    workload["run_to_completion"] = True
    return workload


def _starts_at(fit: DeskFit) -> str:
    """The clock time of time 0, with the date for one date or the whole period.

    ``backtest`` and ``--replay`` read it to place the scenario's day on the export.
    """
    period = fit.period
    clock = format_clock(period.start_clock or 0.0)
    return clock if period.kind == "weekday" else f"{period.dates[0].isoformat()} {clock}"


def _arrivals(
    fit: DeskFit, document: dict[str, YamlValue], notes: list[str]
) -> dict[str, YamlValue]:
    agents = document.get("ai_agents")
    agents = agents if isinstance(agents, dict) else {}
    interval = fit.options.interval
    arrivals: dict[str, YamlValue] = {}
    for stream in fit.streams:
        segments: list[YamlValue] = []
        for k, rate in enumerate(stream.rates):
            text = _rate_text(rate)
            last = segments[-1] if segments else None
            if isinstance(last, dict) and last["rate"] == text:
                last["until"] = format_duration((k + 1) * interval)
            else:
                segments.append({"until": format_duration((k + 1) * interval), "rate": text})
        final = segments[-1]
        assert isinstance(final, dict)
        del final["until"]
        entry: dict[str, YamlValue] = {"rate": segments if len(segments) > 1 else final["rate"]}
        if stream.handle_time is not None:
            entry["handle_time"] = stream.handle_time.describe()
        if stream.patience is not None:
            entry["patience"] = stream.patience.describe()
        spoken = agents.get(stream.name)
        spoken_list = spoken.get("languages") if isinstance(spoken, dict) else None
        languages = _language_mix(stream.languages, spoken_list, stream.name, notes)
        if languages:
            entry["languages"] = languages
        arrivals[stream.name] = entry
    return arrivals


def _rate_text(per_second: float) -> str:
    per_hour = f"{per_second * 3600:.4f}".rstrip("0").rstrip(".")
    return f"{per_hour or '0'}/h"


def _language_mix(
    shares: dict[str, float], spoken: YamlValue, stream: str, notes: list[str]
) -> dict[str, YamlValue]:
    if isinstance(spoken, list):
        dropped = sorted(set(shares) - {str(s) for s in spoken})
        if dropped:
            notes.append(
                f"{stream}: languages {', '.join(dropped)} are not spoken by the AI agent in the "
                "workspace; their chats count in the volume but not in the language mix"
            )
        shares = {k: v for k, v in shares.items() if k not in dropped}
    total = math.fsum(shares.values())
    if not shares or total <= 0:
        return {}
    rounded = {k: round(v / total, 4) for k, v in shares.items()}
    largest = max(rounded, key=lambda k: (rounded[k], k))
    rounded[largest] = round(1 - math.fsum(v for k, v in rounded.items() if k != largest), 4)
    return dict(rounded)


def _shifts(fit: DeskFit, document: dict[str, YamlValue], notes: list[str]) -> dict[str, YamlValue]:
    users = document.get("users")
    users = users if isinstance(users, dict) else {}
    outsiders = sorted(set(fit.shifts) - set(users))
    if outsiders:
        shown = ", ".join(outsiders[:5]) + (" ..." if len(outsiders) > 5 else "")
        notes.append(
            f"{len(outsiders)} agent(s) of the export are not users of the workspace and are "
            f"left out: {shown}"
        )
    shifts: dict[str, YamlValue] = {}
    for user in sorted(users):
        windows = fit.shifts.get(user, [])
        shifts[user] = [{"from": format_duration(a), "to": format_duration(b)} for a, b in windows]
    return shifts


@dataclass(frozen=True)
class FittedDesk:
    """The outcome of ``chatassign fit``: the scenario text and the fit report."""

    text: str
    report: dict[str, object]
    fit: DeskFit


def fit_files(
    export_path: Path,
    mapping_path: Path,
    *,
    workspace: Path | None,
    options: FitOptions,
    skip_bad_rows: bool = False,
) -> FittedDesk:
    """Read, fit and write out a desk; the scenario is checked like ``chatassign validate``.

    Raises ExportError (bad mapping or rows), ScenarioError (bad workspace) or
    UsageError (nothing to fit on the chosen day).
    """
    mapping = load_mapping(mapping_path)
    base: dict[str, YamlValue] | None = None
    if workspace is not None:
        load_scenario(workspace)
        document, _ = read_document(workspace, file=str(workspace))
        assert document is not None
        assert isinstance(document.data, dict)
        base = document.data
    export = read_export(export_path, mapping, skip_bad_rows=skip_bad_rows)
    fit = fit_desk(export, mapping, options)
    name = f"{export_path.name.split('.')[0]} (fitted)"
    scenario, notes = fitted_document(fit, base=base, name=name)
    notes.insert(
        0,
        "each AI agent has its own handle_time and patience (from at least "
        f"{MIN_WORK_CHATS} served and {MIN_ABANDONED} abandoned chats); the workload-wide "
        "values are fitted to every chat and apply to the others",
    )
    text = scenario_text(scenario, header=_header(fit, export_path, mapping))
    _check_written(text, file=str(export_path))
    return FittedDesk(text, fit_report(fit, notes=notes), fit)


def _header(fit: DeskFit, export_path: Path, mapping: ExportMapping) -> str:
    period = fit.period
    if period.kind == "whole":
        what = f"the whole period {period.dates[0]} to {period.dates[-1]}"
    elif period.kind == "date":
        what = f"{period.dates[0]}"
    else:
        first, last = period.dates[0], period.dates[-1]
        what = f"an average of {len(period.dates)} weekdays ({first} to {last})"
    lines = [f"Fitted by `chatassign fit` from {export_path.name}: {what}."]
    if period.start_clock is not None:
        hours, minutes = divmod(round(period.start_clock) // 60, 60)
        lines.append(f"Time 0 is {hours:02d}:{minutes:02d} ({mapping.timezone.key}).")
    return "\n".join(lines)


def _check_written(text: str, *, file: str) -> None:
    """Refuse to hand back a scenario ``chatassign validate`` would reject (a bug)."""
    document, problems = parse_yaml(text, file=file)
    assert document is not None, problems
    scenario, problems = scenario_from_document(
        document, problems, file="fitted scenario", base_dir=Path(), default_name="fitted"
    )
    if scenario is None:
        raise ExportError(
            "the fitted scenario does not validate:\n"
            + "\n".join(p.describe() for p in problems if p.is_error)
        )
