"""Every generation remembered: a SQLite log of each request adp makes, and the cache it serves.

Reading the log from Python (nothing is printed; every call opens the log at ``logs_path()``
and closes it again)::

    from adp_cli import history
    latest = history.entries(limit=5, task="casual", since="2026-12-01")
    latest[0].id, latest[0].model, latest[0].result, latest[0].cost_usd
    history.entries(search="808")          # words in the item, the prompt or the reply
    history.entry(latest[0].id)            # one entry whole, or None
    history.costs(since="2026-12-01")      # ModelCost rows per model, most expensive first
    history.logs_path()                    # the database file, or None when ADP_LOGS_DB=off

Writing, and the cache (the request path)::

    key = history.cache_key("casual", messages, settings, model=None)
    with history.open_store() as store:    # a NullStore when ADP_LOGS_DB=off
        hit = store.lookup(key)            # newest successful real answer, or None
        store.record(history.Entry(task="casual", provider="groq", model=..., item=item,
                                   messages=messages, params=params, reply=..., result=...,
                                   cache_key=key))

``record`` returns once the entry is committed and raises ``LogError`` (a ConfigError) when it
cannot be: the caller decides whether the result line still goes out (it should). Opening
raises LogError for a corrupt, truncated, foreign, read-only or long-locked file, naming the
file and ``ADP_LOGS_DB=off``; the file is never changed then.

``since`` is an ISO date (local midnight) or ISO date and time (local time unless it has an
offset or ``Z``); words such as "today" are the CLI's to translate. ``search`` matches entries
holding every whitespace-separated word; the words are never FTS5 syntax.

The names load on first use, so importing this package costs no sqlite3 import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adp_cli.errors import LogError
    from adp_cli.history.access import (
        LOGS_ENV,
        NullStore,
        costs,
        entries,
        entry,
        logs_path,
        open_store,
    )
    from adp_cli.history.keys import cache_key
    from adp_cli.history.records import Entry, Logged, ModelCost
    from adp_cli.history.store import LogStore

_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("LOGS_ENV", "NullStore", "costs", "entries", "entry", "logs_path", "open_store"), "adp_cli.history.access"),
    "cache_key": "adp_cli.history.keys",
    **dict.fromkeys(("Entry", "Logged", "ModelCost"), "adp_cli.history.records"),
    "LogStore": "adp_cli.history.store",
    "LogError": "adp_cli.errors",
}

__all__ = [
    "LOGS_ENV",
    "Entry",
    "LogError",
    "LogStore",
    "Logged",
    "ModelCost",
    "NullStore",
    "cache_key",
    "costs",
    "entries",
    "entry",
    "logs_path",
    "open_store",
]


def __getattr__(name: str) -> Any:
    """Import a name's module the first time the name is used, then keep it here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'adp_cli.history' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
