"""Items to Groq batch request files, on the synchronous path: each item is parsed and prepared
exactly as a synchronous run would (messages, token limit, model choice, ``--seed``), becomes one
``{"custom_id", "method", "url", "body"}`` line, and the lines are split into files under Groq's
limits. Files are written to disk as items stream in, so 100,000 items never sit in memory.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from adp_cli import text
from adp_cli.accounting import catalog
from adp_cli.accounting.prices import PriceBook
from adp_cli.accounting.tokens import count_tokens_in_bulk
from adp_cli.dispatch.dispatcher import Dispatcher
from adp_cli.errors import AdpError, InputError
from adp_cli.runs.batch_api.state import Ranges
from adp_cli.runs.lines import Line, error_line, item_id
from adp_cli.tasks.items import Flags
from adp_cli.tasks.prepared import Prepared, prepare
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task
from adp_cli.transports.groq_files import ENDPOINT

log = logging.getLogger("adp")

# Groq's guide: "50,000 lines or less, up to 200MB"; its API reference and the SDK say 100 MB.
MAX_REQUESTS = 50_000
MAX_BYTES = 100_000_000


@dataclass(frozen=True)
class Limits:
    """How much one batch file may hold."""

    max_requests: int = MAX_REQUESTS
    max_bytes: int = MAX_BYTES


def custom_id(index: int, item_id: str | int | None) -> str:
    """The item's index, then its id as JSON (``12:"track-012"``, ``5:500``), so the result line
    maps back to its item, id type included, with no table kept anywhere. The id is one that
    ``lines.item_id`` kept (at most 500 characters, or 64 bits): an item whose id it refuses is
    an error line at submission and is never sent."""
    return str(index) if item_id is None else f"{index}:{json.dumps(item_id, ensure_ascii=False)}"


def parse_custom_id(value: str) -> tuple[int, str | int | None]:
    """``custom_id``'s inverse; ValueError for an id adp did not write."""
    index, colon, raw_id = value.partition(":")
    item_id = json.loads(raw_id) if colon else None
    if not index.isdigit() or not (item_id is None or isinstance(item_id, (str, int))):
        raise ValueError(f"not an adp custom_id: {value!r}")
    return int(index), item_id


@dataclass
class ModelEstimate:
    """What the items sent to one model would cost: their prompts, and the most their replies can
    use (``max_tokens`` each)."""

    model: str
    items: int = 0
    prompt_tokens: int = 0
    max_completion_tokens: int = 0

    def cost(self, prices: PriceBook, *, batch: bool, replies: bool) -> float | None:
        completion = self.max_completion_tokens if replies else 0
        return prices.cost(self.model, self.prompt_tokens, completion, batch=batch)


@dataclass
class CostEstimate:
    """Per-model estimates, counted with o200k exactly as a dry run counts one item, priced by
    the run's ``PriceBook``."""

    prices: PriceBook
    models: dict[str, ModelEstimate] = field(default_factory=dict)

    def add(self, model: str, prepared: Prepared, cap: int) -> None:
        entry = self.models.setdefault(model, ModelEstimate(model))
        entry.items += 1
        entry.prompt_tokens += count_tokens_in_bulk(prepared.prompt_text)
        entry.max_completion_tokens += cap

    def total(self, *, batch: bool, replies: bool) -> float:
        """Of the models whose price is known."""
        return sum(cost for entry in self.models.values() if (cost := entry.cost(self.prices, batch=batch, replies=replies)) is not None)


class Picker:
    """The model each request goes to: the named or the task's model, else a seeded random pick
    from the pool's models that Groq's Batch API runs (a random model cannot be replaced once
    the batch is submitted, so none outside that list is picked)."""

    def __init__(self, settings: Settings, dispatcher: Dispatcher) -> None:
        self._rng = random.Random(settings.seed)
        self._pool = dispatcher.pool
        self._warned: set[str] = set()

    def __call__(self, prepared: Prepared) -> str:
        candidates = self._pool.candidates(prepared)
        if len(candidates) == 1:
            model = candidates[0]
            if model not in catalog.BATCH_MODELS and model not in self._warned:
                self._warned.add(model)
                log.warning("Groq's Batch API documentation does not list %s; its requests may fail", model)
            return model
        pool = [model for model in candidates if model in catalog.BATCH_MODELS] or candidates
        return self._rng.choice(pool)


@dataclass
class Request:
    """One item's request line, ready to write."""

    index: int
    item_id: str | int | None
    line: bytes


def requests(
    task: Task,
    items: Iterator[tuple[int, Any]],
    flags: Flags,
    settings: Settings,
    dispatcher: Dispatcher,
    estimate: CostEstimate | None = None,
) -> Iterator[Request | Line]:
    """A request line per item, or the item's error line when it cannot be sent (it does not
    parse, or is over the token limit): the synchronous prepare path and request body, item by
    item."""
    pick = Picker(settings, dispatcher)
    for index, document in items:
        identifier = None
        try:
            identifier = item_id(document)
            prepared = prepare(task, task.parse(document, flags), settings)
        except AdpError as error:
            yield error_line(index, identifier, error)
            continue
        model = pick(prepared)
        if estimate is not None:
            estimate.add(model, prepared, dispatcher.cap(prepared, model))
        line = {"custom_id": custom_id(index, identifier), "method": "POST", "url": ENDPOINT, "body": dispatcher.body(prepared, model)}
        yield Request(index, identifier, _encoded(line))


def _encoded(line: dict[str, Any]) -> bytes:
    """A request line as UTF-8; a lone surrogate (an item id or field JSON allowed) is written as
    its JSON escape, which decodes to the same text, since it has no UTF-8 form."""
    return (text.json_text(line) + "\n").encode("utf-8")


@dataclass
class PartFile:
    """A request file on disk and the items it holds."""

    path: Path
    ranges: Ranges = field(default_factory=Ranges)
    bytes: int = 0

    def fits(self, size: int, limits: Limits) -> bool:
        return len(self.ranges) < limits.max_requests and self.bytes + size <= limits.max_bytes


def split(lines: Iterator[Request | Line], folder: Path, limits: Limits) -> Iterator[PartFile | Line]:
    """Request lines into files within ``limits``, each yielded once full (or at the end); error
    lines pass through, and a request larger than a whole file becomes one."""
    part: PartFile | None = None
    handle: IO[bytes] | None = None
    try:
        for entry in lines:
            if isinstance(entry, Line):
                yield entry
                continue
            size = len(entry.line)
            if size > limits.max_bytes:
                too_large = InputError(f"the request is {size} bytes, more than a batch file may hold ({limits.max_bytes})")
                yield error_line(entry.index, entry.item_id, too_large)
                continue
            if part is not None and handle is not None and not part.fits(size, limits):
                handle.close()
                yield part
                part = None
            if part is None:
                part = PartFile(folder / f"from-{entry.index}.jsonl")
                handle = part.path.open("wb")
            assert handle is not None
            handle.write(entry.line)
            part.ranges.append(entry.index)
            part.bytes += size
        if part is not None and handle is not None:
            handle.close()
            yield part
    finally:
        if handle is not None:
            handle.close()
