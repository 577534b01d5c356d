"""``simulate``'s human forms: the Rich tables and Markdown, and their text cells.

The HTML page (``report.html``) reuses the same cells, so every form reads alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from chatassign.analysis.erlang import ErlangEstimate, NoEstimate
from chatassign.analysis.intervals import Estimate
from chatassign.analysis.metrics import (
    AgentSummary,
    MethodResult,
    SimulationReport,
    StreamSummary,
    TeamSummary,
)
from chatassign.report.simulation import day_span, result_name
from chatassign.workload.quantities import format_duration

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
        f"{format_duration(report.horizon)}{day_span(report)} · warm-up "
        f"{format_duration(report.warmup)} · "
        "95 % intervals in brackets",
        "",
    ]
    for result in report.results:
        s = result.summary
        plan = "" if s.allowed_by_plan else f" (needs plan {s.required_plan})"
        lines += [
            f"## {result_name(result)}{plan}",
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
            f"{report.scenario} · {result_name(result)}{plan} · seed {report.seed} · "
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
