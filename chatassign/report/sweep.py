"""Sweep and staffing results -> Rich tables, Markdown, CSV and JSON.

The sweep's tidy CSV and JSON are in ``experiments/sweep.py``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.table import Table

from chatassign.analysis.intervals import Estimate
from chatassign.analysis.registry import METRICS, Unit, metric_info
from chatassign.experiments.staffing import Evaluation, StaffingAnswer, StaffingReport
from chatassign.experiments.sweep import SweepResult
from chatassign.workload.quantities import format_duration

_KINDS = {Unit.SHARE: "pct", Unit.SECONDS: "secs"}

SWEEP_TABLE_METRICS = tuple(
    (key, METRICS[key].header, _KINDS.get(METRICS[key].unit, "num"))
    for key in (
        "service_level",
        "abandon_rate",
        "wait_mean_s",
        "wait_p90_s",
        "utilization",
        "cap_saturation",
    )
)
"""The sweep table's columns: (metric, header, how its cells read)."""


def _cell(est: Estimate, kind: str) -> str:
    """``mean ± half-width``; a share's interval clipped at 0 or 1 is shown as its bounds."""
    scale, unit, digits = {"pct": (100.0, "%", 1), "secs": (1.0, " s", 1)}.get(kind, (1.0, "", 2))
    text = f"{est.mean * scale:.{digits}f}"
    if est.ci95 is not None:
        low, high = est.ci95
        if math.isclose(est.mean - low, high - est.mean, rel_tol=1e-9, abs_tol=1e-12):
            text += f" ± {(high - low) / 2 * scale:.{digits}f}"
        else:
            text += f" [{low * scale:.{digits}f}, {high * scale:.{digits}f}]"
    return text + unit


def _sweep_title(result: SweepResult) -> str:
    return (
        f"{result.scenario}: {len(result.rows)} grid points × "
        f"{result.replications} replications (seed {result.seed}, common random numbers)"
    )


def _shown(result: SweepResult) -> list[tuple[str, str, str]]:
    """The metrics of the table: the main ones, then each ``--measure`` (named as given)."""
    return [*SWEEP_TABLE_METRICS, *((name, name, _kind(name)) for name in result.measures)]


def _kind(name: str) -> str:
    """How a ``--measure`` column reads: seconds, a share, or a plain number."""
    info = metric_info(name)
    return "pct" if info is None else _KINDS.get(info.unit, "num")


def _sweep_rows(result: SweepResult) -> list[list[str]]:
    shown = _shown(result)
    return [
        [value for _, value in row.point.settings]
        + [_cell(row.metrics[name], kind) for name, _, kind in shown]
        for row in result.rows
    ]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A GitHub-flavoured Markdown table, as lines (``|`` in cells escaped)."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [line(header), "|" + "---|" * len(header), *(line(row) for row in rows)]


def render_sweep_markdown(result: SweepResult) -> str:
    """The sweep table as Markdown: the varied values and the main metrics with ±."""
    header = [axis.key for axis in result.axes] + [label for _, label, _ in _shown(result)]
    lines = [f"# {_sweep_title(result)}", "", *markdown_table(header, _sweep_rows(result))]
    lines += ["", "± is half the 95 % interval over replications; [low, high] a share's interval"]
    lines[-1] += " clipped to 0–100 %."
    return "\n".join(lines) + "\n"


def render_sweep_table(result: SweepResult, console: Console) -> None:
    """One row per grid point: the varied values and the main metrics with ± half-widths."""
    table = Table(title=_sweep_title(result), title_justify="left")
    for axis in result.axes:
        table.add_column(axis.key)
    for _, label, _ in _shown(result):
        table.add_column(label, justify="right")
    for cells in _sweep_rows(result):
        table.add_row(*cells)
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
    for column in _STAFF_HEADER:
        table.add_column(column, justify="left" if column == "team" else "right")
    for cells in _staff_rows(report.answer):
        table.add_row(*cells)
    console.print(table)
    for line in _staff_lines(report):
        console.print(line, soft_wrap=line.startswith("note:"))
    if report.intervals:
        _render_intervals(report, console)


