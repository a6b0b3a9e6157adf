"""An unusable ledger stops a Batch API run before it does what the ledger must record: a
submission before anything is uploaded (as a synchronous run before its first request), a
collection before anything is downloaded, written or billed, so the results wait at Groq
(issue 19, item 8)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.batchapi import BatchAPI, ManualClock
from tests.support.batchjobs import (
    COUNT,
    MODEL,
    assert_complete,
    job_args,
    ledger_today,
    state_exists,
    state_of,
)
from tests.support.cli import one_line, run
from tests.support.items import file_lines, json_lines

CORRUPT = '{"version": 1, "days": {"2026-01-0'


@pytest.fixture
def ledger_file() -> Path:
    return Path(os.environ["COST_TRACKING_FILE"])


def corrupt_message(ledger_file: Path) -> str:
    return f"adp: error: ledger {ledger_file} is corrupt ("


def test_a_corrupt_ledger_stops_a_submission_before_anything_is_uploaded(
    cli: CliRunner, api: BatchAPI, source: Path, output: Path, ledger_file: Path
) -> None:
    ledger_file.write_text(CORRUPT, encoding="utf-8")

    refused = run(cli, *job_args(source, output))

    assert refused.exit_code == 2
    message = one_line(refused.stderr)
    assert message.startswith(corrupt_message(ledger_file)) and message.endswith("fix or move it, or set COST_TRACKING_FILE=off")
    assert (api.counters.uploads, api.counters.batches_created) == (0, 0)
    assert not state_exists(output)
    assert ledger_file.read_text(encoding="utf-8") == CORRUPT


@pytest.mark.parametrize("collector", ["rerun", "adp batch wait"])
def test_a_corrupt_ledger_at_collection_leaves_the_results_at_groq(
    cli: CliRunner, api: BatchAPI, clock: ManualClock, source: Path, output: Path, ledger_file: Path, collector: str
) -> None:
    run(cli, *job_args(source, output))
    clock.advance(12.0)
    job = state_of(output)
    ledger_file.write_text(CORRUPT, encoding="utf-8")
    command = job_args(source, output) if collector == "rerun" else ["batch", "wait", str(output)]

    refused = run(cli, *command)
    downloaded = api.counters.downloads
    ledger_file.unlink()  # the user moves the corrupt ledger away
    collected = run(cli, *command)

    assert refused.exit_code == 2 and refused.stdout == ""
    message = one_line(refused.stderr)
    assert message.startswith(corrupt_message(ledger_file))
    assert message.endswith(f"the results stay at Groq: `adp batch wait {output}` collects them once the ledger is usable")
    assert downloaded == 0
    assert collected.exit_code == 0, collected.stderr
    assert_complete(json_lines(collected.stdout))
    assert_complete(file_lines(output))
    assert ledger_today()[MODEL]["requests"] == COUNT
    assert not state_exists(output) and job["parts"][0]["billed"] is False
