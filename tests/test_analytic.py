"""Erlang C and Erlang A: the documented example, closed forms, limits and cross-checks."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatassign.analysis.analytic import (
    ErlangAResult,
    erlang_a,
    erlang_b,
    erlang_c,
    servers_needed,
)

# The fidelity example of docs/simulation.md:
# λ = 9/min, handle time 1 min, 5 agents × cap 2, patience mean 2 min.
LAMBDA = 9 / 60
MU = 1 / 60
SERVERS = 10
THETA = 1 / 120


def spec_erlang_a() -> ErlangAResult:
    return erlang_a(LAMBDA, MU, servers=SERVERS, patience_rate=THETA)


def test_erlang_c_matches_the_spec() -> None:
    result = erlang_c(LAMBDA, MU, servers=SERVERS)
    assert round(result.p_wait, 6) == 0.668732
    assert round(result.mean_wait / 60, 6) == 0.668732
    assert round(result.service_level(20), 6) == 0.520833


def test_erlang_a_matches_the_spec() -> None:
    result = spec_erlang_a()
    assert round(result.p_wait, 6) == 0.468942
    assert round(result.p_abandon, 6) == 0.067012


def test_erlang_b_known_values() -> None:
    assert erlang_b(1.0, servers=1) == pytest.approx(0.5)
    # B(2, 2) = (2²/2!) / (1 + 2 + 2²/2!) = 2/5
    assert erlang_b(2.0, servers=2) == pytest.approx(0.4)
    assert erlang_b(0.0, servers=3) == 0.0


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9, 0.99])
def test_erlang_c_with_one_server_is_mm1(rho: float) -> None:
    mu = 1 / 30
    lam = rho * mu
    result = erlang_c(lam, mu, servers=1)
    assert result.p_wait == pytest.approx(rho, rel=1e-12)
    assert result.mean_wait == pytest.approx(rho / (mu - lam), rel=1e-12)
    assert result.mean_queue_length == pytest.approx(rho**2 / (1 - rho), rel=1e-12)
    assert result.p_wait_exceeds(45) == pytest.approx(rho * math.exp(-(mu - lam) * 45), rel=1e-12)
    assert result.occupancy == pytest.approx(rho)


def test_erlang_c_handles_thousands_of_servers() -> None:
    mu = 1 / 480
    result = erlang_c(4_950 * mu, mu, servers=5_000)
    assert 0.0 < result.p_wait < 1.0
    assert math.isfinite(result.mean_wait)
    assert result.offered_load == pytest.approx(4_950)


def test_erlang_a_handles_thousands_of_servers_in_overload() -> None:
    mu = 1 / 480
    result = erlang_a(5_200 * mu, mu, servers=5_000, patience_rate=1 / 300)
    assert 0.0 < result.p_wait <= 1.0
    # Throughput cannot exceed capacity, so at least the excess must leave.
    assert result.p_abandon >= 1 - 5_000 / 5_200
    assert 0.0 < result.service_level(60) < 1.0


def test_erlang_a_approaches_erlang_c_as_patience_grows() -> None:
    patient = erlang_a(LAMBDA, MU, servers=SERVERS, patience_rate=1e-10)
    reference = erlang_c(LAMBDA, MU, servers=SERVERS)
    assert patient.p_wait == pytest.approx(reference.p_wait, abs=1e-6)
    assert patient.mean_wait == pytest.approx(reference.mean_wait, rel=1e-6)
    assert patient.mean_wait_served == pytest.approx(reference.mean_wait, rel=1e-6)
    for threshold in (0, 20, 60, 300):
        assert patient.service_level(threshold) == pytest.approx(
            reference.service_level(threshold), abs=1e-6
        )


def test_erlang_a_approaches_erlang_b_when_nobody_waits() -> None:
    impatient = erlang_a(LAMBDA, MU, servers=SERVERS, patience_rate=1e6)
    assert impatient.p_abandon == pytest.approx(erlang_b(LAMBDA / MU, servers=SERVERS), rel=1e-4)


def test_erlang_a_identities() -> None:
    result = spec_erlang_a()
    assert result.mean_wait == pytest.approx(result.p_abandon / THETA, rel=1e-12)
    assert result.mean_queue_length == pytest.approx(LAMBDA * result.mean_wait, rel=1e-12)
    assert result.service_level(0) == pytest.approx(1 - result.p_wait, abs=1e-12)
    assert result.service_level(1e7) == pytest.approx(1 - result.p_abandon, abs=1e-10)


def served_within_by_uniformization(
    lam: float, mu: float, servers: int, theta: float, threshold: float
) -> float:
    """P(served within threshold) from the tagged customer's chain, an independent method."""
    weights = [1.0]
    for n in range(1, 150):
        death = min(n, servers) * mu + max(n - servers, 0) * theta
        weights.append(weights[-1] * lam / death)
    total = sum(weights)
    ahead = [w / total for w in weights[servers:]]  # arrival sees m = n - c waiting ahead
    served = sum(weights[:servers]) / total
    full_rate = servers * mu
    uniform_rate = full_rate + (len(ahead) + 1) * theta
    mass = uniform_rate * threshold
    poisson = math.exp(-mass)
    served_after_steps = 0.0
    cumulative_poisson = 0.0
    result = 0.0
    for step in range(1, 2_000):
        # One uniformised step: position m moves to m - 1 at rate cμ + mθ, leaves at rate θ.
        served_after_steps += ahead[0] * full_rate / uniform_rate
        moved = [
            ahead[m] * (1 - (full_rate + (m + 1) * theta) / uniform_rate)
            + (
                ahead[m + 1] * (full_rate + (m + 1) * theta) / uniform_rate
                if m + 1 < len(ahead)
                else 0
            )
            for m in range(len(ahead))
        ]
        ahead = moved
        cumulative_poisson += poisson
        poisson *= mass / step
        result += served_after_steps * poisson
        if cumulative_poisson > 1 - 1e-15 and poisson < 1e-18:
            break
    return served + result


