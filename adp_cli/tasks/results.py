"""What a generation returns: its answer plus what the call consumed and cost, in one shape
whatever the provider, so a phrase, a BPM and a batch line all carry the same usage fields."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from adp_cli.accounting.prices import round_cost

_R = TypeVar("_R", bound="Answer")


@dataclass(frozen=True)
class Usage:
    """What a call consumed and cost (``tokens_used``, ``cost_usd``, ``provider`` and ``model`` are
    the guide's fields; the token split and latency are adp's)."""

    tokens_used: int
    cost_usd: float | None  # None: no price is known for the model
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int
    cached_tokens: int = 0  # of the prompt tokens, those the server's prompt cache served
    reasoning_tokens: int = 0  # of the completion tokens, those spent reasoning
    cached: bool = False  # answered from the generation log (--cache): nothing was sent

    def usage_fields(self) -> dict[str, Any]:
        """The usage part alone, in the order JSON output shows it; ``cached`` only when true."""
        shown = {field.name: getattr(self, field.name) for field in fields(Usage)}
        if not self.cached:
            del shown["cached"]
        return shown

    def plus(self, other: Usage) -> Usage:
        """Two calls for one answer (a retry of a reply the cap cut off): what both consumed."""
        cost = None if self.cost_usd is None or other.cost_usd is None else round_cost(self.cost_usd + other.cost_usd)
        return Usage(
            tokens_used=self.tokens_used + other.tokens_used,
            cost_usd=cost,
            provider=other.provider,
            model=other.model,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            latency_ms=self.latency_ms + other.latency_ms,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
        )


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

    @property
    def shown(self) -> list[str]:
        """The answer as plain text prints it, a line each."""
        return [str(self.answer)]

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


@dataclass(frozen=True)
class CheckedResult(GenerationResult):
    """A phrase with what adp found of it (``--check``), its other captions (``--variants``) and
    how many requests it took (``--regenerate``); usage is the sum over every request made."""

    check: dict[str, Any] | None = None
    variants: list[dict[str, Any]] | None = None
    attempts: int | None = None

    @property
    def shown(self) -> list[str]:
        """Every caption of ``--variants``, first to last, as the phrase alone would be."""
        return [str(variant["phrase"]) for variant in self.variants] if self.variants else super().shown

    def to_json(self) -> dict[str, Any]:
        extras = {name: value for name in ("check", "variants", "attempts") if (value := getattr(self, name)) is not None}
        return {**super().to_json(), **extras}
