"""Summaries -> text, markdown, CSV, JSON and HTML; never prints (``cli/`` does).

* :mod:`~chatassign.report.simulation` — ``simulate``'s JSON and CSV;
* :mod:`~chatassign.report.simulation_text` — ``simulate``'s table and markdown;
* :mod:`~chatassign.report.comparison` — ``compare``'s forms;
* :mod:`~chatassign.report.sweep` — ``sweep``'s and ``staff``'s forms;
* :mod:`~chatassign.report.backtest` — ``backtest``'s table, JSON, Markdown and CSV
  (its page: :mod:`~chatassign.report.html_backtest`);
* :mod:`~chatassign.report.html` and :mod:`~chatassign.report.html_sweep` — the
  self-contained HTML pages with charts, from ``templates/``.
"""
