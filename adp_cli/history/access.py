"""Where the log lives (``ADP_LOGS_DB``), opening it, and the library's read calls.

The off switch is decided here, before sqlite3 or the FTS5 check are imported, so
``ADP_LOGS_DB=off`` works even where SQLite could not serve the log.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from adp_cli.history.queries import DEFAULT_LIMIT
from adp_cli.history.records import Entry, Logged, ModelCost

if TYPE_CHECKING:
    from adp_cli.history.store import LogStore

LOGS_ENV = "ADP_LOGS_DB"
LOGS_FILENAME = "logs.db"  # beside the cost ledger's daily-costs.json


def logs_path() -> Path | None:
    """``ADP_LOGS_DB`` (a path; ``off`` in any case disables the log), else ``logs.db`` in the
    user data folder (``platformdirs.user_data_path("adp")``, where the cost ledger lives)."""
    configured = os.environ.get(LOGS_ENV, "").strip()
    if configured.lower() == "off":
        return None
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return platformdirs.user_data_path("adp") / LOGS_FILENAME


def open_store(path: Path | None = None) -> LogStore | NullStore:
    """The log at ``path`` (default: ``logs_path()``), created with its folder when missing;
    a ``NullStore`` when ``ADP_LOGS_DB=off`` and no ``path`` is given. Raises LogError when
    the file cannot serve as the log."""
    path = path or logs_path()
    if path is None:
        return NullStore()
    from adp_cli.history.store import LogStore

    return LogStore(path)


def entries(
    *,
    limit: int | None = DEFAULT_LIMIT,
    task: str | None = None,
    model: str | None = None,
    since: str | date | datetime | None = None,
    search: str | None = None,
) -> list[Logged]:
    """The newest logged entries, filtered as ``LogStore.entries`` says."""
    with open_store() as store:
        return store.entries(limit=limit, task=task, model=model, since=since, search=search)


def entry(entry_id: int) -> Logged | None:
    """One logged entry by id, or None."""
    with open_store() as store:
        return store.entry(entry_id)


def costs(*, since: str | date | datetime | None = None, task: str | None = None) -> list[ModelCost]:
    """Entries, tokens and cost per model since ``since``, most expensive first."""
    with open_store() as store:
        return store.costs(since=since, task=task)


class NullStore:
    """What ``ADP_LOGS_DB=off`` opens: records nothing and finds nothing, so the request path
    needs no special case for it."""

    path: Path | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        """Nothing to close."""

    def close(self) -> None:
        """Nothing to close."""

    def expect(self, token: Hashable, answered_in: float) -> None:
        """The log is off: nothing waits for entries."""

    def forget(self, token: Hashable) -> None:
        """The log is off: nothing waits for entries."""

    def record(self, entry: Entry, token: Hashable | None = None) -> int | None:
        """The log is off: the entry is dropped, and there is no id."""
        return None

    def lookup(self, cache_key: str) -> Logged | None:
        """The log is off: nothing is cached."""
        return None

    def entries(
        self,
        *,
        limit: int | None = DEFAULT_LIMIT,
        task: str | None = None,
        model: str | None = None,
        since: str | date | datetime | None = None,
        search: str | None = None,
    ) -> list[Logged]:
        return []

    def entry(self, entry_id: int) -> Logged | None:
        return None

    def costs(self, *, since: str | date | datetime | None = None, task: str | None = None) -> list[ModelCost]:
        return []
