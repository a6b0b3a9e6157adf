"""Groq as it is today (December 2026), for the loopback stub's opt-in ``today`` mode.

``GroqStub(today=True)`` serves today's catalogue and hands every chat to a ``Today``: retired
models answer 404 ``model_not_found``, ``GET /openai/v1/models`` carries per-token prices and
output limits, reasoning models spend reasoning tokens out of ``max_tokens``, and prompt caching
reports cached tokens. The knobs a test may turn, all attributes of ``stub.today``:

* ``pricing``: model -> the ``pricing`` object of its model entry (``per_million`` builds one), or
  None for a model Groq does not bill (no ``pricing`` key at all).
* ``reasoning_tokens``: effort -> reasoning tokens one request spends (``default`` is what qwen3.6
  spends when asked for its default, reasoning on).
* ``reasoning_text``: what the model "thought", shown as Groq shows it (see ``reasoning_format``).
* ``cached_tokens``: an exact cached-token count for every reply (capped at the prompt), instead
  of the rule below.
* ``cache_prefix_chars``, ``cache_share``, ``cache_block``: the caching rule. A request whose
  model and first ``cache_prefix_chars`` characters of message text were seen before gets
  ``floor(prompt_tokens * cache_share)`` rounded down to a multiple of ``cache_block`` as cached;
  the first request with a prefix gets 0.

A reasoning model spends ``reasoning_tokens[effort]`` first, then the stub's ``completion_tokens``
of answer; when both do not fit ``max_completion_tokens`` / ``max_tokens`` the reply is empty,
``finish_reason`` is ``length`` and the whole budget is billed. The reasoning is shown in
``message.reasoning`` (gpt-oss's default, or ``reasoning_format="parsed"``), in a ``<think>`` block
opening the content (qwen's default, or ``"raw"``), or not at all (``include_reasoning=False`` or
``"hidden"``). ``tests/support/groq_today.md`` lists the sources and what could not be confirmed.

Standard library only, and never adp's own code, so adp is not tested against itself.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from tests.support.groqstub import Reply, bad_request, chat_body, model_not_found


@dataclass(frozen=True)
class Served:
    """A model Groq serves today: its limits, and its price in USD per 1M tokens (prompt,
    completion, cached prompt), or None when Groq publishes no per-token price for it."""

    context: int
    max_output: int
    price: tuple[str, str, str] | None


@dataclass(frozen=True)
class Retirement:
    """When a model was shut down and what Groq's deprecations page recommends instead."""

    shutdown: str
    replacements: tuple[str, ...]


@dataclass(frozen=True)
class Thinking:
    """A reasoning model: the ``reasoning_effort`` values it accepts, the effort it uses when
    sent none (or ``default``), and where its reasoning goes unless the request says otherwise."""

    efforts: tuple[str, ...]
    default_effort: str
    default_format: str  # "parsed" (message.reasoning) or "raw" (a <think> block in content)


# Groq's models, pricing and deprecations pages, December 2026. Prompt guards keep the prices
# Groq listed for them (no cache discount published); audio and speech models are billed per
# hour or per character, so their entries carry no per-token ``pricing``.
SERVED: dict[str, Served] = {
    "openai/gpt-oss-120b": Served(131072, 65536, ("0.15", "0.60", "0.075")),
    "openai/gpt-oss-20b": Served(131072, 65536, ("0.075", "0.30", "0.0375")),
    "openai/gpt-oss-safeguard-20b": Served(131072, 65536, ("0.075", "0.30", "0.075")),
    "qwen/qwen3.6-27b": Served(131072, 16384, ("0.60", "3.00", "0.30")),
    "qwen/qwen3.8-27b": Served(131042, 16384, ("0.80", "4.00", "0.40")),
    "allam-2-7b": Served(4096, 4096, None),
    "groq/compound": Served(131072, 8192, None),
    "groq/compound-mini": Served(131072, 8192, None),
    "meta-llama/llama-prompt-guard-2-22m": Served(512, 512, ("0.03", "0.03", "0.03")),
    "meta-llama/llama-prompt-guard-2-86m": Served(512, 512, ("0.04", "0.04", "0.04")),
    "whisper-large-v3": Served(448, 448, None),
    "whisper-large-v3-turbo": Served(448, 448, None),
    "canopylabs/orpheus-v1-english": Served(4000, 50000, None),
    "canopylabs/orpheus-arabic-saudi": Served(4000, 50000, None),
}
TODAY_LIVE_MODELS: list[str] = list(SERVED)

