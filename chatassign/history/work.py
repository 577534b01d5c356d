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

import bisect
import math
from array import array
from dataclasses import dataclass

from chatassign.history.export import NO_VALUE, Export

MIN_CHATS = 50
"""Fewest chats assigned at a load level for it to get its own slowdown factor."""


@dataclass(frozen=True)
class Loads:
    """Each served chat's time at each load level of its agent (pooled at ``levels``)."""

    chats: array[int]
    """Indices (into the export) of the chats measured, in measurement order."""
    start_level: array[int]
    """The agent's load just after each chat was assigned (1 = alone), capped at ``levels``."""
    exposure: array[float]
    """Seconds at levels 1..levels, ``levels`` values per chat, in ``chats`` order."""
    levels: int
    max_concurrency: int
    """The most chats any agent held at once."""
    by_agent: dict[int, int]
    """Agent code -> the most chats they held at once."""


def measure_loads(export: Export, *, max_levels: int = 12) -> Loads:
    """Rebuild every agent's load from the export and measure each served chat's exposure."""
    by_agent: dict[int, list[int]] = {}
    agents = export.codes["agent"]
    abandoned = export.abandoned
    for i in range(len(export)):
        if not abandoned[i]:
            by_agent.setdefault(agents[i], []).append(i)
    starts = [h + w for h, w in zip(export.handed_off, export.wait, strict=True)]
    duration = export.duration
    chats: array[int] = array("q")
    start_level: array[int] = array("b")
    exposure: array[float] = array("d")
    peaks: dict[int, int] = {}
    for agent, members in by_agent.items():
        if agent == NO_VALUE:
            continue
        peaks[agent] = _sweep(members, starts, duration, max_levels, chats, start_level, exposure)
    if NO_VALUE in by_agent:
        # Without an agent there is no load to rebuild: the chat is counted as alone.
        for i in by_agent[NO_VALUE]:
            chats.append(i)
            start_level.append(1)
            exposure.extend([duration[i]] + [0.0] * (max_levels - 1))
    peak = max(peaks.values(), default=1)
    levels = min(max(peak, 1), max_levels)
    return pool_levels(Loads(chats, start_level, exposure, max_levels, peak, peaks), levels)


def _sweep(
    members: list[int],
    starts: list[float],
    duration: array[float],
    levels: int,
    chats: array[int],
    start_level: array[int],
    exposure: array[float],
) -> int:
    """One agent's load over time; appends each chat's exposure; returns the peak load."""
    opening = sorted(members, key=starts.__getitem__)
    closes = sorted((starts[i] + duration[i], i) for i in members)
    clock = [0.0] * (levels + 1)  # seconds spent so far at each load level (0 = idle)
    taken: dict[int, tuple[list[float], int]] = {}
    load, peak, last, k = 0, 0, 0.0, 0
    n = len(opening)
    for end, i in closes:
        # Closes at the same time as an opening come first: the slot frees, then fills.
        while k < n and (starts[opening[k]] < end or i not in taken):
            chat = opening[k]
            t = starts[chat]
            clock[min(load, levels)] += t - last
            last = t
            load += 1
            peak = max(peak, load)
            taken[chat] = (clock.copy(), min(load, levels))
            k += 1
        clock[min(load, levels)] += end - last
        last = end
        load -= 1
        before, level = taken.pop(i)
        chats.append(i)
        start_level.append(level)
        exposure.extend([now - then for now, then in zip(clock[1:], before[1:], strict=True)])
    return peak


def pool_levels(loads: Loads, levels: int) -> Loads:
    """The same loads with levels above ``levels``, or reached by too few chats, merged."""
    counts = [0] * (loads.levels + 1)
    for level in loads.start_level:
        counts[level] += 1
    keep = 1
    while keep < levels and counts[keep + 1] >= MIN_CHATS:
        keep += 1
    if keep == loads.levels:
        return loads
    width = loads.levels
    exposure: array[float] = array("d")
    for row in range(len(loads.chats)):
        values = loads.exposure[row * width : (row + 1) * width]
        exposure.extend(values[: keep - 1])
        exposure.append(math.fsum(values[keep - 1 :]))
    start = array("b", [min(level, keep) for level in loads.start_level])
    return Loads(loads.chats, start, exposure, keep, loads.max_concurrency, loads.by_agent)


