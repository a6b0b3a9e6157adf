"""The synchronous batch: many items through the dispatcher, in parallel, streamed, resumable.

Items are read lazily and at most a window of them is in memory (in flight or waiting for
earlier ones), so memory stays flat for any input size. Each item's line goes to the sink in
input order, and to ``-o`` as soon as the item is done (a kill loses at most the lines being
written, and a rerun sends only what ``-o`` lacks). While the oldest item is not done, the sink
hears now and then what the run waits for. The run ends with its ``Totals``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any

from adp_cli.dispatch.dispatcher import Dispatcher
from adp_cli.dispatch.logbook import ItemRef
from adp_cli.dispatch.scheduler import Cancelled, Waiting
from adp_cli.documents import Source
from adp_cli.errors import AdpError, Interrupted, UsageError
from adp_cli.runs import captioning
from adp_cli.runs.lines import Indices, Line, LineSink, OutputFile, Totals, error_line, item_id, result_line
from adp_cli.runs.recipe import Recipe
from adp_cli.tasks.items import Flags
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task

log = logging.getLogger("adp")

_WINDOW_PER_WORKER = 4
_TICK = 0.25  # seconds between checks while waiting for the oldest item


class _Runner:
    """Runs one item end to end; shared by every worker thread."""

    def __init__(self, task: Task, flags: Flags, settings: Settings, dispatcher: Dispatcher, policy: captioning.Captioning) -> None:
        self.task = task
        self.flags = flags
        self.settings = settings
        self.dispatcher = dispatcher
        self.policy = policy
        self._stopped = threading.Event()

    def stop(self) -> None:
        """Send nothing more: an item a worker picks up after this returns without a request,
        and one waiting for a rate limit stops waiting."""
        self._stopped.set()
        self.dispatcher.cancel()

    def __call__(self, index: int, document: Any) -> Line:
        identifier = None
        kept = self.flags.kept(document) or getattr(document, "kept", None)  # a bad CSV row keeps its columns too
        try:
            identifier = item_id(document)
            if self._stopped.is_set():
                raise Cancelled
            item = self.task.parse(document, self.flags)
            result = captioning.answer(self.task, item, self.settings, self.dispatcher, self.policy, ItemRef(index, identifier))
        except Cancelled:
            return error_line(index, identifier, Interrupted("the run was stopped before this item was sent"), kept)
        except Exception as error:
            if not isinstance(error, AdpError):
                log.debug("item %d failed", index, exc_info=True)
            return error_line(index, identifier, error, kept)
        return result_line(index, identifier, result, kept)


class _Writer:
    """Appends each finished item's line to ``-o`` from the worker that finished it. The first
    failed write (a full disk) is kept, stops the run, and nothing more is written after it.

    The worker writes as the last step of its item (``_Job``), not from a future's callback: a
    callback is attached after ``submit`` returns, and a signal landing in between would leave
    an item that a worker already sent without its line."""

    def __init__(self, output: OutputFile, runner: _Runner) -> None:
        self._output = output
        self._runner = runner
        self.failure: UsageError | None = None

    def write(self, line: Line) -> None:
        if self.failure is not None:
            return
        try:
            self._output.write(line)
        except UsageError as failure:
            self.failure = self.failure or failure
            self._runner.stop()

    def check(self) -> None:
        if self.failure is not None:
            raise self.failure


class _Job:
    """One item on a worker: its line, written to ``-o`` (when there is one) before it is handed
    back."""

    def __init__(self, runner: _Runner, writer: _Writer | None) -> None:
        self.runner = runner
        self._writer = writer

    def __call__(self, index: int, document: Any) -> Line:
        line = self.runner(index, document)
        if self._writer is not None:
            self._writer.write(line)
        return line


def run(
    task: Task,
    source: Source,
    flags: Flags,
    settings: Settings,
    dispatcher: Dispatcher,
    sink: LineSink,
    *,
    concurrency: int = 4,
    output: Path | None = None,
    policy: captioning.Captioning = captioning.Captioning(),
    recipe: Recipe | None = None,
) -> Totals:
    """Every item's line in input order to ``sink`` (also appended to ``output``, which
    ``recipe``, the command, must have made if it holds lines); the totals."""
    policy.refuse(task)
    runner = _Runner(task, flags, settings, dispatcher, policy)
    target = OutputFile(output) if output is not None else None
    workers = f"adp-worker-{id(runner):x}"
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=workers)
    try:
        done = target.open(recipe) if target is not None else Indices()
        writer = _Writer(target, runner) if target is not None else None
        dispatcher.start()  # a missing key or an unusable ledger fails the whole run at once
        totals = Totals(skipped=len(done))
        started = time.perf_counter()
        items = _pending(source, done)
        job = _Job(runner, writer)
        for event in _ordered(pool, job, _read_ahead(items) if source.live else items, concurrency * _WINDOW_PER_WORKER):
            if isinstance(event, Line):
                totals.add(event)
                sink.line(event)
            else:
                sink.waiting(event)
            if writer is not None:
                writer.check()
    except BaseException:  # Ctrl-C, a failed write, or a sink that failed
        runner.stop()
        raise
    finally:
        # Queued items are dropped unsent; requests in flight finish and their lines are written,
        # so what was paid for is in the ledger and in --output.
        pool.shutdown(wait=True, cancel_futures=True)
        _join_unregistered(workers)
        dispatcher.close()
        if target is not None:
            target.close()
    totals.seconds = time.perf_counter() - started
    return totals


def _join_unregistered(prefix: str) -> None:
    """Wait for every worker of the pool named ``prefix``, those it never registered included.

    ``shutdown(wait=True)`` joins the threads the pool recorded; a signal (Ctrl-C, SIGTERM) that
    lands while the pool is starting a thread interrupts the start after the thread runs but
    before the pool records it, and that thread goes on with its item. Its answer must be in the
    log and the ledger before they close."""
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and thread.name.startswith(prefix + "_"):
            thread.join()


def _pending(source: Source, done: Indices) -> Iterator[tuple[int, Any]]:
    for index, document in enumerate(source.documents):
        if index not in done:
            yield index, document


def _ordered(pool: ThreadPoolExecutor, job: _Job, items: Iterator[tuple[int, Any] | None], window: int) -> Iterator[Line | list[Waiting]]:
    """Lines in input order, with at most ``window`` items read ahead of the oldest unfinished
    one; ``items`` may say None (no item yet), and the lines of the items done are given then."""
    queue: deque[Future[Line]] = deque()
    dispatcher = job.runner.dispatcher
    for entry in items:
        if entry is not None:
            queue.append(pool.submit(job, *entry))
        while len(queue) >= window or (queue and queue[0].done()):
            yield from _next_in_order(queue, dispatcher)
    while queue:
        yield from _next_in_order(queue, dispatcher)


def _read_ahead(items: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any] | None]:
    """The items of a live input (a pipe), read on a thread of their own, and None every
    ``_TICK`` seconds none comes.

    Reading a pipe waits while the producer is slow to send the next item; read in the run's
    thread, it would hold back the lines of the items already answered until that item came.
    The thread hands over one item at a time (memory stays flat) and stops when the run does;
    an unreadable input is raised here, in the run's thread. A file is read in the run's thread
    (its reads never wait): the handing over costs a zero-latency run a quarter more CPU.
    """
    handoff: Queue[tuple[bool, Any]] = Queue(maxsize=1)
    stopped = threading.Event()

    def hand_over(entry: tuple[bool, Any]) -> bool:
        while not stopped.is_set():
            try:
                handoff.put(entry, timeout=_TICK)
                return True
            except Full:
                continue
        return False

    def read() -> None:
        try:
            for item in items:
                if not hand_over((True, item)):
                    return
            hand_over((False, None))
        except Exception as error:  # noqa: BLE001 - handed to the run's thread, which raises it
            hand_over((False, error))
        finally:
            getattr(items, "close", lambda: None)()  # the input file, if the run stopped before its end

    # A daemon: a run that stops while a producer sends nothing must not wait for its next line.
    threading.Thread(target=read, name="adp-input", daemon=True).start()
    try:
        while True:
            try:
                more, value = handoff.get(timeout=_TICK)
            except Empty:
                yield None
                continue
            if not more:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stopped.set()


def _next_in_order(queue: deque[Future[Line]], dispatcher: Dispatcher) -> Iterator[Line | list[Waiting]]:
    """The oldest item's line, waited for in short steps with what the run waits for after each:
    a long blocking wait would hold off Ctrl-C (on Windows a lock wait is not interruptible) and
    leave the progress line silent about what the run waits for."""
    while not wait([queue[0]], timeout=_TICK).done:
        yield dispatcher.waiting()
    yield queue.popleft().result()
