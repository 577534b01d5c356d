"""Runs of many replications to answer a question: compare, sweep, staff.

* :mod:`~chatassign.experiments.arms` — the methods and caps ``compare``/``simulate`` run;
* :mod:`~chatassign.experiments.variants` — a sweep's grid of scenario variants;
* :mod:`~chatassign.experiments.measures` — the scalar metrics kept of each replication;
* :mod:`~chatassign.experiments.sweep` — the what-if grid, with a resume journal;
* :mod:`~chatassign.experiments.execution` — where replications run: here or in local
  processes (through :mod:`chatassign.simulation.parallel`, the one runner), or on a
  Dask cluster (:mod:`~chatassign.experiments.cluster`);
* :mod:`~chatassign.experiments.staffing` — how many agents meet the targets.
"""
