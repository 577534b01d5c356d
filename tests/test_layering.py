"""The dependency direction of STYLE.md, enforced by walking every module's imports."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import chatassign

PACKAGE = Path(chatassign.__file__).resolve().parent
"""The package under test: the source tree, or the installed wheel in CI's compiled run."""

CORE = {
    "chatassign.analytic",
    "chatassign.distributions",
    "chatassign.engine",
    "chatassign.errors",
    "chatassign.estimate",
    "chatassign.facts",
    "chatassign.limits",
    "chatassign.methods",
    "chatassign.metrics",
    "chatassign.model",
    "chatassign.quantities",
    "chatassign.workload",
}
"""Pure modules: the standard library and each other only."""

INNER = {
    "chatassign.model": (),
    "chatassign.methods": ("chatassign.model",),
    "chatassign.engine": (
        "chatassign.model",
        "chatassign.methods",
        "chatassign.errors",
        "chatassign.engine",
    ),
}
"""``model <- methods <- engine``: what each (module or package) may import from ours."""

SCENARIO_LAYER = ("chatassign.scenario", "chatassign.overrides", "chatassign.history")
"""Where scenario text is read and written: the YAML loader, the models, command-line
overrides, and the mapping files and fitted scenarios of ``history``."""

THIRD_PARTY_HOMES = {
    "yaml": SCENARIO_LAYER,
    "pydantic": SCENARIO_LAYER,
    "pydantic_core": SCENARIO_LAYER,
    "simpy": ("chatassign.simulation",),
    "typer": ("chatassign.cli",),
    "rich": ("chatassign.cli", "*report*"),
    "matplotlib": ("*report*", "chatassign.charts", "chatassign.html"),
    "jinja2": ("*report*", "chatassign.html"),
    "dask": ("chatassign.sweep", "chatassign.cluster", "chatassign.execution"),
    "distributed": ("chatassign.sweep", "chatassign.cluster", "chatassign.execution"),
}
"""Each library is known to one part of the code (a module or package name prefix)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names a module imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: -node.level or None]
                if path.name == "__init__.py":
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                names.add(".".join([*base, node.module or ""]).strip("."))
            elif node.module is not None:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


MODULES = sorted(PACKAGE.rglob("*.py"))


def belongs(name: str, prefixes: tuple[str, ...]) -> bool:
    """Whether ``name`` is one of ``prefixes`` or inside one (``*report*``: report modules)."""
    if "*report*" in prefixes and "report" in name.rsplit(".", 1)[-1]:
        return True
    return any(name == p or name.startswith(p + ".") or name.startswith(p + "_") for p in prefixes)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_follow_the_layers(path: Path) -> None:
    name = module_name(path)
    imported = imports_of(path)
    top_levels = {i.split(".")[0] for i in imported}
    ours = {i for i in imported if i.split(".")[0] == "chatassign"}
    own_modules = {i for i in ours if (PACKAGE.parent / (i.replace(".", "/") + ".py")).exists()}
    own_packages = {i for i in ours if (PACKAGE.parent / i.replace(".", "/")).is_dir()}
    own = own_modules | own_packages

    core = tuple(CORE)
    if belongs(name, core):
        third = top_levels - set(sys.stdlib_module_names) - {"chatassign", "__future__"}
        assert not third, f"{name} is core but imports {sorted(third)}"
        outside = {i for i in own if i != "chatassign" and not belongs(i, core)}
        assert not outside, f"{name} is core but imports {sorted(outside)}"
    for inner, allowed in INNER.items():
        if belongs(name, (inner,)):
            outside = {i for i in own if not belongs(i, allowed)}
            assert not outside, f"{name} may import only {allowed}, not {sorted(outside)}"
    for library, homes in THIRD_PARTY_HOMES.items():
        if library in top_levels:
            assert belongs(name, homes), f"{name} imports {library}, which belongs to {homes}"
    if not belongs(name, ("chatassign.cli", "chatassign.__main__")):
        assert not any(belongs(i, ("chatassign.cli",)) for i in own), f"{name} imports the CLI"


def test_the_walk_sees_the_package() -> None:
    names = {module_name(p) for p in MODULES}
    assert {"chatassign.engine", "chatassign.simulation", "chatassign.cli.app"} <= names
    assert "chatassign.model" in imports_of(PACKAGE / "engine" / "core.py")
