"""Item ids (issue 19, item 19's last sentence): an id is echoed on its item's line, or the item is
refused; it never vanishes. A string of at most 500 characters and an integer that fits 64 bits
are kept, with their type, by the synchronous batch and by the Batch API (whose ``custom_id``
carries them); any other id makes the item an ``input_error`` line that says why, and nothing
is sent for it. (A one-shot has no line, so its id is not read.) Through the real CLI: offline
for the stream, the loopback Groq and its Batch API stand-in for a job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from groq import Groq
from typer.testing import CliRunner

from tests.support.batchapi import BatchAPI, ManualClock, Timings
from tests.support.cli import TEST_KEY, run
from tests.support.groqstub import GroqStub
from tests.support.items import file_lines, json_lines, write_jsonl

MODEL = "openai/gpt-oss-20b"
KEPT: list[Any] = ["x" * 500, "é" * 500, 2**63 - 1, -(2**63), "", 0]
REFUSED: list[tuple[Any, str]] = [
    ("x" * 501, "id is 501 characters long, over the 500 an id may have"),
    ("x" * 100_000, "id is 100000 characters long, over the 500 an id may have"),
    (2**63, "id is an integer outside 64 bits (-2**63 to 2**63-1): give it as a string"),
    (-(2**63) - 1, "id is an integer outside 64 bits (-2**63 to 2**63-1): give it as a string"),
    (10**4000, "id is an integer outside 64 bits (-2**63 to 2**63-1): give it as a string"),
    (True, "id must be a string or an integer, not a boolean"),
    (2.0, "id must be a string or an integer, not a decimal number"),
    ([1], "id must be a string or an integer, not a list"),
    ({"n": 1}, "id must be a string or an integer, not a mapping"),
]


def items() -> list[dict[str, Any]]:
    """One item per id, kept ones first, then the refused ones, then one without an id."""
    ids = KEPT + [identifier for identifier, _ in REFUSED]
    return [{"genre": "Rock", "id": identifier} for identifier in ids] + [{"genre": "Jazz"}]


def assert_ids_kept_or_refused(lines: list[dict[str, Any]]) -> None:
    assert [line["index"] for line in lines] == list(range(len(items())))
    kept, refused, unnamed = lines[: len(KEPT)], lines[len(KEPT) : -1], lines[-1]
    assert [line["id"] for line in kept] == KEPT
    assert [type(line["id"]) for line in kept] == [type(identifier) for identifier in KEPT]
    assert all("error" not in line for line in kept)
    assert [line["error"] for line in refused] == [{"type": "input_error", "message": message} for _, message in REFUSED]
    assert all("id" not in line for line in refused)
    assert "id" not in unnamed and "error" not in unnamed


def test_the_stream_keeps_each_valid_id_and_refuses_the_others(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", items())
    output = tmp_path / "out.jsonl"

    result = run(cli, "casual", str(source), "--provider", "offline", "-o", str(output), "-q")

    assert result.exit_code == 1  # the refused items failed
    lines = json_lines(result.stdout)
    assert_ids_kept_or_refused(lines)
    assert sorted(file_lines(output), key=lambda line: line["index"]) == lines


def test_a_batch_api_job_keeps_each_valid_id_and_sends_nothing_for_the_others(
    cli: CliRunner, groq: GroqStub, tmp_path: Path
) -> None:
    clock = ManualClock()
    api = BatchAPI(groq, timings=Timings(validating=1.0, in_progress=10.0, finalizing=1.0), clock=clock)
    source = write_jsonl(tmp_path / "items.jsonl", items())
    output = tmp_path / "out.jsonl"
    job = ("casual", str(source), "--batch-api", "-o", str(output), "-m", MODEL)

    submitted = run(cli, *job)
    clock.advance(12.0)
    collected = run(cli, *job)

    assert submitted.exit_code == 1, submitted.stderr  # the refused items failed at submission
    assert collected.exit_code == 0, collected.stderr
    assert_ids_kept_or_refused(sorted(file_lines(output), key=lambda line: line["index"]))
    sdk = Groq(api_key=TEST_KEY, base_url=groq.base_url, max_retries=0)
    (upload,) = [file.id for file in sdk.files.list().data if file.purpose == "batch" and file.id]
    sent = [json.loads(line)["custom_id"] for line in sdk.files.content(upload).text().splitlines()]
    expected = [f"{index}:{json.dumps(identifier, ensure_ascii=False)}" for index, identifier in enumerate(KEPT)]
    assert sent == [*expected, str(len(items()) - 1)]
    assert api.counters.lines_uploaded == len(KEPT) + 1

