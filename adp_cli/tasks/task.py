"""A ``Task`` owns everything that differs between one generation and another.

A task knows how to turn a document into its item, how to build the messages, its prompt-token
limit and sampling parameters, how to clean and check a reply, what result it returns, and
what the offline templates answer. Everything else (preparing, sending, batching, accounting)
is shared and never asks which task it runs. Each task lives in its own module (``casual``,
``structure``, ``bpm``) and is listed in ``registry``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adp_cli.errors import BadReplyError
from adp_cli.tasks.items import Flags
from adp_cli.tasks.messages import Messages
from adp_cli.tasks.results import Answer, Usage
from adp_cli.tasks.settings import Settings


@dataclass(frozen=True)
class Task:
    """What distinguishes one generation from another."""

    name: str
    item_type: type  # what ``parse`` makes (WizardData, BpmEstimationInput, ...)
    parse: Callable[[Any, Flags], Any]  # a document plus the field flags -> a validated item
    messages: Callable[[Any, Settings], Messages]
    limit: int | None  # o200k prompt tokens, checked before anything is sent
    temperature: float
    max_tokens: int  # the answer's budget (a reasoning model gets headroom on top)
    clean: Callable[[str], Any]  # the reply -> the answer, or BadReplyError
    result: type[Answer]
    template: Callable[[Any, Settings], Any]  # the offline provider's answer
    model: str | None = None  # a fixed model instead of a random pick

    def answered(self, value: Any, usage: Usage) -> Answer:
        return self.result.answered(usage, value)

    def finish(self, reply: str, usage: Usage) -> Answer:
        """A model's reply cleaned and checked the task's way, with what the call cost. A reply
        holding a lone surrogate (JSON allows ``"\\ud800"``) has no UTF-8 form to show or write."""
        try:
            reply.encode("utf-8")
        except UnicodeEncodeError:
            raise BadReplyError("the reply is not valid Unicode text (it holds a lone surrogate)") from None
        return self.answered(self.clean(reply), usage)
