"""The Batch API engine's parts on their own: the state file's index ranges, the custom_id that
carries an item's index and id, the window check, the ``-o`` scan a job resumes from, request
files split under Groq's limits, and the batch price from the catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adp_cli.accounting import catalog, prices
from adp_cli.accounting.prices import PriceBook
from adp_cli.errors import ConfigError, UsageError
from adp_cli.runs.batch_api import state
from adp_cli.runs.batch_api.job import check_window, dispatcher_for
from adp_cli.runs.batch_api.request_files import Limits, PartFile, Request, custom_id, parse_custom_id, requests, split
from adp_cli.runs.batch_api.state import Job, Part, Ranges
from adp_cli.runs.lines import Line, OutputFile
from adp_cli.tasks.casual import CASUAL
from adp_cli.tasks.items import Flags
from adp_cli.tasks.settings import Settings
from adp_cli.transports.base import Connection
from tests.support.items import wizard_items

MODEL = "openai/gpt-oss-20b"


# Index ranges


def test_ranges_hold_ascending_indices_compactly_and_find_positions() -> None:
    ranges = Ranges()
    for index in [0, 1, 2, 5, 6, 9]:
        ranges.append(index)

    assert ranges.pairs() == [[0, 3], [5, 7], [9, 10]]
    assert list(ranges) == [0, 1, 2, 5, 6, 9] and len(ranges) == 6
    assert [ranges.position(index) for index in range(11)] == [0, 1, 2, None, None, 3, 4, None, None, 5, None]
    assert 5 in ranges and 4 not in ranges and "5" not in ranges
    assert Ranges((start, stop) for start, stop in ranges.pairs()).pairs() == ranges.pairs()


def test_ranges_refuse_an_index_that_is_not_above_the_last() -> None:
    ranges = Ranges([(3, 6)])

    with pytest.raises(ValueError, match="not above 5"):
        ranges.append(4)
    with pytest.raises(ValueError, match="not above"):
        Ranges([(0, 5), (4, 8)])


def test_a_100000_item_part_is_one_range_in_the_state_file(tmp_path: Path) -> None:
    ranges = Ranges()
    for index in range(100_000):
        ranges.append(index)
    path = tmp_path / "out.jsonl.adp-batch.json"
    job = Job("casual", "items.jsonl", "f00d", "out.jsonl", "24h", parts=[Part(ranges, 123, 1_700_000_000, "file_1", "batch_1")])

    state.save(path, job)
    loaded = state.load(path)

    assert path.stat().st_size < 1000
    assert loaded is not None and loaded.to_json() == job.to_json()
    assert loaded.covers(99_999) and not loaded.covers(100_000)


@pytest.mark.parametrize("content", ["{not json", '{"version": 1}', '{"version": 2, "parts": []}', "[]"])
def test_a_damaged_state_file_is_reported_and_left_in_place(tmp_path: Path, content: str) -> None:
    path = tmp_path / "out.jsonl.adp-batch.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ConfigError, match="damaged"):
        state.load(path)
    assert path.read_text(encoding="utf-8") == content


# custom_id


@pytest.mark.parametrize("item_id", ["trk-001", 500, None, "a:b:c", "épisode 7", "", -(2**63), "12"])
def test_custom_id_carries_the_index_and_the_id_with_its_type(item_id: str | int | None) -> None:
    value = custom_id(42, item_id)

    assert value.startswith("42")
    assert parse_custom_id(value) == (42, item_id)
    assert type(parse_custom_id(value)[1]) is type(item_id)


@pytest.mark.parametrize("value", ["request-1", "x:1", "1:[1]", "1:{", "-1", ""])
def test_a_custom_id_adp_did_not_write_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_custom_id(value)


# Window


@pytest.mark.parametrize("window", ["24h", "36h", "1d", "2d", "7d", "168h", " 48h "])
def test_windows_from_24h_to_7d_are_accepted(window: str) -> None:
    assert check_window(window) == window.strip()


@pytest.mark.parametrize("window", ["23h", "8d", "169h", "1w", "", "24", "h", "24 h"])
def test_other_windows_are_refused_before_anything_is_sent(window: str) -> None:
    with pytest.raises(UsageError, match="24h to 7d"):
        check_window(window)


# The -o scan


def _write(path: Path, lines: list[str]) -> None:
    path.write_bytes("".join(lines).encode("utf-8"))


def scan(path: Path, *, keep_errors: bool) -> set[int]:
    """What a Batch API job reads of its ``-o`` when it opens it."""
    output = OutputFile(path, keep_errors=keep_errors, streams=False)
    try:
        return output.open()
    finally:
        output.close()


def test_scan_keeps_error_lines_for_a_job_in_progress_and_drops_them_for_a_new_one(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    lines = [
        '{"index": 0, "phrase": "a"}\n',
        '{"index": 1, "error": {"type": "not_run", "message": "expired"}}\n',
        '{"index": 2, "phrase": "c"}\n',
    ]
    _write(output, lines)

    assert scan(output, keep_errors=True) == {0, 1, 2}
    assert output.read_text(encoding="utf-8") == "".join(lines)  # nothing to drop: not rewritten
    assert scan(output, keep_errors=False) == {0, 2}
    assert output.read_text(encoding="utf-8") == lines[0] + lines[2]


def test_scan_drops_a_line_torn_by_a_kill(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    _write(output, ['{"index": 0, "phrase": "a"}\n', "not json\n", '{"index": 1, "phrase": "b"}'])

    assert scan(output, keep_errors=True) == {0}
    assert output.read_text(encoding="utf-8") == '{"index": 0, "phrase": "a"}\n'
    assert [p.name for p in tmp_path.iterdir() if p.suffix != ".lock"] == ["out.jsonl"]  # no temporary file left behind


def test_scan_of_a_missing_file_is_empty_and_of_a_folder_an_error(tmp_path: Path) -> None:
    assert scan(tmp_path / "none.jsonl", keep_errors=False) == set()
    with pytest.raises(UsageError, match="not a regular file"):
        scan(tmp_path, keep_errors=False)


# Request files


def test_request_lines_come_from_the_synchronous_prepare_path(env: dict[str, str]) -> None:
    from adp_cli.tasks.prepared import prepare

    documents = wizard_items(3)
    settings = Settings(model=MODEL, poetic_level=90)

    produced = list(requests(CASUAL, enumerate(documents), Flags(), settings, dispatcher_for(Connection(), settings)))

    assert all(isinstance(entry, Request) for entry in produced)
    for index, (entry, document) in enumerate(zip(produced, documents)):
        assert isinstance(entry, Request)
        line = json.loads(entry.line)
        expected = prepare(CASUAL, CASUAL.parse(document, Flags()), settings)
        assert line == {
            "custom_id": custom_id(index, document.get("id")),
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": MODEL,
                "messages": expected.messages,
                "temperature": 0.1,
                "max_tokens": 4524,  # the guide's 3500 for the answer + 1024 for low-effort reasoning
                "reasoning_effort": "low",
                "include_reasoning": False,
            },
        }


def test_an_item_that_cannot_be_sent_becomes_its_error_line(env: dict[str, str]) -> None:
    long_moods = [" ".join(f"w{n}x{k}" for k in range(12)) for n in range(45)]  # ~2300 o200k tokens
    documents = [{"id": "ok", "genre": "Rock"}, {"id": "bad", "genre": "Rock", "tempo": 5}, {"id": "long", "genre": "Rock", "mood": long_moods}]

    settings = Settings(model=MODEL)
    produced = list(requests(CASUAL, enumerate(documents), Flags(), settings, dispatcher_for(Connection(), settings)))

    assert isinstance(produced[0], Request)
    errors = [entry.fields for entry in produced if isinstance(entry, Line)]
    assert [(fields["index"], fields["id"], fields["error"]["type"]) for fields in errors] == [
        (1, "bad", "input_error"),
        (2, "long", "token_limit"),
    ]


def _request(index: int, size: int) -> Request:
    return Request(index, f"id-{index}", b"x" * (size - 1) + b"\n")


@pytest.mark.parametrize(
    ("limits", "sizes", "expected"),
    [
        (Limits(max_requests=3, max_bytes=1000), [10] * 7, [[0, 1, 2], [3, 4, 5], [6]]),
        (Limits(max_requests=100, max_bytes=25), [10, 10, 10, 5, 20], [[0, 1], [2, 3], [4]]),
        (Limits(max_requests=2, max_bytes=20), [20, 1, 1, 20], [[0], [1, 2], [3]]),
    ],
)
def test_split_keeps_every_file_within_the_limits(tmp_path: Path, limits: Limits, sizes: list[int], expected: list[list[int]]) -> None:
    parts = list(split(iter([_request(index, size) for index, size in enumerate(sizes)]), tmp_path, limits))

    assert all(isinstance(part, PartFile) for part in parts)
    files = [part for part in parts if isinstance(part, PartFile)]
    assert [list(part.ranges) for part in files] == expected
    for part in files:
        data = part.path.read_bytes()
        assert len(data) == part.bytes <= limits.max_bytes
        assert data.count(b"\n") == len(part.ranges) <= limits.max_requests


def test_a_request_larger_than_a_whole_file_becomes_an_error_line(tmp_path: Path) -> None:
    entries = [_request(0, 10), _request(1, 50), _request(2, 10)]

    produced = list(split(iter(entries), tmp_path, Limits(max_bytes=30)))

    errors = [entry.fields for entry in produced if isinstance(entry, Line)]
    files = [entry for entry in produced if isinstance(entry, PartFile)]
    assert [(e["index"], e["id"], e["error"]["type"]) for e in errors] == [(1, "id-1", "input_error")]
    assert "50 bytes" in errors[0]["error"]["message"]
    assert [list(part.ranges) for part in files] == [[0, 2]]


# Prices


def test_the_batch_price_is_the_catalog_factor_of_the_synchronous_one(env: dict[str, str]) -> None:
    price = prices.price_of(MODEL)
    assert price is not None

    assert price.batch_factor == catalog.BATCH_PRICE_FACTOR == 0.5
    assert (price.batch.input, price.batch.output) == (price.input * 0.5, price.output * 0.5)
    assert PriceBook().cost(MODEL, 1_000_000, 1_000_000, batch=True) == pytest.approx(
        PriceBook().cost(MODEL, 1_000_000, 1_000_000) * 0.5
    )


def test_a_prices_file_can_set_a_models_batch_factor(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(f"{MODEL}: {{input: 1.0, output: 2.0, batch: 0.75}}\nother/model: 0.4\n", encoding="utf-8")
    monkeypatch.setenv("ADP_PRICES_FILE", str(prices))

    assert PriceBook().cost(MODEL, 1_000_000, 1_000_000, batch=True) == 2.25
    assert PriceBook().cost("other/model", 1_000_000, 0, batch=True) == 0.2


def test_a_negative_batch_factor_is_a_config_error(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prices_file = tmp_path / "prices.yaml"
    prices_file.write_text(f"{MODEL}: {{input: 1.0, batch: -1}}\n", encoding="utf-8")
    monkeypatch.setenv("ADP_PRICES_FILE", str(prices_file))

    with pytest.raises(ConfigError, match="finite amount"):
        prices.price_of(MODEL)
