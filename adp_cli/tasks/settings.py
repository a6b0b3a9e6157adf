"""The user's choices for a generation run, apart from which provider answers (kept light: the
commands that list models open a provider without loading the generation core)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adp_cli.accounting.capabilities import REASONING_CHOICES
from adp_cli.errors import UsageError
from adp_cli.scales import POETIC_LEVEL_DEFAULT


@dataclass(frozen=True)
class Settings:
    """The user's choices for a run; ``model=None`` means the task's model or a random pick."""

    model: str | None = None
    seed: int | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    poetic_level: int = POETIC_LEVEL_DEFAULT
    prompts_dir: Path | None = None
    reasoning: str | None = None  # None: reasoning models reason as little as they allow

    def __post_init__(self) -> None:
        if self.reasoning is not None and self.reasoning not in REASONING_CHOICES:
            raise UsageError(f"reasoning {self.reasoning!r}: choose one of {', '.join(REASONING_CHOICES)}")
