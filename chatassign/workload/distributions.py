"""Distributions of durations as written in scenario files, parsed into samplers.

Grammar (docs/simulation.md): ``constant(x)``, ``exponential(mean=x)``, ``lognormal(mean=x, sd=y)``,
``gamma(mean=x, sd=y)``, ``uniform(low=x, high=y)`` with durations as arguments (see
``quantities.py``), or ``empirical(path/to.csv)``, whose values :func:`load_empirical`
reads. Every distribution samples from an injected ``random.Random`` and offers a fast
``sampler`` (from ``samplers.py``, compiled with the hot path) that draws exactly what
``sample`` would. Errors are ``ValueError`` with a
message that says what is expected. Only :func:`load_empirical` does I/O.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import ClassVar, Protocol

from chatassign.limits import MAX_EMPIRICAL_BYTES, MAX_EMPIRICAL_VALUES
from chatassign.workload import samplers
from chatassign.workload.quantities import format_duration, parse_duration

_CALL = re.compile(r"\s*([A-Za-z_]\w*)\s*\((.*)\)\s*", re.DOTALL)
_STARTS_WITH_NUMBER = re.compile(r"\s*(?:\d|\.\d)")
_DISTRIBUTION_HINT = (
    "expected constant(x), exponential(mean=x), lognormal(mean=x, sd=y), gamma(mean=x, sd=y), "
    "uniform(low=x, high=y) or empirical(path/to.csv)"
)


class Distribution(Protocol):
    """A distribution of durations in seconds, sampled with an injected ``random.Random``."""

    @property
    def mean(self) -> float:
        """The mean in seconds."""
        ...

    def sample(self, rng: Random) -> float:
        """One draw in seconds."""
        ...

    def sampler(self, rng: Random) -> Callable[[], float]:
        """A function of no arguments drawing from ``rng``; the same draws as ``sample``, faster."""
        ...

    def describe(self) -> str:
        """Canonical text, which :func:`parse_distribution` reads back to an equal value."""
        ...


@dataclass(frozen=True, slots=True)
class Constant:
    """Always ``value`` seconds; sampling does not consume the random stream."""

    value: float

    def __post_init__(self) -> None:
        _check_finite_non_negative("value", self.value)

    @property
    def mean(self) -> float:
        """The value itself."""
        return self.value

    def sample(self, rng: Random) -> float:
        """``value``; ``rng`` is left untouched."""
        return self.value

    def sampler(self, rng: Random) -> Callable[[], float]:
        """A function returning ``value`` without touching ``rng``."""
        return samplers.constant(self.value)

    def describe(self) -> str:
        """``constant(5m)``."""
        return f"constant({format_duration(self.value)})"


@dataclass(frozen=True, slots=True)
class Exponential:
    """Exponential with the given mean in seconds; one ``rng.random()`` per draw."""

    mean: float

    def __post_init__(self) -> None:
        _check_positive("mean", self.mean)

    def sample(self, rng: Random) -> float:
        """One draw by inversion: ``−mean · log(1 − U)``."""
        return -self.mean * math.log(1.0 - rng.random())

    def sampler(self, rng: Random) -> Callable[[], float]:
        """A fast sampler with ``rng.random`` and the mean bound."""
        return samplers.exponential(self.mean, rng)

    def describe(self) -> str:
        """``exponential(mean=2m)``."""
        return f"exponential(mean={format_duration(self.mean)})"


@dataclass(frozen=True, slots=True)
class _MeanAndSd:
    """A distribution given by its mean and standard deviation, in seconds (the base of two).

    With ``sd == 0`` every draw is the mean and ``rng`` is not consumed.
    """

    mean: float
    sd: float
    family: ClassVar[str] = ""
    """Its name in the grammar (``lognormal``, ``gamma``)."""

    def __post_init__(self) -> None:
        _check_positive("mean", self.mean)
        _check_finite_non_negative("sd", self.sd)

    def sampler(self, rng: Random) -> Callable[[], float]:
        raise NotImplementedError

    def sample(self, rng: Random) -> float:
        """One draw: the first of a new ``sampler``'s (one definition of the draw)."""
        return self.sampler(rng)()

    def describe(self) -> str:
        """``lognormal(mean=8m, sd=5m)``."""
        return f"{self.family}(mean={format_duration(self.mean)}, sd={format_duration(self.sd)})"


