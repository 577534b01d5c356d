"""Means over replications with their 95 % Student-t intervals, clipped to what a
quantity can be: a share to [0, 1], a wait or a count at 0.

"Estimate" means this in chatassign: a mean with its interval (the Erlang values
are ``analysis.erlang``'s, the staffing search's first guess ``erlang_start``'s).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

_T975 = (
    12.706204736,
    4.302652730,
    3.182446305,
    2.776445105,
    2.570581836,
    2.446911851,
    2.364624252,
    2.306004135,
    2.262157163,
    2.228138852,
    2.200985160,
    2.178812830,
    2.160368656,
    2.144786688,
    2.131449546,
    2.119905299,
    2.109815578,
    2.100922040,
    2.093024054,
    2.085963447,
    2.079613845,
    2.073873068,
    2.068657610,
    2.063898562,
    2.059538553,
    2.055529439,
    2.051830516,
    2.048407142,
    2.045229642,
    2.042272456,
)
"""t_{0.975, ν} for ν = 1…30 (standard tables, 9 decimals)."""

_Z975 = 1.959963984540054


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom.

    A table for ν ≤ 30; beyond, the Cornish–Fisher expansion in 1/ν about the normal
    quantile z (Abramowitz & Stegun 26.7.5, four terms), accurate to better than
    1e-6 for ν > 30.
    """
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, not {df}")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    nu = float(df)
    return (
        z
        + (z**3 + z) / (4 * nu)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * nu**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * nu**3)
    )


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean over replications and its 95 % Student-t interval (None with one replication)."""

    mean: float
    ci95: tuple[float, float] | None

    @property
    def half_width(self) -> float | None:
        """Half the interval's width, or None with one replication."""
        if self.ci95 is None:
            return None
        return (self.ci95[1] - self.ci95[0]) / 2.0


def estimate(values: Sequence[float]) -> Estimate:
    """Mean and 95 % Student-t interval of per-replication values (sample sd, n − 1)."""
    n = len(values)
    if n == 0:
        return Estimate(0.0, None)
    mean = math.fsum(values) / n
    if n == 1:
        return Estimate(mean, None)
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = t_quantile_975(n - 1) * math.sqrt(variance / n)
    return Estimate(mean, (mean - half, mean + half))


def estimate_share(values: Sequence[float | None]) -> Estimate:
    """``estimate_defined`` for a share: its 95 % interval clipped to [0, 1].

    Each replication gives a proportion; their mean has a Student-t interval, which
    with few replications can reach past 0 or 1. Clipping keeps it within what a
    share can be (the mean itself always is).
    """
    found = estimate_defined(values)
    if found.ci95 is None:
        return found
    low, high = found.ci95
    return Estimate(found.mean, (max(0.0, low), min(1.0, high)))


def estimate_nonnegative(values: Sequence[float | None]) -> Estimate:
    """``estimate_defined`` for a quantity that cannot be negative (a wait, a queue
    length, a count): its 95 % interval's lower end clipped at 0.

    With few replications and one long wait the Student-t interval of a mean wait can
    reach below 0 s; no replication's value can, so the bound is cut where the
    quantity ends, as for shares.
    """
    found = estimate_defined(values)
    if found.ci95 is None:
        return found
    low, high = found.ci95
    return Estimate(found.mean, (max(0.0, low), high))


def estimate_defined(values: Sequence[float | None]) -> Estimate:
    """``estimate`` over the replications where the value is defined.

    A share of handed-off chats is undefined in a replication that handed none off
    (everybody away, no traffic); such replications are left out rather than counted
    as 0. When no replication defines it, the mean is NaN (shown as "—", JSON null).
    """
    known = [v for v in values if v is not None]
    return estimate(known) if known else Estimate(math.nan, None)
