"""What a simulation runs: the workload's domain values, quantities and distributions.

Pure like the core (standard library, ``model`` and each other only), so the engine
side can read them without importing the scenario loader: ``scenario/`` builds these
values from YAML, ``simulation/`` and ``analysis/`` read them.

* :mod:`~chatassign.workload.values` — ``Workload``, ``ArrivalStream``, ``Scenario``;
* :mod:`~chatassign.workload.quantities` — durations, rates, clock times as text and back;
* :mod:`~chatassign.workload.distributions` — handle-time and patience distributions.
* :mod:`~chatassign.workload.samplers` — their fast samplers (compiled with the hot path).
"""