@dataclass(frozen=True, slots=True)
class Lognormal(_MeanAndSd):
    """Lognormal with the given mean and standard deviation of the duration (not of its log).

    The underlying normal has σ² = ln(1 + sd²/mean²) and μ = ln(mean) − σ²/2.
    """

    mu: float = field(init=False, repr=False, compare=False)
    sigma: float = field(init=False, repr=False, compare=False)
    family: ClassVar[str] = "lognormal"

    def __post_init__(self) -> None:
        _MeanAndSd.__post_init__(self)  # not super(): slots=True makes a new class
        ratio = self.sd / self.mean
        variance = math.log1p(ratio * ratio)
        if not math.isfinite(variance):
            raise ValueError(f"sd={self.sd!r} is too large for mean={self.mean!r}")
        object.__setattr__(self, "sigma", math.sqrt(variance))
        object.__setattr__(self, "mu", math.log(self.mean) - variance / 2)

    def sampler(self, rng: Random) -> Callable[[], float]:
        """``exp(normal(μ, σ))`` with ``rng.normalvariate`` and the parameters bound."""
        if self.sigma == 0.0:
            return samplers.constant(self.mean)
        return samplers.lognormal(self.mu, self.sigma, rng)


@dataclass(frozen=True, slots=True)
class Gamma(_MeanAndSd):
    """Gamma with the given mean and standard deviation: shape mean²/sd², scale sd²/mean."""

    shape: float = field(init=False, repr=False, compare=False)
    scale: float = field(init=False, repr=False, compare=False)
    family: ClassVar[str] = "gamma"

    def __post_init__(self) -> None:
        _MeanAndSd.__post_init__(self)
        ratio = self.mean / self.sd if self.sd > 0 else math.inf
        object.__setattr__(self, "shape", ratio * ratio)
        object.__setattr__(self, "scale", self.sd / self.mean * self.sd)
        if self.sd > 0 and not (self.shape > 0 and 0 < self.scale < math.inf):
            raise ValueError(f"sd={self.sd!r} is out of range for mean={self.mean!r}")

    def sampler(self, rng: Random) -> Callable[[], float]:
        """``rng.gammavariate`` with the parameters bound."""
        if self.sd == 0.0:
            return samplers.constant(self.mean)
        return samplers.gamma(self.shape, self.scale, rng)


