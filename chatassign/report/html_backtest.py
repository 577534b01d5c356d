"""The backtest's HTML page: the tables with their marks and recorded-against-simulated charts.

Each chart shows one figure over the day: the simulated mean as a line inside its
95 % range (shaded) and the recorded figure as points, filled where they fall
outside the range. Same backtest, same bytes (see ``report.html.draw_svg``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chatassign.history.backtest import (
    AI_AGENT_METRICS,
    INTERVAL_METRICS,
    SECONDS,
    SHARE,
    TEAM_METRICS,
    Backtest,
    Figure,
)
from chatassign.report.backtest import (
    LEGEND,
    figure_range,
    format_figure,
    headline,
    marked,
    total_rows,
)
from chatassign.report.html import Chart, draw_svg, page_template, series_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass(frozen=True, slots=True)
class Row:
    """One table row: the label, the recorded figure (marked), simulated, range, outside."""

    label: str
    recorded: str
    simulated: str
    range: str
    outside: bool


CHARTS = {
    "chats.handed_off": ("Handoffs over the day", "Chats handed off per interval, per day."),
    "abandon_rate": (
        "Abandonment over the day",
        "Share of the interval's handed-off chats abandoned in the queue.",
    ),
    "wait_s.mean": ("Waits over the day", "Mean wait of the interval's assigned chats."),
    "service_level.value": (
        "Service level over the day",
        "Share of the interval's handed-off chats assigned within the service-level threshold.",
    ),
}
"""The title and caption of each chart, by the figure it draws."""


def render_backtest_html(backtest: Backtest, *, command: str) -> str:
    """The whole page; ``command`` repeats the backtest."""
    *settings, verdict = headline(backtest)[1:]
    totals = [
        Row(
            label,
            marked(f, kind),
            format_figure(f.simulated, kind),
            figure_range(f, kind),
            bool(f.side),
        )
        for label, f, kind in total_rows(backtest)
    ]
    sections = [("Totals", totals)]
    for title, groups, metrics in (
        ("Per team", backtest.teams, TEAM_METRICS),
        ("Per AI agent", backtest.ai_agents, AI_AGENT_METRICS),
    ):
        rows = [
            row for name, figures in groups.items() for row in _rows(figures, metrics, f"{name}: ")
        ]
        if rows:
            sections.append((title, rows))
    return page_template("backtest.html.j2").render(
        title=backtest.scenario,
        headline=verdict,
        settings=[*settings, *(f"note: {note}" for note in backtest.notes)],
        sections=sections,
        legend=LEGEND,
        charts=[_chart(backtest, key, kind) for key, _, kind in INTERVAL_METRICS],
        command=command,
        seed=backtest.seed,
    )


def _rows(
    figures: dict[str, Figure], metrics: tuple[tuple[str, str, str], ...], prefix: str
) -> list[Row]:
    return [_row(prefix + label, figures[key], kind) for key, label, kind in metrics]


def _row(label: str, figure: Figure, kind: str) -> Row:
    return Row(
        label,
        marked(figure, kind),
        format_figure(figure.simulated, kind),
        figure_range(figure, kind),
        figure.side is not None,
    )


def _chart(backtest: Backtest, key: str, kind: str) -> Chart:
    title, caption = CHARTS[key]
    return Chart(
        title,
        caption + " Line: simulated mean; band: its 95 % range; points: recorded "
        "(filled where outside the range).",
        draw_svg(lambda ax: _draw(ax, backtest, key, kind)),
    )


def _draw(ax: Axes, backtest: Backtest, key: str, kind: str) -> None:
    scale = 100.0 if kind == SHARE else 1.0
    width = backtest.interval / 3600
    starts = [k * width for k in range(len(backtest.intervals))]
    middles = [x + width / 2 for x in starts]
    figures = [interval[key] for interval in backtest.intervals]
    simulated, recorded = series_style(0), series_style(1)

    def scaled(value: float | None) -> float:
        return float("nan") if value is None else value * scale

    ax.fill_between(
        middles,
        [scaled(f.low) for f in figures],
        [scaled(f.high) for f in figures],
        color=simulated.color,
        alpha=0.18,
        linewidth=0,
        label="simulated 95 % range",
    )
    ax.plot(
        middles,
        [scaled(f.simulated) for f in figures],
        color=simulated.color,
        linestyle=simulated.linestyle,
        label="simulated mean",
    )
    inside = [(x, f) for x, f in zip(middles, figures, strict=True) if f.side is None]
    outside = [(x, f) for x, f in zip(middles, figures, strict=True) if f.side is not None]
    ax.plot(
        [x for x, _ in inside],
        [scaled(f.recorded) for _, f in inside],
        linestyle="none",
        marker=recorded.marker,
        markerfacecolor="white",
        color=recorded.color,
        label="recorded",
    )
    if outside:
        ax.plot(
            [x for x, _ in outside],
            [scaled(f.recorded) for _, f in outside],
            linestyle="none",
            marker=recorded.marker,
            color=recorded.color,
            label="recorded, outside the range",
        )
    ticks = starts[:: max(1, len(starts) // 12)]
    ax.set_xticks(ticks, [backtest.clock_at(x * 3600) for x in ticks])
    ax.set_xlabel("time of day")
    ax.set_ylabel("%" if kind == SHARE else ("seconds" if kind == SECONDS else "chats"))
    ax.set_ylim(bottom=0)
    ax.legend(loc="best", fontsize=8, frameon=False)
