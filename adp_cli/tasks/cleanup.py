"""Turning a model's reply into a task's answer: what every reply loses (reasoning), and what
each task's reply may carry around its answer (a list marker, wrapping quotes, ``BPM``)."""

from __future__ import annotations

import re

from adp_cli.errors import BadReplyError
from adp_cli.scales import BPM_MAX, BPM_MIN
from adp_cli.text import quote

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


def phrase(text: str) -> str:
    """A phrase task's answer; an empty one was paid for but says nothing, so it is an error."""
    if not text:
        raise BadReplyError("the model returned no phrase (the reply was empty after clean-up)")
    return text
