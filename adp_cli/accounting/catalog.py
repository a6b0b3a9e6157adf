"""The Groq models adp knows, as data: their ids, categories and owners, where each stands in
Groq's lifecycle (production, preview, retired, with the date and Groq's replacement), the random
pool, and the guide's flat prices. What a model can do (reasoning, output limits) is
``capabilities``; what it costs is ``prices``. Nothing here imports more than the standard
library, so shell completion can read it.

Groq retired most of the guide's models (its deprecations page; the last two on 2026-08-16):
requests to them answer 404 ``model_not_found`` on free and developer plans, while enterprise
plans with committed spend keep them, so a model the user names is always sent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum


class GroqModel(str, Enum):
    """The guide's 21 Groq model ids (API snapshot of 2025-10-02), then the ones Groq serves in
    their place today."""

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
    # Served today in place of retired ones.
    GPT_OSS_SAFEGUARD_20B = "openai/gpt-oss-safeguard-20b"
    QWEN3_6_27B = "qwen/qwen3.6-27b"


class Status(str, Enum):
    PRODUCTION = "production"
    PREVIEW = "preview"  # evaluation only: Groq may change or retire it at short notice
    RETIRED = "retired"


@dataclass(frozen=True)
class Lifecycle:
    """Where a model stands at Groq; ``replacements`` are Groq's named ones, the first being the
    one adp moves to (``named`` is False when Groq named none and the first is only the closest
    model it serves)."""

    status: Status
    retired_on: str | None = None  # an ISO date, or as precise as Groq said ("2025-10")
    replacements: tuple[str, ...] = ()
    named: bool = True

    @property
    def replacement(self) -> str | None:
        return self.replacements[0] if self.replacements else None


_OSS_20B, _OSS_120B, _QWEN36 = GroqModel.GPT_OSS_20B.value, GroqModel.GPT_OSS_120B.value, GroqModel.QWEN3_6_27B.value

# Groq's deprecations and models pages, as of 2026-12-01. A model not listed is in production.
LIFECYCLE: dict[str, Lifecycle] = {
    GroqModel.GEMMA2_9B_IT.value: Lifecycle(Status.RETIRED, "2025-10", (_OSS_20B,)),
    GroqModel.DEEPSEEK_R1_DISTILL_LLAMA_70B.value: Lifecycle(Status.RETIRED, "2025-10-02", (_OSS_120B,)),
    GroqModel.LLAMA_GUARD_4_12B.value: Lifecycle(Status.RETIRED, "early 2026", (GroqModel.GPT_OSS_SAFEGUARD_20B.value,)),
    GroqModel.LLAMA_4_MAVERICK_17B.value: Lifecycle(Status.RETIRED, "2026-03-09", (_OSS_120B,)),
    GroqModel.KIMI_K2_INSTRUCT.value: Lifecycle(Status.RETIRED, "2026-04-15", (_OSS_120B,), named=False),
    GroqModel.KIMI_K2_INSTRUCT_0905.value: Lifecycle(Status.RETIRED, "2026-04-15", (_OSS_120B,), named=False),
    GroqModel.QWEN3_32B.value: Lifecycle(Status.RETIRED, "2026-07-17", (_OSS_120B,)),
    GroqModel.LLAMA_4_SCOUT_17B.value: Lifecycle(Status.RETIRED, "2026-07-17", (_OSS_120B, _QWEN36)),
    GroqModel.LLAMA_3_3_70B_VERSATILE.value: Lifecycle(Status.RETIRED, "2026-08-16", (_OSS_120B, _QWEN36)),
    GroqModel.LLAMA_3_1_8B_INSTANT.value: Lifecycle(Status.RETIRED, "2026-08-16", (_OSS_20B,)),
    # Speech: Canopy Labs' Orpheus voices replaced PlayAI's.
    GroqModel.PLAYAI_TTS.value: Lifecycle(Status.RETIRED, "2025-12-23", ("canopylabs/orpheus-v1-english",)),
    GroqModel.PLAYAI_TTS_ARABIC.value: Lifecycle(Status.RETIRED, "2025-12-23", ("canopylabs/orpheus-arabic-saudi",)),
    _QWEN36: Lifecycle(Status.PREVIEW),
}
_IN_PRODUCTION = Lifecycle(Status.PRODUCTION)


def lifecycle_of(model: str) -> Lifecycle:
    return LIFECYCLE.get(model, _IN_PRODUCTION)


def today(model: str) -> str:
    """The model Groq serves for ``model`` now: itself, or its replacement (followed through a
    chain of retirements)."""
    seen = {model}
    while (moved := lifecycle_of(model)).status is Status.RETIRED and moved.replacement and moved.replacement not in seen:
        model = moved.replacement
        seen.add(model)
    return model


# The guide's seven text models; the random pool is these as Groq serves them today.
GUIDE_TEXT_GENERATION_MODELS: tuple[GroqModel, ...] = (
    GroqModel.LLAMA_3_1_8B_INSTANT,
    GroqModel.LLAMA_3_3_70B_VERSATILE,
    GroqModel.LLAMA_4_SCOUT_17B,
    GroqModel.LLAMA_4_MAVERICK_17B,
    GroqModel.GPT_OSS_20B,
    GroqModel.GEMMA2_9B_IT,
    GroqModel.ALLAM_2_7B,
)

# Each guide model replaced by Groq's first-named replacement, without duplicates: gpt-oss-20b
# (for llama-3.1-8b-instant, gpt-oss-20b itself and gemma2-9b-it), gpt-oss-120b (for
# llama-3.3-70b-versatile, Scout and Maverick), allam-2-7b. Scout's and llama-3.3's second
# replacement, qwen3.6-27b, is a preview model at four times gpt-oss-120b's price: a user names it.
TEXT_GENERATION_MODELS: list[GroqModel] = list(dict.fromkeys(GroqModel(today(model.value)) for model in GUIDE_TEXT_GENERATION_MODELS))

ALL_GROQ_MODELS: list[GroqModel] = list(GroqModel)

# Groq's replacement for the guide's BPM model, llama-3.3-70b-versatile.
BPM_MODEL = GroqModel(today(GroqModel.LLAMA_3_3_70B_VERSATILE.value))

# The chat models Groq's Batch API runs (console.groq.com/docs/batch); a random pick for a batch
# job comes from these, and a named model outside them is sent with a warning.
BATCH_MODELS: frozenset[str] = frozenset({_OSS_20B, _OSS_120B, _QWEN36, GroqModel.GPT_OSS_SAFEGUARD_20B.value})

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
    GroqModel.GPT_OSS_SAFEGUARD_20B: Category.GUARD,
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


def get_random_model(seed: int | None = None, pool: list[GroqModel] | None = None) -> GroqModel:
    """A model from the random pool; a seed makes the pick repeatable across runs."""
    choices = pool if pool is not None else TEXT_GENERATION_MODELS
    return (random.Random(seed) if seed is not None else random).choice(choices)
