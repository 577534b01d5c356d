"""``simulate``'s data forms: the JSON document and CSV (tables and Markdown: ``simulation_text``).

Pure rendering: same report, same bytes (no timestamps, no absolute paths, fixed key
order). The JSON keys are the contract of ``docs/cli.md``; more may be added.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence

from chatassign.analysis.erlang import ErlangEstimate, NoEstimate
from chatassign.analysis.intervals import Estimate
from chatassign.analysis.metrics import (
    STREAM_COUNT_KEYS,
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
        method = result_name(result)
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


def result_name(result: MethodResult) -> str:
    """The method, with its variant (``balanced · cap 3``) when it has one."""
    method = result.summary.method
    if result.variant is None:
        return method
    return result.variant if result.variant.startswith(method) else f"{method} · {result.variant}"
