"""The Groq SDK client: configured from the SDK's own variables, errors turned into ours.

Retries, back-off and Retry-After are the SDK's (``max_retries``); we add only a shared
``RateGate`` so that when one request of a batch is rate limited, every worker waits.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adp_cli.errors import ConfigError, GenerationError, ModelUnavailableError
from adp_cli.providers.base import Connection

if TYPE_CHECKING:
    import groq
    import httpx

log = logging.getLogger("adp")

_MODEL_GONE = {"model_not_found", "model_decommissioned"}


@dataclass(frozen=True)
class Completion:
    """The parts of a chat completion adp uses; any separate reasoning field is ignored."""

    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int


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


def make_client(connection: Connection, gate: RateGate | None = None) -> groq.Groq:
    """A Groq client; ``GROQ_API_KEY`` must be set, ``GROQ_BASE_URL`` is honoured by the SDK."""
    if not os.environ.get("GROQ_API_KEY"):
        raise ConfigError(
            "GROQ_API_KEY is not set: export it or put it in .env (or try --provider offline / --dry-run)"
        )
    import groq

    http_client = None
    if gate is not None:
        http_client = groq.DefaultHttpxClient(event_hooks={"request": [gate.wait], "response": [gate.observe]})
    return groq.Groq(
        base_url=connection.base_url or None,
        timeout=connection.timeout,
        max_retries=connection.max_retries,
        http_client=http_client,
    )


def complete(
    client: groq.Groq,
    model: str,
    messages: list[dict[str, str]],
    temperature: float,
    max_tokens: int,
    parameters: Mapping[str, Any] | None = None,
) -> Completion:
    """One chat completion (the SDK retries what is retryable); failures become domain errors.

    ``parameters`` are further named arguments of the SDK's ``create`` (e.g. ``reasoning_effort``).
    """
    import groq

    started = time.perf_counter()
    try:
        reply = client.chat.completions.create(
            model=model, messages=messages, temperature=temperature, max_tokens=max_tokens, **(parameters or {})  # type: ignore[arg-type]
        )
    except groq.APIStatusError as error:
        raise _translate(error, model) from None
    except groq.APITimeoutError:
        raise GenerationError(f"Groq did not answer within the timeout (model {model})") from None
    except groq.APIConnectionError as error:
        raise GenerationError(f"cannot reach Groq at {client.base_url}: {error.__cause__ or error}") from None
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
