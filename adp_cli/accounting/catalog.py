"""The Groq models adp knows, what each costs, and how cost is computed.

Prices come from genai-prices' bundled snapshot (offline) where it knows the model, else from
the design guide's flat table, marked as an estimate; ``ADP_PRICES_FILE`` overrides or adds
models. genai-prices and yaml are imported only when a price is actually needed.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from adp_cli.cache import cache_dir, write_best_effort
from adp_cli.errors import ConfigError, InputError, UsageError
from adp_cli.inputs import parse_yaml
from adp_cli.text import quote


class GroqModel(str, Enum):
    """The guide's 21 Groq model ids (API snapshot of 2025-10-02)."""

    LLAMA_3_1_8B_INSTANT = "llama-3.1-8b-instant"
    LLAMA_3_3_70B_VERSATILE = "llama-3.3-70b-versatile"
    LLAMA_4_SCOUT_17B = "meta-llama/llama-4-scout-17b-16e-instruct"
    LLAMA_4_MAVERICK_17B = "meta-llama/llama-4-maverick-17b-128e-instruct"
    LLAMA_GUARD_4_12B = "meta-llama/llama-guard-4-12b"
    LLAMA_PROMPT_GUARD_2_22M = "meta-llama/llama-prompt-guard-2-22m"
    LLAMA_PROMPT_GUARD_2_86M = "meta-llama/llama-prompt-guard-2-86m"
    GPT_OSS_120B = "openai/gpt-oss-120b"
    GPT_OSS_20B = "openai/gpt-oss-20b"
    KIMI_K2_INSTRUCT = "moonshotai/kimi-k2-instruct"
    KIMI_K2_INSTRUCT_0905 = "moonshotai/kimi-k2-instruct-0905"
    QWEN3_32B = "qwen/qwen3-32b"
    GEMMA2_9B_IT = "gemma2-9b-it"
    DEEPSEEK_R1_DISTILL_LLAMA_70B = "deepseek-r1-distill-llama-70b"
    ALLAM_2_7B = "allam-2-7b"
    GROQ_COMPOUND = "groq/compound"
    GROQ_COMPOUND_MINI = "groq/compound-mini"
    WHISPER_LARGE_V3 = "whisper-large-v3"
    WHISPER_LARGE_V3_TURBO = "whisper-large-v3-turbo"
    PLAYAI_TTS = "playai-tts"
    PLAYAI_TTS_ARABIC = "playai-tts-arabic"


TEXT_GENERATION_MODELS: list[GroqModel] = [
    GroqModel.LLAMA_3_1_8B_INSTANT,
    GroqModel.LLAMA_3_3_70B_VERSATILE,
    GroqModel.LLAMA_4_SCOUT_17B,
    GroqModel.LLAMA_4_MAVERICK_17B,
    GroqModel.GPT_OSS_20B,
    GroqModel.GEMMA2_9B_IT,
    GroqModel.ALLAM_2_7B,
]

ALL_GROQ_MODELS: list[GroqModel] = list(GroqModel)

BPM_MODEL = GroqModel.LLAMA_3_3_70B_VERSATILE

# The chat models Groq's Batch API runs (console.groq.com/docs/batch); a random pick for a batch
# job comes from these, and a named model outside them is sent with a warning.
BATCH_MODELS: frozenset[str] = frozenset(
    {
        GroqModel.GPT_OSS_20B.value,
        GroqModel.GPT_OSS_120B.value,
        GroqModel.LLAMA_4_SCOUT_17B.value,
        GroqModel.LLAMA_3_3_70B_VERSATILE.value,
        GroqModel.LLAMA_3_1_8B_INSTANT.value,
        GroqModel.LLAMA_GUARD_4_12B.value,
    }
)

# Groq's Batch API bills every token at half the synchronous price (console.groq.com/docs/batch;
# older copies of that page said 25% off, so ADP_PRICES_FILE can set a model's ``batch`` factor).
BATCH_PRICE_FACTOR = 0.5


class Category(str, Enum):
    TEXT = "text"
    GUARD = "guard"
    COMPOUND = "compound"
    AUDIO = "audio"
    TTS = "tts"


