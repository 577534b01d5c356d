"""The self-contained HTML report: scenario summary, comparison table, SVG charts, verdict.

Charts are drawn by matplotlib as SVG and inlined; the page comes from the Jinja2
template ``chatassign/report/templates/report.html.j2`` with its styles inline, so the file
loads nothing from anywhere (no scripts, stylesheets, fonts or images). Both
libraries are the optional extra ``report`` (``pip install 'chatassign[report]'``);
:func:`require_report_extra` says so plainly when they are missing.

Deterministic: the same runs give the same bytes (fixed SVG ids, no dates).
"""

from __future__ import annotations

import importlib.util
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from chatassign.analysis.comparison import Row, headline
from chatassign.analysis.facts import ReplicationFacts
from chatassign.analysis.metrics import SimulationReport
from chatassign.errors import MissingReportExtraError
from chatassign.experiments.arms import ArmRun
from chatassign.report.comparison import (
    ComparisonReport,
    arm_heading,
    footnote,
    format_difference,
    format_value,
    settings_line,
)
from chatassign.report.simulation import day_span, result_name
from chatassign.report.simulation_text import TextTable, estimate_note, result_tables
from chatassign.workload.quantities import DayStart, format_moment
from chatassign.workload.values import Scenario

if TYPE_CHECKING:  # matplotlib is imported only when a report is drawn
    from jinja2 import Template
    from matplotlib.axes import Axes

REPORT_EXTRA = ("matplotlib", "jinja2")
CDF_POINTS = 200
"""Quantiles drawn per wait-time curve."""

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
"""Okabe and Ito's colour-blind-safe colours (yellow left out: too pale on white)."""
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
DASHES = ("-", "--", "-.", ":")
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo")


class SeriesStyle(NamedTuple):
    """How one series is drawn: colour, marker and dash style each tell it apart alone
    (``**style._asdict()``: as matplotlib's keywords)."""

    color: str
    marker: str
    linestyle: str


def series_style(k: int) -> SeriesStyle:
    """The style of the k-th series (colour, marker and dashes cycle independently)."""
    return SeriesStyle(
        color=PALETTE[k % len(PALETTE)],
        marker=MARKERS[k % len(MARKERS)],
        linestyle=DASHES[k % len(DASHES)],
    )


def say_all_zero(ax: Axes, message: str) -> None:
    """Instead of a chart of zeros (and a meaningless axis), say what the zeros mean."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=11)


def require_report_extra() -> None:
    """Raise MissingReportExtraError unless matplotlib and Jinja2 can be imported."""
    missing = [name for name in REPORT_EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingReportExtraError(
            f"--report needs {' and '.join(missing)}, which are not installed; "
            "install them with: pip install 'chatassign[report]'"
        )


@dataclass(frozen=True, slots=True)
class Chart:
    """One figure of the report: a title, a sentence saying how to read it, the SVG."""

    title: str
    caption: str
    svg: str


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: the value, its difference to the baseline, whether best in row."""

    value: str
    difference: str
    best: bool


def page_template(name: str) -> Template:
    """The Jinja2 template ``chatassign/report/templates/NAME`` (HTML autoescaped)."""
    require_report_extra()
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("chatassign.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(name)


def render_html(data: ComparisonReport, runs: Sequence[ArmRun], *, command: str) -> str:
    """The whole HTML page for ``runs`` (their comparison in ``data``); ``command`` repeats it."""
    template = page_template("report.html.j2")
    comparison = data.comparison
    scenario = runs[0].plan.scenario
    headings = [
        arm_heading(run.result, label) for run, label in zip(runs, comparison.arms, strict=True)
    ]
    return template.render(
        title=data.report.scenario,
        headline=headline(comparison),
        settings=settings_line(data.report),
        summary=scenario_summary(scenario, runs),
        headings=headings,
        groups=_table(comparison.rows),
        footnote=footnote(comparison),
        verdict=comparison.verdict,
        charts=charts(runs),
        command=command,
        seed=data.report.seed,
    )


@dataclass(frozen=True, slots=True)
class ResultSection:
    """One simulated result of the simulate page: its heading, notes and tables."""

    heading: str
    notes: tuple[str, ...]
    tables: tuple[TextTable, ...]


def render_simulation_html(
    report: SimulationReport, runs: Sequence[ArmRun], *, command: str
) -> str:
    """The simulate page: the run's settings, per result its summary (counts, 95 %
    intervals, the Erlang estimate), agents, cap saturation, teams and AI agents, then
    the scenario, the charts and the command that repeats it."""
    template = page_template("simulate.html.j2")
    sections = [
        ResultSection(
            heading=result_name(result),
            notes=(
                ()
                if result.summary.allowed_by_plan
                else (
                    f"{result.summary.method} needs plan "
                    f"{result.summary.required_plan.capitalize()}; "
                    "the scenario's plan does not include it (simulated anyway).",
                )
            )
            + (estimate_note(result),),
            tables=tuple(result_tables(result)),
        )
        for result in report.results
    ]
    n = report.replications
    settings = (
        f"seed {report.seed} · {n} replication{'s' if n != 1 else ''} · horizon "
        f"{_hours(report.horizon)}{day_span(report)} · warm-up {_hours(report.warmup)} · "
        "95 % intervals in brackets (clipped to what a value can be: 0–100 % for shares, "
        "≥ 0 otherwise)"
    )
    return template.render(
        title=report.scenario,
        settings=settings,
        sections=sections,
        summary=scenario_summary(runs[0].plan.scenario, runs),
        charts=charts(runs),
        command=command,
        seed=report.seed,
    )


def _table(rows: Sequence[Row]) -> list[tuple[str, list[tuple[str, list[Cell]]]]]:
    groups: list[tuple[str, list[tuple[str, list[Cell]]]]] = []
    for row in rows:
        if not groups or groups[-1][0] != row.metric.group:
            groups.append((row.metric.group, []))
        cells = [
            Cell(
                format_value(row.metric, value),
                "" if i == 0 else format_difference(row.metric, row.differences[i]),
                i in row.best,
            )
            for i, value in enumerate(row.values)
        ]
        groups[-1][1].append((row.metric.label, cells))
    return groups


# ------------------------------------------------------------ scenario summary


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g} h"


