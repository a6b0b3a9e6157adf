"""Group commit (adp_cli.group_writer): rows that come in while a write runs share the next write,
every caller gets its own row's result or the write's error, and nobody is left waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from adp_cli.group_writer import Gathering, GroupCommit, GroupWriter


class HeldWrite:
    """A write that records each call's rows (and its thread) and holds the first call until
    ``release()``, so the rows submitted meanwhile must wait for the next write."""

    def __init__(self) -> None:
        self.writes: list[list[int]] = []
        self.threads: list[str] = []
        self.started = threading.Event()
        self._release = threading.Event()

    def __call__(self, rows: list[int]) -> list[int]:
        self.writes.append(list(rows))
        self.threads.append(threading.current_thread().name)
        if len(self.writes) == 1:
            self.started.set()
            assert self._release.wait(timeout=30)
        return [row * 10 for row in rows]

    def release(self) -> None:
        self._release.set()


def _until(condition: Callable[[], bool]) -> None:
    """Wait (at most 30 s) for threads started by the test to reach the state ``condition`` sees."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)


# --- GroupWriter: a thread of its own writes ----------------------------------------------------


def test_rows_submitted_during_a_write_share_the_next_one() -> None:
    write = HeldWrite()
    writer: GroupWriter[int, int] = GroupWriter(write, name="adp-test")
    first = writer.submit(1)
    assert write.started.wait(timeout=30)
    later = [writer.submit(number) for number in (2, 3, 4)]
    write.release()

    assert [receipt.result() for receipt in (first, *later)] == [10, 20, 30, 40]
    assert write.writes == [[1], [2, 3, 4]]
    assert write.threads == ["adp-test", "adp-test"]
    writer.close()


def test_a_receipt_gives_its_result_as_often_as_asked() -> None:
    writer: GroupWriter[int, int] = GroupWriter(lambda rows: [row + 1 for row in rows], name="adp-test")
    receipt = writer.submit(41)

    assert (receipt.result(), receipt.result()) == (42, 42)
    writer.close()


def test_a_failed_write_is_every_callers_error_and_its_rows_go_into_the_next_write() -> None:
    writes: list[list[str]] = []

    def write(rows: list[str]) -> list[None]:
        writes.append(list(rows))
        if len(writes) == 1:
            raise OSError("disk full")
        return [None] * len(rows)

    writer: GroupWriter[str, None] = GroupWriter(write, name="adp-test", keep_failed=True)
    failed = writer.submit("a")
    with pytest.raises(OSError, match="disk full"):
        failed.result()
    writer.submit("b").result()

    assert writes == [["a"], ["a", "b"]]
    writer.close()


def test_without_keep_failed_a_failed_row_is_dropped() -> None:
    writes: list[list[str]] = []

    def write(rows: list[str]) -> list[None]:
        writes.append(list(rows))
        if rows == ["a"]:
            raise OSError("disk full")
        return [None] * len(rows)

    writer: GroupWriter[str, None] = GroupWriter(write, name="adp-test")
    with pytest.raises(OSError, match="disk full"):
        writer.submit("a").result()
    writer.submit("b").result()

    assert writes == [["a"], ["b"]]
    writer.close()


def test_a_write_that_answers_the_wrong_number_of_rows_is_an_error_for_each_caller() -> None:
    writer: GroupWriter[int, int] = GroupWriter(lambda rows: [], name="adp-test")

    with pytest.raises(RuntimeError, match="^adp-test: the write gave 0 results for 1 rows$"):
        writer.submit(1).result()
    writer.close()


def test_close_writes_what_waits_and_ends_the_thread() -> None:
    write = HeldWrite()
    writer: GroupWriter[int, int] = GroupWriter(write, name="adp-test-close")
    first = writer.submit(1)
    assert write.started.wait(timeout=30)
    second = writer.submit(2)
    closing = threading.Thread(target=writer.close)
    closing.start()
    write.release()
    closing.join(timeout=30)

    assert (first.result(), second.result()) == (10, 20)
    assert write.writes == [[1], [2]]
    assert "adp-test-close" not in [thread.name for thread in threading.enumerate()]
    with pytest.raises(RuntimeError, match="^adp-test-close is closed$"):
        writer.submit(3)


