"""Fixtures shared by several test modules."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import pytest


@pytest.fixture
def hide_module(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Make ``importlib.util.find_spec`` report a module as not installed."""
    real = importlib.util.find_spec

    def hide(hidden: str) -> None:
        def find_spec(name: str, package: str | None = None) -> object:
            return None if name == hidden else real(name, package)

        monkeypatch.setattr(importlib.util, "find_spec", find_spec)

    return hide