@dataclass(frozen=True, slots=True)
class Uniform:
    """Uniform on [low, high] seconds; one ``rng.random()`` per draw, even when low == high."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_finite_non_negative("low", self.low)
        _check_finite_non_negative("high", self.high)
        if self.low > self.high:
            raise ValueError("low must not be above high")

    @property
    def mean(self) -> float:
        """(low + high) / 2."""
        return self.low / 2 + self.high / 2

    def sample(self, rng: Random) -> float:
        """One draw: ``low + (high − low) · U``."""
        return self.low + (self.high - self.low) * rng.random()

    def sampler(self, rng: Random) -> Callable[[], float]:
        """A fast sampler with ``rng.random`` bound."""
        return samplers.uniform(self.low, self.high, rng)

    def describe(self) -> str:
        """``uniform(low=30s, high=2m)``."""
        return f"uniform(low={format_duration(self.low)}, high={format_duration(self.high)})"


@dataclass(frozen=True, slots=True)
class Empirical:
    """Draws uniformly from observed durations (seconds); one ``rng.random()`` per draw."""

    values: tuple[float, ...]
    source: str = ""
    """Where the values came from, as written in the scenario (for ``describe``)."""
    _mean: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("an empirical distribution needs at least one value")
        for value in self.values:
            _check_finite_non_negative("value", value)
        count = len(self.values)
        object.__setattr__(self, "_mean", math.fsum(value / count for value in self.values))

    @property
    def mean(self) -> float:
        """The mean of the values."""
        return self._mean

    def sample(self, rng: Random) -> float:
        """One of the values, each equally likely."""
        return self.values[int(rng.random() * len(self.values))]

    def sampler(self, rng: Random) -> Callable[[], float]:
        """A fast sampler with the values and ``rng.random`` bound."""
        return samplers.choice(self.values, rng)

    def describe(self) -> str:
        """``empirical(path/to.csv)``, as its :class:`EmpiricalFile` reads."""
        return EmpiricalFile(self.source).describe()


@dataclass(frozen=True, slots=True)
class EmpiricalFile:
    """``empirical(path)`` as parsed: the path as written, not read yet (:func:`load_empirical`)."""

    path: str

    def describe(self) -> str:
        """``empirical(path/to.csv)``."""
        return f"empirical({self.path})"


_PARAMETERS: dict[str, tuple[str, ...]] = {
    "constant": ("",),
    "exponential": ("mean",),
    "lognormal": ("mean", "sd"),
    "gamma": ("mean", "sd"),
    "uniform": ("low", "high"),
}
_EXAMPLES = {
    "constant": "constant(5m)",
    "exponential": "exponential(mean=2m)",
    "lognormal": "lognormal(mean=8m, sd=5m)",
    "gamma": "gamma(mean=8m, sd=5m)",
    "uniform": "uniform(low=30s, high=2m)",
    "empirical": "empirical(handle_times.csv)",
}


def parse_distribution(value: str | float) -> Distribution | EmpiricalFile:
    """The distribution written as ``value``; ``empirical(...)`` gives an :class:`EmpiricalFile`."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"bad distribution {value!r}: {_DISTRIBUTION_HINT}")
    call = _CALL.fullmatch(value)
    if call is None:
        hint = ""
        if _STARTS_WITH_NUMBER.match(value):
            hint = f" (for a fixed duration write constant({value.strip()}))"
        raise ValueError(f"bad distribution {value!r}: {_DISTRIBUTION_HINT}{hint}")
    name, inside = call[1], call[2].strip()
    if name == "empirical":
        path = inside.strip("'\"").strip()
        if not path:
            raise ValueError(
                f"bad distribution {value!r}: empirical needs a path, e.g. {_EXAMPLES[name]}"
            )
        return EmpiricalFile(path)
    if name not in _PARAMETERS:
        known = ", ".join(_EXAMPLES)
        raise ValueError(
            f"bad distribution {value!r}: unknown distribution {name!r}; use one of {known}"
        )
    try:
        arguments = _parse_arguments(name, inside)
        return _build(name, arguments)
    except ValueError as error:
        raise ValueError(f"bad distribution {value!r}: {error}") from None


def _parse_arguments(name: str, inside: str) -> dict[str, float]:
    """Argument name ('' for positional) -> seconds, checked against what ``name`` takes."""
    expected = _PARAMETERS[name]
    needs = _needs(name)
    arguments: dict[str, float] = {}
    for raw in inside.split(",") if inside else []:
        key, has_key, text = raw.partition("=")
        key, text = (key.strip(), text) if has_key else ("", key)
        if key not in expected:
            raise ValueError(needs)
        if key in arguments:
            raise ValueError(f"{key or 'the value'} is given twice; {needs}")
        try:
            arguments[key] = parse_duration(text)
        except ValueError as error:
            raise ValueError(f"{key or 'value'}: {error}") from None
    if set(arguments) != set(expected):
        raise ValueError(needs)
    return arguments


def _needs(name: str) -> str:
    expected = _PARAMETERS[name]
    if expected == ("",):
        return f"{name} needs one duration, e.g. {_EXAMPLES[name]}"
    keys = " and ".join(f"{key}=" for key in expected)
    return f"{name} needs {keys}, e.g. {_EXAMPLES[name]}"


