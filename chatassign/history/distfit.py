"""Fitting the scenario's distributions to samples, with and without right-censoring.

Candidates are the scenario's exponential, lognormal and gamma. Complete samples are
fitted by maximum likelihood (closed forms; gamma by Minka's fixed point) and judged by
the Kolmogorov–Smirnov distance; censored samples (patience) by the censored likelihood
and the largest distance between the Kaplan–Meier curve and the fitted survival.
The candidate with the lowest AIC is chosen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from chatassign.workload.distributions import Distribution, Exponential, Gamma, Lognormal

SMALLEST = 0.5
"""Seconds: shorter values are read as this, so a log is always defined."""
MIN_AT_RISK = 50
"""Customers still waiting below which the Kaplan–Meier curve is not compared."""
KS_POINTS = 2_000
"""Order statistics at which the Kolmogorov–Smirnov distance is evaluated."""

Candidate = Exponential | Lognormal | Gamma
"""The families a sample is fitted with."""


@dataclass(frozen=True)
class Fitted:
    """A fitted distribution, its log-likelihood and goodness-of-fit figure."""

    distribution: Distribution
    family: str
    parameters: dict[str, float]
    log_likelihood: float
    aic: float
    fit_statistic: float
    """KS distance (complete data) or largest |Kaplan–Meier − fitted survival| (censored)."""
    statistic_name: str


def fit_complete(values: Sequence[float] | npt.NDArray[np.float64]) -> list[Fitted]:
    """Every candidate fitted to ``values`` (seconds), best (lowest AIC) first."""
    array = np.sort(np.maximum(np.asarray(values, dtype=float), SMALLEST))
    n = len(array)
    mean = float(array.mean())
    logs = np.log(array)
    mean_log = float(logs.mean())
    # The order statistics the KS distance is checked at (within 1/KS_POINTS of exact).
    stride = max(1, n // KS_POINTS)
    ranks = list(range(0, n, stride))
    sample = (n, ranks, [float(array[i]) for i in ranks])
    fits: list[Fitted] = []

    exp_ll = -n * math.log(mean) - n
    fits.append(_complete(Exponential(mean), exp_ll, sample))

    var_log = float(((logs - mean_log) ** 2).mean())
    sigma = math.sqrt(max(var_log, 1e-12))
    lognormal = _lognormal(mean_log, sigma)
    ll = -mean_log * n - n * math.log(sigma * math.sqrt(2 * math.pi)) - n / 2
    fits.append(_complete(lognormal, ll, sample))

    shape = _gamma_shape(math.log(mean) - mean_log)
    scale = mean / shape
    ll = (
        (shape - 1) * mean_log * n
        - n * mean / scale
        - n * (math.lgamma(shape) + shape * math.log(scale))
    )
    gamma = Gamma(mean, mean / math.sqrt(shape))
    fits.append(_complete(gamma, ll, sample))
    return sorted(fits, key=lambda f: f.aic)


def _complete(
    distribution: Candidate, log_likelihood: float, sample: tuple[int, list[int], list[float]]
) -> Fitted:
    """``distribution`` fitted to a complete sample, judged by its KS distance."""
    cdf = cdf_of(distribution)
    n, ranks, points = sample
    distance = 0.0
    for i, x in zip(ranks, points, strict=True):
        p = cdf(x)
        distance = max(distance, abs((i + 1) / n - p), abs(i / n - p))
    return _fitted(distribution, log_likelihood, distance, "ks_distance")


def _fitted(
    distribution: Candidate, log_likelihood: float, distance: float, statistic_name: str
) -> Fitted:
    """A scored candidate: its family and parameters, and its AIC (2k − 2 ln L, where k
    counts the parameters: 1 for the exponential's mean, 2 for a mean and an sd)."""
    if isinstance(distribution, Exponential):
        family, parameters = "exponential", {"mean": distribution.mean}
    else:
        family = "lognormal" if isinstance(distribution, Lognormal) else "gamma"
        parameters = {"mean": distribution.mean, "sd": distribution.sd}
    aic = 2 * len(parameters) - 2 * log_likelihood
    return Fitted(distribution, family, parameters, log_likelihood, aic, distance, statistic_name)


def _gamma_shape(s: float) -> float:
    """The MLE of the gamma shape from s = log(mean) − mean(log) (Minka 2002)."""
    if s <= 1e-9:
        return 1e6
    shape = (3 - s + math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)
    for _ in range(20):
        digamma, trigamma = _digamma(shape), _trigamma(shape)
        step = (math.log(shape) - digamma - s) / (1 / shape - trigamma)
        shape = max(shape - step, shape / 10)
        if abs(step) < 1e-10 * shape:
            break
    return shape


def _digamma(x: float) -> float:
    result = 0.0
    while x < 6:
        result -= 1 / x
        x += 1
    f = 1 / (x * x)
    return result + math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f / 252))


