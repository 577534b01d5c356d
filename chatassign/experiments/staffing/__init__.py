"""How many agents a team needs to meet service targets: Erlang start, simulated search.

1. **Estimate.** Erlang C (or Erlang A when customers have patience) with
   c = agents × cap servers, each serving at μ = speed / (mean handle time ×
   slowdown[cap − 1]). A chat waits only when every agent of the pool is at the cap,
   and then each agent finishes chats at cap × speed / (mean × slowdown[cap − 1]):
   the rate that matters for waiting. The *naive* estimate leaves the slowdown out
   (μ = speed / mean), as a voice calculator would.
2. **Search.** Simulation decides: the team's size is bracketed around the estimate
   (steps doubling), then bisected. A size is judged on replications 0, 1, … with
   common random numbers; replications are added (doubling) until every target's
   95 % interval is clear of its threshold, up to a maximum, after which the means
   decide and the answer is marked ``clear: false``.

Several teams are sized in turn, each with the others fixed, until no size changes:
no team can lose an agent without missing a target. With a piecewise arrival rate
the same search runs per rate interval, with that interval's rate held constant
over the whole horizon and every agent online (the agents to have online then).
Pure apart from the executor.
"""

from chatassign.experiments.measures import MEASURES
from chatassign.experiments.staffing.erlang_start import MAX_AGENTS, ErlangStart, erlang_start
from chatassign.experiments.staffing.search import (
    Evaluation,
    IntervalAnswer,
    StaffingAnswer,
    StaffingReport,
    StaffingSettings,
    TeamAnswer,
    find_staffing,
    rate_intervals,
    staffing_report,
    steady_variant,
)
from chatassign.experiments.staffing.targets import (
    HIGHER_IS_BETTER,
    LOWER_IS_BETTER,
    ServiceTarget,
    Verdict,
    judge,
    parse_target,
)

__all__ = [
    "HIGHER_IS_BETTER",
    "LOWER_IS_BETTER",
    "MAX_AGENTS",
    "MEASURES",
    "ErlangStart",
    "Evaluation",
    "IntervalAnswer",
    "ServiceTarget",
    "StaffingAnswer",
    "StaffingReport",
    "StaffingSettings",
    "TeamAnswer",
    "Verdict",
    "erlang_start",
    "find_staffing",
    "judge",
    "parse_target",
    "rate_intervals",
    "staffing_report",
    "steady_variant",
]
