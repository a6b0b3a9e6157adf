"""``adp models`` and ``adp cost`` through the real CLI (the live list and the ledger against the
loopback Groq)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adp_cli.accounting.catalog import ALL_GROQ_MODELS, TEXT_GENERATION_MODELS, Category, Status, category_of, lifecycle_of
from adp_cli.accounting.prices import known_model_ids
from adp_cli.accounting.tokens import count_tokens
from tests.support.cli import one_line, run, tsv
from tests.support.groqstub import GroqStub, bad_request
from tests.support.groqtoday import TODAY_LIVE_MODELS

FAST = "openai/gpt-oss-20b"  # 0.075 in / 0.30 out / 0.0375 cached per 1M tokens
VERSATILE = "openai/gpt-oss-120b"  # 0.15 in / 0.60 out / 0.075 cached
UNPRICED = "qwen/qwen3.6-27b"  # neither genai-prices' snapshot nor the guide prices it; Groq's /models does
ALL_IDS = [model.value for model in ALL_GROQ_MODELS]  # the guide's 21, then today's
TODAY_IDS = ["openai/gpt-oss-safeguard-20b", UNPRICED]
GUIDE_IDS = [model for model in ALL_IDS if model not in TODAY_IDS]
POOL = {model.value for model in TEXT_GENERATION_MODELS}
RETIRED = {model for model in ALL_IDS if lifecycle_of(model).status is Status.RETIRED}
# Groq's /models today lists none of the retired models, nor PlayAI's speech models (shut down
# 2025-12-23 for Canopy Labs' Orpheus), and three models adp does not know.
GONE = RETIRED | {"playai-tts", "playai-tts-arabic"}
NEW = {"qwen/qwen3.8-27b", "canopylabs/orpheus-v1-english", "canopylabs/orpheus-arabic-saudi"}
CATEGORIES = {"text", "guard", "compound", "audio", "tts"}
# The text models adp cost lists: every one Groq has not retired.
COSTED = {m for m in known_model_ids() if category_of(m) is Category.TEXT and m not in RETIRED}


# --- adp models ----------------------------------------------------------------------------


def test_models_json_lists_the_guide_models_with_prices(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "models", "--json")

    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert result.stdout.count("\n") == 1
    assert len(GUIDE_IDS) == 21 and len(rows) == 23
    assert [row["id"] for row in rows] == GUIDE_IDS + TODAY_IDS
    for row in rows:
        assert {"id", "enum", "category", "owner", "price", "random_pool", "status", "retired", "replacement"} <= set(row)
        assert "live" not in row
        assert row["category"] in CATEGORIES
        assert row["owner"] and row["owner"] != "unknown"
        price = row["price"]
        if row["id"] == UNPRICED:
            assert price is None  # unknown, never a silent $0
            continue
        assert {"input", "output", "unit", "source"} <= set(price)
        assert price["input"] >= 0 and price["output"] >= 0
        assert price["unit"] and price["source"]
    assert {row["id"]: row["enum"] for row in rows} == {model.value: model.name for model in ALL_GROQ_MODELS}
    assert {row["id"] for row in rows if row["random_pool"]} == POOL
    assert sum(row["random_pool"] for row in rows) == 3

    by_id = {row["id"]: row for row in rows}
    fast = by_id[FAST]
    assert (fast["price"]["input"], fast["price"]["output"], fast["price"]["cached_input"], fast["price"]["unit"]) == (
        0.075, 0.3, 0.0375, "1M tokens"
    )
    assert fast["category"] == "text" and fast["owner"] == "OpenAI"
    assert (fast["status"], fast["retired"], fast["replacement"]) == ("production", None, None)
    instant = by_id["llama-3.1-8b-instant"]
    assert (instant["status"], instant["retired"], instant["replacement"], instant["random_pool"]) == (
        "retired", "2026-08-16", "openai/gpt-oss-20b", False
    )
    assert (by_id[UNPRICED]["status"], by_id[UNPRICED]["random_pool"]) == ("preview", False)
    assert {row["id"] for row in rows if row["status"] == "retired"} == RETIRED
    assert by_id["whisper-large-v3"]["category"] == "audio"
    assert by_id["groq/compound"]["category"] == "compound"
    assert by_id["meta-llama/llama-guard-4-12b"]["category"] == "guard"
    assert by_id["playai-tts"]["category"] == "tts"


def test_models_category_filter(cli: CliRunner, env: dict[str, str]) -> None:
    tts = run(cli, "models", "--category", "tts", "--json")
    assert tts.exit_code == 0, tts.stderr
    rows = json.loads(tts.stdout)
    assert [row["id"] for row in rows] == ["playai-tts", "playai-tts-arabic"]

    text = run(cli, "models", "--category", "text", "--json")
    assert text.exit_code == 0, text.stderr
    text_ids = {row["id"] for row in json.loads(text.stdout)}
    assert POOL <= text_ids
    assert text_ids == {model for model in ALL_IDS if category_of(model) is Category.TEXT}


def test_models_bad_category_is_exit_2(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "models", "--category", "vision")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "vision" in one_line(result.stderr)


def test_models_piped_is_tab_separated_on_stdout(cli: CliRunner, env: dict[str, str]) -> None:
    """Not a terminal: a header row and one tab-separated line per model, every field, so
    ``adp models | grep llama`` and ``cut`` work; nothing on stderr."""
    result = run(cli, "models")

    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[0].split("\t") == [
        "id", "category", "input", "output", "cached_input", "unit", "random_pool", "status", "retired", "replacement",
        "enum", "owner", "source",
    ]
    rows = tsv(result.stdout)
    expected = json.loads(run(cli, "models", "--json").stdout)
    assert [row["id"] for row in rows] == ALL_IDS
    for row, document in zip(rows, expected, strict=True):
        price = document["price"]
        if price is None:
            assert (row["input"], row["output"], row["cached_input"], row["unit"], row["source"]) == ("", "", "", "", "")
        else:
            cached = price["input"] if price["cached_input"] is None else price["cached_input"]  # no discount stated
            assert (float(row["input"]), float(row["output"]), float(row["cached_input"]), row["unit"], row["source"]) == (
                price["input"], price["output"], cached, price["unit"], price["source"]
            )
        assert (row["category"], row["enum"], row["owner"]) == (document["category"], document["enum"], document["owner"])
        assert row["random_pool"] == ("true" if document["random_pool"] else "false")
        assert (row["status"], row["retired"], row["replacement"]) == (
            document["status"], document["retired"] or "", document["replacement"] or ""
        )
    assert [line.split("\t")[0] for line in result.stdout.splitlines() if "llama" in line] == [
        model for model in ALL_IDS if "llama" in model
    ]


def test_models_live_marks_live_gone_and_new(cli: CliRunner, groq: GroqStub) -> None:
    groq.live_models.append("moonshotai/kimi-k3")  # listed without a price, unknown to genai-prices
    result = run(cli, "models", "--live", "--json")

    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    status = {row["id"]: row["live"] for row in rows}
    assert set(status) == set(ALL_IDS) | NEW | {"moonshotai/kimi-k3"}
    assert {model for model, state in status.items() if state == "gone"} == GONE
    assert {model for model, state in status.items() if state == "new"} == NEW | {"moonshotai/kimi-k3"}
    assert {model for model, state in status.items() if state == "live"} == set(TODAY_LIVE_MODELS) - NEW
    assert [row["id"] for row in rows][:23] == ALL_IDS

    by_id = {row["id"]: row for row in rows}
    qwen = by_id["qwen/qwen3.8-27b"]
    assert qwen["price"] is not None
    # Groq's own per-token prices, per 1M tokens
    assert (qwen["price"]["input"], qwen["price"]["output"], qwen["price"]["cached_input"]) == (0.8, 4.0, 0.4)
    assert qwen["price"]["source"] == "Groq /models"
    assert qwen["owner"] == "Alibaba Cloud"
    assert qwen["random_pool"] is False
    preview = by_id[UNPRICED]  # priced by Groq's list alone
    assert (preview["live"], preview["status"], preview["price"]["input"], preview["price"]["output"]) == ("live", "preview", 0.6, 3.0)
    kimi = by_id["moonshotai/kimi-k3"]
    assert kimi["price"] is None
    assert kimi["owner"] == "Moonshot AI"
    assert [request.path for request in groq.requests] == ["/openai/v1/models"]
    assert groq.chat_requests == []


def test_models_live_with_category(cli: CliRunner, groq: GroqStub) -> None:
    result = run(cli, "models", "--live", "--category", "tts", "--json")

    assert result.exit_code == 0, result.stderr
    assert {row["id"]: row["live"] for row in json.loads(result.stdout)} == {"playai-tts": "gone", "playai-tts-arabic": "gone"}


def test_models_live_piped_adds_the_live_column(cli: CliRunner, groq: GroqStub) -> None:
    groq.live_models.append("moonshotai/kimi-k3")  # listed without a price, unknown to genai-prices
    result = run(cli, "models", "--live")

    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    rows = tsv(result.stdout)
    status = {row["id"]: row["live"] for row in rows}
    assert {model for model, state in status.items() if state == "gone"} == GONE
    assert {model for model, state in status.items() if state == "new"} == NEW | {"moonshotai/kimi-k3"}
    kimi = next(row for row in rows if row["id"] == "moonshotai/kimi-k3")
    assert (kimi["input"], kimi["output"], kimi["source"]) == ("", "", "")  # no price known


def test_models_live_without_key_is_exit_2(cli: CliRunner, groq: GroqStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY")
    result = run(cli, "models", "--live", "--json")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "GROQ_API_KEY" in one_line(result.stderr)
    assert groq.requests == []


def test_models_live_without_key_subprocess_one_line(adp, env: dict[str, str]) -> None:
    result = adp("models", "--live")

    assert result.returncode == 2
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("adp: error:") and "GROQ_API_KEY" in line


# --- adp cost ------------------------------------------------------------------------------


def test_cost_text_lists_the_o200k_count_and_every_text_model(cli: CliRunner, env: dict[str, str]) -> None:
    text = "Warm brushed drums under a late-night saxophone, 92 BPM."
    result = run(cli, "cost", text)

    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    rows = tsv(result.stdout)
    assert {row["model"] for row in rows} == COSTED == {FAST, VERSATILE, "allam-2-7b", UNPRICED}
    assert {(row["tokens"], row["output_tokens"]) for row in rows} == {(str(count_tokens(text)), "0")}
    fast = next(row for row in rows if row["model"] == FAST)
    assert float(fast["cost_usd"]) == pytest.approx(count_tokens(text) * 0.075 / 1_000_000, rel=1e-6)
    unpriced = next(row for row in rows if row["model"] == UNPRICED)
    assert (unpriced["input_price"], unpriced["output_price"], unpriced["cost_usd"], unpriced["source"]) == ("", "", "", "")


def test_cost_one_model_million_tokens(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "cost", "--model", FAST, "--tokens", "1000000")

    assert result.exit_code == 0, result.stderr
    [row] = tsv(result.stdout)
    assert (row["model"], row["tokens"], row["input_price"], row["cost_usd"]) == (FAST, "1000000", "0.075", "0.075")


def test_cost_json_exact_numbers(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "cost", "--tokens", "1000", "--output-tokens", "500", "--model", FAST, "--json")

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["tokens"] == 1000
    assert document["output_tokens"] == 500
    [row] = document["models"]
    assert row["model"] == FAST
    assert (row["input_price"], row["output_price"]) == (0.075, 0.3)
    # 1000 x 0.075 + 500 x 0.30 per 1M tokens
    assert row["cost_usd"] == pytest.approx(2.25e-04, rel=1e-9)


def test_cost_every_text_model_sorted_by_cost(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "cost", "--tokens", "1000", "--output-tokens", "1000", "--json")

    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["models"]
    assert {row["model"] for row in rows} == COSTED
    assert len(rows) == len(COSTED)
    *priced, unknown = rows  # a model with no known price comes last, its price and cost unknown
    assert unknown == {"model": UNPRICED, "input_price": None, "output_price": None, "unit": None, "source": None, "cost_usd": None}
    costs = [row["cost_usd"] for row in priced]
    assert costs == sorted(costs)
    for row in priced:
        expected = (1000 * row["input_price"] + 1000 * row["output_price"]) / 1_000_000
        assert row["cost_usd"] == pytest.approx(expected, rel=1e-6)


def test_cost_listing_is_sorted_on_stdout(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "cost", "--tokens", "1000")

    assert result.exit_code == 0, result.stderr
    *rows, unknown = tsv(result.stdout)
    assert (unknown["model"], unknown["cost_usd"]) == (UNPRICED, "")  # no known price: last
    costs = [float(row["cost_usd"]) for row in rows]
    assert costs == sorted(costs)
    models = [row["model"] for row in rows]
    assert models.index(FAST) < models.index(VERSATILE)  # 0.075 before 0.15


def test_cost_reads_stdin(cli: CliRunner, env: dict[str, str]) -> None:
    text = "Ambient pads drifting over a slow heartbeat kick.\nSecond line."
    result = run(cli, "cost", "-", input=text)

    assert result.exit_code == 0, result.stderr
    assert {row["tokens"] for row in tsv(result.stdout)} == {str(count_tokens(text))}


def test_cost_file(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    text = "Four-on-the-floor techno with acid lines and crisp hats. " * 20
    path = tmp_path / "prompt.txt"
    path.write_text(text, encoding="utf-8")
    result = run(cli, "cost", "--file", str(path), "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["tokens"] == count_tokens(text)


@pytest.mark.parametrize(
    "args",
    [
        ["some text", "--tokens", "5"],
        ["some text", "--file", "x.txt"],
        ["--file", "x.txt", "--tokens", "5"],
        [],
    ],
    ids=["text+tokens", "text+file", "file+tokens", "none"],
)
def test_cost_needs_exactly_one_source(cli: CliRunner, env: dict[str, str], tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "x.txt").write_text("hello", encoding="utf-8")
    result = run(cli, "cost", *args)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert one_line(result.stderr).startswith("adp: error:")


def test_cost_unknown_model_is_exit_2(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "cost", "--tokens", "10", "--model", "no-such-model")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no-such-model" in one_line(result.stderr)


def test_cost_of_a_known_model_without_a_price_is_unknown(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "cost", "--tokens", "10", "--model", UNPRICED, "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["models"] == [
        {"model": UNPRICED, "input_price": None, "output_price": None, "unit": None, "source": None, "cost_usd": None}
    ]


def test_cost_missing_file_is_exit_2(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    result = run(cli, "cost", "--file", str(tmp_path / "missing.txt"))

    assert result.exit_code == 2
    assert result.stdout == ""


# --- ledger and budget ---------------------------------------------------------------------


def test_ledger_after_two_generations(cli: CliRunner, groq: GroqStub, env: dict[str, str]) -> None:
    results = []
    for model in (FAST, VERSATILE, FAST):
        generated = run(cli, "casual", "--genre", "Jazz", "--mood", "calm", "-m", model, "--json", "-q")
        assert generated.exit_code == 0, generated.stderr
        results.append(json.loads(generated.stdout))
    assert len(groq.chat_requests) == 3

    result = run(cli, "cost", "--ledger", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["ledger"] == env["COST_TRACKING_FILE"]
    entries = {entry["model"]: entry for entry in document["entries"]}
    assert set(entries) == {FAST, VERSATILE}
    assert entries[FAST]["requests"] == 2
    assert entries[VERSATILE]["requests"] == 1
    # each call: 120 prompt tokens, 12 answer + 40 reasoning tokens
    assert entries[FAST]["prompt_tokens"] == 240 and entries[FAST]["completion_tokens"] == 104
    assert entries[FAST]["cost_usd"] == pytest.approx(results[0]["cost_usd"] + results[2]["cost_usd"], rel=1e-9)
    assert entries[VERSATILE]["cost_usd"] == pytest.approx(results[1]["cost_usd"], rel=1e-9)
    assert document["total_usd"] == pytest.approx(sum(r["cost_usd"] for r in results), rel=1e-6)

    piped = run(cli, "cost", "--ledger")
    assert piped.exit_code == 0, piped.stderr
    assert piped.stderr == ""
    rows = tsv(piped.stdout)
    assert [(row["model"], row["requests"], row["prompt_tokens"], row["completion_tokens"]) for row in rows] == [
        (VERSATILE, "1", "120", "52"), (FAST, "2", "240", "104")  # by model id within the day
    ]
    assert sum(float(row["cost_usd"]) for row in rows) == pytest.approx(document["total_usd"], rel=1e-6)


def test_ledger_empty(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "cost", "--ledger", "--json", "--days", "7")

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["entries"] == []
    assert document["total_usd"] == 0


def test_a_call_groq_rejected_is_not_in_the_ledger(cli: CliRunner, groq: GroqStub) -> None:
    """A 400 is not billed, so it is not spent (an unusable 200 reply is: see test_generate_cli)."""
    groq.enqueue(bad_request("messages: too many"))
    failed = run(cli, "bpm", "--phrase", "x")
    assert failed.exit_code == 1

    result = run(cli, "cost", "--ledger", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["entries"] == []


def test_ledger_off_is_exit_2(cli: CliRunner, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COST_TRACKING_FILE", "off")
    result = run(cli, "cost", "--ledger")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "COST_TRACKING_FILE" in one_line(result.stderr)


def test_ledger_off_still_generates(cli: CliRunner, groq: GroqStub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COST_TRACKING_FILE", "off")
    result = run(cli, "casual", "--genre", "Jazz", "-m", FAST)

    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "ledger.json").exists()


def test_daily_budget_zero_refuses_and_sends_nothing(cli: CliRunner, groq: GroqStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "0")
    result = run(cli, "casual", "--genre", "Jazz", "-m", FAST)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "ADP_DAILY_BUDGET_USD" in one_line(result.stderr)
    assert groq.chat_requests == []
    # what was read is the free list of models (for today's prices), never a chat
    assert [(request.method, request.path) for request in groq.requests] == [("GET", "/openai/v1/models")]


def test_daily_budget_reached_after_spending(cli: CliRunner, groq: GroqStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "0.000001")  # below one call's 2.46e-05
    first = run(cli, "casual", "--genre", "Jazz", "-m", FAST, "-q")
    assert first.exit_code == 0, first.stderr

    second = run(cli, "casual", "--genre", "Jazz", "-m", FAST, "-q")
    assert second.exit_code == 1
    assert "budget" in one_line(second.stderr)
    assert len(groq.chat_requests) == 1


def test_bad_budget_value_is_exit_2(cli: CliRunner, groq: GroqStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "ten dollars")
    result = run(cli, "casual", "--genre", "Jazz", "-m", FAST)

    assert result.exit_code == 2
    assert "ADP_DAILY_BUDGET_USD" in one_line(result.stderr)
    assert groq.requests == []
