"""The stub must speak Groq to the real ``groq`` SDK over HTTP, or every test built on it lies."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import groq
import httpx
import pytest
from groq import Groq

from tests.support.groqstub import (
    GroqStub,
    Reply,
    bad_request,
    chat_body,
    decommissioned,
    invalid_api_key,
    model_not_found,
    overloaded,
    rate_limited,
    server_error,
)

MODEL = "allam-2-7b"  # served today and does not reason: a reply's usage is the stub's 120 + 12 tokens
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "A phrase, please."}]


@pytest.fixture
def stub() -> Iterator[GroqStub]:
    with GroqStub() as running:
        yield running


def client_for(stub: GroqStub, max_retries: int = 2) -> Groq:
    return Groq(api_key="gsk_test", base_url=stub.base_url, max_retries=max_retries)


def ask(client: Groq, model: str = MODEL) -> groq.types.chat.ChatCompletion:
    return client.chat.completions.create(model=model, messages=MESSAGES)  # type: ignore[arg-type]


def fast_retry(reply: Reply) -> Reply:
    """A 5xx with a tiny ``retry-after-ms``, so the SDK skips its 0.5 s+ exponential backoff."""
    return replace(reply, headers={**reply.headers, "retry-after-ms": "10"})


def test_success_parses_with_groq_fields_and_records_the_exact_body(stub: GroqStub) -> None:
    completion = client_for(stub).chat.completions.create(
        model=MODEL, messages=MESSAGES, temperature=0.7, max_tokens=50  # type: ignore[arg-type]
    )

    assert completion.choices[0].message.content == "A warm test phrase."
    assert completion.model == MODEL
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (120, 12)
    assert completion.usage.total_tokens == 132
    assert completion.x_groq is not None and completion.x_groq.id.startswith("req_")
    [recorded] = stub.chat_requests
    assert recorded.body == {"model": MODEL, "messages": MESSAGES, "temperature": 0.7, "max_tokens": 50}
    assert recorded.headers["authorization"] == "Bearer gsk_test"


def test_content_callable_sees_the_request_and_reasoning_is_exposed(stub: GroqStub) -> None:
    stub.content = lambda request: f"echo {request['model']}"
    assert ask(client_for(stub), "openai/gpt-oss-120b").choices[0].message.content == "echo openai/gpt-oss-120b"

    stub.enqueue(Reply(body=chat_body("answer", MODEL, 10, 2, reasoning="thinking")))
    message = ask(client_for(stub)).choices[0].message
    assert (message.content, message.reasoning) == ("answer", "thinking")


def test_every_response_carries_groq_rate_limit_headers(stub: GroqStub) -> None:
    raw = client_for(stub).chat.completions.with_raw_response.create(
        model=MODEL, messages=MESSAGES  # type: ignore[arg-type]
    )

    for name in (
        "x-request-id",
        "x-ratelimit-limit-requests",
        "x-ratelimit-remaining-requests",
        "x-ratelimit-reset-requests",
        "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-reset-tokens",
    ):
        assert raw.headers[name]
    assert raw.parse().usage is not None


def test_429_with_retry_after_is_retried_by_the_sdk(stub: GroqStub) -> None:
    stub.enqueue(rate_limited(retry_after=0.05))

    started = time.perf_counter()
    completion = ask(client_for(stub))

    assert completion.choices[0].message.content == "A warm test phrase."
    assert len(stub.chat_requests) == 2
    assert time.perf_counter() - started >= 0.05
    assert [r.headers["x-stainless-retry-count"] for r in stub.chat_requests] == ["0", "1"]


def test_429_that_outlasts_retries_surfaces_as_rate_limit_error(stub: GroqStub) -> None:
    stub.fail_first(5, lambda: rate_limited(retry_after=0.01))

    with pytest.raises(groq.RateLimitError) as caught:
        ask(client_for(stub, max_retries=1))

    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "0.01"
    assert caught.value.response.headers["x-ratelimit-remaining-tokens"] == "0"
    assert caught.value.body["error"]["code"] == "rate_limit_exceeded"  # type: ignore[index]
    assert len(stub.chat_requests) == 2


def test_404_model_not_found_keeps_the_whole_error_envelope_on_body(stub: GroqStub) -> None:
    stub.enqueue(model_not_found("gone-model"))

    with pytest.raises(groq.NotFoundError) as caught:
        ask(client_for(stub), "gone-model")

    assert caught.value.status_code == 404
    # Unlike the openai SDK, groq does not unwrap "error": body is the full JSON document.
    assert caught.value.body["error"]["code"] == "model_not_found"  # type: ignore[index]
    assert "`gone-model` does not exist" in caught.value.message
    assert len(stub.chat_requests) == 1


def test_responder_rule_decommissions_one_model_only(stub: GroqStub) -> None:
    stub.responder = lambda body: decommissioned(body["model"]) if body["model"] == "openai/gpt-oss-20b" else None
    client = client_for(stub)

    with pytest.raises(groq.BadRequestError) as caught:
        ask(client, "openai/gpt-oss-20b")

    assert caught.value.body["error"]["code"] == "model_decommissioned"  # type: ignore[index]
    assert ask(client).model == MODEL


def test_bad_request_is_not_retried(stub: GroqStub) -> None:
    stub.enqueue(bad_request("messages: must not be empty"))

    with pytest.raises(groq.BadRequestError) as caught:
        ask(client_for(stub))

    assert caught.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert len(stub.chat_requests) == 1


def test_401_invalid_key_and_missing_authorization(stub: GroqStub) -> None:
    stub.enqueue(invalid_api_key())
    with pytest.raises(groq.AuthenticationError) as caught:
        ask(client_for(stub))
    assert caught.value.body["error"]["code"] == "invalid_api_key"  # type: ignore[index]

    for path in ("/openai/v1/chat/completions", "/openai/v1/models"):
        response = httpx.request("POST" if "chat" in path else "GET", stub.base_url + path, json={})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"


def test_500_twice_then_success_takes_three_requests(stub: GroqStub) -> None:
    stub.fail_first(2, lambda: fast_retry(server_error()))

    completion = ask(client_for(stub, max_retries=2))

    assert completion.choices[0].message.content == "A warm test phrase."
    assert len(stub.chat_requests) == 3


def test_503_overloaded_surfaces_as_internal_server_error(stub: GroqStub) -> None:
    stub.enqueue(fast_retry(overloaded()))

    with pytest.raises(groq.InternalServerError) as caught:
        ask(client_for(stub, max_retries=0))

    assert caught.value.status_code == 503
    assert caught.value.body["error"]["code"] == "service_unavailable"  # type: ignore[index]


def test_models_list_and_retrieve() -> None:
    with GroqStub(live_models=["llama-3.1-8b-instant", "qwen/qwen3.8-27b"]) as stub:
        client = client_for(stub)

        assert [m.id for m in client.models.list().data] == ["llama-3.1-8b-instant", "qwen/qwen3.8-27b"]
        assert client.models.retrieve("qwen/qwen3.8-27b").owned_by == "Alibaba Cloud"
        with pytest.raises(groq.NotFoundError):
            client.models.retrieve("gemma2-9b-it")


def test_default_live_models_include_new_ids(stub: GroqStub) -> None:
    ids = {m.id for m in client_for(stub).models.list().data}

    assert {"openai/gpt-oss-120b", "qwen/qwen3.6-27b", "qwen/qwen3.8-27b"} <= ids
    assert "gemma2-9b-it" not in ids and "llama-3.3-70b-versatile" not in ids  # retired


def test_unknown_url_is_404(stub: GroqStub) -> None:
    response = httpx.get(stub.base_url + "/openai/v1/nope", headers={"Authorization": "Bearer gsk_test"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_url"


def test_latency_is_applied_per_reply_and_by_default(stub: GroqStub) -> None:
    client = client_for(stub)
    stub.latency = 0.2
    started = time.perf_counter()
    ask(client)
    assert time.perf_counter() - started >= 0.2

    stub.latency = 0.0
    stub.enqueue(Reply(latency=0.1))
    started = time.perf_counter()
    ask(client)
    assert time.perf_counter() - started >= 0.1


def test_latency_sleeps_run_concurrently() -> None:
    """16 in flight at 0.2 s must take about 0.2 s, not 3.2 s: no lock is held while sleeping."""
    with GroqStub(latency=0.2) as stub:
        client = Groq(api_key="gsk_test", base_url=stub.base_url, max_retries=0)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda _: ask(client), range(16)))
        elapsed = time.perf_counter() - started

    assert len(results) == 16 and len(stub.chat_requests) == 16
    assert elapsed < 1.5


def test_a_request_torn_by_a_killed_client_is_ignored(stub: GroqStub) -> None:
    """A client killed mid-body (kill -9 during a batch) sent no request: nothing is recorded or
    answered, no callback sees a half request, and the stub goes on serving."""
    seen: list[dict] = []
    stub.content = lambda request: seen.append(request) or "A phrase."
    head = (
        "POST /openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer gsk_test\r\n"
        "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", int(stub.base_url.rsplit(":", 1)[1])), timeout=5) as raw:
        raw.sendall(head.encode() + b'{"model": "allam-2-7b", "messa')
        raw.shutdown(socket.SHUT_WR)
        assert raw.recv(65536) == b""

    assert stub.chat_requests == [] and seen == []
    assert ask(client_for(stub)).choices[0].message.content == "A phrase."


@pytest.mark.parametrize(
    "raw,message",
    [
        (b"{not json", "could not be parsed as JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"model": "allam-2-7b"}', "'messages' : property 'messages' is missing"),
        (b'{"messages": [{"role": "user", "content": "x"}]}', "'model' : property 'model' is missing"),
    ],
)
def test_a_chat_body_groq_cannot_use_is_a_400(stub: GroqStub, raw: bytes, message: str) -> None:
    """Groq answers a body it cannot use with a 400; the scripted content never sees it."""
    seen: list[dict] = []
    stub.content = lambda request: seen.append(request) or "A phrase."

    response = httpx.post(
        stub.base_url + "/openai/v1/chat/completions",
        content=raw,
        headers={"authorization": "Bearer gsk_test", "content-type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert message in response.json()["error"]["message"]
    assert seen == []
