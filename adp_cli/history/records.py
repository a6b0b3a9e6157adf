"""What one logged generation holds, as written (``Entry``) and as read back (``Logged``), and the
per-model totals the cost summary returns (``ModelCost``).

An entry is built by the request path from data it already has (the item, the messages and
parameters it sent, the reply); ``redacted`` is the store's last line of defence that no API key
reaches the file even if a caller put one in an error text or a parameter dict by mistake.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from adp_cli.text import REDACTED, redact, well_formed

# The variables that may hold a key adp sends (Groq's, and an OpenAI-compatible server's);
# text.redact knows GROQ_API_KEY only.
KEY_VARIABLES = ("GROQ_API_KEY", "ADP_API_KEY", "OPENAI_API_KEY")
_MIN_KEY_TO_REDACT = 8  # as in text.redact: shorter values are no real key
# Parameter names whose value is a credential whatever it looks like (compared lower-cased,
# with "-" read as "_").
_SECRET_NAMES = re.compile(r"(^|_)(api_?key|authorization|auth|password|secret|headers|default_headers)$")
# What text.redact and _SECRET_NAMES look for, as lower-case substrings (a superset: finding one
# only means the entry is walked). Plain ``in`` tests: a case-blind regex alternation costs ten
# times more on a prompt.
_SUSPECT_WORDS = ("bearer", "gsk_", "://", "apikey", "api_key", "api-key", "auth", "password", "secret", "headers")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One request, success or failure, as the request path hands it to ``LogStore.record``.

    ``time`` is when the request finished (UTC). ``result`` is the cleaned value the user saw (a
    phrase, or a BPM integer); ``reply`` is the model's raw text. ``cost_usd`` is None when the
    price is unknown, 0.0 for offline and cached answers. ``cache_key`` is ``keys.cache_key``
    for the request, ``cached`` is True when the answer came from the log instead of a model.
    ``run_id``, ``item_index`` and ``item_id`` place a batch item in its run.
    """

    task: str
    provider: str
    model: str
    item: dict[str, Any]
    messages: list[dict[str, Any]]
    params: dict[str, Any]
    reply: str | None = None
    result: str | int | None = None
    server: str | None = None
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None
    latency_ms: float | None = None
    error_type: str | None = None
    error_message: str | None = None
    run_id: str | None = None
    item_index: int | None = None
    item_id: str | int | None = None
    cache_key: str | None = None
    cached: bool = False
    time: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        """A naive time would be read back as UTC and shift by the local offset; refuse it."""
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise ValueError("Entry.time must be timezone-aware (datetime.now(UTC))")

    @property
    def succeeded(self) -> bool:
        """True for an entry with a result and no error: the only kind the cache answers from."""
        return self.error_type is None and self.result is not None


@dataclass(frozen=True, kw_only=True)
class Logged(Entry):
    """An entry read back from the log, with its row ``id`` (what ``adp logs show ID`` takes)."""

    id: int


@dataclass(frozen=True)
class ModelCost:
    """One model's totals over the summary's period. ``entries`` counts every logged request,
    of which ``cached`` were answered from the log, ``failed`` carry an error and ``unpriced``
    have no known cost (so ``cost_usd`` is a lower bound when ``unpriced`` > 0)."""

    provider: str
    server: str | None
    model: str
    entries: int
    cached: int
    failed: int
    unpriced: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


def redacted(entry: Entry) -> Entry:
    """``entry`` with every text passed through ``text.redact`` plus the values of the key
    variables removed, and credential-named parameters blanked, at any depth."""
    keys = _keys()
    changes = {
        spec.name: _clean(getattr(entry, spec.name), keys)
        for spec in fields(Entry)
        if isinstance(getattr(entry, spec.name), (str, dict, list))
    }
    return replace(entry, **changes)


def _clean(value: Any, keys: list[str]) -> Any:
    """Strings redacted and made storable, containers walked; a credential-named key keeps its
    name, not its value."""
    if isinstance(value, str):
        for key in keys:
            value = value.replace(key, REDACTED)
        return well_formed(redact(value))
    if isinstance(value, dict):
        return {
            name: REDACTED if _is_secret_name(name) else _clean(item, keys)
            for name, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_clean(item, keys) for item in value]
    return value


def _keys() -> list[str]:
    return [value for name in KEY_VARIABLES if len(value := os.environ.get(name, "").strip()) >= _MIN_KEY_TO_REDACT]


def may_need_redacting(texts: list[Any]) -> bool:
    """False only when ``redacted`` would change nothing in an entry whose texts (its strings
    and its containers as JSON, dict keys included) are the strings of ``texts``.

    Walking an entry costs more than writing it (a hundred microseconds of a zero-latency
    batch's item), and most entries hold nothing to hide: the store walks only those whose
    texts hold one of the literals a redaction or a credential name needs, a key (as is, or as
    JSON writes it), or a lone surrogate."""
    text = "\n".join([value for value in texts if isinstance(value, str)])
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which well_formed escapes
        return True
    lowered = text.lower()
    return any(word in lowered for word in _SUSPECT_WORDS) or any(form in text for form in _key_forms(tuple(_keys())))


@lru_cache(maxsize=8)
def _key_forms(keys: tuple[str, ...]) -> tuple[str, ...]:
    """Each key as is and as JSON writes it inside a string (once per set of keys, not per entry)."""
    return tuple(form for key in keys for form in (key, json.dumps(key, ensure_ascii=False)[1:-1]))


def _is_secret_name(name: object) -> bool:
    return isinstance(name, str) and _SECRET_NAMES.search(name.lower().replace("-", "_")) is not None
