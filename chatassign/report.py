"""Summaries -> output: the JSON document, Markdown, CSV and Rich tables.

Pure rendering: same report, same bytes (no timestamps, no absolute paths, fixed key
order). The JSON keys are the contract of ``docs/cli.md``; more may be added.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from chatassign.estimate import ErlangEstimate, NoEstimate
from chatassign.metrics import (
    STREAM_COUNT_KEYS,
    AgentSummary,
    Estimate,
    MethodResult,
    SimulationReport,
    StreamSummary,
    TeamSummary,
)

_COUNT_KEYS = STREAM_COUNT_KEYS

Json = dict[str, "JsonValue"]
JsonValue = float | int | str | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


# --------------------------------------------------------------------- JSON


def _count(value: float, replications: int) -> float | int:
    """A mean count: an int with one replication, else a float."""
    return round(value) if replications == 1 else value


def _defined(value: float) -> float | None:
    """A mean as JSON: null when undefined (NaN: no chat was handed off)."""
    return value if math.isfinite(value) else None


def _interval(est: Estimate) -> list[JsonValue] | None:
    return None if est.ci95 is None else [est.ci95[0], est.ci95[1]]


def _estimate_json(estimate: ErlangEstimate | NoEstimate) -> Json:
    if isinstance(estimate, NoEstimate):
        return {"model": None, "reason": estimate.reason}
    return {
        "model": estimate.model,
        "servers": estimate.servers,
        "p_wait": estimate.p_wait,
        "mean_wait_s": estimate.mean_wait,
        "service_level": estimate.service_level,
        "abandon_rate": estimate.abandon_rate,
    }


def result_json(result: MethodResult) -> Json:
    """One entry of ``results``, keys as docs/cli.md lists them, then additions."""
    s = result.summary
    n = s.replications
    variant: Json = {} if result.variant is None else {"variant": result.variant}
    return {
        "method": s.method,
        **variant,
        "allowed_by_plan": s.allowed_by_plan,
        "required_plan": s.required_plan,
        "chats": {key: _count(s.counts[key], n) for key in _COUNT_KEYS},
        "wait_s": {key: est.mean for key, est in s.wait.items()},
        "wait_mean_ci95_s": _interval(s.wait["mean"]),
        "p_wait": _defined(s.p_wait.mean),
        "service_level": {"threshold_s": s.threshold, "value": _defined(s.service_level.mean)},
        "abandon_rate": _defined(s.abandon_rate.mean),
        "queue": {"mean_length": s.queue_mean.mean, "max_length": _count(s.queue_max, n)},
        "agents": [
            {
                "id": a.id,
                "assigned": _count(a.assigned, n),
                "mean_open": a.mean_open,
                "max_open": _count(a.max_open, n),
                "utilization": a.utilization,
                "at_cap_share": a.at_cap_share,
            }
            for a in s.agents
        ],
        "cap_saturation": {ts: share for ts, share in s.cap_saturation},
        "fairness": {"jain": s.jain, "max_min_ratio": s.max_min_ratio},
        "ci95": {
            "p_wait": _interval(s.p_wait),
            "service_level": _interval(s.service_level),
            "abandon_rate": _interval(s.abandon_rate),
            "queue_mean_length": _interval(s.queue_mean),
        },
        "analytic": _estimate_json(result.estimate),
        "abandoned_wait_s": {key: est.mean for key, est in s.abandoned_wait.items()},
        "handed_off_wait_s": {key: est.mean for key, est in s.all_wait.items()},
        "by_team": {team.id: _team_json(team, n) for team in s.by_team},
        "by_ai_agent": {
            stream.ai_agent: _stream_json(stream, n, s.threshold) for stream in s.by_ai_agent
        },
    }


def _team_json(team: TeamSummary, replications: int) -> Json:
    return {
        "agents": list(team.agents),
        "assigned": _count(team.assigned, replications),
        "mean_open": team.mean_open,
        "utilization": team.utilization,
        "at_cap_share": team.at_cap_share,
        "cap_saturation": team.cap_saturation,
    }


def _stream_json(stream: StreamSummary, replications: int, threshold: float) -> Json:
    """One AI agent's (or language's) entry: the chat metrics of the totals, same keys."""
    doc: Json = {
        "chats": {key: _count(stream.counts[key], replications) for key in _COUNT_KEYS},
        "wait_s": {key: est.mean for key, est in stream.wait.items()},
        "abandoned_wait_s": {key: est.mean for key, est in stream.abandoned_wait.items()},
        "handed_off_wait_s": {key: est.mean for key, est in stream.all_wait.items()},
        "p_wait": _defined(stream.p_wait.mean),
        "service_level": {"threshold_s": threshold, "value": _defined(stream.service_level.mean)},
        "abandon_rate": _defined(stream.abandon_rate.mean),
        "ci95": {
            "p_wait": _interval(stream.p_wait),
            "service_level": _interval(stream.service_level),
            "abandon_rate": _interval(stream.abandon_rate),
        },
    }
    if stream.languages:
        doc["by_language"] = {
            str(part.language): _stream_json(part, replications, threshold)
            for part in stream.languages
        }
    return doc


def report_header(report: SimulationReport) -> Json:
    """The run's settings, the keys that open every JSON document (``starts_at``: if set)."""
    day: Json = {} if report.starts_at is None else {"starts_at": report.starts_at.text}
    return {
        "scenario": report.scenario,
        "seed": report.seed,
        "replications": report.replications,
        "horizon_s": report.horizon,
        "warmup_s": report.warmup,
        **day,
    }


