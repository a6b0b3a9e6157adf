"""``--provider openai``: any OpenAI-compatible server, through the real CLI and the real groq SDK,
against the loopback server in its ``/v1`` layout (LiteLLM's and Ollama's answers).

The routing, key and label helpers are tested in test_openai_server.py; here: what a user sees
(one-shot, batch, the server's own model list, unknown models, no key, honest labels, costs,
the ledger kept apart from Groq spending, defaults from the environment).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.cli import TEST_KEY, one_line, run
from tests.support.groqstub import GroqStub, Reply, server_error
from tests.support.items import json_lines, wizard_items, write_jsonl
from tests.support.openaistub import OpenAIStub, litellm_upstream_rate_limited

MODELS = ["llama3.2:3b", "qwen2.5:7b-instruct"]


@pytest.fixture
def server(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIStub]:
    """A keyless LiteLLM-style server; a Groq key in the environment must never reach it."""
    monkeypatch.setenv("GROQ_API_KEY", TEST_KEY)
    with OpenAIStub(flavour="litellm", models=MODELS) as stub:
        yield stub


def host_of(stub: OpenAIStub) -> str:
    return stub.api_url.removeprefix("http://")


def test_a_v1_base_url_selects_the_server_and_results_say_so(cli: CliRunner, server: OpenAIStub, rock_yaml: Path) -> None:
    result = run(cli, "casual", str(rock_yaml), "--base-url", server.api_url, "-m", MODELS[0], "--json")

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["phrase"] == "A warm local phrase."
    assert document["provider"] == f"openai ({host_of(server)})"
    assert (document["model"], document["prompt_tokens"], document["completion_tokens"]) == (MODELS[0], 10, 20)
    assert document["cost_usd"] == 0.0
    [request] = server.chat_requests
    assert request.path == "/v1/chat/completions"
    assert "authorization" not in request.headers


@pytest.mark.parametrize("variable", ["ADP_API_KEY", "OPENAI_API_KEY"])
def test_a_key_is_sent_when_one_is_set(cli: CliRunner, server: OpenAIStub, rock_yaml: Path, monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, " sk-local-123 \n")
    result = run(cli, "casual", str(rock_yaml), "--provider", "openai", "--base-url", server.api_url, "-m", MODELS[0], "-q")

    assert result.exit_code == 0, result.stderr
    assert server.chat_requests[0].headers["authorization"] == "Bearer sk-local-123"


def test_without_m_a_random_pick_comes_from_the_servers_list(cli: CliRunner, server: OpenAIStub, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(12))
    result = run(cli, "casual", str(source), "--base-url", server.api_url, "-j", "3", "-q", "--seed", "2")

    assert result.exit_code == 0, result.stderr
    assert {request.body["model"] for request in server.chat_requests} <= set(MODELS)
    assert len({line["model"] for line in json_lines(result.stdout)}) == 2
    assert [request.path for request in server.requests if request.method == "GET"] == ["/v1/models"]


def test_bpm_on_a_server_uses_its_models_not_groqs(cli: CliRunner, server: OpenAIStub) -> None:
    server.content = "128"
    result = run(cli, "bpm", "--phrase", "fast techno", "--base-url", server.api_url, "-q")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "128\n"
    assert server.chat_requests[0].body["model"] in MODELS


def test_an_unknown_random_pick_is_replaced_by_another_the_server_serves(cli: CliRunner, server: OpenAIStub, rock_yaml: Path) -> None:
    """The server lists a model its chat endpoint then refuses (LiteLLM: 400 'Invalid model name')."""
    server.live_models = ["ghost-model", MODELS[0]]
    server.responder = lambda body: server.flavour.unknown_model(body["model"]) if body["model"] == "ghost-model" else None
    for seed in range(6):  # whichever the first pick, the run ends on the model that exists
        result = run(cli, "casual", str(rock_yaml), "--base-url", server.api_url, "--json", "--seed", str(seed))
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["model"] == MODELS[0]
    assert "ghost-model" in {request.body["model"] for request in server.chat_requests}


def test_an_unknown_named_model_is_one_clear_line(cli: CliRunner, server: OpenAIStub, rock_yaml: Path) -> None:
    result = run(cli, "casual", str(rock_yaml), "--base-url", server.api_url, "-m", "nope")

    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert line.startswith("adp: error: model nope is not available (400): /chat/completions: Invalid model name passed in model=nope.")
    assert line.endswith("; run `adp models --live` with the same --base-url to see the models it serves")


def test_models_live_lists_what_the_server_serves(cli: CliRunner, server: OpenAIStub) -> None:
    result = run(cli, "models", "--live", "--base-url", server.api_url, "--json")

    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == MODELS
    assert {(row["random_pool"], row["live"], row["price"]["input"], row["price"]["output"]) for row in rows} == {(True, "live", 0.0, 0.0)}


def test_server_errors_name_the_url_requested_without_credentials(cli: CliRunner, server: OpenAIStub, rock_yaml: Path) -> None:
    server.enqueue(server_error(), server_error(), server_error())
    url = server.api_url.replace("http://", "http://alice:s3cret@")
    result = run(cli, "casual", str(rock_yaml), "--base-url", url, "-m", MODELS[0], "--max-retries", "0")

    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert line == f"adp: error: server error 500 internal_server_error at {server.api_url}/chat/completions: Internal Server Error"
    assert "s3cret" not in result.stderr and "alice" not in result.stderr


def test_verbose_logs_each_request_url(cli: CliRunner, server: OpenAIStub, rock_yaml: Path) -> None:
    result = run(cli, "casual", str(rock_yaml), "--base-url", server.api_url, "-m", MODELS[0], "-q", "-v")

    assert result.exit_code == 0, result.stderr
    assert f"adp: DEBUG: POST {server.api_url}/chat/completions" in result.stderr.splitlines()


def test_a_price_given_prices_the_local_calls(cli: CliRunner, server: OpenAIStub, rock_yaml: Path) -> None:
    result = run(cli, "casual", str(rock_yaml), "--base-url", server.api_url, "-m", MODELS[0], "--price", "1,2", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["cost_usd"] == (10 * 1 + 20 * 2) / 1_000_000


def test_the_prices_file_prices_a_local_model(cli: CliRunner, server: OpenAIStub, rock_yaml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(f'"{MODELS[0]}": {{input: 3, output: 4}}\n', encoding="utf-8")
    monkeypatch.setenv("ADP_PRICES_FILE", str(prices))
    result = run(cli, "casual", str(rock_yaml), "--base-url", server.api_url, "-m", MODELS[0], "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["cost_usd"] == (10 * 3 + 20 * 4) / 1_000_000


def test_local_calls_are_kept_apart_and_the_groq_budget_ignores_them(
    cli: CliRunner, server: OpenAIStub, rock_yaml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "0")  # no Groq spending allowed at all
    result = run(cli, "casual", str(rock_yaml), "--base-url", server.api_url, "-m", MODELS[0], "--price", "1,1", "-q")

    assert result.exit_code == 0, result.stderr
    ledger = json.loads((tmp_path / "ledger.json").read_text(encoding="utf-8"))
    assert ledger["days"] == {}
    [days] = ledger["servers"].values()
    [totals] = days.values()
    assert totals[MODELS[0]]["requests"] == 1
    assert list(ledger["servers"]) == [host_of(server)]
    spending = json.loads(run(cli, "cost", "--ledger", "--json").stdout)
    assert [entry["server"] for entry in spending["entries"]] == [host_of(server)]


def test_defaults_come_from_the_environment(cli: CliRunner, server: OpenAIStub, rock_yaml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_PROVIDER", "openai")
    monkeypatch.setenv("ADP_BASE_URL", server.api_url)
    monkeypatch.setenv("ADP_MODEL", MODELS[1])
    result = run(cli, "casual", str(rock_yaml), "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["model"] == MODELS[1]
    help_text = run(cli, "casual", "--help").stdout
    assert all(name in help_text for name in ("ADP_PROVIDER", "ADP_BASE_URL", "ADP_MODEL"))


def test_a_relayed_rate_limit_is_waited_out(cli: CliRunner, server: OpenAIStub, rock_yaml: Path) -> None:
    """LiteLLM relays an upstream 429 with llm_provider-retry-after (and the upstream's OpenAI
    per-minute request headers, which are not a daily cap)."""
    server.enqueue(litellm_upstream_rate_limited(0.05, MODELS[0]), Reply())
    result = run(cli, "casual", str(rock_yaml), "--base-url", server.api_url, "-m", MODELS[0], "-q")

    assert result.exit_code == 0, result.stderr
    assert len(server.chat_requests) == 2


def test_a_dry_run_against_a_server_without_m_has_no_estimate(cli: CliRunner, server: OpenAIStub, rock_yaml: Path) -> None:
    result = run(cli, "casual", str(rock_yaml), "--base-url", server.api_url, "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert "no cost estimate: the model is picked from the server's own list" in result.stderr
    assert server.requests == []


def test_a_groq_url_keeps_the_groq_provider(cli: CliRunner, groq: GroqStub, rock_yaml: Path) -> None:
    result = run(cli, "casual", str(rock_yaml), "--base-url", groq.base_url, "-m", "openai/gpt-oss-20b", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["provider"] == "groq"
