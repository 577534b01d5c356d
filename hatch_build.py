"""The wheel's build hook: compile the hot modules with mypyc where a C compiler exists.

``pip install .`` and ``pip wheel .`` run it. It compiles the modules that
``chatassign/compiled.py`` lists and adds the extension modules to the wheel beside
the unchanged ``.py`` files (Python imports the extension when both are there). It
builds a pure-Python wheel, which is complete and gives the same results, when:

* the install is editable (``pip install -e .``: development runs the source);
* ``CHATASSIGN_PURE=1`` is set;
* no C compiler or no Python headers are found.

A compiler that is found but fails stops the build, with mypyc's output and the hint
to set ``CHATASSIGN_PURE=1``.

Why not the ``hatch-mypyc`` plugin: its 0.16 compiles in place, leaving extension
modules in the source tree (where an editable install would then import them), hides
``pyproject.toml`` while it runs, and has no pure fallback. This hook compiles a copy
of the sources in a temporary folder and leaves the tree as it was.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUILD_REQUIREMENTS = ["mypy>=1.10", "setuptools>=65"]
"""What compiling needs (mypyc ships with mypy; setuptools drives the C compiler)."""

SETUP = """\
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="chatassign-core",
    ext_modules=mypycify({args!r}, group_name="chatassign", opt_level="3"),
)
"""


def _compiled_module_list(root: Path) -> tuple[str, ...]:
    """``COMPILED_MODULES``, read from the package (one list for the hook and the runtime)."""
    spec = importlib.util.spec_from_file_location(
        "_chatassign_compiled", root / "chatassign" / "compiled.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    modules: tuple[str, ...] = module.COMPILED_MODULES
    return modules


def pure_reason() -> str | None:
    """Why this build must be pure Python, or None when it can be compiled."""
    if os.environ.get("CHATASSIGN_PURE", "").strip() not in ("", "0"):
        return "CHATASSIGN_PURE is set"
    compiler = shlex.split(sysconfig.get_config_var("CC") or "cc")
    if not compiler or shutil.which(compiler[0]) is None:
        return "no C compiler found"
    include = sysconfig.get_paths().get("include")
    if not include or not (Path(include) / "Python.h").is_file():
        return "no Python headers (Python.h) found"
    return None


class CompiledCoreHook(BuildHookInterface):
    """Compile ``COMPILED_MODULES`` into the wheel, or leave the wheel pure Python."""

    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        return [] if pure_reason() else list(BUILD_REQUIREMENTS)

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        reason = "an editable install" if version == "editable" else pure_reason()
        if self.target_name != "wheel" or reason:
            if self.target_name == "wheel":
                self.app.display_info(f"chatassign: a pure-Python build ({reason})")
            return
        self._workdir = Path(tempfile.mkdtemp(prefix="chatassign-mypyc-"))
        built = self._compile(Path(self.root), self._workdir)
        for path, relative in built.items():
            build_data["force_include"][str(path)] = relative
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        self.app.display_info(f"chatassign: compiled {len(built)} extension modules with mypyc")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        workdir = getattr(self, "_workdir", None)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    def _compile(self, root: Path, workdir: Path) -> dict[Path, str]:
        """Compile a copy of the package in ``workdir``: extension path -> path in the wheel."""
        shutil.copytree(
            root / "chatassign",
            workdir / "chatassign",
            ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"),
        )
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        args = [
            "--config-file",
            str(root / "pyproject.toml"),
            "--python-version",
            python,
            *_compiled_module_list(root),
        ]
        (workdir / "setup.py").write_text(SETUP.format(args=args), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "setup.py", "build_ext", "--inplace"],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"compiling the core with mypyc failed:\n{done.stdout}\n"
                "Set CHATASSIGN_PURE=1 to install the pure-Python build instead."
            )
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        built = {
            path: path.relative_to(workdir).as_posix()
            for path in workdir.rglob(f"*{suffix}")
            if "build" not in path.relative_to(workdir).parts[:1]
        }
        return built