_NON_TEXT: dict[GroqModel, Category] = {
    GroqModel.LLAMA_GUARD_4_12B: Category.GUARD,
    GroqModel.LLAMA_PROMPT_GUARD_2_22M: Category.GUARD,
    GroqModel.LLAMA_PROMPT_GUARD_2_86M: Category.GUARD,
    GroqModel.GROQ_COMPOUND: Category.COMPOUND,
    GroqModel.GROQ_COMPOUND_MINI: Category.COMPOUND,
    GroqModel.WHISPER_LARGE_V3: Category.AUDIO,
    GroqModel.WHISPER_LARGE_V3_TURBO: Category.AUDIO,
    GroqModel.PLAYAI_TTS: Category.TTS,
    GroqModel.PLAYAI_TTS_ARABIC: Category.TTS,
}

_OWNERS: dict[str, str] = {
    "llama": "Meta",
    "meta-llama/": "Meta",
    "openai/": "OpenAI",
    "whisper": "OpenAI",
    "moonshotai/": "Moonshot AI",
    "qwen/": "Alibaba Cloud",
    "gemma": "Google",
    "deepseek": "DeepSeek / Meta",
    "allam": "SDAIA",
    "groq/": "Groq",
    "playai": "PlayAI",
}

# The guide's table: one flat price per 1M tokens, used where genai-prices has no entry.
GUIDE_PRICES: dict[GroqModel, float] = {
    GroqModel.LLAMA_3_1_8B_INSTANT: 0.05,
    GroqModel.LLAMA_3_3_70B_VERSATILE: 0.59,
    GroqModel.LLAMA_4_SCOUT_17B: 0.3,
    GroqModel.LLAMA_4_MAVERICK_17B: 0.3,
    GroqModel.LLAMA_GUARD_4_12B: 0.2,
    GroqModel.LLAMA_PROMPT_GUARD_2_22M: 0.02,
    GroqModel.LLAMA_PROMPT_GUARD_2_86M: 0.05,
    GroqModel.GPT_OSS_120B: 1.0,
    GroqModel.GPT_OSS_20B: 0.5,
    GroqModel.KIMI_K2_INSTRUCT: 0.6,
    GroqModel.KIMI_K2_INSTRUCT_0905: 0.6,
    GroqModel.QWEN3_32B: 0.5,
    GroqModel.GEMMA2_9B_IT: 0.2,
    GroqModel.DEEPSEEK_R1_DISTILL_LLAMA_70B: 0.7,
    GroqModel.ALLAM_2_7B: 0.1,
    GroqModel.GROQ_COMPOUND: 0.59,
    GroqModel.GROQ_COMPOUND_MINI: 0.05,
    GroqModel.WHISPER_LARGE_V3: 0.111,
    GroqModel.WHISPER_LARGE_V3_TURBO: 0.04,
    GroqModel.PLAYAI_TTS: 0.2,
    GroqModel.PLAYAI_TTS_ARABIC: 0.2,
}

# What ``--reasoning`` accepts: a reasoning_effort level, or "default" for the model's own.
REASONING_CHOICES: tuple[str, ...] = ("low", "medium", "high", "default")


@dataclass(frozen=True)
class Reasoning:
    """How a reasoning model is asked to think: its reasoning tokens are billed as completion
    tokens, and adp throws the reasoning away, so by default it asks for as little as the model
    allows."""

    efforts: tuple[str, ...]  # the reasoning_effort values Groq accepts, the least first
    hide: Mapping[str, Any] = field(default_factory=dict)  # keeps reasoning text out of the reply

    def parameters(self, choice: str | None) -> dict[str, Any]:
        """Request parameters for ``--reasoning choice`` (None: reason as little as possible).

        "default", or a level the model does not have, sends nothing: the model's own default.
        """
        if choice is None and self.efforts:
            effort = self.efforts[0]
        elif choice in self.efforts:
            effort = choice
        else:
            return {}
        return {"reasoning_effort": effort, **({} if effort == "none" else self.hide)}


# Groq's reasoning models. qwen3 switches reasoning off with "none"; gpt-oss cannot, so it gets
# its lowest effort and, since a hidden format still bills the tokens, no reasoning text back.
# deepseek-r1 reasons whatever it is sent (its <think> block is cleaned from the reply).
_GPT_OSS = Reasoning(efforts=("low", "medium", "high"), hide={"include_reasoning": False})
REASONING: dict[str, Reasoning] = {
    GroqModel.QWEN3_32B.value: Reasoning(efforts=("none",)),
    "qwen/qwen3.8-27b": Reasoning(efforts=("none", "low", "medium", "high")),
    GroqModel.GPT_OSS_20B.value: _GPT_OSS,
    GroqModel.GPT_OSS_120B.value: _GPT_OSS,
    GroqModel.DEEPSEEK_R1_DISTILL_LLAMA_70B.value: Reasoning(efforts=()),
}


