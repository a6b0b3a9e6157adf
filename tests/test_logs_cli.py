"""Every generation remembered: ``adp logs`` reads the SQLite log that every request (success or
failure, Groq or offline) is written to, and ``--cache`` answers from it what it answered before,
through the real CLI against the loopback Groq."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.cli import TEST_KEY, one_line, run, tsv
from tests.support.groqstub import GroqStub, Reply, chat_body, server_error
from tests.support.items import file_lines, wizard_items, write_jsonl

MODEL = "openai/gpt-oss-20b"  # $0.075 in / $0.30 out / $0.0375 cached per 1M (Groq's /models)


def logged(cli: CliRunner, *args: str) -> list[dict]:
    result = run(cli, "logs", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def ledger_requests(ledger: Path) -> int:
    days = json.loads(ledger.read_text(encoding="utf-8"))["days"]
    return sum(totals["requests"] for models in days.values() for totals in models.values())


def test_a_one_shot_is_logged_with_what_was_sent_and_what_came_back(cli: CliRunner, groq: GroqStub, rock_yaml: Path) -> None:
    groq.enqueue(Reply(body=chat_body("1. 808 drums thump under a glassy synth haze", MODEL, 120, 12)))
    result = run(cli, "casual", str(rock_yaml), "-m", MODEL, "--json", "-q")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)

    [entry] = logged(cli)

    sent = groq.chat_requests[0].body
    assert sent is not None
    assert (entry["task"], entry["provider"], entry["server"], entry["model"]) == ("casual", "groq", None, MODEL)
    assert entry["item"]["genre"] == {"primary": "Rock", "secondary": ["Alternative Rock"]}
    assert entry["messages"] == sent["messages"]
    assert entry["params"] == {key: value for key, value in sent.items() if key != "messages"}
    assert entry["reply"] == "1. 808 drums thump under a glassy synth haze"
    assert entry["result"] == shown["phrase"] == "808 drums thump under a glassy synth haze"
    assert (entry["prompt_tokens"], entry["completion_tokens"], entry["cost_usd"]) == (120, 12, shown["cost_usd"])
    assert entry["cost_usd"] == pytest.approx((120 * 0.075 + 12 * 0.30) / 1e6)
    assert (entry["error_type"], entry["cached"], entry["item_index"]) == (None, False, None)


def test_the_log_never_holds_the_key(cli: CliRunner, groq: GroqStub, rock_yaml: Path, tmp_path: Path) -> None:
    assert run(cli, "casual", str(rock_yaml), "-m", MODEL, "-q").exit_code == 0

    stored = b"".join(path.read_bytes() for path in tmp_path.glob("logs.db*"))
    assert stored and TEST_KEY.encode() not in stored and TEST_KEY[4:].encode() not in stored


def test_a_failed_request_is_logged_with_its_error(cli: CliRunner, groq: GroqStub, rock_yaml: Path) -> None:
    groq.fail_first(5, server_error)
    result = run(cli, "casual", str(rock_yaml), "-m", MODEL, "--max-retries", "0", "-q")

    assert result.exit_code == 1
    [entry] = logged(cli)
    assert (entry["error_type"], entry["result"], entry["model"]) == ("api_error", None, MODEL)
    assert "500" in entry["error_message"]


def test_a_batch_is_logged_item_by_item_under_one_run(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    items = wizard_items(6)
    result = run(cli, "structure", str(write_jsonl(tmp_path / "items.jsonl", items)), "-m", MODEL, "-j", "3", "-q")
    assert result.exit_code == 0, result.stderr

    entries = logged(cli)
    assert len({entry["run_id"] for entry in entries}) == 1
    assert sorted(entry["item_index"] for entry in entries) == list(range(6))
    assert {entry["item_index"]: entry["item_id"] for entry in entries} == {n: item.get("id") for n, item in enumerate(items)}


def test_offline_generations_are_logged_and_a_dry_run_is_not(cli: CliRunner, env: dict[str, str], rock_yaml: Path) -> None:
    assert run(cli, "casual", str(rock_yaml), "--dry-run", "-q").exit_code == 0
    assert logged(cli) == []
    assert run(cli, "bpm", "--phrase", "fast techno", "--genre", "Electronic", "--provider", "offline", "-q").exit_code == 0

    [entry] = logged(cli)
    assert (entry["task"], entry["provider"], entry["model"], entry["cost_usd"]) == ("bpm", "offline", "offline-template", 0.0)
    assert isinstance(entry["result"], int)


def test_filters_search_and_the_piped_listing(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    groq.content = lambda body: "808 cowbell" if "Jazz" in body["messages"][-1]["content"] else "A warm phrase."
    run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")
    run(cli, "structure", "--genre", "Jazz", "-m", MODEL, "-q")
    run(cli, "casual", "--genre", "Pop", "--provider", "offline", "-q")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()

    assert [entry["task"] for entry in logged(cli)] == ["casual", "structure", "casual"]  # newest first
    assert [entry["result"] for entry in logged(cli, "-s", "808")] == ["808 cowbell"]
    assert [entry["provider"] for entry in logged(cli, "--model", MODEL, "--task", "casual")] == ["groq"]
    assert len(logged(cli, "--since", "today")) == 3 and logged(cli, "--since", tomorrow) == []
    assert len(logged(cli, "-n", "2")) == 2
    piped = tsv(run(cli, "logs").stdout)
    assert list(piped[0]) == [
        "id", "time", "task", "provider", "model", "tokens", "cost_usd", "latency_ms", "cached", "result", "error", "item_index", "item_id"
    ]
    assert [row["result"] for row in piped] == ["A Pop track.", "808 cowbell", "A warm phrase."]


def test_show_prints_one_entry_whole_and_path_names_the_file(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")
    [entry] = logged(cli)

    shown = run(cli, "logs", "show", str(entry["id"]))
    as_json = json.loads(run(cli, "logs", "show", str(entry["id"]), "--json").stdout)
    missing = run(cli, "logs", "show", "999")

    assert shown.exit_code == 0 and shown.stdout.startswith(f"entry {entry['id']}, ")
    assert f"casual on {MODEL} (groq)" in shown.stdout and "--- user ---" in shown.stdout and "--- reply ---\nA warm test phrase." in shown.stdout
    assert as_json == entry
    assert missing.exit_code == 2 and "no entry 999" in one_line(missing.stderr)
    assert run(cli, "logs", "path").stdout == f"{tmp_path / 'logs.db'}\n"


def test_logs_off_generates_without_a_database(cli: CliRunner, groq: GroqStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_LOGS_DB", "off")

    assert run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q").exit_code == 0
    listing = run(cli, "logs")

    assert not list(tmp_path.glob("*.db*"))
    assert listing.exit_code == 2 and "ADP_LOGS_DB=off" in one_line(listing.stderr)


def test_cache_reruns_a_batch_into_a_new_file_without_sending(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(5))
    first = run(cli, "casual", str(source), "-m", MODEL, "-o", str(tmp_path / "first.jsonl"), "-q")
    assert first.exit_code == 0, first.stderr
    sent, paid = len(groq.chat_requests), ledger_requests(tmp_path / "ledger.json")

    again = run(cli, "casual", str(source), "-m", MODEL, "-o", str(tmp_path / "second.jsonl"), "--cache", "-q")

    assert again.exit_code == 0, again.stderr
    assert len(groq.chat_requests) == sent == 5 and ledger_requests(tmp_path / "ledger.json") == paid == 5
    lines = sorted(file_lines(tmp_path / "second.jsonl"), key=lambda line: line["index"])
    originals = sorted(file_lines(tmp_path / "first.jsonl"), key=lambda line: line["index"])
    assert [line["phrase"] for line in lines] == [line["phrase"] for line in originals]
    assert all(line["cached"] is True and line["cost_usd"] == 0.0 and line["prompt_tokens"] == 0 for line in lines)
    assert sum(entry["cached"] for entry in logged(cli, "-n", "100")) == 5


def test_cache_from_the_environment_and_a_changed_setting_misses(cli: CliRunner, groq: GroqStub, monkeypatch: pytest.MonkeyPatch) -> None:
    run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")
    monkeypatch.setenv("ADP_CACHE", "1")

    hit = json.loads(run(cli, "casual", "--genre", "Rock", "-m", MODEL, "--json", "-q").stdout)
    warmer = json.loads(run(cli, "casual", "--genre", "Rock", "-m", MODEL, "--temperature", "0.9", "--json", "-q").stdout)
    other_item = json.loads(run(cli, "casual", "--genre", "Jazz", "-m", MODEL, "--json", "-q").stdout)

    assert hit["cached"] is True
    assert "cached" not in warmer and "cached" not in other_item
    assert len(groq.chat_requests) == 3


def test_a_corrupt_log_stops_the_run_before_anything_is_paid(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    database = tmp_path / "logs.db"
    database.write_bytes(b"this is not a database" * 100)
    before = database.read_bytes()

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")

    assert result.exit_code == 2
    line = one_line(result.stderr)
    assert str(database) in line and "ADP_LOGS_DB=off" in line
    assert groq.chat_requests == [] and database.read_bytes() == before


def test_a_failed_log_write_costs_the_entry_not_the_result(cli: CliRunner, groq: GroqStub, monkeypatch: pytest.MonkeyPatch) -> None:
    from adp_cli.errors import LogError
    from adp_cli.history.store import LogStore

    def failing(self: LogStore, entry: object, token: object = None) -> int:
        raise LogError(f"log database {self.path}: disk I/O error")

    monkeypatch.setattr(LogStore, "record", failing)
    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "--json")

    assert result.exit_code == 0
    assert json.loads(result.stdout)["phrase"] == "A warm test phrase."
    assert "disk I/O error" in result.stderr


def _batch(source: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "adp_cli", "casual", str(source), "-o", str(output), "-q", *extra]


def test_batches_writing_at_once_lose_no_entry(env: dict[str, str], tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(150))
    runs = [subprocess.Popen(_batch(source, tmp_path / f"out{n}.jsonl", "--provider", "offline", "-j", "16"), env=dict(os.environ)) for n in range(3)]

    assert [process.wait(timeout=120) for process in runs] == [0, 0, 0]
    entries = json.loads(subprocess.run([sys.executable, "-m", "adp_cli", "logs", "--json", "-n", "1000"], capture_output=True, text=True, check=True).stdout)
    assert len(entries) == 450
    assert len({(entry["run_id"], entry["item_index"]) for entry in entries}) == 450


@pytest.mark.skipif(sys.platform == "win32", reason="kill -9 is a POSIX signal")
def test_a_kill_leaves_a_log_that_opens_with_every_written_line(groq: GroqStub, tmp_path: Path) -> None:
    groq.latency = 0.2
    source, output = write_jsonl(tmp_path / "items.jsonl", wizard_items(200)), tmp_path / "out.jsonl"
    process = subprocess.Popen(_batch(source, output, "-m", MODEL, "-j", "8"), env=dict(os.environ))
    deadline = time.monotonic() + 60
    while (not output.exists() or len(output.read_text(encoding="utf-8").splitlines()) < 20) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    listing = subprocess.run([sys.executable, "-m", "adp_cli", "logs", "--json", "-n", "1000"], capture_output=True, text=True)

    assert listing.returncode == 0, listing.stderr
    logged_items = {entry["item_index"] for entry in json.loads(listing.stdout)}
    whole_lines = output.read_text(encoding="utf-8").split("\n")[:-1]  # a line torn by the kill has no newline
    assert {json.loads(line)["index"] for line in whole_lines} <= logged_items
