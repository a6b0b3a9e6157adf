"""Batches: many items through the shared request path, in parallel, streamed, resumable.

Items are read lazily and at most a window of them is in memory (in flight or waiting for
earlier ones), so memory stays flat for any input size. ``run`` yields one ``Line`` per item in
input order, a ``Pulse`` now and then while it waits (what for, if a rate limit holds it), and
ends with the run's ``Totals``; the CLI layer writes them. With ``output`` each
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
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from adp_cli.errors import AdpError, ExitStatus, Interrupted, RateLimitStop, UsageError
from adp_cli.files import is_special, replace_atomically, resolved
from adp_cli.inputs import Source
from adp_cli.items import Flags
from adp_cli.prepared import prepare
from adp_cli.providers import Provider
from adp_cli.ratelimits import Cancelled, Waiting
from adp_cli.settings import Settings
from adp_cli.tasks import Task
from adp_cli.text import json_text, redact, shorten

if TYPE_CHECKING:
    from filelock import BaseFileLock

log = logging.getLogger("adp")

_WINDOW_PER_WORKER = 4
_TICK = 0.25  # seconds between checks while waiting for the oldest item


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
    stopped_by: RateLimitStop | None = None  # the item was not sent: a rate limit ended the run

    @property
    def failed(self) -> bool:
        return "error" in self.fields


@dataclass(frozen=True)
class Pulse:
    """The run is waiting for its oldest item; ``waiting`` says for which rate limits, if any."""

    waiting: list[Waiting]


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
    stop: RateLimitStop | None = None  # the rate limit that ended the run, if one did

    def add(self, line: Line) -> None:
        self.items += 1
        if line.failed:
            self.failed += 1
            self.stop = self.stop or line.stopped_by
            return
        self.prompt_tokens += line.fields["prompt_tokens"]
        self.completion_tokens += line.fields["completion_tokens"]
        self.cost_usd += line.fields["cost_usd"]

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_status(self) -> ExitStatus:
        if self.stop is not None:
            return ExitStatus.RATE_LIMITED
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
    if not output.exists() or is_special(output):  # nothing yet, or a stream (-o /dev/null)
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
        self._stopped = threading.Event()

    def stop(self) -> None:
        """Send nothing more: an item a worker picks up after this returns without a request,
        and one waiting for a rate limit stops waiting."""
        self._stopped.set()
        self.provider.cancel()

    def __call__(self, index: int, document: Any) -> Line:
        item_id = _item_id(document)
        try:
            if self._stopped.is_set():
                raise Cancelled
            item = self.task.parse(document, self.flags)
            result = self.provider.answer(prepare(self.task, item, self.settings))
        except Cancelled:
            return Line(_error_line(index, item_id, Interrupted("the run was stopped before this item was sent")))
        except RateLimitStop as stop:
            return Line(_error_line(index, item_id, stop), stopped_by=stop)
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
) -> Generator[Line | Pulse | Totals, None, None]:
    """Every item's line in input order (also appended to ``output``), then the run's totals."""
    runner = _Runner(task, flags, settings, provider)
    lock = sink = None
    pool = ThreadPoolExecutor(max_workers=concurrency)
    try:
        try:
            lock = _claim(output) if output else None
            done = resume(output) if output else set()
            sink = _Sink(output, on_error=runner.stop) if output else None
        except OSError as error:
            raise UsageError(f"--output {shorten(str(output))}: {error.strerror or error}") from None
        provider.start()  # a missing key or an unusable ledger fails the whole run at once
        totals = Totals(skipped=len(done))
        started = time.perf_counter()
        for event in _ordered(pool, runner, _pending(source, done), concurrency * _WINDOW_PER_WORKER, sink):
            if isinstance(event, Line):
                totals.add(event)
            yield event
            if sink:
                sink.check()
    except BaseException:  # Ctrl-C, a failed write, or a reader that stopped (GeneratorExit)
        runner.stop()
        raise
    finally:
        # Queued items are dropped unsent; requests in flight finish and their lines are written,
        # so what was paid for is in the ledger and in --output.
        pool.shutdown(wait=True, cancel_futures=True)
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
) -> Iterator[Line | Pulse]:
    """Lines in input order, with at most ``window`` items read ahead of the oldest unfinished one."""
    queue: deque[Future[Line]] = deque()
    for index, document in items:
        future = pool.submit(runner, index, document)
        if sink is not None:
            future.add_done_callback(sink.append)
        queue.append(future)
        while len(queue) >= window or (queue and queue[0].done()):
            yield from _next_in_order(queue, runner.provider)
    while queue:
        yield from _next_in_order(queue, runner.provider)


def _next_in_order(queue: deque[Future[Line]], provider: Provider) -> Iterator[Line | Pulse]:
    """The oldest item's line, waited for in short steps with a pulse after each: a long
    blocking wait would hold off Ctrl-C (on Windows a lock wait is not interruptible) and leave
    the progress line silent about what the run waits for."""
    while not wait([queue[0]], timeout=_TICK).done:
        yield Pulse(provider.waiting())
    yield queue.popleft().result()


class _Sink:
    """The ``--output`` file: lines appended as items finish, one flushed write each, so a kill
    loses at most the line being written (and ``resume`` drops a torn one). The first failed
    write (a full disk) is kept and stops the run; nothing more is written after it."""

    def __init__(self, path: Path, on_error: Callable[[], None]) -> None:
        self._path = path
        self._file: IO[str] = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self._error: OSError | None = None
        self._on_error = on_error  # called in the worker that failed, before it takes another item

    def append(self, finished: Future[Line]) -> None:
        if finished.cancelled():
            return
        text = json_text(finished.result().fields) + "\n"
        with self._lock:
            if self._error is not None:
                return
            try:
                self._file.write(text)
                self._file.flush()
            except OSError as error:
                self._error = error
                self._on_error()

    def check(self) -> None:
        """Raise the first failed write as one line."""
        if self._error is not None:
            raise UsageError(f"cannot write --output {self._path}: {self._error.strerror or self._error}; the run stopped")

    def close(self) -> None:
        try:
            self._file.close()
        except OSError:  # the flush of a full disk; check() has reported it or will
            pass
