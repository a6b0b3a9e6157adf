"""The state file belongs to the -o file it sits beside: its paths resolve against its own
folder, so `adp batch wait x/out.jsonl` from anywhere writes x/out.jsonl, and one whose
"output" names another file is refused, never followed (issue 19, item 6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support.batchapi import BatchAPI, ManualClock
from tests.support.batchjobs import (
    COUNT,
    assert_complete,
    job_args,
    ledger_today,
    state_file,
    state_of,
)
from tests.support.cli import one_line, run
from tests.support.items import file_lines, json_lines, wizard_items, write_jsonl

NOT_OURS = '{"index": 0, "phrase": "a line of another job"}\n'


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The job's folder: its input, -o and state file; the tests run from elsewhere."""
    made = tmp_path / "job"
    made.mkdir()
    write_jsonl(made / "items.jsonl", wizard_items(COUNT))
    return made


def edit_state(job_output: Path, **changes: Any) -> bytes:
    """Change fields of the job beside ``job_output`` by hand; the file's new bytes."""
    job = state_of(job_output) | changes
    state_file(job_output).write_text(json.dumps(job), encoding="utf-8")
    return state_file(job_output).read_bytes()


def test_the_state_file_records_its_paths_relative_to_its_folder(
    cli: CliRunner, api: BatchAPI, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder.parent)

    run(cli, *job_args(Path("job/items.jsonl"), Path("job/out.jsonl")))

    job = state_of(folder / "out.jsonl")
    assert (job["output"], job["input"]) == ("out.jsonl", "items.jsonl")


def test_batch_wait_from_another_folder_writes_beside_the_state_file(
    cli: CliRunner, api: BatchAPI, clock: ManualClock, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder)
    run(cli, *job_args(Path("items.jsonl"), Path("out.jsonl")))
    clock.advance(12.0)
    monkeypatch.chdir(folder.parent)
    bystander = folder.parent / "out.jsonl"
    bystander.write_text(NOT_OURS, encoding="utf-8")

    waited = run(cli, "batch", "wait", "job/out.jsonl")

    assert waited.exit_code == 0, waited.stderr
    assert_complete(json_lines(waited.stdout))
    assert_complete(file_lines(folder / "out.jsonl"))
    assert bystander.read_text(encoding="utf-8") == NOT_OURS
    assert not Path("out.jsonl.lock").exists()


@pytest.mark.parametrize("recorded", ["../victim.jsonl", "VICTIM", "sub/out.jsonl", "out.jsonl.adp-batch.json"])
def test_a_state_file_naming_another_output_is_refused(
    cli: CliRunner, api: BatchAPI, clock: ManualClock, folder: Path, recorded: str
) -> None:
    output = folder / "out.jsonl"
    victim = folder.parent / "victim.jsonl"
    victim.write_text(NOT_OURS, encoding="utf-8")
    run(cli, *job_args(folder / "items.jsonl", output))
    clock.advance(12.0)
    edited = edit_state(output, output=str(victim) if recorded == "VICTIM" else recorded)

    for command in (["batch", "wait", str(output)], ["batch", "status", str(output)], job_args(folder / "items.jsonl", output)):
        refused = run(cli, *command)
        assert refused.exit_code == 2, command
        message = one_line(refused.stderr)
        assert message.startswith(f"adp: error: the batch state file {state_file(output)} names ")
        assert message.endswith('beside it; a state file belongs to the -o file it sits beside: set its "output" to \'out.jsonl\' or move it')

    assert victim.read_text(encoding="utf-8") == NOT_OURS
    assert output.read_text(encoding="utf-8") == "" and state_file(output).read_bytes() == edited
    assert ledger_today() == {}


@pytest.mark.parametrize("recorded", ["./out.jsonl", "ABSOLUTE", "../job/out.jsonl"])
def test_a_state_file_naming_its_own_output_another_way_is_read(
    cli: CliRunner, api: BatchAPI, clock: ManualClock, folder: Path, recorded: str
) -> None:
    output = folder / "out.jsonl"
    run(cli, *job_args(folder / "items.jsonl", output))
    clock.advance(12.0)
    edit_state(output, output=str(output) if recorded == "ABSOLUTE" else recorded)

    waited = run(cli, "batch", "wait", str(output))

    assert waited.exit_code == 0, waited.stderr
    assert_complete(file_lines(output))


def test_a_state_file_naming_no_adp_task_is_refused(cli: CliRunner, api: BatchAPI, folder: Path) -> None:
    output = folder / "out.jsonl"
    run(cli, *job_args(folder / "items.jsonl", output))
    edit_state(output, task="rm -rf")

    refused = run(cli, "batch", "wait", str(output))

    assert refused.exit_code == 2
    assert one_line(refused.stderr) == (
        f"adp: error: the batch state file {state_file(output)} is damaged (task 'rm -rf' is no adp task); "
        "`adp batch list` shows the account's batches"
    )
