"""``simulate|compare --replay EXPORT --mapping MAP.yaml``: the recorded customers drive the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from chatassign.cli import app
from chatassign.history.export import read_export
from chatassign.history.mapping import load_mapping
from chatassign.history.replay import recorded_handoffs, time_zero
from chatassign.workload.quantities import DayStart
from tests.history_generator import MAPPING, Truth, export_text

DESK = """\
name: Replayed desk
plan: pro
roles:
  agent: [livechats.view_manage_assigned]
users:
  alice: {role: agent, teams: [support]}
teams:
  support: {teamspaces: [main]}
teamspaces:
  main:
    assignment: {method: balanced, max_auto_assigned: 1}
ai_agents:
  bot:
    teamspace: main
    languages: [en, de]
    handoff:
      target: {teamspace: true}
workload:
  horizon: 1h
  starts_at: "09:00"
  warmup: 10m
  arrivals:
    bot: {rate: 30/h}
  handle_time: constant(100)
  patience: constant(1000)
  run_to_completion: true
"""
TINY_MAPPING = """\
format: csv
timezone: UTC
columns:
  id: id
  handed_off_at: handed_off_at
  wait: wait
  handle_time: handle_time
  ai_agent: bot
  language: language
  outcome: status
outcomes:
  served: [closed]
  abandoned: [missed]
  ignore: [spam]
