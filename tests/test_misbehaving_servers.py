"""Servers that misbehave, and adp still ends (issue 19, items 10, 14, 15): a server that refuses
everything, a quota that never clears, rate-limit figures no server should send, a refusal whose
header and message disagree, a model list that is no list, a megabyte error page."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.cli import one_line, run
from tests.support.groqstub import GroqStub, Reply, rate_limited
from tests.support.items import json_lines, wizard_items, write_jsonl
from tests.support.openaistub import OpenAIStub

MODEL = "openai/gpt-oss-20b"


def refused(retry_after: str, message_wait: str | None = None, **headers: str) -> Reply:
    """Groq's TPM 429, with a ``retry-after`` header and, when given, a message naming its own wait."""
    reply = rate_limited(0.1, MODEL)
    body = reply.body
    assert isinstance(body, dict)
    body["error"]["message"] = body["error"]["message"].split("Please try again")[0] + (
        f"Please try again in {message_wait}." if message_wait else "Please slow down."
    )
    reply.headers = {"retry-after": retry_after, **headers}
    return reply


def test_a_server_that_refuses_everything_stops_the_run_within_max_wait(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    groq.fail_first(10_000, lambda: refused("0.2"))
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(8))

    started = time.monotonic()
    result = run(cli, "casual", str(source), "-m", MODEL, "-j", "2", "--max-wait", "1.5", "-q")

    assert time.monotonic() - started < 8
    assert result.exit_code == 3
    assert {line["error"]["type"] for line in json_lines(result.stdout)} == {"rate_limited"}
    assert "over --max-wait" in result.stderr.splitlines()[-1]


def test_a_one_shot_refused_again_and_again_stops_too(cli: CliRunner, groq: GroqStub) -> None:
    groq.fail_first(10_000, lambda: refused("0.2"))

    started = time.monotonic()
    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "--max-wait", "1", "-q")

    assert result.exit_code == 3 and time.monotonic() - started < 6


def test_a_quota_that_never_clears_is_final(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    with OpenAIStub() as server:
        server.exhaust_quota()
        source = write_jsonl(tmp_path / "items.jsonl", wizard_items(10))
        result = run(cli, "casual", str(source), "--base-url", server.api_url, "-m", "llama3.2:3b", "-j", "2", "-q")
        sent = len(server.chat_requests)

    assert result.exit_code == 3
    assert {line["error"]["type"] for line in json_lines(result.stdout)} == {"spend_limit"}
    assert sent <= 2  # one per worker, none retried
    assert "insufficient_quota" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize("figure", ["1e308", "99999999h", "inf", "nan", "-5", "1e999"])
def test_odd_rate_limit_figures_are_ignored_or_clamped_never_fatal(cli: CliRunner, groq: GroqStub, figure: str) -> None:
    odd = {
        "x-ratelimit-limit-tokens": figure,
        "x-ratelimit-remaining-tokens": figure,
        "x-ratelimit-reset-tokens": figure,
        "x-ratelimit-limit-requests": figure,
        "x-ratelimit-remaining-requests": figure,
        "x-ratelimit-reset-requests": figure,
    }
    groq.enqueue(Reply(headers=odd), Reply(headers=odd))

    first = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")
    second = run(cli, "casual", "--genre", "Jazz", "-m", MODEL, "-q")

    assert (first.exit_code, second.exit_code) == (0, 0), first.stderr + second.stderr


@pytest.mark.parametrize("figure", ["1e308", "99999999h"])
def test_an_absurd_wait_stops_cleanly_with_a_reset_time(cli: CliRunner, groq: GroqStub, figure: str) -> None:
    groq.enqueue(refused(figure))

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")

    assert result.exit_code == 3
    line = one_line(result.stderr)
    assert "over --max-wait" in line and "it resets at" in line and "internal error" not in line


def test_a_refusal_is_waited_out_by_the_longer_of_header_and_message(cli: CliRunner, groq: GroqStub) -> None:
    groq.enqueue(refused("3600", "2s"))

    started = time.monotonic()
    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "--max-wait", "10", "-q")

    assert result.exit_code == 3 and time.monotonic() - started < 5  # an hour is past --max-wait: stopped, not waited 2 s
    assert len(groq.chat_requests) == 1


def test_the_message_wins_when_it_names_the_longer_wait(cli: CliRunner, groq: GroqStub) -> None:
    groq.enqueue(refused("0.05", "0.8s"))

    started = time.monotonic()
    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")

    assert result.exit_code == 0, result.stderr
    assert time.monotonic() - started >= 0.8 and len(groq.chat_requests) == 2


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[OpenAIStub]:
    with OpenAIStub() as running:
        yield running


@pytest.mark.parametrize("document", [{"object": "list", "data": None}, {"object": "list", "data": "all of them"}, "[\"llama3\"]", "not json"])
def test_a_model_list_that_is_no_list_is_one_line(cli: CliRunner, server: OpenAIStub, document: object) -> None:
    answer = server._answer

    def garbled(recorded, raw=b""):  # type: ignore[no-untyped-def]
        return Reply(body=document) if recorded.path.endswith("/models") else answer(recorded, raw)

    server._answer = garbled  # type: ignore[method-assign]

    result = run(cli, "casual", "--genre", "Rock", "--base-url", server.api_url, "-q")

    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "model list" in line and "internal error" not in line


def test_a_megabyte_error_page_is_quoted_short(cli: CliRunner, groq: GroqStub) -> None:
    page = "<html>" + "x" * 5_000_000 + "</html>"
    groq.enqueue(Reply(status=500, body={"error": {"message": page, "type": "internal_server_error"}}))

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "--max-retries", "0", "-q")

    assert result.exit_code == 1
    assert len(one_line(result.stderr)) < 1000


def test_a_megabyte_error_page_is_short_in_a_batch_line_too(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    groq.enqueue(Reply(status=500, body="<html>" + "y" * 5_000_000))
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(2))

    result = run(cli, "casual", str(source), "-m", MODEL, "--max-retries", "0", "-j", "1", "-q")

    lines = [json.dumps(line) for line in json_lines(result.stdout)]
    assert result.exit_code == 1 and max(len(line) for line in lines) < 1500
