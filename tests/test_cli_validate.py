"""``chatassign validate`` and ``schema`` through the CLI: formats, exit codes, hostile input."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import chatassign
from chatassign.cli import app

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden"
INVALID = DATA / "invalid"
ROOT = Path(__file__).resolve().parent.parent

HANG_GUARD_S = 60
"""Only a hang fails this bound; speed goals live in benchmarks/, not in tests."""


def run(*args: str) -> Result:
    result = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1"}).invoke(app, list(args))
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_valid_files_and_folders_exit_0() -> None:
    result = run("validate", str(ROOT / "scenarios"), "--strict")
    assert result.exit_code == 0
    assert "5 files passed" in result.output


def test_errors_exit_1_and_warnings_only_with_strict(tmp_path: Path) -> None:
    assert run("validate", str(INVALID / "cap-below-one.yaml")).exit_code == 1
    warning_only = str(INVALID / "agent-no-team.yaml")
    assert run("validate", warning_only).exit_code == 0
    assert run("validate", warning_only, "--strict").exit_code == 1


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("validate", str(tmp_path / "missing.yaml")).exit_code == 2
    assert run("validate", str(tmp_path)).exit_code == 2  # a folder with no YAML
    assert run("validate").exit_code == 2
    assert run("validate", str(INVALID), "--format", "xml").exit_code == 2


def test_json_output_is_a_sorted_stable_list() -> None:
    result = run("validate", "--format", "json", str(GOLDEN))
    records = json.loads(result.stdout)
    assert result.exit_code == 1
    assert all(
        list(r) == ["file", "line", "column", "path", "severity", "code", "message"]
        for r in records
    )
    keys = [(r["file"], r["line"], r["column"]) for r in records]
    assert keys == sorted(keys)
    assert {"severity": "error", "code": "plan-method"}.items() <= next(
        r for r in records if r["path"] == "teamspaces.support.assignment.method"
    ).items()


def test_github_output_is_workflow_commands() -> None:
    result = run("validate", "--format", "github", str(INVALID / "plan-method.yaml"))
    assert result.exit_code == 1
    [line] = result.stdout.splitlines()
    assert line.startswith(f"::error file={INVALID / 'plan-method.yaml'},line=10,col=26,")
    assert line.endswith(
        "::teamspaces.main.assignment.method: round-robin needs plan pro or above; "
        "this workspace is on lite (change the method or the plan)"
    )


def test_text_output_matches_golden_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    result = run("validate", "golden")
    expected_path = GOLDEN / "validate.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        expected_path.write_text(result.stdout, encoding="utf-8")
    assert result.exit_code == 1
    assert result.stdout == expected_path.read_text(encoding="utf-8")


MESSAGE_FILES = [
    "yaml-indent.yaml",
    "yaml-indent-between.yaml",
    "yaml-unclosed-brace.yaml",
    "yaml-syntax.yaml",
    "yaml-tabs.yaml",
    "unknown-key-synonym.yaml",
    "unknown-key-elsewhere.yaml",
    "unknown-key.yaml",
]


def test_error_messages_match_golden_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Syntax errors where they start, with the source line and a caret; key hints."""
    monkeypatch.chdir(INVALID)
    result = run("validate", *MESSAGE_FILES)
    expected_path = GOLDEN / "yaml-errors.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        expected_path.write_text(result.stdout, encoding="utf-8")
    assert result.exit_code == 1
    assert result.stdout == expected_path.read_text(encoding="utf-8")
    assert "did you mean 'horizon'" not in result.stdout
    assert "while parsing" not in result.stdout


def test_a_syntax_error_of_a_run_shows_the_line_and_a_caret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(INVALID)
    result = run("simulate", "yaml-unclosed-brace.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:] == [
        "yaml-unclosed-brace.yaml:5:10: the '{' opened here is still open when line 6 "
        "starts; close it with '}' [yaml-syntax]",
        "   5 |   alice: {role: agent, teams: [support]",
        " " * 16 + "^",
    ]


def test_schema_prints_json_schema() -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "chatassign scenario"
    assert "workload" in schema["properties"]


BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]"
            for i in range(8)
        ),
    ]
)
NOT_A_SCENARIO_TAG = "plan: !!python/object/apply:os.system ['touch {marker}']\n"
HOSTILE: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty-file"),
    "binary": (bytes(range(256)) * 4, "binary-file"),
    "latin-1": ("plan: pro\nname: café\n".encode("latin-1"), "not-utf8"),
    "tabs": (b"plan: pro\nusers:\n\talice: {role: agent}\n", "yaml-syntax"),
    "duplicate keys": (b"plan: pro\nplan: free\n", "duplicate-key"),
    "billion laughs": (BILLION_LAUGHS.encode(), "too-complex"),
    "deep nesting": (b"a: " + b"[" * 5000, "too-complex"),
    "recursive alias": (b"a: &a [*a]\n", "too-complex"),
    "top-level list": (b"- plan: pro\n", "not-a-mapping"),
    "top-level scalar": (b"just text\n", "not-a-mapping"),
    "python tag": (b"plan: !!python/object:os.system pro\n", "yaml-tag"),
    "huge int": (
        b"plan: pro\nteamspaces:\n  t: {assignment: {max_auto_assigned: " + b"9" * 5000 + b"}}\n",
        "yaml-value",
    ),
    "huge float": (b"plan: pro\nusers:\n  a: {role: admin, speed: 1e999}\n", "bad-number"),
    "negative cap": (
        b"plan: pro\nteamspaces:\n  t: {assignment: {max_auto_assigned: -3}}\n",
        "cap-below-one",
    ),
    "negative duration": (
        b"plan: pro\nworkload: {horizon: -5, arrivals: {}, handle_time: constant(1m)}\n",
        "bad-duration",
    ),
    "negative rate": (
        b"plan: pro\nworkload: {horizon: 1h, arrivals: {b: {rate: -5/h}}, "
        b"handle_time: constant(1m)}\n",
        "bad-rate",
    ),
    "nan": (b"plan: pro\nusers:\n  a: {role: admin, speed: .nan}\n", "bad-number"),
    "5x duration": (
        b"plan: pro\nworkload: {horizon: 5x, arrivals: {}, handle_time: constant(1m)}\n",
        "bad-duration",
    ),
    "several documents": (b"plan: pro\n---\nplan: free\n", "yaml-syntax"),
    "control character": (b"plan: pro\x07\n", "yaml-syntax"),
    "bom": (b"\xef\xbb\xbfplan: pro\nusers: 5\n", "wrong-type"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_gives_a_located_error(name: str, tmp_path: Path) -> None:
    content, code = HOSTILE[name]
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    started = time.perf_counter()
    result = run("validate", "--format", "json", str(path))
    assert time.perf_counter() - started < HANG_GUARD_S
    assert result.exit_code == 1
    records = json.loads(result.stdout)
    assert code in [r["code"] for r in records]
    assert all(r["line"] >= 1 and r["column"] >= 1 for r in records)


def test_python_tags_never_run_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(NOT_A_SCENARIO_TAG.format(marker=marker), encoding="utf-8")
    assert run("validate", str(path)).exit_code == 1
    assert not marker.exists()


def test_fifty_megabyte_file_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as stream:
        line = b"key: value that repeats to make the file large\n"
        stream.write(line * (50_000_000 // len(line) + 1))
    started = time.perf_counter()
    result = run("validate", str(path))
    assert time.perf_counter() - started < HANG_GUARD_S
    assert result.exit_code == 1
    assert "file-too-large" in result.stdout
    assert "50.0 MB" in result.stdout


def test_a_directory_is_expanded_and_a_directory_as_scenario_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.yml").write_text("plan: free\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not yaml", encoding="utf-8")
    result = run("validate", "--format", "json", str(tmp_path))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.yaml"
    path.write_text("plan: pro\n", encoding="utf-8")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read anything")
        result = run("validate", "--format", "json", str(path))
        assert result.exit_code == 1
        assert json.loads(result.stdout)[0]["code"] == "file-unreadable"
    finally:
        path.chmod(0o644)


def test_validating_many_files(tmp_path: Path) -> None:
    # Speed is measured by benchmarks/bench_validate.py (1,000 files), not here.
    text = (Path(chatassign.__file__).parent / "examples" / "acme.yaml").read_text(encoding="utf-8")
    for i in range(100):
        (tmp_path / f"s{i:03d}.yaml").write_text(text, encoding="utf-8")
    result = run("validate", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout.count("ok ") == 100


def test_a_long_source_line_is_shown_cut_around_the_problem(tmp_path: Path) -> None:
    digits = "9" * 5000
    path = tmp_path / "long.yaml"
    path.write_text(
        f"plan: pro\nteamspaces:\n  t: {{assignment: {{max_auto_assigned: {digits}}}}}\n"
    )
    result = CliRunner().invoke(app, ["validate", str(path)], terminal_width=100)
    assert result.exit_code == 1
    shown = [line for line in result.output.splitlines() if "|" in line]
    assert shown
    assert all(len(line) < 120 for line in shown), shown
    assert any("…" in line for line in shown)


CLOCK_DAY = """\
plan: pro
roles:
  agent: [livechats.view_manage_assigned]
users:
  alice: {role: agent, teams: [support]}
  bob: {role: agent, teams: [support]}
teams:
  support: {teamspaces: [main]}
teamspaces:
  main:
    assignment: {method: balanced, max_auto_assigned: 3}
ai_agents:
  bot:
    teamspace: main
    languages: [en]
    handoff:
      target: {teamspace: true}
workload:
  horizon: 8h
  starts_at: "09:00"
  arrivals:
    bot:
      rate: [{until: "13:00", rate: 60/h}, {until: "11:00", rate: 30/h}]
      handoff_probability: 0.5
  handle_time: exponential(mean=5m)
  shifts:
    alice: [{from: "13:00", to: "18:00"}]
    bob: [{from: "09:00", to: "12:00"}, {from: "11:30", to: "14:00"}]
"""


def test_a_day_with_a_clock_start_is_described_in_clock_time(tmp_path: Path) -> None:
    """Times in messages read as the user wrote them: 18:00, not 9h."""
    scenario = tmp_path / "day.yaml"
    scenario.write_text(CLOCK_DAY)
    result = run("validate", "--format", "json", str(scenario))
    messages = {r["code"]: r["message"] for r in json.loads(result.stdout)}
    assert result.exit_code == 1
    assert "(11:00 is not after 13:00)" in messages["schedule-order"]
    assert (
        "the shift ends at 18:00, after the horizon (17:00, 8h after 09:00)"
        in messages["shift-outside-horizon"]
    )
    assert "starts at 11:30, before the shift from 09:00 ends (12:00)" in messages["shift-overlap"]
