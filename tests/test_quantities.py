"""Durations, rates and distributions: parsing, messages, round trips and sample statistics."""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatassign.workload import quantities
from chatassign.workload.distributions import (
    Constant,
    Distribution,
    Empirical,
    EmpiricalFile,
    Exponential,
    Gamma,
    Lognormal,
    Uniform,
    load_empirical,
    parse_distribution,
)
from chatassign.workload.quantities import format_duration, parse_duration, parse_rate

# Characters that make up the grammar, so random text often comes close to valid input.
GRAMMAR_TEXT = st.text(alphabet="0123456789.eE+-/=(), dhmsinxabcgloprtuwy\t", max_size=30)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("5m", 300.0),
        ("8h", 28_800.0),
        ("1d", 86_400.0),
        ("1h30m", 5_400.0),
        ("4h30m", 16_200.0),
        ("2h 15m", 8_100.0),
        ("1d2h3m4s", 93_784.0),
        ("1.5h", 5_400.0),
        ("0.1h", 360.0),
        (".5m", 30.0),
        ("90", 90.0),
        ("2.5", 2.5),
        ("  45s ", 45.0),
        ("0", 0.0),
        ("0s", 0.0),
        ("1e-05s", 1e-05),
        ("5 m", 300.0),
        (90, 90.0),
        (2.5, 2.5),
    ],
)
def test_parse_duration_accepts(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5x", "bad duration '5x': unknown unit 'x'; use d, h, m (minutes) or s"),
        ("", "bad duration '': empty; expected seconds or a duration such as 90s"),
        ("-5m", "bad duration '-5m': must not be negative"),
        (-1, "bad duration -1: must not be negative"),
        ("30m1h", "write each unit once, largest first"),
        ("1h1h", "write each unit once, largest first"),
        ("1h30", "bad duration '1h30': expected seconds or a duration such as"),
        ("5ms", "unknown unit 'ms'"),
        ("nan", "bad duration 'nan': expected seconds"),
        ("inf", "bad duration 'inf': expected seconds"),
        (math.nan, "bad duration nan: must be a finite number of seconds"),
        (math.inf, "must be a finite number of seconds"),
        ("1e999999999h", "must be a finite number of seconds"),
        (True, "bad duration True: expected seconds"),
    ],
)
def test_parse_duration_rejects(text: str | float, message: str) -> None:
    with pytest.raises(ValueError, match=_escape(message)):
        parse_duration(text)


