"""The groq SDK as adp uses it for any chat-completions server (Groq, or an OpenAI-compatible
one): one completion, the served model list, and the SDK's errors turned into domain errors
that name the server.

Retries of 5xx, timeouts and lost connections are the SDK's (``max_retries``); refusals for a
rate limit (429, and flex's 498) become ``RateLimited`` for the run's scheduler, which knows
when the model's budget allows the next request.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adp_cli.errors import AdpError, ConfigError, GenerationError, ModelUnavailableError
from adp_cli.providers.openai_server import is_unknown_model, redact_url
from adp_cli.ratelimits import rate_limited_from

if TYPE_CHECKING:
    import groq
    import httpx

log = logging.getLogger("adp")

_MODEL_GONE = {"model_not_found", "model_decommissioned"}


@dataclass(frozen=True)
class Server:
    """How messages name the server a client talks to."""

    name: str  # "Groq" or "the server at localhost:11434/v1"
    key_hint: str  # where the key comes from, for a refused key
    errors: str  # how a failed request reads: "Groq API error", "server error"


@dataclass(frozen=True)
class Completion:
    """The parts of a chat completion adp uses; any separate reasoning field is ignored."""

    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int


def log_request(request: httpx.Request) -> None:
    """``-v`` shows every URL requested (the SDK's retries too), without credentials."""
    log.debug("%s %s", request.method, redact_url(str(request.url)))


def complete(
    client: groq.Groq,
    server: Server,
    model: str,
    messages: list[dict[str, str]],
    temperature: float,
    max_tokens: int,
    extra: dict[str, Any],
) -> Completion:
    """One chat completion; failures become domain errors. ``extra`` carries the optional
    request fields (service tier) that some servers take and others must not be sent."""
    import groq

    started = time.perf_counter()
    try:
        reply = client.chat.completions.create(
            model=model, messages=messages, temperature=temperature, max_tokens=max_tokens, **extra  # type: ignore[arg-type]
        )
    except groq.APIStatusError as error:
        raise translate(error, server, model) from None
    except groq.APITimeoutError:
        raise GenerationError(f"{server.name} did not answer within the timeout (model {model})") from None
    except groq.APIConnectionError as error:
        raise GenerationError(f"cannot reach {server.name} at {redact_url(str(client.base_url))}: {error.__cause__ or error}") from None
    latency_ms = round((time.perf_counter() - started) * 1000)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("raw reply from %s: %s", model, reply.model_dump_json())
    content = reply.choices[0].message.content if reply.choices else None
    usage = reply.usage
    return Completion(
        content=content or "",
        model=reply.model or model,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        latency_ms=latency_ms,
    )


def error_fields(error: groq.APIStatusError) -> tuple[str, str]:
    """The ``{"error": {"message", "code"}}`` body most servers send, tolerating other shapes."""
    body: Any = error.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if isinstance(body, dict):
        return str(body.get("code") or body.get("type") or ""), str(body.get("message") or error.message)
    return "", str(error.message)


def translate(error: groq.APIStatusError, server: Server, model: str) -> AdpError:
    """The SDK's status error as adp's: a rate-limit refusal, a model the server does not serve,
    a refused key (configuration), or a failed request naming the URL that was requested."""
    refused = rate_limited_from(error, model)
    if refused is not None:
        return refused
    code, message = error_fields(error)
    status = error.status_code
    if code in _MODEL_GONE or is_unknown_model(status, error.body) or (status == 404 and "model" in message.lower()):
        return ModelUnavailableError(f"model {model} is not available ({code or status}): {message}", model=model)
    if status in (401, 403):
        return ConfigError(f"{server.name} refused the API key ({status} {code or 'unauthorized'}): {server.key_hint}")
    label = f"{status} {code}".strip()
    return GenerationError(f"{server.errors} {label} at {redact_url(str(error.request.url))}: {message}")


def list_models(client: groq.Groq, server: Server) -> list[tuple[str, str]]:
    """The ``(id, owner)`` of every model the server serves now, sorted by id."""
    import groq

    try:
        served = client.models.list().data
    except groq.APIStatusError as error:
        raise translate(error, server, "(model list)") from None
    except groq.APIConnectionError as error:
        raise GenerationError(f"cannot reach {server.name} at {redact_url(str(client.base_url))}: {error.__cause__ or error}") from None
    return sorted((model.id, str(getattr(model, "owned_by", "") or "")) for model in served)
