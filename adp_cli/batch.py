"""Batches: many items through the shared request path, in parallel, streamed, resumable.

Items are read lazily and at most a window of them is in memory (in flight or waiting for
earlier ones), so memory stays flat for any input size. ``run`` yields one ``Line`` per item in
input order and ends with the run's ``Totals``; the CLI layer writes them. With ``output`` each
line is also appended to that file as soon as its item is done, and a rerun keeps the
successful lines, drops the rest (failed or torn by a kill) and sends only what is missing.
The file is locked for the run, so a second run on it stops instead of sending it all again.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from adp_cli.errors import AdpError, ExitStatus, UsageError
from adp_cli.files import is_special, replace_atomically, resolved
from adp_cli.inputs import Source
from adp_cli.items import Flags
from adp_cli.prepared import prepare
from adp_cli.providers import Provider
from adp_cli.tasks import Settings, Task
from adp_cli.text import json_text, redact, shorten

if TYPE_CHECKING:
    from filelock import BaseFileLock

log = logging.getLogger("adp")

_WINDOW_PER_WORKER = 4


def _item_id(document: Any) -> str | int | None:
    """The id to echo: only a valid one (a string or a 64-bit integer), whatever the item holds."""
    value = document.get("id") if isinstance(document, dict) else None
    if isinstance(value, str) and len(value) <= 500:
        return value
    if type(value) is int and -(2**63) <= value < 2**63:
        return value
    return None


@dataclass(frozen=True)
class Line:
    """One item's output line: ``index``, the item's ``id``, and the result fields or an error."""

    fields: dict[str, Any]

    @property
    def failed(self) -> bool:
        return "error" in self.fields


@dataclass
class Totals:
    """What a run did, for the closing summary and the exit status."""

    items: int = 0
    failed: int = 0
    skipped: int = 0  # done by an earlier run into the same --output
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0

    def add(self, line: Line) -> None:
        self.items += 1
        if line.failed:
            self.failed += 1
            return
        self.prompt_tokens += line.fields["prompt_tokens"]
        self.completion_tokens += line.fields["completion_tokens"]
        self.cost_usd += line.fields["cost_usd"]

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.FAILURE if self.failed else ExitStatus.SUCCESS


def _error_line(index: int, item_id: Any, error: BaseException) -> dict[str, Any]:
    kind = error.kind if isinstance(error, AdpError) else "internal_error"
    return {"index": index, **_id_field(item_id), "error": {"type": kind, "message": redact(str(error))}}


def _id_field(item_id: Any) -> dict[str, Any]:
    return {} if item_id is None else {"id": item_id}


def resume(output: Path) -> set[int]:
    """Keep the successful lines of an earlier run and return their indices.

    Error lines and a line torn by a kill are dropped (atomically), so after the rerun every
    item appears exactly once. A stream (a FIFO, ``/dev/null``) has nothing to resume.
    """
    if not output.exists() or is_special(output):
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
                kept.append(json_text(line))
    replace_atomically(output, "".join(f"{line}\n" for line in kept).encode("utf-8"))
    return done


class _Runner:
    """Runs one item end to end; shared by every worker thread."""

    def __init__(self, task: Task, flags: Flags, settings: Settings, provider: Provider) -> None:
        self.task = task
        self.flags = flags
        self.settings = settings
        self.provider = provider

    def __call__(self, index: int, document: Any) -> Line:
        item_id = _item_id(document)
        try:
            item = self.task.parse(document, self.flags)
            result = self.provider.answer(prepare(self.task, item, self.settings))
        except Exception as error:
            if not isinstance(error, AdpError):
                log.debug("item %d failed", index, exc_info=True)
            return Line(_error_line(index, item_id, error))
        return Line({"index": index, **_id_field(item_id), **result.to_json()})


def run(
    task: Task,
    source: Source,
    flags: Flags,
    settings: Settings,
    provider: Provider,
    *,
    concurrency: int = 4,
    output: Path | None = None,
) -> Iterator[Line | Totals]:
    """Every item's line in input order (also appended to ``output``), then the run's totals."""
    lock = sink = None
    try:
        try:
            lock = _claim(output) if output else None
            done = resume(output) if output else set()
            sink = _Sink(output) if output else None
        except OSError as error:
            raise UsageError(f"--output {shorten(str(output))}: {error.strerror or error}") from None
        provider.start()  # a missing key or an unusable ledger fails the whole run at once
        runner = _Runner(task, flags, settings, provider)
        totals = Totals(skipped=len(done))
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for line in _ordered(pool, runner, _pending(source, done), concurrency * _WINDOW_PER_WORKER, sink):
                totals.add(line)
                yield line
    finally:
        if sink:
            sink.close()
        if lock:
            lock.release()
    totals.seconds = time.perf_counter() - started
    yield totals


def _claim(output: Path) -> BaseFileLock | None:
    """Lock ``output`` (through ``FILE.lock`` beside it) for this run: a second run on the same
    file would send every item the first has not finished yet. A stream has no resume, no lock."""
    from filelock import FileLock, Timeout

    target = resolved(output)
    if is_special(target):
        return None
    if not target.parent.is_dir():  # filelock would create the folders for its lock file
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(target.parent))
    lock = FileLock(f"{target}.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise UsageError(
            f"--output {shorten(str(output))}: another adp run is writing to it (it holds {shorten(lock.lock_file)}); "
            "let it finish, or choose another file"
        ) from None
    return lock


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
) -> Iterator[Line]:
    """Lines in input order, with at most ``window`` items read ahead of the oldest unfinished one."""
    queue: deque[Future[Line]] = deque()
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

    def append(self, finished: Future[Line]) -> None:
        text = json_text(finished.result().fields) + "\n"
        with self._lock:
            self._file.write(text)
            self._file.flush()

    def close(self) -> None:
        self._file.close()