"""
TINY_EXPORT = """\
id,handed_off_at,wait,handle_time,bot,language,status,customer
1,2026-03-02T09:00:00,0,300,bot,en,closed,Ada
2,2026-03-02T09:01:40,50,,bot,de,missed,Bob
3,2026-03-02T09:02:30,10,60,bot,en,closed,Cy
4,2026-03-02T09:03:00,0,0,bot,en,spam,Di
5,2026-03-02T09:10:00,0,40,bot,de,closed,Eve
"""


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "desk.yaml").write_text(DESK, encoding="utf-8")
    (tmp_path / "map.yaml").write_text(TINY_MAPPING, encoding="utf-8")
    (tmp_path / "export.csv").write_text(TINY_EXPORT, encoding="utf-8")
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner(env={"NO_COLOR": "1", "COLUMNS": "100"}).invoke(
        app, list(args), terminal_width=100
    )


def replay_json(command: str, *args: str) -> Any:
    result = run(
        command, "desk.yaml", "--replay", "export.csv", "--mapping", "map.yaml",
        "--format", "json", *args,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_recorded_work_and_patience_give_an_exact_day(tiny: Path) -> None:
    # One agent, cap 1. Chat 1 (work 300) is taken at 0 s; chat 2 (abandoned after
    # 50 s) leaves at 150 s; chat 3 (patience drawn above its recorded 10 s wait:
    # 1000 s) waits until 300 s and ends at 360 s; chat 5 arrives at 600 s to a free
    # agent. The warm-up is ignored: every recorded chat counts.
    doc = replay_json("simulate")
    (result,) = doc["results"]
    chats = result["chats"]
    assert chats["handed_off"] == 3 + 1
    assert chats["assigned"] == 3
    assert chats["abandoned"] == 1
    assert result["wait_s"]["mean"] == pytest.approx(50.0)
    assert result["abandoned_wait_s"]["mean"] == pytest.approx(50.0)


def test_recorded_handoffs_keep_time_language_work_and_patience() -> None:
    path = Path(__file__).parent / "replay-tiny.csv"
    try:
        path.write_text(TINY_EXPORT, encoding="utf-8")
        map_path = path.with_suffix(".yaml")
        map_path.write_text(TINY_MAPPING, encoding="utf-8")
        mapping = load_mapping(map_path)
        export = read_export(path, mapping)
    finally:
        path.unlink(missing_ok=True)
        path.with_suffix(".yaml").unlink(missing_ok=True)
    handoffs = recorded_handoffs(
        export, mapping.timezone, starts_at=DayStart(9 * 3600.0), streams=["bot"]
    )
    assert [(h.at, h.language, h.work, h.patience, h.waited) for h in handoffs] == [
        (0.0, "en", 300.0, None, 0.0),
        (100.0, "de", None, 50.0, 0.0),
        (150.0, "en", 60.0, None, 10.0),
        (600.0, "de", 40.0, None, 0.0),
    ]


def test_time_zero_is_the_half_hour_of_the_first_handoff_without_starts_at() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Berlin")
    first = 1772442000.0 + 47 * 60  # 2026-03-02 10:47 Berlin
    assert time_zero(first, zone, None) == 1772442000.0 + 30 * 60
    assert time_zero(first, zone, DayStart(8 * 3600.0)) == 1772442000.0 - 2 * 3600


def test_compare_hands_off_the_recorded_count_in_every_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = export_text(Truth(days=1))
    (tmp_path / "export.csv").write_text(text, encoding="utf-8")
    (tmp_path / "map.yaml").write_text(MAPPING, encoding="utf-8")
    fitted = run("fit", "export.csv", "--mapping", "map.yaml", "--output", "./desk.yaml")
    assert fitted.exit_code == 0, fitted.output
    recorded = len(read_export(tmp_path / "export.csv", load_mapping(tmp_path / "map.yaml")))
    assert recorded > 100
    doc = replay_json("compare", "--methods", "round-robin,balanced,random", "--replications", "2")
    results = doc["results"]
    assert len(results) == 3
    for result in results:
        assert result["chats"]["handed_off"] == recorded


def test_replications_redraw_only_what_was_not_recorded(tiny: Path) -> None:
    one = replay_json("simulate", "--replications", "3", "--seed", "4")
    again = replay_json("simulate", "--replications", "3", "--seed", "4")
    assert one == again
    (result,) = one["results"]
    assert result["chats"]["handed_off"] == 4


def test_the_replay_needs_its_mapping_and_the_mapping_its_replay(tiny: Path) -> None:
    alone = run("simulate", "desk.yaml", "--replay", "export.csv")
    assert alone.exit_code == 2
    assert "--mapping" in alone.output
    stray = run("simulate", "desk.yaml", "--mapping", "map.yaml")
    assert stray.exit_code == 2
    assert "--replay" in stray.output


def test_a_bad_row_is_located_and_exits_1(tiny: Path) -> None:
    (tiny / "export.csv").write_text(
        TINY_EXPORT.replace("2026-03-02T09:10:00", "yesterday"), encoding="utf-8"
    )
    result = run("simulate", "desk.yaml", "--replay", "export.csv", "--mapping", "map.yaml")
    assert result.exit_code == 1
    assert "export.csv:6" in result.output
    assert "handed_off_at" in result.output
    assert "Traceback" not in result.output


def test_a_bad_mapping_is_located_and_exits_1(tiny: Path) -> None:
    (tiny / "map.yaml").write_text(TINY_MAPPING.replace("timezone: UTC", "timezone: Mars/Base"))
    result = run("compare", "desk.yaml", "--replay", "export.csv", "--mapping", "map.yaml")
    assert result.exit_code == 1
    assert "map.yaml:2" in result.output


def test_an_unknown_ai_agent_exits_1(tiny: Path) -> None:
    (tiny / "export.csv").write_text(TINY_EXPORT.replace(",bot,en,", ",helper,en,"))
    result = run("simulate", "desk.yaml", "--replay", "export.csv", "--mapping", "map.yaml")
    assert result.exit_code == 1
    assert "'helper'" in result.output


def test_a_handoff_before_the_day_starts_exits_1(tiny: Path) -> None:
    (tiny / "export.csv").write_text(TINY_EXPORT.replace("T09:00:00", "T08:59:00"))
    result = run("simulate", "desk.yaml", "--replay", "export.csv", "--mapping", "map.yaml")
    assert result.exit_code == 1
    assert "before the scenario's day starts" in result.output


@pytest.mark.parametrize("command", ["simulate", "compare"])
def test_the_reports_reproduce_command_replays_too(tiny: Path, command: str) -> None:
    pytest.importorskip("matplotlib")
    result = run(
        command, "desk.yaml", "--replay", "export.csv", "--mapping", "map.yaml",
        "--report", "./day.html", "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = (tiny / "day.html").read_text(encoding="utf-8")
    shown = html.split('<pre id="command">')[1].split("</pre>")[0]
    assert "--replay export.csv --mapping map.yaml" in shown


SHARED_EXPORT = """\
id,handed_off_at,wait,handle_time,agent,bot,status
1,2026-03-02T09:00:00,0,300,ana,bot,closed
2,2026-03-02T09:01:40,0,100,ana,bot,closed
3,2026-03-02T09:02:00,0,50,ben,bot,closed
"""


def test_replayed_work_is_corrected_for_the_scenarios_slowdown(tmp_path: Path) -> None:
    # ana holds chat 1 alone for 100 s, with chat 2 for 100 s, alone again for 100 s.
    # Under slowdown [1, 2] chat 1's work is 100 + 100/2 + 100 = 250 s and chat 2's 50 s:
    # what, at the load ana had, takes their recorded 300 s and 100 s. Flat: the durations.
    path = tmp_path / "shared.csv"
    path.write_text(SHARED_EXPORT, encoding="utf-8")
    map_path = tmp_path / "shared.yaml"
    map_path.write_text(TINY_MAPPING.replace("  language: language\n", "  agent: agent\n"))
    mapping = load_mapping(map_path)
    export = read_export(path, mapping)

    def works(slowdown: tuple[float, ...]) -> list[float | None]:
        handoffs = recorded_handoffs(
            export, mapping.timezone, starts_at=DayStart(9 * 3600.0), streams=["bot"],
            slowdown=slowdown,
        )  # fmt: skip
        return [h.work for h in handoffs]

    assert works((1.0,)) == [300.0, 100.0, 50.0]
    assert works((1.0, 2.0)) == [pytest.approx(250.0), pytest.approx(50.0), 50.0]
    assert works((2.0,)) == [150.0, 50.0, 25.0]