def _trigamma(x: float) -> float:
    result = 0.0
    while x < 6:
        result += 1 / (x * x)
        x += 1
    f = 1 / (x * x)
    return result + 1 / x + f / 2 + f / x * (1 / 6 - f * (1 / 30 - f / 42))


def _lognormal(mu: float, sigma: float) -> Lognormal:
    mean = math.exp(mu + sigma * sigma / 2)
    return Lognormal(mean, mean * math.sqrt(math.expm1(sigma * sigma)))


def cdf_of(distribution: Distribution) -> Callable[[float], float]:
    """The cumulative distribution function of a fitted candidate."""
    if isinstance(distribution, Exponential):
        mean = distribution.mean
        return lambda x: -math.expm1(-x / mean)
    if isinstance(distribution, Lognormal):
        mu, scale = distribution.mu, distribution.sigma * math.sqrt(2)
        return lambda x: 0.5 * math.erfc(-(math.log(x) - mu) / scale) if x > 0 else 0.0
    if isinstance(distribution, Gamma):
        shape, rate = distribution.shape, 1 / distribution.scale
        return lambda x: _gamma_cdf(shape, x * rate)
    raise TypeError(f"no CDF for {distribution.describe()}")


def _gamma_cdf(shape: float, x: float) -> float:
    """The regularized lower incomplete gamma P(shape, x) (series or continued fraction)."""
    if x <= 0:
        return 0.0
    log_front = shape * math.log(x) - x - math.lgamma(shape)
    if x < shape + 1:
        term = total = 1 / shape
        a = shape
        for _ in range(500):
            a += 1
            term *= x / a
            total += term
            if term < total * 1e-12:
                break
        return min(1.0, total * math.exp(log_front))
    b, c, d = x + 1 - shape, 1e300, 1 / (x + 1 - shape)
    h = d
    for i in range(1, 500):
        an = -i * (i - shape)
        b += 2
        d = an * d + b
        d = 1 / (d if abs(d) > 1e-300 else 1e-300)
        c = b + an / c if abs(c) > 1e-300 else 1e-300
        h *= d * c
        if abs(d * c - 1) < 1e-12:
            break
    return max(0.0, 1 - math.exp(log_front) * h)


def fit_censored(events: dict[float, int], censored: dict[float, int]) -> list[Fitted]:
    """Exponential and lognormal fitted to right-censored data, best (lowest AIC) first.

    ``events`` counts the observed values (an abandoned customer's wait, which is their
    patience), ``censored`` the lower bounds (a served customer's wait); both keyed by
    value in seconds. Needs at least one event.
    """
    n_events = sum(events.values())
    exposure = math.fsum(v * c for v, c in events.items()) + math.fsum(
        v * c for v, c in censored.items()
    )
    mean = exposure / n_events
    fits = [_censored(Exponential(mean), events, censored)]
    observed = {max(v, SMALLEST): c for v, c in events.items()}
    logs = [(math.log(v), c) for v, c in observed.items()]
    mu0 = math.fsum(x * c for x, c in logs) / n_events
    sd0 = math.sqrt(max(math.fsum((x - mu0) ** 2 * c for x, c in logs) / n_events, 0.01))
    mu, sigma = _maximize_lognormal(observed, censored, mu0 + sd0, sd0)
    lognormal = _lognormal(mu, sigma)
    fits.append(_censored(lognormal, events, censored))
    return sorted(fits, key=lambda f: f.aic)


def _censored(
    distribution: Candidate, events: dict[float, int], censored: dict[float, int]
) -> Fitted:
    """``distribution`` fitted to censored data, judged against the Kaplan–Meier curve."""
    ll = _censored_log_likelihood(distribution, events, censored)
    cdf = cdf_of(distribution)
    # Compared where the curve still rests on MIN_AT_RISK customers: its far tail is noise.
    distance = max(
        (
            abs(survival - (1 - cdf(t)))
            for t, survival, at_risk in kaplan_meier(events, censored)
            if at_risk >= MIN_AT_RISK
        ),
        default=0.0,
    )
    return _fitted(distribution, ll, distance, "km_distance")


