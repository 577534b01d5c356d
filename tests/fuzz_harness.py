"""The child process of the fuzz test: runs each mutant through ``validate`` and, when
valid, a short ``simulate``, and says how each ended.

Started by ``tests/test_fuzz.py`` with a memory limit; it reads one JSON request per
line on stdin (``{"folder": ..., "text": ...}``) and answers one JSON line per request:
``{"verdict": "ok"}`` or ``{"verdict": "crash", "detail": ...}``. A mutant that hangs or
eats memory is caught by the parent (no answer in time, or this process dead).
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from typer.testing import CliRunner

from chatassign.cli import app

SHORT_RUN = ["--replications", "1", "--horizon", "10m", "--format", "json", "--workers", "1"]
"""The simulate options of a valid mutant: a short run, in this process."""


def judge(folder: Path, text: str) -> dict[str, str]:
    """Validate the mutant and, if valid, simulate it briefly; a crash is any traceback."""
    path = folder / "mutant.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    runner = CliRunner()
    checked = runner.invoke(app, ["validate", str(path), "--format", "json"])
    problem = _crash("validate", checked.exit_code, checked.exception, checked.output, (0, 1))
    if problem is not None:
        return problem
    try:
        json.loads(checked.stdout)
    except ValueError:
        return {"verdict": "crash", "detail": "validate --format json printed no JSON"}
    if checked.exit_code != 0 or "workload:" not in text:
        return {"verdict": "ok", "stage": "validate"}
    simulate_args = ["simulate", str(path), *SHORT_RUN]
    ran = runner.invoke(app, [*simulate_args[:-2]])
    problem = _crash("simulate", ran.exit_code, ran.exception, ran.output, (0, 1, 2))
    return problem or {"verdict": "ok", "stage": "simulate"}


def _crash(
    command: str, code: int, exception: BaseException | None, output: str, codes: tuple[int, ...]
) -> dict[str, str] | None:
    if exception is not None and not isinstance(exception, SystemExit):
        detail = "".join(traceback.format_exception(exception))
        return {"verdict": "crash", "detail": f"{command}: {detail}"}
    if "Traceback" in output:
        return {"verdict": "crash", "detail": f"{command} printed a traceback:\n{output}"}
    if code not in codes:
        return {"verdict": "crash", "detail": f"{command} exited {code}:\n{output}"}
    return None


def main() -> None:
    """Answer requests until stdin closes."""
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = judge(Path(request["folder"]), request["text"])
        except MemoryError:
            answer = {"verdict": "crash", "detail": "MemoryError"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
