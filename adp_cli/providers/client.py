"""The groq SDK as adp uses it for any chat-completions server (Groq, or an OpenAI-compatible
one): one completion, the served model list, and the SDK's errors turned into domain errors
that name the server.

Retries of 5xx, timeouts and lost connections are the SDK's (``max_retries``); refusals for a
rate limit (429, and flex's 498) become ``RateLimited`` for the run's scheduler, which knows
when the model's budget allows the next request. The SDK builds its objects from the JSON
without validating it, so what a reply holds is checked here before anything trusts it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adp_cli.errors import AdpError, BadReplyError, ConfigError, GenerationError, ModelUnavailableError
from adp_cli.providers.openai_server import is_unknown_model, redact_url
from adp_cli.ratelimits import rate_limited_from
from adp_cli.text import quote

if TYPE_CHECKING:
    import groq
    import httpx

log = logging.getLogger("adp")

_MODEL_GONE = {"model_not_found", "model_decommissioned"}
_API_KEY = re.compile(r"[!-~]+")  # printable ASCII without spaces: what a key and a header hold
# A bound on the token counts one call can report: far above any model's context (131,072 on
# Groq), far below what would overflow a cost or poison the ledger.
MAX_TOKENS_PER_CALL = 10**9


@dataclass(frozen=True)
class Server:
    """How messages name the server a client talks to."""

    name: str  # "Groq" or "the server at localhost:11434/v1"
    key_hint: str  # where the key comes from, for a refused key
    errors: str  # how a failed request reads: "Groq API error", "server error"
    url_hint: str  # where the URL comes from, for a reply that is no chat completion


@dataclass(frozen=True)
class Completion:
    """The parts of a chat completion adp uses; any separate reasoning field is ignored.

    ``bad_usage`` says which reported count could not be trusted (its count here is 0): the
    call was still answered, so it is recorded, and then refused as a bad reply.
    """

    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    bad_usage: str = ""


def clean_key(value: str, variable: str) -> str:
    """A key without the whitespace a shell, an editor or a quoted ``.env`` value leaves around
    it. A key that an HTTP header cannot carry is refused here, before any request: httpx would
    refuse it by quoting the whole header, key included, in its error."""
    key = value.strip()
    if key and not _API_KEY.fullmatch(key):
        raise ConfigError(
            f"{variable} holds a space, a control or a non-ASCII character, which no API key has: "
            "check it for a paste or quoting mistake"
        )
    return key


def log_request(request: httpx.Request) -> None:
    """``-v`` shows every URL requested (the SDK's retries too), without credentials."""
    log.debug("%s %s", request.method, redact_url(str(request.url)))


def complete(client: groq.Groq, server: Server, body: dict[str, Any]) -> Completion:
    """One chat completion of ``body`` (``Prepared.body`` plus the fields the provider adds);
    failures become domain errors."""
    import groq

    model = str(body["model"])
    started = time.perf_counter()
    try:
        reply = client.chat.completions.create(**body)
    except groq.APIStatusError as error:
        raise translate(error, server, model) from None
    except groq.APITimeoutError:
        raise GenerationError(f"{server.name} did not answer within the timeout (model {model})") from None
    except groq.APIConnectionError as error:
        raise GenerationError(f"cannot reach {server.name} at {redact_url(str(client.base_url))}: {error.__cause__ or error}") from None
    except json.JSONDecodeError:  # a 200 whose body says JSON but does not parse
        raise _not_a_completion(client, server, "a body that is not valid JSON") from None
    latency_ms = round((time.perf_counter() - started) * 1000)
    return _completion(client, server, reply, model, latency_ms)


def _not_a_completion(client: groq.Groq, server: Server, what: str) -> ConfigError:
    """A 200 that is no chat completion at all: most likely a web page or a proxy at the URL."""
    return ConfigError(
        f"the server at {redact_url(str(client.base_url))} answered with {what}, not a chat completion: "
        f"is {server.url_hint} the API's root?"
    )


def _completion(client: groq.Groq, server: Server, reply: Any, model: str, latency_ms: int) -> Completion:
    """The reply's parts, checked: a server may hand over text, a list, a content that is no
    string or counts that are no token counts."""
    from pydantic import BaseModel

    choices = getattr(reply, "choices", None)
    if not isinstance(reply, BaseModel) or choices is None:
        raise _not_a_completion(client, server, _shape(reply))
    if log.isEnabledFor(logging.DEBUG):
        log.debug("raw reply from %s: %s", model, reply.model_dump_json(warnings=False))
    if not isinstance(choices, list):
        raise BadReplyError(f"the reply's choices are {quote(choices, 60)}, not a list")
    content = getattr(getattr(choices[0], "message", None), "content", None) if choices else None
    if content is not None and not isinstance(content, str):
        raise BadReplyError(f"the reply's content is {quote(content, 60)}, not text")
    usage = getattr(reply, "usage", None)
    counts = {name: getattr(usage, name, None) for name in ("prompt_tokens", "completion_tokens")}
    trusted = {name: value for name, value in counts.items() if type(value) is int and 0 <= value <= MAX_TOKENS_PER_CALL}
    served = getattr(reply, "model", None)
    return Completion(
        content=content or "",
        model=served if isinstance(served, str) and served else model,
        prompt_tokens=trusted.get("prompt_tokens", 0),
        completion_tokens=trusted.get("completion_tokens", 0),
        latency_ms=latency_ms,
        bad_usage=", ".join(f"{name} {quote(value, 40)}" for name, value in counts.items() if name not in trusted),
    )


def _shape(reply: Any) -> str:
    if isinstance(reply, str):
        return "text (a web page?)"
    if isinstance(reply, list):
        return "a JSON list"
    if reply is None:
        return "JSON null"
    return "JSON with no choices"


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
