"""Erlang C (M/M/c) and Erlang A (M/M/c+M) queueing formulas.

The simulator's fidelity tests hold it to these numbers, and ``simulate`` shows
them as a quick estimate. Every rate is per second and every time is in
seconds: ``arrival_rate`` is λ, ``service_rate`` is μ = 1 / mean handle time,
``patience_rate`` is θ = 1 / mean patience, and ``servers`` is c (agents × cap).
Only the standard library is imported; nothing here does I/O.

Methods, so that the numbers can be checked:

* Erlang C comes from the Erlang B recursion ``B_k = a·B_{k-1} / (k + a·B_{k-1})``
  (a = λ/μ), which never overflows, converted by ``C = c·B / (c − a·(1 − B))``.
* Erlang A solves the birth–death chain of the number in system exactly: birth
  rate λ, death rate ``min(n, c)·μ + max(n − c, 0)·θ``. Weights are summed in
  log space and the chain is cut where its tail is below e⁻⁴⁵ of the mode.
  P(wait > 0) = P(N ≥ c) by PASTA; the mean wait is E[(N − c)⁺] / λ by Little's
  law; P(abandon) = θ·E[(N − c)⁺] / λ. A customer who finds m others waiting
  enters service after independent exponential stages of rates cμ + jθ,
  j = m…0, unless its own patience runs out first, which gives the mean wait of
  served customers in closed form per state.
* The Erlang A service level, P(assigned within t), abandoned counting as misses,
  uses the density of the offered wait V (the wait of a customer who would never
  leave; Mandelbaum & Zeltyn 2007): ``f_V(x) = λ·π_{c−1}·exp(λ(1 − e^{−θx})/θ − cμx)``
  for x > 0, and P(V = 0) = P(N < c). A customer is served within t when
  V ≤ t and its patience exceeds V, so the service level is
  ``P(N < c) + ∫₀ᵗ f_V(x)·e^{−θx} dx``. The integrand is log-concave; the integral
  is taken by composite Gauss–Legendre quadrature over the range where it is
  above e⁻⁴⁰ of its peak.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from chatassign.analysis.monotone import first_true

_TAIL_CUTOFF = 45.0
"""Stop summing the chain when a term (and its geometric tail) is below e^-45 of the mode."""

_MAX_STATES = 5_000_000
"""Refuse Erlang A inputs whose chain would need more states than this (θ tiny, λ > cμ)."""

_QUADRATURE_CUTOFF = 40.0
_QUADRATURE_PANELS = 48
_QUADRATURE_ORDER = 10

_MAX_SEARCH_SERVERS = 1_000_000


@dataclass(frozen=True, slots=True)
class ErlangCResult:
    """Steady state of an M/M/c queue (customers never leave the queue)."""

    arrival_rate: float
    """λ, arrivals per second."""
    service_rate: float
    """μ, service completions per second per server."""
    servers: int
    """c, the number of servers (agents × cap)."""
    p_wait: float
    """P(wait > 0): the probability that an arriving customer finds every server busy."""
    mean_wait: float
    """Mean wait in seconds, over all customers (those who do not wait count as 0)."""
    mean_queue_length: float
    """Time-average number of customers waiting (not in service)."""

    @property
    def offered_load(self) -> float:
        """a = λ/μ in erlangs: the mean number of busy servers."""
        return self.arrival_rate / self.service_rate

    @property
    def occupancy(self) -> float:
        """ρ = λ/(cμ): the share of server capacity in use."""
        return self.arrival_rate / (self.servers * self.service_rate)

    def p_wait_exceeds(self, threshold: float) -> float:
        """P(wait > threshold), threshold in seconds: ``C·exp(−(cμ − λ)·t)``."""
        _check_threshold(threshold)
        decay = self.servers * self.service_rate - self.arrival_rate
        return self.p_wait * math.exp(-decay * threshold)

    def service_level(self, threshold: float) -> float:
        """P(wait ≤ threshold), threshold in seconds."""
        return 1.0 - self.p_wait_exceeds(threshold)


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Steady state of an M/M/c+M queue (exponential patience; Erlang A)."""

    arrival_rate: float
    """λ, arrivals per second."""
    service_rate: float
    """μ, service completions per second per server."""
    servers: int
    """c, the number of servers (agents × cap)."""
    patience_rate: float
    """θ = 1 / mean patience, per second."""
    p_wait: float
    """P(wait > 0): the probability that an arriving customer finds every server busy."""
    p_abandon: float
    """The fraction of customers who leave the queue before service."""
    mean_wait: float
    """Mean time in queue in seconds over all customers, abandoned ones included."""
    mean_wait_served: float
    """Mean wait in seconds of the customers who are served."""
    mean_queue_length: float
    """Time-average number of customers waiting."""
    log_p_one_idle: float = field(repr=False)
    """log π_{c−1}: log-probability that exactly one server is idle (for the service level)."""

    @property
    def offered_load(self) -> float:
        """a = λ/μ in erlangs."""
        return self.arrival_rate / self.service_rate

    @property
    def occupancy(self) -> float:
        """The share of server capacity in use: λ·(1 − P(abandon)) / (cμ)."""
        return self.arrival_rate * (1.0 - self.p_abandon) / (self.servers * self.service_rate)

    def service_level(self, threshold: float) -> float:
        """P(served after waiting ≤ threshold seconds); abandoned customers count as misses."""
        _check_threshold(threshold)
        lam, theta = self.arrival_rate, self.patience_rate
        full_rate = self.servers * self.service_rate

        def log_integrand(x: float) -> float:
            return -math.expm1(-theta * x) * lam / theta - (full_rate + theta) * x

        # log_integrand is concave; it peaks where λ·e^{−θx} = cμ + θ.
        peak = max(0.0, math.log(lam / (full_rate + theta)) / theta)
        served_after_wait = _integrate_log_concave(
            log_integrand, peak=peak, scale=math.log(lam) + self.log_p_one_idle, upper=threshold
        )
        return min(1.0, 1.0 - self.p_wait + served_after_wait)


