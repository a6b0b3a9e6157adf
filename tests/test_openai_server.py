"""The groq SDK routed to an OpenAI-compatible server's own paths, against the loopback stub in
the ``/v1`` layout: chats, model lists, keys (or none), unknown models, relayed retry-after."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import groq
import pytest
from typer.testing import CliRunner

from adp_cli.errors import ConfigError
from adp_cli.transports.base import Connection
from adp_cli.transports.compatible import server_client
from adp_cli.transports.servers import api_key_from_env, is_unknown_model, looks_like_openai_root, redact_url, server_label
from tests.support.cli import run
from tests.support.groqstub import GroqStub, bad_request, model_not_found, server_error
from tests.support.openaistub import (
    FLAVOURS,
    OpenAIStub,
    litellm_cooldown,
    litellm_upstream_rate_limited,
)

MODEL = "llama3.2:3b"
MESSAGES = [{"role": "user", "content": "Describe a song"}]
# Above the SDK's first back-off (0.375-0.5 s), so only an honoured retry-after waits this long.
WAIT = 0.6


@pytest.fixture
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as running:
        yield running


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key variable adp reads, and a Groq key that must never reach a local server."""
    for name in ("ADP_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GROQ_API_KEY", "gsk_must_not_leak")


def ask(client: groq.Groq, model: str = MODEL) -> groq.types.chat.ChatCompletion:
    return client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=50)  # type: ignore[arg-type]


def make_client(url: str, api_key: str | None, timeout: float, max_retries: int, event_hooks: dict | None = None) -> groq.Groq:
    return server_client(url, api_key, Connection(timeout=timeout, max_retries=max_retries), event_hooks)


def client_for(stub: OpenAIStub, api_key: str | None = None, max_retries: int = 2, **hooks: list) -> groq.Groq:
    return make_client(stub.api_url, api_key, timeout=5.0, max_retries=max_retries, event_hooks=hooks or None)


# --- the routed client against the stub ---------------------------------------------------------


def test_chat_goes_to_the_servers_own_path_and_parses_openai_usage(stub: OpenAIStub, no_keys: None) -> None:
    completion = ask(client_for(stub))

    assert completion.choices[0].message.content == "A warm local phrase."
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens, completion.usage.total_tokens) == (10, 20, 30)
    assert completion.x_groq is None
    [request] = stub.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.body == {"model": MODEL, "messages": MESSAGES, "max_tokens": 50}


def test_model_list_is_the_servers_own(no_keys: None) -> None:
    with OpenAIStub(flavour="ollama", models=["gemma3:4b", "qwen3:8b"]) as stub:
        listed = client_for(stub).models.list()

    assert [model.id for model in listed.data] == ["gemma3:4b", "qwen3:8b"]
    assert [(r.method, r.path) for r in stub.requests] == [("GET", "/v1/models")]


def test_model_ids_with_slashes_stay_encoded_on_the_routed_path(no_keys: None) -> None:
    with OpenAIStub(flavour="vllm", models=["meta-llama/Llama-3.1-8B-Instruct"]) as stub:
        found = client_for(stub).models.retrieve("meta-llama/Llama-3.1-8B-Instruct")

    assert found.id == "meta-llama/Llama-3.1-8B-Instruct"
    assert stub.requests[0].path == "/v1/models/meta-llama%2FLlama-3.1-8B-Instruct"


@pytest.mark.parametrize("root", ["/v1", "/api/v1", ""])
def test_any_api_root_and_a_trailing_slash_route_the_same(root: str, no_keys: None) -> None:
    with OpenAIStub(root=root) as stub:
        completion = ask(make_client(stub.api_url + "/", None, timeout=5.0, max_retries=0))

    assert completion.model == MODEL
    assert stub.requests[0].path == root + "/chat/completions"


def test_without_a_key_no_authorization_header_is_sent(stub: OpenAIStub, no_keys: None) -> None:
    ask(client_for(stub, api_key=api_key_from_env()))
    client_for(stub, api_key="  ").models.list()

    assert [r.headers.get("authorization") for r in stub.requests] == [None, None]


def test_a_key_from_the_environment_is_sent_stripped(
    stub: OpenAIStub, no_keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "  sk-openai-var\n")
    ask(client_for(stub, api_key=api_key_from_env()))
    monkeypatch.setenv("ADP_API_KEY", "sk-adp-var")
    ask(client_for(stub, api_key=api_key_from_env()))

    assert [r.headers["authorization"] for r in stub.requests] == ["Bearer sk-openai-var", "Bearer sk-adp-var"]


