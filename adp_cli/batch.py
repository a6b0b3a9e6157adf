"""Batches: many items through the shared request path, in parallel, streamed, resumable.

Items are read lazily and at most a window of them is in memory (in flight or waiting for
earlier ones), so memory stays flat for any input size. Lines come out in input order on
stdout; with ``--output`` each line is appended as soon as its item is done, and a rerun keeps
the successful lines, drops the rest (failed or torn by a kill) and sends only what is missing.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from adp_cli import render
from adp_cli.errors import AdpError, InputError, UsageError
from adp_cli.files import replace_atomically
from adp_cli.generation import BPM, GroqSession, Item, Options, Task, generate
from adp_cli.inputs import Flags, Source, apply_bpm_flags, apply_wizard_flags
from adp_cli.wizard import parse_bpm_input, parse_wizard

log = logging.getLogger("adp")

_WINDOW_PER_WORKER = 4


def parse_item(task: Task, document: Any, flags: Flags) -> Item:
    """One input document, with the flags applied, validated for the task."""
    if isinstance(document, InputError):
        raise document
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise InputError(f"expected a mapping of fields, got {type(document).__name__}")
    if task is BPM:
        return parse_bpm_input(apply_bpm_flags(document, flags))
    return parse_wizard(apply_wizard_flags(document, flags))


def _item_id(document: Any) -> str | int | None:
    """The id to echo: only a valid one (a string or a 64-bit integer), whatever the item holds."""
    value = document.get("id") if isinstance(document, dict) else None
    if isinstance(value, str) and len(value) <= 500:
        return value
    if type(value) is int and -(2**63) <= value < 2**63:
        return value
    return None


@dataclass
class Totals:
    items: int = 0
    failed: int = 0
    skipped: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, line: dict[str, Any]) -> None:
        self.items += 1
        if "error" in line:
            self.failed += 1
            return
        self.prompt_tokens += line["prompt_tokens"]
        self.completion_tokens += line["completion_tokens"]
        self.cost_usd += line["cost_usd"]


def _error_line(index: int, item_id: Any, error: BaseException) -> dict[str, Any]:
    kind = error.kind if isinstance(error, AdpError) else "internal_error"
    return {"index": index, **_id_field(item_id), "error": {"type": kind, "message": str(error)}}


def _id_field(item_id: Any) -> dict[str, Any]:
    return {} if item_id is None else {"id": item_id}


def resume(output: Path) -> set[int]:
    """Keep the successful lines of an earlier run and return their indices.

    Error lines and a line torn by a kill are dropped (atomically), so after the rerun every
    item appears exactly once.
    """
    if not output.exists():
        return set()
    kept: list[str] = []
    done: set[int] = set()
    with output.open(encoding="utf-8", errors="replace") as previous:
        for raw in previous:
            try:
                line = json.loads(raw)
            except json.JSONDecodeError:
                continue
            index = line.get("index") if isinstance(line, dict) else None
            if isinstance(index, int) and "error" not in line and index not in done:
                done.add(index)
                kept.append(json.dumps(line, ensure_ascii=False))
    replace_atomically(output, "".join(f"{line}\n" for line in kept).encode("utf-8"))
    return done


class _Runner:
    """Runs one item end to end; shared by every worker thread."""

    def __init__(self, task: Task, options: Options, flags: Flags) -> None:
        from adp_cli.client import RateGate
        from adp_cli.ledger import Tab

        self.task = task
        self.options = options
        self.flags = flags
        self.session = GroqSession(options, gate=RateGate())
        self.tab = Tab()  # per call: a line on stdout or in --output is already in the ledger
        if options.provider != "offline":
            self.session.connect()  # a missing key fails the whole run at once, before any item

    def __call__(self, index: int, document: Any) -> dict[str, Any]:
        item_id = _item_id(document)
        try:
            item = parse_item(self.task, document, self.flags)
            result = generate(self.task, item, self.options, self.session, self.tab)
        except Exception as error:
            if not isinstance(error, AdpError):
                log.debug("item %d failed", index, exc_info=True)
            return _error_line(index, item_id, error)
        return {"index": index, **_id_field(item_id), **result.to_json()}


def run_batch(
    task: Task,
    source: Source,
    flags: Flags,
    options: Options,
    *,
    concurrency: int,
    output: Path | None,
    quiet: bool,
) -> int:
    """Stream every item's line to stdout (and ``output``); return how many failed."""
    try:
        done = resume(output) if output else set()
        sink = _Sink(output) if output else None
    except OSError as error:
        raise UsageError(f"--output {output}: {error.strerror or error}") from None
    runner = _Runner(task, options, flags)
    totals = Totals(skipped=len(done))
    started = time.perf_counter()
    try:
        with _progress(quiet) as advance, ThreadPoolExecutor(max_workers=concurrency) as pool:
            for line in _ordered(pool, runner, _pending(source, done), concurrency * _WINDOW_PER_WORKER, sink):
                render.out_json(line)
                totals.add(line)
                advance(line)
    finally:
        if sink:
            sink.close()
    if not quiet:
        render.batch_summary(totals, time.perf_counter() - started)
    return totals.failed


def _pending(source: Source, done: set[int]) -> Iterator[tuple[int, Any]]:
    for index, document in enumerate(source.documents):
        if index not in done:
            yield index, document


def _ordered(
    pool: ThreadPoolExecutor,
    runner: _Runner,
    items: Iterator[tuple[int, Any]],
    window: int,
    sink: _Sink | None,
) -> Iterator[dict[str, Any]]:
    """Lines in input order, with at most ``window`` items read ahead of the oldest unfinished one."""
    queue: deque[Future[dict[str, Any]]] = deque()
    for index, document in items:
        future = pool.submit(runner, index, document)
        if sink is not None:
            future.add_done_callback(sink.append)
        queue.append(future)
        while len(queue) >= window or (queue and queue[0].done()):
            yield queue.popleft().result()
    while queue:
        yield queue.popleft().result()


class _Sink:
    """The ``--output`` file: lines appended as items finish, one flushed write each, so a kill
    loses at most the line being written (and ``resume`` drops a torn one)."""

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def append(self, finished: Future[dict[str, Any]]) -> None:
        text = json.dumps(finished.result(), ensure_ascii=False) + "\n"
        with self._lock:
            self._file.write(text)
            self._file.flush()

    def close(self) -> None:
        self._file.close()


def _progress(quiet: bool) -> Any:
    """A context giving a per-line callback: Rich's progress bar, or nothing with --quiet."""
    return nullcontext(lambda line: None) if quiet else render.batch_progress()