def reasoning_parameters(model: str, choice: str | None = None) -> dict[str, Any]:
    """What a request to ``model`` adds for ``--reasoning choice``; nothing for a model that
    does not reason."""
    trait = REASONING.get(model)
    return {} if trait is None else trait.parameters(choice)


TOKENS = "1M tokens"
# genai-prices price fields, in order of preference, with the unit each one is per.
_PRICE_FIELDS: list[tuple[str, str, str]] = [
    ("input_mtok", "output_mtok", TOKENS),
    ("input_audio_hours", "audio_hours", "audio hour"),
    ("input_mchars", "output_mchars", "1M characters"),
]


@dataclass(frozen=True)
class Price:
    """What a model costs: USD per ``unit`` for input and for output, and where that came from."""

    input: float
    output: float
    unit: str
    source: str
    batch_factor: float = BATCH_PRICE_FACTOR  # the Batch API's price as a share of this one

    @property
    def estimate(self) -> bool:
        return self.source.startswith("guide")

    @property
    def batch(self) -> Price:
        """What the same model costs through the Batch API (already a batch price: no further discount)."""
        factor = self.batch_factor
        return Price(self.input * factor, self.output * factor, self.unit, f"{self.source}, batch x{factor:g}", 1.0)


def model_id(model: str | GroqModel) -> str:
    """The API id, whether given as a GroqModel or as its string."""
    return model.value if isinstance(model, GroqModel) else model


def category_of(model: str) -> Category:
    """Known non-text models have their own category; everything else generates text."""
    try:
        return _NON_TEXT.get(GroqModel(model), Category.TEXT)
    except ValueError:
        return Category.TEXT


def owner_of(model: str) -> str:
    return next((owner for prefix, owner in _OWNERS.items() if model.startswith(prefix)), "unknown")


def enum_name_of(model: str) -> str:
    try:
        return GroqModel(model).name
    except ValueError:
        return ""


def _genai_price(model: str) -> Price | None:
    """The bundled genai-prices snapshot's price for a Groq model, or None if it has none."""
    import genai_prices
    from genai_prices import data_snapshot

    try:
        _, info = data_snapshot.get_snapshot().find_provider_model(model, None, "groq", None)
    except LookupError:
        return None
    prices = info.prices if not isinstance(info.prices, list) else info.prices[-1].prices
    for input_field, output_field, unit in _PRICE_FIELDS:
        paid_in = getattr(prices, input_field, None)
        paid_out = getattr(prices, output_field, None)
        if paid_in is not None or paid_out is not None:
            return Price(
                input=float(paid_in if paid_in is not None else paid_out),
                output=float(paid_out if paid_out is not None else 0),
                unit=unit,
                source=f"genai-prices {genai_prices.__version__}",
            )
    return None


@cache
def _override_prices(path: str | None) -> dict[str, Price]:
    """Prices from ``ADP_PRICES_FILE``: ``{model: {input, output, unit?, batch?}}`` or ``{model: flat}``."""
    if not path:
        return {}
    try:
        doc = parse_yaml(Path(path).read_text(encoding="utf-8"), f"ADP_PRICES_FILE {path}") or {}
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"ADP_PRICES_FILE {path}: cannot read it: {error}") from None
    except InputError as error:
        raise ConfigError(str(error)) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"ADP_PRICES_FILE {path}: expected a mapping of model id to price")
    overrides: dict[str, Price] = {}
    for model, entry in doc.items():
        try:
            if isinstance(entry, dict):
                paid_in = float(entry.get("input", entry.get("output")))
                paid_out = float(entry.get("output", paid_in))
                unit = entry.get("unit", TOKENS)
                if not isinstance(unit, str):
                    raise TypeError("the unit is not text")
                batch = float(entry.get("batch", BATCH_PRICE_FACTOR))
            else:
                paid_in = paid_out = float(entry)
                unit = TOKENS
                batch = BATCH_PRICE_FACTOR
        except (TypeError, ValueError):
            raise ConfigError(f"ADP_PRICES_FILE {path}: bad price for {quote(model, 80)}: {quote(entry, 80)}") from None
        if not all(math.isfinite(value) and value >= 0 for value in (paid_in, paid_out, batch)):
            raise ConfigError(f"ADP_PRICES_FILE {path}: price for {quote(model, 80)} must be a finite amount >= 0")
        overrides[str(model)] = Price(paid_in, paid_out, unit, "ADP_PRICES_FILE", batch)
    return overrides


