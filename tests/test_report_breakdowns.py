"""Results by team and by AI agent in every format: golden text, documented JSON keys."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chatassign.cli import app

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden"
DESK = DATA / "desk" / "desk.yaml"
ROOT = Path(__file__).parent.parent


def simulate(*args: str) -> str:
    runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1"})
    result = runner.invoke(app, ["simulate", str(DESK), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(("fmt", "golden"), [("table", "desk.txt"), ("markdown", "desk.md")])
def test_breakdown_sections_match_golden_files(fmt: str, golden: str) -> None:
    output = simulate("--format", fmt)
    path = GOLDEN / golden
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(output, encoding="utf-8")
    assert output == path.read_text(encoding="utf-8")


def test_json_by_team_and_by_ai_agent() -> None:
    doc = json.loads(simulate("--format", "json"))
    (result,) = doc["results"]
    assert list(result["by_team"]) == ["billing", "tech"]
    assert result["by_team"]["billing"]["agents"] == ["alice", "bob"]
    assert set(result["by_team"]["tech"]) == {
        "agents",
        "assigned",
        "mean_open",
        "utilization",
        "at_cap_share",
        "cap_saturation",
    }
    bots = result["by_ai_agent"]
    assert list(bots) == ["billbot", "techbot"]
    billbot = bots["billbot"]
    assert list(billbot["by_language"]) == ["en", "es"]
    assert "by_language" not in bots["techbot"]
    for key in ("chats", "wait_s", "p_wait", "service_level", "abandon_rate"):
        assert key in billbot
        assert key in billbot["by_language"]["es"]
    handed = sum(bot["chats"]["handed_off"] for bot in bots.values())
    assert handed == pytest.approx(result["chats"]["handed_off"])
    languages = billbot["by_language"].values()
    assert sum(part["chats"]["handed_off"] for part in languages) == pytest.approx(
        billbot["chats"]["handed_off"]
    )
    assert result["handed_off_wait_s"]["p90"] >= result["wait_s"]["p90"]
    assert result["abandoned_wait_s"]["mean"] > 0


def test_every_new_json_key_is_documented() -> None:
    doc = json.loads(simulate("--format", "json"))
    (result,) = doc["results"]
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    keys = {"abandoned_wait_s", "handed_off_wait_s", "by_team", "by_ai_agent", "by_language"}
    keys |= set(result["by_team"]["billing"]) | set(result["by_ai_agent"]["billbot"])
    keys |= set(result["chats"])
    missing = {key for key in keys if not re.search(rf'"{key}"', reference)}
    assert not missing


def test_csv_has_team_and_ai_agent_scopes() -> None:
    rows = list(csv.reader(io.StringIO(simulate("--format", "csv"))))
    scopes = {row[1] for row in rows[1:]}
    assert {"team:billing", "team:tech", "ai_agent:billbot", "ai_agent:techbot"} <= scopes
    assert "ai_agent:billbot:es" in scopes
    metrics = {row[2] for row in rows if row[1] == "ai_agent:techbot"}
    assert {"service_level.value", "abandon_rate", "wait_s.p90", "handed_off_wait_s.p90"} <= metrics


def test_a_day_with_a_clock_start_shows_clock_times(tmp_path: Path) -> None:
    clock = DATA / "desk" / "clock.yaml"
    runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1"})
    trace = tmp_path / "trace.csv"
    result = runner.invoke(app, ["simulate", str(clock), "--format", "json", "--trace", str(trace)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["starts_at"] == "09:00"
    rows = list(csv.reader(io.StringIO(trace.read_text(encoding="utf-8"))))
    assert rows[0][-1] == "clock"
    assert rows[1][-1] == "09:00:00"
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d( \+\d+d)?", row[-1]) for row in rows[1:])
    table = runner.invoke(app, ["simulate", str(clock), "--format", "markdown"])
    assert "· 09:00–17:00 ·" in table.stdout