RETIRED: dict[str, Retirement] = {
    "gemma2-9b-it": Retirement("2025-10", ("openai/gpt-oss-20b",)),
    "deepseek-r1-distill-llama-70b": Retirement("2025-10-02", ("openai/gpt-oss-120b",)),
    "playai-tts": Retirement("2025-12-23", ("canopylabs/orpheus-v1-english",)),
    "playai-tts-arabic": Retirement("2025-12-23", ("canopylabs/orpheus-arabic-saudi",)),
    "meta-llama/llama-guard-4-12b": Retirement("early 2026", ("openai/gpt-oss-safeguard-20b",)),
    "meta-llama/llama-4-maverick-17b-128e-instruct": Retirement("2026-03-09", ("openai/gpt-oss-120b",)),
    "moonshotai/kimi-k2-instruct": Retirement("2026-04-15", ()),
    "moonshotai/kimi-k2-instruct-0905": Retirement("2026-04-15", ()),
    "qwen/qwen3-32b": Retirement("2026-07-17", ("openai/gpt-oss-120b",)),
    "meta-llama/llama-4-scout-17b-16e-instruct": Retirement("2026-07-17", ("openai/gpt-oss-120b", "qwen/qwen3.6-27b")),
    "llama-3.3-70b-versatile": Retirement("2026-08-16", ("openai/gpt-oss-120b", "qwen/qwen3.6-27b")),
    "llama-3.1-8b-instant": Retirement("2026-08-16", ("openai/gpt-oss-20b",)),
}

_GPT_OSS = Thinking(efforts=("low", "medium", "high"), default_effort="medium", default_format="parsed")
THINKING: dict[str, Thinking] = {
    "openai/gpt-oss-120b": _GPT_OSS,
    "openai/gpt-oss-20b": _GPT_OSS,
    "openai/gpt-oss-safeguard-20b": _GPT_OSS,
    "qwen/qwen3.6-27b": Thinking(efforts=("none", "default"), default_effort="default", default_format="raw"),
    # The groq SDK documents low/medium/high for qwen3.8 too, with medium as its default.
    "qwen/qwen3.8-27b": Thinking(
        efforts=("none", "default", "low", "medium", "high"), default_effort="medium", default_format="raw"
    ),
}

# Every value Groq's request schema takes; anything else fails before the model is looked at.
EFFORT_VALUES: tuple[str, ...] = ("none", "default", "low", "medium", "high")
DEFAULT_REASONING_TOKENS: dict[str, int] = {"none": 0, "low": 40, "medium": 300, "high": 1500, "default": 600}
REASONING_TEXT = "The user wants a short phrase. Keep it concise."
# Used for a model a test adds to ``live_models`` that Groq's pages do not describe.
_UNDESCRIBED = Served(131072, 32768, None)


def per_million(prompt: str, completion: str, cached: str) -> dict[str, str]:
    """A model entry's ``pricing``: USD per token as Groq writes it (``0.15`` -> ``0.00000015``),
    from the per-1M-token figures of the pricing page."""
    million = Decimal(1_000_000)
    return {
        "prompt": format(Decimal(prompt) / million, "f"),
        "completion": format(Decimal(completion) / million, "f"),
        "input_cache_read": format(Decimal(cached) / million, "f"),
    }


def _one_of(values: tuple[str, ...]) -> str:
    """Groq's enumeration: ```none` or `default```, ```low`, `medium`, or `high```."""
    quoted = [f"`{value}`" for value in values]
    if len(quoted) <= 2:
        return " or ".join(quoted)
    return ", ".join(quoted[:-1]) + ", or " + quoted[-1]


def _limit_parameter(request: dict) -> tuple[str, int] | None:
    """The answer budget the request set and the name it used (``max_completion_tokens`` wins)."""
    for name in ("max_completion_tokens", "max_tokens"):
        value = request.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return name, value
    return None


def _prompt_text(request: dict) -> str:
    messages = request.get("messages") or []
    return "".join(str(m.get("content") or "") for m in messages if isinstance(m, dict))