def _escape(message: str) -> str:
    return "".join("\\" + c if c in ".()[]?*+^$|{}\\" else c for c in message)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45, "45s"),
        (2.5, "2.5s"),
        (90, "1m30s"),
        (5_400, "1h30m"),
        (86_400, "1d"),
        (93_784, "1d2h3m4s"),
        (3_600.5, "1h0.5s"),
        (1e-5, "0.00001s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@given(st.floats(min_value=0, max_value=1e15, allow_nan=False))
def test_format_duration_round_trips(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.integers(min_value=0, max_value=10**12))
def test_format_duration_round_trips_whole_seconds(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        format_duration(-1.0)


@pytest.mark.parametrize(
    ("text", "per_second"),
    [
        ("120/h", 120 / 3_600),
        ("2/s", 2.0),
        ("30/m", 0.5),
        ("30/min", 0.5),
        ("500/d", 500 / 86_400),
        ("1.5/m", 1.5 / 60),
        (" 60 / h ", 60 / 3_600),
        ("0/h", 0.0),
    ],
)
def test_parse_rate_accepts(text: str, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("120", "bad rate '120': expected a number per time unit such as 2/s, 30/m, 120/h"),
        (120, "bad rate 120: a rate needs a time unit"),
        ("-1/h", "bad rate '-1/h': must not be negative"),
        ("1/y", "bad rate '1/y': unknown unit 'y'; use s, m (or min), h or d"),
        ("nan/h", "bad rate 'nan/h': expected a number per time unit"),
        ("1e999999999/s", "bad rate '1e999999999/s': must be finite"),
        ("/h", "bad rate '/h': expected"),
        ("", "bad rate '': expected"),
    ],
)
def test_parse_rate_rejects(text: str | float, message: str) -> None:
    with pytest.raises(ValueError, match="^" + _escape(message)):
        parse_rate(text)


@given(GRAMMAR_TEXT)
def test_parse_duration_raises_only_value_error(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except ValueError:
        return
    assert math.isfinite(seconds)
    assert seconds >= 0


@given(st.one_of(GRAMMAR_TEXT, st.text(max_size=30)))
def test_parse_rate_raises_only_value_error(text: str) -> None:
    try:
        rate = parse_rate(text)
    except ValueError:
        return
    assert math.isfinite(rate)
    assert rate >= 0


@given(
    st.one_of(
        GRAMMAR_TEXT,
        st.text(max_size=40),
        st.builds(
            lambda name, inside: f"{name}({inside})",
            st.sampled_from(["constant", "exponential", "lognormal", "gamma", "uniform"]),
            GRAMMAR_TEXT,
        ),
    )
)
def test_parse_distribution_raises_only_value_error(text: str) -> None:
    try:
        parse_distribution(text)
    except ValueError:
        return


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("constant(5m)", Constant(300.0)),
        ("constant(0)", Constant(0.0)),
        ("exponential(mean=2m)", Exponential(120.0)),
        ("exponential(mean=45)", Exponential(45.0)),
        ("lognormal(mean=8m, sd=5m)", Lognormal(480.0, 300.0)),
        ("gamma( sd = 5m , mean = 8m )", Gamma(480.0, 300.0)),
        ("uniform(low=30s, high=2m)", Uniform(30.0, 120.0)),
        ("empirical(data/handle times.csv)", EmpiricalFile("data/handle times.csv")),
        ("empirical('times.csv')", EmpiricalFile("times.csv")),
    ],
)
def test_parse_distribution_accepts(text: str, expected: Distribution | EmpiricalFile) -> None:
    assert parse_distribution(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "lognormal(mean=8m)",
            "bad distribution 'lognormal(mean=8m)': lognormal needs mean= and sd=, "
            "e.g. lognormal(mean=8m, sd=5m)",
        ),
        (
            "exponential(2m)",
            "bad distribution 'exponential(2m)': exponential needs mean=, "
            "e.g. exponential(mean=2m)",
        ),
        ("exponential(mean=8x)", "exponential(mean=8x)': mean: bad duration '8x': unknown unit"),
        ("exponential(mean=0)", "exponential: mean must be a finite number of seconds > 0"),
        ("exponential(mean=-1m)", "mean: bad duration '-1m': must not be negative"),
        ("gamma(mean=1m, median=1m)", "gamma needs mean= and sd="),
        ("gamma(mean=1m, sd=1m, sd=2m)", "sd is given twice"),
        ("uniform(low=5m, high=1m)", "uniform: low must not be above high"),
        ("constant()", "constant needs one duration, e.g. constant(5m)"),
        ("constant(1m, 2m)", "value is given twice"),
        ("weibull(k=1)", "unknown distribution 'weibull'; use one of constant, exponential"),
        ("5m", "expected constant(x), exponential(mean=x)"),
        ("5m", "for a fixed duration write constant(5m)"),
        ("exponential(mean=2m", "bad distribution 'exponential(mean=2m': expected constant(x)"),
        ("empirical()", "empirical needs a path, e.g. empirical(handle_times.csv)"),
        ("", "bad distribution '': expected"),
        (5, "bad distribution 5: expected"),
    ],
)
def test_parse_distribution_rejects(text: str | float, message: str) -> None:
    with pytest.raises(ValueError, match=_escape(message)):
        parse_distribution(text)


