"""The groq SDK as adp uses it for any chat-completions server (Groq, or an OpenAI-compatible
one): the client, one completion, the served model list, and the SDK's errors turned into domain
errors that name the server.

Retries of 5xx, timeouts and lost connections are the SDK's (``max_retries``). A rate-limit
refusal (429, and flex's 498) is not retried by the SDK: it would send every refused request
again the moment its ``retry-after`` ends, all workers at the same instant; it becomes
``RateLimited`` instead, and the dispatcher's scheduler sends it again when a slot is free.
Replies are read as raw JSON and checked by ``replies`` (the Batch API's result lines take the
same check), which also spares building the SDK's pydantic objects.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from adp_cli.errors import AdpError, ConfigError, GenerationError, ModelUnavailableError, SpendLimitReached
from adp_cli.text import quote, shorten
from adp_cli.transports.base import Connection, Reply, Served
from adp_cli.transports.replies import NotACompletion, completion, parsed
from adp_cli.transports.servers import is_unknown_model, redact_url
from adp_cli.transports.signals import REFUSED, rate_limited_from

if TYPE_CHECKING:
    import groq
    import httpx

log = logging.getLogger("adp")

MODEL_GONE = frozenset({"model_not_found", "model_decommissioned"})
# The account may spend no more: Groq's spend limit (a 400), OpenAI's used-up quota (a 429 that
# never clears). Neither is retried: no request can succeed until the user acts.
SPENT = frozenset({"blocked_api_access", "insufficient_quota"})
_API_KEY = re.compile(r"[!-~]+")  # printable ASCII without spaces: what a key and a header hold
Hooks = dict[str, list[Callable[..., Any]]]
CHAT_PATH = "/openai/v1/chat/completions"  # where the SDK's chat.completions.create posts


@dataclass(frozen=True)
class Server:
    """How messages name the server a client talks to."""

    name: str  # "Groq" or "the server at localhost:11434/v1"
    key_hint: str  # where the key comes from, for a refused key
    errors: str  # how a failed request reads: "Groq API error", "server error"
    url_hint: str  # where the URL comes from, for a reply that is no chat completion
    limit_hint: str = "raise the limit with the server's provider"  # where a spend limit is raised


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


@cache
def _client_class() -> type[groq.Groq]:
    """The SDK's client, minus its resending of rate-limit refusals (see the module docstring)."""
    import groq

    class Client(groq.Groq):
        def _should_retry(self, response: httpx.Response) -> bool:
            return response.status_code not in REFUSED and super()._should_retry(response)

    return Client


def make_client(
    connection: Connection,
    api_key: str,
    *,
    base_url: str | None = None,
    hooks: Hooks | None = None,
    default_headers: Mapping[str, Any] | None = None,
) -> groq.Groq:
    """A client for one run; every request it makes is logged at debug level, and bounded as a
    whole by ``--timeout`` (reading included: see ``deadline``)."""
    from adp_cli.transports.deadline import http_client

    event_hooks = dict(hooks or {})
    event_hooks["request"] = [*event_hooks.get("request", []), log_request]
    return _client_class()(
        api_key=api_key,
        base_url=base_url,
        timeout=connection.timeout,
        max_retries=connection.max_retries,
        default_headers=default_headers,
        http_client=http_client(connection.timeout, event_hooks),
    )


def chat(client: groq.Groq, server: Server, body: dict[str, Any]) -> Reply:
    """One chat completion of ``body``; failures become domain errors.

    Sent with the SDK's ``post`` (its documented way to a raw reply), not ``chat.completions
    .create``: ``create`` runs the body through its type-driven transform, which walks every
    message and gives back the same plain JSON adp built (a quarter of a millisecond a request,
    held under the GIL while the other workers wait). Retries, timeouts and errors are the same."""
    import groq
    import httpx

    model = str(body["model"])
    started = time.perf_counter()
    try:
        response = client.post(CHAT_PATH, body=body, cast_to=httpx.Response)
        content = response.read()
    except groq.APIStatusError as error:
        raise translate(error, server, model) from None
    except groq.APITimeoutError:
        raise GenerationError(f"{server.name} did not answer within the timeout (model {model})") from None
    except groq.APIConnectionError as error:
        raise _unreachable(client, server, error) from None
    latency_ms = round((time.perf_counter() - started) * 1000)
    try:
        return completion(parsed(content), model, latency_ms, response.headers)
    except NotACompletion as error:
        raise ConfigError(
            f"the server at {redact_url(str(client.base_url))} answered with {error.what}, not a chat completion: "
            f"is {server.url_hint} the API's root?"
        ) from None


