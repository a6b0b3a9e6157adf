"""A Batch API result line goes through the synchronous reply check: whatever one line holds
(garbled usage, a text or list body, no JSON at all), it becomes that item's error line, the
other items are collected, the job ends as usual and the ledger gets only trusted counts
(issue 19, item 7)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from adp_cli.accounting import ledger
from adp_cli.accounting.prices import PriceBook
from tests.support.batchapi import BatchAPI, ManualClock, RawLine
from tests.support.batchjobs import (
    COMPLETION_TOKENS,
    COUNT,
    MODEL,
    PROMPT_TOKENS,
    STEPS,
    expected_ids,
    job_args,
    ledger_today,
    state_exists,
)
from tests.support.cli import run
from tests.support.groqstub import GroqStub, Reply, chat_body
from tests.support.items import file_lines, json_lines

DAMAGED = 3  # the item whose result line is scripted


def body_with_usage(**usage: Any) -> Reply:
    body = chat_body("A warm test phrase.", MODEL, PROMPT_TOKENS, COMPLETION_TOKENS)
    body["usage"] = usage.pop("whole") if "whole" in usage else body["usage"] | usage
    return Reply(body=body)


def response(status: int | str, body: Any) -> RawLine:
    record = {"id": "batch_req_x", "custom_id": "CID", "response": {"status_code": status, "body": body}, "error": None}
    return RawLine(json.dumps(record).replace('"CID"', "@custom_id@"))


UNREADABLE = "Groq's result for this item could not be read: its batch"
# name: (the scripted line, the item's error type and message, or None for a result line; the
# tokens the ledger gets for it).
CASES: dict[str, tuple[Reply | RawLine, tuple[str, str] | None, tuple[int, int, int]]] = {
    "negative usage": (
        body_with_usage(prompt_tokens=-5),
        ("bad_reply", "the server reported unusable usage (prompt_tokens -5); the call is in the ledger without it"),
        (1, 0, COMPLETION_TOKENS),
    ),
    "huge usage": (
        body_with_usage(prompt_tokens=10**30, completion_tokens=2**63),
        ("bad_reply", f"the server reported unusable usage (prompt_tokens {10**30}, completion_tokens {2**63}); the call is in the ledger without it"),
        (1, 0, 0),
    ),
    "string usage": (
        body_with_usage(whole="lots"),
        ("bad_reply", "the server reported unusable usage (prompt_tokens None, completion_tokens None); the call is in the ledger without it"),
        (1, 0, 0),
    ),
    "float usage": (
        body_with_usage(prompt_tokens=1.5e300),
        ("bad_reply", "the server reported unusable usage (prompt_tokens 1.5e+300); the call is in the ledger without it"),
        (1, 0, COMPLETION_TOKENS),
    ),
    "NaN total_time": (body_with_usage(total_time=math.nan), None, (1, PROMPT_TOKENS, COMPLETION_TOKENS)),
    "infinite total_time": (body_with_usage(total_time=math.inf), None, (1, PROMPT_TOKENS, COMPLETION_TOKENS)),
    "a plain-text error body": (
        response(500, "upstream connect error or disconnect/reset before headers"),
        ("api_error", "Groq API error 500: upstream connect error or disconnect/reset before headers"),
        (0, 0, 0),
    ),
    "a plain-text body": (response(200, "<html>Bad gateway</html>"), ("bad_reply", "the reply is text (a web page?), not a chat completion"), (0, 0, 0)),
    "a list body": (response(200, [{"choices": []}]), ("bad_reply", "the reply is a JSON list, not a chat completion"), (0, 0, 0)),
    "a null body": (response(200, None), ("bad_reply", "the reply is JSON null, not a chat completion"), (0, 0, 0)),
    "a status that is no number": (
        response("200", {}),
        ("bad_reply", "Groq's result line for this item holds no response adp can read: status_code '200'"),
        (0, 0, 0),
    ),
    "a response that is no object": (
        RawLine('{"custom_id": @custom_id@, "response": "oops", "error": null}'),
        ("bad_reply", "Groq's result line for this item holds no response adp can read: 'oops'"),
        (0, 0, 0),
    ),
    "a line that is not JSON": (RawLine("<html>502 Bad Gateway</html>"), ("bad_reply", UNREADABLE), (0, 0, 0)),
    "a record that is not an object": (RawLine("[3, 4]"), ("bad_reply", UNREADABLE), (0, 0, 0)),
    "a custom_id that is no string": (RawLine('{"custom_id": 3, "response": null, "error": null}'), ("bad_reply", UNREADABLE), (0, 0, 0)),
}


@pytest.fixture
def api(groq: GroqStub, clock: ManualClock) -> BatchAPI:
    # No cached share: every trusted line then costs the same, whichever line met an empty cache.
    assert groq.today is not None
    groq.today.cached_tokens = 0
    return BatchAPI(groq, timings=STEPS, clock=clock)


def collected_with_one_damaged(cli: CliRunner, api: BatchAPI, clock: ManualClock, source: Path, output: Path, scripted: Reply | RawLine) -> Result:
    """A job submitted, its results ready with line DAMAGED as ``scripted``, and collected."""
    api.outcome = lambda index, custom_id, body: scripted if index == DAMAGED else None
    run(cli, *job_args(source, output))
    clock.advance(12.0)
    return run(cli, *job_args(source, output))


@pytest.mark.parametrize("scripted, error, tokens", CASES.values(), ids=CASES.keys())
def test_a_damaged_result_line_fails_its_item_alone(
    cli: CliRunner,
    api: BatchAPI,
    clock: ManualClock,
    source: Path,
    output: Path,
    scripted: Reply | RawLine,
    error: tuple[str, str] | None,
    tokens: tuple[int, int, int],
) -> None:
    collected = collected_with_one_damaged(cli, api, clock, source, output, scripted)

    lines = json_lines(collected.stdout)
    assert collected.exit_code == (0 if error is None else 1), collected.stderr
    assert [line["index"] for line in lines] == list(range(COUNT))
    assert [line.get("id") for line in lines] == expected_ids()
    assert all("error" not in line and line["phrase"] for number, line in enumerate(lines) if number != DAMAGED)
    damaged = lines[DAMAGED]
    if error is None:
        assert (damaged["phrase"], damaged["latency_ms"]) == ("A warm test phrase.", 0)  # Groq's time, unusable: 0
    else:
        assert damaged["error"]["type"] == error[0]
        assert damaged["error"]["message"].startswith(error[1]), damaged["error"]["message"]
    assert f"completed: {COUNT - (error is not None)} succeeded, {error is not None:d} failed" in collected.stderr
    assert file_lines(output) == lines
    assert not state_exists(output)  # the job ended as usual


@pytest.mark.parametrize("scripted, error, tokens", CASES.values(), ids=CASES.keys())
def test_the_ledger_gets_only_what_can_be_trusted(
    cli: CliRunner,
    api: BatchAPI,
    clock: ManualClock,
    source: Path,
    output: Path,
    scripted: Reply | RawLine,
    error: tuple[str, str] | None,
    tokens: tuple[int, int, int],
) -> None:
    collected_with_one_damaged(cli, api, clock, source, output, scripted)
    later = run(cli, "cost", "--ledger", "--json")

    requests, prompt, completion = COUNT - 1 + tokens[0], (COUNT - 1) * PROMPT_TOKENS + tokens[1], (COUNT - 1) * COMPLETION_TOKENS + tokens[2]
    billed = ledger_today()[MODEL]
    assert (billed["requests"], billed["prompt_tokens"], billed["completion_tokens"]) == (requests, prompt, completion)
    assert billed["cost_usd"] == pytest.approx(PriceBook().cost(MODEL, prompt, completion, batch=True))
    assert [entry.requests for entry in ledger.entries()] == [requests]  # the ledger still loads
    assert later.exit_code == 0, later.stderr
