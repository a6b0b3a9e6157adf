"""Entries to rows and back, the words the search index gets, and the filters ``adp logs`` takes
turned into SQL (user text only ever as a bound parameter or an FTS5 string)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from adp_cli.errors import UsageError
from adp_cli.history.records import Entry, Logged

COLUMNS = (
    "ts", "at", "task", "provider", "server", "model", "item", "messages", "params", "reply", "result",
    "prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens", "cost_usd", "latency_ms",
    "error_type", "error_message", "run_id", "item_index", "item_id", "cache_key", "cached",
)  # fmt: skip
# A group commit writes its rows with a few multi-row statements rather than two per row: each
# statement gives up the GIL and must win it back from the busy workers, while the rest of the
# group waits. Rows per statement stay within SQLite's oldest limit of 999 bound parameters.
ROWS_PER_INSERT = 999 // (1 + len(COLUMNS))
LAST_ID = "SELECT max(id) FROM entries"
DEFAULT_LIMIT = 20  # adp logs without -n
_SELECT = f"SELECT {', '.join('entries.' + name for name in ('id', *COLUMNS))}"
SELECT_ENTRY = f"{_SELECT} FROM entries"
# CROSS JOIN keeps the word index as the outer loop (SQLite never reorders a CROSS JOIN).
_SELECT_MATCHES = f"{_SELECT} FROM entries_fts CROSS JOIN entries ON entries.id = entries_fts.rowid"
_SPEND = (
    "SELECT provider, server, model, count(*), sum(cached), sum(error_type IS NOT NULL), sum(cost_usd IS NULL),"
    " sum(prompt_tokens), sum(completion_tokens), total(cost_usd) FROM entries INDEXED BY entries_spend"
)
_JSON_FIELDS = ("item", "messages", "params", "result")


@cache
def insert_entries(count: int) -> str:
    """The INSERT of ``count`` entries, each row its id then the ``row()`` values."""
    one = f"({', '.join('?' * (1 + len(COLUMNS)))})"
    return f"INSERT INTO entries (id, {', '.join(COLUMNS)}) VALUES {', '.join([one] * count)}"


@cache
def insert_words(count: int) -> str:
    """The INSERT of ``count`` rows of the word index, each its entry's id then ``words()``."""
    return f"INSERT INTO entries_fts (rowid, input, prompt, reply) VALUES {', '.join(['(?, ?, ?, ?)'] * count)}"


# Compact JSON; ``default=str`` so an odd value in an item (a date from YAML) never makes a log
# write fail. One encoder for every row: ``json.dumps`` with options builds one per call.
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def row(entry: Entry) -> tuple[Any, ...]:
    """The values of an entry's row, in COLUMNS order."""
    return (
        entry.time.timestamp(), entry.time.astimezone(UTC).isoformat(), entry.task, entry.provider, entry.server,
        entry.model, _json(entry.item), _json(entry.messages), _json(entry.params), entry.reply,
        None if entry.result is None else _json(entry.result), entry.prompt_tokens, entry.cached_tokens,
        entry.completion_tokens, entry.reasoning_tokens, entry.cost_usd, entry.latency_ms, entry.error_type,
        entry.error_message, entry.run_id, entry.item_index, entry.item_id, entry.cache_key, int(entry.cached),
    )  # fmt: skip


def words(entry: Entry) -> tuple[str, str, str]:
    """What full-text search sees: the item's values (not its field names, which every entry
    shares), the text of the messages, and the raw reply."""
    return " ".join(_leaves(entry.item)), "\n".join(_message_texts(entry.messages)), entry.reply or ""


def _leaves(value: Any) -> list[str]:
    """The scalars of a JSON value, in document order; a loop, not recursion: this runs for
    every entry, and nested generators cost a zero-latency batch more than its SQLite insert."""
    leaves: list[str] = []
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            stack.extend(reversed(current.values()))
        elif isinstance(current, (list, tuple)):
            stack.extend(reversed(current))
        elif current is not None:
            leaves.append(current if isinstance(current, str) else str(current))
    return leaves


