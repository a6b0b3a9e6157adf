"""Opening the log database: checks that never write to a file that is not a healthy adp log,
then WAL mode, the busy timeout and the schema.

Order matters: the file is first only read (SQLite checks its header and that the file is as
long as the header says, then adp checks its schema version), and only then does anything write
(WAL mode, the tables). So a corrupt, truncated or foreign file is reported and left byte for
byte as it was.

Importing this module checks that this Python's SQLite has FTS5 (CPython's own builds do), since
``adp logs -s`` depends on it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import time
from pathlib import Path

from adp_cli.errors import ConfigError, LogError
from adp_cli.files import is_special

log = logging.getLogger("adp")

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0  # another process's write; as long as the ledger waits for its lock
_WAL_RETRY_S = 0.01
_OFF_HINT = "set ADP_LOGS_DB=off to run without the log"


def _require_fts5() -> None:
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
    except sqlite3.OperationalError:
        raise ConfigError(
            f"this Python's SQLite ({sqlite3.sqlite_version}) has no FTS5, which the generation log needs; {_OFF_HINT}"
        ) from None
    finally:
        probe.close()


_require_fts5()

_SCHEMA = """
CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,                -- Unix time, seconds (UTC): what --since compares
    at TEXT NOT NULL,                -- the same moment as ISO 8601 UTC, for people reading the file
    task TEXT NOT NULL,
    provider TEXT NOT NULL,
    server TEXT,                     -- the OpenAI-compatible server's label
    model TEXT NOT NULL,
    item TEXT NOT NULL,              -- JSON
    messages TEXT NOT NULL,          -- JSON
    params TEXT NOT NULL,            -- JSON
    reply TEXT,
    result TEXT,                     -- JSON value: a phrase string or a BPM integer
    prompt_tokens INTEGER NOT NULL,
    cached_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    cost_usd REAL,                   -- NULL: price unknown
    latency_ms REAL,
    error_type TEXT,
    error_message TEXT,
    run_id TEXT,
    item_index INTEGER,
    item_id,                         -- no type: an id keeps its JSON type (7 or "7")
    cache_key TEXT,
    cached INTEGER NOT NULL
);
-- An index on one column orders its equal values by id, so "--task bpm", newest first, reads
-- the index backwards and stops after -n entries. entries_spend covers the cost summary in
-- group order: the summary reads neither the large rows nor a sort. Nothing queries by run id:
-- each index costs every insert, so there is none for it.
CREATE INDEX entries_ts ON entries (ts);
CREATE INDEX entries_task ON entries (task);
CREATE INDEX entries_model ON entries (model);
CREATE INDEX entries_spend ON entries (provider, server, model, ts, cached, error_type, cost_usd, prompt_tokens, completion_tokens);
CREATE INDEX entries_cache ON entries (cache_key) WHERE cached = 0 AND error_type IS NULL AND result IS NOT NULL;
-- Contentless: the text lives in entries already, the index maps words to entry ids.
CREATE VIRTUAL TABLE entries_fts USING fts5 (input, prompt, reply, content='', tokenize='unicode61 remove_diacritics 2');
"""
# One statement per execute(): executescript() would commit the transaction they run in.
_STATEMENTS = [statement for statement in _SCHEMA.split(";\n") if statement.strip()]


def connect(path: Path) -> sqlite3.Connection:
    """An open, checked connection to the log at ``path`` (created with its folder if missing).

    The connection may be used from any thread (``check_same_thread=False``); the caller holds
    a lock around each use, since one connection runs one transaction at a time."""
    _refuse_unusable(path)
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as err:
        raise database_error(path, err) from None
    try:
        _check_existing(connection, path)
        _switch_to_wal(connection)
        connection.execute("PRAGMA synchronous=NORMAL")  # WAL: a process crash loses no commit
        _create_schema(connection, path)
    except sqlite3.Error as err:
        connection.close()
        raise database_error(path, err) from None
    except LogError:
        connection.close()
        raise
    return connection


def database_error(path: Path, err: sqlite3.Error) -> LogError:
    """One line naming the file, what is wrong with it, and how to go on."""
    code = getattr(err, "sqlite_errorname", "")
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return _corrupt(path, str(err))
    if code.startswith("SQLITE_READONLY"):
        return _read_only(path)
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return LogError(
            f"log database {path} stayed locked by another process for {BUSY_TIMEOUT_S:g} s; "
            f"stop it, or {_OFF_HINT}"
        )
    if code.startswith("SQLITE_FULL"):
        return LogError(f"log database {path}: the disk is full; free space, or {_OFF_HINT}")
    return LogError(f"log database {path}: {err}; {_OFF_HINT}")


def _corrupt(path: Path, detail: str) -> LogError:
    return LogError(
        f"log database {path} is corrupt ({detail}); it was left as is: move it away, or {_OFF_HINT}"
    )


def _read_only(path: Path, what: str = "the file or its folder is read-only") -> LogError:
    return LogError(f"log database {path} cannot be written: {what}; {_OFF_HINT}")


def _refuse_unusable(path: Path) -> None:
    """Refuse what SQLite would misuse or that root's permissions would hide.

    A device or FIFO is no database. A file or folder without write permission bits is refused
    by its mode, since root passes every permission check and would write to it anyway. Windows
    ignores a folder's read-only attribute, so the folder's bits count on POSIX only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if is_special(path):
            raise LogError(f"log database {path} is not a regular file: point ADP_LOGS_DB at a file, or {_OFF_HINT}")
        writable = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        if path.exists() and not path.stat().st_mode & writable:
            raise _read_only(path, "the file is read-only")
        if os.name != "nt" and not path.parent.stat().st_mode & writable:
            raise _read_only(path, f"its folder {path.parent} is read-only")
    except OSError as err:
        raise LogError(f"log database {path}: {err.strerror or err}; {_OFF_HINT}") from None


def _check_existing(connection: sqlite3.Connection, path: Path) -> None:
    """Read-only checks of a file that exists: SQLite's own (reading the schema fails on random
    bytes, and on a file shorter than its header's page count: a truncated copy), adp's schema
    version, and that the entries table's root and newest pages read. Damage elsewhere shows
    when a query or a write reaches it, as the same LogError."""
    # One statement, so one snapshot: another process may create the tables in between.
    version, tables = connection.execute(
        "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema WHERE type = 'table')"
    ).fetchone()
    if version > SCHEMA_VERSION:
        raise LogError(f"log database {path} was written by a newer adp (schema {version}); upgrade adp, or {_OFF_HINT}")
    if version == 0 and tables:
        raise LogError(f"log database {path} holds other tables, not an adp log; point ADP_LOGS_DB elsewhere, or {_OFF_HINT}")
    if version:
        connection.execute("SELECT max(id) FROM entries").fetchone()  # a few pages: the table's root and newest end


def _switch_to_wal(connection: sqlite3.Connection) -> None:
    """WAL mode, retried while SQLite reports a deadlock: two processes switching a new file at
    once each hold a read lock the other's switch must wait for, and SQLite then fails one at
    once instead of calling the busy handler. The retry finds the file switched already."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if not getattr(err, "sqlite_errorname", "").startswith("SQLITE_BUSY") or time.monotonic() > deadline:
                raise
        time.sleep(_WAL_RETRY_S)


def _create_schema(connection: sqlite3.Connection, path: Path) -> None:
    """Create the tables once; BEGIN IMMEDIATE makes processes that start together take turns
    (and is where a read-only file first shows)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version == 0:
            for statement in _STATEMENTS:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            log.debug("created the generation log %s", path)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
