"""The ceilings on every number that sizes work or memory, and their one wording each.

A value is checked where it enters (the scenario file, ``--set``, ``--cap``,
``--horizon``, ``--vary``, ``--replications``, ``--workers``) with the same words
wherever it comes from: the file reports a located validation problem, the command
line a usage error. No data structure is sized by a number that has not passed
here. docs/validate.md lists the limits. Standard library only.
"""

from __future__ import annotations

import math
import os

from chatassign.model import MAX_CAP as MAX_CAP  # the engine's ceiling, in model.py

MAX_HORIZON_S = 366 * 86_400.0
"""The longest simulated time: 366 days."""
MAX_REPLICATIONS = 10_000
"""Most replications of one run (a file, ``--replications``, ``staff --max-replications``)."""
MAX_GRID_POINTS = 10_000
"""Most grid points of one sweep (the product of the ``--vary`` values)."""
MAX_TASKS = 1_000_000
"""Most simulated replications one sweep may run: grid points × replications."""
MAX_USERS = 10_000
"""Most users (agents) in one scenario, also a ``staff.TEAM`` size and a staff search's."""
MAX_ENTRIES = 1_000
"""Most teams, teamspaces, AI agents or roles in one scenario (each)."""
MAX_WORKERS = 256
"""Most local worker processes (``--workers``)."""
MAX_SELF_LIMIT = MAX_CAP
"""Most chats an agent claims at once under the voluntary method (``self_limit``)."""
MAX_EMPIRICAL_BYTES = 4 * 1024 * 1024
"""Largest ``empirical(PATH)`` table, in bytes."""
MAX_EMPIRICAL_VALUES = 200_000
"""Most values of one ``empirical(PATH)`` table."""


def cap_problem(cap: int) -> str | None:
    """Why ``cap`` cannot be a cap; None when it can."""
    return _one_to("a cap (max_auto_assigned)", cap, MAX_CAP)


def horizon_problem(seconds: float) -> str | None:
    """Why ``seconds`` cannot be a horizon; None when it can."""
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_HORIZON_S):
        return f"the horizon must be above 0 and at most 366d, not {_duration(seconds)}"
    return None


def replications_problem(count: int) -> str | None:
    """Why ``count`` cannot be a number of replications; None when it can."""
    return _one_to("replications", count, MAX_REPLICATIONS)


def grid_problem(points: int, replications: int) -> str | None:
    """Why a sweep of ``points`` grid points × ``replications`` is too large; None if not."""
    if points > MAX_GRID_POINTS:
        return f"the grid has {_number(points)} points; the limit is {MAX_GRID_POINTS:,}"
    if points * replications > MAX_TASKS:
        return (
            f"{_number(points)} grid points × {replications:,} replications is "
            f"{_number(points * replications)} runs; the limit is {MAX_TASKS:,}"
        )
    return None


def count_problem(what: str, count: int, limit: int) -> str | None:
    """Why ``count`` ``what`` (users, teams, ...) are too many; None when they are not."""
    if count > limit:
        return f"{_number(count)} {what}; a scenario may have at most {limit:,}"
    return None


def default_workers() -> int:
    """The worker processes a run uses when none are asked for: one per core, at most
    ``MAX_WORKERS`` (``simulate``, ``compare`` and ``backtest`` always; ``sweep`` and
    ``staff`` without ``--workers``)."""
    return min(os.cpu_count() or 1, MAX_WORKERS)


def workers_problem(count: int) -> str | None:
    """Why ``count`` cannot be a number of worker processes; None when it can."""
    return _one_to("--workers", count, MAX_WORKERS)


def _one_to(what: str, count: int, limit: int) -> str | None:
    """Why ``count`` is not 1 to ``limit``; None when it is."""
    if not 1 <= count <= limit:
        return f"{what} must be 1 to {limit:,}, not {_number(count)}"
    return None


def _number(value: int) -> str:
    if abs(value) < 10**15:
        return f"{value:,}"
    return f"a {len(str(abs(value)))}-digit number"


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return f"{seconds} s"
    if seconds > 10 * MAX_HORIZON_S:
        return f"{seconds:.3g} s"
    return f"{seconds / 86_400:.4g}d" if seconds >= 86_400 else f"{seconds:g} s"