DURATIONS = st.floats(min_value=1e-3, max_value=1e7, allow_nan=False)


@given(
    st.one_of(
        st.builds(Constant, st.floats(min_value=0, max_value=1e7)),
        st.builds(Exponential, DURATIONS),
        st.builds(Lognormal, DURATIONS, DURATIONS),
        st.builds(Gamma, DURATIONS, DURATIONS),
        st.builds(
            lambda a, b: Uniform(min(a, b), max(a, b)),
            DURATIONS,
            DURATIONS,
        ),
    )
)
def test_describe_round_trips(distribution: Distribution) -> None:
    assert parse_distribution(distribution.describe()) == distribution


SAMPLES = 100_000


@pytest.mark.parametrize(
    ("distribution", "sd"),
    [
        (Exponential(120.0), 120.0),
        (Lognormal(480.0, 300.0), 300.0),
        (Lognormal(60.0, 10.0), 10.0),
        (Gamma(480.0, 300.0), 300.0),
        (Gamma(30.0, 90.0), 90.0),
        (Uniform(30.0, 120.0), 90.0 / math.sqrt(12)),
    ],
    ids=lambda value: value.describe() if hasattr(value, "describe") else f"{value:g}",
)
def test_sample_mean_and_sd_converge(distribution: Distribution, sd: float) -> None:
    draw = distribution.sampler(Random(20240601))
    values = [draw() for _ in range(SAMPLES)]
    # Seeded, so deterministic; the tolerances are still ~5 standard errors wide.
    assert statistics.fmean(values) == pytest.approx(distribution.mean, abs=5 * sd / SAMPLES**0.5)
    assert statistics.stdev(values) == pytest.approx(sd, rel=0.05)
    assert min(values) >= 0


@pytest.mark.parametrize(
    "distribution",
    [
        Exponential(120.0),
        Lognormal(480.0, 300.0),
        Gamma(480.0, 300.0),
        Gamma(30.0, 90.0),
        Uniform(30.0, 120.0),
        Empirical((1.0, 2.0, 3.0)),
    ],
    ids=lambda d: d.describe(),
)
def test_sampler_draws_the_same_values_as_sample(distribution: Distribution) -> None:
    first, second = Random(7), Random(7)
    draw = distribution.sampler(second)
    assert [distribution.sample(first) for _ in range(100)] == [draw() for _ in range(100)]


@pytest.mark.parametrize(
    "distribution",
    [Constant(5.0), Lognormal(480.0, 0.0), Gamma(480.0, 0.0)],
    ids=lambda d: d.describe(),
)
def test_degenerate_distributions_leave_the_stream_untouched(distribution: Distribution) -> None:
    rng = Random(3)
    state = rng.getstate()
    assert distribution.sample(rng) == distribution.mean
    assert distribution.sampler(rng)() == distribution.mean
    assert rng.getstate() == state


def test_lognormal_underlying_parameters() -> None:
    lognormal = Lognormal(480.0, 300.0)
    assert lognormal.sigma**2 == pytest.approx(math.log(1 + (300 / 480) ** 2))
    assert math.exp(lognormal.mu + lognormal.sigma**2 / 2) == pytest.approx(480.0)


def test_gamma_underlying_parameters() -> None:
    gamma = Gamma(480.0, 300.0)
    assert gamma.shape * gamma.scale == pytest.approx(480.0)
    assert gamma.shape * gamma.scale**2 == pytest.approx(300.0**2)


def test_load_empirical_with_header_units_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "times.csv"
    path.write_text("handle_time\n95\n\n1m35s\n2.5\n", encoding="utf-8")
    empirical = load_empirical(path, source="times.csv")
    assert empirical.values == (95.0, 95.0, 2.5)
    assert empirical.mean == pytest.approx(64.1666666666)
    assert empirical.describe() == "empirical(times.csv)"