def test_blank_key_variables_count_as_unset(no_keys: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_API_KEY", "   ")
    assert api_key_from_env() is None
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")
    assert api_key_from_env() == "sk-real"


def test_a_server_that_requires_a_key_refuses_a_keyless_client(no_keys: None) -> None:
    with OpenAIStub(flavour="vllm", require_key=True) as stub:
        with pytest.raises(groq.AuthenticationError) as caught:
            ask(client_for(stub))
        assert ask(client_for(stub, api_key="token-abc123")).model == MODEL

    assert caught.value.body == {"error": "Unauthorized"}
    assert stub.requests[-1].headers["authorization"] == "Bearer token-abc123"


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_each_servers_unknown_model_answer_is_detected_and_not_retried(flavour: str, no_keys: None) -> None:
    with OpenAIStub(flavour=flavour) as stub:
        with pytest.raises(groq.APIStatusError) as caught:
            ask(client_for(stub), "llama-3.1-8b-instant")

    assert caught.value.status_code in (400, 404)
    assert is_unknown_model(caught.value.status_code, caught.value.body)
    assert len(stub.chat_requests) == 1


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_each_servers_unknown_model_lookup_is_detected(flavour: str, no_keys: None) -> None:
    with OpenAIStub(flavour=flavour) as stub:
        with pytest.raises(groq.APIStatusError) as caught:
            client_for(stub).models.retrieve("no-such-model")

    assert is_unknown_model(caught.value.status_code, caught.value.body)


def test_other_bad_requests_from_a_known_model_are_not_unknown_model(stub: OpenAIStub, no_keys: None) -> None:
    stub.enqueue(bad_request("max_tokens must be at least 1, got -1."))

    with pytest.raises(groq.BadRequestError) as caught:
        ask(client_for(stub))

    assert not is_unknown_model(caught.value.status_code, caught.value.body)


def test_the_unrouted_sdk_misses_the_server_which_is_no_unknown_model(stub: OpenAIStub) -> None:
    """What issue 10 saw: the plain SDK asks for /v1/openai/v1/... and gets a route 404."""
    with pytest.raises(groq.NotFoundError) as caught:
        ask(groq.Groq(api_key="unused", base_url=stub.api_url, max_retries=0))

    assert stub.requests[0].path == "/v1/openai/v1/chat/completions"
    assert caught.value.body == {"detail": "Not Found"}
    assert not is_unknown_model(404, caught.value.body)


def test_litellm_cooldown_retry_after_is_waited_out_by_the_run(cli: CliRunner, stub: OpenAIStub, no_keys: None) -> None:
    """The SDK leaves a 429 to adp's scheduler, which waits the proxy's ``retry-after``."""
    stub.enqueue(litellm_cooldown(WAIT, MODEL))

    started = time.perf_counter()
    result = run(cli, "casual", "--genre", "Rock", "--base-url", stub.api_url, "-m", MODEL, "-q")

    assert result.exit_code == 0, result.stderr
    assert time.perf_counter() - started >= WAIT
    assert len(stub.chat_requests) == 2


def test_an_upstream_rate_limit_relayed_by_litellm_is_waited_out_by_the_run(cli: CliRunner, stub: OpenAIStub, no_keys: None) -> None:
    stub.enqueue(litellm_upstream_rate_limited(WAIT, MODEL))

    started = time.perf_counter()
    result = run(cli, "casual", "--genre", "Rock", "--base-url", stub.api_url, "-m", MODEL, "-q")

    assert result.exit_code == 0, result.stderr
    assert time.perf_counter() - started >= WAIT
    assert len(stub.chat_requests) == 2


def test_a_relayed_retry_after_on_a_5xx_is_honoured_by_the_sdk_and_seen_by_later_hooks(stub: OpenAIStub, no_keys: None) -> None:
    seen: list[str | None] = []
    relayed = litellm_upstream_rate_limited(WAIT, MODEL)
    relayed.status = 503
    stub.enqueue(relayed)

    started = time.perf_counter()
    ask(client_for(stub, response=[lambda response: seen.append(response.headers.get("retry-after"))]))

    assert time.perf_counter() - started >= WAIT
    assert seen == [f"{WAIT:g}", None]
    assert len(stub.chat_requests) == 2


def test_litellms_own_retry_after_wins_over_a_relayed_one(stub: OpenAIStub, no_keys: None) -> None:
    seen: list[str | None] = []
    reply = litellm_cooldown(WAIT, MODEL)
    reply.headers["llm_provider-retry-after"] = "30"
    stub.enqueue(reply)

    with pytest.raises(groq.RateLimitError):
        ask(client_for(stub, max_retries=0, response=[lambda response: seen.append(response.headers["retry-after"])]))

    assert seen == [f"{WAIT:g}"]


def test_caller_hooks_see_the_url_actually_requested(stub: OpenAIStub, no_keys: None) -> None:
    urls: list[str] = []
    ask(client_for(stub, request=[lambda request: urls.append(str(request.url))]))

    assert urls == [stub.api_url + "/chat/completions"]


def test_groq_stub_layout_is_unchanged_for_the_groq_sdk() -> None:
    with GroqStub() as stub:
        completion = ask(groq.Groq(api_key="gsk_test", base_url=stub.base_url, max_retries=0), "openai/gpt-oss-20b")

    assert completion.x_groq is not None
    assert stub.chat_requests[0].path == "/openai/v1/chat/completions"


# --- unknown-model shapes not played by the stub ------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        # vLLM before 0.10: the same fields, flat.
        (404, {"object": "error", "message": "The model `x` does not exist.", "type": "NotFoundError", "param": None, "code": 404}),
        # Ollama before its not_found_error type (2024).
        (404, {"error": {"message": 'model "llama3" not found, try pulling it first', "type": "api_error", "param": None, "code": None}}),
        # LM Studio 0.3.5.
        (
            404,
            {
                "error": {
                    "message": 'Model "local model" not found. Please specify a valid model.',
                    "type": "invalid_request_error",
                    "param": "model",
                    "code": "model_not_found",
                }
            },
        ),
        # Groq itself, through the stub's helper.
        (404, model_not_found("gone").body),
    ],
)
def test_older_unknown_model_shapes_are_detected(status: int, body: object) -> None:
    assert is_unknown_model(status, body)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            400,
            {
                "error": {
                    "message": "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.",
                    "type": "BadRequestError",
                    "param": None,
                    "code": 400,
                }
            },
        ),
        (400, {"error": {"message": 'Failed to load model "gpt-oss-20b". Error: Error loading model.', "type": "invalid_request_error"}}),
        (400, {"error": "No models loaded. Please load a model in the developer page or use the 'lms load' command."}),
        (400, {"error": {"message": "model is required", "type": "invalid_request_error", "param": None, "code": None}}),
        (404, {"detail": "Not Found"}),
        (404, "404 page not found"),
        (429, {"error": {"message": "model 'x' not found", "code": "model_not_found"}}),
        (500, server_error().body),
        (400, None),
    ],
)
def test_other_errors_are_not_unknown_model(status: int, body: object) -> None:
    assert not is_unknown_model(status, body)


