"""The builds a benchmark compares: pure Python (the source tree) and compiled (a wheel).

Each measurement runs in a child process whose ``PYTHONPATH`` starts with the build's
folder, so its ``import chatassign`` finds that build; the child reports which build
it ran (``chatassign.compiled.core_build``) and a mismatch stops the benchmark. By
default the compiled build is made now: ``pip wheel`` of this tree (mypyc needs a C
compiler; about a minute and a half) unpacked in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PURE = "pure Python"
COMPILED = "compiled"


@dataclass(frozen=True)
class Build:
    """One build under test: its name and the folder that holds its ``chatassign``."""

    name: str
    path: str | None
    """None: whatever ``chatassign`` this interpreter imports (``--current``)."""

    def run(self, command: Sequence[str]) -> dict[str, float]:
        """Run ``python COMMAND`` in this build; its JSON output (checked to be this build)."""
        env = dict(os.environ)
        if self.path is not None:
            env["PYTHONPATH"] = self.path
        done = subprocess.run(
            [sys.executable, *command], check=True, capture_output=True, text=True, env=env
        )
        result = json.loads(done.stdout)
        ran = result.pop("build")
        if self.path is not None and ran != self.name:
            raise SystemExit(f"{self.path} holds the {ran} build, not the {self.name} one")
        return {key: float(value) for key, value in result.items()}


def add_build_options(parser: argparse.ArgumentParser) -> None:
    """``--pure``, ``--compiled`` and ``--current``: which builds to measure."""
    parser.add_argument(
        "--pure", metavar="FOLDER", default=str(ROOT), help="folder of the pure build (this tree)"
    )
    parser.add_argument(
        "--compiled",
        metavar="FOLDER",
        default="build",
        help="folder of an installed compiled build; 'build' (default) makes one now; 'none'",
    )
    parser.add_argument(
        "--current",
        action="store_true",
        help="measure only the chatassign this interpreter imports (no build is made)",
    )


def chosen_builds(args: argparse.Namespace, stack: ExitStack) -> list[Build]:
    """The builds the options ask for, compiled first; a build made now lives in ``stack``."""
    if args.current:
        from chatassign.compiled import core_build

        return [Build(core_build(), None)]
    builds = [Build(PURE, args.pure)]
    if args.compiled == "build":
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        builds.insert(0, Build(COMPILED, str(make_compiled_build(folder))))
    elif args.compiled != "none":
        builds.insert(0, Build(COMPILED, args.compiled))
    return builds


def make_compiled_build(folder: Path) -> Path:
    """Build this tree's wheel (compiled where a C compiler exists) and unpack it in ``folder``."""
    print("building the compiled wheel ...", file=sys.stderr, flush=True)
    pip = [sys.executable, "-m", "pip", "--quiet"]
    env = {key: value for key, value in os.environ.items() if key != "CHATASSIGN_PURE"}
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(folder), str(ROOT)], check=True, env=env)
    (wheel,) = folder.glob("chatassign-*.whl")
    target = folder / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return target


def build_of_this_process() -> str:
    """The build this (child) process imports, for its JSON output."""
    from chatassign.compiled import core_build

    return core_build()
