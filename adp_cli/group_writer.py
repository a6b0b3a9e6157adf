"""Group commit: many threads' rows written together, one write at a time.

The ledger and the generation log each take a batch's records from up to ``-j`` workers at once,
and each write costs far more than the rows in it (a synced rewrite of a file, a SQLite
transaction), so the rows that come in while one write runs share the next write. Two ways:

- ``GroupWriter`` owns a thread that does the writing: ``submit`` returns a ``Receipt`` at once,
  and the caller does other work (writes its log entry) until it needs ``Receipt.result()``.
  For the ledger, whose synced rewrite is slow and mostly waits for the disk.
- ``GroupCommit`` lets the callers write: the first to find no write going on writes every row
  waiting, then hands the next write to the first caller still waiting. No thread to wake for
  a write that takes a millisecond. For the log.

With a ``Gathering``, either writer first waits a moment for the rows it knows are coming
(requests answered, their rows being built), while calls answer fast: in a busy batch a write's
cost is mostly per write, so sixteen rows in one cost little more than one.

Either way a caller returns once its row is written, with what the write gave for it, or with
what the write raised; and each waiting thread is woken once, by its own row, never every waiting
thread at every write (on a loaded VM one wake-up costs tens of microseconds of CPU).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar, cast

GATHER_S = 0.05  # calls answering faster than this gather their rows (see Gathering.pace)

Row = TypeVar("Row")
Result = TypeVar("Result")
Write = Callable[[list[Row]], Sequence[Result]]


class Receipt(Generic[Result]):
    """One row's outcome. Its signal is a lock taken at birth and let go once: when the row is
    written, or (``GroupCommit``) when its caller is to write next."""

    __slots__ = ("_done", "_error", "_leads", "_signal", "_value")

    def __init__(self) -> None:
        self._signal = threading.Lock()
        self._signal.acquire()
        self._done = False
        self._leads = False
        self._value: Result | None = None
        self._error: Exception | None = None

    def result(self) -> Result:
        """What the write gave for this row, once it is written; the write's error if it failed."""
        if not self._done:
            self._signal.acquire()
            self._signal.release()
        if self._error is not None:
            raise self._error
        return cast(Result, self._value)  # set by the write that succeeded

    def _settle(self, value: Result | None, error: Exception | None, *, wake: bool = True) -> None:
        self._value, self._error, self._done = value, error, True
        if wake:
            self._signal.release()


def _write_rows(write: Write[Row, Result], batch: list[tuple[Row, Receipt[Result]]], carried: list[Row], name: str) -> Exception | None:
    """One write of ``carried`` and ``batch``'s rows; each receipt of ``batch`` is settled however
    it ends (no caller may hang), a ``GroupCommit`` caller's own without waking it. The error."""
    rows = [row for row, _ in batch]
    results: Sequence[Result] = ()
    error: Exception | None = None
    try:
        results = write(carried + rows)[len(carried) :]
        if len(results) != len(rows):
            raise RuntimeError(f"{name}: the write gave {len(results)} results for {len(rows)} rows")
    except Exception as failure:
        error = failure
    finally:
        failed = error or (None if results else RuntimeError(f"{name}: the write was interrupted"))
        for index, (_, receipt) in enumerate(batch):
            receipt._settle(None if failed else results[index], failed, wake=not receipt._leads)
    return error


class Gathering:
    """The rows a writer waits for before it writes: each said to be coming by a token
    (``expect``), and no longer awaited once added with that token (or ``forget``). The wait
    lasts at most ``linger`` seconds, so a row that never comes costs that much once.

    ``pace`` sets the linger from how fast calls answer: a server that answers within
    ``GATHER_S`` (on this machine, a stub) sends rows faster than a write takes, and a write
    that waits as long as one call takes gathers a whole round of workers. Slower calls (a
    remote model) are written as they come: a wave of their replies would wait for its slowest.
    Sets change atomically, so callers on any thread need no lock for ``expect``/``forget``."""

    def __init__(self, linger: float = 0.0) -> None:
        self.linger = linger
        self._coming: set[Hashable] = set()

    def pace(self, seconds: float) -> None:
        """The latest call took ``seconds``."""
        self.linger = seconds if seconds <= GATHER_S else 0.0

    def expect(self, token: Hashable) -> None:
        self._coming.add(token)

    def forget(self, token: Hashable) -> None:
        self._coming.discard(token)

    @property
    def awaited(self) -> int:
        return len(self._coming)

    def wait(self, added: threading.Condition) -> None:
        """Wait (``added``'s lock held, let go while waiting) until the rows said to be coming
        are added, or ``linger`` is over; ``added`` is notified once none is awaited any more."""
        deadline = time.monotonic() + self.linger
        while self._coming and (left := deadline - time.monotonic()) > 0:
            added.wait(left)


