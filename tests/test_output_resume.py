"""Which command may resume an ``-o`` file, and what resuming it costs (issue 19, items 16 and 19).

The file records what made it (task, input, the settings and flags that change an answer) in
``FILE.adp-run.json`` beside it; another command on the same ``-o`` is refused with one line
that names the difference, while ``-o`` holds anything. ``-o`` itself stays JSON Lines, one
result a line. A file made by an older adp (no record) resumes as before. The Batch API and
the synchronous runner use one recipe, so either resumes what the other left. Resuming keeps
one bit per index in memory, not a set.
"""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from dataclasses import asdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adp_cli.runs.batch_api.job import JobSpec
from adp_cli.runs.lines import OutputFile
from adp_cli.runs.recipe import Recipe
from adp_cli.tasks.casual import CASUAL
from adp_cli.tasks.items import Flags
from adp_cli.tasks.settings import Settings
from tests.support.batchapi import BatchAPI, Timings
from tests.support.cli import one_line, run
from tests.support.groqstub import GroqStub
from tests.support.items import file_lines, json_lines, wizard_items, write_jsonl

MODEL = "openai/gpt-oss-20b"
OFFLINE = ("--provider", "offline", "-q")
FAST = Timings(validating=0.05, in_progress=0.2, finalizing=0.05, cancelling=0.05, hour=2.5)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "items.jsonl", wizard_items(4))


@pytest.fixture
def output(tmp_path: Path) -> Path:
    return tmp_path / "out.jsonl"


@pytest.fixture
def made(cli: CliRunner, env: dict[str, str], source: Path, output: Path) -> bytes:
    """``-o`` after a finished ``adp casual items.jsonl`` run: its bytes."""
    first = run(cli, "casual", str(source), "-o", str(output), *OFFLINE)
    assert first.exit_code == 0, first.stderr
    return output.read_bytes()


def refusal(difference: str, output: Path) -> str:
    return f"adp: error: -o {output} holds the results of another command ({difference}); use another -o, or delete {output} to start over"


def test_another_task_on_the_same_output_is_refused(cli: CliRunner, source: Path, output: Path, made: bytes) -> None:
    result = run(cli, "structure", str(source), "-o", str(output), *OFFLINE)

    assert result.exit_code == 2
    assert one_line(result.stderr) == refusal("it holds casual results, this command is structure", output)
    assert result.stdout == "" and output.read_bytes() == made


def test_another_input_on_the_same_output_is_refused(cli: CliRunner, tmp_path: Path, source: Path, output: Path, made: bytes) -> None:
    other = write_jsonl(tmp_path / "other.jsonl", wizard_items(6))

    result = run(cli, "casual", str(other), "-o", str(output), *OFFLINE)

    assert result.exit_code == 2
    assert one_line(result.stderr) == refusal(f"it was made from {source}, this command reads {other}", output)
    assert output.read_bytes() == made