def scenario_summary(scenario: Scenario, runs: Sequence[ArmRun]) -> list[tuple[str, str]]:
    """(label, text) lines describing the scenario the first arm ran."""
    plan = runs[0].plan
    ws = plan.scenario.workspace
    workload = plan.workload
    start = workload.starts_at
    teamspaces = "; ".join(
        f"{tid}: {ts.assignment.method.value}, cap {ts.assignment.max_auto_assigned}"
        for tid, ts in ws.teamspaces.items()
    )
    agents = [agent.id for agent in runs[0].result.summary.agents]
    speeds = sorted({f"{ws.users[a].speed:g}" for a in agents if a in ws.users})
    arrivals = "; ".join(
        f"{stream.ai_agent}: "
        + ", ".join(
            f"{seg.rate * 3600:g}/h"
            + ("" if math.isinf(seg.until) else f" until {format_moment(seg.until, start)}")
            for seg in stream.schedule
        )
        + f", handed off {100 * stream.handoff_probability:g} %"
        for stream in workload.arrivals
    )
    lines = [
        ("scenario", scenario.name + (f" ({scenario.source})" if scenario.source else "")),
        ("plan", ws.plan.label),
        ("teamspaces (as configured)", teamspaces),
        ("live agents in pools", f"{len(agents)} (speeds {', '.join(speeds)})"),
        ("arrivals", arrivals),
        ("handle time", workload.handle_time.describe()),
        ("concurrency slowdown", ", ".join(f"{s:g}" for s in workload.concurrency_slowdown)),
        ("patience", workload.patience.describe() if workload.patience else "unlimited"),
        ("service-level threshold", f"{workload.service_level_threshold:g} s"),
        ("horizon / warm-up", f"{_hours(workload.horizon)} / {_hours(workload.warmup)}"),
    ]
    if start is not None:
        lines.append(("day", f"{start.text} to {start.clock_at(workload.horizon)}"))
    return lines


# -------------------------------------------------------------------- charts


def charts(runs: Sequence[ArmRun]) -> list[Chart]:
    """The four charts of the report, as inline SVG."""
    labels = [run.label for run in runs]
    return [
        Chart(
            "Wait-time distribution",
            "Share of assigned chats that waited at most x seconds (quantiles averaged over "
            "replications). Higher and further left is better.",
            draw_svg(lambda ax: _wait_cdf(ax, labels, [run.facts for run in runs])),
        ),
        Chart(
            "Assigned chats per agent",
            "Chats each agent received in the measurement window (mean over replications).",
            draw_svg(lambda ax: _per_agent(ax, runs, "assigned", "assigned chats")),
        ),
        Chart(
            "Queue length over the day",
            "Chats waiting for an assignee, sampled through the day (mean over replications).",
            draw_svg(lambda ax: _queue(ax, runs)),
        ),
        Chart(
            "Share of time at the cap",
            "Share of each agent's online time spent holding as many chats as the cap allows.",
            draw_svg(
                lambda ax: _per_agent(ax, runs, "at_cap_share", "share of online time", 100.0)
            ),
        ),
    ]


