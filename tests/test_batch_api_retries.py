"""Creating a batch and uploading a file are not idempotent: a 500 or a timeout after Groq did
the work must not make a second batch (or file), and a batch list that never ends must not hang
the look-up that replaces a blind retry (issue 19, items 5 and 11).

The stand-in does the work and then loses the answer (``LostAnswer``); every test counts what
exists at Groq afterwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from groq import Groq
from typer.testing import CliRunner

from tests.support.batchapi import BatchAPI, LostAnswer, ManualClock
from tests.support.batchjobs import (
    COUNT,
    STEPS,
    KillOn,
    adp_process,
    assert_complete,
    job_args,
    state_of,
)
from tests.support.cli import one_line, run
from tests.support.groqstub import GroqStub, Reply
from tests.support.items import json_lines, wizard_items, write_jsonl


def batch_files(sdk: Groq) -> list[str]:
    """The request files at Groq (result files are not counted)."""
    return [file.id or "" for file in sdk.files.list().data if file.purpose == "batch"]


# A lost answer: one batch, one file, whatever the SDK's retry count


LOST = {
    "a batch create answered 500 after creating": ("batches", LostAnswer()),
    "a batch create answered after the timeout": ("batches", LostAnswer(delay=1.0)),
    "an upload answered 500 after storing": ("files", LostAnswer()),
    "an upload answered after the timeout": ("files", LostAnswer(delay=1.0)),
}


@pytest.mark.parametrize("kind, lost", LOST.values(), ids=LOST.keys())
def test_a_lost_answer_leaves_one_batch_and_one_file(
    cli: CliRunner, api: BatchAPI, sdk: Groq, clock: ManualClock, source: Path, output: Path, kind: str, lost: LostAnswer
) -> None:
    api.lose_answers(kind, lost)

    submitted = run(cli, *job_args(source, output, "--timeout", "0.5", "--max-retries", "2"))
    clock.advance(12.0)
    collected = run(cli, *job_args(source, output))

    assert submitted.exit_code == 0, submitted.stderr
    (batch,) = sdk.batches.list().data
    assert batch_files(sdk) == [batch.input_file_id]
    assert (api.counters.uploads, api.counters.batches_created, api.counters.lines_uploaded) == (1, 1, COUNT)
    assert collected.exit_code == 0, collected.stderr
    assert_complete(json_lines(collected.stdout))


def test_the_batch_is_found_even_with_no_retries_allowed(
    cli: CliRunner, api: BatchAPI, sdk: Groq, source: Path, output: Path
) -> None:
    api.lose_answers("batches", LostAnswer())

    submitted = run(cli, *job_args(source, output, "--max-retries", "0"))
    looked = api.counters.lists

    assert submitted.exit_code == 0, submitted.stderr
    assert looked == 1  # once, after the 500
    (batch,) = sdk.batches.list().data
    assert state_of(output)["parts"][0]["batch_id"] == batch.id


def test_a_create_that_made_nothing_is_sent_again_after_looking(
    cli: CliRunner, api: BatchAPI, sdk: Groq, source: Path, output: Path
) -> None:
    api.lose_answers("batches", LostAnswer(created=False), LostAnswer(created=False, reply=Reply(status=503)))

    submitted = run(cli, *job_args(source, output, "--max-retries", "2"))
    looked = api.counters.lists

    assert submitted.exit_code == 0, submitted.stderr
    assert (api.counters.batches_created, looked) == (1, 2)  # looked after each failure, then sent again
    (batch,) = sdk.batches.list().data
    assert state_of(output)["parts"][0]["batch_id"] == batch.id


def test_when_the_retries_run_out_the_upload_stays_for_the_rerun(
    cli: CliRunner, api: BatchAPI, sdk: Groq, source: Path, output: Path
) -> None:
    api.lose_answers("batches", LostAnswer(created=False))

    failed = run(cli, *job_args(source, output, "--max-retries", "0"))
    (part,) = state_of(output)["parts"]
    rerun = run(cli, *job_args(source, output))

    assert failed.exit_code == 1
    assert one_line(failed.stderr) == "adp: error: Groq refused to create the batch (500 internal_server_error): Internal Server Error"
    assert part["input_file_id"] is not None and part["batch_id"] is None
    assert rerun.exit_code == 0, rerun.stderr
    (batch,) = sdk.batches.list().data
    assert batch_files(sdk) == [batch.input_file_id]
    assert api.counters.uploads == 1


def test_a_refused_create_is_not_looked_up_or_sent_again(
    cli: CliRunner, api: BatchAPI, source: Path, output: Path
) -> None:
    api.lose_answers("batches", LostAnswer(created=False, reply=Reply(status=400, body={"error": {"message": "no", "code": "invalid_value"}})))

    refused = run(cli, *job_args(source, output, "--max-retries", "2"))

    assert refused.exit_code == 1
    assert one_line(refused.stderr) == "adp: error: Groq refused to create the batch (400 invalid_value): no"
    assert (api.counters.batches_created, api.counters.lists) == (0, 0)


# An endless batch list


@pytest.mark.parametrize("loop", ["same_cursor", "same_page", "new_ids"])
def test_batch_list_ends_on_an_endless_cursor_and_shows_each_batch_once(
    cli: CliRunner, groq: GroqStub, tmp_path: Path, loop: str
) -> None:
    api = BatchAPI(groq, timings=STEPS, clock=ManualClock(), page_size=2)
    items = write_jsonl(tmp_path / "items.jsonl", wizard_items(3))
    run(cli, "casual", str(items), "--batch-api", "-o", str(tmp_path / "out.jsonl"), "-m", "openai/gpt-oss-20b", "--batch-size", "1")
    api.list_loop = loop

    listed = adp_process("batch", "list", "--limit", "10000", timeout=60)

    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()[1:]
    assert len({row.split("\t")[0] for row in rows}) == len(rows)
    assert len(rows) == (2 if loop != "new_ids" else 2 * 1000)
    assert one_line(listed.stderr).startswith("adp: WARNING: Groq's batch list does not end")


@pytest.mark.parametrize("loop", ["same_cursor", "same_page", "new_ids"])
def test_a_resume_stops_on_an_endless_cursor_instead_of_hanging_or_creating_again(
    groq: GroqStub, api: BatchAPI, clock: ManualClock, source: Path, output: Path, tmp_path: Path, loop: str
) -> None:
    killer = KillOn(groq, api, "POST", "/openai/v1/batches")
    killer.run([sys.executable, "-m", "adp_cli", *job_args(source, output)])
    groq.routes.remove(killer)
    clock.advance(0.5)
    others = write_jsonl(tmp_path / "others.jsonl", wizard_items(2))
    adp_process(*job_args(others, tmp_path / "others-out.jsonl", "--batch-size", "1"))  # newer batches: the lost one is not on page 1
    api.page_size, api.list_loop = 1, loop

    stuck = adp_process(*job_args(source, output), timeout=60)
    api.list_loop = None
    clock.advance(11.5)
    resumed = adp_process(*job_args(source, output))

    assert stuck.returncode == 1, stuck.stderr
    assert one_line(stuck.stderr).startswith("adp: error: Groq's batch list does not end")
    assert api.counters.batches_created == 3  # the lost one and the other job's two: none made again
    assert resumed.returncode == 0, resumed.stderr
    assert_complete(json_lines(resumed.stdout))
    assert api.counters.batches_created == 3
