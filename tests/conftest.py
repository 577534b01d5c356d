"""Fixtures shared by several test modules."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable

import pytest
from hypothesis import settings

# No property asserts a time: Hypothesis's per-example deadline (200 ms) only turns a
# busy machine into a failure, so it is off everywhere. CI (which sets CI=true) also runs
# every property on the same examples, so a submission's result does not depend on the
# draw; a developer's runs keep exploring new ones.
settings.register_profile("local", deadline=None)
settings.register_profile(
    "ci", parent=settings.get_profile("local"), derandomize=True, database=None, print_blob=True
)
settings.load_profile("ci" if os.environ.get("CI") else "local")


@pytest.fixture
def hide_module(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Make ``importlib.util.find_spec`` report a module as not installed."""
    real = importlib.util.find_spec

    def hide(hidden: str) -> None:
        def find_spec(name: str, package: str | None = None) -> object:
            return None if name == hidden else real(name, package)

        monkeypatch.setattr(importlib.util, "find_spec", find_spec)

    return hide
