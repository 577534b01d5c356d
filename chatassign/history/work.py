"""Work, not duration: the concurrency slowdown and each chat's work, from agents' load.

The simulator's model: an agent with j open chats progresses each at rate
``r_j = 1 / slowdown[j-1]`` (speed 1), so a chat's work is ``W = Σ_j r_j T_j`` where
``T_j`` is the time it spent while its agent held j chats. Every ``T_j`` is known
from the export: each agent's load over time is rebuilt from their chats'
assignment and close times.

The rates are estimated by the method of moments with an instrument: the load at the
moment a chat is assigned (counting it) is fixed by the past, so it is independent
of the chat's own work, and ``E[Σ_j r_j T_j | assigned at load k] = E[W]`` for every
k. With ``r_1 = 1`` that is one linear equation per load level, as many as unknowns
(``r_2..r_K`` and the mean work). This holds for any work distribution. A
regression of duration on load is biased instead, because the load a chat sees
depends on how long it lasts. Levels reached by fewer than ``MIN_CHATS`` assignments
are pooled with the level below (the scenario's last slowdown value repeats).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from chatassign.history.export import NO_VALUE, Export

MIN_CHATS = 50
"""Fewest chats assigned at a load level for it to get its own slowdown factor."""
MAX_LEVELS = 12
"""Load levels measured separately at most (higher loads are pooled with this one)."""
WAIT_BANDS = (0.0, 60.0, 300.0)
"""Seconds: a chat's wait before assignment, banded, is one of the instruments."""
MIN_CELL = 5
"""Cells with fewer chats (in either half) are left out of the moment equations."""

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Loads:
    """Each served chat's time at each load level of its agent (pooled at ``levels``)."""

    chats: Ints
    """Indices (into the export) of the chats measured."""
    start_level: Ints
    """The agent's load just after each chat was assigned (1 = alone), pooled."""
    exposure: Floats
    """Seconds at levels 1..levels, one row per chat (the last column: that level or more)."""
    levels: int
    max_concurrency: int
    """The most chats any agent held at once."""


def measure_loads(export: Export, *, pooled: bool = True) -> Loads:
    """Rebuild every agent's load from the export and measure each served chat's exposure.

    ``pooled``: levels reached by fewer than MIN_CHATS assignments are pooled with the
    level below (for estimating); else every level up to MAX_LEVELS is kept.

    All agents at once: every assignment (+1) and close (−1) sorted by agent and time
    (a close before an assignment at the same instant, a chat's own close after its
    assignment); the running sum is the load; the cumulative time spent at each level,
    read at a chat's two events, is its exposure.
    """
    abandoned = np.frombuffer(export.abandoned, dtype=np.uint8).astype(bool)
    agents = np.frombuffer(export.codes["agent"], dtype=np.int32).astype(np.int64)
    chats = np.flatnonzero(~abandoned)
    start = np.frombuffer(export.handed_off)[chats] + np.frombuffer(export.wait)[chats]
    end = start + np.frombuffer(export.duration)[chats]
    owner = agents[chats]
    # Chats without an agent have no load to rebuild: each is its own "agent", alone.
    alone = owner == NO_VALUE
    owner[alone] = owner.max(initial=0) + 1 + np.arange(int(alone.sum()))
    n = len(chats)
    if n == 0:
        return Loads(chats, np.zeros(0, np.int64), np.zeros((0, 1)), 1, 0)
    kind = np.concatenate([np.ones(n), np.where(end > start, 0.0, 2.0)])
    times = np.concatenate([start, end])
    order = np.lexsort((kind, times, np.concatenate([owner, owner])))
    step = np.where(kind[order] == 1.0, 1, -1)
    load = np.cumsum(step)
    position = np.empty(2 * n, dtype=np.int64)
    position[order] = np.arange(2 * n)
    opened, closed = position[:n], position[n:]
    start_load = load[opened]
    peak = int(load.max())
    top = min(peak, MAX_LEVELS)
    levels = _pooled_levels(np.minimum(start_load, MAX_LEVELS), top) if pooled else max(top, 1)
    # Time between consecutive events, spent at the load after the first of them.
    gaps = np.diff(times[order], append=times[order][-1])
    exposure = np.empty((n, levels))
    for level in range(1, levels + 1):
        at_level = load >= level if level == levels else load == level
        clock = np.concatenate([[0.0], np.cumsum(np.where(at_level, gaps, 0.0))])
        exposure[:, level - 1] = clock[closed] - clock[opened]
    return Loads(chats, np.minimum(start_load, levels), exposure, levels, peak)


