"""The self-contained HTML report of a sweep: each metric against the varied key, the table.

Built with the machinery of :mod:`chatassign.report.html` (matplotlib SVG inlined in a
Jinja2 page, ``templates/sweep.html.j2``): nothing is loaded from anywhere and the
same sweep gives the same bytes.

Which key is the x axis, and which lines are drawn (:func:`chart_layout`):

* x is the first varied key other than ``method`` (in ``--vary`` order); when only
  ``method`` is varied, x is the method.
* one line per combination of the other varied keys' values: per method when
  ``method`` is also varied, per value of the second key when two other keys are
  varied, per (method, value) pair when both; a single line when x is the only key.

x is numeric when every value reads as a number (``staff.billing=2..7``, caps),
else the values are equally spaced in the order given (``100/h,150/h``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatassign.analysis.intervals import Estimate
from chatassign.analysis.registry import METRICS, MetricInfo
from chatassign.experiments.measures import MEASURES
from chatassign.experiments.sweep import SweepResult
from chatassign.experiments.variants import METHOD_KEY
from chatassign.report.html import Chart, draw_svg, page_template, say_all_zero, series_style

if TYPE_CHECKING:  # matplotlib is imported only when a report is drawn
    from matplotlib.axes import Axes


CHART_SIZE = (4.8, 3.0)
"""Inches: two charts side by side on a wide page."""
MAX_TICKS = 12
"""Up to this many x values, each gets a tick labelled as written."""
MAX_SHADED = 3
"""With more lines than this, intervals are not shaded (they would hide each other)."""


@dataclass(frozen=True, slots=True)
class ChartLayout:
    """The x key, its values (and positions), and each line's label and rows."""

    x_key: str
    x_values: tuple[str, ...]
    x_positions: tuple[float, ...]
    numeric: bool
    lines: tuple[tuple[str, tuple[int, ...]], ...]
    """(label, row indexes in x order) per line; label empty for a single line."""
    rule: str
    """The layout in one sentence, for the page."""


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _short(key: str) -> str:
    """``teamspaces.support.assignment.max_auto_assigned`` -> ``max_auto_assigned``."""
    return key if key.startswith("staff.") else key.rsplit(".", 1)[-1]


def chart_layout(result: SweepResult) -> ChartLayout:
    """Which key is x and which lines are drawn (the module docstring's rule)."""
    keys = [axis.key for axis in result.axes]
    x_key = next((key for key in keys if key != METHOD_KEY), keys[0])
    x_axis = result.axes[keys.index(x_key)]
    others = [key for key in keys if key != x_key]
    # The method first among the line keys: "balanced · max_auto_assigned=3".
    others.sort(key=lambda key: key != METHOD_KEY)
    numbers = [_number(value) for value in x_axis.values]
    numeric = all(n is not None for n in numbers)
    positions = tuple(
        float(n) if n is not None and numeric else float(i) for i, n in enumerate(numbers)
    )
    values = {axis.key: axis.values for axis in result.axes}
    lines: dict[tuple[int, ...], dict[str, int]] = {}
    for index, row in enumerate(result.rows):
        settings = dict(row.point.settings)
        line = tuple(values[key].index(settings[key]) for key in others)
        lines.setdefault(line, {})[settings[x_key]] = index
    ordered = tuple(
        (
            " · ".join(
                values[key][i] if key == METHOD_KEY else f"{_short(key)}={values[key][i]}"
                for key, i in zip(others, line, strict=True)
            ),
            tuple(by_x[v] for v in x_axis.values if v in by_x),
        )
        for line, by_x in sorted(lines.items())
    )
    lines_rule = f"one line per {' × '.join(others)}" if others else "one line"
    rule = f"x: {x_key}; {lines_rule}."
    return ChartLayout(x_key, x_axis.values, positions, numeric, ordered, rule)


