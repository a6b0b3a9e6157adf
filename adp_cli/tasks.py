"""The three generations, each a ``Task`` that owns everything that differs between them.

A task knows how to turn a document into its item, how to build the messages, its prompt-token
limit and sampling parameters, how to clean and check a reply, what result it returns, and
what the offline templates answer. Everything else (preparing, sending, batching, accounting)
is shared and never asks which task it runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adp_cli.accounting.catalog import BPM_MODEL
from adp_cli.errors import BadReplyError
from adp_cli.items import Flags, bpm_item, wizard_item
from adp_cli.messages import Messages, bpm_messages, casual_messages, structure_messages
from adp_cli.results import Answer, BpmEstimationResult, GenerationResult, Usage
from adp_cli.scales import BPM_MAX, BPM_MIN
from adp_cli.settings import Settings
from adp_cli.text import quote
from adp_cli.wizard import BpmEstimationInput, WizardData

Item = WizardData | BpmEstimationInput


_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_UNCLOSED_THINK = re.compile(r"^\s*<think>.*", re.DOTALL | re.IGNORECASE)
_LIST_PREFIX = re.compile(r"^\d{1,3}[.)]\s+")
_WRAPPING_QUOTES = [('"', '"'), ("'", "'"), ("\u201c", "\u201d"), ("\u2018", "\u2019"), ("`", "`")]
_BPM_REPLY = re.compile(r"^([0-9]{1,3})(?:\s*bpm)?\s*[.!]?$", re.IGNORECASE)


def strip_reasoning(reply: str) -> str:
    """Drop ``<think>`` blocks, and an unclosed one that opens the reply (all of it is reasoning)."""
    return _UNCLOSED_THINK.sub("", _THINK_BLOCK.sub("", reply)).strip()


def clean_casual(reply: str) -> str:
    """Drop a list marker such as ``1. `` or ``2) `` only: ``808 drums`` keeps its 808."""
    return _LIST_PREFIX.sub("", strip_reasoning(reply), count=1).strip()


def clean_structure(reply: str) -> str:
    """Drop quotes only when they wrap the whole phrase, so a closing quote inside it survives."""
    phrase = strip_reasoning(reply)
    for opening, closing in _WRAPPING_QUOTES:
        if len(phrase) >= 2 and phrase.startswith(opening) and phrase.endswith(closing):
            return phrase[len(opening) : -len(closing)].strip()
    return phrase


def parse_bpm(reply: str) -> int:
    """``128``, ``128 BPM`` and ``128.`` are 128; anything else, or outside the range, is an error."""
    text = strip_reasoning(reply)
    match = _BPM_REPLY.match(text)
    if not match or not BPM_MIN <= int(match.group(1)) <= BPM_MAX:
        raise BadReplyError(f"Invalid BPM returned: {quote(reply.strip())}. Expected integer between {BPM_MIN}-{BPM_MAX}.")
    return int(match.group(1))


def _phrase(text: str) -> str:
    """A phrase task's answer; an empty one was paid for but says nothing, so it is an error."""
    if not text:
        raise BadReplyError("the model returned no phrase (the reply was empty after clean-up)")
    return text


def _casual_phrase(reply: str) -> str:
    return _phrase(clean_casual(reply))


def _structure_phrase(reply: str) -> str:
    return _phrase(clean_structure(reply))


@dataclass(frozen=True)
class Task:
    """What distinguishes one generation from another."""

    name: str
    item_type: type[WizardData] | type[BpmEstimationInput]
    parse: Callable[[Any, Flags], Item]  # a document plus the field flags -> a validated item
    messages: Callable[[Any, Settings], Messages]
    limit: int | None  # o200k prompt tokens, checked before anything is sent
    temperature: float
    max_tokens: int
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


def _casual_messages(item: WizardData, settings: Settings) -> Messages:
    return casual_messages(item, settings.poetic_level, settings.prompts_dir)


def _structure_messages(item: WizardData, settings: Settings) -> Messages:
    return structure_messages(item, settings.prompts_dir)


def _bpm_messages(item: BpmEstimationInput, settings: Settings) -> Messages:
    return bpm_messages(item, settings.prompts_dir)


# The template engine is imported by the templates alone: a Groq one-shot never needs it, and it
# costs ~7 ms of the ~380 ms (bench/oneshot.py).


def _casual_template(item: WizardData, settings: Settings) -> str:
    from adp_cli import offline

    return offline.describe(item, offline.register_for_poetic_level(settings.poetic_level))


def _structure_template(item: WizardData, settings: Settings) -> str:
    from adp_cli import offline

    return offline.describe(item, offline.Register.PROFESSIONAL)


def _bpm_template(item: BpmEstimationInput, settings: Settings) -> int:
    from adp_cli import offline

    return offline.estimate_bpm(item)


CASUAL = Task(
    "casual", WizardData, wizard_item, _casual_messages, limit=900, temperature=0.1, max_tokens=3500,
    clean=_casual_phrase, result=GenerationResult, template=_casual_template,
)
STRUCTURE = Task(
    "structure", WizardData, wizard_item, _structure_messages, limit=2000, temperature=0.7, max_tokens=3500,
    clean=_structure_phrase, result=GenerationResult, template=_structure_template,
)
BPM = Task(
    "bpm", BpmEstimationInput, bpm_item, _bpm_messages, limit=None, temperature=0.3, max_tokens=10,
    clean=parse_bpm, result=BpmEstimationResult, template=_bpm_template, model=BPM_MODEL.value,
)
TASKS = {task.name: task for task in (CASUAL, STRUCTURE, BPM)}
