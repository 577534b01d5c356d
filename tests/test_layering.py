"""The dependency direction of the packages, enforced by walking every module's imports.

``docs/architecture.md`` draws the same picture: the pure core (``errors``, ``model``,
``methods``, ``limits``, ``engine``) with ``workload`` and ``analysis`` beside it, all
standard library only; ``scenario`` reads files into those values; ``simulation`` drives
the engine on SimPy's clock; ``experiments`` runs many replications; ``report`` renders;
``cli`` is on top and nothing imports it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import chatassign

PACKAGE = Path(chatassign.__file__).resolve().parent
"""The package under test: the source tree, or the installed wheel in CI's compiled run."""

CORE = ("errors", "model", "methods", "limits", "compiled", "engine")
"""The pure core: what the engine is made of, and the limits and errors it shares."""

PURE = (*CORE, "workload", "analysis")
"""Standard library (and each other) only: no YAML, no pydantic, no SimPy, no I/O library."""

MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "errors": (),
    "model": (),
    "methods": ("model",),
    "engine": ("model", "methods", "errors"),
    "limits": ("model",),
    "compiled": (),
    "workload": ("model", "limits", "errors"),
    "analysis": ("model", "methods", "limits", "errors", "workload"),
    "scenario": (*CORE, "workload"),
    "simulation": (*CORE, "workload", "analysis"),
    "experiments": (*CORE, "workload", "analysis", "scenario", "simulation"),
    "history": (*CORE, "workload", "analysis", "scenario", "simulation", "experiments"),
    "report": (*CORE, "workload", "analysis", "experiments", "history"),
    "cli": (
        *CORE,
        *("workload", "analysis", "scenario", "simulation", "experiments", "history", "report"),
    ),
    "__main__": ("cli",),
    "__init__": (),
}
"""Which of our top-level modules and packages each one may import: the layers, bottom up."""

THIRD_PARTY_HOMES = {
    "yaml": ("scenario", "history"),
    "pydantic": ("scenario", "history"),
    "pydantic_core": ("scenario", "history"),
    "simpy": ("simulation",),
    "typer": ("cli",),
    "click": ("cli",),
    "rich": ("cli", "report"),
    "matplotlib": ("report",),
    "jinja2": ("report",),
    "dask": ("experiments.cluster",),
    "distributed": ("experiments.cluster",),
}
"""Each library is known to one part of the code (a top-level package or one module)."""

MAX_LOOSE_MODULES = 8
"""``chatassign/`` holds packages by concern; a loose module at the top is the exception."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 2:
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names a module imports (relative imports resolved), dynamic ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                keep = len(here) - node.level + (1 if path.name == "__init__.py" else 0)
                base = ".".join([*here[:keep], node.module or ""]).strip(".")
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in node.names)
            elif node.module is not None:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


MODULES = sorted(PACKAGE.rglob("*.py"))


def part_of(name: str) -> str:
    """The top-level module or package of ours ``name`` is in (``engine``, ``errors``, ...)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def ours(name: str) -> str | None:
    """The top-level part ``name`` imports from, if it is one of our modules or packages."""
    parts = name.split(".")
    if parts[0] != "chatassign" or len(parts) == 1:
        return None
    top = parts[1]
    exists = (PACKAGE / top).is_dir() or (PACKAGE / f"{top}.py").is_file()
    return top if exists else None  # ``from chatassign import __version__``: the package


def in_home(name: str, homes: tuple[str, ...]) -> bool:
    rest = name.split(".", 1)[1] if "." in name else ""
    return any(rest == home or rest.startswith(home + ".") for home in homes)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_follow_the_layers(path: Path) -> None:
    name = module_name(path)
    part = part_of(name)
    assert part in MAY_IMPORT, f"{name}: a new top-level part; give it a layer in MAY_IMPORT"
    imported = imports_of(path)
    top_levels = {i.split(".")[0] for i in imported}

    parts = {p for p in map(ours, imported) if p is not None and p != part}
    outside = parts - set(MAY_IMPORT[part])
    assert not outside, f"{name} ({part}) may import only {MAY_IMPORT[part]}, not {outside}"
    if part in PURE:
        third = top_levels - set(sys.stdlib_module_names) - {"chatassign", "__future__"}
        assert not third, f"{name} is pure but imports {sorted(third)}"
    for library, homes in THIRD_PARTY_HOMES.items():
        if library in top_levels:
            assert in_home(name, homes), f"{name} imports {library}, which belongs to {homes}"


def test_package_inits_of_pure_parts_import_nothing_heavy() -> None:
    """Importing ``chatassign.workload.values`` runs ``workload/__init__``: it must stay pure."""
    for part in PURE:
        init = PACKAGE / part / "__init__.py"
        if init.is_file():
            parts = {p for p in map(ours, imports_of(init)) if p is not None}
            assert parts <= {part, *MAY_IMPORT[part]}, f"{init} imports {parts}"


def test_the_top_of_the_package_is_packages() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(loose) <= MAX_LOOSE_MODULES, f"loose modules at the top of chatassign/: {loose}"


def test_the_walk_sees_the_package() -> None:
    names = {module_name(p) for p in MODULES}
    assert {"chatassign.engine", "chatassign.simulation", "chatassign.cli.app"} <= names
    assert "chatassign.model" in imports_of(PACKAGE / "engine" / "core.py")
    assert "dask.distributed" in imports_of(PACKAGE / "experiments" / "cluster.py")


def test_the_layers_catch_a_wrong_import() -> None:
    """The checks can fail: an analysis module importing SimPy, or the engine importing cli."""
    assert ours("chatassign.cli.app") == "cli"
    assert "cli" not in MAY_IMPORT["engine"]
    assert "simulation" not in MAY_IMPORT["analysis"]
    assert not in_home("chatassign.analysis.metrics", THIRD_PARTY_HOMES["simpy"])


def test_every_exception_of_ours_lives_in_errors() -> None:
    """A ``ChatAssignError`` subclass anywhere else would be a second home for errors."""
    from chatassign import errors

    ours_ = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.ChatAssignError)
    }
    for path in MODULES:
        if path == PACKAGE / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                assert not bases & ours_, f"{module_name(path)}.{node.name}: define it in errors.py"


def test_only_the_app_turns_errors_into_exit_codes() -> None:
    """Commands raise; ``cli/app.py`` catches ``ChatAssignError`` once (the one error edge)."""
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and isinstance(node.type, ast.Name):
                caught = node.type.id == "ChatAssignError"
                assert not caught or path.name == "app.py", f"{path.name} catches ChatAssignError"