def erlang_c(arrival_rate: float, service_rate: float, *, servers: int) -> ErlangCResult:
    """M/M/c in steady state; ValueError if invalid or unstable (λ ≥ cμ)."""
    _check_rate("arrival_rate", arrival_rate)
    _check_rate("service_rate", service_rate)
    _check_servers(servers)
    full_rate = servers * service_rate
    if arrival_rate >= full_rate:
        raise ValueError(
            f"unstable queue: arrival rate {arrival_rate:g}/s is not below the capacity "
            f"{servers} servers × {service_rate:g}/s = {full_rate:g}/s"
        )
    load = arrival_rate / service_rate
    blocking = erlang_b(load, servers=servers)
    p_wait = servers * blocking / (servers - load * (1.0 - blocking))
    mean_wait = p_wait / (full_rate - arrival_rate)
    return ErlangCResult(
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        servers=servers,
        p_wait=p_wait,
        mean_wait=mean_wait,
        mean_queue_length=arrival_rate * mean_wait,
    )


def erlang_b(offered_load: float, *, servers: int) -> float:
    """Erlang B blocking probability for ``offered_load`` erlangs on ``servers`` servers."""
    if not (math.isfinite(offered_load) and offered_load >= 0):
        raise ValueError(f"offered load must be a finite number ≥ 0, got {offered_load!r}")
    _check_servers(servers)
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return blocking


def erlang_a(
    arrival_rate: float, service_rate: float, *, servers: int, patience_rate: float
) -> ErlangAResult:
    """M/M/c+M in steady state (stable for any λ); ValueError if an argument is invalid."""
    _check_rate("arrival_rate", arrival_rate)
    _check_rate("service_rate", service_rate)
    _check_rate("patience_rate", patience_rate)
    _check_servers(servers)
    log_weights = _erlang_a_log_weights(arrival_rate, service_rate, servers, patience_rate)
    peak = max(log_weights)
    weights = [math.exp(w - peak) for w in log_weights]
    total = math.fsum(weights)
    queue = weights[servers:]
    full_rate = servers * service_rate
    p_wait = math.fsum(queue) / total
    queue_length = math.fsum(m * w for m, w in enumerate(queue)) / total
    p_abandon = patience_rate * queue_length / arrival_rate
    served_wait_sum = 0.0  # Σ π_{c+m} · E[wait · 1{served} | m waiting ahead]
    stage_sum = 0.0  # Σ_{i=1}^{m+1} 1 / (cμ + iθ)
    for m, weight in enumerate(queue):
        rate_after = full_rate + (m + 1) * patience_rate
        stage_sum += 1.0 / rate_after
        served_wait_sum += weight / total * (full_rate / rate_after) * stage_sum
    p_served = 1.0 - p_abandon
    return ErlangAResult(
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        servers=servers,
        patience_rate=patience_rate,
        p_wait=p_wait,
        p_abandon=p_abandon,
        mean_wait=queue_length / arrival_rate,
        mean_wait_served=served_wait_sum / p_served if p_served > 0 else 0.0,
        mean_queue_length=queue_length,
        log_p_one_idle=log_weights[servers - 1] - peak - math.log(total),
    )


