"""Fixtures shared by several test modules."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable

import pytest
from hypothesis import settings

# CI (which sets CI=true) runs every property on the same examples, so a submission's
# result does not depend on the draw; a developer's runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def hide_module(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Make ``importlib.util.find_spec`` report a module as not installed."""
    real = importlib.util.find_spec

    def hide(hidden: str) -> None:
        def find_spec(name: str, package: str | None = None) -> object:
            return None if name == hidden else real(name, package)

        monkeypatch.setattr(importlib.util, "find_spec", find_spec)

    return hide
