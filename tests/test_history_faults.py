"""The generation log under faults: processes and threads writing at once, kill -9 mid-write,
corrupt, truncated, foreign, read-only and locked files. Each fault is one LogError line that
names the file and ``ADP_LOGS_DB=off``, and leaves the file byte for byte as it was."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adp_cli import history
from adp_cli.errors import ConfigError, LogError
from adp_cli.history import LogStore, schema
from tests.support.logwriter import entry as writer_entry

ROOT = Path(__file__).resolve().parent.parent
OFF = "set ADP_LOGS_DB=off to run without the log"
PAGE = 4096
posix_only = pytest.mark.skipif(os.name == "nt", reason="SIGKILL and folder permission bits are POSIX")


def start_writer(path: Path, process: int, threads: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.logwriter", str(path), str(process), str(threads), str(count)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def printed(lines: list[str]) -> dict[int, tuple[int, int, int]]:
    """``id process thread number`` lines as {id: (process, thread, number)}."""
    ids = {}
    for line in lines:
        entry_id, process, thread, number = map(int, line.split())
        ids[entry_id] = (process, thread, number)
    return ids


def logged_items(path: Path) -> dict[int, tuple[int, int, int]]:
    """Every entry in the log as {id: (process, thread, number)}, each checked whole against
    what the writer recorded."""
    with LogStore(path) as store:
        entries = store.entries(limit=None)
    found = {}
    for entry in entries:
        key = (entry.item["process"], entry.item["thread"], entry.item["number"])
        expected = writer_entry(*key)
        assert (entry.messages, entry.reply, entry.result) == (expected.messages, expected.reply, expected.result)
        found[entry.id] = key
    return found


def integrity(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def test_three_processes_of_sixteen_threads_lose_no_entry(tmp_path: Path) -> None:
    """They start together on a log that does not exist yet, so they also race to create it."""
    path = tmp_path / "logs.db"
    writers = [start_writer(path, process, threads=16, count=40) for process in range(3)]
    outputs = [writer.communicate(timeout=180) for writer in writers]

    assert [writer.returncode for writer in writers] == [0, 0, 0], [err for _, err in outputs]
    reported = printed([line for out, _ in outputs for line in out.splitlines()])
    expected = {(process, thread, number) for process in range(3) for thread in range(16) for number in range(40)}
    assert len(reported) == 3 * 16 * 40
    assert set(reported.values()) == expected
    assert logged_items(path) == reported
    assert integrity(path) == "ok"


def open_at_the_barrier(path: str, barrier: Any, outcomes: Any) -> None:
    """A forked process: open the log the moment all its siblings are ready to."""
    barrier.wait()
    try:
        LogStore(Path(path)).close()
        outcomes.put("opened")
    except LogError as error:
        outcomes.put(str(error))


@posix_only
def test_processes_opening_a_new_log_at_the_same_moment_all_succeed(tmp_path: Path) -> None:
    """Two processes switching a new file to WAL at once deadlock inside SQLite, which then
    fails one at once (no busy wait); each round gives four processes that chance."""
    forked = multiprocessing.get_context("fork")
    outcomes = forked.Queue()
    for round_number in range(40):
        path = tmp_path / f"logs-{round_number}.db"
        barrier = forked.Barrier(4)
        processes = [forked.Process(target=open_at_the_barrier, args=(str(path), barrier, outcomes)) for _ in range(4)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=60)

    assert [outcomes.get(timeout=10) for _ in range(40 * 4)] == ["opened"] * (40 * 4)


def test_sixteen_threads_of_one_store_get_distinct_committed_ids(tmp_path: Path) -> None:
    ids: list[int] = []
    with LogStore(tmp_path / "logs.db") as store:

        def write(thread: int) -> None:
            for number in range(50):
                ids.append(store.record(writer_entry(0, thread, number)))

        workers = [threading.Thread(target=write, args=(thread,)) for thread in range(16)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    assert len(set(ids)) == 16 * 50
    assert set(logged_items(tmp_path / "logs.db")) == set(ids)


@posix_only
def test_kill_9_mid_writes_loses_only_entries_in_flight(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    threads = 4
    writer = start_writer(path, 0, threads=threads, count=0)
    assert writer.stdout is not None
    lines = [writer.stdout.readline() for _ in range(300)]
    writer.send_signal(signal.SIGKILL)
    rest = writer.stdout.read()  # not communicate(): it would skip what readline() buffered
    assert writer.stderr is not None
    errors = writer.stderr.read()
    writer.wait(timeout=30)

    assert writer.returncode == -signal.SIGKILL, errors
    reported = printed(lines + rest.split("\n")[:-1])  # a line cut by the kill is no report
    logged = logged_items(path)
    assert len(reported) >= 300
    assert {entry_id: logged.get(entry_id) for entry_id in reported} == reported  # every returned record() is there
    assert len(logged) - len(reported) <= threads  # committed, not yet reported: at most one per thread
    assert integrity(path) == "ok"
    with LogStore(path) as store:
        new_id = store.record(writer_entry(1, 0, 0))
        assert new_id > max(logged)
        assert [entry.id for entry in store.entries(limit=1)] == [new_id]
        assert [entry.id for entry in store.entries(search="1-0-0")] == [new_id]  # its reply: "reply 1-0-0"


def random_bytes(data: bytes) -> bytes:
    return random.Random(5).randbytes(len(data))


def garbage_after_the_first_page(data: bytes) -> bytes:
    return data[:PAGE] + random.Random(6).randbytes(len(data) - PAGE)


CORRUPTIONS: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("random bytes", random_bytes, "is corrupt (file is not a database)"),
    ("truncated to half", lambda data: data[: len(data) // 2], "is corrupt (database disk image is malformed)"),
    ("last page cut", lambda data: data[:-PAGE], "is corrupt (database disk image is malformed)"),
    ("header only", lambda data: data[:100], "is corrupt (database disk image is malformed)"),
    ("garbage after the first page", garbage_after_the_first_page, "is corrupt (database disk image is malformed)"),
]


@pytest.fixture
def healthy(tmp_path: Path) -> bytes:
    """The bytes of a closed log of 60 entries (about 50 pages)."""
    path = tmp_path / "healthy.db"
    with LogStore(path) as store:
        for number in range(60):
            store.record(writer_entry(0, 0, number))
    return path.read_bytes()


@pytest.mark.parametrize(("damage", "mangle", "reason"), CORRUPTIONS, ids=[name for name, _, _ in CORRUPTIONS])
def test_a_corrupt_log_is_one_error_line_and_stays_as_it_was(
    tmp_path: Path, healthy: bytes, damage: str, mangle: Callable[[bytes], bytes], reason: str
) -> None:
    folder = tmp_path / "damaged"
    folder.mkdir()
    path = folder / "logs.db"
    path.write_bytes(broken := mangle(healthy))

    with pytest.raises(LogError) as caught:
        LogStore(path)

    assert str(caught.value) == f"log database {path} {reason}; it was left as is: move it away, or {OFF}"
    assert isinstance(caught.value, ConfigError)
    assert path.read_bytes() == broken
    assert sorted(folder.iterdir()) == [path]


def test_the_library_calls_report_a_corrupt_log_the_same_way(
    tmp_path: Path, healthy: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "logs.db"
    path.write_bytes(random_bytes(healthy))
    monkeypatch.setenv("ADP_LOGS_DB", str(path))

    for call in (history.entries, lambda: history.entry(1), history.costs):
        with pytest.raises(LogError, match=f"^log database .*logs.db is corrupt \\(file is not a database\\); .*{OFF}$"):
            call()
    assert path.read_bytes() == random_bytes(healthy)


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.commit()
    connection.close()
    before = path.read_bytes()

    with pytest.raises(LogError) as caught:
        LogStore(path)

    assert str(caught.value) == f"log database {path} holds other tables, not an adp log; point ADP_LOGS_DB elsewhere, or {OFF}"
    assert path.read_bytes() == before


def test_a_log_from_a_newer_adp_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "logs.db"
    LogStore(path).close()
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    connection.close()

    with pytest.raises(LogError) as caught:
        LogStore(path)

    assert str(caught.value) == f"log database {path} was written by a newer adp (schema 2); upgrade adp, or {OFF}"


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """Take the write bits off paths; they get them back before tmp_path is cleaned up."""
    changed: list[tuple[Path, int]] = []

    def make_read_only(path: Path) -> None:
        changed.append((path, stat.S_IMODE(path.stat().st_mode)))
        path.chmod(0o555 if path.is_dir() else 0o444)

    yield make_read_only
    for path, mode in reversed(changed):
        path.chmod(mode)


def test_a_read_only_file_is_refused_untouched(tmp_path: Path, healthy: bytes, read_only: Callable[[Path], None]) -> None:
    path = tmp_path / "logs.db"
    path.write_bytes(healthy)
    read_only(path)

    with pytest.raises(LogError) as caught:
        LogStore(path)

    assert str(caught.value) == f"log database {path} cannot be written: the file is read-only; {OFF}"
    assert path.read_bytes() == healthy


@posix_only
@pytest.mark.parametrize("exists", [False, True], ids=["new log", "existing log"])
def test_a_read_only_folder_is_refused(tmp_path: Path, healthy: bytes, read_only: Callable[[Path], None], exists: bool) -> None:
    folder = tmp_path / "locked-away"
    folder.mkdir()
    path = folder / "logs.db"
    if exists:
        path.write_bytes(healthy)
    read_only(folder)

    with pytest.raises(LogError) as caught:
        LogStore(path)

    assert str(caught.value) == f"log database {path} cannot be written: its folder {folder} is read-only; {OFF}"
    assert sorted(folder.iterdir()) == ([path] if exists else [])


def test_a_folder_is_not_a_log(tmp_path: Path) -> None:
    with pytest.raises(LogError) as caught:
        LogStore(tmp_path)

    assert str(caught.value) == f"log database {tmp_path} is not a regular file: point ADP_LOGS_DB at a file, or {OFF}"


def test_a_write_held_up_too_long_fails_every_waiting_record_and_the_next_one_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the write lock past the busy timeout: each record() raises, none
    hangs, nothing half-written stays, and once the lock is gone recording goes on."""
    monkeypatch.setattr(schema, "BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "logs.db"
    store = LogStore(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    failures: list[str] = []

    def write(number: int) -> None:
        try:
            store.record(writer_entry(0, number, 0))
        except LogError as error:
            failures.append(str(error))

    workers = [threading.Thread(target=write, args=(number,)) for number in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    blocker.execute("ROLLBACK")
    blocker.close()

    assert [worker.is_alive() for worker in workers] == [False] * 8
    assert failures == [f"log database {path} stayed locked by another process for 0.2 s; stop it, or {OFF}"] * 8
    later = store.record(writer_entry(1, 0, 0))
    assert [entry.id for entry in store.entries(limit=None)] == [later]
    store.close()