_STAFF_HEADER = ("team", "agents", "Erlang estimate", "difference", "naive Erlang")


def _staff_rows(answer: StaffingAnswer) -> list[list[str]]:
    return [
        [
            team.team,
            str(team.agents),
            str(team.erlang.agents),
            f"{team.agents - team.erlang.agents:+d}",
            str(team.erlang.naive),
        ]
        for team in answer.teams
    ]


def _staff_lines(report: StaffingReport) -> list[str]:
    """The sentences below the answer: intervals at it and one fewer, the notes."""
    answer = report.answer
    lines = [
        f"at the answer ({answer.achieved.replications} replications): "
        f"{_achieved_text(report, answer.achieved)}"
    ]
    lines += [f"one fewer on {name}: {_achieved_text(report, e)}" for name, e in answer.one_fewer]
    if not answer.clear:
        lines.append("note: some intervals still touch a target; the means decided")
    return lines + [f"note: {note}" for note in report.notes]


def _interval_rows(report: StaffingReport) -> list[list[str]]:
    rows = []
    for span in report.intervals:
        counts: Mapping[str, int] = {t.team: t.agents for t in span.answer.teams}
        label = f"{format_duration(span.start)}–{format_duration(span.end)}"
        rows.append(
            [label, f"{span.rate * 3600:.0f}"] + [str(counts[t.team]) for t in report.answer.teams]
        )
    return rows


_INTERVALS_TITLE = "per rate interval (rate held constant, everyone online)"


def render_staffing_markdown(report: StaffingReport) -> str:
    """The staffing answer as Markdown: the table, the intervals reached, per rate interval."""
    targets = " and ".join(t.text for t in report.targets)
    lines = [f"# {report.scenario}: smallest team meeting {targets}", ""]
    lines += markdown_table(_STAFF_HEADER, _staff_rows(report.answer))
    lines += ["", *(f"- {line}" for line in _staff_lines(report))]
    if report.intervals:
        header = ["interval", "arrivals/h (all AI agents)"]
        header += [t.team for t in report.answer.teams]
        lines += ["", f"## {_INTERVALS_TITLE}", ""]
        lines += markdown_table(header, _interval_rows(report))
    return "\n".join(lines) + "\n"


def render_staffing_csv(report: StaffingReport) -> str:
    """One row per (span, team): the whole day first, then each rate interval.

    Columns: ``from_s``, ``until_s`` (empty for the whole day), ``team``, ``agents``,
    ``erlang_estimate``, ``erlang_naive``, ``replications``, ``clear``, then per target
    metric ``METRIC_ci_low`` and ``METRIC_ci_high`` at the answer.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    metrics = [t.metric for t in report.targets]
    header = ["from_s", "until_s", "team", "agents", "erlang_estimate", "erlang_naive"]
    header += ["replications", "clear"]
    header += [f"{m}_ci_{side}" for m in metrics for side in ("low", "high")]
    writer.writerow(header)
    spans: list[tuple[str, str, StaffingAnswer]] = [("", "", report.answer)]
    spans += [(repr(s.start), repr(s.end), s.answer) for s in report.intervals]
    for start, end, answer in spans:
        achieved = _achieved(report, answer.achieved)
        for team in answer.teams:
            row: list[object] = [start, end, team.team, team.agents, team.erlang.agents]
            row += [team.erlang.naive, answer.achieved.replications, str(answer.clear).lower()]
            row += [repr(value) for m in metrics for value in achieved[m]]
            writer.writerow(row)
    return out.getvalue()


def _render_intervals(report: StaffingReport, console: Console) -> None:
    table = Table(title=_INTERVALS_TITLE, title_justify="left")
    table.add_column("interval")
    table.add_column("arrivals/h (all AI agents)", justify="right")
    for answer in report.answer.teams:
        table.add_column(answer.team, justify="right")
    for cells in _interval_rows(report):
        table.add_row(*cells)
    console.print(table)


__all__ = [
    "markdown_table",
    "render_staffing_csv",
    "render_staffing_json",
    "render_staffing_markdown",
    "render_staffing_table",
    "render_sweep_markdown",
    "render_sweep_table",
    "staffing_json",
]
