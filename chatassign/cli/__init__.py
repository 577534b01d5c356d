"""The command line: a thin Typer layer over the library; the only place that prints."""

from __future__ import annotations

# Commands are listed in the order they register, the order of these imports.
from chatassign.cli import simulate as _simulate  # noqa: F401

# isort: split
from chatassign.cli import compare as _compare  # noqa: F401

# isort: split
from chatassign.cli import fit as _fit  # noqa: F401

# isort: split
from chatassign.cli import backtest as _backtest  # noqa: F401
from chatassign.cli import sweep as _sweep  # noqa: F401
from chatassign.cli import validate as _validate  # noqa: F401
from chatassign.cli.app import ExitCode, app, main

__all__ = ["ExitCode", "app", "main"]
