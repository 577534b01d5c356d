"""Sweep and staffing results -> Rich tables and JSON (the tidy CSV/JSON are in ``sweep.py``)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from rich.console import Console
from rich.table import Table

from chatassign.metrics import Estimate
from chatassign.quantities import format_duration
from chatassign.staffing import Evaluation, StaffingAnswer, StaffingReport
from chatassign.sweep import SweepResult

SWEEP_TABLE_METRICS = (
    ("service_level", "service level", "pct"),
    ("abandon_rate", "abandoned", "pct"),
    ("wait_mean_s", "mean wait", "secs"),
    ("wait_p90_s", "p90 wait", "secs"),
    ("utilization", "utilization", "pct"),
    ("cap_saturation", "cap saturation", "pct"),
)


def _cell(est: Estimate, kind: str) -> str:
    scale, unit, digits = (100.0, "%", 1) if kind == "pct" else (1.0, " s", 1)
    text = f"{est.mean * scale:.{digits}f}"
    if est.half_width is not None:
        text += f" ± {est.half_width * scale:.{digits}f}"
    return text + unit


def render_sweep_table(result: SweepResult, console: Console) -> None:
    """One row per grid point: the varied values and the main metrics with ± half-widths."""
    table = Table(
        title=f"{result.scenario}: {len(result.rows)} grid points × "
        f"{result.replications} replications (seed {result.seed}, common random numbers)",
        title_justify="left",
    )
    for axis in result.axes:
        table.add_column(axis.key)
    for _, label, _ in SWEEP_TABLE_METRICS:
        table.add_column(label, justify="right")
    for row in result.rows:
        values = [value for _, value in row.point.settings]
        cells = [_cell(row.metrics[name], kind) for name, _, kind in SWEEP_TABLE_METRICS]
        table.add_row(*values, *cells)
    console.print(table)


def _interval(est: Estimate) -> list[float]:
    low, high = est.ci95 if est.ci95 is not None else (est.mean, est.mean)
    return [low, high]


def _achieved(report: StaffingReport, evaluation: Evaluation) -> dict[str, list[float]]:
    return {t.metric: _interval(evaluation.metrics[t.metric]) for t in report.targets}


def _answer_json(report: StaffingReport, answer: StaffingAnswer) -> dict[str, object]:
    teams: dict[str, object] = {}
    for team in answer.teams:
        fewer = dict(answer.one_fewer).get(team.team)
        teams[team.team] = {
            "agents": team.agents,
            "erlang_estimate": team.erlang.agents,
            "difference": team.agents - team.erlang.agents,
            "erlang_naive": team.erlang.naive,
            "erlang_model": team.erlang.model,
            "achieved": _achieved(report, answer.achieved),
            "one_fewer": None if fewer is None else _achieved(report, fewer),
        }
    return {
        "teams": teams,
        "replications": answer.achieved.replications,
        "clear": answer.clear,
    }


def staffing_json(report: StaffingReport) -> dict[str, object]:
    """The documented shape: ``targets``, ``teams`` (per team: agents, erlang_estimate,
    achieved intervals), then ``intervals`` (the same per rate interval)."""
    main = _answer_json(report, report.answer)
    return {
        "scenario": report.scenario,
        "seed": report.seed,
        "targets": [t.text for t in report.targets],
        **main,
        "notes": list(report.notes),
        "intervals": [
            {
                "from_s": span.start,
                "until_s": span.end,
                "arrival_rate_per_h": span.rate * 3600.0,
                **_answer_json(report, span.answer),
            }
            for span in report.intervals
        ],
    }


def render_staffing_json(report: StaffingReport) -> str:
    """:func:`staffing_json` as indented text."""
    return json.dumps(staffing_json(report), indent=2, ensure_ascii=False) + "\n"


def _achieved_text(report: StaffingReport, evaluation: Evaluation) -> str:
    parts = []
    for target in report.targets:
        low, high = _interval(evaluation.metrics[target.metric])
        parts.append(f"{target.metric} {low:.3f}–{high:.3f}")
    return ", ".join(parts)


def render_staffing_table(report: StaffingReport, console: Console) -> None:
    """The answer per team, the Erlang estimates beside it, then per rate interval."""
    targets = " and ".join(t.text for t in report.targets)
    table = Table(title=f"{report.scenario}: smallest team meeting {targets}", title_justify="left")
    for column in ("team", "agents", "Erlang estimate", "difference", "naive Erlang"):
        table.add_column(column, justify="left" if column == "team" else "right")
    for team in report.answer.teams:
        table.add_row(
            team.team,
            str(team.agents),
            str(team.erlang.agents),
            f"{team.agents - team.erlang.agents:+d}",
            str(team.erlang.naive),
        )
    console.print(table)
    answer = report.answer
    console.print(
        f"at the answer ({answer.achieved.replications} replications): "
        f"{_achieved_text(report, answer.achieved)}"
    )
    for name, fewer in answer.one_fewer:
        console.print(f"one fewer on {name}: {_achieved_text(report, fewer)}")
    if not answer.clear:
        console.print("note: some intervals still touch a target; the means decided")
    for note in report.notes:
        console.print(f"note: {note}", soft_wrap=True)
    if report.intervals:
        _render_intervals(report, console)


def _render_intervals(report: StaffingReport, console: Console) -> None:
    title = "per rate interval (rate held constant, everyone online)"
    table = Table(title=title, title_justify="left")
    table.add_column("interval")
    table.add_column("arrivals/h (all AI agents)", justify="right")
    for answer in report.answer.teams:
        table.add_column(answer.team, justify="right")
    for span in report.intervals:
        counts: Mapping[str, int] = {t.team: t.agents for t in span.answer.teams}
        label = f"{format_duration(span.start)}–{format_duration(span.end)}"
        table.add_row(
            label, f"{span.rate * 3600:.0f}", *(str(counts[t.team]) for t in report.answer.teams)
        )
    console.print(table)


__all__ = [
    "render_staffing_json",
    "render_staffing_table",
    "render_sweep_table",
    "staffing_json",
]