def test_a_writer_that_was_never_given_a_row_has_no_thread() -> None:
    writer: GroupWriter[int, int] = GroupWriter(lambda rows: rows, name="adp-test-idle")

    assert "adp-test-idle" not in [thread.name for thread in threading.enumerate()]
    writer.close()


# --- GroupCommit: the callers write -------------------------------------------------------------


def test_the_first_caller_writes_and_hands_the_next_write_to_the_first_one_waiting() -> None:
    write = HeldWrite()
    commit: GroupCommit[int, int] = GroupCommit(write, name="adp-test")
    results: dict[str, int] = {}

    def add(name: str, row: int) -> None:
        results[name] = commit.add(row)

    callers = [threading.Thread(target=add, args=(f"caller-{row}", row), name=f"caller-{row}") for row in (1, 2, 3)]
    callers[0].start()
    assert write.started.wait(timeout=30)
    callers[1].start()
    _until(lambda: len(commit._queue) == 1)  # caller-2 waits for the next write
    callers[2].start()
    _until(lambda: len(commit._queue) == 2)
    write.release()
    for caller in callers:
        caller.join(timeout=30)

    assert results == {"caller-1": 10, "caller-2": 20, "caller-3": 30}
    assert write.writes == [[1], [2, 3]]
    assert write.threads == ["caller-1", "caller-2"]


def test_sixteen_threads_share_writes_and_each_gets_its_own_result() -> None:
    writes: list[int] = []

    def write(rows: list[int]) -> list[int]:
        writes.append(len(rows))
        time.sleep(0.002)  # a slow disk: callers arriving meanwhile must share the next write
        return [-row for row in rows]

    commit: GroupCommit[int, int] = GroupCommit(write, name="adp-test")
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(commit.add, range(160)))

    assert results == [-row for row in range(160)]
    assert sum(writes) == 160
    assert len(writes) < 160


def test_a_failed_commit_is_the_error_of_its_callers_and_the_next_commit_works() -> None:
    write = HeldWrite()

    def failing_first(rows: list[int]) -> list[int]:
        results = write(rows)
        if len(write.writes) == 1:
            raise OSError("database is locked")
        return results

    commit: GroupCommit[int, int] = GroupCommit(failing_first, name="adp-test")
    outcomes: dict[int, object] = {}

    def add(row: int) -> None:
        try:
            outcomes[row] = commit.add(row)
        except OSError as error:
            outcomes[row] = str(error)

    first = threading.Thread(target=add, args=(1,))
    first.start()
    assert write.started.wait(timeout=30)
    second = threading.Thread(target=add, args=(2,))
    second.start()
    _until(lambda: len(commit._queue) == 1)
    write.release()
    first.join(timeout=30)
    second.join(timeout=30)

    assert outcomes == {1: "database is locked", 2: 20}
    assert commit.add(3) == 30
    assert write.writes == [[1], [2], [3]]


# --- Gathering: the writing caller waits for the rows said to be coming --------------------------


class RecordedWrite:
    """A write that records each call's rows."""

    def __init__(self) -> None:
        self.writes: list[list[int]] = []

    def __call__(self, rows: list[int]) -> list[int]:
        self.writes.append(list(rows))
        return [row * 10 for row in rows]


def test_a_commit_waits_for_the_rows_said_to_be_coming_and_writes_them_together() -> None:
    write = RecordedWrite()
    gathering = Gathering(linger=30.0)  # longer than the test: only the rows coming end the wait
    commit: GroupCommit[int, int] = GroupCommit(write, name="adp-test", gathering=gathering)
    gathering.expect("second")
    gathering.expect("third")
    results: dict[int, int] = {}

    def add(row: int, token: str | None) -> None:
        results[row] = commit.add(row, token)

    callers = [threading.Thread(target=add, args=(1, None))]
    callers[0].start()
    _until(lambda: commit._writing)
    callers += [threading.Thread(target=add, args=(2, "second")), threading.Thread(target=add, args=(3, "third"))]
    callers[1].start()
    _until(lambda: gathering.awaited == 1)
    assert write.writes == []  # the first caller still waits for the third row
    callers[2].start()
    for caller in callers:
        caller.join(timeout=30)

    assert results == {1: 10, 2: 20, 3: 30}
    assert write.writes == [[1, 2, 3]]
    assert gathering.awaited == 0


