"""The samplers the distributions hand out: functions of no arguments, one draw each.

Compiled with the hot path (``chatassign/compiled.py``): a simulation calls one for
every customer's work and patience, so a sampler is a native function in the compiled
build, where the distributions themselves (``distributions.py``: frozen dataclasses,
pickled with the plans) stay Python. Each draws exactly what its distribution's
``sample`` draws, from the same ``random.Random``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from random import Random

Sampler = Callable[[], float]
"""One draw in seconds per call."""


def constant(value: float) -> Sampler:
    """Always ``value``, as a float in both builds (compiled, a ``float`` argument is one
    already; an int given through the API would stay an int in pure Python); no random
    stream is consumed."""
    seconds = float(value)
    return lambda: seconds


def exponential(mean: float, rng: Random) -> Sampler:
    """``−mean · log(1 − U)``: one ``rng.random()`` per draw."""
    scale, uniform, log = -mean, rng.random, math.log
    return lambda: scale * log(1.0 - uniform())


def lognormal(mu: float, sigma: float, rng: Random) -> Sampler:
    """``exp(normal(μ, σ))`` with ``rng.normalvariate``."""
    normal, exp = rng.normalvariate, math.exp
    return lambda: exp(normal(mu, sigma))


def gamma(shape: float, scale: float, rng: Random) -> Sampler:
    """``rng.gammavariate(shape, scale)``."""
    draw = rng.gammavariate
    return lambda: draw(shape, scale)


def uniform(low: float, high: float, rng: Random) -> Sampler:
    """``low + (high − low) · U``: one ``rng.random()`` per draw."""
    width, random = high - low, rng.random
    return lambda: low + width * random()


def choice(values: Sequence[float], rng: Random) -> Sampler:
    """One of ``values``, each equally likely: one ``rng.random()`` per draw."""
    count, random = len(values), rng.random
    return lambda: values[int(random() * count)]
