"""The batch reader's timestamp fast path: the floats of the row parser, or no answer."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chatassign.history.batch import _iso_seconds
from chatassign.history.timestamps import TimestampParser

MISSING = frozenset({"", "null"})
ZONE = ZoneInfo("Europe/Berlin")


def row_by_row(values: list[str | None]) -> list[float] | None:
    """What the row parser reads, or None when it refuses one of the values."""
    parser = TimestampParser(ZONE)
    try:
        return [math.nan if v is None or v in MISSING else parser.parse(v) for v in values]
    except ValueError:
        return None


def same(found: list[float], expected: list[float]) -> bool:
    return all(
        (math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(found, expected, strict=True)
    )


@st.composite
def stamps(draw: st.DrawFn) -> str | None:
    moment = draw(st.datetimes(min_value=datetime(1890, 1, 1), max_value=datetime(2210, 1, 1)))
    moment = moment.replace(microsecond=0)
    text = moment.isoformat(sep=draw(st.sampled_from([" ", "T"])))
    kind = draw(st.sampled_from(["local", "local", "Z", "offset", "missing", "null", "broken"]))
    if kind == "Z":
        text += "Z"
    elif kind == "offset":
        minutes = draw(st.integers(-24 * 60 - 30, 24 * 60 + 30))
        sign = "-" if minutes < 0 else "+"
        text += f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    elif kind == "missing":
        return draw(st.sampled_from(["", "null", None]))
    elif kind == "broken":
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.characters(codec="utf-8")) + text[at + 1 :]
    return text


@settings(suppress_health_check=[HealthCheck.too_slow])  # a busy machine
@given(st.lists(stamps(), min_size=1, max_size=12))
@example(["2026-03-29 02:30:00", "2026-10-25 02:30:00", "2026-10-25T01:59:59"])
@example(["2028-02-29 10:00:00", "", "2028-02-29T10:00:00+23:59"])
def test_the_fast_path_reads_what_the_row_parser_reads(values: list[str | None]) -> None:
    found = _iso_seconds(values, MISSING, TimestampParser(ZONE))
    expected = row_by_row(values)
    if found is None:
        return  # the general readers take the column
    assert expected is not None, "the fast path took a value the row parser refuses"
    assert same(found.tolist(), expected)


def test_the_usual_columns_take_the_fast_path() -> None:
    start = datetime(2026, 3, 28, 22, tzinfo=UTC)
    moments = [start + timedelta(seconds=997 * i) for i in range(400)]  # across the DST change
    local = [m.astimezone(ZONE).replace(tzinfo=None).isoformat(sep=" ") for m in moments]
    aware = [m.astimezone(timezone(timedelta(hours=-5))).isoformat() for m in moments]
    zulu = [m.replace(tzinfo=None).isoformat() + "Z" for m in moments]
    mixed = [*aware[:3], *zulu[:3], *local[:3]]
    for column in (local, aware, zulu, ["", *local, "null"], [None, *local, None], mixed):
        values: list[str | None] = list(column)
        found = _iso_seconds(values, MISSING, TimestampParser(ZONE))
        assert found is not None
        expected = row_by_row(values)
        assert expected is not None
        assert same(found.tolist(), expected)
    assert same(
        _iso_seconds(local, MISSING, TimestampParser(ZONE)).tolist(),  # type: ignore[union-attr]
        [m.timestamp() for m in moments],
    )


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-29 10:00:00",
        "2026-04-31 09:00:00",
        "2028-04-31 09:00:00",
        "2026-13-02 09:00:00",
        "2026-00-10T09:00:00Z",
        "2026-03-00 09:00:00",
        "2026-03-02 24:00:00",
        "2026-03-02 09:60:00",
        "2026-03-02 09:00:60",
        "2026-03-02 09:00:00+24:00",
        "2026-03-02 09:00:00+01:60",
        "2026-03-02 09:00:00*01:00",
        "2026-03-02 09:00:00z",
        "2026-03-02 09:00:0\x00",
        "2026-03-02_09:00:00",
        "0001-03-02 09:00:00",
    ],
)
def test_what_the_row_parser_refuses_gets_no_answer(text: str) -> None:
    assert _iso_seconds([text, "2026-03-02 09:00:00"], MISSING, TimestampParser(ZONE)) is None


def test_other_shapes_are_left_to_the_general_readers() -> None:
    parser = TimestampParser(ZONE)
    for text in (
        "2026-03-02 09:00",
        "2026-3-2 09:00:00",
        "1772438400",
        "2026-03-02 09:00:00.5",
        "2026-03-02,09:00:00",
        "2026-03-02 09:00:00+01",
    ):
        assert _iso_seconds([text], MISSING, parser) is None, text
        assert not math.isnan(parser.parse(text)), text