# --- labels, redaction, provider selection ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("http://localhost:11434/v1", "localhost:11434/v1"),
        ("http://localhost:1234/v1/", "localhost:1234/v1"),
        ("https://user:s3cret@llm.example.org/api/v1?key=abc#frag", "llm.example.org/api/v1"),
        ("http://[::1]:8000/v1", "[::1]:8000/v1"),
        ("http://127.0.0.1:8080", "127.0.0.1:8080"),
    ],
)
def test_server_label_is_host_port_and_path_without_secrets(url: str, label: str) -> None:
    assert server_label(url) == label


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("http://user:pa%40ss@localhost:4000/v1/chat/completions", "http://localhost:4000/v1/chat/completions"),
        ("http://token@localhost:4000/v1", "http://localhost:4000/v1"),
        ("http://localhost:1234/v1/models/qwen3-14b@q6_k", "http://localhost:1234/v1/models/qwen3-14b@q6_k"),
        ("http://localhost:11434/v1", "http://localhost:11434/v1"),
    ],
)
def test_redact_url_drops_userinfo_only(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


@pytest.mark.parametrize(
    ("url", "openai"),
    [
        ("http://localhost:11434/v1", True),
        ("http://localhost:1234/v1/", True),
        ("http://gpu-box.lan:8000/v1", True),
        ("http://127.0.0.1:4000/v1", True),
        ("https://api.groq.com/openai/v1", False),
        ("https://API.GROQ.COM/openai/v1/", False),
        ("https://api.groq.com", False),
        ("http://127.0.0.1:4000", False),
        ("http://localhost:11434/v1/chat", False),
        ("http://localhost:11434/v10", False),
        ("not a url", False),
    ],
)
def test_a_v1_root_off_groq_selects_the_openai_provider(url: str, openai: bool) -> None:
    assert looks_like_openai_root(url) is openai


@pytest.mark.parametrize("url", ["localhost:11434/v1", "ftp://host/v1", "http:///v1"])
def test_make_client_refuses_urls_it_cannot_reach(url: str) -> None:
    with pytest.raises(ConfigError):
        make_client(url, None, timeout=1.0, max_retries=0)


def test_a_refused_url_is_reported_without_its_password() -> None:
    with pytest.raises(ConfigError) as caught:
        make_client("ftp://me:hunter2@host/v1", None, timeout=1.0, max_retries=0)

    assert "hunter2" not in str(caught.value)


def test_importing_the_module_loads_neither_groq_nor_httpx() -> None:
    code = "import sys, adp_cli.transports.servers; print(sorted({'groq', 'httpx'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"


def test_the_clients_base_url_is_the_server_root_for_error_messages() -> None:
    client = make_client(" http://localhost:11434/v1/ ", None, timeout=1.0, max_retries=0)

    assert str(client.base_url) == "http://localhost:11434/v1/"
