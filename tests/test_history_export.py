"""Mapping files and export reading: formats, timestamps, outcomes, located errors, privacy."""

from __future__ import annotations

import gzip
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatassign.errors import ExportError
from chatassign.history.export import Export, read_export
from chatassign.history.mapping import ExportMapping, load_mapping
from chatassign.history.timestamps import TimestampParser

BASIC = """\
format: csv
timezone: Europe/Berlin
columns:
  handed_off_at: handed
  assigned_at: assigned
  closed_at: closed
  agent: who
  outcome: status
outcomes:
  served: [closed]
  abandoned: [missed]
  ignore: [spam]
missing: ["", "null"]
"""


def mapping_file(tmp_path: Path, text: str = BASIC) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def read(tmp_path: Path, rows: str, *, mapping: str = BASIC, name: str = "x.csv") -> Export:
    path = tmp_path / name
    path.write_text(rows, encoding="utf-8")
    return read_export(path, load_mapping(mapping_file(tmp_path, mapping)))


def test_a_mapping_reads_into_columns_and_outcomes(tmp_path: Path) -> None:
    mapping = load_mapping(mapping_file(tmp_path))
    assert mapping.columns["handed_off_at"] == "handed"
    assert mapping.outcomes == {"closed": "served", "missed": "abandoned", "spam": "ignore"}
    assert mapping.source_columns == ("handed", "assigned", "closed", "who", "status")
    assert mapping.missing == frozenset({"", "null"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BASIC.replace("  agent: who", "  agnet: who"), "map.yaml:7:3: columns.agnet: unknown key"),
        (BASIC.replace("  handed_off_at: handed\n", ""), "columns.handed_off_at: 'handed_off_at'"),
        (BASIC.replace("Europe/Berlin", "Mars/Olympus"), "map.yaml:2:11: timezone: unknown time"),
        (BASIC.replace("format: csv", "format: xlsx"), "map.yaml:1:9: format:"),
        (
            BASIC.replace("  agent: who", "  agent: who\n  wait: w"),
            "map `assigned_at` or `wait`, not both",
        ),
        (BASIC.replace("  closed_at: closed\n", ""), "map `closed_at` (a timestamp)"),
        (BASIC.replace("  abandoned: [missed]", "  abandoned: [closed]"), "listed under both"),
        (BASIC.replace("  outcome: status\n", ""), "`outcomes` needs `columns.outcome`"),
        ("- a list\n", "a mapping file is a mapping"),
        ("columns: {handed_off_at: [1, 2]}\n", "columns.handed_off_at"),
    ],
)
def test_a_bad_mapping_is_a_located_error(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ExportError, match="invalid mapping") as raised:
        load_mapping(mapping_file(tmp_path, text))
    assert expected in str(raised.value)


ROWS = """\
handed,assigned,closed,who,status,secret
2026-03-02 09:00:00,2026-03-02 09:00:30,2026-03-02 09:05:30,ann,closed,x
2026-03-02T09:01:00+01:00,,,null,missed,x
2026-03-02 9:02:00,2026-03-02 9:03:00,2026-03-02 9:04:00,bob,closed,x
2026-03-02 09:03:00,,,,spam,x
"""


def test_rows_become_chats_with_waits_and_durations(tmp_path: Path) -> None:
    export = read(
        tmp_path,
        ROWS.replace(
            "2026-03-02T09:01:00+01:00,,,null",
            "2026-03-02T09:01:00+01:00,,2026-03-02 09:03:00,null",
        ),
    )
    assert len(export) == 3
    assert export.rows_read == 4
    assert export.ignored == {"outcome 'spam' (ignore)": 1}
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp()  # 09:00 in Berlin
    assert export.handed_off[0] == start
    assert list(export.wait) == [30.0, 120.0, 60.0]
    assert export.duration[0] == 300.0
    assert math.isnan(export.duration[1])
    assert list(export.abandoned) == [0, 1, 0]
    assert [export.name_of("agent", i) for i in range(3)] == ["ann", None, "bob"]


