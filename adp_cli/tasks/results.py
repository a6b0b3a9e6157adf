"""What a generation returns: its answer plus what the call consumed and cost, in one shape
whatever the provider, so a phrase, a BPM and a batch line all carry the same usage fields."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

_R = TypeVar("_R", bound="Answer")


@dataclass(frozen=True)
class Usage:
    """What a call consumed and cost (``tokens_used``, ``cost_usd``, ``provider`` and ``model`` are
    the guide's fields; the token split and latency are adp's)."""

    tokens_used: int
    cost_usd: float
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int

    def usage_fields(self) -> dict[str, Any]:
        """The usage part alone, in the order JSON output shows it."""
        return {field.name: getattr(self, field.name) for field in fields(Usage)}


@dataclass(frozen=True)
class Answer(Usage):
    """A usage plus the one value the task asked for; subclasses name that value's field."""

    ANSWER_FIELD: ClassVar[str]

    @classmethod
    def answered(cls: type[_R], usage: Usage, value: Any) -> _R:
        return cls(**usage.usage_fields(), **{cls.ANSWER_FIELD: value})

    @property
    def answer(self) -> Any:
        return getattr(self, self.ANSWER_FIELD)

    def to_json(self) -> dict[str, Any]:
        """The answer first, then the usage: the shape of ``--json`` and of every batch line."""
        return {self.ANSWER_FIELD: self.answer, **self.usage_fields()}


@dataclass(frozen=True)
class GenerationResult(Answer):
    """A phrase from ``casual`` or ``structure``."""

    ANSWER_FIELD: ClassVar[str] = "phrase"
    phrase: str = ""


@dataclass(frozen=True)
class BpmEstimationResult(Answer):
    """A tempo from ``bpm``."""

    ANSWER_FIELD: ClassVar[str] = "bpm"
    bpm: int = 0


Result = GenerationResult | BpmEstimationResult
