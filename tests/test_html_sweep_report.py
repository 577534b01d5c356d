"""``sweep --report``: the chart layout rule, a self-contained deterministic page, Chromium."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatassign.analysis.intervals import estimate
from chatassign.cli import app
from chatassign.experiments.measures import MEASURES
from chatassign.experiments.sweep import SweepResult, SweepRow
from chatassign.experiments.variants import build_grid, parse_vary
from chatassign.report.html_sweep import chart_layout, sweep_charts
from tests.test_html_report import _References, _render, _Trap, needs_browser

runner = CliRunner()
SWEEP = [
    "sweep",
    "--vary",
    "staff.billing=2,3",
    "--vary",
    "method=balanced,round-robin",
    "--replications",
    "2",
    "--horizon",
    "1h",
    "--workers",
    "1",
    "--format",
    "json",
]


def fake_result(*texts: str) -> SweepResult:
    """A sweep over ``texts`` axes whose every measure is the row's index (no simulation)."""
    axes = tuple(parse_vary(text) for text in texts)
    rows = tuple(
        SweepRow(point, 2, {name: estimate([point.index, point.index]) for name in MEASURES})
        for point in build_grid(axes)
    )
    return SweepResult("s", 7, 2, axes, rows)


def test_one_line_per_method_against_the_other_key() -> None:
    layout = chart_layout(fake_result("method=balanced,random", "staff.billing=2..4"))
    assert layout.x_key == "staff.billing"
    assert layout.numeric
    assert layout.x_positions == (2.0, 3.0, 4.0)
    assert [label for label, _ in layout.lines] == ["balanced", "random"]
    assert layout.lines[0][1] == (0, 1, 2)
    assert layout.rule == "x: staff.billing; one line per method."


def test_one_line_when_only_one_key_is_varied() -> None:
    layout = chart_layout(fake_result("workload.arrivals.helpbot.rate=100/h,200/h"))
    assert not layout.numeric
    assert layout.x_positions == (0.0, 1.0)
    assert layout.lines == (("", (0, 1)),)
    assert chart_layout(fake_result("method=balanced,random")).x_key == "method"


def test_two_other_keys_give_one_line_per_value_of_the_second() -> None:
    cap = "teamspaces.support.assignment.max_auto_assigned=2,3"
    layout = chart_layout(fake_result("staff.billing=2,3", cap))
    assert [label for label, _ in layout.lines] == ["max_auto_assigned=2", "max_auto_assigned=3"]
    both = chart_layout(fake_result("staff.billing=2,3", cap, "method=balanced,random"))
    assert [label for label, _ in both.lines][:2] == [
        "balanced · max_auto_assigned=2",
        "balanced · max_auto_assigned=3",
    ]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sweep") / "what-if.html"
    result = runner.invoke(app, [*SWEEP, "--report", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(path.with_suffix(".json").read_text(encoding="utf-8")) == json.loads(
        result.stdout
    )
    return path


def test_the_report_is_self_contained_with_a_chart_per_metric(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    parser = _References()
    parser.feed(text)
    assert not parser.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert all(ref.startswith("#") for ref in parser.references), parser.references
    assert "@import" not in text
    assert "url(" not in text.replace("url(#", "")
    assert text.count("<svg") == len(MEASURES)
    assert 'id="sweep-table"' in text
    command = (
        "chatassign sweep --vary staff.billing=2,3 --vary method=balanced,round-robin "
        "--seed 7 --replications 2 --horizon 1h"
    )
    assert command in text


def test_the_report_is_the_same_bytes_again(report: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.html"
    result = runner.invoke(app, [*SWEEP, "--report", str(again)])
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == report.read_bytes()


def test_a_bare_name_goes_under_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["sweep", "--vary", "method=balanced,random", "--replications", "1"]
    result = runner.invoke(app, [*args, "--horizon", "1h", "--workers", "1", "--report", "w.html"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["w.html", "w.json"]


def test_a_missing_report_extra_stops_before_running(
    hide_module: Callable[[str], None], tmp_path: Path
) -> None:
    hide_module("jinja2")
    result = runner.invoke(app, [*SWEEP, "--report", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert "pip install 'chatassign[report]'" in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def trap() -> Iterator[_Trap]:
    with _Trap() as t:
        yield t


@needs_browser
def test_chromium_renders_the_sweep_report_without_requests(
    report: Path, trap: _Trap, tmp_path: Path
) -> None:
    dom = _render(report, trap, tmp_path / "profile")
    assert trap.page_requests() == []
    assert dom.count("</svg>") == len(MEASURES)
    assert 'id="sweep-table"' in dom


def test_flat_and_all_zero_charts_say_so() -> None:
    """Every row the same value (or 0): a sentence instead of a line in a band."""
    axes = (parse_vary("staff.billing=2,3,4"),)
    rows = tuple(
        SweepRow(
            point,
            2,
            {
                name: estimate([0.0, 0.0] if name == "wait_p90_s" else [0.4, 0.6])
                for name in MEASURES
            },
        )
        for point in build_grid(axes)
    )
    result = SweepResult("s", 7, 2, axes, rows)
    charts = {chart.title: chart.svg for chart in sweep_charts(result, chart_layout(result))}
    assert "0 at every grid point" in charts["90th-percentile wait"]
    assert "50.0 % at every grid point" in charts["Service level"]
