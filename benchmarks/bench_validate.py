"""Validation throughput: ``chatassign validate`` over many ordinary scenario files.

Writes N files (the example scenarios, each copy renamed and with its seed changed,
and every tenth one with a deliberate error) to a temporary folder, then runs the
``validate`` command in process over the folder, as CI would.

    python benchmarks/bench_validate.py              # 1,000 files
    python benchmarks/bench_validate.py --files 200
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from chatassign.cli import app
from chatassign.scenario import example_scenario_path

ROOT = Path(__file__).resolve().parent.parent


def write_files(folder: Path, count: int) -> None:
    """``count`` ordinary scenario files in ``folder``; every tenth has one error."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "scenarios").glob("*.yaml"))]
    texts.append(example_scenario_path().read_text(encoding="utf-8"))
    for i in range(count):
        text = texts[i % len(texts)].replace("seed: ", f"seed: {i}", 1)
        if "empirical(" in text:
            text = text.replace("empirical(data/handle_times.csv)", "gamma(mean=8m, sd=4m)")
        if i % 10 == 9:
            text = text.replace("max_auto_assigned: 3", "max_auto_assigned: 0", 1)
        (folder / f"scenario-{i:04d}.yaml").write_text(text, encoding="utf-8")


def time_validate(count: int) -> tuple[float, int]:
    """Seconds to validate ``count`` files, and the exit code."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_files(folder, count)
        started = time.perf_counter()
        result = CliRunner().invoke(app, ["validate", "--format", "json", str(folder)])
        return time.perf_counter() - started, result.exit_code


def main() -> None:
    """Run the measurement and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    count = parser.parse_args().files
    seconds, code = time_validate(count)
    rate = count / seconds
    print(f"validated {count} files in {seconds:.2f} s ({rate:.0f} files/s), exit {code}")


if __name__ == "__main__":
    main()
