"""The one check of a chat completion's body, for a synchronous reply and a Batch API result
line alike: a server (or a result file) may hand over text, a list, a content that is no string,
or counts that are no token counts, and nothing downstream (a cost, the ledger) may trust them
unchecked. A count that cannot be trusted is reported as 0 and named in ``bad_usage``: the call
was answered, so it is recorded, then refused as a bad reply.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from adp_cli.errors import BadReplyError
from adp_cli.text import quote
from adp_cli.transports.base import Reply

# A bound on the token counts one call can report: far above any model's context (131,072 on
# Groq), far below what would overflow a cost or poison the ledger.
MAX_TOKENS_PER_CALL = 10**9
_MAX_SECONDS = 86_400.0


class NotACompletion(BadReplyError):
    """The body is no chat completion at all (a web page, a list, null): for a synchronous
    reply most likely a wrong base URL, for a result line a damaged one."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the reply is {what}, not a chat completion")
        self.what = what


def parsed(content: bytes) -> Any:
    """A body as JSON when it is JSON, else as the text it is."""
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")


def completion(body: Any, model: str, latency_ms: int = 0, headers: Mapping[str, str] | None = None) -> Reply:
    """The parts of a chat completion adp uses; any separate reasoning field is ignored."""
    choices = body.get("choices") if isinstance(body, dict) else None
    if choices is None:
        raise NotACompletion(_shape(body))
    if not isinstance(choices, list):
        raise BadReplyError(f"the reply's choices are {quote(choices, 60)}, not a list")
    first: dict[str, Any] = choices[0] if choices and isinstance(choices[0], dict) else {}
    message: dict[str, Any] = first["message"] if isinstance(first.get("message"), dict) else {}
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise BadReplyError(f"the reply's content is {quote(content, 60)}, not text")
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    counts = {
        "prompt_tokens": usage.get("prompt_tokens"),
        "completion_tokens": usage.get("completion_tokens"),
        "cached_tokens": _detail(usage, "prompt_tokens_details", "cached_tokens"),
        "reasoning_tokens": _detail(usage, "completion_tokens_details", "reasoning_tokens"),
    }
    trusted = {name: value for name, value in counts.items() if _count(value)}
    untrusted = [name for name in ("prompt_tokens", "completion_tokens") if name not in trusted]
    untrusted += [name for name in ("cached_tokens", "reasoning_tokens") if counts[name] is not None and name not in trusted]
    served = body.get("model")
    finish = first.get("finish_reason")
    return Reply(
        content=content or "",
        model=served if isinstance(served, str) and served else model,
        prompt_tokens=trusted.get("prompt_tokens", 0),
        completion_tokens=trusted.get("completion_tokens", 0),
        cached_tokens=min(trusted.get("cached_tokens", 0), trusted.get("prompt_tokens", 0)),
        reasoning_tokens=min(trusted.get("reasoning_tokens", 0), trusted.get("completion_tokens", 0)),
        finish_reason=finish if isinstance(finish, str) else None,
        latency_ms=latency_ms,
        bad_usage=", ".join(f"{name} {quote(counts[name], 40)}" for name in untrusted),
        headers=headers or {},
    )


def seconds(value: Any) -> float:
    """A time a server reports (``usage.total_time``): a finite number of seconds, else 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    return float(value) if math.isfinite(value) and 0 <= value <= _MAX_SECONDS else 0.0


def _detail(usage: dict[str, Any], section: str, name: str) -> Any:
    details = usage.get(section)
    return details.get(name) if isinstance(details, dict) else None


def _count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_TOKENS_PER_CALL


def _shape(body: Any) -> str:
    if isinstance(body, str):
        return "text (a web page?)"
    if isinstance(body, list):
        return "a JSON list"
    if body is None:
        return "JSON null"
    return "JSON with no choices"
