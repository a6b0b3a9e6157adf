"""One writer of ``-o`` at a time, for a Batch API job too: two submissions at once submit every
item once, two collectors at once write every line once and bill it once (issue 19, item 4).

The second run must not act on what it read before the first one finished, so "at once" is
played at the worst moment: the in-process run reads the state file, and right then the other
run (a subprocess) runs from start to end. A run that reads the state file only while it holds
``FILE.lock`` makes the other one refuse; one that read it before would act on a stale job.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adp_cli.runs.batch_api import state
from tests.support.batchapi import BatchAPI, ManualClock
from tests.support.batchjobs import (
    COUNT,
    FAST,
    MODEL,
    STEPS,
    adp_process,
    assert_complete,
    job_args,
    ledger_today,
    state_exists,
    state_file,
)
from tests.support.cli import one_line, run
from tests.support.groqstub import GroqStub, Recorded, Reply
from tests.support.items import file_lines, json_lines

BUSY = "another adp run is writing to it"


class OtherRun:
    """Runs ``adp ARGS`` in a subprocess just after this process reads a state file for the
    ``at``-th time: the other run starts and ends between this run's read and what it does next."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *args: str, at: int = 1) -> None:
        self.args, self.at, self.reads = args, at, 0
        self.result: subprocess.CompletedProcess[str] | None = None
        self._load = state.load
        monkeypatch.setattr(state, "load", self)

    def __call__(self, path: Path) -> Any:
        read = self._load(path)
        self.reads += 1
        if self.reads == self.at:
            self.result = adp_process(*self.args)
        return read


def test_two_submissions_at_once_submit_every_item_once(
    cli: CliRunner, groq: GroqStub, monkeypatch: pytest.MonkeyPatch, source: Path, output: Path
) -> None:
    api = BatchAPI(groq, timings=STEPS, clock=ManualClock())
    other = OtherRun(monkeypatch, *job_args(source, output))

    this = run(cli, *job_args(source, output))

    assert this.exit_code == 0, this.stderr
    assert other.result is not None and other.result.returncode == 2
    assert BUSY in one_line(other.result.stderr)
    assert (api.counters.uploads, api.counters.batches_created, api.counters.lines_uploaded) == (1, 1, COUNT)


def wait_command(source: Path, output: Path) -> list[str]:
    return job_args(source, output, "--wait")


def batch_wait_command(source: Path, output: Path) -> list[str]:
    return ["batch", "wait", str(output)]


GONE = "is gone (another adp run has collected the job)"
# (this run, the other, the read of this run after which the other runs, who refuses and why).
# `adp batch wait` reads the state file twice: to name a missing job at once, then under the lock.
COLLECTORS = {
    "--wait holds -o, then adp batch wait": (wait_command, batch_wait_command, 1, "other", BUSY),
    "adp batch wait has read, then --wait": (batch_wait_command, wait_command, 1, "this", GONE),
    "adp batch wait holds -o, then --wait": (batch_wait_command, wait_command, 2, "other", BUSY),
    "adp batch wait has read, then adp batch wait": (batch_wait_command, batch_wait_command, 1, "this", GONE),
    "adp batch wait holds -o, then adp batch wait": (batch_wait_command, batch_wait_command, 2, "other", BUSY),
}


@pytest.mark.parametrize("this_command, other_command, at, refused, why", COLLECTORS.values(), ids=COLLECTORS.keys())
def test_two_collectors_at_once_write_and_bill_every_line_once(
    cli: CliRunner,
    groq: GroqStub,
    monkeypatch: pytest.MonkeyPatch,
    source: Path,
    output: Path,
    this_command: Callable[[Path, Path], list[str]],
    other_command: Callable[[Path, Path], list[str]],
    at: int,
    refused: str,
    why: str,
) -> None:
    clock = ManualClock()
    api = BatchAPI(groq, timings=STEPS, clock=clock)
    run(cli, *job_args(source, output))
    clock.advance(12.0)
    other = OtherRun(monkeypatch, *other_command(source, output), at=at)

    this = run(cli, *this_command(source, output))

    assert other.result is not None
    outcomes = {"this": (this.exit_code, this.stdout, this.stderr), "other": (other.result.returncode, other.result.stdout, other.result.stderr)}
    (code, stdout, errors) = outcomes.pop(refused)
    ((collected, lines, report),) = outcomes.values()
    assert code == 2 and why in one_line(errors) and stdout == ""
    assert collected == 0, report
    assert_complete(json_lines(lines))
    assert_complete(file_lines(output))
    assert ledger_today()[MODEL]["requests"] == COUNT
    assert not state_exists(output)
    assert (api.counters.uploads, api.counters.batches_created) == (1, 1)


class HoldDownloads:
    """A route ahead of the stand-in's that holds every result-file download until released."""

    def __init__(self, groq: GroqStub) -> None:
        self.arrived, self.released = threading.Event(), threading.Event()
        groq.routes.insert(0, self)

    def __call__(self, recorded: Recorded, raw: bytes) -> Reply | None:
        if recorded.method == "GET" and recorded.path.endswith("/content"):
            self.arrived.set()
            self.released.wait(timeout=30)
        return None


def test_adp_batch_wait_is_refused_while_a_wait_run_collects(
    cli: CliRunner, groq: GroqStub, source: Path, output: Path
) -> None:
    BatchAPI(groq, timings=FAST)
    held = HoldDownloads(groq)
    collecting = subprocess.Popen(
        [sys.executable, "-m", "adp_cli", *job_args(source, output, "--wait", "-q")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert held.arrived.wait(timeout=30)
        job = state_file(output).read_bytes()
        refused = run(cli, "batch", "wait", str(output))
        left = state_file(output).read_bytes()
    finally:
        held.released.set()
        _, errors = collecting.communicate(timeout=60)

    assert refused.exit_code == 2 and BUSY in one_line(refused.stderr)
    assert left == job  # only the run holding the lock rewrites the state file
    assert collecting.returncode == 0, errors
    assert_complete(file_lines(output))
    assert ledger_today()[MODEL]["requests"] == COUNT
