"""casual, structure and bpm through the real CLI against the loopback Groq.

Most tests run the Typer app in process (CliRunner keeps stdout and stderr apart); the ones about
the console entry point's own formatting (usage errors, --help, --version), logging, ``.env``
and the key never leaking run ``python -m adp_cli`` as a subprocess.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from adp_cli import __version__
from adp_cli.accounting.catalog import TEXT_GENERATION_MODELS
from adp_cli.accounting.prices import price_of
from adp_cli.accounting.tokens import count_tokens
from adp_cli.tasks.messages import (
    STYLE_INSTRUCTIONS,
    bpm_messages,
    casual_messages,
    structure_messages,
)
from adp_cli.tasks.wizard import BpmEstimationInput, parse_wizard
from tests.support.cli import TEST_KEY, one_line, run
from tests.support.groqstub import (
    GroqStub,
    Reply,
    bad_request,
    chat_body,
    decommissioned,
    invalid_api_key,
    model_not_found,
    rate_limited,
    server_error,
)

FAST = "openai/gpt-oss-20b"  # 0.075 in / 0.30 out / 0.0375 cached per 1M tokens (Groq /models)
BPM_MODEL = "openai/gpt-oss-120b"  # 0.15 in / 0.60 out / 0.075 cached
PLAIN = "allam-2-7b"  # a model that does not reason
POOL = [model.value for model in TEXT_GENERATION_MODELS]
RESULT_FIELDS = {
    "tokens_used",
    "cost_usd",
    "provider",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "cached_tokens",
    "reasoning_tokens",
}
DEFAULT_PHRASE = "A warm test phrase."

WIZARD: dict[str, Any] = {
    "genre": {"primary": "Jazz", "secondary": ["Bebop"]},
    "mood": ["calm", "warm"],
    "energy": ["low"],
    "texture": ["smooth"],
    "instrumentation": [{"instrument": "Piano", "role": "lead", "descriptors": ["soft"]}],
    "vocals": {"presence": "none"},
    "bpm": 92,
}


# --- helpers -------------------------------------------------------------------------------


def expected_cost(prompt: int, completion: int, price_in: float, price_out: float) -> float:
    return float(f"{(prompt * price_in + completion * price_out) / 1_000_000:.7g}")


@pytest.fixture
def wizard_yaml(tmp_path: Path) -> Path:
    path = tmp_path / "jazz.yaml"
    path.write_text(yaml.safe_dump(WIZARD, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def wizard_json(tmp_path: Path) -> Path:
    path = tmp_path / "jazz.json"
    path.write_text(json.dumps(WIZARD), encoding="utf-8")
    return path


def casual_content(document: dict[str, Any] = WIZARD, poetic_level: int = 50) -> str:
    return casual_messages(parse_wizard(document), poetic_level)[0]["content"]


def structure_content(document: dict[str, Any] = WIZARD) -> str:
    return structure_messages(parse_wizard(document))[0]["content"]


# --- output shape --------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["casual", "structure"])
def test_phrase_alone_on_stdout_and_table_on_stderr(cli: CliRunner, groq: GroqStub, wizard_yaml: Path, command: str) -> None:
    result = run(cli, command, str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == DEFAULT_PHRASE + "\n"
    header = next(line for line in result.stderr.splitlines() if "model" in line)
    assert re.split(r" {2,}", header.strip()) == ["model", "prompt", "completion", "reasoning", "total", "cost", "latency"]
    row = next(line for line in result.stderr.splitlines() if FAST in line)
    cells = re.split(r" {2,}", row.strip())
    # 12 answer tokens after 40 of low-effort reasoning: 120 x 0.075 + 52 x 0.30 per 1M
    assert cells[:6] == [FAST, "120", "52", "40", "172", "$0.0000246"]
    assert re.fullmatch(r"\d+ ms", cells[6])
    assert DEFAULT_PHRASE not in result.stderr


def test_quiet_drops_the_table(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST, "-q")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == DEFAULT_PHRASE + "\n"
    assert result.stderr == ""


@pytest.mark.parametrize("command", ["casual", "structure"])
def test_json_is_exactly_one_object_with_usage_and_cost(cli: CliRunner, groq: GroqStub, wizard_json: Path, command: str) -> None:
    result = run(cli, command, str(wizard_json), "-m", FAST, "--json")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    document = json.loads(result.stdout)
    assert set(document) == {"phrase"} | RESULT_FIELDS
    assert document["phrase"] == DEFAULT_PHRASE
    assert document["provider"] == "groq"
    assert document["model"] == FAST
    assert (document["prompt_tokens"], document["completion_tokens"], document["tokens_used"]) == (120, 52, 172)
    assert (document["cached_tokens"], document["reasoning_tokens"]) == (0, 40)  # the stub's first prompt: nothing cached
    # 120 x 0.075 + 52 x 0.30 per 1M tokens = 2.46e-05
    assert document["cost_usd"] == pytest.approx(expected_cost(120, 52, 0.075, 0.30), rel=1e-9)
    assert document["cost_usd"] == pytest.approx(2.46e-05, rel=1e-9)
    assert isinstance(document["latency_ms"], int) and document["latency_ms"] >= 0


def test_bpm_json_and_plain(cli: CliRunner, groq: GroqStub) -> None:
    groq.content = "128 BPM"
    plain = run(cli, "bpm", "--phrase", "Driving techno", "--genre", "Techno")
    assert plain.exit_code == 0, plain.stderr
    assert plain.stdout == "128\n"

    as_json = run(cli, "bpm", "--phrase", "Driving techno", "--genre", "Techno", "--json")
    assert as_json.exit_code == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert set(document) == {"bpm"} | RESULT_FIELDS
    assert document["bpm"] == 128
    assert document["model"] == BPM_MODEL
    # the second request of the same prompt: 64 of its 120 prompt tokens come from Groq's cache;
    # 56 x 0.15 + 64 x 0.075 + (12 + 40 reasoning) x 0.60 per 1M = 4.44e-05
    assert (document["prompt_tokens"], document["cached_tokens"], document["completion_tokens"]) == (120, 64, 52)
    assert document["cost_usd"] == pytest.approx(4.44e-05, rel=1e-9)


# --- exact request bodies ------------------------------------------------------------------


def test_casual_request_body(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 0, result.stderr
    [request] = groq.chat_requests
    assert request.body == {
        "model": FAST,
        "messages": [{"role": "user", "content": casual_content()}],
        "temperature": 0.1,
        "max_tokens": 4524,  # the guide's 3500 for the answer + 1024 for low-effort reasoning
        "reasoning_effort": "low",
        "include_reasoning": False,
    }
    assert "\n\nMusic Data: Genre: Jazz. (Bebop). Mood: calm, warm" in request.body["messages"][0]["content"]


def test_structure_request_body(cli: CliRunner, groq: GroqStub, wizard_json: Path) -> None:
    result = run(cli, "structure", str(wizard_json), "-m", FAST)

    assert result.exit_code == 0, result.stderr
    [request] = groq.chat_requests
    assert request.body == {
        "model": FAST,
        "messages": [{"role": "user", "content": structure_content()}],
        "temperature": 0.7,
        "max_tokens": 4524,  # the guide's 3500 for the answer + 1024 for low-effort reasoning
        "reasoning_effort": "low",
        "include_reasoning": False,
    }
    assert "\n\nPlease generate a phrase for the following structured data:\n\n{" in request.body["messages"][0]["content"]


def test_bpm_request_body(cli: CliRunner, groq: GroqStub) -> None:
    groq.content = "128"
    result = run(cli, "bpm", "--phrase", "Driving techno", "--genre", "Techno", "--subgenre", "Minimal", "--energy", "high")

    assert result.exit_code == 0, result.stderr
    [request] = groq.chat_requests
    question = BpmEstimationInput(
        input_phrase="Driving techno",
        standardized_phrase="Driving techno",
        genre="Techno",
        subgenres=["Minimal"],
        energy=["high"],
    )
    assert request.body == {
        "model": BPM_MODEL,
        "messages": bpm_messages(question),
        "temperature": 0.3,
        "max_tokens": 1034,  # the guide's 10 for the answer + 1024 for low-effort reasoning
        "reasoning_effort": "low",
        "include_reasoning": False,
    }
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]


def test_bpm_from_wizard_file_uses_the_bpm_model(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    groq.content = "96"
    result = run(cli, "bpm", str(wizard_yaml))

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "96\n"
    [request] = groq.chat_requests
    assert request.body["model"] == BPM_MODEL


def test_temperature_and_max_tokens_override(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST, "--temperature", "1.25", "--max-tokens", "64")

    assert result.exit_code == 0, result.stderr
    [request] = groq.chat_requests
    assert request.body["temperature"] == 1.25
    assert request.body["max_tokens"] == 1088  # 64 for the answer + 1024 for low-effort reasoning


def test_max_tokens_is_sent_as_given_to_a_model_that_does_not_reason(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    result = run(cli, "casual", str(wizard_yaml), "-m", PLAIN, "--max-tokens", "64")

    assert result.exit_code == 0, result.stderr
    [request] = groq.chat_requests
    assert request.body is not None
    assert (request.body["model"], request.body["max_tokens"]) == (PLAIN, 64)
    assert "reasoning_effort" not in request.body


def test_poetic_level_changes_the_style_instruction(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST, "--poetic-level", "10")

    assert result.exit_code == 0, result.stderr
    [request] = groq.chat_requests
    content = request.body["messages"][0]["content"]
    assert content == casual_content(poetic_level=10)
    assert STYLE_INSTRUCTIONS[0] in content
    assert STYLE_INSTRUCTIONS[2] not in content
    assert content != casual_content(poetic_level=50)


def test_random_model_comes_from_the_pool_and_seed_repeats_it(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    for extra in ([], ["-m", "random"]):
        result = run(cli, "casual", str(wizard_yaml), "--seed", "7", "-q", *extra)
        assert result.exit_code == 0, result.stderr
    first, second = (request.body["model"] for request in groq.chat_requests)
    assert first in POOL
    assert first == second  # same seed, same pick; "-m random" is the default pool


# --- clean-up of replies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        ("1. 808 drums roll", "808 drums roll"),
        ("808 drums roll over warm pads", "808 drums roll over warm pads"),
        ("2) Warm piano chords", "Warm piano chords"),
        ("  <think>let me see\n</think>\n\nSoft brushed drums  ", "Soft brushed drums"),
    ],
)
def test_casual_clean_up(cli: CliRunner, groq: GroqStub, wizard_yaml: Path, content: str, phrase: str) -> None:
    groq.content = content
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == phrase + "\n"


def test_structure_drops_think_block_and_wrapping_quotes(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    groq.content = '<think>hmm</think>"A smooth jazz phrase"'
    result = run(cli, "structure", str(wizard_yaml), "-m", FAST, "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["phrase"] == "A smooth jazz phrase"


def test_reasoning_field_is_ignored(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    groq.enqueue(Reply(body=chat_body("Soft brushed drums", FAST, 120, 12, reasoning="secret chain of thought")))
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Soft brushed drums\n"
    assert "secret chain of thought" not in result.stdout + result.stderr


@pytest.mark.parametrize(("content", "bpm"), [("128", 128), ("128 BPM", 128), ("128.", 128), ("<think>x</think>96", 96)])
def test_bpm_reply_parsing(cli: CliRunner, groq: GroqStub, content: str, bpm: int) -> None:
    groq.content = content
    result = run(cli, "bpm", "--phrase", "Driving techno")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{bpm}\n"


@pytest.mark.parametrize("content", ["about fast", "300", "120 to 130"])
def test_bpm_bad_reply_is_one_line_quoting_it(cli: CliRunner, groq: GroqStub, content: str) -> None:
    groq.content = content
    result = run(cli, "bpm", "--phrase", "Driving techno")

    assert result.exit_code == 1
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("adp: error:")
    assert content in line
    assert "Traceback" not in result.stderr


def test_an_unusable_reply_is_still_in_the_ledger(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    """The call was paid for even though its reply is no BPM: the ledger must show it."""
    groq.content = "about fast"
    assert run(cli, "bpm", "--phrase", "Driving techno").exit_code == 1
    ledger = json.loads((tmp_path / "ledger.json").read_text(encoding="utf-8"))
    (day,) = ledger["days"].values()
    assert day[BPM_MODEL]["requests"] == 1
    assert day[BPM_MODEL]["cost_usd"] == expected_cost(120, 52, 0.15, 0.60)  # 12 answer + 40 reasoning tokens


def test_unclosed_think_block_leaves_no_phrase(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    groq.content = "<think>still weighing the saxophone against the piano"
    result = run(cli, "structure", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "saxophone" not in one_line(result.stderr)


# --- retries and API errors ----------------------------------------------------------------


def test_rate_limit_then_success(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    groq.enqueue(rate_limited(0.02))
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == DEFAULT_PHRASE + "\n"
    assert len(groq.chat_requests) == 2


def test_server_error_then_success(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    fast_500 = replace(server_error(), headers={"retry-after-ms": "10"})
    groq.enqueue(fast_500)
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST, "--max-retries", "2")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == DEFAULT_PHRASE + "\n"
    assert len(groq.chat_requests) == 2


def test_default_max_retries_is_two(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    groq.fail_first(2, lambda: replace(server_error(), headers={"retry-after-ms": "10"}))
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 0, result.stderr
    assert len(groq.chat_requests) == 3


def test_server_error_without_retries_fails(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    groq.fail_first(5, server_error)
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST, "--max-retries", "0")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(groq.chat_requests) == 1
    line = one_line(result.stderr)
    assert "500" in line


def test_a_rate_limit_is_waited_out_beyond_the_sdk_retries(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    """Ten 429s in a row with short waits: the item waits each one out and is sent again, never
    turned into an error while the wait stays under --max-wait (SPEC, issue 8)."""
    groq.fail_first(10, lambda: rate_limited(0.01))
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST, "--max-retries", "1", "-q")

    assert result.exit_code == 0, result.stderr
    assert len(groq.chat_requests) == 11
    assert result.stdout == "A warm test phrase.\n"


def test_timeout_is_an_api_failure(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    groq.enqueue(Reply(latency=0.5))
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST, "--timeout", "0.1", "--max-retries", "0")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "timeout" in one_line(result.stderr).lower()


def test_bad_request_is_one_line_exit_1(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    groq.enqueue(bad_request("messages: too many roles"))
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 1
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("adp: error: Groq API error 400")
    assert "messages: too many roles" in line
    assert len(groq.chat_requests) == 1


def test_invalid_key_is_a_configuration_error(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    groq.enqueue(invalid_api_key())
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(groq.chat_requests) == 1  # a refused key is not retried
    line = one_line(result.stderr)
    assert "GROQ_API_KEY" in line
    assert TEST_KEY not in line


@pytest.mark.parametrize("failure", [model_not_found, decommissioned])
def test_named_model_not_available_suggests_models_live(cli: CliRunner, groq: GroqStub, wizard_yaml: Path, failure) -> None:
    groq.responder = lambda body: failure(body["model"])
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "adp models --live" in one_line(result.stderr)
    assert len(groq.chat_requests) == 1  # a named model is never swapped


def test_named_retired_model_is_sent_and_its_replacement_named(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    """Enterprise plans keep retired models, so a named one is sent; Groq's 404 then names the
    date and the replacement."""
    result = run(cli, "casual", str(wizard_yaml), "-m", "llama-3.1-8b-instant")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert one_line(result.stderr) == (
        "adp: error: model llama-3.1-8b-instant is not available (model_not_found): The model "
        "`llama-3.1-8b-instant` does not exist or you do not have access to it; "
        "Groq retired it on 2026-08-16: use -m openai/gpt-oss-20b (its replacement)"
    )
    assert [(request.body or {}).get("model") for request in groq.chat_requests] == ["llama-3.1-8b-instant"]


@pytest.mark.parametrize("failure", [decommissioned, model_not_found])
def test_unavailable_random_model_is_replaced(cli: CliRunner, groq: GroqStub, wizard_yaml: Path, failure) -> None:
    gone: list[str] = []

    def first_model_is_gone(body: dict) -> Reply | None:
        if not gone:
            gone.append(body["model"])
        return failure(body["model"]) if body["model"] == gone[0] else None

    groq.responder = first_model_is_gone
    result = run(cli, "casual", str(wizard_yaml), "--seed", "3", "--json")

    assert result.exit_code == 0, result.stderr
    first, second = (request.body["model"] for request in groq.chat_requests)
    assert first != second
    assert {first, second} <= set(POOL)
    assert json.loads(result.stdout)["model"] == second
    assert "Traceback" not in result.stderr


def test_whole_pool_gone_fails_suggesting_models_live(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    groq.responder = lambda body: decommissioned(body["model"])
    result = run(cli, "casual", str(wizard_yaml), "--seed", "1")

    assert result.exit_code == 1
    assert sorted(request.body["model"] for request in groq.chat_requests) == sorted(POOL)
    assert "adp models --live" in result.stderr.splitlines()[-1]


# --- key and dry run -----------------------------------------------------------------------


def test_missing_key_is_exit_2_and_nothing_is_sent(cli: CliRunner, groq: GroqStub, wizard_yaml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY")
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "GROQ_API_KEY" in one_line(result.stderr)
    assert groq.requests == []


def test_dry_run_needs_no_key_and_prints_the_exact_messages(cli: CliRunner, env: dict[str, str], wizard_yaml: Path) -> None:
    assert "GROQ_API_KEY" not in os.environ
    result = run(cli, "casual", str(wizard_yaml), "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"--- user ---\n{casual_content()}\n"
    assert "900" in result.stderr


def test_dry_run_bpm_prints_system_and_user(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "bpm", "--phrase", "Driving techno", "--dry-run", "-q")

    assert result.exit_code == 0, result.stderr
    messages = bpm_messages(BpmEstimationInput(input_phrase="Driving techno", standardized_phrase="Driving techno"))
    assert result.stdout == "".join(f"--- {m['role']} ---\n{m['content']}\n" for m in messages)


def test_dry_run_json_random_and_named(cli: CliRunner, env: dict[str, str], wizard_yaml: Path) -> None:
    random_pick = run(cli, "casual", str(wizard_yaml), "--dry-run", "--json", "-q")
    assert random_pick.exit_code == 0, random_pick.stderr
    document = json.loads(random_pick.stdout)
    content = casual_content()
    assert document["messages"] == [{"role": "user", "content": content}]
    assert document["prompt_tokens"] == count_tokens(content)
    assert document["limit"] == 900
    assert document["within_limit"] is True
    assert [c["model"] for c in document["candidates"]] == POOL
    assert len(document["candidates"]) == 3

    named = run(cli, "structure", str(wizard_yaml), "--dry-run", "--json", "-q", "-m", FAST)
    assert named.exit_code == 0, named.stderr
    document = json.loads(named.stdout)
    assert document["limit"] == 2000
    [candidate] = document["candidates"]
    assert candidate["model"] == FAST
    assert candidate["max_tokens"] == 4524  # 3500 for the answer + 1024 for low-effort reasoning
    tokens = count_tokens(structure_content())
    assert document["prompt_tokens"] == tokens
    assert candidate["prompt_cost_usd"] == pytest.approx(expected_cost(tokens, 0, 0.075, 0.30), rel=1e-9)
    assert candidate["max_cost_usd"] == pytest.approx(expected_cost(tokens, 4524, 0.075, 0.30), rel=1e-9)


@pytest.fixture
def long_wizard(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """Casual over 900 o200k tokens: many long moods."""
    moods = [f"melancholic twilight reverie drifting through amber streetlights and rain number {i}" for i in range(50)]
    document = {"genre": "Ambient", "mood": moods}
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path, document


def test_dry_run_over_the_limit_exits_2(cli: CliRunner, env: dict[str, str], long_wizard) -> None:
    path, document = long_wizard
    result = run(cli, "casual", str(path), "--dry-run", "--json", "-q")

    assert result.exit_code == 2
    parsed = json.loads(result.stdout)
    assert parsed["within_limit"] is False
    assert parsed["prompt_tokens"] == count_tokens(casual_content(document)) > 900


def test_token_limit_exceeded_sends_nothing(cli: CliRunner, groq: GroqStub, long_wizard) -> None:
    path, document = long_wizard
    tokens = count_tokens(casual_content(document))
    assert tokens > 900
    result = run(cli, "casual", str(path), "-m", FAST)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"Token limit exceeded: {tokens} > 900" in one_line(result.stderr)
    assert groq.requests == []


# --- inputs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [("bad.yaml", "genre: [Jazz\nmood: calm\n"), ("bad.json", '{"genre": "Jazz", "mood": ')],
)
def test_malformed_file_is_one_line_exit_2(cli: CliRunner, groq: GroqStub, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run(cli, "casual", str(path), "-m", FAST)

    assert result.exit_code == 2
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert name in line
    assert "Traceback" not in result.stderr
    assert groq.requests == []


def test_unknown_key_is_named(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    path = tmp_path / "extra.json"
    path.write_text(json.dumps({"genre": "Jazz", "tempo_feel": "laid back"}), encoding="utf-8")
    result = run(cli, "casual", str(path), "-m", FAST)

    assert result.exit_code == 2
    assert "tempo_feel" in one_line(result.stderr)
    assert groq.requests == []


def test_missing_file_is_exit_2(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    result = run(cli, "casual", str(tmp_path / "nope.yaml"), "--dry-run")

    assert result.exit_code == 2
    assert "nope.yaml" in one_line(result.stderr)


@pytest.mark.parametrize(
    "option",
    [
        ["--poetic-level", "0"],
        ["--poetic-level", "101"],
        ["--temperature", "3"],
        ["--max-tokens", "0"],
        ["--timeout", "0"],
    ],
)
def test_out_of_range_options_exit_2(cli: CliRunner, groq: GroqStub, option: list[str]) -> None:
    result = run(cli, "casual", "--genre", "Jazz", "-m", FAST, *option)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert groq.requests == []


@pytest.mark.parametrize("option", [["--poetic-level", "101"], ["--temperature", "3"], ["--no-such-flag"]])
def test_usage_errors_are_one_line_from_the_entry_point(adp, groq: GroqStub, option: list[str]) -> None:
    result = adp("casual", "--genre", "Jazz", *option)

    assert result.returncode == 2
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("adp: error:")
    assert "Traceback" not in result.stderr
    assert groq.requests == []


def test_help_and_version(adp, env: dict[str, str]) -> None:
    """--version also names what decides the requests and the prices: the groq SDK and the
    genai-prices snapshot."""
    version = adp("--version")
    assert version.returncode == 0
    snapshot = f"genai-prices {metadata.version('genai-prices')}"
    assert version.stdout == f"adp {__version__} (groq SDK {metadata.version('groq')}, prices: {snapshot})\n"
    assert snapshot in price_of(FAST).source  # the snapshot the prices really come from

    help_ = adp("casual", "--help")
    assert help_.returncode == 0
    assert "--poetic-level" in help_.stdout

    bare = adp()
    assert bare.returncode == 0
    for command in ("casual", "structure", "bpm", "models", "cost"):
        assert command in bare.stdout


@pytest.mark.parametrize(
    "stdin",
    ['{"genre": "Jazz", "mood": ["calm", "warm"]}', "genre: Jazz\nmood:\n  - calm\n  - warm\n"],
    ids=["json", "yaml"],
)
def test_stdin_json_object_and_yaml(cli: CliRunner, groq: GroqStub, stdin: str) -> None:
    result = run(cli, "casual", "-", "-m", FAST, "--json", input=stdin)

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["phrase"] == DEFAULT_PHRASE
    [request] = groq.chat_requests
    assert request.body["messages"][0]["content"] == casual_content({"genre": "Jazz", "mood": ["calm", "warm"]})


def test_flags_only(cli: CliRunner, groq: GroqStub) -> None:
    result = run(cli, "casual", "--genre", "Jazz", "--mood", "calm", "-m", FAST)

    assert result.exit_code == 0, result.stderr
    [request] = groq.chat_requests
    content = request.body["messages"][0]["content"]
    assert content == casual_content({"genre": "Jazz", "mood": ["calm"]})
    assert content.endswith("Music Data: Genre: Jazz. Mood: calm")


def test_flags_override_the_file(cli: CliRunner, groq: GroqStub, wizard_yaml: Path) -> None:
    result = run(cli, "casual", str(wizard_yaml), "--mood", "tense,dark", "-m", FAST)

    assert result.exit_code == 0, result.stderr
    [request] = groq.chat_requests
    assert request.body["messages"][0]["content"] == casual_content({**WIZARD, "mood": ["tense", "dark"]})


def test_instrument_flag_reaches_the_request(cli: CliRunner, groq: GroqStub) -> None:
    casual = run(cli, "casual", "--genre", "Jazz", "--instrument", "Piano:lead:soft,warm", "-m", FAST)
    structure = run(cli, "structure", "--genre", "Jazz", "--instrument", "Piano:lead:soft,warm", "-m", FAST)

    assert casual.exit_code == 0, casual.stderr
    assert structure.exit_code == 0, structure.stderr
    casual_request, structure_request = groq.chat_requests
    assert "Instruments: Piano (lead)" in casual_request.body["messages"][0]["content"]
    document = {"genre": "Jazz", "instrumentation": [{"instrument": "Piano", "role": "lead", "descriptors": ["soft", "warm"]}]}
    assert structure_request.body["messages"][0]["content"] == structure_content(document)
    assert '"Descriptors": [\n      "soft",\n      "warm"\n    ]' in structure_request.body["messages"][0]["content"]


def test_bad_instrument_flag_is_exit_2(cli: CliRunner, groq: GroqStub) -> None:
    result = run(cli, "casual", "--genre", "Jazz", "--instrument", "Piano", "-m", FAST)

    assert result.exit_code == 2
    assert "--instrument" in one_line(result.stderr)
    assert groq.requests == []


@pytest.mark.parametrize("command", ["casual", "structure", "bpm"])
def test_no_input_and_no_flags_is_exit_2(cli: CliRunner, groq: GroqStub, command: str) -> None:
    result = run(cli, command)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no input" in one_line(result.stderr)
    assert groq.requests == []


# --- secrets, .env, logging ----------------------------------------------------------------


def test_the_key_never_appears(adp, groq: GroqStub, wizard_yaml: Path) -> None:
    """Success, API error, key refused, dry run and the live list, verbose or not, run side by side."""

    def by_model(body: dict) -> Reply | None:
        if body["model"] == PLAIN:
            return bad_request("nope")
        if body["model"] == BPM_MODEL:
            return invalid_api_key()
        return None

    groq.responder = by_model
    commands = [
        ("casual", str(wizard_yaml), "-m", FAST, "--verbose", "--json"),
        ("structure", str(wizard_yaml), "--dry-run", "--verbose"),
        ("models", "--live", "--verbose", "--json"),
        ("casual", str(wizard_yaml), "-m", PLAIN),
        ("bpm", "--phrase", "x", "--verbose"),
    ]
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        runs = list(pool.map(lambda args: adp(*args), commands))

    assert [r.returncode for r in runs] == [0, 0, 0, 1, 2], [r.stderr for r in runs]
    assert one_line(runs[3].stderr).startswith("adp: error: Groq API error 400")  # the entry point's one line
    assert runs[4].stderr.splitlines()[-1].startswith("adp: error:")  # verbose: traceback allowed, error still last
    fragments = {TEST_KEY, TEST_KEY[:8], TEST_KEY[-8:], TEST_KEY[4:16]}
    for completed in runs:
        text = completed.stdout + completed.stderr
        for fragment in fragments:
            assert fragment not in text, f"key fragment {fragment!r} leaked in {completed.args}"


def test_dotenv_in_working_directory_is_loaded(adp, groq: GroqStub, wizard_yaml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY")
    (tmp_path / ".env").write_text("GROQ_API_KEY=gsk_from_dotenv_file\n", encoding="utf-8")
    result = adp("casual", str(wizard_yaml), "-m", FAST)

    assert result.returncode == 0, result.stderr
    assert result.stdout == DEFAULT_PHRASE + "\n"
    [request] = groq.chat_requests
    assert request.headers["authorization"] == "Bearer gsk_from_dotenv_file"


def test_dotenv_does_not_override_the_environment(adp, groq: GroqStub, wizard_yaml: Path, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("GROQ_API_KEY=gsk_from_dotenv_file\nGROQ_BASE_URL=http://127.0.0.1:9\n", encoding="utf-8")
    result = adp("casual", str(wizard_yaml), "-m", FAST)

    assert result.returncode == 0, result.stderr
    [request] = groq.chat_requests
    assert request.headers["authorization"] == f"Bearer {TEST_KEY}"


def test_verbose_logs_debug_on_stderr_only(adp, groq: GroqStub, wizard_yaml: Path) -> None:
    result = adp("casual", str(wizard_yaml), "-m", FAST, "--verbose")

    assert result.returncode == 0, result.stderr
    assert result.stdout == DEFAULT_PHRASE + "\n"
    assert "DEBUG" in result.stderr
    assert FAST in result.stderr
    assert "Traceback" not in result.stderr


def test_without_verbose_no_debug_and_no_traceback(adp, groq: GroqStub, wizard_yaml: Path) -> None:
    ok = adp("structure", str(wizard_yaml), "-m", FAST)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == DEFAULT_PHRASE + "\n"  # stdout purity: the table went to stderr
    assert FAST in ok.stderr and "172" in ok.stderr  # 120 prompt + 12 answer + 40 reasoning tokens
    assert "DEBUG" not in ok.stderr

    groq.fail_first(1, server_error)
    failed = adp("casual", str(wizard_yaml), "-m", FAST, "--max-retries", "0")
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert one_line(failed.stderr).startswith("adp: error: Groq API error 500")


def test_log_level_env_enables_debug(cli: CliRunner, groq: GroqStub, wizard_yaml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == DEFAULT_PHRASE + "\n"
    assert "DEBUG" in result.stderr


def test_base_url_option(cli: CliRunner, groq: GroqStub, wizard_yaml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROQ_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST, "--base-url", groq.base_url)

    assert result.exit_code == 0, result.stderr
    assert len(groq.chat_requests) == 1


def test_offline_provider_needs_no_key_and_costs_nothing(cli: CliRunner, env: dict[str, str], wizard_yaml: Path) -> None:
    result = run(cli, "casual", str(wizard_yaml), "--provider", "offline", "--json")

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"phrase"} | RESULT_FIELDS
    assert document["provider"] == "offline"
    assert document["cost_usd"] == 0
    assert document["phrase"]


def test_budget_reached_refuses_the_call(cli: CliRunner, groq: GroqStub, wizard_yaml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "0")
    result = run(cli, "casual", str(wizard_yaml), "-m", FAST)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "budget" in one_line(result.stderr)
    assert groq.chat_requests == []
    # what was read is the free list of models (for today's prices), never a chat
    assert [(request.method, request.path) for request in groq.requests] == [("GET", "/openai/v1/models")]


def test_poetic_level_belongs_to_casual_only(env: dict[str, str], adp: Any) -> None:
    """SPEC: casual adds --poetic-level; structure and bpm do not offer it."""
    casual = adp("casual", "--genre", "Jazz", "-p", "10", "--dry-run", "-q")
    assert casual.returncode == 0, casual.stderr
    assert STYLE_INSTRUCTIONS[0] in casual.stdout
    for command in ("structure", "bpm"):
        refused = adp(command, "--genre", "Jazz", "-p", "10", "--dry-run", "-q")
        assert refused.returncode == 2
        assert refused.stderr == f"adp: error: No such option: -p (see 'adp {command} --help')\n"
