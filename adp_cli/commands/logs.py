"""``adp logs``: what adp generated, from the generation log, as library calls (the entries, one
entry, a cost summary per model, where the log is)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from adp_cli.errors import UsageError

if TYPE_CHECKING:
    from adp_cli.history import Logged, ModelCost

# Words people type for a day, turned into the ISO date the log takes.
_DAYS = {"today": 0, "yesterday": 1}


@dataclass(frozen=True)
class LogListing:
    entries: list[Logged]


@dataclass(frozen=True)
class LogEntry:
    entry: Logged


@dataclass(frozen=True)
class LogCosts:
    rows: list[ModelCost]
    since: str | None


@dataclass(frozen=True)
class LogPath:
    path: Path


def since_date(text: str | None) -> str | None:
    """``--since``: an ISO date or date and time, or ``today``/``yesterday`` (local days)."""
    if text is None or text.strip().lower() not in _DAYS:
        return text
    return (date.today() - timedelta(days=_DAYS[text.strip().lower()])).isoformat()


def listing(limit: int = 20, task: str | None = None, model: str | None = None, since: str | None = None, search: str | None = None) -> LogListing:
    """The newest entries, filtered; ``search`` is full-text over item, prompt and reply."""
    from adp_cli import history

    _log_path()
    return LogListing(history.entries(limit=limit, task=task, model=model, since=since_date(since), search=search))


def show(entry_id: int) -> LogEntry:
    from adp_cli import history

    _log_path()
    found = history.entry(entry_id)
    if found is None:
        raise UsageError(f"the log has no entry {entry_id} (`adp logs` lists the newest)")
    return LogEntry(found)


def costs(since: str | None = None, task: str | None = None) -> LogCosts:
    """Requests, tokens and cost per model since a day: what did model X cost this week."""
    from adp_cli import history

    _log_path()
    day = since_date(since)
    return LogCosts(history.costs(since=day, task=task), day)


def path() -> LogPath:
    return LogPath(_log_path())


def _log_path() -> Path:
    from adp_cli import history

    found = history.logs_path()
    if found is None:
        raise UsageError(f"the generation log is off ({history.LOGS_ENV}=off)")
    return found