def test_an_abandoned_chat_needs_the_time_it_was_left(tmp_path: Path) -> None:
    with pytest.raises(ExportError) as raised:
        read(tmp_path, ROWS)
    assert "x.csv:3: column 'closed': an abandoned chat needs" in str(raised.value)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("soon,,,ann,closed", "x.csv:2: column 'handed': 'soon' is not a timestamp"),
        (
            "2026-03-02 09:00,2026-03-02 08:00,2026-03-02 10:00,ann,closed",
            "x.csv:2: column 'assigned': the assignment is before the handoff",
        ),
        (
            "2026-03-02 09:00,2026-03-02 09:10,2026-03-02 09:05,ann,closed",
            "x.csv:2: column 'closed': the chat ends before it was assigned",
        ),
        ("2026-03-02 09:00,,,ann,lost", "x.csv:2: column 'status': unknown outcome 'lost'"),
        ("2026-03-02 09:00,,,ann,", "x.csv:2: column 'status': the outcome is missing"),
        ("2026-02-30 09:00,,,ann,closed", "not a valid date or time"),
        ("2026-03-02 09:00,2026-03-02 09:01,,,closed", "column 'closed': a served chat needs"),
        ("2026-03-02 09:00,2026-03-02 09:01,2026-03-02 09:02,,closed", "needs its agent"),
    ],
)
def test_a_bad_row_names_file_line_and_column(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(ExportError) as raised:
        read(tmp_path, f"handed,assigned,closed,who,status\n{row}\n")
    assert message in str(raised.value)
    assert "--skip-bad-rows" in str(raised.value)


def test_a_missing_column_and_a_short_row_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"x.csv:1: the header has no column 'who'"):
        read(tmp_path, "handed,assigned,closed,status\n")
    with pytest.raises(ExportError, match=r"x.csv:2: the row has 2 fields"):
        read(tmp_path, "handed,assigned,closed,who,status\na,b\n")
    with pytest.raises(ExportError, match="no such export file"):
        read_export(tmp_path / "none.csv", load_mapping(mapping_file(tmp_path)))
    with pytest.raises(ExportError, match=r"x.csv:1: malformed CSV \(unexpected end of data\)"):
        read(tmp_path, 'handed,assigned,closed,who,"status\n')  # a header's open quote


def test_skipping_bad_rows_counts_them_and_keeps_the_first_few(tmp_path: Path) -> None:
    good = "2026-03-02 09:00,2026-03-02 09:01,2026-03-02 09:02,ann,closed\n"
    rows = "handed,assigned,closed,who,status\n" + good + "bad,,,ann,closed\n" * 7
    path = tmp_path / "x.csv"
    path.write_text(rows, encoding="utf-8")
    export = read_export(path, load_mapping(mapping_file(tmp_path)), skip_bad_rows=True)
    assert len(export) == 1
    assert export.skipped == 7
    assert len(export.skipped_examples) == 5
    assert export.skipped_examples[0].startswith(f"{path}:3: column 'handed'")


def test_many_bad_rows_are_counted_but_listed_briefly(tmp_path: Path) -> None:
    with pytest.raises(ExportError) as raised:
        read(tmp_path, "handed,assigned,closed,who,status\n" + "bad,,,ann,closed\n" * 30)
    text = str(raised.value)
    assert "30 bad rows" in text
    assert "... and 10 more" in text


JSONL_MAPPING = """\
timezone: UTC
columns:
  handed_off_at: {date: day, time: at}
  wait: wait_s
  handle_time: talk_s
  agent: who
"""


def test_jsonl_gzip_with_date_time_pairs_and_seconds(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl.gz"
    lines = [
        {"day": "2026-03-02", "at": "9:05:03", "wait_s": 12, "talk_s": 300, "who": "ann"},
        {"day": "2026-03-02", "at": "10:00:00", "wait_s": 40, "talk_s": None, "who": None},
    ]
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(line) for line in lines) + "\n\n")
    export = read_export(path, load_mapping(mapping_file(tmp_path, JSONL_MAPPING)))
    assert export.handed_off[0] == datetime(2026, 3, 2, 9, 5, 3, tzinfo=UTC).timestamp()
    assert list(export.abandoned) == [0, 1]  # no outcome column: served when assigned
    assert export.duration[0] == 300
    assert export.wait[1] == 40


