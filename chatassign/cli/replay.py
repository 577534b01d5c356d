"""``--replay EXPORT --mapping MAP.yaml``: run ``simulate`` or ``compare`` on recorded chats."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from chatassign.errors import UsageError
from chatassign.experiments.arms import QUEUE_SAMPLES_PER_RUN
from chatassign.experiments.variants import GridPoint
from chatassign.history.replay import read_replay
from chatassign.simulation import SimulationPlan, replayed

ReplayOption = Annotated[
    Path | None,
    typer.Option(
        "--replay",
        metavar="EXPORT",
        help="Hand off the export's recorded chats instead of drawn arrivals (needs --mapping).",
    ),
]
MappingOption = Annotated[
    Path | None,
    typer.Option(
        "--mapping", metavar="MAP.yaml", help="How to read the --replay export (see fit)."
    ),
]

Planned = Sequence[tuple[GridPoint, str, SimulationPlan]]


def replay_arms(
    planned: Planned, replay: Path | None, mapping: Path | None
) -> list[tuple[GridPoint, str, SimulationPlan]]:
    """``planned`` with every arm driven by the recorded handoffs of ``replay``."""
    if replay is None:
        if mapping is not None:
            raise UsageError("--mapping reads a --replay export; give --replay EXPORT with it")
        return list(planned)
    if mapping is None:
        raise UsageError("--replay needs --mapping MAP.yaml to read the export")
    handoffs = read_replay(replay, mapping, planned[0][2].workload)
    arms = []
    for arm, label, plan in planned:
        sampled = plan.queue_sample_interval > 0
        plan = replayed(plan, handoffs)
        if sampled:
            interval = plan.workload.horizon / QUEUE_SAMPLES_PER_RUN
            plan = dataclasses.replace(plan, queue_sample_interval=interval)
        arms.append((arm, label, plan))
    return arms
