"""Drive the assignment engine on a SimPy clock and record what happens.

The only package that imports SimPy, used as an event calendar: every future event is
a ``Timeout`` with one callback (no process, no ``Resource`` per chat). The engine
decides every assignment; this module only turns clock events into engine calls
(handoff, close, status change, claim, abandon) and keeps the books. The model and
every choice we made where the product's rules are silent are in ``docs/simulation.md``.

Random streams: replication ``r`` of seed ``s`` draws each purpose from its own
``random.Random`` seeded by SHA-256 of ``"s:r:purpose"``, and every customer's work
and patience are drawn at its handoff, in handoff order, whatever the method did
before. Two methods run on the same seed therefore see the same customers (common
random numbers), and a run is a pure function of (scenario, seed, replication).
"""

from __future__ import annotations

from chatassign.simulation.parallel import simulate
from chatassign.simulation.plan import (
    Progress,
    SimulationPlan,
    TraceSink,
    method_result,
    plan_simulation,
    random_stream,
    replayed,
    simulation_report,
)
from chatassign.simulation.run import run_replication

__all__ = [
    "Progress",
    "SimulationPlan",
    "TraceSink",
    "method_result",
    "plan_simulation",
    "random_stream",
    "replayed",
    "run_replication",
    "simulate",
    "simulation_report",
]