def _overrides() -> dict[str, Price]:
    return _override_prices(os.environ.get("ADP_PRICES_FILE"))


def override_price(model: str) -> Price | None:
    """The model's price from ``ADP_PRICES_FILE`` alone: what a model on another server costs
    when the user says so (it is free otherwise)."""
    return _overrides().get(model)


def price_of(model: str) -> Price | None:
    """The price of one model: override file, then genai-prices, then the guide (estimate)."""
    override = _overrides().get(model)
    if override:
        return override
    found = _cached_genai_price(model)
    if found:
        return found
    try:
        flat = GUIDE_PRICES[GroqModel(model)]
    except ValueError:
        return None
    return Price(flat, flat, TOKENS, "guide (estimate)")


def _cached_genai_price(model: str) -> Price | None:
    """genai-prices' answer, remembered in the user cache per genai-prices version: loading its
    snapshot costs ~70 ms, more than a one-shot call can spare."""
    known = _price_cache()
    if model not in known:
        price = _genai_price(model)
        known[model] = None if price is None else asdict(price)
        write_best_effort(_price_cache_file(), json.dumps(known, indent=1).encode("utf-8"))
    entry = known[model]
    return None if entry is None else Price(**entry)


@cache
def _price_cache() -> dict[str, dict[str, Any] | None]:
    try:
        loaded = json.loads(_price_cache_file().read_text(encoding="utf-8"))
        return loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError):
        return {}


@cache
def _price_cache_file() -> Path:
    from importlib.metadata import version

    return cache_dir() / f"groq-prices-genai-{version('genai-prices')}.json"


def known_model_ids() -> list[str]:
    """Every model adp can price: the guide's 21 and any the override file adds."""
    extra = [m for m in _overrides() if m not in GroqModel._value2member_map_]
    return [m.value for m in ALL_GROQ_MODELS] + extra


class _InputPrices(Mapping[str, float]):
    """``GROQ_PRICING[model]``: the input price per 1M tokens, resolved lazily so importing is cheap."""

    def __getitem__(self, model: str) -> float:
        price = price_of(model_id(model))
        if price is None:
            raise KeyError(model)
        return price.input

    def __iter__(self) -> Iterator[str]:
        return iter(known_model_ids())

    def __len__(self) -> int:
        return len(known_model_ids())

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and price_of(model_id(model)) is not None


GROQ_PRICING: Mapping[str, float] = _InputPrices()


def parse_price(text: str) -> tuple[float, float]:
    """``--price IN,OUT`` (USD per 1M tokens); one number prices input and output alike."""
    parts = [part.strip() for part in text.split(",")]
    try:
        prices = [float(part) for part in parts]
    except ValueError:
        prices = []
    if len(prices) not in (1, 2) or not all(math.isfinite(price) and price >= 0 for price in prices):
        raise UsageError(f"--price {text!r}: expected IN,OUT in USD per 1M tokens, e.g. 0.05,0.08")
    return prices[0], prices[-1]


def round_cost(cost: float) -> float:
    """Costs are reported to 7 significant figures, as the guide does."""
    return float(f"{cost:.7g}")


def calculate_cost(total_tokens: int, model: str | GroqModel) -> float:
    """The guide's estimate: every token at the input price, to 7 significant figures."""
    return round_cost(total_tokens / 1_000_000 * GROQ_PRICING[model])


def usage_cost(prompt_tokens: int, completion_tokens: int, model: str | GroqModel, *, batch: bool = False) -> float:
    """What a real call cost: prompt tokens at the input price, completion tokens at the output price
    (through the Batch API with ``batch``)."""
    price = price_of(model_id(model))
    if price is None:
        return 0.0
    return priced(prompt_tokens, completion_tokens, price.batch if batch else price)


def priced(prompt_tokens: int, completion_tokens: int, price: Price) -> float:
    return round_cost((prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000)


def get_random_model(seed: int | None = None, pool: list[GroqModel] | None = None) -> GroqModel:
    """A model from the random pool; a seed makes the pick repeatable across runs."""
    choices = pool if pool is not None else TEXT_GENERATION_MODELS
    return (random.Random(seed) if seed is not None else random).choice(choices)