def servers_needed(
    arrival_rate: float,
    service_rate: float,
    *,
    patience_rate: float | None = None,
    service_level: float | None = None,
    threshold: float | None = None,
    max_abandon: float | None = None,
) -> int:
    """The smallest c meeting every target given: Erlang C, or Erlang A with ``patience_rate``.

    ``service_level`` (a fraction in (0, 1)) asks for P(wait ≤ ``threshold`` seconds) ≥ it;
    ``max_abandon`` (Erlang A only) asks for P(abandon) ≤ it. Both measures improve
    with c, so the answer is found by doubling and then bisection.
    """
    if service_level is None and max_abandon is None:
        raise ValueError("give a target: service_level (with threshold) or max_abandon")
    if service_level is not None:
        if not 0.0 < service_level < 1.0:
            raise ValueError(f"service_level must be between 0 and 1, got {service_level!r}")
        if threshold is None:
            raise ValueError("service_level needs a threshold in seconds")
        _check_threshold(threshold)
    if max_abandon is not None:
        if patience_rate is None:
            raise ValueError("max_abandon needs a patience_rate (customers never leave otherwise)")
        if not 0.0 < max_abandon < 1.0:
            raise ValueError(f"max_abandon must be between 0 and 1, got {max_abandon!r}")

    def meets(servers: int) -> bool:
        if patience_rate is None:
            result_c = erlang_c(arrival_rate, service_rate, servers=servers)
            return (
                service_level is None or result_c.service_level(threshold or 0.0) >= service_level
            )
        result = erlang_a(arrival_rate, service_rate, servers=servers, patience_rate=patience_rate)
        if max_abandon is not None and result.p_abandon > max_abandon:
            return False
        return service_level is None or result.service_level(threshold or 0.0) >= service_level

    _check_rate("arrival_rate", arrival_rate)
    _check_rate("service_rate", service_rate)
    low = 1 if patience_rate is not None else math.floor(arrival_rate / service_rate) + 1
    found = first_true(meets, low, limit=_MAX_SEARCH_SERVERS)
    if found is None:
        raise ValueError(f"target not reached with {_MAX_SEARCH_SERVERS} servers")
    return found


def _erlang_a_log_weights(
    arrival_rate: float, service_rate: float, servers: int, patience_rate: float
) -> list[float]:
    """Unnormalised log π_n of the Erlang A chain for n = 0, 1, ... until the tail is negligible."""
    log_lam = math.log(arrival_rate)
    weights = [0.0]
    for n in range(1, servers + 1):
        weights.append(weights[-1] + log_lam - math.log(n * service_rate))
    peak = max(weights)
    full_rate = servers * service_rate
    waiting = 0
    while True:
        waiting += 1
        ratio = arrival_rate / (full_rate + waiting * patience_rate)
        weights.append(weights[-1] + math.log(ratio))
        peak = max(peak, weights[-1])
        if ratio < 1.0 and weights[-1] - math.log1p(-ratio) < peak - _TAIL_CUTOFF:
            return weights
        if waiting > _MAX_STATES:
            raise ValueError(
                "patience too long for this overload: the Erlang A chain needs more than "
                f"{_MAX_STATES} states"
            )


def _integrate_log_concave(
    log_f: Callable[[float], float], *, peak: float, scale: float, upper: float
) -> float:
    """∫₀^upper exp(scale + log_f(x)) dx for a concave log_f that is largest at ``peak`` ≥ 0.

    Only the range where log_f is within 40 of its peak is integrated; 48 panels of
    10-point Gauss–Legendre make the relative error far below 1e-10 there.
    """
    if upper == 0.0:
        return 0.0
    floor = log_f(peak) - _QUADRATURE_CUTOFF
    low = 0.0 if log_f(0.0) >= floor else _bisect(log_f, floor, 0.0, peak)
    far = max(2.0 * peak, 1.0)
    while log_f(far) >= floor:
        far *= 2.0
    high = min(upper, _bisect(log_f, floor, far, peak))
    if high <= low:
        return 0.0
    nodes, weights = _gauss_legendre(_QUADRATURE_ORDER)
    width = (high - low) / _QUADRATURE_PANELS
    total = 0.0
    for panel in range(_QUADRATURE_PANELS):
        mid = low + (panel + 0.5) * width
        total += math.fsum(
            w * math.exp(scale + log_f(mid + 0.5 * width * x))
            for x, w in zip(nodes, weights, strict=True)
        )
    return total * 0.5 * width


def _bisect(log_f: Callable[[float], float], level: float, outside: float, inside: float) -> float:
    """Where log_f crosses ``level``, between ``outside`` (below it) and ``inside`` (above)."""
    for _ in range(200):
        middle = (outside + inside) / 2
        if middle in (outside, inside):
            break
        if log_f(middle) >= level:
            inside = middle
        else:
            outside = middle
    return inside


@cache
def _gauss_legendre(order: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Nodes and weights of ``order``-point Gauss–Legendre quadrature on [−1, 1]."""
    nodes: list[float] = []
    weights: list[float] = []
    for i in range(1, order + 1):
        x = math.cos(math.pi * (i - 0.25) / (order + 0.5))
        for _ in range(100):
            p0, p1 = 1.0, x
            for k in range(2, order + 1):
                p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
            derivative = order * (x * p1 - p0) / (x * x - 1.0)
            step = p1 / derivative
            x -= step
            if abs(step) < 1e-16:
                break
        nodes.append(x)
        weights.append(2.0 / ((1.0 - x * x) * derivative * derivative))
    return tuple(nodes), tuple(weights)


def _check_rate(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0 (per second), got {value!r}")


def _check_servers(servers: int) -> None:
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 1:
        raise ValueError(f"servers must be an integer ≥ 1, got {servers!r}")


def _check_threshold(threshold: float) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ValueError(f"threshold must be a number of seconds, got {threshold!r}")
    if not (math.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"threshold must be a finite number of seconds ≥ 0, got {threshold!r}")