def _counting_notifies(condition: threading.Condition) -> list[int]:
    """Each ``notify`` of ``condition`` from now on, as the number it was asked to wake."""
    calls: list[int] = []
    notify = condition.notify

    def counted(n: int = 1) -> None:
        calls.append(n)
        notify(n)

    condition.notify = counted  # type: ignore[method-assign]
    return calls


def _expecting(*tokens: str) -> Gathering:
    """A gathering told these rows are coming, lingering longer than any test: only they end its wait."""
    gathering = Gathering(linger=30.0)
    for token in tokens:
        gathering.expect(token)
    return gathering


def test_a_gathering_commit_is_woken_once_when_the_last_row_it_waits_for_comes() -> None:
    write = RecordedWrite()
    gathering = _expecting("second", "third")
    commit: GroupCommit[int, int] = GroupCommit(write, name="adp-test", gathering=gathering)
    notifies = _counting_notifies(commit._added)
    callers = [threading.Thread(target=commit.add, args=(row, token)) for row, token in ((1, None), (2, "second"), (3, "third"))]
    callers[0].start()
    _until(lambda: commit._writing)
    callers[1].start()
    _until(lambda: gathering.awaited == 1)
    callers[2].start()
    for caller in callers:
        caller.join(timeout=30)

    assert write.writes == [[1, 2, 3]]
    assert notifies == [1]  # the third row; the leader's own and the second woke nobody


def test_a_gathering_writer_thread_is_woken_by_the_first_row_and_the_last_awaited_one() -> None:
    write = RecordedWrite()
    gathering = _expecting("second", "third")
    writer: GroupWriter[int, int] = GroupWriter(write, name="adp-test", gathering=gathering)
    notifies = _counting_notifies(writer._wake)

    receipts = [writer.submit(1), writer.submit(2, "second"), writer.submit(3, "third")]

    assert [receipt.result() for receipt in receipts] == [10, 20, 30]
    assert write.writes == [[1, 2, 3]]
    assert notifies == [1, 1]  # the first row (the writer may be idle) and the third
    writer.close()


def test_a_row_that_never_comes_holds_the_commit_for_the_linger_only() -> None:
    write = RecordedWrite()
    gathering = Gathering(linger=0.05)
    commit: GroupCommit[int, int] = GroupCommit(write, name="adp-test", gathering=gathering)
    gathering.expect("lost")

    started = time.monotonic()
    assert commit.add(1) == 10
    waited = time.monotonic() - started

    assert 0.05 <= waited < 10
    assert write.writes == [[1]]


def test_a_forgotten_row_is_not_waited_for() -> None:
    write = RecordedWrite()
    gathering = Gathering(linger=30.0)
    commit: GroupCommit[int, int] = GroupCommit(write, name="adp-test", gathering=gathering)
    gathering.expect("failed")
    gathering.forget("failed")

    started = time.monotonic()
    assert commit.add(1) == 10

    assert time.monotonic() - started < 10
    assert write.writes == [[1]]


@pytest.mark.parametrize(("seconds", "linger"), [(0.0, 0.0), (0.02, 0.02), (0.05, 0.05), (0.051, 0.0), (0.3, 0.0)])
def test_a_gathering_lingers_as_long_as_a_fast_call_takes_and_not_for_slow_ones(seconds: float, linger: float) -> None:
    gathering = Gathering(linger=1.0)
    gathering.pace(seconds)

    assert gathering.linger == linger


def test_with_nothing_coming_a_lone_row_is_written_at_once() -> None:
    write = RecordedWrite()
    commit: GroupCommit[int, int] = GroupCommit(write, name="adp-test", gathering=Gathering(linger=30.0))

    started = time.monotonic()
    assert [commit.add(row) for row in (1, 2)] == [10, 20]

    assert time.monotonic() - started < 10
    assert write.writes == [[1], [2]]
