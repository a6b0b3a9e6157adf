"""The README's recipes hold: a new task, a new transport and a new output format are added from
this test folder alone (a module each, plus one registry entry each) and work through the real
CLI, one-shot and batch, with the shared dispatcher, prices and ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adp_cli.cli import program
from adp_cli.output.formats import FORMATS
from adp_cli.tasks import registry
from adp_cli.transports import TRANSPORTS
from tests.support import toy_task
from tests.support.cli import run
from tests.support.items import json_lines, wizard_items, write_jsonl


@pytest.fixture
def toy_task_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """``adp echo``: its TaskSpec in the registry and its command on the app, both undone after."""
    monkeypatch.setitem(registry.TASK_SPECS, "echo", toy_task.SPEC)
    monkeypatch.setattr(program.app, "registered_commands", list(program.app.registered_commands))
    program.task_command(toy_task.SPEC)


@pytest.fixture
def toy_transport_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(TRANSPORTS, "upper", "tests.support.toy_transport:UpperTransport")


@pytest.mark.usefixtures("toy_task_registered")
def test_a_new_task_runs_offline_with_its_own_template_and_options(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "echo", "--genre", "Jazz", "--instrument", "Piano:lead", "--provider", "offline", "-q")
    help_text = run(cli, "echo", "--help").stdout

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Echo of Jazz\n"
    assert "--instrument" in help_text and "--poetic-level" not in help_text and "--phrase" not in help_text


@pytest.mark.usefixtures("toy_task_registered")
def test_a_new_task_shows_its_exact_request_in_a_dry_run(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "echo", "--genre", "Jazz", "--dry-run", "--json", "-q")

    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["messages"] == [{"role": "user", "content": "Name the genre in one word: Jazz"}]
    assert (shown["limit"], shown["temperature"], shown["max_tokens"]) == (100, 0.0, 20)


@pytest.mark.usefixtures("toy_transport_registered")
def test_a_new_transport_answers_through_the_shared_path(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    result = run(cli, "structure", "--genre", "Rock", "--provider", "upper", "-m", "upper-1", "--price", "1,2", "--json", "-q")
    ledger = run(cli, "cost", "--ledger", "--json")

    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["phrase"].endswith("\"GENRE\": \"ROCK\"\n}") and answer["provider"] == "upper" and answer["model"] == "upper-1"
    prompt, completion = answer["prompt_tokens"], answer["completion_tokens"]
    assert answer["cost_usd"] == pytest.approx((prompt * 1 + completion * 2) / 1e6)
    [entry] = json.loads(ledger.stdout)["entries"]
    assert (entry["server"], entry["model"], entry["requests"]) == ("upper.test", "upper-1", 1)


@pytest.mark.usefixtures("toy_task_registered", "toy_transport_registered")
def test_a_new_task_on_a_new_transport_streams_a_batch(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    items = wizard_items(6)
    result = run(cli, "echo", str(write_jsonl(tmp_path / "items.jsonl", items)), "--provider", "upper", "-j", "3", "-q")

    assert result.exit_code == 0, result.stderr
    lines = json_lines(result.stdout)
    assert [line["index"] for line in lines] == list(range(6))
    genres = [item["genre"]["primary"] if isinstance(item["genre"], dict) else item["genre"] for item in items]
    assert [line["phrase"] for line in lines] == [f"NAME THE GENRE IN ONE WORD: {genre.upper()}" for genre in genres]
    assert {line["model"] for line in lines} == {"upper-1"}  # the random pick comes from the server's list


@pytest.fixture
def toy_format_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(FORMATS, "csv", "tests.support.toy_format:CsvFormat")


@pytest.mark.usefixtures("toy_format_registered")
def test_a_new_output_format_writes_listings_and_answers(cli: CliRunner, env: dict[str, str]) -> None:
    listed = run(cli, "cost", "--tokens", "1000000", "-m", "openai/gpt-oss-20b", "--output-format", "csv")
    answered = run(cli, "bpm", "--phrase", "a fast techno track", "--genre", "Electronic", "--provider", "offline", "--output-format", "csv", "-q")

    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout == (
        "model,tokens,output_tokens,input_price,output_price,unit,cost_usd,source\n"
        "openai/gpt-oss-20b,1000000,0,0.075,0.3,1M tokens,0.075,genai-prices 0.2.3\n"
    )
    assert (answered.exit_code, answered.stdout) == (0, "125\n")