@dataclass(frozen=True)
class WorkEstimate:
    """The fitted slowdown and each served chat's work."""

    slowdown: tuple[float, ...]
    """``slowdown[j-1]``: how much longer a chat takes at j open chats (``slowdown[0] = 1``)."""
    method: str
    """How the slowdown was found: ``instrumented moments``, or why it was not."""
    work: array[float]
    """Seconds of work per measured chat, in ``Loads.chats`` order."""


def estimate_work(loads: Loads, export: Export) -> WorkEstimate:
    """The slowdown factors and every chat's work (see the module docstring)."""
    levels = loads.levels
    rates = _moment_rates(loads, export)
    method = "instrumented moments"
    if rates is None:
        rates, method = [1.0] * levels, "none (the moment equations are degenerate)"
    work = array("d")
    exposure = loads.exposure
    for row in range(len(loads.chats)):
        base = row * levels
        work.append(math.fsum(rates[j] * exposure[base + j] for j in range(levels)))
    return WorkEstimate(tuple(1 / r for r in rates), method, work)


WAIT_BANDS = (0.0, 60.0, 300.0)
"""Seconds: a chat's wait before assignment, banded, is one of the instruments."""
MIN_CELL = 5
"""Cells with fewer chats are left out of the moment equations."""


def _cell_sums(loads: Loads, export: Export) -> dict[tuple[int, int, int, int], list[float]]:
    """Per instrument cell and half of the chats: [chats, Σ T_1, ..., Σ T_K].

    A cell is (stream, load at assignment, wait band, half): the first three are fixed
    before the chat's work starts and tell how crowded its agent will be; the half
    (alternate chats) serves the split-sample estimate below.
    """
    levels = loads.levels
    cells: dict[tuple[int, int, int, int], list[float]] = {}
    streams, wait = export.codes["ai_agent"], export.wait
    exposure = loads.exposure
    for row, i in enumerate(loads.chats):
        band = bisect.bisect_left(WAIT_BANDS, wait[i])
        key = (streams[i], loads.start_level[row], band, row % 2)
        sums = cells.get(key)
        if sums is None:
            sums = cells[key] = [0.0] * (levels + 1)
        sums[0] += 1
        base = row * levels
        for j in range(levels):
            sums[j + 1] += exposure[base + j]
    return cells


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
    sums = _cell_sums(loads, export)
    halves = {
        key[:3]: (sums[(*key[:3], 0)], sums[(*key[:3], 1)])
        for key in sums
        if key[3] == 0 and (*key[:3], 1) in sums
    }
    streams = sorted({key[0] for key in halves})
    unknowns = levels - 1 + len(streams)
    normal = [[0.0] * (unknowns + 1) for _ in range(unknowns)]
    for key, (first, second) in halves.items():
        if min(first[0], second[0]) < MIN_CELL:
            continue
        n = first[0] + second[0]
        rows = []
        for half in (first, second):
            means = [value / half[0] for value in half[1:]]
            row = [-m for m in means[1:]] + [0.0] * len(streams)
            row[levels - 1 + streams.index(key[0])] = 1.0
            rows.append((row, means[0]))
        for (instrument, _), (row, target) in (rows, rows[::-1]):
            for a in range(unknowns):
                for b in range(unknowns):
                    normal[a][b] += n * instrument[a] * row[b]
                normal[a][unknowns] += n * instrument[a] * target
    solution = _solve(normal)
    if solution is None:
        return None
    rates = [1.0, *solution[: levels - 1]]
    if any(not math.isfinite(r) or r <= 0.05 or r > 20 for r in rates):
        return None
    return rates


def _solve(matrix: list[list[float]]) -> list[float] | None:
    """Gaussian elimination with partial pivoting on an augmented matrix; None if singular."""
    n = len(matrix)
    rows = [row[:] for row in matrix]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) < 1e-12:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, n):
            factor = rows[r][col] / rows[col][col]
            for c in range(col, n + 1):
                rows[r][c] -= factor * rows[col][c]
    solution = [0.0] * n
    for r in range(n - 1, -1, -1):
        total = rows[r][n] - math.fsum(rows[r][c] * solution[c] for c in range(r + 1, n))
        solution[r] = total / rows[r][r]
    return solution
