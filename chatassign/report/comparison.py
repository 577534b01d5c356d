"""A comparison -> output: the Rich table, JSON, Markdown and CSV of ``chatassign compare``.

Pure rendering, deterministic bytes. The JSON keeps docs/cli.md's ``results`` (one
entry per arm, with its column ``label``) and adds the paired differences, the
metric rows and the verdict.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from chatassign.analysis.comparison import Comparison, Difference, Metric, Row, headline
from chatassign.analysis.metrics import MethodResult, SimulationReport
from chatassign.analysis.registry import Unit
from chatassign.report.simulation import Json, JsonValue, day_span, report_header, result_json
from chatassign.workload.quantities import format_duration


@dataclass(frozen=True)
class ComparisonReport:
    """What ``compare`` shows: the run's settings, each arm's result, and the comparison."""

    report: SimulationReport
    comparison: Comparison

    @property
    def results(self) -> tuple[MethodResult, ...]:
        """One result per arm, in column order."""
        return self.report.results


# ---------------------------------------------------------------- formatting


def format_value(metric: Metric, value: float | None) -> str:
    """A metric's value as the table shows it (``12.3 s``, ``98.1 %``, ``0.976``)."""
    if value is None:
        return "n/a"
    if metric.unit is Unit.SECONDS:
        return f"{value:.1f} s"
    if metric.unit is Unit.SHARE:
        return f"{100 * value:.1f} %"
    if metric.unit is Unit.CHATS:
        return f"{value:.1f}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def format_difference(metric: Metric, diff: Difference | None) -> str:
    """``−4.1 s ±1.2`` against the baseline, or ``no clear difference``."""
    if diff is None:
        return "n/a"
    if not diff.clear:
        return "no clear difference"
    half = diff.half_width or 0.0
    if metric.unit is Unit.SHARE:
        return f"{_signed(100 * diff.mean, '.1f')} pts ±{100 * half:.1f}"
    if metric.unit is Unit.SECONDS:
        return f"{_signed(diff.mean, '.1f')} s ±{half:.1f}"
    digits = ".1f" if metric.unit is Unit.CHATS else ".3f"
    return f"{_signed(diff.mean, digits)} ±{half:{digits}}"


def _signed(x: float, spec: str) -> str:
    text = f"{abs(x):{spec}}"
    return f"+{text}" if x > 0 else f"−{text}"


def arm_heading(result: MethodResult, label: str, *, separator: str = ": ") -> str:
    """The column title: the label, and the plan it needs when the scenario's plan lacks it."""
    s = result.summary
    if s.allowed_by_plan:
        return label
    return f"{label}{separator}needs plan {s.required_plan.capitalize()}"


def settings_line(report: SimulationReport) -> str:
    """``seed 7 · 10 replications · horizon 8h · warm-up 30m``."""
    n = report.replications
    return (
        f"seed {report.seed} · {n} replication{'s' if n != 1 else ''} · horizon "
        f"{format_duration(report.horizon)}{day_span(report)} · warm-up "
        f"{format_duration(report.warmup)} · same customers for every column"
    )


def footnote(comparison: Comparison) -> str:
    """What the second line of each cell means."""
    if len(comparison.arms) < 2:
        return "* best in row."
    return (
        f"* best in row. Second lines: difference to {comparison.baseline}, paired over "
        f"{comparison.replications} replication(s), ± half the 95 % interval."
    )


# --------------------------------------------------------------------- table


def render_comparison_table(data: ComparisonReport, console: Console) -> None:
    """Print the Rich view: arms as columns, metrics grouped as rows, then the verdict."""
    comparison = data.comparison
    console.print(Text(f"{data.report.scenario}", style="bold"))
    console.print(Text(headline(comparison), style="bold"))
    console.print(settings_line(data.report))
    table = Table(show_header=True, header_style="bold")
    table.add_column("metric", overflow="fold")
    for result, label in zip(data.results, comparison.arms, strict=True):
        heading = arm_heading(result, label, separator="\n")
        table.add_column(heading, justify="right", overflow="fold", min_width=10)
    groups = _grouped(comparison.rows)
    for g, (group, rows) in enumerate(groups):
        table.add_row(Text(group, style="bold cyan"))
        for r, row in enumerate(rows):
            last = r == len(rows) - 1 and g < len(groups) - 1
            table.add_row(Text(row.metric.label), *_cells(row), end_section=last)
    console.print(table)
    console.print(footnote(comparison))
    console.print()
    for sentence in comparison.verdict:
        console.print(Text(sentence, style="bold"))


