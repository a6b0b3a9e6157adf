"""The Groq models adp knows, as data: their ids, categories and owners, the random pool, the
guide's flat prices, and what each model can do (how it reasons, whether the Batch API runs it).
What a model costs is ``prices``; nothing here imports more than the standard library."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any



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