@pytest.mark.parametrize("threshold", [5.0, 20.0, 60.0, 180.0])
def test_erlang_a_service_level_matches_an_independent_computation(threshold: float) -> None:
    expected = served_within_by_uniformization(LAMBDA, MU, SERVERS, THETA, threshold)
    assert spec_erlang_a().service_level(threshold) == pytest.approx(expected, abs=1e-9)


def test_erlang_a_mean_wait_served_agrees_with_the_service_level() -> None:
    # E[W; served] = ∫₀^∞ P(served, W > x) dx = ∫₀^∞ (SL(∞) − SL(x)) dx.
    result = spec_erlang_a()
    served = 1 - result.p_abandon
    upper, steps = 3_000.0, 1_200
    values = [served - result.service_level(i * upper / steps) for i in range(steps + 1)]
    fine, coarse = simpson(values, upper / steps), simpson(values[::2], 2 * upper / steps)
    extrapolated = (16 * fine - coarse) / 15  # Richardson: Simpson's error is O(h⁴)
    assert extrapolated == pytest.approx(result.mean_wait_served * served, rel=1e-8)


def simpson(values: list[float], h: float) -> float:
    return h / 3 * (values[0] + values[-1] + 4 * sum(values[1:-1:2]) + 2 * sum(values[2:-1:2]))


@settings(max_examples=40, deadline=None)
@given(
    load=st.floats(0.5, 30.0),
    servers=st.integers(1, 30),
    patience_ratio=st.floats(0.05, 20.0),
    thresholds=st.lists(st.floats(0.0, 600.0), min_size=2, max_size=5),
)
def test_erlang_a_service_level_is_monotone_and_bounded(
    load: float, servers: int, patience_ratio: float, thresholds: list[float]
) -> None:
    mu = 1 / 60
    result = erlang_a(load * mu, mu, servers=servers, patience_rate=patience_ratio * mu)
    levels = [result.service_level(t) for t in sorted(thresholds)]
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(levels))
    assert all(1 - result.p_wait - 1e-12 <= x <= 1 - result.p_abandon + 1e-9 for x in levels)


