"""What to simulate: a scenario with its overrides, the random streams, the report.

No SimPy here: planning and summarising are pure; ``run.py`` does the simulating.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from chatassign import limits
from chatassign.analysis.erlang import erlang_estimate
from chatassign.analysis.facts import ReplicationFacts
from chatassign.analysis.metrics import MethodResult, SimulationReport, summarize
from chatassign.engine import EngineEvent
from chatassign.errors import LimitError, ScenarioError, UsageError
from chatassign.model import Method, Workspace, required_plan
from chatassign.workload.values import RecordedHandoff, Scenario, Workload

Progress = Callable[[float], None]
"""Told the share of the whole run done so far (0 to 1)."""

TraceSink = Callable[[int, EngineEvent], None]
"""Receives every engine event with its replication number."""


def random_stream(seed: int, replication: int, purpose: str) -> random.Random:
    """The random source of one purpose in one replication (no salted ``hash()``)."""
    digest = hashlib.sha256(f"{seed}:{replication}:{purpose}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class SimulationPlan:
    """A scenario with every command-line override applied, ready to run."""

    scenario: Scenario
    workload: Workload
    method: Method | None
    """Overrides every teamspace's method when set (the plan is then not enforced)."""
    seed: int
    replications: int
    keep_chats: bool = False
    """Keep a ``ChatRecord`` per chat (memory grows with chats; for tests)."""
    queue_sample_interval: float = 0.0
    """Record the pending-queue length every this many seconds (0: off; for report charts)."""
    extra_measures: tuple[str, ...] = ()
    """Per-team or per-AI-agent measures a sweep or staffing search keeps beside the usual
    ones (``by_team.billing.cap_saturation``); see ``experiments/measures.py``."""
    recorded: tuple[RecordedHandoff, ...] | None = None
    """Replay: these handoffs, in time order, instead of the workload's arrival streams."""

    @cached_property
    def workspace(self) -> Workspace:
        """The workspace the engine runs: the scenario's, with the method override."""
        ws = self.scenario.workspace
        if self.method is None:
            return ws
        spaces = {
            tid: dataclasses.replace(
                ts, assignment=dataclasses.replace(ts.assignment, method=self.method)
            )
            for tid, ts in ws.teamspaces.items()
        }
        return Workspace.build(
            plan=ws.plan,
            roles=list(ws.roles.values()),
            users=list(ws.users.values()),
            teams=list(ws.teams.values()),
            teamspaces=list(spaces.values()),
            ai_agents=list(ws.ai_agents.values()),
            options=ws.options,
        )

    @property
    def methods(self) -> tuple[Method, ...]:
        """The methods in use, in teamspace order, without repeats."""
        found: list[Method] = []
        for ts in self.workspace.teamspaces.values():
            if ts.assignment.method not in found:
                found.append(ts.assignment.method)
        return tuple(found)

    @property
    def method_label(self) -> str:
        """The method's name, or the names joined by ``+`` when teamspaces differ."""
        return "+".join(m.value for m in self.methods) or Method.BALANCED.value

    @property
    def required_plan_label(self) -> str:
        """The lowest plan that includes every method in use."""
        plans = [required_plan(m) for m in self.methods]
        return max(plans).label if plans else "free"

    @property
    def allowed_by_plan(self) -> bool:
        """Whether the workspace's plan includes every method in use."""
        return all(self.scenario.workspace.plan >= required_plan(m) for m in self.methods)


def plan_simulation(
    scenario: Scenario,
    *,
    method: Method | None = None,
    seed: int | None = None,
    replications: int | None = None,
    horizon: float | None = None,
    run_to_completion: bool | None = None,
    keep_chats: bool = False,
    queue_sample_interval: float = 0.0,
) -> SimulationPlan:
    """Apply overrides to ``scenario``; UsageError if it cannot be simulated as asked."""
    workload = scenario.workload
    if workload is None:
        raise ScenarioError(
            f"scenario {scenario.name!r} has no workload; add a workload: section to simulate it"
        )
    if horizon is not None:
        workload = dataclasses.replace(workload, horizon=horizon)
    if run_to_completion is not None:
        workload = dataclasses.replace(workload, run_to_completion=run_to_completion)
    horizon_problem = limits.horizon_problem(workload.horizon)
    if horizon_problem is not None:
        raise LimitError(horizon_problem)
    if not 0 <= workload.warmup < workload.horizon:
        raise UsageError(
            f"the warm-up ({workload.warmup:g} s) must be shorter than the horizon "
            f"({workload.horizon:g} s)"
        )
    count = workload.replications if replications is None else replications
    replications_problem = limits.replications_problem(count)
    if replications_problem is not None:
        raise LimitError(f"--replications: {replications_problem}")
    return SimulationPlan(
        scenario=scenario,
        workload=workload,
        method=method,
        seed=workload.seed if seed is None else seed,
        replications=count,
        keep_chats=keep_chats,
        queue_sample_interval=queue_sample_interval,
    )


REPLAY_ROUNDING = 1800.0
"""A replay's horizon, when the last handoff is past the scenario's, ends at the next
half hour after it."""


def replayed(plan: SimulationPlan, handoffs: Sequence[RecordedHandoff]) -> SimulationPlan:
    """``plan`` driven by ``handoffs`` (sorted by time, each at or after time 0).

    Every handoff is counted (no warm-up); the horizon is extended past the last one
    when needed. ScenarioError when a handoff's AI agent has no arrival stream.
    """
    streams = {stream.ai_agent for stream in plan.workload.arrivals}
    missing = sorted({h.ai_agent for h in handoffs} - streams)
    if missing:
        raise ScenarioError(
            f"scenario {plan.scenario.name!r}: the export's AI agent {missing[0]!r} has no "
            f"arrival stream (workload.arrivals has {', '.join(sorted(streams)) or 'none'})"
        )
    horizon = plan.workload.horizon
    if handoffs and handoffs[-1].at >= horizon:
        horizon = (math.floor(handoffs[-1].at / REPLAY_ROUNDING) + 1) * REPLAY_ROUNDING
        problem = limits.horizon_problem(horizon)
        if problem:
            raise LimitError(f"the replayed export spans too long: {problem}")
    workload = dataclasses.replace(plan.workload, warmup=0.0, horizon=horizon)
    return dataclasses.replace(plan, workload=workload, recorded=tuple(handoffs))


def method_result(plan: SimulationPlan, facts: Sequence[ReplicationFacts]) -> MethodResult:
    """The summary of ``facts`` (run from ``plan``) with the Erlang estimate beside it."""
    summary = summarize(
        facts,
        method=plan.method_label,
        allowed_by_plan=plan.allowed_by_plan,
        required_plan=plan.required_plan_label,
        threshold=plan.workload.service_level_threshold,
    )
    estimate = erlang_estimate(plan.scenario.workspace, plan.workload, plan.method)
    return MethodResult(summary, estimate)


def simulation_report(plan: SimulationPlan, results: Sequence[MethodResult]) -> SimulationReport:
    """The report of ``results``, all run with ``plan``'s seed, horizon and replications."""
    return SimulationReport(
        scenario=plan.scenario.name,
        seed=plan.seed,
        replications=plan.replications,
        horizon=plan.workload.horizon,
        warmup=plan.workload.warmup,
        results=tuple(results),
        starts_at=plan.workload.starts_at,
    )
