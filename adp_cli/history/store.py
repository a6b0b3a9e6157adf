"""The generation log: a SQLite file every adp process of the user writes to and reads from.

Threads: one connection per store, shared by the store's threads under a lock, rather than a
connection per thread. SQLite lets one writer at a time into a database anyway, so per-thread
connections would only turn a queue into busy-waiting between them; one connection also makes
group commit possible: ``record`` from 16 threads at once writes the rows waiting at that moment
in one transaction (``group_writer.GroupCommit``). Under load that is not enough: at zero
latency the rows come one after another, about two share a transaction, and a transaction
costs several times the rows in it once sixteen threads share the CPU. So a caller says which
entries are coming (``expect``: a reply is in, its entry is being built) and, while calls answer
fast, the writing thread waits for those (``group_writer.Gathering``); a lone request expects
nothing, and the replies of a remote model wait for nothing: both are written at once.
Reads (``lookup``, queries) take the same lock; each takes a fraction of a millisecond.

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
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from adp_cli.errors import LogError
from adp_cli.group_writer import Gathering, GroupCommit
from adp_cli.history import queries
from adp_cli.history.records import Entry, Logged, ModelCost, may_need_redacting, redacted
from adp_cli.history.schema import connect, database_error

_Row = tuple[tuple[Any, ...], tuple[str, str, str]]  # an entry's values and its words


class LogStore:
    """An open log; a context manager that closes it. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection = connect(path)
        self._db = threading.Lock()  # one transaction at a time on the connection
        self._coming = Gathering()
        self._commits: GroupCommit[Entry, int | LogError] = GroupCommit(self._commit, name="adp-log", gathering=self._coming)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        with self._db:
            self._connection.close()

    def expect(self, token: Hashable, answered_in: float) -> None:
        """An entry will be recorded soon with ``token``, of a call that took ``answered_in``
        seconds: while calls answer fast, a commit under way waits for it. The caller records
        it with the token, or ``forget``s the token (whatever happened in between)."""
        self._coming.pace(answered_in)
        self._coming.expect(token)

    def forget(self, token: Hashable) -> None:
        """The entry said to be coming with ``token`` will not come (its request failed past
        the log): no commit waits for it any more."""
        self._coming.forget(token)

    def record(self, entry: Entry, token: Hashable | None = None) -> int:
        """Write ``entry`` (redacted first) and return its id once it is committed; ``token``:
        the one ``expect`` was given for it, if any.

        Group commit: the first thread to find no write going on gathers the entries expected
        and writes every entry waiting in one transaction; the others wait for theirs. Raises
        LogError when the write failed, or this entry cannot be written; nothing of that entry
        is in the log then."""
        outcome = self._commits.add(entry, token)
        if isinstance(outcome, LogError):
            raise outcome
        return outcome

    def _commit(self, entries: list[Entry]) -> list[int | LogError]:
        """Write ``entries`` in one transaction: each entry's id, or why that one cannot be
        written (the others are).

        The rows are built here, by the thread that writes them, not by each caller: inside a
        zero-latency batch, sixteen workers building their own rows spent about 65 µs of CPU an
        entry, the writing thread building its group's rows about 40 (thread CPU, measured)."""
        built = [self._storable(entry) for entry in entries]
        ids = iter(self._insert([row for row in built if not isinstance(row, LogError)]))
        return [row if isinstance(row, LogError) else next(ids) for row in built]

    def _storable(self, entry: Entry) -> _Row | LogError:
        """The entry's row (redacted first, when it may hold something to hide) and its words."""
        try:
            row = queries.row(entry)
            if may_need_redacting(list(row)):
                entry = redacted(entry)
                row = queries.row(entry)
            return row, queries.words(entry)
        except ValueError as err:  # a value JSON cannot write, such as an integer of 5,000 digits
            return LogError(f"log database {self.path}: this entry cannot be written ({err})")

    def _insert(self, batch: list[_Row]) -> list[int]:
        """Write ``batch`` (each entry's row and words) in one transaction; the new ids.

        The ids are given, not left to SQLite: the write lock is held from BEGIN IMMEDIATE, so
        the rows take the ids after the newest one, as SQLite would give them, and the word
        index gets the same ids without a statement per row to ask for them."""
        if not batch:
            return []
        with self._transaction() as connection:
            (newest,) = connection.execute(queries.LAST_ID).fetchone()
            first = (newest or 0) + 1
            for start in range(0, len(batch), queries.ROWS_PER_INSERT):
                chunk = batch[start : start + queries.ROWS_PER_INSERT]
                ids = range(first + start, first + start + len(chunk))
                connection.execute(queries.insert_entries(len(chunk)), [value for id_, (row, _) in zip(ids, chunk) for value in (id_, *row)])
                connection.execute(queries.insert_words(len(chunk)), [value for id_, (_, words) in zip(ids, chunk) for value in (id_, *words)])
        return list(range(first, first + len(batch)))

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
