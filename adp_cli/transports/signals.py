"""What a server says about its rate limits, typed: the budget headers of every reply and the
refusals (429, and the flex tier's 498), with the wait they name.

Groq limits each model on four budgets and tells a client only part of it: every reply carries
the daily request budget (``x-ratelimit-*-requests``) and the per-minute token budget
(``x-ratelimit-*-tokens``), where ``reset`` is the time until the budget is full again; requests
per minute appear in no header, only in a 429's message, which also names the precise wait.
Parsing is forgiving: a figure a server garbles is ignored, never believed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adp_cli.errors import GenerationError
from adp_cli.text import one_line

REFUSED = (429, 498)  # 498: the flex tier has no capacity now; it is a wait like a 429
DAILY = ("RPD", "TPD")

# The longest wait a server is believed to name: anything longer is clamped to it (every wait
# past --max-wait stops the model anyway, and a year still has a printable reset time).
MAX_WAIT_S = 366 * 86_400.0
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ns": 1e-9}
_NUMBER_UNIT = r"(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|μs|ns)"
_DURATION = re.compile(rf"(?:{_NUMBER_UNIT})+")
_PART = re.compile(_NUMBER_UNIT)
_LIMIT_NAME = re.compile(r"\((RPM|RPD|TPM|TPD|ITPM|OTPM)\)")
_FIELDS = {
    "limit_value": re.compile(r"\bLimit:?\s+~?(\d+)"),
    "used": re.compile(r"\bUsed:?\s+~?(\d+)"),
    "requested": re.compile(r"\bRequested:?\s+~?(\d+)"),
}
_TRY_AGAIN = re.compile(r"try again in\s+(\S+?)\.?(?:\s|$)")
_MODEL = re.compile(r"for model\s+`([^`]+)`")

# The SDK's back-off constants, for the rare refusal that names no wait (a bare 498).
def parse_duration(text: str | None) -> float | None:
    """Seconds in Go's duration format (``2m59.56s``, ``7.66s``, ``120ms``, ``1h0m0s``) or a
    bare number of seconds (``retry-after``); None for anything else, so odd servers are ignored
    rather than believed."""
    if text is None:
        return None
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        if not _DURATION.fullmatch(text):
            return None
        seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _PART.findall(text))
    if not seconds >= 0 or seconds == float("inf"):  # negative, NaN or endless: not believed
        return None
    return min(seconds, MAX_WAIT_S)


@dataclass(frozen=True)
class RateLimitHeaders:
    """What one reply says about its model's budgets; None where the server said nothing usable.

    On Groq the request pair is the daily budget (RPD) and the token pair the minute's (TPM);
    ``reset_*`` is seconds until that budget is full again.
    """

    limit_requests: int | None = None
    remaining_requests: int | None = None
    reset_requests: float | None = None
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    reset_tokens: float | None = None
    retry_after: float | None = None


def parse_headers(headers: Mapping[str, str]) -> RateLimitHeaders:
    """The rate-limit headers of a reply, also when a proxy (LiteLLM) prefixes them with
    ``llm_provider-``; ``retry-after-ms`` wins over ``retry-after``, as in the SDK."""
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}

    def get(name: str) -> str | None:
        return lowered.get(name, lowered.get(f"llm_provider-{name}"))

    retry_ms = parse_duration(get("retry-after-ms"))
    return RateLimitHeaders(
        limit_requests=_count(get("x-ratelimit-limit-requests")),
        remaining_requests=_count(get("x-ratelimit-remaining-requests")),
        reset_requests=parse_duration(get("x-ratelimit-reset-requests")),
        limit_tokens=_count(get("x-ratelimit-limit-tokens")),
        remaining_tokens=_count(get("x-ratelimit-remaining-tokens")),
        reset_tokens=parse_duration(get("x-ratelimit-reset-tokens")),
        retry_after=retry_ms / 1000 if retry_ms is not None else parse_duration(get("retry-after")),
    )


def _count(text: str | None) -> int | None:
    """A non-negative budget count; ``14400``, ``14400.0`` and `` 14400 `` all read as 14400."""
    try:
        value = float(text) if text is not None else -1.0
    except ValueError:
        return None
    return int(value) if 0 <= value < float("inf") else None


@dataclass(frozen=True)
class RateLimitSignal:
    """A refusal, typed: which budget (None when the server did not say), its limit, use and
    the request's size as the message states them, and the wait (the message's precise one,
    else ``retry-after``; None when neither is given)."""

    status: int
    limit: str | None = None
    limit_value: int | None = None
    used: int | None = None
    requested: int | None = None
    wait: float | None = None
    model: str | None = None
    message: str = ""

    @property
    def daily(self) -> bool:
        """A daily budget frees up over hours: the run stops for it rather than waits."""
        return self.limit in DAILY


def parse_signal(status: int, headers: Mapping[str, str], body: object) -> RateLimitSignal:
    """A 429/498 as the scheduler needs it, from Groq's ``{"error": {"message": ...}}`` body, its
    inner object (the SDK's ``error.body`` varies), raw text, or nothing."""
    message = _error_message(body)
    name = _LIMIT_NAME.search(message)
    limit = name.group(1) if name else None
    if limit in ("ITPM", "OTPM"):  # input/output token budgets: per-minute token pacing too
        limit = "TPM"
    found = {key: pattern.search(message) for key, pattern in _FIELDS.items()}
    numbers = {key: int(match.group(1)) if match else None for key, match in found.items()}
    again = _TRY_AGAIN.search(message)
    wait = parse_duration(again.group(1)) if again else None
    model = _MODEL.search(message)
    return RateLimitSignal(
        status=status,
        limit=limit,
        wait=_longer(wait, parse_headers(headers).retry_after),
        model=model.group(1) if model else None,
        message=message,
        **numbers,
    )


def _longer(message: float | None, header: float | None) -> float | None:
    """The wait of a refusal: the message's precise one when ``retry-after`` only rounds it up
    to whole seconds (as Groq's does), else the longer of the two: a server whose header and
    message disagree is waited out by the longer, since sending at the shorter one would only
    be refused again."""
    if message is None or header is None:
        return message if header is None else header
    return message if 0 <= header - message < 1 else max(message, header)


def _error_message(body: object) -> str:
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        text = body
        try:
            body = json.loads(text)
        except ValueError:
            return text
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if isinstance(body, dict):
        return str(body.get("message") or "")
    return ""


class RateLimited(GenerationError):
    """A 429 (or the flex tier's 498) that reached us: the request was refused, not failed, so
    the dispatcher's scheduler can learn from it, wait as the server said and send it again."""

    def __init__(self, message: str, signal: RateLimitSignal, headers: Mapping[str, str]) -> None:
        super().__init__(one_line(message))
        self.signal = signal
        self.headers = headers


def rate_limited_from(error: Any, model: str) -> RateLimited | None:
    """The ``RateLimited`` for an SDK ``APIStatusError`` that is a 429/498, else None.

    Duck-typed (``status_code``, ``response.headers``, ``body``) so this module does not import
    the SDK.
    """
    status = getattr(error, "status_code", None)
    if status not in REFUSED:
        return None
    response = getattr(error, "response", None)
    headers = response.headers if response is not None else {}
    signal = parse_signal(status, headers, getattr(error, "body", None))
    text = signal.message or f"HTTP {status}"
    return RateLimited(f"Groq refused the request to {model} ({status} rate limit): {text}", signal, headers)


