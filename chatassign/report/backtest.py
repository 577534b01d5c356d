"""A backtest as output: the JSON document, Rich tables, Markdown, CSV and the HTML page.

Pure rendering: the same backtest gives the same bytes. A recorded figure outside the
simulated range is marked ▲ (above) or ▼ (below) in the tables.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from chatassign.history.backtest import (
    AI_AGENT_METRICS,
    COUNT,
    INTERVAL_METRICS,
    LEVEL,
    SHARE,
    TEAM_METRICS,
    TOTAL_METRICS,
    WEEKDAY,
    WHOLE,
    Backtest,
    Figure,
)
from chatassign.workload.quantities import format_clock, format_duration

Json = dict[str, object]
MARKS = {"above": "▲", "below": "▼"}
LEGEND = (
    "▲/▼: the recorded figure is above/below the simulated 95 % range, where the average of "
    "as many simulated days would fall; about 1 in 20 figures is outside by chance alone."
)


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _nested(flat: dict[str, object]) -> Json:
    """``{"chats.handed_off": 1}`` as ``{"chats": {"handed_off": 1}}``."""
    doc: Json = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        node = doc
        for part in parents:
            child = node.setdefault(part, {})
            assert isinstance(child, dict)
            node = child
        node[last] = value
    return doc


def _side(figures: dict[str, Figure], pick: str, threshold: float | None) -> Json:
    flat: dict[str, object] = {}
    for key, figure in figures.items():
        if pick == "ranges":
            low, high = figure.low, figure.high
            flat[key] = None if low is None or high is None else [_number(low), _number(high)]
        else:
            flat[key] = _number(getattr(figure, pick))
    doc = _nested(flat)
    if threshold is not None and "service_level" in doc:
        level = doc["service_level"]
        assert isinstance(level, dict)
        doc["service_level"] = {"threshold_s": threshold, **level}
    return doc


def _whole_side(backtest: Backtest, pick: str) -> Json:
    doc = _side(backtest.totals, pick, backtest.threshold)
    doc["by_team"] = {name: _side(figures, pick, None) for name, figures in backtest.teams.items()}
    doc["by_ai_agent"] = {
        name: _side(figures, pick, backtest.threshold)
        for name, figures in backtest.ai_agents.items()
    }
    return doc


def backtest_json(backtest: Backtest) -> Json:
    """The whole document as plain values."""
    days = backtest.days
    return {
        "scenario": backtest.scenario,
        "export": backtest.export,
        "seed": backtest.seed,
        "replications": backtest.replications,
        "period": {
            "day": days.kind,
            "days": len(days.origins),
            "first": days.dates[0].isoformat(),
            "last": days.dates[-1].isoformat(),
            "starts_at": format_clock(days.clock),
            "horizon_s": days.horizon,
            "interval_s": backtest.interval,
        },
        "rows": {
            "read": backtest.rows_read,
            "used": backtest.chats,
            "ignored": backtest.ignored,
            "outside": backtest.outside,
        },
        "notes": list(backtest.notes),
        "recorded": _whole_side(backtest, "recorded"),
        "simulated": _whole_side(backtest, "simulated"),
        "ranges": _whole_side(backtest, "ranges"),
        "outside": [
            {
                "metric": key,
                "side": figure.side,
                "recorded": _number(figure.recorded),
                "simulated": _number(figure.simulated),
                "range": [_number(figure.low), _number(figure.high)],
            }
            for key, figure in backtest.flagged
        ],
        "intervals": [
            {
                "start_s": k * backtest.interval,
                "clock": backtest.clock_at(k * backtest.interval),
                "recorded": _side(figures, "recorded", None),
                "simulated": _side(figures, "simulated", None),
                "ranges": _side(figures, "ranges", None),
                "outside": [key for key, figure in figures.items() if figure.side],
            }
            for k, figures in enumerate(backtest.intervals)
        ],
    }


def render_backtest_json(backtest: Backtest) -> str:
    """The JSON text, indented, newline-terminated."""
    doc = backtest_json(backtest)
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def format_figure(value: float | None, kind: str) -> str:
    """A figure as the tables show it: ``12.5``, ``9.3 %``, ``21 s``, ``1.84``; ``—`` if None."""
    if value is None:
        return "—"
    if kind == SHARE:
        return f"{value * 100:.1f} %"
    if kind == COUNT:
        return f"{value:,.1f}"
    if kind == LEVEL:
        return f"{value:.2f}"
    return f"{value:.1f} s" if value < 60 else format_duration(round(value))


def figure_range(figure: Figure, kind: str) -> str:
    """The simulated range as text (``8.1 % – 10.5 %``), ``—`` without one."""
    if figure.low is None or figure.high is None:
        return "—"
    return f"{format_figure(figure.low, kind)} – {format_figure(figure.high, kind)}"


def marked(figure: Figure, kind: str) -> str:
    """The recorded figure with ▲/▼ when it is outside the simulated range."""
    side = figure.side
    text = format_figure(figure.recorded, kind)
    return f"{text} {MARKS[side]}" if side else text


def headline(backtest: Backtest) -> list[str]:
    """What was compared: the recorded days, the simulated ones, the verdict."""
    days = backtest.days
    count = len(days.origins)
    if days.kind == WHOLE:
        what = f"the whole period from {days.dates[0]} (one span)"
    elif days.kind == WEEKDAY:
        what = f"{count} weekday(s), {days.dates[0]} to {days.dates[-1]}"
    else:
        what = f"{days.dates[0]}"
    window = f"{backtest.clock_at(0)}–{backtest.clock_at(days.horizon)}"
    outside = f", {backtest.outside:,} outside the window" if backtest.outside else ""
    flagged = backtest.flagged
    verdict = (
        f"{len(flagged)} figure(s) of the totals, teams and AI agents outside the simulated range"
        if flagged
        else "every figure of the totals, teams and AI agents inside the simulated range"
    )
    return [
        f"backtest of {backtest.scenario} against {backtest.export}",
        f"recorded: {what}, {window}: {backtest.chats:,} chats{outside}",
        f"simulated: {backtest.replications} replications of the day, seed {backtest.seed}",
        verdict,
    ]


def _figure_table(
    title: str, rows: Sequence[tuple[str, Figure, str]], *, first: str = "metric"
) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(first)
    for column in ("recorded", "simulated", "range"):
        table.add_column(column, justify="right", no_wrap=True)
    for label, figure, kind in rows:
        simulated = format_figure(figure.simulated, kind)
        table.add_row(label, marked(figure, kind), simulated, figure_range(figure, kind))
    return table


def total_rows(backtest: Backtest) -> list[tuple[str, Figure, str]]:
    """(label, figure, kind) of each total, the service level with its threshold."""
    threshold = format_duration(backtest.threshold)
    rows = []
    for key, label, kind in TOTAL_METRICS:
        text = f"{label} (≤ {threshold})" if key == "service_level.value" else label
        rows.append((text, backtest.totals[key], kind))
    return rows


def _group_rows(
    groups: dict[str, dict[str, Figure]], metrics: tuple[tuple[str, str, str], ...]
) -> list[tuple[str, Figure, str]]:
    return [
        (f"{name}: {label}", figures[key], kind)
        for name, figures in groups.items()
        for key, label, kind in metrics
    ]


def _interval_table(backtest: Backtest) -> Table:
    table = Table(title="per interval (recorded / simulated)", title_justify="left")
    table.add_column("from")
    for _, label, _ in INTERVAL_METRICS:
        table.add_column(label, justify="right", no_wrap=True)
    for k, figures in enumerate(backtest.intervals):
        cells = [
            f"{marked(figures[key], kind)} / {format_figure(figures[key].simulated, kind)}"
            for key, _, kind in INTERVAL_METRICS
        ]
        table.add_row(backtest.clock_at(k * backtest.interval), *cells)
    return table


def print_backtest(backtest: Backtest, console: Console) -> None:
    """The backtest as tables: totals, teams, AI agents, intervals, then the legend."""
    first, *rest = headline(backtest)
    console.print(Text(first, style="bold"), soft_wrap=True)
    for line in rest:
        console.print(line, soft_wrap=True)
    for note in backtest.notes:
        console.print(Text(f"note: {note}", style="dim"), soft_wrap=True)
    console.print(_figure_table("totals", total_rows(backtest)))
    if backtest.teams:
        console.print(_figure_table("per team", _group_rows(backtest.teams, TEAM_METRICS)))
    if backtest.ai_agents:
        rows = _group_rows(backtest.ai_agents, AI_AGENT_METRICS)
        console.print(_figure_table("per AI agent", rows))
    console.print(_interval_table(backtest))
    console.print(Text(LEGEND, style="dim"), soft_wrap=True)


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def render_backtest_markdown(backtest: Backtest) -> str:
    """The tables as GitHub Markdown."""
    first, *rest = headline(backtest)
    notes = [f"- note: {note}" for note in backtest.notes]
    lines = [f"## {first}", "", *[f"- {line}" for line in rest], *notes, ""]
    sections = [("Totals", total_rows(backtest))]
    if backtest.teams:
        sections.append(("Per team", _group_rows(backtest.teams, TEAM_METRICS)))
    if backtest.ai_agents:
        sections.append(("Per AI agent", _group_rows(backtest.ai_agents, AI_AGENT_METRICS)))
    for title, rows in sections:
        body = [
            (label, marked(f, kind), format_figure(f.simulated, kind), figure_range(f, kind))
            for label, f, kind in rows
        ]
        lines += [f"### {title}", ""]
        lines += _markdown_table(("metric", "recorded", "simulated", "range"), body)
        lines.append("")
    header = ["from", *(f"{label} (recorded / simulated)" for _, label, _ in INTERVAL_METRICS)]
    cells = [
        [
            backtest.clock_at(k * backtest.interval),
            *(
                f"{marked(figures[key], kind)} / {format_figure(figures[key].simulated, kind)}"
                for key, _, kind in INTERVAL_METRICS
            ),
        ]
        for k, figures in enumerate(backtest.intervals)
    ]
    lines += ["### Per interval", "", *_markdown_table(header, cells), "", LEGEND, ""]
    return "\n".join(lines)


def render_backtest_csv(backtest: Backtest) -> str:
    """One row per figure: scope, name, interval, metric, recorded, simulated, range, outside."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["scope", "name", "from", "metric", "recorded", "simulated", "low", "high", "outside"]
    )

    def rows(scope: str, name: str, start: str, figures: dict[str, Figure]) -> None:
        for key, figure in figures.items():
            values = (figure.recorded, figure.simulated, figure.low, figure.high)
            cells = ["" if v is None else repr(_number(v)) for v in values]
            writer.writerow([scope, name, start, key, *cells, figure.side or ""])

    rows("total", "", "", backtest.totals)
    for name, figures in backtest.teams.items():
        rows("team", name, "", figures)
    for name, figures in backtest.ai_agents.items():
        rows("ai_agent", name, "", figures)
    for k, figures in enumerate(backtest.intervals):
        rows("interval", "", backtest.clock_at(k * backtest.interval), figures)
    return out.getvalue()


__all__ = [
    "LEGEND",
    "backtest_json",
    "figure_range",
    "format_figure",
    "headline",
    "marked",
    "print_backtest",
    "render_backtest_csv",
    "render_backtest_json",
    "render_backtest_markdown",
    "total_rows",
]