@settings(max_examples=40, deadline=None)
@given(
    occupancy=st.floats(0.05, 0.99),
    servers=st.integers(1, 200),
    thresholds=st.lists(st.floats(0.0, 600.0), min_size=2, max_size=5),
)
def test_erlang_c_service_level_is_monotone_and_bounded(
    occupancy: float, servers: int, thresholds: list[float]
) -> None:
    mu = 1 / 60
    result = erlang_c(occupancy * servers * mu, mu, servers=servers)
    levels = [result.service_level(t) for t in sorted(thresholds)]
    assert all(a <= b for a, b in itertools.pairwise(levels))
    assert all(1 - result.p_wait - 1e-15 <= x <= 1 for x in levels)


def test_servers_needed_for_a_service_level() -> None:
    needed = servers_needed(LAMBDA, MU, service_level=0.8, threshold=20)
    assert erlang_c(LAMBDA, MU, servers=needed).service_level(20) >= 0.8
    assert erlang_c(LAMBDA, MU, servers=needed - 1).service_level(20) < 0.8


def test_servers_needed_with_abandonment() -> None:
    needed = servers_needed(
        LAMBDA, MU, patience_rate=THETA, service_level=0.9, threshold=20, max_abandon=0.01
    )
    enough = erlang_a(LAMBDA, MU, servers=needed, patience_rate=THETA)
    short = erlang_a(LAMBDA, MU, servers=needed - 1, patience_rate=THETA)
    assert enough.service_level(20) >= 0.9
    assert enough.p_abandon <= 0.01
    assert short.service_level(20) < 0.9 or short.p_abandon > 0.01


def test_servers_needed_scales_to_large_centres() -> None:
    mu = 1 / 480
    needed = servers_needed(3_000 * mu, mu, service_level=0.8, threshold=20)
    assert 3_000 < needed < 3_100
    assert erlang_c(3_000 * mu, mu, servers=needed).service_level(20) >= 0.8
    assert erlang_c(3_000 * mu, mu, servers=needed - 1).service_level(20) < 0.8


def test_unstable_erlang_c_is_refused() -> None:
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(10 / 60, MU, servers=SERVERS)


@pytest.mark.parametrize(
    ("arrival_rate", "service_rate", "servers"),
    [(0.0, MU, 1), (-1.0, MU, 1), (math.nan, MU, 1), (LAMBDA, math.inf, 20), (LAMBDA, MU, 0)],
)
def test_invalid_arguments_are_refused(
    arrival_rate: float, service_rate: float, servers: int
) -> None:
    with pytest.raises(ValueError, match="must be"):
        erlang_c(arrival_rate, service_rate, servers=servers)
    with pytest.raises(ValueError, match="must be"):
        erlang_a(arrival_rate, service_rate, servers=servers, patience_rate=THETA)


def test_invalid_thresholds_and_targets_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        erlang_c(LAMBDA, MU, servers=SERVERS).service_level(-1)
    with pytest.raises(ValueError, match="threshold"):
        spec_erlang_a().service_level(math.nan)
    with pytest.raises(ValueError, match="give a target"):
        servers_needed(LAMBDA, MU)
    with pytest.raises(ValueError, match="needs a threshold"):
        servers_needed(LAMBDA, MU, service_level=0.8)
    with pytest.raises(ValueError, match="patience_rate"):
        servers_needed(LAMBDA, MU, max_abandon=0.05)
    with pytest.raises(ValueError, match="between 0 and 1"):
        servers_needed(LAMBDA, MU, service_level=1.0, threshold=20)
