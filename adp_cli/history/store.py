"""The generation log: a SQLite file every adp process of the user writes to and reads from.

Threads: one connection per store, shared by the store's threads under a lock, rather than a
connection per thread. SQLite lets one writer at a time into a database anyway, so per-thread
connections would only turn a queue into busy-waiting between them; one connection also makes
group commit possible: ``record`` from 16 threads at once writes the rows waiting at that moment
in one transaction. Reads (``lookup``, queries) take the same lock; each takes a fraction of a
millisecond.

Processes: WAL mode lets readers and a writer work at once; writers take turns, waiting up to
``BUSY_TIMEOUT_S`` (a write transaction starts with BEGIN IMMEDIATE, so that wait is SQLite's
busy handler and never a deadlock error). ``synchronous=NORMAL``: a commit is not fsynced, so a
killed process loses nothing it committed (only a power cut could lose the last commits); a
kill mid-transaction loses the rows of that transaction, which were not recorded yet.

Failures: every method raises ``LogError`` (one line, the file named, ``ADP_LOGS_DB=off`` as
the way on); the store never deletes, replaces or repairs a file. ``record`` returns only once
its entry is committed, so a caller that catches LogError and writes its result line anyway
never loses the line, and a caller that shows a result after ``record`` returned knows the log
has it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from adp_cli.errors import LogError
from adp_cli.history import queries
from adp_cli.history.records import Entry, Logged, ModelCost, redacted
from adp_cli.history.schema import connect, database_error


@dataclass
class _Pending:
    """An entry's rows waiting for the group commit, and how its commit went."""

    row: tuple[Any, ...]
    words: tuple[str, str, str]
    done: bool = False
    id: int | None = None
    error: LogError | None = None


class LogStore:
    """An open log; a context manager that closes it. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection = connect(path)
        self._db = threading.Lock()  # one transaction at a time on the connection
        self._queue = threading.Condition()
        self._pending: list[_Pending] = []
        self._writing = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        with self._db:
            self._connection.close()

    def record(self, entry: Entry) -> int:
        """Write ``entry`` (redacted first) and return its id once it is committed.

        Group commit: the first thread to find no write going on writes every entry queued at
        that moment in one transaction; the others wait for it. Raises LogError when the write
        failed; nothing of that entry is in the log then."""
        clean = redacted(entry)
        try:
            slot = _Pending(queries.row(clean), queries.words(clean))
        except ValueError as err:  # a value JSON cannot write, such as an integer of 5,000 digits
            raise LogError(f"log database {self.path}: this entry cannot be written ({err})") from None
        with self._queue:
            self._pending.append(slot)
            while self._writing and not slot.done:
                self._queue.wait()
            if not slot.done:
                self._writing = True
                batch, self._pending = self._pending, []
        if not slot.done:
            self._commit(batch)
        if slot.error is not None:
            raise slot.error
        assert slot.id is not None
        return slot.id

    def _commit(self, batch: list[_Pending]) -> None:
        """Write ``batch`` in one transaction and hand each waiting thread its outcome, also when
        the write was cut short (the waiting threads must never hang)."""
        ids: list[int] = []
        error: LogError | None = None
        committed = False
        try:
            with self._transaction() as connection:
                for slot in batch:
                    cursor = connection.execute(queries.INSERT_ENTRY, slot.row)
                    assert cursor.lastrowid is not None
                    connection.execute(queries.INSERT_WORDS, (cursor.lastrowid, *slot.words))
                    ids.append(cursor.lastrowid)
            committed = True
        except LogError as err:
            error = err
        finally:
            if not committed and error is None:
                error = LogError(f"log database {self.path}: the write was interrupted; nothing of it was kept")
            with self._queue:
                for index, slot in enumerate(batch):
                    slot.id, slot.error, slot.done = (ids[index], None, True) if committed else (None, error, True)
                self._writing = False
                self._queue.notify_all()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db, self._errors():
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
                self._connection.execute("COMMIT")
            except BaseException:
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK")
                raise

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as err:
            raise database_error(self.path, err) from None

    def _select(self, sql: str, parameters: list[Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._db, self._errors():
            return self._connection.execute(sql, parameters).fetchall()

    def lookup(self, cache_key: str) -> Logged | None:
        """The newest successful entry with ``cache_key`` that was itself a real answer (not
        one served from the cache), or None."""
        rows = self._select(
            f"{queries.SELECT_ENTRY} WHERE cache_key = ? AND cached = 0 AND error_type IS NULL AND result IS NOT NULL"
            " ORDER BY id DESC LIMIT 1",
            (cache_key,),
        )
        return queries.logged(rows[0]) if rows else None

    def entries(
        self,
        *,
        limit: int | None = queries.DEFAULT_LIMIT,
        task: str | None = None,
        model: str | None = None,
        since: str | date | datetime | None = None,
        search: str | None = None,
    ) -> list[Logged]:
        """Entries newest first (in the order they were recorded), at most ``limit`` (None: all).

        ``task`` and ``model`` match exactly; ``since`` as ``queries.since_time`` reads it;
        ``search``: words that must all occur in the item, the prompt or the reply (see
        ``queries.match_expression``)."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        filters = queries.Filters(
            task=task,
            model=model,
            since=None if since is None else queries.since_time(since),
            search=None if search is None else queries.match_expression(search),
        )
        return [queries.logged(row) for row in self._select(*filters.entries(limit))]

    def entry(self, entry_id: int) -> Logged | None:
        """One entry whole (``adp logs show ID``), or None when there is no such id."""
        rows = self._select(f"{queries.SELECT_ENTRY} WHERE id = ?", (entry_id,))
        return queries.logged(rows[0]) if rows else None

    def costs(self, *, since: str | date | datetime | None = None, task: str | None = None) -> list[ModelCost]:
        """Per provider, server and model: entries, cached, failed, unpriced, tokens and cost
        since ``since`` (all time when None), most expensive first."""
        filters = queries.Filters(task=task, since=None if since is None else queries.since_time(since))
        return [ModelCost(*row) for row in self._select(*filters.spend())]