class GroupWriter(Generic[Row, Result]):
    """Writes submitted rows with ``write`` from its own thread, all rows waiting in one call."""

    def __init__(self, write: Write[Row, Result], *, name: str, keep_failed: bool = False, gathering: Gathering | None = None) -> None:
        """``write`` gets the rows in the order they came and returns one result per row.
        ``keep_failed``: the rows of a failed write go into the next write, ahead of the rows
        that come after (their receipts still carry the failure: their callers go on without
        them), so a write that failed once, on a locked file, loses nothing when the next
        succeeds. The next write waits for a new row: a write that keeps failing is not tried
        in a loop."""
        self._write = write
        self._name = name
        self._keep_failed = keep_failed
        self._gathering = gathering
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._queue: list[tuple[Row, Receipt[Result]]] = []
        self._carried: list[Row] = []  # rows of failed writes, with no caller waiting for them
        self._closing = False
        self._thread: threading.Thread | None = None

    def submit(self, row: Row, token: Hashable | None = None) -> Receipt[Result]:
        """``token``: the gathering's, which said this row was coming."""
        receipt: Receipt[Result] = Receipt()
        with self._lock:
            if self._closing:
                raise RuntimeError(f"{self._name} is closed")
            self._queue.append((row, receipt))
            if self._gathering is not None and token is not None:
                self._gathering.forget(token)
            if self._thread is None:  # started by the first row: a run that writes nothing has no thread
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            if len(self._queue) == 1 or self._gathering is None or not self._gathering.awaited:
                self._wake.notify()  # the first row wakes an idle writer, the last awaited one a gathering writer
        return receipt

    def close(self) -> None:
        """Write what is waiting, then end the thread."""
        with self._lock:
            self._closing = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closing:
                    self._wake.wait()
                if not self._queue:
                    return
                if self._gathering is not None and not self._closing:
                    self._gathering.wait(self._wake)
                batch, self._queue = self._queue, []
                carried, self._carried = self._carried, []
            if _write_rows(self._write, batch, carried, self._name) is not None and self._keep_failed:
                with self._lock:
                    self._carried[:0] = carried + [row for row, _ in batch]


class GroupCommit(Generic[Row, Result]):
    """Writes rows with ``write`` from the callers' threads, all rows waiting in one call."""

    def __init__(self, write: Write[Row, Result], *, name: str, gathering: Gathering | None = None) -> None:
        self._write = write
        self._name = name
        self._gathering = gathering
        self._lock = threading.Lock()
        self._added = threading.Condition(self._lock)
        self._queue: list[tuple[Row, Receipt[Result]]] = []
        self._writing = False

    def add(self, row: Row, token: Hashable | None = None) -> Result:
        """Write ``row`` (with every row waiting, if this caller writes) and return its result;
        ``token``: the gathering's, which said this row was coming."""
        receipt: Receipt[Result] = Receipt()
        with self._lock:
            self._queue.append((row, receipt))
            if self._gathering is not None and token is not None:
                self._gathering.forget(token)
            receipt._leads = not self._writing
            self._writing = True
            if self._gathering is None or not self._gathering.awaited:
                self._added.notify()  # a writer gathering rows has them all: one wake-up, not one a row
        if not receipt._leads:
            receipt._signal.acquire()  # written by another caller, or this one writes next
        if receipt._leads:
            self._lead()
        return receipt.result()

    def _lead(self) -> None:
        """Write the queue (this caller's row is in it), then hand the next write to the first
        caller still waiting, or end the writing."""
        try:
            with self._lock:
                if self._gathering is not None:
                    self._gathering.wait(self._added)
                batch, self._queue = self._queue, []
            _write_rows(self._write, batch, [], self._name)
        finally:
            with self._lock:
                if self._queue:
                    following = self._queue[0][1]
                    following._leads = True
                    following._signal.release()
                else:
                    self._writing = False