class Today:
    """Today's Groq behind one stub: validation, model entries and chat bodies, plus the prompt
    cache's memory of the prefixes it has seen (shared by every synchronous chat of the stub)."""

    def __init__(self) -> None:
        self.pricing: dict[str, dict[str, str] | None] = {
            model: None if served.price is None else per_million(*served.price) for model, served in SERVED.items()
        }
        self.reasoning_tokens: dict[str, int] = dict(DEFAULT_REASONING_TOKENS)
        self.reasoning_text = REASONING_TEXT
        self.cached_tokens: int | None = None
        self.cache_prefix_chars = 256
        self.cache_share = 1.0
        self.cache_block = 64
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def describe(self, entry: dict) -> dict:
        """A ``GET /openai/v1/models`` entry as Groq lists it today: limits, and prices if billed."""
        served = SERVED.get(entry["id"], _UNDESCRIBED)
        entry = {**entry, "context_window": served.context, "max_completion_tokens": served.max_output}
        pricing = self.pricing.get(entry["id"])
        if pricing is not None:
            entry["pricing"] = dict(pricing)
        return {**entry, "context_length": served.context, "max_output_length": served.max_output}

    def refuse(self, request: dict, live: Collection[str]) -> Reply | None:
        """Groq's 400 or 404 for a chat it will not run, or None: the effort outside the schema,
        the model, the effort the model does not take, then the answer budget."""
        effort = request.get("reasoning_effort")
        if effort is not None and effort not in EFFORT_VALUES:
            allowed = ", ".join(f"'{value}'" for value in EFFORT_VALUES)
            return bad_request(f"'reasoning_effort' : value is not one of the allowed values [{allowed}]")
        model = str(request.get("model", ""))
        if model not in live:
            return model_not_found(model)
        thinking = THINKING.get(model)
        if effort is not None and thinking is None:
            return bad_request("`reasoning_effort` is not supported with this model")
        if thinking is not None and effort is not None and effort not in thinking.efforts:
            return bad_request(f"`reasoning_effort` must be one of {_one_of(thinking.efforts)}")
        limit = _limit_parameter(request)
        ceiling = SERVED.get(model, _UNDESCRIBED).max_output
        if limit is not None and limit[1] > ceiling:
            name = limit[0]
            return bad_request(
                f"`{name}` must be less than or equal to `{ceiling}`, the maximum value for `{name}` "
                "is less than the `context_window` for this model"
            )
        return None

    def prefix_key(self, request: dict) -> tuple[str, str]:
        """What the prompt cache matches on: the model and the start of the message text."""
        return str(request.get("model", "")), _prompt_text(request)[: self.cache_prefix_chars]

    def _seen_before(self, key: tuple[str, str]) -> bool:
        with self._lock:
            seen = key in self._seen
            self._seen.add(key)
        return seen

    def cached(self, prompt_tokens: int, repeat: bool) -> int:
        if self.cached_tokens is not None:
            return min(self.cached_tokens, prompt_tokens)
        if not repeat:
            return 0
        share = math.floor(prompt_tokens * self.cache_share)
        return share // self.cache_block * self.cache_block

    def _effort(self, request: dict, thinking: Thinking) -> str:
        effort = request.get("reasoning_effort")
        return thinking.default_effort if effort in (None, "default") else str(effort)

    @staticmethod
    def _format(request: dict, thinking: Thinking) -> str:
        if request.get("include_reasoning") is False:
            return "hidden"
        chosen = request.get("reasoning_format")
        return chosen if chosen in ("parsed", "raw", "hidden") else thinking.default_format

    def chat_body(
        self, request: dict, content: str, prompt_tokens: int, answer_tokens: int, repeat: bool | None = None
    ) -> dict:
        """The success body: reasoning first, out of the answer budget, then the answer if it still
        fits (else an empty, ``length``-cut reply billed the whole budget). ``repeat`` says whether
        the prompt's prefix was seen before; None asks this stub's own cache (and records it)."""
        model = str(request.get("model", ""))
        thinking = THINKING.get(model)
        planned = 0 if thinking is None else self.reasoning_tokens[self._effort(request, thinking)]
        limit = _limit_parameter(request)
        budget = limit[1] if limit is not None else SERVED.get(model, _UNDESCRIBED).max_output
        if planned + answer_tokens > budget:
            spent, completion, answer, finish = min(planned, budget), budget, "", "length"
        else:
            spent, completion, answer, finish = planned, planned + answer_tokens, content, "stop"
        shown = "hidden" if thinking is None or spent == 0 else self._format(request, thinking)
        reasoning = self.reasoning_text if shown == "parsed" else None
        if shown == "raw":
            closing = "\n</think>\n\n" if finish == "stop" else ""
            answer = f"<think>\n{self.reasoning_text}{closing}{answer}"
        if repeat is None:
            repeat = self._seen_before(self.prefix_key(request))
        body = chat_body(answer, model, prompt_tokens, completion, reasoning=reasoning)
        body["choices"][0]["finish_reason"] = finish
        usage = body["usage"]
        usage["prompt_tokens_details"] = {"cached_tokens": self.cached(prompt_tokens, repeat)}
        usage["completion_tokens_details"] = {"reasoning_tokens": spent}
        return body

    def first_of_each_prefix(self, requests: Iterable[tuple[int, dict]]) -> set[int]:
        """The lines of a batch, in the order it ran them, that met an empty cache for their prefix:
        a batch's cache starts empty and is worked out once, so every download reads the same."""
        seen: set[tuple[str, str]] = set()
        firsts: set[int] = set()
        for index, request in requests:
            key = self.prefix_key(request)
            if key not in seen:
                seen.add(key)
                firsts.add(index)
        return firsts