@pytest.mark.parametrize(
    ("options", "difference"),
    [
        (["-m", MODEL], f"--model was not set, now '{MODEL}'"),
        (["--seed", "7"], "--seed was not set, now 7"),
        (["--temperature", "0.5"], "--temperature was not set, now 0.5"),
        (["--max-tokens", "50"], "--max-tokens was not set, now 50"),
        (["--poetic-level", "80"], "--poetic-level was 50, now 80"),
        (["--reasoning", "low"], "--reasoning was not set, now 'low'"),
        (["--mood", "calm"], "--mood was not set, now ['calm']"),
        (["--genre", "Jazz"], "--genre was not set, now 'Jazz'"),
        (["--check"], "--check was not set, now True"),
        (["--variants", "2"], "--variants was not set, now 2"),
        (["--check", "--min-recall", "0.8"], "--check was not set, now True"),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else "",
)
def test_a_setting_that_changes_the_answer_is_another_command(
    cli: CliRunner, source: Path, output: Path, made: bytes, options: list[str], difference: str
) -> None:
    result = run(cli, "casual", str(source), "-o", str(output), *OFFLINE, *options)

    assert result.exit_code == 2
    assert one_line(result.stderr) == refusal(difference, output)
    assert output.read_bytes() == made


def test_another_prompts_folder_is_another_command(cli: CliRunner, tmp_path: Path, source: Path, output: Path, made: bytes) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()

    result = run(cli, "casual", str(source), "-o", str(output), *OFFLINE, "--prompts-dir", str(prompts))

    assert result.exit_code == 2
    assert one_line(result.stderr) == refusal(f"--prompts-dir was not set, now '{prompts}'", output)


def test_the_same_command_resumes_whatever_its_pace(cli: CliRunner, source: Path, output: Path, made: bytes) -> None:
    """Concurrency changes how fast, not what: the same recipe."""
    again = run(cli, "casual", str(source), "-o", str(output), *OFFLINE, "-j", "1")

    assert again.exit_code == 0, again.stderr
    assert again.stdout == "" and output.read_bytes() == made


def test_the_record_sits_beside_the_output_which_stays_json_lines(source: Path, output: Path, made: bytes) -> None:
    record = json.loads(Path(f"{output}.adp-run.json").read_text(encoding="utf-8"))

    assert (record["task"], record["input"], record["settings"]["poetic_level"], record["flags"]["mood"]) == ("casual", str(source), 50, [])
    assert record["fingerprint"] == Recipe.of(CASUAL, str(source), Flags(), Settings()).fingerprint()
    assert sorted(line["index"] for line in file_lines(output)) == [0, 1, 2, 3]
    assert all(set(json.loads(raw)) >= {"index", "phrase"} for raw in made.decode("utf-8").splitlines())


def test_an_output_an_older_adp_made_resumes_and_gets_a_record(cli: CliRunner, source: Path, output: Path, made: bytes) -> None:
    Path(f"{output}.adp-run.json").unlink()

    again = run(cli, "casual", str(source), "-o", str(output), *OFFLINE)
    other = run(cli, "structure", str(source), "-o", str(output), *OFFLINE)

    assert again.exit_code == 0, again.stderr
    assert again.stdout == "" and output.read_bytes() == made
    assert other.exit_code == 2
    assert one_line(other.stderr) == refusal("it holds casual results, this command is structure", output)


@pytest.mark.parametrize("emptied", ["deleted", "emptied"])
def test_a_record_beside_no_results_stops_nothing(cli: CliRunner, source: Path, output: Path, made: bytes, emptied: str) -> None:
    if emptied == "deleted":
        output.unlink()
    else:
        output.write_bytes(b"")

    result = run(cli, "structure", str(source), "-o", str(output), *OFFLINE)

    assert result.exit_code == 0, result.stderr
    assert [line["index"] for line in json_lines(result.stdout)] == [0, 1, 2, 3]
    assert json.loads(Path(f"{output}.adp-run.json").read_text(encoding="utf-8"))["task"] == "structure"


def test_a_damaged_record_is_one_line_that_says_what_to_do(cli: CliRunner, source: Path, output: Path, made: bytes) -> None:
    Path(f"{output}.adp-run.json").write_text("{not json", encoding="utf-8")

    result = run(cli, "casual", str(source), "-o", str(output), *OFFLINE)

    assert result.exit_code == 2
    line = one_line(result.stderr)
    assert line.startswith(f"adp: error: -o {output}: its run record {output}.adp-run.json is damaged (")
    assert line.endswith("delete the record to resume the file with this command, or use another -o")


def test_a_synchronous_run_resumes_what_a_finished_batch_api_job_wrote(cli: CliRunner, groq: GroqStub, source: Path, output: Path) -> None:
    BatchAPI(groq, timings=FAST)
    job = run(cli, "casual", str(source), "--batch-api", "--wait", "-o", str(output), "-m", MODEL, "-q")
    assert job.exit_code == 0, job.stderr
    collected = output.read_bytes()
    sent = len(groq.chat_requests)

    same = run(cli, "casual", str(source), "-o", str(output), "-m", MODEL, "-q")
    other = run(cli, "casual", str(source), "-o", str(output), "-m", MODEL, "-q", "--seed", "3")

    assert same.exit_code == 0, same.stderr
    assert same.stdout == "" and output.read_bytes() == collected and len(groq.chat_requests) == sent
    assert other.exit_code == 2
    assert one_line(other.stderr) == refusal("--seed was not set, now 3", output)


def test_the_batch_api_fingerprint_is_the_one_earlier_state_files_hold(tmp_path: Path) -> None:
    """A job submitted by the previous adp must resume after an upgrade: its state file holds
    the fingerprint the previous JobSpec.fingerprint() computed, this way."""
    settings, flags = Settings(model=MODEL, seed=4, prompts_dir=Path("my prompts")), Flags(mood=["calm"])
    spec = JobSpec(task=CASUAL, input="items.jsonl", output=tmp_path / "out.jsonl", flags=flags, settings=settings)
    earlier = {"task": "casual", "input": str(Path("items.jsonl").resolve()), "flags": asdict(flags), "settings": asdict(settings)}

    assert spec.fingerprint() == hashlib.sha256(json.dumps(earlier, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:16]


def test_resuming_200_000_lines_keeps_a_bit_per_line(env: dict[str, str], tmp_path: Path) -> None:
    """A set of 200,000 indices takes about 14 MB; the bitmap takes 25 KB."""
    output = tmp_path / "out.jsonl"
    with output.open("w", encoding="utf-8") as lines:
        lines.writelines(f'{{"index": {index}, "phrase": "p"}}\n' for index in range(200_000))
    target = OutputFile(output)
    tracemalloc.start()
    try:
        present = target.open()
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        target.close()

    assert len(present) == 200_000 and 199_999 in present and 200_000 not in present
    assert kept < 1_000_000