def draw_svg(draw: Callable[[Axes], None], *, size: tuple[float, float] = (7.2, 3.2)) -> str:
    """Draw on a fresh figure of ``size`` inches and return its ``<svg>`` element (no XML
    prologue)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    style: dict[str, str | bool | int] = {
        "svg.hashsalt": "chatassign",
        "svg.fonttype": "none",
        "font.family": "sans-serif",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(style):  # type: ignore[arg-type]
        figure = Figure(figsize=size, layout="constrained")
        axes = figure.add_subplot()
        draw(axes)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :].strip()


def _wait_cdf(ax: Axes, labels: Sequence[str], facts: Sequence[Sequence[ReplicationFacts]]) -> None:
    shares = [i / CDF_POINTS for i in range(CDF_POINTS + 1)]
    lowest = 100.0
    curves = [
        [math.fsum(f.waits.quantile(q) for f in reps) / len(reps) for q in shares] for reps in facts
    ]
    if all(x == 0 for xs in curves for x in xs):
        say_all_zero(ax, "No assigned chat waited: every wait was 0 s.")
        return
    for k, (label, xs) in enumerate(zip(labels, curves, strict=True)):
        ax.step(
            xs,
            [100 * q for q in shares],
            where="post",
            label=label,
            markevery=(3 * k, CDF_POINTS // 10),
            markersize=4,
            **series_style(k)._asdict(),
        )
        waited = next((q for q, x in zip(shares, xs, strict=True) if x > 0), 1.0)
        lowest = min(lowest, 100 * waited)
    # Most chats often wait 0 s: start the axis where the curves start to differ.
    ax.set_ylim(max(0.0, lowest - 5.0), 100.0)
    ax.set_xlabel("wait (s)")
    ax.set_ylabel("assigned chats (%)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)


def _per_agent(
    ax: Axes, runs: Sequence[ArmRun], field: str, ylabel: str, scale: float = 1.0
) -> None:
    agents = [agent.id for agent in runs[0].result.summary.agents]
    width = 0.8 / len(runs)
    series = [
        {a.id: float(getattr(a, field)) * scale for a in run.result.summary.agents} for run in runs
    ]
    if all(value == 0 for values in series for value in values.values()):
        say_all_zero(ax, f"Zero for every agent: no {ylabel} in any replication.")
        return
    for k, (run, values) in enumerate(zip(runs, series, strict=True)):
        xs = [i + (k - (len(runs) - 1) / 2) * width for i in range(len(agents))]
        ax.bar(
            xs,
            [values.get(a, 0.0) for a in agents],
            width=width,
            label=run.label,
            color=PALETTE[k % len(PALETTE)],
            hatch=HATCHES[k % len(HATCHES)],
            edgecolor="white",
        )
    ax.set_xticks(range(len(agents)), agents, rotation=45 if len(agents) > 10 else 0)
    ax.set_ylabel(ylabel + (" (%)" if scale == 100.0 else ""))
    if scale == 100.0:  # a share: never below 0 or above 100 %
        top = max(value for values in series for value in values.values())
        ax.set_ylim(0.0, min(100.0, max(1.0, top * 1.15)))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False)


def _queue(ax: Axes, runs: Sequence[ArmRun]) -> None:
    lines: list[tuple[str, list[float], list[float]]] = []
    for run in runs:
        interval = run.plan.queue_sample_interval
        series = [f.queue_samples for f in run.facts]
        count = min((len(s) for s in series), default=0)
        if interval <= 0 or count == 0:
            continue
        means = [math.fsum(s[k] for s in series) / len(series) for k in range(count)]
        hours = [(k + 0.5) * interval / 3600 for k in range(count)]
        lines.append((run.label, hours, means))
    if all(value == 0 for _, _, means in lines for value in means):
        say_all_zero(ax, "The queue was empty all day: no chat waited for an assignee.")
        return
    for k, (label, hours, means) in enumerate(lines):
        every = max(1, len(hours) // 12)
        ax.plot(
            hours,
            means,
            label=label,
            markevery=(k % every, every),
            markersize=4,
            **series_style(k)._asdict(),
        )
    ax.set_ylim(bottom=0.0)
    start = runs[0].plan.workload.starts_at if runs else None
    if start is None:
        ax.set_xlabel("time of day (h from start)")
    else:
        _clock_axis(ax, start)
        ax.set_xlabel(f"time of day ({start.text})" if start.date or start.zone else "time of day")
    ax.set_ylabel("chats waiting")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)


def _clock_axis(ax: Axes, start: DayStart) -> None:
    """Label an axis of hours from time 0 with the clock time of the day (``13:00``)."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    low, high = ax.get_xlim()
    span = high - low
    step = next((h for h in (0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 12.0) if span / h <= 10), 24.0)
    ax.xaxis.set_major_locator(MultipleLocator(step, offset=-start.seconds / 3600 % step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _: start.clock_at(round(h * 3600))))


__all__ = [
    "DASHES",
    "HATCHES",
    "MARKERS",
    "PALETTE",
    "REPORT_EXTRA",
    "Chart",
    "SeriesStyle",
    "charts",
    "draw_svg",
    "page_template",
    "render_html",
    "render_simulation_html",
    "require_report_extra",
    "say_all_zero",
    "scenario_summary",
    "series_style",
]
