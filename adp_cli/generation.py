"""The one request path shared by casual, structure and bpm.

Each generation is a ``Task``: how to build its messages, its prompt-token limit, its sampling
parameters and how to clean the reply. ``prepare`` does everything that needs no network
(messages, exact token count, limit check, candidate models) so ``--dry-run`` and batches share
it; ``generate`` sends the prepared request with the Groq or the offline provider.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adp_cli import catalog
from adp_cli.catalog import BPM_MODEL, TEXT_GENERATION_MODELS
from adp_cli.client import ClientSettings, Completion, RateGate, complete, make_client
from adp_cli.errors import (
    BadReplyError,
    GenerationError,
    ModelUnavailableError,
    TokenLimitError,
)
from adp_cli.prompts import Messages, bpm_messages, casual_messages, structure_messages
from adp_cli.scales import BPM_MAX, BPM_MIN
from adp_cli.tokens import count_tokens
from adp_cli.wizard import (
    BpmEstimationInput,
    BpmEstimationResult,
    GenerationResult,
    Usage,
    WizardData,
    bpm_input_from_wizard,
)

if TYPE_CHECKING:
    import groq

    from adp_cli.ledger import Tab

log = logging.getLogger("adp")

Item = WizardData | BpmEstimationInput
Result = GenerationResult | BpmEstimationResult

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
    phrase = strip_reasoning(reply)
    for opening, closing in _WRAPPING_QUOTES:
        if len(phrase) >= 2 and phrase.startswith(opening) and phrase.endswith(closing):
            return phrase[len(opening) : -len(closing)].strip()
    return phrase


def parse_bpm(reply: str) -> int:
    """``128``, ``128 BPM`` and ``128.`` are 128; anything else, or a tempo outside BPM_MIN-BPM_MAX, is an error."""
    text = strip_reasoning(reply)
    match = _BPM_REPLY.match(text)
    if not match or not BPM_MIN <= int(match.group(1)) <= BPM_MAX:
        raise BadReplyError(f"Invalid BPM returned: {reply.strip()!r}. Expected integer between {BPM_MIN}-{BPM_MAX}.")
    return int(match.group(1))


@dataclass(frozen=True)
class Task:
    """What distinguishes one generation from another; everything else is shared."""

    name: str
    limit: int | None
    temperature: float
    max_tokens: int
    clean: Callable[[str], Any]
    fixed_model: str | None = None


CASUAL = Task("casual", limit=900, temperature=0.1, max_tokens=3500, clean=clean_casual)
STRUCTURE = Task("structure", limit=2000, temperature=0.7, max_tokens=3500, clean=clean_structure)
BPM = Task("bpm", limit=None, temperature=0.3, max_tokens=10, clean=parse_bpm, fixed_model=BPM_MODEL.value)
TASKS = {task.name: task for task in (CASUAL, STRUCTURE, BPM)}


@dataclass(frozen=True)
class Options:
    """The user's choices for a run; ``model=None`` means a random pick from the pool."""

    provider: str = "groq"
    model: str | None = None
    seed: int | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    poetic_level: int = 50
    prompts_dir: Path | None = None
    client: ClientSettings = field(default_factory=ClientSettings)


@dataclass(frozen=True)
class Prepared:
    """A request ready to send: exact messages, the models it may go to, and (when asked) their
    o200k count."""

    task: Task
    item: Item
    messages: Messages
    candidates: list[str]
    temperature: float
    max_tokens: int

    @property
    def prompt_text(self) -> str:
        return "".join(message["content"] for message in self.messages)

    @cached_property
    def prompt_tokens(self) -> int:
        return count_tokens(self.prompt_text)

    @property
    def over_limit(self) -> bool:
        """Exact, but counts only when it must: every o200k token covers at least one UTF-8 byte,
        so a prompt of at most ``limit`` bytes cannot be over the limit."""
        limit = self.task.limit
        if limit is None or len(self.prompt_text.encode("utf-8", "surrogatepass")) <= limit:
            return False
        return self.prompt_tokens > limit


def build_messages(task: Task, item: Item, options: Options) -> Messages:
    if task is BPM:
        question = item if isinstance(item, BpmEstimationInput) else bpm_input_from_wizard(item)
        return bpm_messages(question, options.prompts_dir)
    if not isinstance(item, WizardData):
        raise TypeError(f"{task.name} needs wizard data")
    if task is CASUAL:
        return casual_messages(item, options.poetic_level, options.prompts_dir)
    return structure_messages(item, options.prompts_dir)


def prepare(task: Task, item: Item, options: Options, *, enforce_limit: bool = True) -> Prepared:
    """Build and measure a request; over the limit raises before anything could be sent."""
    messages = build_messages(task, item, options)
    prepared = Prepared(
        task=task,
        item=item,
        messages=messages,
        candidates=_candidates(task, options),
        temperature=task.temperature if options.temperature is None else options.temperature,
        max_tokens=task.max_tokens if options.max_tokens is None else options.max_tokens,
    )
    if enforce_limit and prepared.over_limit:
        raise TokenLimitError(prepared.prompt_tokens, task.limit or 0)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s prompt: %d o200k tokens; preview: %.200s", task.name, prepared.prompt_tokens, messages[-1]["content"])
    return prepared


