"""``GroqStub(today=True)`` must be today's Groq (December 2026) to the real ``groq`` SDK: today's
catalogue and prices, retired models gone, reasoning paid out of ``max_tokens``, cached prompt
tokens, the spend-limit block; and the OpenAI-compatible stub's quota that never comes back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, Literal

import groq
import pytest
from groq import Groq
from groq.types.chat import ChatCompletion

from tests.support.batchapi import BatchAPI, ManualClock, Timings
from tests.support.groqstub import GroqStub, rate_limited
from tests.support.groqtoday import (
    REASONING_TEXT,
    RETIRED,
    TODAY_LIVE_MODELS,
    per_million,
)
from tests.support.openaistub import OpenAIStub

GPT_OSS_20B = "openai/gpt-oss-20b"
QWEN36 = "qwen/qwen3.6-27b"
ANSWER = "A warm test phrase."
SYSTEM = "You estimate the tempo of a song and answer with one integer between 40 and 220. " * 4
ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"


@pytest.fixture
def stub() -> Iterator[GroqStub]:
    with GroqStub(today=True) as running:
        yield running


@pytest.fixture
def client(stub: GroqStub) -> Groq:
    return Groq(api_key="gsk_test", base_url=stub.base_url, max_retries=0)


def messages(song: str = "Song A", system: str = SYSTEM) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": f"Track: {song}"}]


def ask(
    client: Groq, model: str = GPT_OSS_20B, song: str = "Song A", system: str = SYSTEM, **options: Any
) -> ChatCompletion:
    return client.chat.completions.create(model=model, messages=messages(song, system), **options)  # type: ignore[arg-type]


def error_of(raised: pytest.ExceptionInfo[groq.APIStatusError]) -> dict:
    return raised.value.response.json()["error"]


def not_found(model: str) -> dict:
    return {
        "message": f"The model `{model}` does not exist or you do not have access to it.",
        "type": "invalid_request_error",
        "code": "model_not_found",
    }


def usage_of(completion: ChatCompletion) -> tuple[int, int, int, int]:
    """(prompt, cached, completion, reasoning) tokens, from the fields clients parse."""
    usage = completion.usage
    assert usage is not None and usage.prompt_tokens_details is not None
    assert usage.completion_tokens_details is not None
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    cached = usage.prompt_tokens_details.cached_tokens
    return usage.prompt_tokens, cached, usage.completion_tokens, usage.completion_tokens_details.reasoning_tokens


# The catalogue


def test_model_list_is_todays_catalogue_with_per_token_prices(client: Groq) -> None:
    listed = {model.id: model.model_dump() for model in client.models.list().data}

    assert list(listed) == TODAY_LIVE_MODELS
    assert listed["openai/gpt-oss-120b"]["pricing"] == {
        "prompt": "0.00000015",
        "completion": "0.0000006",
        "input_cache_read": "0.000000075",
    }
    assert listed[GPT_OSS_20B]["pricing"] == {
        "prompt": "0.000000075",
        "completion": "0.0000003",
        "input_cache_read": "0.0000000375",
    }
    qwen = listed[QWEN36]
    assert qwen["pricing"] == {"prompt": "0.0000006", "completion": "0.000003", "input_cache_read": "0.0000003"}
    assert (qwen["context_length"], qwen["max_output_length"], qwen["max_completion_tokens"]) == (131072, 16384, 16384)
    allam = listed["allam-2-7b"]
    assert "pricing" not in allam
    assert (allam["context_window"], allam["context_length"], allam["max_output_length"]) == (4096, 4096, 4096)
    assert "pricing" not in listed["groq/compound"] and "pricing" not in listed["groq/compound-mini"]
    assert not set(RETIRED) & set(listed)


def test_a_test_can_reprice_a_model_or_make_it_unbilled(stub: GroqStub, client: Groq) -> None:
    assert stub.today is not None
    stub.today.pricing[GPT_OSS_20B] = per_million("0.10", "0.50", "0.05")
    stub.today.pricing[QWEN36] = None

    assert client.models.retrieve(GPT_OSS_20B).model_dump()["pricing"] == {
        "prompt": "0.0000001",
        "completion": "0.0000005",
        "input_cache_read": "0.00000005",
    }
    assert "pricing" not in client.models.retrieve(QWEN36).model_dump()


@pytest.mark.parametrize("model", sorted(RETIRED))
def test_a_retired_model_is_not_found_by_chat_or_retrieve(client: Groq, model: str) -> None:
    with pytest.raises(groq.NotFoundError) as chat:
        ask(client, model)
    with pytest.raises(groq.NotFoundError) as lookup:
        client.models.retrieve(model)

    assert error_of(chat) == not_found(model)
    assert error_of(lookup) == not_found(model)


def test_the_guides_stub_is_unchanged_without_today() -> None:
    with GroqStub(today=False) as guide:  # the guide's Groq, which today's mode replaced as the default
        plain = Groq(api_key="gsk_test", base_url=guide.base_url, max_retries=0)
        entry = plain.models.retrieve("llama-3.1-8b-instant").model_dump()
        completion = ask(plain, "llama-3.1-8b-instant")

    assert "pricing" not in entry and "context_length" not in entry
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens_details, completion.usage.completion_tokens_details) == (None, None)


# Reasoning


@pytest.mark.parametrize(
    ("model", "effort", "message"),
    [
        (GPT_OSS_20B, "none", "`reasoning_effort` must be one of `low`, `medium`, or `high`"),
        ("openai/gpt-oss-120b", "default", "`reasoning_effort` must be one of `low`, `medium`, or `high`"),
        (QWEN36, "low", "`reasoning_effort` must be one of `none` or `default`"),
        ("allam-2-7b", "low", "`reasoning_effort` is not supported with this model"),
        (
            GPT_OSS_20B,
            "minimal",
            "'reasoning_effort' : value is not one of the allowed values ['none', 'default', 'low', 'medium', 'high']",
        ),
    ],
)
def test_an_effort_the_model_does_not_take_is_a_400_naming_the_parameter(
    stub: GroqStub, client: Groq, model: str, effort: str, message: str
) -> None:
    with pytest.raises(groq.BadRequestError) as raised:
        ask(client, model, reasoning_effort=effort)

    assert error_of(raised) == {"message": message, "type": "invalid_request_error"}
    assert len(stub.chat_requests) == 1


def test_a_bpm_sized_budget_is_all_spent_on_reasoning(client: Groq) -> None:
    completion = ask(client, max_tokens=10, reasoning_effort="low", include_reasoning=False)

    choice = completion.choices[0]
    assert (choice.message.content, choice.finish_reason, choice.message.reasoning) == ("", "length", None)
    assert usage_of(completion) == (120, 0, 10, 10)


@pytest.mark.parametrize(("effort", "reasoning"), [("low", 40), ("medium", 300), ("high", 1500), (None, 300)])
def test_a_budget_that_fits_pays_reasoning_then_the_answer(client: Groq, effort: str | None, reasoning: int) -> None:
    options = {} if effort is None else {"reasoning_effort": effort}
    completion = ask(client, max_tokens=2000, **options)

    choice = completion.choices[0]
    assert (choice.message.content, choice.finish_reason, choice.message.reasoning) == (ANSWER, "stop", REASONING_TEXT)
    assert usage_of(completion)[2:] == (reasoning + 12, reasoning)


def test_the_bpm_request_with_room_answers_after_forty_reasoning_tokens(client: Groq) -> None:
    completion = ask(client, max_tokens=1034, reasoning_effort="low", include_reasoning=False)

    assert (completion.choices[0].message.content, completion.choices[0].finish_reason) == (ANSWER, "stop")
    assert usage_of(completion)[2:] == (40 + 12, 40)


def test_reasoning_figures_are_the_tests_to_set(stub: GroqStub, client: Groq) -> None:
    assert stub.today is not None
    stub.today.reasoning_tokens["low"] = 5
    stub.completion_tokens = 3

    assert usage_of(ask(client, max_tokens=10, reasoning_effort="low"))[2:] == (8, 5)
    assert usage_of(ask(client, max_completion_tokens=7, reasoning_effort="low"))[2:] == (7, 5)


@pytest.mark.parametrize(
    ("options", "content", "reasoning", "tokens"),
    [
        ({"reasoning_effort": "none"}, ANSWER, None, (12, 0)),
        ({}, f"<think>\n{REASONING_TEXT}\n</think>\n\n{ANSWER}", None, (612, 600)),
        ({"reasoning_effort": "default", "reasoning_format": "parsed"}, ANSWER, REASONING_TEXT, (612, 600)),
        ({"reasoning_format": "hidden"}, ANSWER, None, (612, 600)),
        ({"max_tokens": 200}, f"<think>\n{REASONING_TEXT}", None, (200, 200)),
    ],
)
def test_qwen36_reasons_by_default_into_a_think_block(
    client: Groq, options: dict[str, Any], content: str, reasoning: str | None, tokens: tuple[int, int]
) -> None:
    completion = ask(client, QWEN36, **options)

    message = completion.choices[0].message
    assert (message.content, message.reasoning) == (content, reasoning)
    assert usage_of(completion)[2:] == tokens


def test_a_non_reasoning_model_spends_no_reasoning_tokens(client: Groq) -> None:
    completion = ask(client, "allam-2-7b", max_tokens=100)

    assert (completion.choices[0].message.content, completion.choices[0].message.reasoning) == (ANSWER, None)
    assert usage_of(completion) == (120, 0, 12, 0)


def test_a_budget_above_the_models_output_limit_is_refused(client: Groq) -> None:
    with pytest.raises(groq.BadRequestError) as raised:
        ask(client, QWEN36, max_tokens=16385)

    assert error_of(raised)["message"] == (
        "`max_tokens` must be less than or equal to `16384`, the maximum value for `max_tokens` "
        "is less than the `context_window` for this model"
    )


# Prompt caching


def test_a_repeated_prefix_is_cached_in_blocks_of_64(stub: GroqStub, client: Groq) -> None:
    stub.prompt_tokens = 1000

    first = ask(client, song="Song A")
    second = ask(client, song="Song B")
    other_model = ask(client, "openai/gpt-oss-120b", song="Song C")
    with_other_system = ask(client, song="Song D", system="Describe the mood in one word. " * 12)

    assert [usage_of(c)[:2] for c in (first, second, other_model, with_other_system)] == [
        (1000, 0),
        (1000, 960),
        (1000, 0),
        (1000, 0),
    ]


def test_the_cache_rule_and_an_exact_count_are_the_tests_to_set(stub: GroqStub, client: Groq) -> None:
    assert stub.today is not None
    stub.prompt_tokens = 1000
    stub.today.cache_share = 0.5
    ask(client, song="Song A")
    assert usage_of(ask(client, song="Song B"))[:2] == (1000, 448)

    stub.today.cached_tokens = 100
    assert usage_of(ask(client, song="A song never sent", system="New."))[:2] == (1000, 100)
    stub.today.cached_tokens = 5000
    assert usage_of(ask(client, song="Song E"))[:2] == (1000, 1000)


# Blocks that never clear


BLOCKED_CALLS: dict[str, Callable[[Groq], object]] = {
    "chat": ask,
    "chat to a retired model": lambda client: ask(client, "llama-3.3-70b-versatile"),
    "models list": lambda client: client.models.list(),
    "model retrieve": lambda client: client.models.retrieve(GPT_OSS_20B),
    "files list": lambda client: client.files.list(),
    "file upload": lambda client: client.files.create(file=("in.jsonl", b"{}\n"), purpose="batch"),
    "batch create": lambda client: client.batches.create(
        input_file_id="file_x", endpoint=ENDPOINT, completion_window="24h"
    ),
    "batches list": lambda client: client.batches.list(),
}


@pytest.mark.parametrize("call", BLOCKED_CALLS.values(), ids=BLOCKED_CALLS.keys())
def test_a_reached_spend_limit_blocks_every_endpoint(
    stub: GroqStub, client: Groq, call: Callable[[Groq], object]
) -> None:
    BatchAPI(stub)
    assert ask(client).choices[0].message.content == ANSWER

    stub.reach_spend_limit()
    with pytest.raises(groq.BadRequestError) as raised:
        call(client)

    assert error_of(raised) == {
        "message": (
            "Your organization has reached its spend limit, so API access is blocked until the limit "
            "resets on the 1st of the month. To continue, raise the limit in Settings > Billing > Limits: "
            "https://console.groq.com/settings/billing"
        ),
        "type": "invalid_request_error",
        "code": "blocked_api_access",
    }


def test_an_openai_compatible_server_out_of_quota_answers_429_for_good() -> None:
    server = OpenAIStub(root="/openai/v1", models=["gpt-4o-mini"])
    with server:
        patient = Groq(api_key="sk-test", base_url=server.base_url, max_retries=2)
        assert patient.chat.completions.create(model="gpt-4o-mini", messages=messages()).choices  # type: ignore[arg-type]

        server.exhaust_quota()
        with pytest.raises(groq.RateLimitError) as raised:
            patient.chat.completions.create(model="gpt-4o-mini", messages=messages())  # type: ignore[arg-type]
        with pytest.raises(groq.RateLimitError):
            patient.models.list()

    assert error_of(raised) == {
        "message": (
            "You exceeded your current quota, please check your plan and billing details. For more information "
            "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
        ),
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
    assert "retry-after" not in raised.value.response.headers
    assert len(server.chat_requests) == 1 + 3  # the success, then three attempts that all failed


def test_rate_limit_headers_and_429s_are_as_before(stub: GroqStub, client: Groq) -> None:
    stub.enqueue(rate_limited(retry_after=0.05, model=GPT_OSS_20B))
    with pytest.raises(groq.RateLimitError) as raised:
        ask(client)
    answered = client.chat.completions.with_raw_response.create(model=GPT_OSS_20B, messages=messages())  # type: ignore[arg-type]

    assert raised.value.response.headers["retry-after"] == "0.05"
    assert error_of(raised)["code"] == "rate_limit_exceeded"
    assert answered.headers["x-ratelimit-limit-requests"] == "14400"
    assert answered.headers["x-ratelimit-remaining-tokens"] == "5868"


# The Batch API


def batch_line(number: int, model: str = GPT_OSS_20B) -> dict:
    body = {"model": model, "messages": messages(f"Song {number}"), "max_tokens": 10, "reasoning_effort": "low"}
    return {"custom_id": f"{number}:trk", "method": "POST", "url": ENDPOINT, "body": body}


def test_batch_results_carry_todays_usage_and_retired_lines_fail_alone(stub: GroqStub, client: Groq) -> None:
    clock = ManualClock()
    BatchAPI(stub, timings=Timings(validating=1, in_progress=1, finalizing=1), shuffle=False, clock=clock)
    stub.prompt_tokens = 1000
    lines = [batch_line(0), batch_line(1), batch_line(2, "llama-3.1-8b-instant"), batch_line(3)]
    lines[3]["body"]["max_tokens"] = 1034
    upload = client.files.create(file=("in.jsonl", "".join(json.dumps(x) + "\n" for x in lines).encode()), purpose="batch")
    assert upload.id is not None
    batch = client.batches.create(input_file_id=upload.id, endpoint=ENDPOINT, completion_window="24h")
    clock.advance(5)
    done = client.batches.retrieve(batch.id)
    assert done.output_file_id is not None and done.error_file_id is not None
    downloads = [client.files.content(done.output_file_id).text() for _ in range(2)]
    outputs = [json.loads(line) for line in downloads[0].splitlines()]
    [failed] = [json.loads(line) for line in client.files.content(done.error_file_id).text().splitlines()]

    assert done.request_counts is not None and (done.request_counts.completed, done.request_counts.failed) == (3, 1)
    assert downloads[0] == downloads[1]
    bodies = {line["custom_id"]: line["response"]["body"] for line in outputs}
    assert {custom_id: body["usage"]["prompt_tokens_details"] for custom_id, body in bodies.items()} == {
        "0:trk": {"cached_tokens": 0},
        "1:trk": {"cached_tokens": 960},
        "3:trk": {"cached_tokens": 960},
    }
    assert [(b["usage"]["completion_tokens"], b["usage"]["completion_tokens_details"]) for b in bodies.values()] == [
        (10, {"reasoning_tokens": 10}),
        (10, {"reasoning_tokens": 10}),
        (52, {"reasoning_tokens": 40}),
    ]
    assert [b["choices"][0]["finish_reason"] for b in bodies.values()] == ["length", "length", "stop"]
    assert (failed["custom_id"], failed["response"]["status_code"]) == ("2:trk", 404)
    assert failed["response"]["body"] == {"error": not_found("llama-3.1-8b-instant")}
