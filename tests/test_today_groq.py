"""adp on Groq as it is today (December 2026), against the loopback stand-in that plays it:
retired models answer 404, the replacements reason (their reasoning counts against max_tokens),
prompt caching discounts repeated prefixes, /models states prices, and a spend limit blocks
every request. The defaults work, nothing is sent to a retired model unless the user names it,
and costs follow Groq's price sheet."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.cli import one_line, run
from tests.support.groqstub import GroqStub, Reply
from tests.support.groqtoday import RETIRED, per_million
from tests.support.items import file_lines, json_lines, wizard_items, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
POOL = {"openai/gpt-oss-20b", "openai/gpt-oss-120b", "allam-2-7b"}
OSS_20B, OSS_120B, QWEN = "openai/gpt-oss-20b", "openai/gpt-oss-120b", "qwen/qwen3.6-27b"


def models_sent(groq: GroqStub) -> list[str]:
    return [str((request.body or {}).get("model")) for request in groq.chat_requests]


def ledger_today(tmp_path: Path) -> dict:
    days = json.loads((tmp_path / "ledger.json").read_text(encoding="utf-8"))["days"]
    return next(iter(days.values())) if days else {}


# -- the defaults work --------------------------------------------------------------------------


def test_bpm_with_its_defaults_asks_gpt_oss_120b_with_room_to_reason(cli: CliRunner, groq: GroqStub) -> None:
    groq.content = "128"

    result = run(cli, "bpm", str(ROOT / "samples" / "bpm.yaml"), "--json", "-q")

    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    [sent] = [request.body for request in groq.chat_requests]
    assert sent is not None
    assert (sent["model"], sent["max_tokens"], sent["reasoning_effort"], sent["include_reasoning"]) == (OSS_120B, 10 + 1024, "low", False)
    assert (shown["bpm"], shown["model"], shown["reasoning_tokens"]) == (128, OSS_120B, 40)
    assert shown["completion_tokens"] == 40 + 12  # the stub's 40 reasoning tokens at low effort, then the answer


@pytest.mark.parametrize("model", [OSS_20B, OSS_120B, "openai/gpt-oss-safeguard-20b", QWEN, "qwen/qwen3.8-27b"])
def test_bpm_answers_on_every_served_reasoning_model(cli: CliRunner, groq: GroqStub, model: str) -> None:
    groq.content = "96 BPM."

    result = run(cli, "bpm", "--phrase", "a slow hip hop groove", "-m", model, "--json", "-q")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["bpm"] == 96


def test_casual_and_structure_defaults_never_reach_a_retired_model(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(40))
    for command in ("casual", "structure"):
        result = run(cli, command, str(source), "-j", "4", "-q")
        assert result.exit_code == 0, result.stderr

    sent = set(models_sent(groq))
    assert sent <= POOL and len(sent) >= 2
    assert not sent & set(RETIRED)


def test_a_random_pick_goes_only_to_a_model_groq_lists(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    groq.live_models.remove("allam-2-7b")  # Groq stops serving one pool model
    result = run(cli, "casual", str(write_jsonl(tmp_path / "items.jsonl", wizard_items(30))), "--seed", "3", "-q")

    assert result.exit_code == 0, result.stderr
    assert set(models_sent(groq)) <= {OSS_20B, OSS_120B}


def test_a_dry_run_shows_each_candidate_with_its_token_cap(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    shown = json.loads(run(cli, "casual", str(ROOT / "samples" / "rock.yaml"), "--dry-run", "--json", "-q").stdout)

    assert {candidate["model"]: candidate["max_tokens"] for candidate in shown["candidates"]} == {
        OSS_20B: 3500 + 1024,
        OSS_120B: 3500 + 1024,
        "allam-2-7b": 3500,  # no reasoning, and within its 4,096-token output limit
    }


# -- retired models -----------------------------------------------------------------------------


def test_a_named_retired_model_is_sent_and_the_error_names_its_replacement(cli: CliRunner, groq: GroqStub) -> None:
    result = run(cli, "casual", "--genre", "Rock", "-m", "llama-3.1-8b-instant", "-q")

    assert result.exit_code == 1
    assert models_sent(groq) == ["llama-3.1-8b-instant"]  # an enterprise plan may still serve it
    line = one_line(result.stderr)
    assert "model llama-3.1-8b-instant is not available (model_not_found)" in line
    assert line.endswith("Groq retired it on 2026-08-16: use -m openai/gpt-oss-20b (its replacement)")


def test_a_retired_model_groq_named_no_replacement_for_points_at_the_closest(cli: CliRunner, groq: GroqStub) -> None:
    line = one_line(run(cli, "casual", "--genre", "Rock", "-m", "moonshotai/kimi-k2-instruct", "-q").stderr)

    assert line.endswith("Groq retired it on 2026-04-15: use -m openai/gpt-oss-120b (Groq named none; the closest it serves)")


def test_an_enterprise_plan_that_still_serves_a_retired_model_gets_it(cli: CliRunner, groq: GroqStub) -> None:
    groq.live_models.append("llama-3.3-70b-versatile")

    result = run(cli, "casual", "--genre", "Rock", "-m", "llama-3.3-70b-versatile", "--json", "-q")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["model"] == "llama-3.3-70b-versatile"


def test_models_shows_each_models_lifecycle(cli: CliRunner, env: dict[str, str]) -> None:
    rows = {row["id"]: row for row in json.loads(run(cli, "models", "--json").stdout)}

    assert (rows["llama-3.1-8b-instant"]["status"], rows["llama-3.1-8b-instant"]["retired"], rows["llama-3.1-8b-instant"]["replacement"]) == (
        "retired",
        "2026-08-16",
        OSS_20B,
    )
    assert (rows[QWEN]["status"], rows[QWEN]["replacement"]) == ("preview", None)
    assert (rows["playai-tts"]["status"], rows["playai-tts"]["replacement"]) == ("retired", "canopylabs/orpheus-v1-english")
    assert (rows[OSS_120B]["status"], rows[OSS_120B]["random_pool"]) == ("production", True)
    assert not any(row["random_pool"] for row in rows.values() if row["status"] == "retired")


# -- reasoning against the cap ------------------------------------------------------------------


def test_a_reply_the_cap_cut_off_is_sent_once_more_with_more_room(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    assert groq.today is not None
    groq.today.reasoning_tokens["low"] = 2000  # more than the first cap (1,034) leaves
    groq.content = "120"

    result = run(cli, "bpm", "--phrase", "a mid-tempo house track", "--json", "-q")

    assert result.exit_code == 0, result.stderr
    caps = [(request.body or {})["max_tokens"] for request in groq.chat_requests]
    assert caps == [1034, 10 + 4 * 1024]
    shown = json.loads(result.stdout)
    assert (shown["bpm"], shown["completion_tokens"], shown["reasoning_tokens"]) == (120, 1034 + 2012, 1034 + 2000)
    assert ledger_today(tmp_path)[OSS_120B]["requests"] == 2  # both were billed


def test_a_reply_cut_off_twice_is_an_error_that_says_so(cli: CliRunner, groq: GroqStub) -> None:
    assert groq.today is not None
    groq.today.reasoning_tokens["low"] = 50_000

    result = run(cli, "bpm", "--phrase", "a mid-tempo house track", "-q")

    assert result.exit_code == 1
    warning, error = result.stderr.splitlines()
    assert warning.startswith("adp: WARNING: the reply of openai/gpt-oss-120b was cut off at max_tokens with nothing in it")
    assert error == (
        "adp: error: openai/gpt-oss-120b was cut off by max_tokens twice (4106 tokens, 4106 of them reasoning) and answered "
        "nothing: raise --max-tokens (a reasoning model's thinking takes room from it)"
    )
    assert len(groq.chat_requests) == 2


def test_usage_reports_reasoning_and_cached_tokens(cli: CliRunner, groq: GroqStub) -> None:
    result = run(cli, "casual", "--genre", "Rock", "-m", OSS_20B)

    assert result.exit_code == 0, result.stderr
    header = result.stderr.splitlines()[0].split()
    assert header == ["model", "prompt", "completion", "reasoning", "total", "cost", "latency"]  # nothing cached on a first request


# -- prices -------------------------------------------------------------------------------------


def test_cached_prompt_tokens_are_billed_at_the_cached_price(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(5))
    result = run(cli, "casual", str(source), "-m", OSS_20B, "-j", "1", "-q")

    lines = json_lines(result.stdout)
    assert [line["cached_tokens"] for line in lines] == [0, 64, 64, 64, 64]  # the shared prompt prefix, in blocks of 64
    for line in lines:
        uncached = line["prompt_tokens"] - line["cached_tokens"]
        expected = (uncached * 0.075 + line["cached_tokens"] * 0.0375 + line["completion_tokens"] * 0.30) / 1e6
        assert line["cost_usd"] == pytest.approx(expected, rel=1e-6)
    assert ledger_today(tmp_path)[OSS_20B]["cost_usd"] == pytest.approx(sum(line["cost_usd"] for line in lines), rel=1e-9)


def test_groqs_own_prices_beat_the_snapshot(cli: CliRunner, groq: GroqStub) -> None:
    assert groq.today is not None
    groq.today.pricing[OSS_20B] = per_million("1.00", "2.00", "0.50")

    shown = json.loads(run(cli, "casual", "--genre", "Rock", "-m", OSS_20B, "--json", "-q").stdout)
    listed = {row["id"]: row for row in json.loads(run(cli, "models", "--live", "--json").stdout)}

    assert shown["cost_usd"] == pytest.approx((120 * 1.00 + 52 * 2.00) / 1e6)
    assert listed[OSS_20B]["price"]["source"] == "Groq /models" and listed[OSS_20B]["price"]["cached_input"] == 0.5


def test_cost_prices_at_groqs_list_once_a_run_has_read_it(cli: CliRunner, groq: GroqStub) -> None:
    """qwen3.6 is in no price snapshot; Groq's list prices it, and `adp cost` then says so."""
    before = {row["model"]: row for row in json.loads(run(cli, "cost", "--tokens", "1000000", "--json").stdout)["models"]}
    assert run(cli, "models", "--live", "--json").exit_code == 0
    after = {row["model"]: row for row in json.loads(run(cli, "cost", "--tokens", "1000000", "--json").stdout)["models"]}

    assert (before[QWEN]["input_price"], before[QWEN]["cost_usd"]) == (None, None)
    assert (after[QWEN]["input_price"], after[QWEN]["output_price"], after[QWEN]["cost_usd"]) == (0.6, 3.0, 0.6)
    assert after[QWEN]["source"] == "Groq /models"


