"""Fuzzing: hypothesis mutates the example scenarios and the bad-input files; every mutant
goes through ``validate`` and, if valid, a short ``simulate``, in a child process with a
memory limit and a time limit per mutant. None may crash, hang or run out of memory.

The quick version (``FUZZ_MUTANTS``, default 200) runs in the normal suite; the long one
(``FUZZ_LONG_MUTANTS``, default 400, fresh mutants on every run, derandomized under CI so
a submission's result does not depend on the draw) is marked slow. A hunt for new crashes
sets ``FUZZ_LONG_MUTANTS=3000`` or more outside CI.
"""

from __future__ import annotations

import json
import math
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chatassign

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX resource limits")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [
    *sorted((ROOT / "scenarios").glob("*.yaml")),
    Path(chatassign.__file__).parent / "examples" / "acme.yaml",  # installed or not
    *sorted((ROOT / "tests" / "data" / "invalid").glob("*.yaml")),
]
SEED_TEXTS = [path.read_text(encoding="utf-8", errors="replace") for path in SEEDS]
SEED_DOCUMENTS = []
for _text in SEED_TEXTS:
    try:
        _document = yaml.safe_load(_text)
    except (yaml.YAMLError, ValueError):  # bad-input files PyYAML's own reader refuses
        continue
    if isinstance(_document, dict):
        SEED_DOCUMENTS.append(_document)

MEMORY_LIMIT = 2 * 1024**3
"""Address space of the child (numpy and the simulator fit well within it)."""
SECONDS_PER_MUTANT = 60.0
"""No mutant may take longer (validate plus a 10-minute simulated run: well under a second)."""

EXTREMES: list[object] = [
    0, -1, 1, 1e308, -1e308, math.nan, math.inf, -math.inf, 10**30, 2**63, True, None,
    "", "x" * 5000, "\ud800", "a\x00b", "1e308s", "99999999d", "0/h", "1e308/h", "-5m",
    "exponential(mean=0s)", "empirical(/etc/passwd)", "empirical(../../x.csv)",
    "empirical(/dev/zero)", "uniform(low=5m, high=1m)", [], {}, [[[[[[[[1]]]]]]]],
    {"until": "1h"}, [{"rate": "10/h"}, {"until": "1h", "rate": "5/h"}],
]  # fmt: skip
FRAGMENTS = [
    "&a [*a, *a]", "*nope", "!!python/object:os.system ", "!!binary ", "<<: *x",
    "[" * 80 + "]" * 80, "{a: " * 70 + "1" + "}" * 70, "? [1]\n: 2", "\t", "%YAML 1.1\n",
    "--- \n", "\\ud800", '"\\ud800"', "max_auto_assigned: 1000000000", "horizon: 1e308s",
    "replications: 99999999", "rate: 0/h",
]  # fmt: skip


def _paths(value: object, at: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*at, index))


def _replace(document: object, path: tuple[object, ...], new: object, *, delete: bool) -> object:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        copy = dict(document)
        if delete and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replace(copy[head], rest, new, delete=delete)
        return copy
    if isinstance(document, list):
        items = list(document)
        assert isinstance(head, int)
        if delete and not rest:
            del items[head]
        else:
            items[head] = _replace(items[head], rest, new, delete=delete)
        return items
    return new


@st.composite
def structural_mutants(draw: st.DrawFn) -> str:
    """A parsed example with keys deleted, types swapped or values made extreme."""
    document: object = draw(st.sampled_from(SEED_DOCUMENTS))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(document))
        path = draw(st.sampled_from(paths[1:] or paths))
        action = draw(st.sampled_from(["delete", "extreme", "swap"]))
        if action == "delete":
            document = _replace(document, path, None, delete=True)
        elif action == "extreme":
            document = _replace(document, path, draw(st.sampled_from(EXTREMES)), delete=False)
        else:
            other = draw(st.sampled_from(paths))
            value: object = document
            for part in other:
                value = value[part]  # type: ignore[index]
            document = _replace(document, path, value, delete=False)
    return yaml.safe_dump(document, allow_unicode=False, width=10**6)