def _censored_log_likelihood(
    distribution: Distribution, events: dict[float, int], censored: dict[float, int]
) -> float:
    if isinstance(distribution, Exponential):
        mean = distribution.mean
        total = math.fsum(v * c for v, c in events.items())
        total += math.fsum(v * c for v, c in censored.items())
        return -sum(events.values()) * math.log(mean) - total / mean
    assert isinstance(distribution, Lognormal)
    return _lognormal_ll(distribution.mu, distribution.sigma, events, censored)


def _lognormal_ll(
    mu: float, sigma: float, events: dict[float, int], censored: dict[float, int]
) -> float:
    root2 = math.sqrt(2)
    constant = math.log(sigma * math.sqrt(2 * math.pi))
    total = 0.0
    for v, c in events.items():
        x = math.log(max(v, SMALLEST))
        z = (x - mu) / sigma
        total += c * (-x - constant - z * z / 2)
    for v, c in censored.items():
        if v <= 0:
            continue
        z = (math.log(v) - mu) / sigma
        total += c * math.log(max(0.5 * math.erfc(z / root2), 1e-300))
    return total


def _maximize_lognormal(
    events: dict[float, int], censored: dict[float, int], mu: float, sigma: float
) -> tuple[float, float]:
    """The censored lognormal MLE by Nelder–Mead on (μ, log σ)."""

    def loss(point: tuple[float, float]) -> float:
        return -_lognormal_ll(point[0], math.exp(point[1]), events, censored)

    best = nelder_mead(loss, (mu, math.log(sigma)), step=0.3)
    return best[0], math.exp(best[1])


def nelder_mead(
    loss: Callable[[tuple[float, float]], float],
    start: tuple[float, float],
    *,
    step: float,
    iterations: int = 300,
) -> tuple[float, float]:
    """The minimum of a smooth function of two variables (a plain Nelder–Mead simplex)."""
    simplex = [start, (start[0] + step, start[1]), (start[0], start[1] + step)]
    values = [loss(p) for p in simplex]
    for _ in range(iterations):
        order = sorted(range(3), key=values.__getitem__)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        if abs(values[2] - values[0]) < 1e-10 * (1 + abs(values[0])):
            break
        cx = (simplex[0][0] + simplex[1][0]) / 2
        cy = (simplex[0][1] + simplex[1][1]) / 2
        worst = simplex[2]

        def toward(
            t: float, cx: float = cx, cy: float = cy, w: tuple[float, float] = worst
        ) -> tuple[float, float]:
            return (cx + t * (w[0] - cx), cy + t * (w[1] - cy))

        reflected = toward(-1)
        r = loss(reflected)
        if r < values[0]:
            expanded = toward(-2)
            e = loss(expanded)
            simplex[2], values[2] = (expanded, e) if e < r else (reflected, r)
        elif r < values[1]:
            simplex[2], values[2] = reflected, r
        else:
            contracted = toward(0.5)
            c = loss(contracted)
            if c < values[2]:
                simplex[2], values[2] = contracted, c
            else:
                best = simplex[0]
                simplex = [best] + [
                    ((p[0] + best[0]) / 2, (p[1] + best[1]) / 2) for p in simplex[1:]
                ]
                values = [values[0]] + [loss(p) for p in simplex[1:]]
    return simplex[min(range(3), key=values.__getitem__)]


def kaplan_meier(
    events: dict[float, int], censored: dict[float, int]
) -> list[tuple[float, float, int]]:
    """The Kaplan–Meier survival just after each event time: ``[(t, S(t), at risk), ...]``.

    A value censored at the same time as an event is taken to be at risk at it.
    """
    at_risk = sum(events.values()) + sum(censored.values())
    times = sorted(set(events) | set(censored))
    survival = 1.0
    curve: list[tuple[float, float, int]] = []
    for t in times:
        died = events.get(t, 0)
        if died and at_risk > 0:
            survival *= 1 - died / at_risk
            curve.append((t, survival, at_risk))
        at_risk -= died + censored.get(t, 0)
    return curve