def test_load_empirical_without_header(tmp_path: Path) -> None:
    path = tmp_path / "times.csv"
    path.write_text("10\n20\n", encoding="utf-8")
    assert load_empirical(path).values == (10.0, 20.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("seconds\n10\n5x\n", ":3: not a duration; expected one duration ≥ 0 per line"),
        ("5x\n10\n", ":1: not a duration"),
        ("10\n-3\n", ":2: not a duration"),
        ("10,20\n", ":1: expected one column (one duration per line)"),
        ("seconds\n", ": no values; expected one duration per line"),
        ("", ": no values"),
        ("10\nseconds\n", ":2: not a duration"),
    ],
)
def test_load_empirical_rejects(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "times.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=_escape(message)):
        load_empirical(path)


def test_load_empirical_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_empirical(tmp_path / "missing.csv")


def test_empirical_samples_every_value_evenly() -> None:
    empirical = Empirical((1.0, 2.0, 3.0, 4.0))
    draw = empirical.sampler(Random(11))
    counts = {value: 0 for value in empirical.values}
    for _ in range(40_000):
        counts[draw()] += 1
    # Expected 10 000 each, sd ≈ 87: ±600 is about 7 standard deviations.
    assert all(abs(count - 10_000) < 600 for count in counts.values())


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Exponential(-1.0), "mean must be a finite number of seconds > 0"),
        (lambda: Lognormal(1.0, -1.0), "sd must be a finite number of seconds ≥ 0"),
        (lambda: Lognormal(1e-300, 1e300), "sd=1e+300 is too large"),
        (lambda: Gamma(0.0, 1.0), "mean must be"),
        (lambda: Gamma(1e-300, 1e300), "out of range"),
        (lambda: Uniform(-1.0, 1.0), "low must be"),
        (lambda: Constant(math.inf), "value must be a finite number"),
        (lambda: Empirical(()), "at least one value"),
    ],
)
def test_constructors_validate(build: object, message: str) -> None:
    assert callable(build)
    with pytest.raises(ValueError, match=_escape(message)):
        build()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("09:00", 32400.0), ("0:05", 300.0), ("17:30:15", 63015.0), ("24:00", 86400.0)],
)
def test_clock_times(text: str, seconds: float) -> None:
    assert quantities.parse_clock(text) == seconds
    assert quantities.looks_like_clock(text)


@pytest.mark.parametrize("text", ["12:60", "25:00", "24:01", "9:7", "12:00:61"])
def test_bad_clock_times_are_refused(text: str) -> None:
    assert quantities.looks_like_clock(text)
    with pytest.raises(ValueError, match="bad clock time"):
        quantities.parse_clock(text)


def test_day_starts_and_clock_labels() -> None:
    start = quantities.parse_day_start("2026-03-02T22:00 Europe/Berlin")
    assert (start.seconds, start.date, start.zone) == (79200.0, "2026-03-02", "Europe/Berlin")
    assert start.clock_at(0.0) == "22:00"
    assert start.clock_at(3 * 3600.0 + 1.5) == "01:00:01 +1d"
    assert start.clock_at(90.0, seconds=True) == "22:01:30"
    assert start.offset_of(quantities.parse_clock("21:00")) == 23 * 3600.0
    assert quantities.parse_day_start(" 09:00 ").text == "09:00"
    assert quantities.parse_day_start("09:00 Europe/Tallinn").zone == "Europe/Tallinn"


@pytest.mark.parametrize(
    "text", ["", "9am", "2026-13-01 09:00", "2026-03-02", "09:00 a b", "24:00"]
)
def test_bad_day_starts_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="bad start"):
        quantities.parse_day_start(text)


def test_a_constant_given_as_an_int_samples_a_float_in_both_builds() -> None:
    """Compiled, the sampler's ``float`` argument turns an int into a float; the pure
    build does the same, so both give the same value and type (and the same bytes)."""
    draw = Constant(5).sampler(Random(0))
    assert type(draw()) is float
    assert draw() == 5.0