def work_under(export: Export, slowdown: Sequence[float]) -> tuple[Ints, Floats]:
    """The served chats (indices) and each one's work under ``slowdown``.

    The work that, at the load its agent really had, takes the chat its recorded
    duration: ``Σ_j T_j / slowdown[j-1]`` (the last factor repeating for higher loads).
    A flat ``[1.0]`` gives the recorded durations themselves.
    """
    loads = measure_loads(export, pooled=False)
    last = len(slowdown) - 1
    factors = np.array([slowdown[min(j, last)] for j in range(loads.levels)])
    return loads.chats, loads.exposure @ (1.0 / factors)


def _pooled_levels(start_level: Ints, top: int) -> int:
    """The highest level such that it and every level below got MIN_CHATS assignments."""
    counts = np.bincount(start_level, minlength=top + 1)
    keep = 1
    while keep < top and counts[keep + 1] >= MIN_CHATS:
        keep += 1
    return keep


@dataclass(frozen=True)
class WorkEstimate:
    """The fitted slowdown and each served chat's work."""

    slowdown: tuple[float, ...]
    """``slowdown[j-1]``: how much longer a chat takes at j open chats (``slowdown[0] = 1``)."""
    method: str
    """How the slowdown was found: ``instrumented moments``, or why it was not."""
    work: Floats
    """Seconds of work per measured chat, in ``Loads.chats`` order."""


def estimate_work(loads: Loads, export: Export) -> WorkEstimate:
    """The slowdown factors and every chat's work (see the module docstring)."""
    rates = _moment_rates(loads, export)
    method = "instrumented moments"
    if rates is None:
        rates, method = [1.0] * loads.levels, "none (the moment equations are degenerate)"
    work = loads.exposure @ np.array(rates)
    return WorkEstimate(tuple(1 / r for r in rates), method, work)


def _cells(loads: Loads, export: Export) -> tuple[Ints, Ints]:
    """Each chat's instrument cell and its stream.

    A cell is (stream, load at assignment, wait band, half): the first three are fixed
    before the chat's work starts and tell how crowded its agent will be; the half
    (alternate chats) serves the split-sample estimate below.
    """
    streams = np.frombuffer(export.codes["ai_agent"], dtype=np.int32).astype(np.int64)
    streams = streams[loads.chats] - NO_VALUE
    band = np.searchsorted(WAIT_BANDS, np.frombuffer(export.wait)[loads.chats], side="left")
    half = np.arange(len(loads.chats)) % 2
    bands = len(WAIT_BANDS) + 1
    group = (streams * (loads.levels + 1) + loads.start_level) * bands + band
    return group * 2 + half, streams


def _moment_rates(loads: Loads, export: Export) -> list[float] | None:
    """r_1 = 1 and r_2..r_K from the moment equations of every cell; None if degenerate.

    Per cell c of stream s: mean_c(T_1) = m_s − Σ_{j≥2} r_j mean_c(T_j), solved for
    (r_2..r_K, m_s). The cells are the instruments; each half's cell means instrument
    the other half's equations (split-sample instrumental variables), so a chat's own
    noise never meets itself: plain two-stage least squares with many cells is biased
    towards the (biased) regression of duration on load.
    """
    levels = loads.levels
    if levels == 1:
        return [1.0]
    cell, stream_of_chat = _cells(loads, export)
    cells, index = np.unique(cell, return_inverse=True)
    counts = np.bincount(index).astype(float)
    means = (
        np.stack([np.bincount(index, weights=loads.exposure[:, j]) for j in range(levels)], axis=1)
        / counts[:, None]
    )
    cell_stream = np.zeros(len(cells), dtype=np.int64)
    cell_stream[index] = stream_of_chat
    streams = np.unique(cell_stream)
    pairs = [
        (a, a + 1)
        for a in range(len(cells) - 1)
        if cells[a] % 2 == 0
        and cells[a + 1] == cells[a] + 1
        and min(counts[a], counts[a + 1]) >= MIN_CELL
    ]
    if not pairs:
        return None
    unknowns = levels - 1 + len(streams)
    rows = np.zeros((len(cells), unknowns))
    rows[:, : levels - 1] = -means[:, 1:]
    rows[np.arange(len(cells)), levels - 1 + np.searchsorted(streams, cell_stream)] = 1.0
    targets = means[:, 0]
    normal = np.zeros((unknowns, unknowns))
    right = np.zeros(unknowns)
    for a, b in pairs:
        weight = counts[a] + counts[b]
        for instrument, row, target in (
            (rows[a], rows[b], targets[b]),
            (rows[b], rows[a], targets[a]),
        ):
            normal += weight * np.outer(instrument, row)
            right += weight * instrument * target
    try:
        solution = np.linalg.solve(normal, right)
    except np.linalg.LinAlgError:
        return None
    rates = [1.0, *(float(r) for r in solution[: levels - 1])]
    if any(not np.isfinite(r) or r <= 0.05 or r > 20 for r in rates):
        return None
    return rates
