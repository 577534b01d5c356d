"""Summaries -> output: the JSON document, Markdown, CSV, Rich tables, and trace rows.

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

from chatassign.engine import EngineEvent
from chatassign.estimate import ErlangEstimate, NoEstimate
from chatassign.metrics import Estimate, MethodResult, SimulationReport

TRACE_HEADER = ("time_s", "replication", "event", "chat", "agent", "teamspace", "pool", "detail")

_COUNT_KEYS = (
    "arrived",
    "handed_off",
    "unavailable",
    "assigned",
    "abandoned",
    "unattended",
    "waiting_at_end",
    "with_ai_at_end",
)

Json = dict[str, "JsonValue"]
JsonValue = float | int | str | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def trace_row(replication: int, event: EngineEvent) -> tuple[str, ...]:
    """One CSV row of the trace, in ``TRACE_HEADER`` order (time with full precision)."""
    return (
        repr(float(event.time)),
        str(replication),
        event.event,
        "" if event.chat is None else str(event.chat),
        event.agent or "",
        event.teamspace or "",
        event.pool or "",
        event.detail,
    )


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
    }


def report_header(report: SimulationReport) -> Json:
    """The run's settings, the keys that open every JSON document."""
    return {
        "scenario": report.scenario,
        "seed": report.seed,
        "replications": report.replications,
        "horizon_s": report.horizon,
        "warmup_s": report.warmup,
    }


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
        skip = ("method", "variant", "agents", "cap_saturation")
        for metric, value in _flatten(doc, skip=skip):
            writer.writerow((method, "summary", metric, _cell(value)))
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
        (
            "mean wait",
            f"{_secs(s.wait['mean'].mean)} {_ci(s.wait['mean'])}".strip(),
            _secs(model.mean_wait) if model else "",
        ),
        (
            "p50 / p90 / p99 wait",
            " / ".join(_secs(s.wait[k].mean) for k in ("p50", "p90", "p99")),
            "",
        ),
        ("max wait", _secs(s.wait["max"].mean), ""),
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
        f"{report.horizon:g} s · warm-up {report.warmup:g} s · 95 % intervals in brackets",
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
        lines.append("")
    return "\n".join(lines)


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
            f"{s.replications} replication(s)"
        )
        console.print(
            Panel(Group(summary, "", _estimate_note(result)), title=title, title_align="left")
        )
        agents = Table(title="Per-agent load", title_justify="left")
        for name in ("agent", "assigned", "mean open", "max open", "utilization", "at cap"):
            agents.add_column(name, justify="left" if name == "agent" else "right")
        for a in s.agents:
            agents.add_row(
                a.id,
                _mean_count(a.assigned, s.replications),
                f"{a.mean_open:.2f}",
                _mean_count(a.max_open, s.replications),
                _pct(a.utilization),
                _pct(a.at_cap_share),
            )
        console.print(agents)
        saturation = Table(title="Cap saturation", title_justify="left")
        saturation.add_column("teamspace")
        saturation.add_column("share of time all online agents at cap", justify="right")
        for ts, share in s.cap_saturation:
            saturation.add_row(ts, _pct(share))
        console.print(saturation)