def _draw_metric(ax: Axes, *, result: SweepResult, layout: ChartLayout, name: str) -> None:
    style = METRICS[name]
    position = dict(zip(layout.x_values, layout.x_positions, strict=True))
    means = [result.rows[i].metrics[name].mean for _, indexes in layout.lines for i in indexes]
    if all(mean == 0 for mean in means):
        say_all_zero(ax, f"{style.heading}: 0 at every grid point.")
        return
    if len({round(mean, 12) for mean in means}) == 1:  # a flat line in a band says nothing
        value = style.text(means[0])
        say_all_zero(ax, f"{style.heading}: {value} at every grid point\n(the same customers).")
        return
    for k, (label, indexes) in enumerate(layout.lines):
        rows = [result.rows[i] for i in indexes]
        xs = [position[dict(row.point.settings)[layout.x_key]] for row in rows]
        estimates = [row.metrics[name] for row in rows]
        ys = [e.mean * style.scale for e in estimates]
        # Lines often coincide (common random numbers): dashes and markers keep each visible.
        (line,) = ax.plot(xs, ys, markersize=4, label=label or None, **series_style(k)._asdict())
        bounds = [e.ci95 for e in estimates]
        if len(layout.lines) <= MAX_SHADED and all(b is not None for b in bounds):
            # Every measure is ≥ 0: a Student-t bound below 0 is drawn at 0.
            lows = [max(0.0, b[0]) * style.scale for b in bounds if b is not None]
            highs = [b[1] * style.scale for b in bounds if b is not None]
            ax.fill_between(xs, lows, highs, color=line.get_color(), alpha=0.15, linewidth=0)
    low, high = ax.get_ylim()
    # Every measure is ≥ 0, and a share stays within 0–100 %.
    ax.set_ylim(max(0.0, low), min(100.0, high) if style.suffix == "%" else high)
    if not layout.numeric or len(layout.x_values) <= MAX_TICKS:
        ax.set_xticks(layout.x_positions, layout.x_values)
    ax.set_xlabel(layout.x_key)
    ax.set_ylabel(style.heading.lower() + (f" ({style.suffix})" if style.suffix else ""))
    ax.grid(alpha=0.3)
    if len(layout.lines) > MAX_SHADED:  # many lines: the legend below, off the data
        ax.legend(frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    elif any(label for label, _ in layout.lines):
        ax.legend(frameon=False, fontsize=8)


def sweep_charts(result: SweepResult, layout: ChartLayout) -> list[Chart]:
    """One chart per measure: its mean against the x key, a shaded 95 % interval per line."""
    charts = []
    for name in MEASURES:
        style = METRICS[name]
        caption = f"Mean over {result.replications} replications"
        shaded = result.replications > 1 and len(layout.lines) <= MAX_SHADED
        caption += ", shaded: 95 % interval (in the table)." if shaded else "."
        if style.better:
            caption += f" {style.better.value.capitalize()} is better."
        draw = functools.partial(_draw_metric, result=result, layout=layout, name=name)
        charts.append(Chart(style.heading, caption, draw_svg(draw, size=CHART_SIZE)))
    return charts


@dataclass(frozen=True, slots=True)
class TableCell:
    """A measure's mean and its ± half-width (empty with one replication)."""

    value: str
    spread: str


def _cell(style: MetricInfo, est: Estimate) -> TableCell:
    spread = "" if est.half_width is None else "± " + style.text(est.half_width)
    return TableCell(style.text(est.mean), spread)


def render_sweep_html(
    result: SweepResult,
    *,
    command: str,
    settings: Sequence[tuple[str, str]],
) -> str:
    """The whole HTML page of ``result``; ``command`` repeats the sweep, ``settings``
    are (label, text) lines describing it."""
    layout = chart_layout(result)
    rows = [
        (
            [value for _, value in row.point.settings],
            row.replications,
            [_cell(METRICS[name], row.metrics[name]) for name in MEASURES],
        )
        for row in result.rows
    ]
    return page_template("sweep.html.j2").render(
        title=result.scenario,
        summary=(
            f"{len(result.rows)} grid points × {result.replications} replications, "
            f"seed {result.seed}, common random numbers"
        ),
        settings=settings,
        rule=layout.rule,
        keys=[axis.key for axis in result.axes],
        metrics=[METRICS[name] for name in MEASURES],
        rows=rows,
        charts=sweep_charts(result, layout),
        command=command,
        seed=result.seed,
    )


__all__ = [
    "ChartLayout",
    "chart_layout",
    "render_sweep_html",
    "sweep_charts",
]
