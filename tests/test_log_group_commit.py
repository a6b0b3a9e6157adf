"""The generation log's group commit: entries that wait together are written in one transaction
of multi-row statements, with the ids SQLite would have given them, and the word index finds
each under its own id; a commit waits for the entries said to be coming (a reply is in), and
a run leaves none said to be coming once it is over."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adp_cli import group_writer
from adp_cli.accounting.ledger import Tab
from adp_cli.dispatch.dispatcher import Dispatcher
from adp_cli.errors import LogError
from adp_cli.history import LogStore, queries
from tests.support.cli import run
from tests.support.groqstub import GroqStub, bad_request
from tests.support.items import wizard_items, write_jsonl
from tests.support.logwriter import entry as writer_entry

MODEL = "openai/gpt-oss-20b"


class Commits:
    """Every LogStore opened while the test runs, and for each commit its entries and how many
    entries the store still expected when it wrote."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.stores: list[LogStore] = []
        self.writes: list[tuple[int, int]] = []  # (entries written, entries still expected)
        opened, commit = LogStore.__init__, LogStore._commit

        def init(store: LogStore, path: Path) -> None:
            opened(store, path)
            self.stores.append(store)

        def counted(store: LogStore, batch: list[Any]) -> list[int]:
            self.writes.append((len(batch), store._coming.awaited))
            return commit(store, batch)

        monkeypatch.setattr(LogStore, "__init__", init)
        monkeypatch.setattr(LogStore, "_commit", counted)


def test_a_group_larger_than_one_insert_statement_gets_consecutive_ids_and_searchable_words(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "logs.db")
    count = 3 * queries.ROWS_PER_INSERT + 5
    ids: dict[int, int] = {}

    def write(number: int) -> None:
        ids[number] = store.record(writer_entry(0, 0, number))

    _queued_in_one_group(store, write, count)

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


def test_a_commit_waits_for_the_entry_said_to_be_coming_and_writes_both_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commits = Commits(monkeypatch)
    monkeypatch.setattr(group_writer, "GATHER_S", 60.0)  # so that only the second entry ends the wait
    store = LogStore(tmp_path / "logs.db")
    store.expect("second", answered_in=30.0)
    ids: dict[int, int] = {}

    def write(number: int, token: str | None) -> None:
        ids[number] = store.record(writer_entry(0, 0, number), token)

    first = threading.Thread(target=write, args=(0, None))
    first.start()
    _until(lambda: store._commits._writing)
    assert commits.writes == []  # the first entry waits for the second
    second = threading.Thread(target=write, args=(1, "second"))
    second.start()
    for thread in (first, second):
        thread.join(timeout=60)

    assert commits.writes == [(2, 0)]
    assert ids == {0: 1, 1: 2}
    store.close()


def test_a_one_shot_is_written_without_waiting_for_anything(
    cli: CliRunner, groq: GroqStub, rock_yaml: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commits = Commits(monkeypatch)

    result = run(cli, "casual", str(rock_yaml), "-m", MODEL, "-q")

    assert result.exit_code == 0, result.stderr
    assert commits.writes == [(1, 0)]


def test_after_a_batch_with_failures_no_entry_is_still_expected(
    cli: CliRunner, groq: GroqStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replies that fail as the model's fault are logged; a fault of adp's own after the reply
    (here a RuntimeError from finishing it) logs nothing, and no commit waits for its entry; a
    request the server refuses has no cost, and no ledger write waits for it either."""
    commits = Commits(monkeypatch)
    tabs: list[Tab] = []
    opened = Tab.__init__

    def init(tab: Tab, server: str | None = None) -> None:
        opened(tab, server)
        tabs.append(tab)

    monkeypatch.setattr(Tab, "__init__", init)
    finish = Dispatcher.finish

    def faulty(dispatcher: Dispatcher, task: Any, reply: Any, usage: Any) -> Any:
        if reply.content == "a funk phrase":
            raise RuntimeError("a bug after the reply")
        return finish(dispatcher, task, reply, usage)

    def content(request: dict) -> str:
        sent = json.dumps(request)
        return "" if "Jazz" in sent else "a funk phrase" if "Funk" in sent else "a phrase"

    monkeypatch.setattr(Dispatcher, "finish", faulty)
    groq.content = content
    groq.responder = lambda body: bad_request("refused") if "Blues" in json.dumps(body) else None
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(12))

    result = run(cli, "casual", str(source), "-m", MODEL, "-j", "4", "-q")

    errors = {line["index"]: line["error"] for line in map(json.loads, result.stdout.splitlines()) if "error" in line}
    assert sorted(errors) == [1, 6, 10]  # trk-01 is jazz (an empty reply), 600 blues (refused), trk-10 funk
    assert errors[10] == {"type": "internal_error", "message": "a bug after the reply"}
    [store] = commits.stores
    assert store._coming.awaited == 0
    assert sum(written for written, _ in commits.writes) == 11  # every request but the funk one
    [tab] = tabs
    assert tab._coming.awaited == 0


def test_a_run_with_the_log_off_builds_no_entries(cli: CliRunner, groq: GroqStub, rock_yaml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from adp_cli.history.records import Entry

    def built(entry: Entry) -> None:
        raise AssertionError("an entry was built for a log that is off")

    monkeypatch.setenv("ADP_LOGS_DB", "off")
    monkeypatch.setattr(Entry, "__post_init__", built)

    result = run(cli, "casual", str(rock_yaml), "-m", MODEL, "-q")

    assert result.exit_code == 0, result.stderr
    assert len(groq.chat_requests) == 1


def test_the_entries_of_slow_calls_are_written_as_they_come(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A remote model's replies come in waves of -j; a commit that waited for the whole wave would
    hold every worker of it until the slowest had built its entry."""
    commits = Commits(monkeypatch)
    store = LogStore(tmp_path / "logs.db")
    store.expect("still being built", answered_in=group_writer.GATHER_S * 4)

    started = time.monotonic()
    store.record(writer_entry(0, 0, 0))

    assert time.monotonic() - started < 10
    assert commits.writes == [(1, 1)]  # written with the other entry still expected
    store.close()


def test_an_entry_that_cannot_be_written_fails_alone_in_its_group(tmp_path: Path) -> None:
    """The writing thread builds the group's rows: one that JSON cannot write is its caller's
    LogError, and the rest of the group is committed."""
    path = tmp_path / "logs.db"
    store = LogStore(path)
    outcomes: dict[int, int | str] = {}

    def write(number: int) -> None:
        entry = writer_entry(0, 0, number)
        if number == 2:
            entry = replace(entry, item={"number": 16**5000})  # more digits than int -> str allows
        try:
            outcomes[number] = store.record(entry)
        except LogError as error:
            outcomes[number] = str(error)

    _queued_in_one_group(store, write, 5)

    assert str(outcomes.pop(2)).startswith(f"log database {path}: this entry cannot be written (Exceeds the limit (4300 digits)")
    assert sorted(outcomes.values()) == [1, 2, 3, 4]
    assert sorted(entry.item["number"] for entry in store.entries(limit=None)) == [0, 1, 3, 4]
    store.close()


def _queued_in_one_group(store: LogStore, write: Callable[[int], None], count: int) -> None:
    """``write(0)`` .. ``write(count - 1)`` from threads of their own, the first one's commit held
    by another connection's write lock until the others all wait behind it: they are one group."""
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
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


def _until(condition: Callable[[], bool]) -> None:
    """Wait (at most 30 s) until the threads the test started reach what ``condition`` sees."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)
