"""Agents' online windows from their activity: first assignment to last close.

Without a status log the export shows an agent only while they hold chats. A window
runs from an assignment to the last close after it, and is split where the agent held
no chat for longer than the idle gap (they are taken to be away then).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence

import numpy as np

from chatassign.history.export import NO_VALUE, Export

Window = tuple[float, float]


def online_windows(export: Export, *, gap: float) -> dict[int, list[Window]]:
    """Agent code -> their online windows (epoch seconds), in time order."""
    columns = export.view()
    agents = columns.codes["agent"]
    keep = ~columns.abandoned & (agents != NO_VALUE)
    start = (columns.handed_off + columns.wait)[keep]
    end = start + columns.duration[keep]
    owner = agents[keep]
    order = np.lexsort((start, owner))
    start, end, owner = start[order], end[order], owner[order]
    if not len(start):
        return {}
    # The latest close so far, per agent (an offset per agent keeps the running maximum
    # from crossing agents), then a new window wherever the next chat starts more than
    # ``gap`` after it.
    span = float(end.max() - start.min()) + gap + 1.0
    base = owner * span - float(start.min())
    reach = np.maximum.accumulate(end + base) - base
    new = np.ones(len(start), dtype=bool)
    new[1:] = (owner[1:] != owner[:-1]) | (start[1:] - reach[:-1] > gap)
    firsts = np.flatnonzero(new)
    lasts = np.append(firsts[1:] - 1, len(start) - 1)
    windows: dict[int, list[Window]] = {}
    for first, last in zip(firsts.tolist(), lasts.tolist(), strict=True):
        windows.setdefault(int(owner[first]), []).append((float(start[first]), float(reach[last])))
    return windows


def merge_windows(spans: Sequence[Window], *, gap: float) -> list[Window]:
    """``spans`` merged wherever the time between them is at most ``gap`` seconds."""
    merged: list[Window] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] <= gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip_days(
    windows: Sequence[Window], origins: Sequence[float], horizon: float
) -> list[list[Window]]:
    """For each origin, the parts of ``windows`` inside [origin, origin + horizon), in
    time order and shifted to offsets from the origin.

    Without walking every window for every day: the windows are sorted once, and each
    day starts at the first window that reaches past its origin (a bisection on the
    running maximum of the ends) and stops at the first that starts after its end."""
    ordered = sorted(windows)
    reach = list(itertools.accumulate((b for _, b in ordered), max))
    days: list[list[Window]] = []
    for origin in origins:
        end = origin + horizon
        i = bisect.bisect_right(reach, origin)
        clipped: list[Window] = []
        while i < len(ordered) and ordered[i][0] < end:
            a, b = ordered[i]
            low, high = max(a, origin), min(b, end)
            if high > low:
                clipped.append((low - origin, high - origin))
            i += 1
        days.append(clipped)
    return days


def typical_windows(
    per_day: Sequence[Sequence[Window]], *, horizon: float, interval: float
) -> list[Window]:
    """The windows of an average day: each interval where the agent was online on at least
    half of the days (for at least half of the interval), merged.

    ``per_day`` holds each day's windows as offsets from that day's time 0.
    """
    if not per_day:
        return []
    slots = max(1, round(horizon / interval))
    online = [0] * slots
    for windows in per_day:
        for k in range(slots):
            low, high = k * interval, min((k + 1) * interval, horizon)
            covered = sum(max(0.0, min(b, high) - max(a, low)) for a, b in windows)
            if covered >= (high - low) / 2:
                online[k] += 1
    spans = [
        (k * interval, min((k + 1) * interval, horizon))
        for k in range(slots)
        if 2 * online[k] >= len(per_day)
    ]
    return merge_windows(spans, gap=0.0)
