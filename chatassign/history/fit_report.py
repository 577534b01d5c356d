"""The fit report as plain data (what ``chatassign fit --format json`` prints).

Keys: ``rows`` (read, used, ignored by reason, skipped), ``period``, ``streams`` (per
AI agent: volume, schedule, language mix, mean work, mean duration, patience), ``work``
(the chosen distribution, its parameters and goodness of fit, and every candidate),
``slowdown``, ``patience``, ``cap``, ``agents`` and ``notes``.
"""

from __future__ import annotations

from chatassign.history.distfit import Fitted
from chatassign.history.fit import DeskFit, rounded


def fit_report(fit: DeskFit, *, notes: list[str]) -> dict[str, object]:
    """Everything ``fit`` measured, as JSON-ready values (seconds, counts, shares)."""
    export = fit.export
    ignored = dict(sorted(export.ignored.items()))
    if fit.outside:
        ignored["outside the fitted days (arrivals and shifts only)"] = fit.outside
    period = fit.period
    return {
        "export": export.file,
        "rows": {
            "read": export.rows_read,
            "used": len(export),
            "ignored": ignored,
            "skipped": export.skipped,
            "skipped_examples": list(export.skipped_examples),
        },
        "period": {
            "day": period.kind,
            "days": len(period.dates) if period.kind != "whole" else 1,
            "first": period.dates[0].isoformat(),
            "last": period.dates[-1].isoformat(),
            "starts_at": _clock(period.start_clock),
            "horizon_s": period.horizon,
            "interval_s": fit.options.interval,
        },
        "streams": [
            {
                "ai_agent": s.name,
                "volume": round(s.volume, 3),
                "chats": s.chats,
                "abandoned": s.abandoned,
                "rates_per_h": [round(r * 3600, 4) for r in s.rates],
                "languages": {k: round(v, 4) for k, v in s.languages.items()},
                "mean_work_s": _round(s.mean_work),
                "mean_duration_s": _round(s.mean_duration),
                "mean_patience_s": _round(s.mean_patience),
                "handle_time": None if s.handle_time is None else _fitted(s.work_fits),
                "patience": None if s.patience is None else _fitted(s.patience_fits),
            }
            for s in fit.streams
        ],
        "work": {
            **_fitted(fit.work_fits),
            "chats": len(fit.loads.chats),
            "mean_duration_s": round(fit.mean_duration, 1),
        },
        "slowdown": {
            "factors": [round(s, 3) for s in fit.work.slowdown],
            "method": fit.work.method,
            "max_concurrency": fit.loads.max_concurrency,
        },
        "patience": None
        if not fit.patience_fits
        else {
            **_fitted(fit.patience_fits),
            "abandoned": fit.patience_counts[0],
            "censored": fit.patience_counts[1],
            "mean_wait_of_abandoned_s": _round(fit.naive_patience),
        },
        "cap": fit.cap,
        "agents": {
            "count": len(fit.shifts),
            "idle_gap_s": fit.options.idle_gap,
            "online_h": round(sum(b - a for w in fit.shifts.values() for a, b in w) / 3600, 2),
        },
        "notes": notes,
    }


def _fitted(fits: list[Fitted]) -> dict[str, object]:
    best = fits[0]
    return {
        "distribution": rounded(best.distribution).describe(),
        "family": best.family,
        "parameters": {k: round(v, 1) for k, v in best.parameters.items()},
        "fit": {best.statistic_name: round(best.fit_statistic, 4)},
        "candidates": [
            {
                "distribution": rounded(f.distribution).describe(),
                "aic": round(f.aic, 1),
                f.statistic_name: round(f.fit_statistic, 4),
            }
            for f in fits
        ],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _clock(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    hours, minutes = divmod(round(seconds) // 60, 60)
    return f"{hours:02d}:{minutes:02d}"