def _grouped(rows: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    groups: list[tuple[str, list[Row]]] = []
    for row in rows:
        if not groups or groups[-1][0] != row.metric.group:
            groups.append((row.metric.group, []))
        groups[-1][1].append(row)
    return groups


def _cells(row: Row) -> list[Text]:
    cells = []
    for i, value in enumerate(row.values):
        best = i in row.best
        text = Text(format_value(row.metric, value) + (" *" if best else ""))
        if best:
            text.stylize("bold green")
        if i > 0:
            text.append("\n" + format_difference(row.metric, row.differences[i]), style="dim")
        cells.append(text)
    return cells


# ---------------------------------------------------------------------- JSON


def _difference_json(diff: Difference | None) -> Json:
    if diff is None:
        return {"mean": None, "ci95": None, "clear": False}
    ci: JsonValue = None if diff.ci95 is None else [diff.ci95[0], diff.ci95[1]]
    return {"mean": diff.mean, "ci95": ci, "clear": diff.clear}


def _differences_json(label: str, baseline: str, rows: Sequence[Row], i: int) -> Json:
    doc: Json = {"label": label, "against": baseline}
    for row in rows:
        doc[row.metric.key] = _difference_json(row.differences[i])
    return doc


def _labelled(label: str, result: MethodResult) -> Json:
    doc: Json = {"label": label}
    doc.update(result_json(result))
    return doc


def comparison_json(data: ComparisonReport) -> Json:
    """The whole document: cli.md's keys, then ``baseline``, ``metrics``, ``differences``."""
    report, comparison = data.report, data.comparison
    arms = comparison.arms
    metrics: list[JsonValue] = [
        {
            "key": row.metric.key,
            "group": row.metric.group,
            "label": row.metric.label,
            "unit": row.metric.unit.value,
            "better": row.metric.better.value,
            "values": {label: value for label, value in zip(arms, row.values, strict=True)},
            "best": [arms[i] for i in sorted(row.best)],
        }
        for row in comparison.rows
    ]
    differences: list[JsonValue] = [
        _differences_json(arms[i], comparison.baseline, comparison.rows, i)
        for i in range(1, len(arms))
    ]
    results: list[JsonValue] = [
        _labelled(label, result) for label, result in zip(arms, data.results, strict=True)
    ]
    return {
        **report_header(report),
        "results": results,
        "baseline": comparison.baseline,
        "metrics": metrics,
        "differences": differences,
        "verdict": list(comparison.verdict),
    }


def render_comparison_json(data: ComparisonReport) -> str:
    """The JSON text, indented, newline-terminated; deterministic bytes."""
    doc = comparison_json(data)
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ------------------------------------------------------------ Markdown, CSV


def render_comparison_markdown(data: ComparisonReport) -> str:
    """A Markdown table (arms as columns, best in bold) and the verdict."""
    comparison = data.comparison
    headings = [arm_heading(r, a) for r, a in zip(data.results, comparison.arms, strict=True)]
    lines = [
        f"# {data.report.scenario}",
        "",
        f"**{headline(comparison)}**",
        "",
        settings_line(data.report),
        "",
        "| metric | " + " | ".join(headings) + " |",
        "|---|" + "---:|" * len(headings),
    ]
    for group, rows in _grouped(comparison.rows):
        lines.append(f"| **{group}** |" + " |" * len(headings))
        for row in rows:
            cells = []
            for i, value in enumerate(row.values):
                text = format_value(row.metric, value)
                text = f"**{text}**" if i in row.best else text
                if i > 0:
                    text += f"<br>{format_difference(row.metric, row.differences[i])}"
                cells.append(text)
            lines.append(f"| {row.metric.label} | " + " | ".join(cells) + " |")
    lines += ["", footnote(comparison).replace("* best", "Bold: best"), ""]
    lines += [f"**{sentence}**" for sentence in comparison.verdict]
    return "\n".join(lines) + "\n"


def render_comparison_csv(data: ComparisonReport) -> str:
    """A long table: ``label,group,metric,value,difference,ci95_low,ci95_high,clear``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ("label", "group", "metric", "value", "difference", "ci95_low", "ci95_high", "clear")
    )
    comparison = data.comparison
    for row in comparison.rows:
        for i, label in enumerate(comparison.arms):
            diff = row.differences[i]
            ci = diff.ci95 if diff is not None else None
            writer.writerow(
                (
                    label,
                    row.metric.group,
                    row.metric.key,
                    _number(row.values[i]),
                    "" if diff is None else repr(diff.mean),
                    "" if ci is None else repr(ci[0]),
                    "" if ci is None else repr(ci[1]),
                    "" if diff is None else str(diff.clear).lower(),
                )
            )
    return out.getvalue()


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


__all__ = [
    "ComparisonReport",
    "arm_heading",
    "comparison_json",
    "footnote",
    "format_difference",
    "format_value",
    "render_comparison_csv",
    "render_comparison_json",
    "render_comparison_markdown",
    "render_comparison_table",
    "settings_line",
]
