"""Which build of the core is running: compiled by mypyc, or pure Python.

A regular install (``pip install .``) compiles the modules below with mypyc where a C
compiler is found; an editable install, or one made with ``CHATASSIGN_PURE=1``, runs
them as Python. Both builds run the same source and give the same results.
The build hook (``hatch_build.py``) reads ``COMPILED_MODULES`` from this file.
"""

from __future__ import annotations

from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

COMPILED_MODULES = (
    "chatassign/methods.py",
    "chatassign/engine/core.py",
    "chatassign/engine/pools.py",
    "chatassign/engine/records.py",
    "chatassign/engine/state.py",
    "chatassign/simulation/books.py",
    "chatassign/simulation/calendar.py",
    "chatassign/simulation/desk.py",
    "chatassign/simulation/run.py",
    "chatassign/simulation/setup.py",
    "chatassign/simulation/trace.py",
    "chatassign/workload/samplers.py",
)
"""The hot path, as paths from the project root: what the build hook compiles."""


def compiled_modules() -> tuple[str, ...]:
    """The modules of ``COMPILED_MODULES`` that Python imports from a compiled extension.

    Read from the files beside the package, without importing anything: an extension
    module next to a ``.py`` file is the one the import system loads.
    """
    root = Path(__file__).resolve().parent.parent
    found = []
    for module in COMPILED_MODULES:
        source = root / module
        stem = source.with_suffix("")
        if any(stem.with_name(stem.name + suffix).is_file() for suffix in EXTENSION_SUFFIXES):
            found.append(module)
    return tuple(found)


def core_build() -> str:
    """``compiled`` when every hot module is compiled, ``pure Python`` when none is."""
    found = compiled_modules()
    if len(found) == len(COMPILED_MODULES):
        return "compiled"
    if not found:
        return "pure Python"
    return "partly compiled (" + ", ".join(found) + ")"
