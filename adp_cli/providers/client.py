"""The Groq SDK client: configured from the SDK's own variables, errors turned into ours.

Retries, back-off and Retry-After are the SDK's (``max_retries``); we add only a shared
``RateGate`` so that when one request of a batch is rate limited, every worker waits.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adp_cli.errors import BadReplyError, ConfigError, GenerationError, ModelUnavailableError
from adp_cli.providers.base import Connection
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


@dataclass
class RateGate:
    """Holds every request of a process until the latest rate-limit window has passed."""

    _resume_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, request: httpx.Request) -> None:
        """Sleep until the pause is over, again if another 429 extended it meanwhile."""
        while (delay := self._resume_at - time.monotonic()) > 0:
            time.sleep(delay)

    def observe(self, response: httpx.Response) -> None:
        if response.status_code != 429:
            return
        pause = _retry_after_seconds(response.headers)
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + pause)
        log.info("rate limited by Groq; all requests pause %.2fs", pause)


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:([\d.]+)s)?(?:([\d.]+)ms)?$")


def _retry_after_seconds(headers: httpx.Headers) -> float:
    """Groq's ``retry-after`` (seconds), else its reset hints (``2m59.56s``, ``7.66s``, ``120ms``)."""
    for name in ("retry-after", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"):
        value = headers.get(name, "").strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        match = _DURATION.match(value)
        if value and match:
            hours, minutes, seconds, millis = (float(part or 0) for part in match.groups())
            return hours * 3600 + minutes * 60 + seconds + millis / 1000
    return 1.0


def api_key() -> str:
    """``GROQ_API_KEY`` without the whitespace a shell, an editor or a quoted ``.env`` value
    leaves around it. A key that an HTTP header cannot carry is refused here, before any
    request: httpx would refuse it by quoting the whole header, key included, in its error."""
    key = os.environ.get("GROQ_API_KEY", "").strip()
    if not key:
        raise ConfigError(
            "GROQ_API_KEY is not set: export it or put it in .env (or try --provider offline / --dry-run)"
        )
    if not _API_KEY.fullmatch(key):
        raise ConfigError(
            "GROQ_API_KEY holds a space, a control or a non-ASCII character, which no API key has: "
            "check it for a paste or quoting mistake"
        )
    return key


def make_client(connection: Connection, gate: RateGate | None = None) -> groq.Groq:
    """A Groq client; ``GROQ_API_KEY`` must be set, ``GROQ_BASE_URL`` is honoured by the SDK."""
    key = api_key()
    import groq

    http_client = None
    if gate is not None:
        http_client = groq.DefaultHttpxClient(event_hooks={"request": [gate.wait], "response": [gate.observe]})
    return groq.Groq(
        api_key=key,
        base_url=connection.base_url or None,
        timeout=connection.timeout,
        max_retries=connection.max_retries,
        http_client=http_client,
    )


def complete(
    client: groq.Groq, model: str, messages: list[dict[str, str]], temperature: float, max_tokens: int
) -> Completion:
    """One chat completion (the SDK retries what is retryable); failures become domain errors."""
    import groq

    started = time.perf_counter()
    try:
        reply = client.chat.completions.create(
            model=model, messages=messages, temperature=temperature, max_tokens=max_tokens  # type: ignore[arg-type]
        )
    except groq.APIStatusError as error:
        raise _translate(error, model) from None
    except groq.APITimeoutError:
        raise GenerationError(f"Groq did not answer within the timeout (model {model})") from None
    except groq.APIConnectionError as error:
        raise GenerationError(f"cannot reach Groq at {client.base_url}: {error.__cause__ or error}") from None
    except json.JSONDecodeError:  # a 200 whose body says JSON but does not parse
        raise _not_a_completion(client, "a body that is not valid JSON") from None
    latency_ms = round((time.perf_counter() - started) * 1000)
    return _completion(client, reply, model, latency_ms)


def _not_a_completion(client: groq.Groq, what: str) -> ConfigError:
    """A 200 that is no chat completion at all: most likely a web page or a proxy at the URL."""
    return ConfigError(
        f"the server at {client.base_url} answered with {what}, not a chat completion: "
        "is --base-url (or GROQ_BASE_URL) the API's root?"
    )


def _completion(client: groq.Groq, reply: Any, model: str, latency_ms: int) -> Completion:
    """The reply's parts, checked: the SDK builds its objects from the JSON without validating
    it, so a server may hand over text, a list, a content that is no string or counts that are
    no token counts."""
    from pydantic import BaseModel

    choices = getattr(reply, "choices", None)
    if not isinstance(reply, BaseModel) or choices is None:
        raise _not_a_completion(client, _shape(reply))
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


def _error_fields(error: groq.APIStatusError) -> tuple[str, str]:
    """Groq's ``{"error": {"message", "code"}}`` body, tolerating other shapes."""
    body: Any = error.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if isinstance(body, dict):
        return str(body.get("code") or body.get("type") or ""), str(body.get("message") or error.message)
    return "", str(error.message)


def _translate(error: groq.APIStatusError, model: str) -> Exception:
    code, message = _error_fields(error)
    status = error.status_code
    if code in _MODEL_GONE or (status == 404 and "model" in message.lower()):
        return ModelUnavailableError(f"model {model} is not available ({code or status}): {message}")
    if status in (401, 403):
        return ConfigError(f"Groq refused the API key ({status} {code or 'unauthorized'}): check GROQ_API_KEY")
    label = f"{status} {code}".strip()
    return GenerationError(f"Groq API error {label}: {message}")


def list_live_models(client: groq.Groq) -> list[str]:
    """The ids the API serves now, via the SDK's model list."""
    import groq

    try:
        return sorted(model.id for model in client.models.list().data)
    except groq.APIStatusError as error:
        raise _translate(error, "(model list)") from None
    except groq.APIConnectionError as error:
        raise GenerationError(f"cannot reach Groq at {client.base_url}: {error}") from None
