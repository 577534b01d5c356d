"""The HTML report: self-contained, rendered by a real headless Chromium, charts as SVG.

"No network request" is checked twice. Statically: the file has no ``<script>``,
``<link>``, ``<img>``, ``@import`` or ``url(...)`` and every ``href``/``src`` points inside
the page. Dynamically: Chromium opens the page with every request sent through a
proxy on a local socket this test listens on; a page request (image, font, style)
would arrive there. Chromium's own background calls (update checks, clock sync to
Google services) arrive too and are ignored by host; a control page that does load
a remote image proves the trap works.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatassign.cli import app
from chatassign.report.html import PALETTE, series_style

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((path for name in BROWSERS if (path := shutil.which(name))), None)
needs_browser = pytest.mark.skipif(
    BROWSER is None,
    reason="no headless Chromium found (apt-get install chromium); report not rendered",
)
BROWSER_SERVICE_HOSTS = re.compile(r"(^|\.)(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)$")
"""Chromium's own background traffic; a page request to fonts.googleapis.com is still caught
by the static check."""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    path = folder / "acme.html"
    result = CliRunner().invoke(
        app,
        [
            "compare",
            "--methods",
            "balanced,round-robin",
            "--replications",
            "3",
            "--horizon",
            "3h",
            "--report",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output
    return path


def test_the_json_is_written_beside_the_report(report: Path) -> None:
    doc = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    assert [r["label"] for r in doc["results"]] == ["balanced", "round-robin"]


def test_the_report_is_deterministic(report: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.html"
    args = ["compare", "--methods", "balanced,round-robin", "--replications", "3"]
    result = CliRunner().invoke(app, [*args, "--horizon", "3h", "--report", str(again)])
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == report.read_bytes()


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.references: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("href", "src", "xlink:href", "srcset", "poster", "data") and value:
                self.references.append(value)


def test_the_report_references_nothing_outside_itself(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    parser = _References()
    parser.feed(text)
    assert not parser.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert all(ref.startswith("#") for ref in parser.references), parser.references
    assert "@import" not in text
    assert "url(" not in text.replace("url(#", "")
    assert text.count("<svg") == 4
    assert "chatassign compare --methods balanced,round-robin --seed 7 --replications 3" in text


class _Trap:
    """A local socket posing as the browser's proxy: records the first line of each request."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(32)
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    head = conn.recv(4096).decode("latin-1")
                except OSError:
                    head = ""
            self.requests.append(head.split("\r\n", 1)[0])

    def page_requests(self) -> list[str]:
        """Requests not to Chromium's own background services."""
        found = []
        for line in self.requests:
            parts = line.split()
            target = parts[1] if len(parts) > 1 else ""
            host = re.sub(r"^[a-z]+://", "", target).split("/", 1)[0].split(":", 1)[0]
            if not BROWSER_SERVICE_HOSTS.search(host):
                found.append(line)
        return found

    def __enter__(self) -> _Trap:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def trap() -> Iterator[_Trap]:
    with _Trap() as t:
        yield t


def _render(page: Path, trap: _Trap, profile: Path) -> str:
    assert BROWSER is not None
    done = subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            f"--user-data-dir={profile}",
            f"--proxy-server=http://127.0.0.1:{trap.port}",
            "--proxy-bypass-list=<-loopback>",
            "--virtual-time-budget=2000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@needs_browser
def test_the_trap_catches_a_page_that_loads_from_the_network(trap: _Trap, tmp_path: Path) -> None:
    page = tmp_path / "leaky.html"
    page.write_text('<html><body><img src="http://example.invalid/x.png"></body></html>')
    _render(page, trap, tmp_path / "profile")
    assert any("example.invalid" in line for line in trap.page_requests())


@needs_browser
def test_chromium_renders_the_report_without_network_requests(
    report: Path, trap: _Trap, tmp_path: Path
) -> None:
    dom = _render(report, trap, tmp_path / "profile")
    assert trap.page_requests() == []
    assert 'id="verdict"' in dom
    assert "balanced" in dom
    assert dom.count("<svg") == 4
    assert dom.count("</svg>") == 4
    assert 'id="comparison"' in dom


