"""What a model can do, as data the dispatcher reads to build each request: how it reasons and
how far it may write.

A reasoning model bills its thinking as completion tokens and counts it against ``max_tokens``:
with a cap too small the reply is empty (``finish_reason: "length"``) and billed in full. adp
throws the reasoning away, so by default it asks each model for as little as it allows (qwen3.6
switches reasoning off with ``none``; gpt-oss cannot, so it gets ``low`` and no reasoning text
back), and a task's cap is the answer's budget: a reasoning model gets headroom for its
reasoning on top, by the effort it reasons at, within the model's own output limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adp_cli.accounting.catalog import GroqModel

# What ``--reasoning`` accepts: a reasoning_effort level, or "default" for the model's own.
REASONING_CHOICES: tuple[str, ...] = ("low", "medium", "high", "default")

# Tokens of thinking to leave room for, by effort. gpt-oss at low effort spends a few dozen
# tokens before a one-word answer; these bound what each effort may take, since a cap too small
# costs a whole wasted call, and an unused cap costs nothing.
HEADROOM: Mapping[str, int] = {"none": 0, "low": 1024, "medium": 4096, "high": 16384, "default": 4096}
# A reply cut off by its cap is sent once more with this many times the headroom.
RETRY_HEADROOM_FACTOR = 4


@dataclass(frozen=True)
class Reasoning:
    """How a reasoning model is asked to think."""

    efforts: tuple[str, ...]  # the reasoning_effort values Groq accepts, the least first
    default: str  # the effort the model reasons at when sent none
    hide: Mapping[str, Any] = field(default_factory=dict)  # keeps reasoning text out of the reply

    def effort(self, choice: str | None) -> str | None:
        """The effort to send for ``--reasoning choice`` (None: as little as possible); None to
        send nothing, for "default" or a level the model does not have."""
        if choice is None and self.efforts:
            return self.efforts[0]
        return choice if choice != "default" and choice in self.efforts else None

    def parameters(self, choice: str | None) -> dict[str, Any]:
        effort = self.effort(choice)
        if effort is None:
            return {}
        return {"reasoning_effort": effort, **({} if effort == "none" else self.hide)}

    def headroom(self, choice: str | None) -> int:
        return HEADROOM.get(self.effort(choice) or self.default, HEADROOM["default"])


_GPT_OSS = Reasoning(efforts=("low", "medium", "high"), default="medium", hide={"include_reasoning": False})
REASONING: dict[str, Reasoning] = {
    GroqModel.GPT_OSS_20B.value: _GPT_OSS,
    GroqModel.GPT_OSS_120B.value: _GPT_OSS,
    GroqModel.GPT_OSS_SAFEGUARD_20B.value: _GPT_OSS,
    GroqModel.QWEN3_6_27B.value: Reasoning(efforts=("none", "default"), default="default"),
    "qwen/qwen3.8-27b": Reasoning(efforts=("none", "low", "medium", "high"), default="medium"),
    # Retired, kept for enterprise plans that still serve them.
    GroqModel.QWEN3_32B.value: Reasoning(efforts=("none",), default="default"),
    GroqModel.DEEPSEEK_R1_DISTILL_LLAMA_70B.value: Reasoning(efforts=(), default="default"),
}

# The most a model writes in one reply (its max_output_length), when the server's list does not
# say: Groq's models page.
MAX_OUTPUT: dict[str, int] = {
    GroqModel.GPT_OSS_20B.value: 65536,
    GroqModel.GPT_OSS_120B.value: 65536,
    GroqModel.GPT_OSS_SAFEGUARD_20B.value: 65536,
    GroqModel.QWEN3_6_27B.value: 16384,
    GroqModel.ALLAM_2_7B.value: 4096,
}


def reasoning_parameters(model: str, choice: str | None = None) -> dict[str, Any]:
    """What a request to ``model`` adds for ``--reasoning choice``; nothing for a model that
    does not reason."""
    trait = REASONING.get(model)
    return {} if trait is None else trait.parameters(choice)


def token_cap(model: str, answer: int, choice: str | None, *, max_output: int | None = None, retry: bool = False) -> int:
    """``max_tokens`` for a request to ``model`` whose answer needs ``answer`` tokens: the answer,
    plus the reasoning's headroom (``RETRY_HEADROOM_FACTOR`` times it for the one retry of a
    reply the cap cut off), within the model's output limit."""
    trait = REASONING.get(model)
    headroom = 0 if trait is None else trait.headroom(choice)
    if retry:
        headroom = max(headroom * RETRY_HEADROOM_FACTOR, answer)
    limit = max_output or MAX_OUTPUT.get(model)
    total = answer + headroom
    return min(total, limit) if limit else total