def test_a_model_with_no_known_price_is_unknown_not_free(cli: CliRunner, groq: GroqStub) -> None:
    groq.live_models.append("someone/new-model")

    result = run(cli, "casual", "--genre", "Rock", "-m", "someone/new-model", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["cost_usd"] is None
    assert "no price known for someone/new-model" in result.stderr


def test_groqs_model_list_is_read_once_a_day(cli: CliRunner, groq: GroqStub, env: dict[str, str]) -> None:
    def lists() -> int:
        return sum(1 for request in groq.requests if request.method == "GET" and request.path.endswith("/models"))

    for _ in range(3):
        run(cli, "casual", "--genre", "Rock", "-m", OSS_20B, "-q")
    assert lists() == 1
    run(cli, "models", "--live")
    assert lists() == 2  # --live reads it again

    cached = Path(env["ADP_CACHE_DIR"]).glob("groq-models-*.json")
    [remembered] = [path for path in cached if json.loads(path.read_text(encoding="utf-8"))["url"] == groq.base_url]
    payload = json.loads(remembered.read_text(encoding="utf-8"))
    payload["read_at"] = time.time() - 25 * 3600
    remembered.write_text(json.dumps(payload), encoding="utf-8")
    run(cli, "casual", "--genre", "Rock", "-m", OSS_20B, "-q")
    assert lists() == 3  # a day old: read again


# -- a spend limit ------------------------------------------------------------------------------


def test_a_spend_limit_ends_a_batch_with_nothing_lost(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    answered: list[int] = []

    def block_after_three(body: dict) -> Reply | None:
        answered.append(1)
        if len(answered) == 4:
            groq.reach_spend_limit()
        return None

    groq.responder = block_after_three
    source, output = write_jsonl(tmp_path / "items.jsonl", wizard_items(30)), tmp_path / "out.jsonl"

    stopped = run(cli, "casual", str(source), "-m", OSS_20B, "-j", "2", "-o", str(output), "-q")

    assert stopped.exit_code == 3
    lines = json_lines(stopped.stdout)
    errors = [line["error"] for line in lines if "error" in line]
    assert len(lines) == 30 and len(errors) >= 26
    assert {error["type"] for error in errors} == {"spend_limit"}
    assert "console.groq.com/settings/billing/limits" in errors[-1]["message"] and "-o FILE to resume" in errors[-1]["message"]
    assert len(groq.chat_requests) <= 4 + 2  # what was answered, and at most one refused request per worker
    assert "spend limit" in stopped.stderr.splitlines()[-1]

    groq.blocked = None  # the user raised the limit
    groq.responder = None
    resumed = run(cli, "casual", str(source), "-m", OSS_20B, "-j", "2", "-o", str(output), "-q")

    assert resumed.exit_code == 0, resumed.stderr
    assert sorted(line["index"] for line in file_lines(output)) == list(range(30))
    assert all("error" not in line for line in file_lines(output))


def test_a_spend_limit_is_never_retried(cli: CliRunner, groq: GroqStub) -> None:
    run(cli, "casual", "--genre", "Rock", "-m", OSS_20B, "-q")  # Groq's model list is read, and remembered
    groq.reach_spend_limit()

    result = run(cli, "casual", "--genre", "Rock", "-m", OSS_20B, "--max-retries", "5", "-q")

    assert result.exit_code == 3
    assert len(groq.chat_requests) == 2
    assert one_line(result.stderr).startswith("adp: error: Groq accepts no more requests: the account's spend limit is reached (400 blocked_api_access)")


def test_a_spend_limit_met_reading_the_model_list_sends_nothing(cli: CliRunner, groq: GroqStub) -> None:
    groq.reach_spend_limit()

    result = run(cli, "casual", "--genre", "Rock", "-q")

    assert result.exit_code == 3
    assert groq.chat_requests == []
    assert "spend limit is reached" in one_line(result.stderr)
