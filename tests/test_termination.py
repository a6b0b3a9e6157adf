"""SIGTERM and SIGHUP (issue 19, item 19): what ``timeout``, CI runners and a closed terminal send
stops a run the way Ctrl-C does. Requests in flight finish and are recorded in the ledger and in
``-o``, queued items are dropped, the process exits 128 + the signal's number with one line, and
a rerun sends only what is missing. A signal the process was started with ignored (``nohup``)
stays ignored. The real console script in a subprocess against the loopback Groq (and the Batch
API stand-in), POSIX only like sending a signal to a child."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from adp_cli.history import LogStore
from tests.support.batchapi import BatchAPI, ManualClock, Timings
from tests.support.cli import run
from tests.support.groqstub import GroqStub, Reply
from tests.support.items import file_lines, json_lines, wizard_items, write_jsonl

POSIX = pytest.mark.skipif(os.name == "nt", reason="sending SIGTERM or SIGHUP to a child is POSIX")

MODEL = "openai/gpt-oss-20b"
COUNT, JOBS = 40, 4
STOPS = [("SIGTERM", 143), ("SIGHUP", 129)]


def ledger_requests() -> int:
    path = Path(os.environ["COST_TRACKING_FILE"])
    if not path.exists():
        return 0
    today = json.loads(path.read_text(encoding="utf-8"))["days"].get(date.today().isoformat(), {})
    return sum(entry["requests"] for entry in today.values())


def adp(*args: str, ignored: tuple[str, ...] = ()) -> list[str]:
    """The console script's command line, its process started with SIGTERM and SIGHUP at their
    defaults (a suite run under ``nohup`` would pass SIGHUP on ignored), except those named,
    which it starts with ignored. Set in the child itself: no ``preexec_fn`` in a threaded test."""
    setup = "; ".join(f"signal.signal(signal.{name}, signal.SIG_{'IGN' if name in ignored else 'DFL'})" for name in ("SIGTERM", "SIGHUP"))
    script = f"import runpy, signal; {setup}; runpy.run_module('adp_cli', run_name='__main__', alter_sys=True)"
    return [sys.executable, "-c", script, *args]


def start(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while not condition() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    assert process.poll() is None and condition(), "the run ended (or never got there) before the signal"


@pytest.fixture
def batch(groq: GroqStub, tmp_path: Path) -> tuple[list[str], Path]:
    """A synchronous batch of COUNT items, JOBS in flight, each answered after one second: its
    arguments, and its -o file."""
    groq.latency = 1.0
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(COUNT))
    output = tmp_path / "out.jsonl"
    return ["casual", str(source), "-m", MODEL, "-j", str(JOBS), "-o", str(output), "-q"], output


@POSIX
@pytest.mark.parametrize(("name", "status"), STOPS)
def test_a_signal_mid_batch_keeps_every_answered_call_and_a_rerun_sends_the_rest(
    groq: GroqStub, batch: tuple[list[str], Path], name: str, status: int
) -> None:
    args, output = batch
    process = start(adp(*args))
    wait_until(lambda: len(groq.chat_requests) >= JOBS, process)

    process.send_signal(getattr(signal, name))
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == status
    assert stderr == "adp: error: terminated\n"
    assert len(groq.chat_requests) == JOBS  # queued items were dropped, not sent
    assert sorted(line["index"] for line in file_lines(output)) == list(range(JOBS))
    assert not any("error" in line for line in file_lines(output))
    assert ledger_requests() == JOBS

    groq.latency = 0.0
    rerun = subprocess.run(adp(*args), check=False, capture_output=True, text=True, env=dict(os.environ), timeout=120)

    assert rerun.returncode == 0, rerun.stderr
    assert [line["index"] for line in json_lines(rerun.stdout)] == list(range(JOBS, COUNT))
    assert sorted(line["index"] for line in file_lines(output)) == list(range(COUNT))
    assert len(groq.chat_requests) == COUNT
    assert ledger_requests() == COUNT


@POSIX
def test_a_second_signal_does_not_cut_the_requests_in_flight_short(groq: GroqStub, batch: tuple[list[str], Path]) -> None:
    """A supervisor may repeat its SIGTERM; the run is already stopping, and the answers on their
    way are still written (a SIGKILL is the way to stop at once)."""
    args, output = batch
    process = start(adp(*args))
    wait_until(lambda: len(groq.chat_requests) >= JOBS, process)

    process.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)

    assert (process.returncode, stderr) == (143, "adp: error: terminated\n")
    assert sorted(line["index"] for line in file_lines(output)) == list(range(JOBS))
    assert ledger_requests() == JOBS


@POSIX
def test_a_hangup_ignored_by_nohup_stays_ignored(groq: GroqStub, batch: tuple[list[str], Path]) -> None:
    args, output = batch
    groq.latency = 0.1
    process = start(adp(*args, ignored=("SIGHUP",)))
    wait_until(lambda: len(groq.chat_requests) >= JOBS, process)

    process.send_signal(signal.SIGHUP)
    _, stderr = process.communicate(timeout=60)

    assert (process.returncode, stderr) == (0, "")
    assert sorted(line["index"] for line in file_lines(output)) == list(range(COUNT))


@POSIX
def test_a_signal_while_a_batch_api_job_waits_keeps_the_job_for_a_rerun(groq: GroqStub, tmp_path: Path) -> None:
    clock = ManualClock()
    api = BatchAPI(groq, timings=Timings(validating=1.0, in_progress=10.0, finalizing=1.0), clock=clock)
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(10))
    output = tmp_path / "out.jsonl"
    state = Path(f"{output}.adp-batch.json")
    job = ["casual", str(source), "--batch-api", "-o", str(output), "-m", MODEL]
    process = start(adp(*job, "--wait", "-q"))

    def submitted() -> bool:
        try:
            return bool(json.loads(state.read_text(encoding="utf-8")).get("submitted"))
        except (OSError, ValueError):
            return False

    wait_until(submitted, process)
    wait_until(lambda: api.counters.retrieves >= 1, process)  # polling now
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 143, stderr
    # Where the signal lands decides the line: in the polling loop, which names the way back, or
    # between two of its steps (as Ctrl-C's would).
    assert stderr.splitlines()[-1] in {
        f"adp: error: stopped; the batches go on at Groq: rerun the same command or `adp batch wait {output}` to collect them",
        "adp: error: terminated",
    }
    assert state.exists()

    clock.advance(12.0)
    rerun = subprocess.run(adp(*job), check=False, capture_output=True, text=True, env=dict(os.environ), timeout=60)

    assert rerun.returncode == 0, rerun.stderr
    assert [line["index"] for line in json_lines(rerun.stdout)] == list(range(10))
    assert (api.counters.uploads, api.counters.batches_created) == (1, 1)



@pytest.mark.parametrize(
    "failure",
    [ValueError('Error building "literal" validator: Terminated: 15'), RuntimeError("generator raised StopIteration")],
    ids=["schema-error", "runtime-error"],
)
def test_a_stop_that_a_library_wrapped_is_still_a_stop(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], failure: Exception) -> None:
    """The signal lands wherever the main thread is; pydantic, building a validator the SDK asks
    for, turns the exception into a SchemaError of its own (seen once in 40 runs of the Batch
    API test above). Once the process was told to stop, that failure is the stop."""
    from adp_cli import process
    from adp_cli.cli.boundary import reported
    from adp_cli.errors import GenerationError, Interrupted, Terminated

    monkeypatch.setattr(process, "_received", [Terminated(signal.SIGTERM)])
    for raised in (failure, GenerationError("cannot reach Groq at http://127.0.0.1:9: Terminated: 15")):
        with pytest.raises(typer.Exit) as ended, reported(verbose=False):
            raise raised
        assert ended.value.exit_code == 143
        assert capsys.readouterr().err == "adp: error: terminated\n"

    with pytest.raises(typer.Exit) as ended, reported(verbose=False):
        raise Interrupted("stopped; the batches go on at Groq", Terminated(signal.SIGTERM))
    assert ended.value.exit_code == 143
    assert capsys.readouterr().err == "adp: error: stopped; the batches go on at Groq\n"


def test_without_a_signal_a_failure_is_what_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    from adp_cli import process
    from adp_cli.cli.boundary import reported

    assert process.terminated() is None
    with pytest.raises(typer.Exit) as ended, reported(verbose=False):
        raise ValueError("boom")
    assert ended.value.exit_code == 1
    assert capsys.readouterr().err == "adp: error: internal error: ValueError: boom (run with --verbose for the traceback)\n"


def test_a_stop_while_the_pool_starts_a_worker_waits_for_that_workers_answer(
    groq: GroqStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signal can land inside ``Thread.start`` after the new worker runs but before the pool
    records it, so the pool's own shutdown does not wait for it. Played here by a start that
    raises KeyboardInterrupt once its thread's request is at the server: that request, answered
    after the recorded worker's, is still in the log and the ledger before they close."""
    answered = iter([0.2, 1.0])  # the recorded worker's request comes back first
    groq.responder = lambda body: Reply(latency=next(answered, 0.0))
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(8))
    start_thread = threading.Thread.start
    workers: list[threading.Thread] = []

    def requests_arrived(count: int) -> None:
        deadline = time.monotonic() + 30
        while len(groq.chat_requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    def started_then_interrupted(thread: threading.Thread) -> None:
        if not thread.name.startswith("adp-worker-"):
            start_thread(thread)
            return
        workers.append(thread)
        if len(workers) == 2:
            requests_arrived(1)  # the first worker's request is out: the second one's is answered last
        start_thread(thread)
        if len(workers) == 2:
            requests_arrived(2)
            raise KeyboardInterrupt

    monkeypatch.setattr(threading.Thread, "start", started_then_interrupted)
    result = run(CliRunner(), "casual", str(source), "-m", MODEL, "-j", "4", "-q")

    assert result.exit_code == 130, result.output
    assert "closed" not in result.stderr
    assert not any(worker.is_alive() for worker in workers)
    with LogStore(Path(os.environ["ADP_LOGS_DB"])) as store:
        logged = store.entries(limit=None)
    assert len(groq.chat_requests) == 2
    assert (len(logged), ledger_requests()) == (2, 2)