def _build(name: str, arguments: dict[str, float]) -> Distribution:
    try:
        if name == "constant":
            return Constant(arguments[""])
        if name == "exponential":
            return Exponential(arguments["mean"])
        if name == "lognormal":
            return Lognormal(arguments["mean"], arguments["sd"])
        if name == "gamma":
            return Gamma(arguments["mean"], arguments["sd"])
        return Uniform(arguments["low"], arguments["high"])
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def read_empirical(folder: Path, written: str) -> Empirical:
    """The table ``empirical(written)`` names, for a scenario in ``folder``.

    The path is relative to ``folder`` and stays inside its tree (no absolute path, no
    ``..`` or symlink out of it); then :func:`load_empirical` reads it. A problem is a
    ValueError naming the path and the rule, never the file's content.
    """
    if Path(written).is_absolute() or written.startswith("~"):
        raise ValueError(
            f"empirical({written}): an absolute path is not allowed; "
            "give a path relative to the scenario's folder"
        )
    base = Path(os.path.realpath(folder))
    target = Path(os.path.realpath(base / written))
    if not target.is_relative_to(base):
        raise ValueError(
            f"empirical({written}): the path leads outside the scenario's folder; "
            "keep the table in that folder or below it"
        )
    return load_empirical(target, source=written)


def load_empirical(path: Path, *, source: str | None = None) -> Empirical:
    """The durations in a one-column CSV (optional header line), as an :class:`Empirical`.

    Each non-blank line holds one duration (``95``, ``1m35s``). The first line is a header
    when it is not a duration and does not start with a digit. ``source`` is the path as
    the scenario wrote it (default: ``path``). Only a regular file of at most
    ``MAX_EMPIRICAL_BYTES`` holding at most ``MAX_EMPIRICAL_VALUES`` values is read.
    Errors are ValueError naming the path, the line and the rule, never the content
    (the path may name a file that is not meant to be shown).
    """
    shown = str(path) if source is None else source
    try:
        text = _read_table(path, shown).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{shown}: not UTF-8 text; save the table as UTF-8") from None
    values: list[float] = []
    for number, line in enumerate(text.splitlines(), start=1):
        cell = line.strip()
        if not cell:
            continue
        if "," in cell or ";" in cell or "\t" in cell:
            raise ValueError(f"{shown}:{number}: expected one column (one duration per line)")
        try:
            values.append(parse_duration(cell.strip("'\"")))
        except ValueError:
            if number == 1 and not cell[0].isdigit() and cell[0] not in ".-":
                continue  # a header
            raise ValueError(
                f"{shown}:{number}: not a duration; expected one duration ≥ 0 per line "
                "(95, 2.5 or 1m35s)"
            ) from None
        if len(values) > MAX_EMPIRICAL_VALUES:
            raise ValueError(f"{shown}: more than {MAX_EMPIRICAL_VALUES:,} values; sample fewer")
    if not values:
        raise ValueError(f"{shown}: no values; expected one duration per line")
    return Empirical(tuple(values), source=shown)


def _read_table(path: Path, shown: str) -> bytes:
    """The bytes of a regular file of at most ``MAX_EMPIRICAL_BYTES``; ValueError otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise ValueError(f"cannot read {shown}: {error.strerror or 'not readable'}") from None
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"cannot read {shown}: not a regular file")
        limit = MAX_EMPIRICAL_BYTES
        if info.st_size > limit:
            raise ValueError(f"{shown}: larger than {limit // (1024 * 1024)} MiB; sample fewer")
        try:
            return stream.read(limit + 1)[:limit]
        except OSError as error:
            raise ValueError(f"cannot read {shown}: {error.strerror or 'read error'}") from None


def _check_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")


def _check_finite_non_negative(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number of seconds ≥ 0, got {value!r}")
