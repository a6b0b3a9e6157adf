"""The generation log's group commit: entries that wait together are written in one transaction
of multi-row statements, with the ids SQLite would have given them, and the word index finds
each under its own id."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from adp_cli.history import LogStore, queries
from tests.support.logwriter import entry as writer_entry


def test_a_group_larger_than_one_insert_statement_gets_consecutive_ids_and_searchable_words(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    store = LogStore(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the first commit waits, so the others queue behind it
    count = 3 * queries.ROWS_PER_INSERT + 5
    ids: dict[int, int] = {}

    def write(number: int) -> None:
        ids[number] = store.record(writer_entry(0, 0, number))

    first = threading.Thread(target=write, args=(0,))
    first.start()
    _until(lambda: store._commits._writing)
    others = [threading.Thread(target=write, args=(number,)) for number in range(1, count)]
    for thread in others:
        thread.start()
    _until(lambda: len(store._commits._queue) == count - 1)
    blocker.execute("ROLLBACK")
    blocker.close()
    for thread in (first, *others):
        thread.join(timeout=60)

    assert sorted(ids.values()) == list(range(1, count + 1))
    entries = {entry.id: entry for entry in store.entries(limit=None)}
    assert {entry_id: entries[entry_id].item["number"] for entry_id in ids.values()} == {ids[number]: number for number in range(count)}
    assert [entry.id for entry in store.entries(search=f"reply 0-0-{count - 1}")] == [ids[count - 1]]
    store.close()


def test_ids_continue_after_the_newest_entry_another_process_wrote(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    with LogStore(path) as store:
        first = store.record(writer_entry(0, 0, 0))
    with LogStore(path) as other:
        second = other.record(writer_entry(1, 0, 0))
    with LogStore(path) as store:
        third = store.record(writer_entry(0, 0, 1))

    assert (first, second, third) == (1, 2, 3)


def _until(condition: Callable[[], bool]) -> None:
    """Wait (at most 30 s) until the threads the test started reach what ``condition`` sees."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)
