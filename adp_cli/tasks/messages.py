"""The three prompts: where their files live and how each request's messages are assembled.

The message formats are the guide's, so that a prompt measured here is the prompt Groq sees.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from adp_cli.errors import ConfigError
from adp_cli.scales import POETIC_LEVEL_DEFAULT, poetic_band
from adp_cli.tasks.wizard import (
    BpmEstimationInput,
    WizardData,
    build_music_data_string,
    build_structured_json,
)

CASUAL_PROMPT = "casual-phrase-generator-prompt.md"
PHRASE_PROMPT = "phrase-prompt.md"
BPM_PROMPT = "bpm-estimator-prompt.md"

Messages = list[dict[str, str]]

# The guide's five style instructions, one per poetic band of ``scales`` (very poetic .. very factual).
STYLE_INSTRUCTIONS: tuple[str, ...] = (
    (
        "\n\n**IMPORTANT STYLE INSTRUCTION:** Be EXTREMELY poetic, flowery, and metaphorical. "
        "Use vivid imagery, creative comparisons, and evocative language. Prioritize emotional "
        "impact and artistic expression over technical accuracy. Paint a picture with words, "
        "but still make it clearly about music, with at least 1 musical term"
    ),
    (
        "\n\n**IMPORTANT STYLE INSTRUCTION:** Be quite poetic and descriptive. Use metaphors, "
        "imagery, and colorful language. Balance artistic expression with some musical references, "
        "with at least 1 musical term."
    ),
    (
        "\n\n**IMPORTANT STYLE INSTRUCTION:** Balance poetic description with musical terminology. "
        "Mix creative language with accurate music, instrument and genre references, with at least "
        "1 musical term"
    ),
    (
        "\n\n**IMPORTANT STYLE INSTRUCTION:** Be precise and musical. Use proper instrument names, "
        "genre terms, and technical vocabulary. Include specific musical characteristics while "
        "keeping it accessible."
    ),
    (
        "\n\n**IMPORTANT STYLE INSTRUCTION:** Be EXTREMELY factual, precise, and technical. "
        "Use specific instrument names, exact musical terms, genre classifications, and production "
        "techniques. Prioritize accuracy and clarity. Describe using realistic musical and instrument "
        "terminology as logical and precise as possible."
    ),
)


def prompts_dir(override: Path | None = None) -> Path:
    """``--prompts-dir``, then ``ADP_PROMPTS_DIR``, then the copies shipped inside the package."""
    if override is not None:
        return override
    if env := os.environ.get("ADP_PROMPTS_DIR"):
        return Path(env)
    return _shipped_prompts_dir()


@cache
def _shipped_prompts_dir() -> Path:
    """Looked up once: importlib.resources costs more than building a whole item's messages, and
    a batch asks for every item."""
    from importlib.resources import files

    return Path(str(files("adp_cli.prompt_files")))


@cache
def _read(folder: Path, name: str) -> str:
    path = folder / name
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read prompt file {path}: {error}") from error


def style_instruction(poetic_level: int) -> str:
    """The instruction of the level's band; outside 1-100 is a caller bug (``ValueError``)."""
    return STYLE_INSTRUCTIONS[poetic_band(poetic_level)]


def load_casual_prompt_file(poetic_level: int = POETIC_LEVEL_DEFAULT, folder: Path | None = None) -> str:
    """The casual prompt with the style instruction for the poetic level's band."""
    return _read(prompts_dir(folder), CASUAL_PROMPT) + style_instruction(poetic_level)


def load_phrase_prompt_file(folder: Path | None = None) -> str:
    return _read(prompts_dir(folder), PHRASE_PROMPT)


def load_bpm_estimator_prompt(folder: Path | None = None) -> str:
    return _read(prompts_dir(folder), BPM_PROMPT).strip()


def casual_messages(wizard: WizardData, poetic_level: int = POETIC_LEVEL_DEFAULT, folder: Path | None = None) -> Messages:
    prompt = f"{load_casual_prompt_file(poetic_level, folder)}\n\nMusic Data: {build_music_data_string(wizard)}"
    return [{"role": "user", "content": prompt}]


def structure_messages(wizard: WizardData, folder: Path | None = None) -> Messages:
    prompt = (
        f"{load_phrase_prompt_file(folder)}\n\nPlease generate a phrase for the following structured data:"
        f"\n\n{build_structured_json(wizard)}"
    )
    return [{"role": "user", "content": prompt}]


def _listed(values: list[str] | None) -> str:
    return ", ".join(values) if values else "None"


def bpm_messages(item: BpmEstimationInput, folder: Path | None = None) -> Messages:
    """System: the estimator prompt; user: the guide's template of phrases and structured terms."""
    user_message = f"""
Input Phrase: "{item.input_phrase}"

Standardized Phrase: "{item.standardized_phrase}"

Structured Terms:
- Genre: {item.genre or 'None'}
- Subgenres: {_listed(item.subgenres)}
- Mood: {_listed(item.mood)}
- Energy: {_listed(item.energy)}
- Texture: {_listed(item.texture)}

Provide only the BPM as a single integer.
""".strip()
    return [
        {"role": "system", "content": load_bpm_estimator_prompt(folder)},
        {"role": "user", "content": user_message},
    ]
