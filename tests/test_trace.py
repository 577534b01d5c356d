"""The trace CSV: batched rows give exactly the bytes of one ``writerow`` per event."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from chatassign.engine import EngineEvent
from chatassign.simulation import trace
from chatassign.simulation.trace import TRACE_HEADER, TraceWriter, trace_row
from chatassign.workload.quantities import parse_day_start

names = st.none() | st.text(max_size=6)
events = st.builds(
    EngineEvent,
    time=st.floats(min_value=0, max_value=1e9),
    event=st.sampled_from(["handoff", "assigned", "closed"]),
    chat=st.none() | st.integers(0, 10**6),
    agent=names,
    teamspace=names,
    pool=names,
    detail=st.text(max_size=8),
)


def one_row_at_a_time(rows: list[tuple[int, EngineEvent]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TRACE_HEADER)
    for replication, event in rows:
        writer.writerow(trace_row(replication, event))
    return out.getvalue()


@given(st.lists(st.tuples(st.integers(0, 99), events), max_size=30))
def test_batches_write_the_same_bytes_as_single_rows(rows: list[tuple[int, EngineEvent]]) -> None:
    assert batched(rows) == one_row_at_a_time(rows)


def batched(rows: list[tuple[int, EngineEvent]]) -> str:
    out = io.StringIO()
    sink = TraceWriter(out)
    for replication, event in rows:
        sink(replication, event)
    sink.flush()
    return out.getvalue()


def test_a_full_batch_goes_out_before_the_flush() -> None:
    out = io.StringIO()
    sink = TraceWriter(out)
    event = EngineEvent(1.5, "handoff", 7, None, "s", "s", "bot")
    for _ in range(trace.BATCH_ROWS):
        sink(0, event)
    assert out.getvalue().count("\n") == 1 + trace.BATCH_ROWS
    sink(0, event)
    assert out.getvalue().count("\n") == 1 + trace.BATCH_ROWS
    sink.flush()
    assert out.getvalue() == one_row_at_a_time([(0, event)] * (trace.BATCH_ROWS + 1))


def test_rows_that_need_quoting_and_repeated_times_give_the_csv_modules_bytes() -> None:
    """Commas, quotes and line breaks go through the csv module; a repeated time prints once."""
    fields = ["plain", "a,b", 'say "hi"', "two\nlines", "cr\r", "", " lead"]
    rows = [
        (r, EngineEvent(time, "assigned", r, agent, "s", "teams a, b", agent))
        for r, (time, agent) in enumerate(
            (t, f) for t in (0.0, -0.0, 0.0, 1.5, 1.5, 1e-300, 2.0) for f in fields
        )
    ]
    text = batched(rows)
    assert text == one_row_at_a_time(rows)
    assert "-0.000000," in text


def test_times_print_six_decimals_and_never_an_exponent() -> None:
    assert trace.time_text(0.0) == "0.000000"
    assert trace.time_text(1e-300) == "0.000000"
    assert trace.time_text(1.5) == "1.500000"
    assert trace.time_text(2 / 3) == "0.666667"
    assert trace.time_text(1e9 + 0.25) == "1000000000.250000"


@given(st.lists(st.tuples(st.integers(0, 99), events), max_size=30))
def test_rows_with_a_clock_give_the_csv_modules_bytes(rows: list[tuple[int, EngineEvent]]) -> None:
    starts_at = parse_day_start("09:00")
    out = io.StringIO()
    sink = TraceWriter(out, starts_at)
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow((*TRACE_HEADER, "clock"))
    for replication, event in rows:
        sink(replication, event)
        writer.writerow(trace_row(replication, event, starts_at))
    sink.flush()
    assert out.getvalue() == expected.getvalue()