def _candidates(task: Task, options: Options) -> list[str]:
    if options.model:
        return [options.model]
    if task.fixed_model:
        return [task.fixed_model]
    return [model.value for model in TEXT_GENERATION_MODELS]


@dataclass
class GroqSession:
    """A client plus the random-pick state, shared by every request of one run (and its workers)."""

    options: Options
    gate: RateGate | None = None
    _client: groq.Groq | None = None
    _rng: random.Random = field(init=False)
    _gone: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.options.seed)

    def connect(self) -> groq.Groq:
        """The client, made on first use: a missing key fails here, before any request."""
        if self._client is None:
            self._client = make_client(self.options.client, self.gate)
        return self._client

    def pick(self, prepared: Prepared) -> tuple[str, bool]:
        """The model to try next and whether it was picked at random (and may be replaced)."""
        if len(prepared.candidates) == 1:
            return prepared.candidates[0], False
        pool = [model for model in prepared.candidates if model not in self._gone]
        if not pool:
            raise GenerationError("no model in the random pool is available; see `adp models --live`")
        return self._rng.choice(pool), True

    def send(self, prepared: Prepared) -> Completion:
        """Send, replacing a randomly picked model that Groq no longer serves."""
        while True:
            model, at_random = self.pick(prepared)
            log.info("model: %s%s", model, " (random pick)" if at_random else "")
            try:
                reply = complete(self.connect(), model, prepared.messages, prepared.temperature, prepared.max_tokens)
            except ModelUnavailableError as error:
                if not at_random:
                    raise ModelUnavailableError(f"{error}; run `adp models --live` to see the models Groq serves") from None
                log.warning("%s; picking another model", error)
                self._gone.add(model)
                continue
            log.debug("raw reply: %r", reply.content)
            return reply


def _result(task: Task, value: Any, usage: Usage) -> Result:
    if task is BPM:
        return BpmEstimationResult(**vars(usage), bpm=value)
    if not value:
        raise BadReplyError(f"the model returned no phrase (reply was empty after clean-up) [{usage.model}]")
    return GenerationResult(**vars(usage), phrase=value)


def generate_with_groq(prepared: Prepared, session: GroqSession, tab: Tab | None = None) -> Result:
    """Send a prepared request to Groq; its usage is priced input and output apart and recorded
    before the reply is judged, since an unusable reply was paid for all the same."""
    from adp_cli.ledger import Tab

    tab = tab or Tab()
    tab.check()
    reply = session.send(prepared)
    if catalog.price_of(reply.model) is None:
        log.warning("no price known for %s; its cost is reported as 0", reply.model)
    usage = Usage(
        tokens_used=reply.prompt_tokens + reply.completion_tokens,
        cost_usd=catalog.usage_cost(reply.prompt_tokens, reply.completion_tokens, reply.model),
        provider="groq",
        model=reply.model,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        latency_ms=reply.latency_ms,
    )
    tab.add(usage.model, usage.prompt_tokens, usage.completion_tokens, usage.cost_usd)
    return _result(prepared.task, prepared.task.clean(reply.content), usage)


def generate_offline(prepared: Prepared, options: Options) -> Result:
    """The template provider: no network, no key, no cost, same result shape."""
    from adp_cli import offline

    item = prepared.item
    usage = Usage(0, 0.0, "offline", offline.OFFLINE_MODEL, 0, 0, 0)
    if prepared.task is BPM:
        question = item if isinstance(item, BpmEstimationInput) else bpm_input_from_wizard(item)
        return _result(BPM, offline.estimate_bpm(question), usage)
    assert isinstance(item, WizardData)
    register = (
        offline.register_for_poetic_level(options.poetic_level)
        if prepared.task is CASUAL
        else offline.Register.PROFESSIONAL
    )
    return _result(prepared.task, offline.describe(item, register), usage)


def generate(
    task: Task, item: Item, options: Options, session: GroqSession | None = None, tab: Tab | None = None
) -> Result:
    """Prepare and run one generation with the chosen provider (the core's single entry point);
    a batch passes its shared session and tab."""
    prepared = prepare(task, item, options)
    if options.provider == "offline":
        return generate_offline(prepared, options)
    return generate_with_groq(prepared, session or GroqSession(options), tab)


def generate_casual_phrase_groq(
    wizard_data: WizardData, model: str | None = None, poetic_level: int = 50
) -> GenerationResult:
    """The guide's function, on the shared path."""
    result = generate(CASUAL, wizard_data, Options(model=model, poetic_level=poetic_level))
    assert isinstance(result, GenerationResult)
    return result


def generate_phrase_from_structure(wizard_data: WizardData, model: str | None = None) -> GenerationResult:
    result = generate(STRUCTURE, wizard_data, Options(model=model))
    assert isinstance(result, GenerationResult)
    return result


def estimate_bpm(input_data: BpmEstimationInput) -> BpmEstimationResult:
    result = generate(BPM, input_data, Options())
    assert isinstance(result, BpmEstimationResult)
    return result


def estimate_costs(prepared: Prepared) -> list[tuple[str, float, float]]:
    """Per candidate model: the prompt alone, and the prompt plus a full ``max_tokens`` reply."""
    return [
        (
            model,
            catalog.usage_cost(prepared.prompt_tokens, 0, model),
            catalog.usage_cost(prepared.prompt_tokens, prepared.max_tokens, model),
        )
        for model in prepared.candidates
    ]