def _message_texts(messages: list[dict[str, Any]]) -> Iterator[str]:
    """A message's content is a string, or (OpenAI's multi-part form) a list of parts with text."""
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            yield content
        elif isinstance(content, list):
            yield from (part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str))


def logged(values: tuple[Any, ...]) -> Logged:
    """A row of SELECT_ENTRY as the dataclass."""
    fields = dict(zip(("id", *COLUMNS), values, strict=True))
    for name in _JSON_FIELDS:
        fields[name] = None if fields[name] is None else json.loads(fields[name])
    fields["time"] = datetime.fromisoformat(fields.pop("at"))
    fields["cached"] = bool(fields["cached"])
    del fields["ts"]
    return Logged(**fields)


@dataclass(frozen=True)
class Filters:
    """``adp logs`` filters (``since`` as Unix time, ``search`` as an FTS5 expression) and the
    statements they make, with their parameters."""

    task: str | None = None
    model: str | None = None
    since: float | None = None
    search: str | None = None

    def entries(self, limit: int | None) -> tuple[str, list[Any]]:
        """Entries newest first. With a search, the word index drives: it yields matches by
        descending id, so the first ``limit`` that pass the other filters end the query."""
        driver = "entries_fts.rowid" if self.search is not None else "entries.id"
        clauses, parameters = self._conditions(driver)
        if self.search is not None:
            sql = _SELECT_MATCHES
            clauses.insert(0, "entries_fts MATCH ?")
            parameters.insert(0, self.search)
        else:
            sql = SELECT_ENTRY
        sql += _where(clauses) + f" ORDER BY {driver} DESC"
        if limit is not None:
            sql += " LIMIT ?"
            parameters.append(limit)
        return sql, parameters

    def spend(self) -> tuple[str, list[Any]]:
        """The per-model totals, from the covering index alone, most expensive first."""
        clauses, parameters = self._conditions(None)
        group = " GROUP BY provider, server, model ORDER BY total(cost_usd) DESC, model"
        return _SPEND + _where(clauses) + group, parameters

    def _conditions(self, id_column: str | None) -> tuple[list[str], list[Any]]:
        """``since`` also bounds ``id_column`` by the first id at or after that time, so a scan
        newest first stops there instead of reading the whole log when few entries are recent."""
        clauses: list[str] = []
        parameters: list[Any] = []
        for clause, value in (("entries.task = ?", self.task), ("entries.model = ?", self.model), ("entries.ts >= ?", self.since)):
            if value is not None:
                clauses.append(clause)
                parameters.append(value)
        if self.since is not None and id_column is not None:
            clauses.append(f"{id_column} >= (SELECT min(id) FROM entries INDEXED BY entries_ts WHERE ts >= ?)")
            parameters.append(self.since)
        return clauses, parameters


def _where(clauses: list[str]) -> str:
    return " WHERE " + " AND ".join(clauses) if clauses else ""


def match_expression(text: str) -> str:
    """The user's search text as an FTS5 query that cannot be a syntax error: each
    whitespace-separated word becomes a quoted string (double quotes doubled), and an entry must
    hold all of them. ``808``, ``a"b``, ``drum-kit``, ``NOT`` or ``col:x`` are words, not syntax;
    inside one word, punctuation splits tokens that must follow each other (``drum-kit`` finds
    "drum kit" and "drum-kit")."""
    terms = text.split()
    if not terms:
        raise UsageError("the search text is empty: give a word to search for")
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def since_time(since: str | date | datetime) -> float:
    """Unix time of ``since``: an ISO date (local midnight: "today" as the user's clock says)
    or an ISO date and time (local time unless it carries an offset or ``Z``). Words such as
    "today" are for the CLI to turn into a date."""
    if isinstance(since, str):
        try:
            since = datetime.fromisoformat(since.strip())  # a bare date is its midnight
        except ValueError:
            raise UsageError(
                f"--since {since!r} is not an ISO date (2026-12-01) or date and time (2026-12-01T09:30, 2026-12-01T09:30Z)"
            ) from None
    if not isinstance(since, datetime):
        since = datetime(since.year, since.month, since.day)
    return (since if since.tzinfo is not None else since.astimezone()).timestamp()
