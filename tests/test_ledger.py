"""The daily cost ledger: sums, filters, opt-out, corrupt files, crash safety, concurrency, budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from adp_cli import group_writer
from adp_cli.accounting import ledger
from adp_cli.accounting.ledger import Call, Entry, Tab, entries, ledger_path, record, spent_today
from adp_cli.errors import BudgetExceededError, ConfigError

MODEL = "llama-3.1-8b-instant"
OTHER_MODEL = "llama-3.3-70b-versatile"
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ledger_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the ledger at a fresh file in tmp_path (inside a folder that does not exist yet)."""
    path = tmp_path / "data" / "daily-costs.json"
    monkeypatch.setenv("COST_TRACKING_FILE", str(path))
    monkeypatch.delenv("ADP_DAILY_BUDGET_USD", raising=False)
    return path


def _today() -> str:
    return date.today().isoformat()


def may_call(tab: Tab) -> None:
    """A call may start now: its reservation against the budget is granted (and let go)."""
    with tab.reserve(0.0):
        pass


def _leftovers(folder: Path, ledger_name: str) -> list[str]:
    """Files in the ledger folder other than the ledger itself and its lock file."""
    return sorted(p.name for p in folder.iterdir() if p.name not in {ledger_name, f"{ledger_name}.lock"})


def test_record_twice_same_model_and_day_is_summed(ledger_file: Path) -> None:
    record([Call(MODEL, 120, 12, 6.96e-06)])
    record([Call(MODEL, 240, 24, 1.392e-05)])

    assert entries() == [Entry(_today(), MODEL, 2, 360, 36, 2.088e-05)]


def test_file_format_is_versioned_indented_json(ledger_file: Path) -> None:
    record([Call(MODEL, 120, 12, 6.96e-06, requests=3)])

    text = ledger_file.read_text(encoding="utf-8")
    assert json.loads(text) == {
        "version": 1,
        "days": {
            _today(): {
                MODEL: {"requests": 3, "prompt_tokens": 120, "completion_tokens": 12, "cost_usd": 6.96e-06}
            }
        },
    }
    assert text.startswith('{\n  "version": 1,\n  "days": {\n')
    assert text.endswith("}\n")


def test_costs_are_rounded_to_12_significant_digits(ledger_file: Path) -> None:
    record([Call(MODEL, 1, 1, 0.1)])
    record([Call(MODEL, 1, 1, 0.2)])

    assert json.loads(ledger_file.read_text(encoding="utf-8"))["days"][_today()][MODEL]["cost_usd"] == 0.3
    assert spent_today() == 0.3


def test_two_models_are_kept_apart_and_sorted(ledger_file: Path) -> None:
    record([Call(OTHER_MODEL, 100, 10, 0.002)])
    record([Call(MODEL, 50, 5, 0.001)])

    assert entries() == [
        Entry(_today(), MODEL, 1, 50, 5, 0.001),
        Entry(_today(), OTHER_MODEL, 1, 100, 10, 0.002),
    ]
    assert spent_today() == 0.003


def test_days_filter_keeps_the_last_n_days_including_today(ledger_file: Path) -> None:
    three_days_ago = date.today() - timedelta(days=3)
    record([Call(MODEL, 10, 1, 0.5)], day=three_days_ago)
    record([Call(MODEL, 20, 2, 0.25)])

    old = Entry(three_days_ago.isoformat(), MODEL, 1, 10, 1, 0.5)
    new = Entry(_today(), MODEL, 1, 20, 2, 0.25)
    assert entries() == [old, new]
    assert entries(days=1) == [new]
    assert entries(days=3) == [new]
    assert entries(days=4) == [old, new]
    assert spent_today() == 0.25