def test_a_broken_json_line_is_located(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"day": "2026-03-02"}\n{"day": \n', encoding="utf-8")
    with pytest.raises(ExportError, match=r"x.jsonl:2: not valid JSON"):
        read_export(path, load_mapping(mapping_file(tmp_path, JSONL_MAPPING)))


def test_timestamps_in_every_accepted_form() -> None:
    parser = TimestampParser(ZoneInfo("Europe/Berlin"))
    expected = datetime(2026, 7, 1, 7, 5, 3, tzinfo=UTC).timestamp()  # 09:05:03 CEST
    for text in (
        "2026-07-01T09:05:03",
        "2026-07-01 09:05:03",
        "2026-7-1 9:05:03",
        "2026-07-01T07:05:03Z",
        "2026-07-01 08:05:03+01:00",
        "2026-07-01 8:05:03 +0100",
        str(int(expected)),
    ):
        assert parser.parse(text) == expected, text
    assert parser.parse_pair("2026-07-01", "9:05:03") == expected
    assert parser.parse("2026-07-01 09:05:03.250") == expected + 0.25


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
def test_a_naive_stamp_is_local_time_in_the_zone(moment: datetime) -> None:
    zone = ZoneInfo("America/New_York")
    parser = TimestampParser(zone)
    text = moment.isoformat(sep=" ")
    # The text has no fold: a repeated hour (DST ending) reads as its first pass.
    assert parser.parse(text) == moment.replace(tzinfo=zone, fold=0).timestamp()


def test_unmapped_columns_are_never_kept(tmp_path: Path) -> None:
    export = read(
        tmp_path,
        "handed,assigned,closed,who,status,secret\n"
        "2026-03-02 09:00,2026-03-02 09:01,2026-03-02 09:02,ann,closed,TOPSECRET\n",
    )
    assert "TOPSECRET" not in repr(export)


def test_the_format_follows_the_suffix_when_not_mapped() -> None:
    mapping = ExportMapping(None, ",", ZoneInfo("UTC"), {}, None, frozenset())
    assert mapping.format_for(Path("a.jsonl.gz")) == "jsonl"
    assert mapping.format_for(Path("a.csv.gz")) == "csv"


@pytest.mark.parametrize(
    "mapping", [BASIC, BASIC.replace("  outcome: status\n", "").split("outcomes:")[0]]
)
def test_the_batch_path_stores_what_the_row_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mapping: str
) -> None:
    rows = ROWS.replace(",,,null,missed", ",,2026-03-02 09:03:00,null,missed")
    if "outcomes" not in mapping:
        rows = rows.replace(",spam,", ",closed,").replace(
            "09:03:00,,,,", "09:03:00,,2026-03-02 09:04,,"
        )
    fast = read(tmp_path, rows, mapping=mapping)
    monkeypatch.setattr("chatassign.history.export.add_batch", lambda parser, rows: False)
    slow = read(tmp_path, rows, mapping=mapping)
    for name in ("handed_off", "wait", "abandoned", "codes", "names", "ignored", "rows_read"):
        assert getattr(fast, name) == getattr(slow, name), name
    assert [math.isnan(d) for d in fast.duration] == [math.isnan(d) for d in slow.duration]
    assert fast.rows_read == 4


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-03-02 09:00:00",
        "2026-03-02T09:00:00.250",
        "2026-03-02 09:00",
        "2026-3-2 9:00:00",
        "2026-03-02T08:00:00Z",
        "2026-03-02 10:00:00+02:00",
        "1772438400",
        "2026-03-29 02:30:00",
    ],
)
def test_every_timestamp_form_reads_the_same_in_a_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stamp: str
) -> None:
    rows = f"handed,assigned,closed,who,status\n{stamp},{stamp},{stamp},ann,closed\n"
    fast = read(tmp_path, rows)
    monkeypatch.setattr("chatassign.history.export.add_batch", lambda parser, rows: False)
    assert list(read(tmp_path, rows).handed_off) == list(fast.handed_off)


def test_words_numpy_would_take_for_a_time_are_errors(tmp_path: Path) -> None:
    for word in ("now", "today", "2026-03", "NaT"):
        with pytest.raises(ExportError, match="is not a timestamp"):
            read(tmp_path, f"handed,assigned,closed,who,status\n{word},,,ann,missed\n")


def test_a_bad_row_after_many_good_batches_is_still_located(tmp_path: Path) -> None:
    good = "2026-03-02 09:00,2026-03-02 09:01,2026-03-02 09:02,ann,closed\n"
    quoted = '2026-03-02 09:00,2026-03-02 09:01,2026-03-02 09:02,"a\nnn",closed\n'
    rows = "handed,assigned,closed,who,status\n" + (good + quoted) * 15_000
    rows += "later,,,ann,closed\n" + good + "\n" + good
    with pytest.raises(ExportError) as raised:
        read(tmp_path, rows)
    assert "x.csv:45002: column 'handed': 'later' is not a timestamp" in str(raised.value)
    assert "1 bad row" in str(raised.value)
    with pytest.raises(ExportError, match=r"x.csv:45006: the row has 2 fields"):
        read(tmp_path, rows + "x,y\n")


def test_an_empty_export_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="the file is empty"):
        read(tmp_path, "")
