"""The guide's library API from the package root, on the same request path as the CLI, against
the loopback Groq (real SDK over HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import adp_cli
from adp_cli import (
    BpmEstimationInput,
    BpmEstimationResult,
    GenerationResult,
    GroqModel,
    WizardData,
    estimate_bpm,
    generate_casual_phrase_groq,
    generate_phrase_from_structure,
)
from adp_cli.errors import BadReplyError, ConfigError
from tests.support.groqstub import GroqStub

ROCK = WizardData(genre="Rock", mood=["energetic"], bpm=140)


def test_casual_phrase_through_the_library(groq: GroqStub) -> None:
    groq.content = "1. Loud guitars, a stomping beat."
    result = generate_casual_phrase_groq(ROCK, model=GroqModel.GPT_OSS_20B, poetic_level=90)

    assert result == GenerationResult(
        phrase="Loud guitars, a stomping beat.",
        tokens_used=172,
        cost_usd=2.46e-05,  # 120 x 0.075 + 52 x 0.30 per 1M
        provider="groq",
        model="openai/gpt-oss-20b",
        prompt_tokens=120,
        completion_tokens=52,  # 12 of answer after 40 of low-effort reasoning
        latency_ms=result.latency_ms,
        cached_tokens=0,
        reasoning_tokens=40,
    )
    [request] = groq.chat_requests
    assert request.body is not None
    # the guide's 3500 for the answer + 1024 for the reasoning
    assert (request.body["model"], request.body["temperature"], request.body["max_tokens"]) == ("openai/gpt-oss-20b", 0.1, 4524)
    prompt = request.body["messages"][0]["content"]
    assert "EXTREMELY factual" in prompt
    assert prompt.endswith("\n\nMusic Data: Genre: Rock. Mood: energetic. Tempo: 140 BPM")


def test_structure_phrase_through_the_library(groq: GroqStub) -> None:
    groq.content = '"Energetic Rock track at 140 BPM."'
    result = generate_phrase_from_structure(ROCK, model="openai/gpt-oss-120b")

    assert (result.phrase, result.model, result.provider) == ("Energetic Rock track at 140 BPM.", "openai/gpt-oss-120b", "groq")
    [request] = groq.chat_requests
    assert request.body is not None and request.body["temperature"] == 0.7
    assert request.body["messages"][0]["content"].endswith(json.dumps({"Genre": "Rock", "Mood": ["energetic"]}, indent=2))


def test_bpm_through_the_library(groq: GroqStub) -> None:
    groq.content = "128 BPM."
    result = estimate_bpm(BpmEstimationInput(input_phrase="fast techno", standardized_phrase="fast techno", genre="Electronic"))

    assert isinstance(result, BpmEstimationResult)
    assert (result.bpm, result.model) == (128, "openai/gpt-oss-120b")
    [request] = groq.chat_requests
    assert request.body is not None
    assert [message["role"] for message in request.body["messages"]] == ["system", "user"]
    assert (request.body["temperature"], request.body["max_tokens"]) == (0.3, 1034)  # 10 + 1024 for the reasoning


def test_a_bad_bpm_reply_raises_the_domain_error(groq: GroqStub) -> None:
    groq.content = "about one hundred"
    with pytest.raises(BadReplyError, match="Invalid BPM returned: 'about one hundred'"):
        estimate_bpm(BpmEstimationInput(input_phrase="x", standardized_phrase="x"))


def test_library_calls_are_in_the_ledger(groq: GroqStub, tmp_path: Path) -> None:
    generate_casual_phrase_groq(ROCK, model="openai/gpt-oss-20b")
    ledger = json.loads((tmp_path / "ledger.json").read_text(encoding="utf-8"))
    [day] = ledger["days"].values()
    assert day["openai/gpt-oss-20b"]["requests"] == 1


def test_without_a_key_the_library_raises_config_error(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="GROQ_API_KEY is not set"):
        generate_casual_phrase_groq(ROCK)


def test_the_readme_library_example_runs_as_written(groq: GroqStub, capsys: pytest.CaptureFixture[str]) -> None:
    """The three lines the README shows, executed verbatim."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert example.count("\n") == 3
    exec(example, {})  # noqa: S102
    assert capsys.readouterr().out == "A warm test phrase. 2.46e-05\n"  # 120 x 0.075 + 52 x 0.30 per 1M


def test_guide_names_are_exported() -> None:
    assert {"calculate_cost", "GROQ_PRICING", "get_random_model", "count_tokens", "TEXT_GENERATION_MODELS"} <= set(adp_cli.__all__)
    assert adp_cli.count_tokens("hello world") == 2