def _unreachable(client: groq.Groq, server: Server, error: Exception) -> GenerationError:
    return GenerationError(f"cannot reach {server.name} at {redact_url(str(client.base_url))}: {error.__cause__ or error}")


def error_fields(error: groq.APIStatusError) -> tuple[str, str]:
    """The ``{"error": {"message", "code"}}`` body most servers send, tolerating other shapes."""
    body: Any = error.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if isinstance(body, dict):
        return str(body.get("code") or body.get("type") or ""), shorten(str(body.get("message") or error.message), 300)
    return "", shorten(str(error.message), 300)


def translate(error: groq.APIStatusError, server: Server, model: str) -> AdpError:
    """The SDK's status error as adp's: a spend limit reached, a rate-limit refusal, a model the
    server does not serve, a refused key (configuration), or a failed request naming the URL
    that was requested."""
    code, message = error_fields(error)
    status = error.status_code
    if code in SPENT:
        return SpendLimitReached(
            f"{server.name} accepts no more requests: the account's spend limit is reached ({status} {code}); "
            f"nothing more is sent. {server.limit_hint[0].upper()}{server.limit_hint[1:]}, "
            "then rerun the same command with -o FILE to resume where it stopped"
        )
    refused = rate_limited_from(error, model)
    if refused is not None:
        return refused
    if code in MODEL_GONE or is_unknown_model(status, error.body) or (status == 404 and "model" in message.lower()):
        return ModelUnavailableError(f"model {model} is not available ({code or status}): {message}", model=model)
    if status in (401, 403):
        return ConfigError(f"{server.name} refused the API key ({status} {code or 'unauthorized'}): {server.key_hint}")
    label = f"{status} {code}".strip()
    return GenerationError(f"{server.errors} {label} at {redact_url(str(error.request.url))}: {message}")


def list_models(client: groq.Groq, server: Server) -> list[Served]:
    """Every model the server lists now, sorted by id, with what it says of each."""
    import groq

    try:
        raw = client.models.with_raw_response.list()
        document = parsed(raw.http_response.read())
    except groq.APIStatusError as error:
        raise translate(error, server, "(model list)") from None
    except groq.APIConnectionError as error:
        raise _unreachable(client, server, error) from None
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, list):
        raise GenerationError(f"{server.name} answered the model list with {quote(document, 80)}, not a list of models")
    return sorted((_served(entry) for entry in data if isinstance(entry, dict) and isinstance(entry.get("id"), str)), key=lambda m: m.id)


def _served(entry: dict[str, Any]) -> Served:
    """One model-list entry; figures a server garbles are left out rather than believed."""
    pricing = entry.get("pricing")
    prices = {key: value for key, raw in pricing.items() if (value := _per_token(raw)) is not None} if isinstance(pricing, dict) else None
    return Served(
        id=entry["id"],
        owner=str(entry.get("owned_by") or ""),
        pricing=prices or None,
        context_length=_whole(entry.get("context_length", entry.get("context_window"))),
        max_output=_whole(entry.get("max_output_length", entry.get("max_completion_tokens"))),
    )


def _per_token(raw: Any) -> float | None:
    """A price per token, as Groq writes it (a decimal string); only a finite amount >= 0 counts."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 <= value < 1 else None


def _whole(raw: Any) -> int | None:
    return raw if type(raw) is int and raw > 0 else None