@st.composite
def textual_mutants(draw: st.DrawFn) -> str:
    """An example's text (bad-input files too) with lines cut, doubled or spliced."""
    lines = draw(st.sampled_from(SEED_TEXTS)).splitlines() or [""]
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "replace-value"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "insert":
            column = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:column] + draw(st.sampled_from(FRAGMENTS)) + lines[i][column:]
        else:
            key, sep, _ = lines[i].partition(":")
            if sep:
                fragment = draw(st.sampled_from([*FRAGMENTS, "0", "-1", ".nan", ".inf", "1e308"]))
                lines[i] = f"{key}: {fragment}"
    return "\n".join(lines) + "\n"


mutants = st.one_of(structural_mutants(), textual_mutants())


class Harness:
    """The child process that judges mutants, restarted after it dies or hangs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        def limit() -> None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

        process = subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz_harness"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            preexec_fn=limit,
        )
        return process

    def judge(self, text: str) -> dict[str, str]:
        """The child's verdict on ``text``; a hang or a death is a crash too."""
        if self.process is None or self.process.poll() is not None:
            self.process = self._start()
        process = self.process
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(json.dumps({"folder": str(self.folder), "text": text}) + "\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], SECONDS_PER_MUTANT + 30)
        line = process.stdout.readline() if ready else ""
        if not line:
            process.kill()
            process.wait()
            self.process = None
            why = "hung" if not ready else f"died (exit {process.returncode})"
            return {"verdict": "crash", "detail": f"the child {why} on this mutant"}
        answer: dict[str, str] = json.loads(line)
        return answer

    def close(self) -> None:
        """Stop the child."""
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=30)
            self.process = None


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ROOT / "scenarios" / "data", folder / "data")
    judge = Harness(folder)
    yield judge
    judge.close()


def _fuzz(harness: Harness, text: str) -> None:
    answer = harness.judge(text)
    assert answer["verdict"] == "ok", answer.get("detail", "") + "\n--- mutant ---\n" + text


QUICK = settings(
    max_examples=int(os.environ.get("FUZZ_MUTANTS", "200")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
LONG = settings(
    QUICK,
    max_examples=int(os.environ.get("FUZZ_LONG_MUTANTS", "400")),
    derandomize=bool(os.environ.get("CI")),
)


@QUICK
@given(text=mutants)
def test_no_mutant_crashes_hangs_or_runs_out_of_memory(harness: Harness, text: str) -> None:
    _fuzz(harness, text)


@pytest.mark.slow
@LONG
@given(text=mutants)
def test_many_more_mutants_never_crash(harness: Harness, text: str) -> None:
    _fuzz(harness, text)


FOUND = {
    "zero-rate-erlang": (ROOT / "tests" / "data" / "invalid" / "capacity-below-load.yaml")
    .read_text(encoding="utf-8")
    .split("workload:")[0]
    + "workload:\n  horizon: 8h\n  arrivals:\n    bot: {rate: 0/h, handoff_probability: 0.5}\n"
    + "  handle_time: exponential(mean=5m)\n",
    "open-schedule-piece-first": (ROOT / "scenarios" / "free-startup.yaml")
    .read_text(encoding="utf-8")
    .replace("rate: 60/h", "rate: [{rate: 60/h}, {until: 2h, rate: 30/h}]"),
    "lone-surrogate": (ROOT / "scenarios" / "free-startup.yaml")
    .read_text(encoding="utf-8")
    .replace("name: Startup help desk (free)", 'name: "\\ud800"'),
}
"""Mutants that crashed before their fix (the zero rate: the Erlang estimate raised)."""


@pytest.mark.parametrize("name", sorted(FOUND))
def test_mutants_found_by_fuzzing_stay_fixed(harness: Harness, name: str) -> None:
    _fuzz(harness, FOUND[name])
