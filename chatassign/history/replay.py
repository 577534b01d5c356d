"""A desk's recorded handoffs as a replay: ``simulate|compare --replay EXPORT``.

Time 0 is the start of the scenario's day, as ``fit`` sets it: the scenario's
``starts_at`` clock time (on its date, else on the date of the first handoff, in the
mapping's time zone); a scenario without ``starts_at`` starts at the half hour holding
the first handoff (``fit``'s default interval). Each chat keeps its AI agent and
language; a served chat its recorded wait as a lower bound of its patience and, as its
work, the work that under the scenario's ``concurrency_slowdown`` and the load its agent
really had takes its recorded handle time (``history/work.py``: ``Σ_j T_j / slowdown[j-1]``;
with a flat ``[1.0]``, the handle time itself); an abandoned chat its recorded wait as
its patience.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

import numpy as np

from chatassign.errors import ExportError
from chatassign.history.arrivals import interval_start, local_midnights
from chatassign.history.export import NO_VALUE, Export, read_export
from chatassign.history.fit import DEFAULT_STREAM
from chatassign.history.mapping import load_mapping
from chatassign.history.work import work_under
from chatassign.workload.quantities import DayStart
from chatassign.workload.values import RecordedHandoff, Workload


def read_replay(
    export_path: Path, mapping_path: Path, workload: Workload
) -> tuple[RecordedHandoff, ...]:
    """The handoffs of ``export_path`` (read with ``mapping_path``) laid on ``workload``'s
    day, in time order: ``recorded_handoffs`` with its ``starts_at``, its streams' AI
    agents and its ``concurrency_slowdown``.

    Raises ExportError for a bad mapping or row, an export without chats, or a handoff
    before time 0.
    """
    mapping = load_mapping(mapping_path)
    export = read_export(export_path, mapping)
    return recorded_handoffs(
        export,
        mapping.timezone,
        starts_at=workload.starts_at,
        streams=[stream.ai_agent for stream in workload.arrivals],
        slowdown=workload.concurrency_slowdown,
    )


def recorded_handoffs(
    export: Export,
    zone: tzinfo,
    *,
    starts_at: DayStart | None,
    streams: Sequence[str],
    slowdown: Sequence[float] = (1.0,),
) -> tuple[RecordedHandoff, ...]:
    """The chats of ``export`` as handoffs from time 0 (see the module's docstring).

    ``streams`` are the scenario's AI agents: chats without an AI agent belong to its
    only stream (or to ``assistant``, the stream ``fit`` makes for them).
    """
    if not len(export):
        raise ExportError(
            f"{export.file}: the export holds no chat to replay (every row was ignored)"
        )
    columns = export.view()
    origin = time_zero(float(columns.handed_off.min()), zone, starts_at)
    early = int((columns.handed_off < origin).sum())
    if early:
        first = datetime.fromtimestamp(float(columns.handed_off.min()), zone)
        day = datetime.fromtimestamp(origin, zone)
        raise ExportError(
            f"{export.file}: {early:,} handoff(s) come before the scenario's day starts "
            f"({day.isoformat(sep=' ')}), the first at {first.isoformat(sep=' ')}; "
            "change the scenario's starts_at or leave those rows out"
        )
    default = streams[0] if len(streams) == 1 else DEFAULT_STREAM
    ai_names = export.names["ai_agent"]
    languages = export.names["language"]
    order = np.argsort(columns.handed_off, kind="stable")
    handed = (columns.handed_off - origin).tolist()
    waits = columns.wait.tolist()
    works = np.full(len(export), np.nan)
    served, work = work_under(export, slowdown or (1.0,))
    works[served] = work
    durations = works.tolist()
    abandoned = columns.abandoned.tolist()
    ai_codes = columns.codes["ai_agent"].tolist()
    language_codes = columns.codes["language"].tolist()
    handoffs = []
    for i in order.tolist():
        ai_code, language_code = ai_codes[i], language_codes[i]
        left = abandoned[i]
        handoffs.append(
            RecordedHandoff(
                at=handed[i],
                ai_agent=default if ai_code == NO_VALUE else ai_names[ai_code],
                language=None if language_code == NO_VALUE else languages[language_code],
                work=None if left or math.isnan(durations[i]) else durations[i],
                patience=waits[i] if left else None,
                waited=0.0 if left else waits[i],
            )
        )
    return tuple(handoffs)


def time_zero(first: float, zone: tzinfo, starts_at: DayStart | None) -> float:
    """Epoch seconds of time 0 for an export whose first handoff is at ``first``."""
    first_day = datetime.fromtimestamp(first, zone).date()
    if starts_at is None:
        midnight = local_midnights(first_day, first_day, zone)[0]
        return midnight + interval_start(first - midnight)
    day = first_day if starts_at.date is None else date.fromisoformat(starts_at.date)
    clock = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(
        seconds=starts_at.seconds
    )
    return clock.timestamp()
