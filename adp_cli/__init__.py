"""adp: the Audio Description Protocol as a library, and as the ``adp`` command.

    from adp_cli import WizardData, generate_casual_phrase_groq
    result = generate_casual_phrase_groq(WizardData(genre="Rock", mood=["energetic"]))
    result.phrase, result.cost_usd  # the description, and what the call cost in USD

The names below are the design guide's API. They load on first use, so importing the package
(and so ``adp --help``) pulls in none of pydantic, groq or tiktoken.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("generate_casual_phrase_groq", "generate_phrase_from_structure", "estimate_bpm"), "adp_cli.guide"),
    **dict.fromkeys(("GroqModel", "TEXT_GENERATION_MODELS", "ALL_GROQ_MODELS", "get_random_model"), "adp_cli.accounting.catalog"),
    **dict.fromkeys(("GROQ_PRICING", "calculate_cost"), "adp_cli.accounting.prices"),
    "count_tokens": "adp_cli.accounting.tokens",
    **dict.fromkeys(
        ("WizardData", "Genre", "Instrumentation", "Vocals", "BpmEstimationInput", "build_music_data_string", "build_structured_json"),
        "adp_cli.tasks.wizard",
    ),
    **dict.fromkeys(("GenerationResult", "BpmEstimationResult"), "adp_cli.tasks.results"),
    **dict.fromkeys(
        ("load_casual_prompt_file", "load_phrase_prompt_file", "load_bpm_estimator_prompt"), "adp_cli.tasks.messages"
    ),
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    """Import a guide name's module the first time the name is used, then keep it here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'adp_cli' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
