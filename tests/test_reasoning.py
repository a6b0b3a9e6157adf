"""Reasoning models answer without paid reasoning unless ``--reasoning`` says otherwise, checked
on the requests the real groq SDK sends to the loopback Groq."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adp_cli.accounting.capabilities import REASONING_CHOICES
from adp_cli.accounting.catalog import TEXT_GENERATION_MODELS, Category, Status, category_of, lifecycle_of
from adp_cli.accounting.prices import known_model_ids
from adp_cli.cli.options import ReasoningLevel
from adp_cli.errors import UsageError
from adp_cli.tasks.settings import Settings
from tests.support.cli import one_line, run
from tests.support.groqstub import GroqStub, Recorded

REASONING_KEYS = {"reasoning_effort", "include_reasoning", "reasoning_format"}
QWEN3 = "qwen/qwen3-32b"  # retired on 2026-07-17; enterprise plans keep it, so it is still asked right
QWEN3_6 = "qwen/qwen3.6-27b"  # reasoning on or off only
GPT_OSS_20B = "openai/gpt-oss-20b"
GPT_OSS_120B = "openai/gpt-oss-120b"
QWEN3_8 = "qwen/qwen3.8-27b"  # newer than the guide; the SDK documents its levels
DEEPSEEK_R1 = "deepseek-r1-distill-llama-70b"  # reasons whatever it is sent
LEAST = {
    QWEN3: {"reasoning_effort": "none"},
    QWEN3_6: {"reasoning_effort": "none"},
    QWEN3_8: {"reasoning_effort": "none"},
    GPT_OSS_20B: {"reasoning_effort": "low", "include_reasoning": False},
    GPT_OSS_120B: {"reasoning_effort": "low", "include_reasoning": False},
}
TEXT_MODELS = [model for model in known_model_ids() if category_of(model) is Category.TEXT]
# Today's loopback Groq answers these 404 model_not_found, after the request arrived as sent.
RETIRED = {model for model in TEXT_MODELS if lifecycle_of(model).status is Status.RETIRED}


def sent(request: Recorded) -> dict[str, Any]:
    """The reasoning parameters one chat request carried."""
    return {key: value for key, value in (request.body or {}).items() if key in REASONING_KEYS}


@pytest.mark.parametrize("model", [*TEXT_MODELS, QWEN3_8])
def test_each_model_is_asked_for_as_little_reasoning_as_it_allows(cli: CliRunner, groq: GroqStub, model: str) -> None:
    result = run(cli, "casual", "--genre", "Jazz", "-m", model, "--json", "-q")

    if model in RETIRED:  # sent all the same: an enterprise plan may still serve it
        assert result.exit_code == 1
        assert f"Groq retired it on {lifecycle_of(model).retired_on}: use -m " in one_line(result.stderr)
    else:
        assert result.exit_code == 0, result.stderr
    [request] = groq.chat_requests
    assert request.body is not None and request.body["model"] == model
    assert sent(request) == LEAST.get(model, {})


def test_models_that_do_not_reason_carry_no_reasoning_parameter(cli: CliRunner, groq: GroqStub) -> None:
    plain = [model for model in TEXT_MODELS if model not in LEAST]
    assert DEEPSEEK_R1 in plain and "llama-3.1-8b-instant" in plain and "allam-2-7b" in plain
    for model in plain:
        assert run(cli, "structure", "--genre", "Rock", "-m", model, "-q").exit_code == (1 if model in RETIRED else 0), model
    assert [request.body["model"] for request in groq.chat_requests if request.body] == plain
    assert [sent(request) for request in groq.chat_requests] == [{}] * len(plain)


@pytest.mark.parametrize(
    ("model", "choice", "expected"),
    [
        (GPT_OSS_20B, "low", {"reasoning_effort": "low", "include_reasoning": False}),
        (GPT_OSS_20B, "medium", {"reasoning_effort": "medium", "include_reasoning": False}),
        (GPT_OSS_120B, "high", {"reasoning_effort": "high", "include_reasoning": False}),
        (GPT_OSS_20B, "default", {}),
        (QWEN3_6, "default", {}),
        (QWEN3_6, "high", {}),  # on or off only: any level leaves it at its own default (on)
        (QWEN3_8, "medium", {"reasoning_effort": "medium"}),
        (QWEN3_8, "default", {}),
        ("allam-2-7b", "high", {}),
    ],
)
def test_reasoning_option_opts_back_in(cli: CliRunner, groq: GroqStub, model: str, choice: str, expected: dict[str, Any]) -> None:
    result = run(cli, "casual", "--genre", "Jazz", "-m", model, "--reasoning", choice, "-q")

    assert result.exit_code == 0, result.stderr
    [request] = groq.chat_requests
    assert sent(request) == expected


def test_bpm_on_a_reasoning_model_and_case_insensitive_choice(cli: CliRunner, groq: GroqStub) -> None:
    groq.content = "126"
    quiet = run(cli, "bpm", "--phrase", "steady house groove", "-m", GPT_OSS_120B, "-q")
    loud = run(cli, "bpm", "--phrase", "steady house groove", "-m", GPT_OSS_120B, "--reasoning", "HIGH", "-q")

    assert (quiet.exit_code, quiet.stdout, loud.exit_code) == (0, "126\n", 0), quiet.stderr + loud.stderr
    assert [sent(request)["reasoning_effort"] for request in groq.chat_requests] == ["low", "high"]


def test_random_picks_in_a_batch_each_carry_their_own_models_parameters(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    source = tmp_path / "items.jsonl"
    source.write_text("".join(json.dumps({"id": f"t{n}", "genre": "Jazz"}) + "\n" for n in range(40)), encoding="utf-8")
    result = run(cli, "casual", str(source), "--seed", "7", "-q")

    assert result.exit_code == 0, result.stderr
    picked = Counter(request.body["model"] for request in groq.chat_requests if request.body)
    assert sum(picked.values()) == 40
    assert set(picked) <= {model.value for model in TEXT_GENERATION_MODELS}
    assert picked[GPT_OSS_20B] > 0 and len(picked) > 1  # seed 7 picks the reasoning model and others
    for request in groq.chat_requests:
        assert sent(request) == LEAST.get(request.body["model"] if request.body else "", {})


def test_an_opted_in_reply_is_still_cleaned_of_its_think_block(cli: CliRunner, groq: GroqStub) -> None:
    groq.content = "<think>jazz, calm, maybe brushes</think>\nBrushed drums under a slow upright bass"
    result = run(cli, "casual", "--genre", "Jazz", "-m", QWEN3_6, "--reasoning", "default", "-q")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Brushed drums under a slow upright bass\n"


def test_an_unknown_level_is_a_usage_error_and_sends_nothing(adp, groq: GroqStub) -> None:
    result = adp("casual", "--genre", "Jazz", "-m", GPT_OSS_20B, "--reasoning", "max")

    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith("adp: error:") and "--reasoning" in line and "'max'" in line
    assert groq.requests == []


def test_offline_ignores_reasoning(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "casual", "--genre", "Jazz", "--provider", "offline", "--reasoning", "high", "-q")

    assert result.exit_code == 0, result.stderr
    assert "Jazz" in result.stdout


def test_the_library_refuses_an_unknown_level() -> None:
    with pytest.raises(UsageError, match="'max'"):
        Settings(reasoning="max")
    assert Settings(reasoning="low").reasoning == "low"


def test_the_cli_choices_are_the_catalogs() -> None:
    assert tuple(level.value for level in ReasoningLevel) == REASONING_CHOICES