def test_a_missing_report_extra_is_a_clear_usage_error(
    hide_module: Callable[[str], None], tmp_path: Path
) -> None:
    hide_module("matplotlib")
    result = CliRunner().invoke(app, ["compare", "--report", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert "pip install 'chatassign[report]'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_simulate_writes_a_report_too(tmp_path: Path) -> None:
    path = tmp_path / "day.html"
    args = ["simulate", "--replications", "2", "--horizon", "2h", "--cap", "2,3"]
    result = CliRunner().invoke(app, [*args, "--report", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [r["variant"] for r in doc["results"]] == ["cap 2", "cap 3"]
    text = path.read_text(encoding="utf-8")
    assert text.count("<svg") == 4
    assert "chatassign simulate --seed 7 --replications 2 --horizon 2h --cap 2,3" in text
    assert json.loads(path.with_suffix(".json").read_text(encoding="utf-8")) == doc


@pytest.fixture(scope="module")
def day_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("day") / "day.html"
    args = ["simulate", "--replications", "3", "--horizon", "3h", "--report", str(path), "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return path


def test_simulate_has_its_own_page(day_page: Path) -> None:
    text = day_page.read_text(encoding="utf-8")
    assert "simulated day" in text
    for section in ("Summary", "Agents", "Cap saturation", "By team", "By AI agent"):
        assert f"<h3>{section}</h3>" in text
    assert "simulated [95 % interval]" in text
    assert "nothing to compare" not in text
    assert "same customers for every column" not in text
    assert ">alice</td>" in text


def test_a_day_with_a_clock_start_is_charted_in_clock_time(tmp_path: Path) -> None:
    """``workload.starts_at: "09:00"``: the queue chart's axis, the settings line and the
    scenario summary read 09:00 to 17:00, not hours from time 0."""
    path = tmp_path / "clock.html"
    scenario = str(Path(__file__).parent / "data" / "desk" / "clock.yaml")
    args = ["simulate", scenario, "--replications", "2", "--report", str(path), "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    ticks = re.findall(r"<text[^>]*>(\d\d:\d\d)</text>", text)
    assert ticks[:2] == ["09:00", "10:00"]
    assert ticks[ticks.index("09:00") : ticks.index("17:00") + 1] == [
        f"{h:02d}:00" for h in range(9, 18)
    ]
    assert "horizon 8 h · 09:00–17:00" in text
    assert "until 11:00" in text
    assert "h from start" not in text


@needs_browser
def test_chromium_renders_the_simulate_page_without_network_requests(
    day_page: Path, trap: _Trap, tmp_path: Path
) -> None:
    dom = _render(day_page, trap, tmp_path / "profile")
    assert trap.page_requests() == []
    assert dom.count("<svg") == 4
    assert "By team" in dom


def test_compare_opens_with_a_headline(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    headline = re.search(r'<p class="headline" id="headline">([^<]*)</p>', text)
    assert headline is not None
    assert text.index('id="headline"') < text.index('id="verdict"')
    assert headline.group(1).endswith("95 % sure.") or "No clear difference" in headline.group(1)


def test_series_differ_by_colour_marker_and_dashes(report: Path) -> None:
    """Two methods: two Okabe–Ito colours, and a dashed line beside a solid one."""
    text = report.read_text(encoding="utf-8")
    assert PALETTE[0].lower() in text.lower()
    assert PALETTE[1].lower() in text.lower()
    assert "stroke-dasharray" in text
    styles = {(s.color, s.marker, s.linestyle) for s in map(series_style, range(4))}
    assert len(styles) == 4
    assert len({s.marker for s in map(series_style, range(4))}) == 4


def test_all_zero_charts_say_so_instead_of_plotting(tmp_path: Path) -> None:
    path = tmp_path / "quiet.html"
    quiet = ["--set", "workload.arrivals.helpbot.rate=2/h", "--set", "workload.patience=null"]
    args = ["simulate", "--replications", "2", "--horizon", "2h", *quiet, "--report", str(path)]
    result = CliRunner().invoke(app, [*args, "-q"])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert "The queue was empty all day" in text
    assert "Zero for every agent" in text