def day_span(report: SimulationReport) -> str:
    """`` · 09:00–17:00`` when the day has a clock start, else empty."""
    start = report.starts_at
    if start is None:
        return ""
    return f" · {start.clock_at(0.0)}–{start.clock_at(report.horizon)}"


def report_json(report: SimulationReport) -> Json:
    """The whole document as plain values."""
    return {**report_header(report), "results": [result_json(r) for r in report.results]}


def render_json(report: SimulationReport) -> str:
    """The JSON text, indented, newline-terminated; deterministic bytes."""
    return json.dumps(report_json(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ---------------------------------------------------------------------- CSV


def render_csv(report: SimulationReport) -> str:
    """A long table ``method,scope,metric,value``: scope is summary, agent:ID or teamspace:ID."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("method", "scope", "metric", "value"))
    for result in report.results:
        doc = result_json(result)
        method = _name(result)
        skip = ("method", "variant", "agents", "cap_saturation", "by_team", "by_ai_agent")
        for metric, value in _flatten(doc, skip=skip):
            writer.writerow((method, "summary", metric, _cell(value)))
        teams = doc["by_team"]
        streams = doc["by_ai_agent"]
        assert isinstance(teams, dict)
        assert isinstance(streams, dict)
        for team, entry in teams.items():
            assert isinstance(entry, dict)
            for metric, value in _flatten(entry, skip=("agents",)):
                writer.writerow((method, f"team:{team}", metric, _cell(value)))
        for ai_agent, entry in streams.items():
            assert isinstance(entry, dict)
            for metric, value in _flatten(entry, skip=("by_language",)):
                writer.writerow((method, f"ai_agent:{ai_agent}", metric, _cell(value)))
            languages = entry.get("by_language", {})
            assert isinstance(languages, dict)
            for language, part in languages.items():
                assert isinstance(part, dict)
                for metric, value in _flatten(part):
                    scope = f"ai_agent:{ai_agent}:{language}"
                    writer.writerow((method, scope, metric, _cell(value)))
        for agent in result.summary.agents:
            for metric, value in (
                ("assigned", agent.assigned),
                ("mean_open", agent.mean_open),
                ("max_open", agent.max_open),
                ("utilization", agent.utilization),
                ("at_cap_share", agent.at_cap_share),
            ):
                writer.writerow((method, f"agent:{agent.id}", metric, _cell(value)))
        for ts, share in result.summary.cap_saturation:
            writer.writerow((method, f"teamspace:{ts}", "cap_saturation", _cell(share)))
    return out.getvalue()


def _flatten(
    doc: Json, *, skip: Sequence[str] = (), prefix: str = ""
) -> list[tuple[str, JsonValue]]:
    items: list[tuple[str, JsonValue]] = []
    for key, value in doc.items():
        if key in skip:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            items.extend(_flatten(value, prefix=f"{name}."))
        elif isinstance(value, list):
            items.extend((f"{name}.{i}", v) for i, v in enumerate(value))
        else:
            items.append((name, value))
    return items


def _cell(value: JsonValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


# ----------------------------------------------------------------- Markdown


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %" if math.isfinite(x) else "—"


def _secs(x: float) -> str:
    return f"{x:.1f} s"


def _mean_count(value: float, replications: int) -> str:
    """A count averaged over replications: whole with one replication, else one decimal."""
    return f"{value:.0f}" if replications == 1 else f"{value:.1f}"


def _ci(est: Estimate, fmt: str = "{:.1f}", scale: float = 1.0) -> str:
    if est.ci95 is None:
        return ""
    low, high = (v * scale for v in est.ci95)
    return f"[{fmt.format(low)}, {fmt.format(high)}]"


def _summary_rows(result: MethodResult) -> list[tuple[str, str, str]]:
    """(metric, simulated value, analytic value) rows shared by Markdown and tables."""
    s = result.summary
    n = s.replications
    est = result.estimate
    model = est if isinstance(est, ErlangEstimate) else None

    def counted(key: str) -> str:
        return _mean_count(s.counts[key], n)

    rows = [
        ("handed off", counted("handed_off"), ""),
        ("unavailable (nobody online)", counted("unavailable"), ""),
        ("assigned", counted("assigned"), ""),
        ("abandoned", counted("abandoned"), ""),
        ("unattended (voluntary)", counted("unattended"), ""),
        ("waiting at end", counted("waiting_at_end"), ""),
        *(
            [("escalated (transferred)", counted("transferred"), "")]
            if s.counts["transferred"]
            else []
        ),
        (
            "mean wait (assigned)",
            f"{_secs(s.wait['mean'].mean)} {_ci(s.wait['mean'])}".strip(),
            _secs(model.mean_wait) if model else "",
        ),
        (
            "p50 / p90 / p99 wait (assigned)",
            " / ".join(_secs(s.wait[k].mean) for k in ("p50", "p90", "p99")),
            "",
        ),
        ("max wait (assigned)", _secs(s.wait["max"].mean), ""),
        (
            "wait before abandoning (mean / p90)",
            " / ".join(_secs(s.abandoned_wait[k].mean) for k in ("mean", "p90")),
            "",
        ),
        (
            "wait of all handed off (mean / p90 / p99)",
            " / ".join(_secs(s.all_wait[k].mean) for k in ("mean", "p90", "p99")),
            "",
        ),
        (
            "P(wait > 0)",
            f"{_pct(s.p_wait.mean)} {_ci(s.p_wait, '{:.1f}', 100)}".strip(),
            _pct(model.p_wait) if model else "",
        ),
        (
            f"service level ({s.threshold:g} s)",
            f"{_pct(s.service_level.mean)} {_ci(s.service_level, '{:.1f}', 100)}".strip(),
            _pct(model.service_level) if model else "",
        ),
        (
            "abandon rate",
            f"{_pct(s.abandon_rate.mean)} {_ci(s.abandon_rate, '{:.1f}', 100)}".strip(),
            _pct(model.abandon_rate) if model else "",
        ),
        ("queue length (mean / max)", f"{s.queue_mean.mean:.2f} / {s.queue_max:g}", ""),
        (
            "fairness (Jain / max:min)",
            f"{s.jain:.3f} / " + ("n/a" if s.max_min_ratio is None else f"{s.max_min_ratio:.2f}"),
            "",
        ),
    ]
    return rows


_TAILS = ("p50", "p90", "p99")


def _estimate_note(result: MethodResult) -> str:
    est = result.estimate
    if isinstance(est, NoEstimate):
        return f"No Erlang estimate: {est.reason}."
    name = "Erlang C" if est.model == "erlang_c" else "Erlang A"
    return f"{name} estimate with c = {est.servers} (agents × cap), steady state."


def render_markdown(report: SimulationReport) -> str:
    """A Markdown report: header, then per method a summary, agents and saturation."""
    lines = [
        f"# {report.scenario}",
        "",
        f"seed {report.seed} · {report.replications} replication(s) · horizon "
        f"{report.horizon:g} s{day_span(report)} · warm-up {report.warmup:g} s · "
        "95 % intervals in brackets",
        "",
    ]
    for result in report.results:
        s = result.summary
        plan = "" if s.allowed_by_plan else f" (needs plan {s.required_plan})"
        lines += [
            f"## {_name(result)}{plan}",
            "",
            "| metric | simulated | Erlang |",
            "|---|---|---|",
        ]
        lines += [f"| {m} | {v} | {e} |" for m, v, e in _summary_rows(result)]
        lines += ["", _estimate_note(result), ""]
        lines += [
            "| agent | assigned | mean open | max open | utilization | at cap |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {a.id} | {_mean_count(a.assigned, s.replications)} | {a.mean_open:.2f} | "
            f"{_mean_count(a.max_open, s.replications)} | "
            f"{_pct(a.utilization)} | {_pct(a.at_cap_share)} |"
            for a in s.agents
        ]
        lines += ["", "| teamspace | cap saturation |", "|---|---|"]
        lines += [f"| {ts} | {_pct(share)} |" for ts, share in s.cap_saturation]
        for title, (header, rows) in _breakdowns(result).items():
            lines += ["", f"### {title}", "", f"| {' | '.join(header)} |"]
            lines.append("|" + "---|" * len(header))
            lines += [f"| {' | '.join(row)} |" for row in rows]
            if header is _STREAM_HEADER:
                lines += ["", _STREAM_NOTE]
        lines.append("")
    return "\n".join(lines)


TextTable = tuple[str, tuple[str, ...], Sequence[tuple[str, ...]]]
"""A titled table of text cells: (title, header, rows)."""


def result_tables(result: MethodResult) -> list[TextTable]:
    """Every table of one simulated result, as text: the summary (with 95 % intervals
    and the Erlang estimate), the agents, cap saturation, then by team and by AI agent."""
    s = result.summary
    agents = [agent_row(a, s.replications) for a in s.agents]
    tables: list[TextTable] = [
        ("Summary", ("metric", "simulated [95 % interval]", "Erlang"), summary_rows(result)),
        (
            "Agents",
            ("agent", "assigned", "mean open", "max open", "utilization", "at cap"),
            agents,
        ),
        (
            "Cap saturation",
            ("teamspace", "share of time every agent was at the cap"),
            [(ts, _pct(share)) for ts, share in s.cap_saturation],
        ),
    ]
    tables += [(title, header, rows) for title, (header, rows) in _breakdowns(result).items()]
    return tables


def agent_row(agent: AgentSummary, replications: int) -> tuple[str, ...]:
    """An agent's cells: id, assigned, mean open, max open, utilization, at cap."""
    return (
        agent.id,
        _mean_count(agent.assigned, replications),
        f"{agent.mean_open:.2f}",
        _mean_count(agent.max_open, replications),
        _pct(agent.utilization),
        _pct(agent.at_cap_share),
    )


def result_name(result: MethodResult) -> str:
    """The method, with its variant (``balanced · cap 3``) when it has one."""
    return _name(result)


def summary_rows(result: MethodResult) -> list[tuple[str, str, str]]:
    """(metric, simulated value with its interval, Erlang value) rows of ``result``."""
    return _summary_rows(result)


def estimate_note(result: MethodResult) -> str:
    """The sentence saying which Erlang model the third column is, or why there is none."""
    return _estimate_note(result)


_TEAM_HEADER = (
    "team",
    "agents",
    "assigned",
    "mean open",
    "utilization",
    "at cap",
    "team cap saturation",
)
_STREAM_HEADER = (
    "AI agent",
    "handed off",
    "abandoned",
    "mean wait",
    "p90 wait (all)",
    "P(wait > 0)",
    "service level",
    "abandon rate",
)
_STREAM_NOTE = (
    "mean wait: of assigned chats; p90 wait (all): of every handed-off chat, "
    "abandoned ones until they left."
)

Breakdown = tuple[tuple[str, ...], list[tuple[str, ...]]]


def _breakdowns(result: MethodResult) -> dict[str, Breakdown]:
    """The per-team and per-AI-agent tables of a result, by title; absent when empty.

    Teams are listed when the workspace has any; AI agents when there are several,
    or one with a language mix (a single AI agent would repeat the totals).
    """
    s = result.summary
    n = s.replications
    tables: dict[str, Breakdown] = {}
    if s.by_team:
        tables["By team"] = (_TEAM_HEADER, [_team_row(team, n) for team in s.by_team])
    streams = s.by_ai_agent
    if len(streams) > 1 or any(stream.languages for stream in streams):
        rows: list[tuple[str, ...]] = []
        for stream in streams:
            rows.append(_stream_row(stream.ai_agent, stream, n))
            rows += [
                _stream_row(f"{stream.ai_agent} · {part.language}", part, n)
                for part in stream.languages
            ]
        tables["By AI agent"] = (_STREAM_HEADER, rows)
    return tables


def _team_row(team: TeamSummary, replications: int) -> tuple[str, ...]:
    return (
        team.id,
        str(len(team.agents)),
        _mean_count(team.assigned, replications),
        f"{team.mean_open:.2f}",
        _pct(team.utilization),
        _pct(team.at_cap_share),
        _pct(team.cap_saturation),
    )


def _stream_row(name: str, stream: StreamSummary, replications: int) -> tuple[str, ...]:
    return (
        name,
        _mean_count(stream.counts["handed_off"], replications),
        _mean_count(stream.counts["abandoned"], replications),
        _secs(stream.wait["mean"].mean),
        _secs(stream.all_wait["p90"].mean),
        _pct(stream.p_wait.mean),
        _pct(stream.service_level.mean),
        _pct(stream.abandon_rate.mean),
    )


# -------------------------------------------------------------- Rich tables


def _name(result: MethodResult) -> str:
    """The method, with its variant (``balanced · cap 3``) when it has one."""
    method = result.summary.method
    if result.variant is None:
        return method
    return result.variant if result.variant.startswith(method) else f"{method} · {result.variant}"


def render_table(report: SimulationReport, console: Console) -> None:
    """Print the Rich view: summary panel, per-agent loads, cap saturation, per method."""
    for result in report.results:
        s = result.summary
        summary = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        summary.add_column("metric")
        summary.add_column("simulated", justify="right")
        modelled = isinstance(result.estimate, ErlangEstimate)
        if modelled:
            summary.add_column("Erlang", justify="right")
        for metric, value, model in _summary_rows(result):
            summary.add_row(metric, value, *([model] if modelled else []))
        plan = "" if s.allowed_by_plan else f" — needs plan {s.required_plan}"
        title = (
            f"{report.scenario} · {_name(result)}{plan} · seed {report.seed} · "
            f"{s.replications} replication(s){day_span(report)}"
        )
        console.print(
            Panel(Group(summary, "", _estimate_note(result)), title=title, title_align="left")
        )
        agents = Table(title="Per-agent load", title_justify="left")
        for name in ("agent", "assigned", "mean open", "max open", "utilization", "at cap"):
            agents.add_column(name, justify="left" if name == "agent" else "right")
        for a in s.agents:
            agents.add_row(*agent_row(a, s.replications))
        console.print(agents)
        saturation = Table(title="Cap saturation", title_justify="left")
        saturation.add_column("teamspace")
        saturation.add_column("share of time all online agents at cap", justify="right")
        for ts, share in s.cap_saturation:
            saturation.add_row(ts, _pct(share))
        console.print(saturation)
        for title, (header, rows) in _breakdowns(result).items():
            note = _STREAM_NOTE if header is _STREAM_HEADER else None
            table = Table(title=title, title_justify="left", caption=note, caption_justify="left")
            for i, name in enumerate(header):
                table.add_column(name, justify="left" if i == 0 else "right", no_wrap=i == 0)
            for row in rows:
                table.add_row(*row)
            console.print(table)