def test_record_adds_every_call_in_one_write(ledger_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replaces: list[str] = []
    real_replace = os.replace

    def counting_replace(src: str, dst: str | os.PathLike[str]) -> None:
        replaces.append(str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", counting_replace)
    record([Call(MODEL, 100, 10, 0.001), Call(OTHER_MODEL, 200, 20, 0.004), Call(MODEL, 300, 30, 0.002)])

    assert replaces == [str(ledger_file)]
    assert entries() == [
        Entry(_today(), MODEL, 2, 400, 40, 0.003),
        Entry(_today(), OTHER_MODEL, 1, 200, 20, 0.004),
    ]


def test_record_with_no_calls_writes_nothing(ledger_file: Path) -> None:
    record([])

    assert not ledger_file.parent.exists()


def test_missing_file_reads_as_empty(ledger_file: Path) -> None:
    assert entries() == []
    assert spent_today() == 0.0
    assert not ledger_file.parent.exists()


@pytest.mark.parametrize("value", ["off", "OFF", "Off"])
def test_off_disables_the_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COST_TRACKING_FILE", value)

    record([Call(MODEL, 100, 10, 0.001)])
    record([Call(MODEL, 100, 10, 0.001)])

    assert ledger_path() is None
    assert entries() == []
    assert spent_today() == 0.0
    assert list(tmp_path.iterdir()) == []


def test_explicit_path_is_used_as_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COST_TRACKING_FILE", str(tmp_path / "costs.json"))

    assert ledger_path() == tmp_path / "costs.json"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG_DATA_HOME steers platformdirs on Linux only")
def test_default_path_is_in_the_platformdirs_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COST_TRACKING_FILE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    assert ledger_path() == tmp_path / "xdg" / "adp" / "daily-costs.json"


CORRUPT_CONTENTS = [
    pytest.param(b"{not json", id="invalid-json"),
    pytest.param(b"\xff\xfe{}", id="not-utf8"),
    pytest.param(b"[]", id="not-an-object"),
    pytest.param(b'{"version": 2, "days": {}}', id="unknown-version"),
    pytest.param(b'{"version": 1, "days": []}', id="days-not-an-object"),
    pytest.param(b'{"version": 1, "days": {"yesterday": {}}}', id="bad-day-key"),
    pytest.param(b'{"version": 1, "days": {"2026-11-25": {"m": []}}}', id="totals-not-an-object"),
    pytest.param(
        b'{"version": 1, "days": {"2026-11-25": {"m": '
        b'{"requests": "3", "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": 0.1}}}}',
        id="counter-not-an-int",
    ),
    pytest.param(
        b'{"version": 1, "days": {"2026-11-25": {"m": '
        b'{"requests": 3, "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": NaN}}}}',
        id="cost-not-finite",
    ),
]


@pytest.mark.parametrize("content", CORRUPT_CONTENTS)
def test_corrupt_file_is_reported_and_left_unchanged(ledger_file: Path, content: bytes) -> None:
    ledger_file.parent.mkdir()
    ledger_file.write_bytes(content)

    with pytest.raises(ConfigError) as recording:
        record([Call(MODEL, 100, 10, 0.001)])
    with pytest.raises(ConfigError) as reading:
        entries()

    for raised in (recording.value, reading.value):
        assert str(raised).startswith(f"ledger {ledger_file} is corrupt (")
        assert str(raised).endswith("); fix or move it, or set COST_TRACKING_FILE=off")
    assert ledger_file.read_bytes() == content
    assert _leftovers(ledger_file.parent, ledger_file.name) == []


@pytest.mark.parametrize("budget", ["1", ""])
def test_opening_a_tab_on_a_corrupt_ledger_is_a_config_error(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch, budget: str
) -> None:
    """A run opens its tab before the first request: a ledger that cannot take the call's record
    stops the run before anything is paid for, budget or not."""
    ledger_file.parent.mkdir()
    ledger_file.write_bytes(b"{not json")
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", budget)

    with pytest.raises(ConfigError, match="is corrupt"):
        Tab()
    assert ledger_file.read_bytes() == b"{not json"


def test_opening_a_tab_creates_the_ledger(ledger_file: Path) -> None:
    Tab()

    assert json.loads(ledger_file.read_text(encoding="utf-8")) == {"version": 1, "days": {}}


def test_empty_file_is_a_fresh_ledger(ledger_file: Path) -> None:
    ledger_file.parent.mkdir()
    ledger_file.write_bytes(b"")

    assert entries() == []
    record([Call(MODEL, 100, 10, 0.001)])
    assert entries() == [Entry(_today(), MODEL, 1, 100, 10, 0.001)]


def test_utf8_bom_from_a_windows_editor_is_accepted(ledger_file: Path) -> None:
    ledger_file.parent.mkdir()
    ledger_file.write_bytes(b'\xef\xbb\xbf{"version": 1, "days": {}}')

    record([Call(MODEL, 100, 10, 0.001)])

    assert entries() == [Entry(_today(), MODEL, 1, 100, 10, 0.001)]


def test_failed_replace_keeps_the_original_and_leaves_no_temp_file(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record([Call(MODEL, 100, 10, 0.001)])
    original = ledger_file.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(ConfigError, match=r"cannot write ledger .*disk full"):
        record([Call(MODEL, 999, 99, 0.5)])
    monkeypatch.undo()

    assert ledger_file.read_bytes() == original
    assert _leftovers(ledger_file.parent, ledger_file.name) == []


def test_failed_write_to_the_temp_file_leaves_no_temp_file(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record([Call(MODEL, 100, 10, 0.001)])
    original = ledger_file.read_bytes()

    def crash(fd: int) -> None:
        raise OSError("I/O error")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(ConfigError, match=r"cannot write ledger .*I/O error"):
        record([Call(MODEL, 999, 99, 0.5)])
    monkeypatch.undo()

    assert ledger_file.read_bytes() == original
    assert _leftovers(ledger_file.parent, ledger_file.name) == []


def test_a_held_lock_times_out_as_a_config_error_naming_it(
    ledger_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger_file.parent.mkdir()
    lock_file = f"{ledger_file}.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import filelock, sys, time\nwith filelock.FileLock({lock_file!r}):\n"
         "    print('held', flush=True)\n    sys.stdin.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        monkeypatch.setattr(ledger, "LOCK_TIMEOUT_S", 0.2)
        with pytest.raises(ConfigError, match=f"ledger lock {lock_file} still held after 0.2 s"):
            record([Call(MODEL, 100, 10, 0.001)])
    finally:
        holder.communicate("")
    assert not ledger_file.exists()


WORKER = """
import sys
from adp_cli.accounting.ledger import Call, record
for _ in range(10):
    record([Call(sys.argv[1], 100, 7, 0.000123)])
"""


def test_concurrent_processes_lose_nothing(ledger_file: Path) -> None:
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT), "COST_TRACKING_FILE": str(ledger_file)}
    started = time.perf_counter()
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, MODEL], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    errors = [worker.communicate(timeout=120)[1] for worker in workers]
    elapsed = time.perf_counter() - started

    assert [worker.returncode for worker in workers] == [0] * 8, errors
    totals = json.loads(ledger_file.read_text(encoding="utf-8"))["days"][_today()][MODEL]
    assert totals["requests"] == 80
    assert totals["prompt_tokens"] == 8000
    assert totals["completion_tokens"] == 560
    assert totals["cost_usd"] == pytest.approx(80 * 0.000123, abs=1e-12)
    assert _leftovers(ledger_file.parent, ledger_file.name) == []
    assert elapsed < 60


def test_no_budget_set_means_no_limit(ledger_file: Path) -> None:
    record([Call(MODEL, 100_000, 10_000, 1000.0)])  # $9,091 per 1M tokens: dear, and still a price adp accepts

    may_call(Tab())


def test_budget_not_yet_reached_allows_the_call(ledger_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "0.001")
    record([Call(MODEL, 100, 10, 0.0005)])

    may_call(Tab())


def test_budget_reached_refuses_the_call(ledger_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "0.001")
    record([Call(MODEL, 100, 10, 0.0005)])
    record([Call(MODEL, 100, 10, 0.0005)])

    with pytest.raises(BudgetExceededError) as raised:
        may_call(Tab())
    assert str(raised.value) == "daily budget reached: $0.001 spent today of $0.001 (ADP_DAILY_BUDGET_USD)"


def test_budget_counts_only_today(ledger_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "0.001")
    record([Call(MODEL, 100, 10, 5.0)], day=date.today() - timedelta(days=1))

    may_call(Tab())


def test_empty_budget_means_no_budget(ledger_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "")
    record([Call(MODEL, 100, 10, 5.0)])

    may_call(Tab())


@pytest.mark.parametrize("value", ["abc", "-1", "nan", "inf"])
def test_invalid_budget_is_a_config_error(ledger_file: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", value)

    with pytest.raises(ConfigError, match=f"ADP_DAILY_BUDGET_USD='{value}'"):
        Tab()


def test_a_call_waits_while_calls_in_flight_could_use_up_the_budget(ledger_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls in flight count at their estimate; a call that would start beyond the budget waits
    for them to settle at their real cost, and is refused once the spend reaches the budget."""
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "1")
    tab = Tab()
    second_started = threading.Event()

    def second_call() -> None:
        with tab.reserve(0.5):
            second_started.set()
            tab.add(Call(MODEL, 100, 10, 0.8))

    with tab.reserve(1.0):
        worker = threading.Thread(target=second_call)
        worker.start()
        assert not second_started.wait(0.2)  # 0 spent + 1.0 in flight: no room yet
        tab.add(Call(MODEL, 100, 10, 0.25))
    worker.join(timeout=10)

    assert second_started.is_set()  # the first settled at 0.25, leaving room
    with pytest.raises(BudgetExceededError, match=r"\$1.05 spent today of \$1 "):
        may_call(tab)


def test_import_stays_cheap() -> None:
    code = "import sys, adp_cli.accounting.ledger; print(sorted({'filelock', 'platformdirs', 'tempfile'} & set(sys.modules)))"
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)

    assert result.stdout == "[]\n"


def _totals(path: Path) -> dict[str, float]:
    """The one model's totals for today in the ledger file at ``path``."""
    (models,) = json.loads(path.read_text(encoding="utf-8"))["days"].values()
    return models["m"]


def test_tab_group_commits_concurrent_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many workers recording at once: every call lands, in fewer (locked) rewrites than calls,
    and each add returns only after its own row is in the file."""
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "ledger.json"
    monkeypatch.setenv("COST_TRACKING_FILE", str(path))
    monkeypatch.delenv("ADP_DAILY_BUDGET_USD", raising=False)
    writes: list[int] = []
    real_record = ledger.record

    def counted(rows):
        rows = list(rows)
        writes.append(len(rows))
        time.sleep(0.002)  # a slow disk: callers arriving meanwhile must share the next write
        real_record(rows)

    monkeypatch.setattr(ledger, "record", counted)
    tab = ledger.Tab()

    def call(number: int) -> int:
        tab.add(Call("m", 100, 10, 0.000123))
        return _totals(path)["requests"]  # its own row is already on disk

    with ThreadPoolExecutor(max_workers=16) as pool:
        seen = list(pool.map(call, range(160)))
    assert sum(writes) == 160
    assert len(writes) < 160
    assert all(count >= 1 for count in seen)
    totals = _totals(path)
    assert (totals["requests"], totals["prompt_tokens"], totals["completion_tokens"]) == (160, 16000, 1600)
    assert totals["cost_usd"] == pytest.approx(160 * 0.000123, abs=1e-12)


class CountedWrites:
    """The ledger's writes, each as the number of calls in it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.writes: list[int] = []
        real_record = ledger.record

        def counted(rows):
            rows = list(rows)
            self.writes.append(len(rows))
            real_record(rows)

        monkeypatch.setattr(ledger, "record", counted)


def test_while_calls_answer_fast_a_write_waits_for_the_calls_in_flight(ledger_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counted = CountedWrites(monkeypatch)
    monkeypatch.setattr(group_writer, "GATHER_S", 60.0)  # so that only the second call ends the wait
    tab = ledger.Tab()
    tab.answered_in(30.0)  # under GATHER_S: the next write waits (up to 30 s) for the call in flight
    tab.expect("second")
    first = tab.submit(Call("m", 100, 10, 0.001))
    second = tab.submit(Call("m", 200, 20, 0.002), "second")
    first.result()
    second.result()
    tab.close()

    assert counted.writes == [2]
    assert _totals(ledger_file)["requests"] == 2


def test_while_calls_answer_slowly_each_cost_is_written_as_it_comes(ledger_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counted = CountedWrites(monkeypatch)
    tab = ledger.Tab()
    tab.answered_in(group_writer.GATHER_S * 4)  # a remote model's pace: nothing waits for the call in flight
    tab.expect("in flight")
    started = time.monotonic()
    tab.add(Call("m", 100, 10, 0.001))
    waited = time.monotonic() - started
    tab.close()

    assert counted.writes == [1]
    assert waited < 10


def test_a_forgotten_call_is_not_waited_for(ledger_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counted = CountedWrites(monkeypatch)
    monkeypatch.setattr(group_writer, "GATHER_S", 60.0)
    tab = ledger.Tab()
    tab.answered_in(30.0)  # a wait for a call still expected would last 30 s
    tab.expect("failed")
    tab.forget("failed")
    started = time.monotonic()
    tab.add(Call("m", 100, 10, 0.001))
    tab.add(Call("m", 100, 10, 0.001))
    waited = time.monotonic() - started
    tab.close()

    assert counted.writes == [1, 1]
    assert waited < 10


def test_tab_reports_an_unwritable_ledger_to_every_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "ledger.json"
    monkeypatch.setenv("COST_TRACKING_FILE", str(path))
    tab = ledger.Tab()
    path.write_text("{not json", encoding="utf-8")  # spoiled after the run opened it

    def call(number: int) -> str:
        try:
            tab.add(Call("m", 1, 1, 0.1))
        except ConfigError as error:
            return str(error)
        return "recorded"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(call, range(24)))
    assert all("is corrupt" in outcome for outcome in outcomes)
    assert path.read_text(encoding="utf-8") == "{not json"
