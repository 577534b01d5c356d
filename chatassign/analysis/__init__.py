"""From what happened to what it means: facts -> summaries, comparisons, Erlang C/A.

Pure (standard library, the core and ``workload`` only): nothing here runs a
simulation; ``simulation/`` records :mod:`~chatassign.analysis.facts` and the rest
reduce them.

* :mod:`~chatassign.analysis.facts` — the flat records of one replication;
* :mod:`~chatassign.analysis.metrics` — summaries with 95 % intervals;
* :mod:`~chatassign.analysis.comparison` — paired differences between methods;
* :mod:`~chatassign.analysis.analytic` — Erlang B, C and A formulas;
* :mod:`~chatassign.analysis.erlang` — the Erlang estimate of a scenario, or why none.
"""
