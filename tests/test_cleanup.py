"""Reply clean-up (reasoning, list markers, quotes, BPM numbers) and the prompt-limit check."""

from __future__ import annotations

from pathlib import Path

import pytest

from adp_cli.accounting.catalog import TEXT_GENERATION_MODELS
from adp_cli.accounting.tokens import count_tokens
from adp_cli.dispatch.pool import Pool
from adp_cli.errors import BadReplyError, ExitStatus, TokenLimitError
from adp_cli.tasks import messages
from adp_cli.tasks.bpm import BPM
from adp_cli.tasks.casual import CASUAL
from adp_cli.tasks.cleanup import clean_casual, clean_structure, parse_bpm, strip_reasoning
from adp_cli.tasks.messages import CASUAL_PROMPT
from adp_cli.tasks.prepared import Prepared, prepare
from adp_cli.tasks.registry import TASKS
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.structure import STRUCTURE
from adp_cli.tasks.wizard import BpmEstimationInput, WizardData, parse_wizard
from adp_cli.transports.base import Connection
from adp_cli.transports.groq import GroqTransport

# -- reasoning -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("<think>plan</think>A calm piano piece.", "A calm piano piece."),
        ("<think>\nline one\nline two\n</think>\n\nA calm piano piece.", "A calm piano piece."),
        ("<THINK>shout</Think> Loud drums", "Loud drums"),
        ("<think>a</think>Hello <think>b</think>world", "Hello world"),
        ("  <think>never closed, all reasoning\nmore", ""),
        ("<think>", ""),
        ("Plain reply", "Plain reply"),
        ("Mentions <think> later", "Mentions <think> later"),
        ("  padded  \n", "padded"),
    ],
)
def test_strip_reasoning(reply: str, expected: str) -> None:
    assert strip_reasoning(reply) == expected


# -- casual ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("1. text", "text"),
        ("2) text", "text"),
        ("  10. x ", "x"),
        ("1.\tTabbed phrase", "Tabbed phrase"),
        ("123. Three digits", "Three digits"),
        ("808 drums rattle under a neon synth line", "808 drums rattle under a neon synth line"),
        ("1.5x speed breakbeats", "1.5x speed breakbeats"),
        ("2010s indie pop with jangly guitars", "2010s indie pop with jangly guitars"),
        ("90s hip hop, 95 BPM", "90s hip hop, 95 BPM"),
        ("3 guitars and a cello", "3 guitars and a cello"),
        ("1.Glued marker stays", "1.Glued marker stays"),
        ("1. 2. only the first marker goes", "2. only the first marker goes"),
        ("<think>which number?</think>\n1. Warm lo-fi beat", "Warm lo-fi beat"),
        ("<think>unclosed", ""),
        ("", ""),
    ],
)
def test_clean_casual(reply: str, expected: str) -> None:
    assert clean_casual(reply) == expected


# -- structure -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('"Smooth jazz with a relaxed saxophone lead."', "Smooth jazz with a relaxed saxophone lead."),
        ("'Smooth jazz with a relaxed saxophone lead.'", "Smooth jazz with a relaxed saxophone lead."),
        ("\u201cSmooth jazz with a relaxed saxophone lead.\u201d", "Smooth jazz with a relaxed saxophone lead."),
        ("\u2018Smooth jazz\u2019", "Smooth jazz"),
        ('  "Padded and quoted"  \n', "Padded and quoted"),
        ('" Inner space "', "Inner space"),
        ('"A so-called "wall of sound" production"', 'A so-called "wall of sound" production'),
        ('A so-called "wall of sound" production', 'A so-called "wall of sound" production'),
        ("Rock 'n' roll revival", "Rock 'n' roll revival"),
        ('"Unmatched opening quote', '"Unmatched opening quote'),
        ('Unmatched closing quote"', 'Unmatched closing quote"'),
        ("'Mixed quotes\"", "'Mixed quotes\""),
        ('"', '"'),
        ("<think>hmm</think>\n\"Bright synth pop.\"", "Bright synth pop."),
        ("No quotes at all", "No quotes at all"),
    ],
)
def test_clean_structure(reply: str, expected: str) -> None:
    assert clean_structure(reply) == expected


# -- BPM -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("128", 128),
        ("128 BPM", 128),
        ("128 bpm.", 128),
        ("128bpm", 128),
        ("128.", 128),
        ("128!", 128),
        (" 128\n", 128),
        ("<think>x</think>120", 120),
        ("<think>\ntechno is 125-140\n</think>\n132 BPM", 132),
        ("40", 40),
        ("250", 250),
    ],
)
def test_parse_bpm_accepts(reply: str, expected: int) -> None:
    assert parse_bpm(reply) == expected


@pytest.mark.parametrize(
    "reply",
    ["128.5", "about 128", "128-130", "", "39", "251", "BPM", "0", "1000", "-128", "128 or 130", "<think>128", "\u0661\u0662\u0668"],
)
def test_parse_bpm_rejects_and_quotes_the_reply(reply: str) -> None:
    with pytest.raises(BadReplyError) as caught:
        parse_bpm(reply)
    message = str(caught.value)
    assert repr(reply.strip()) in message
    assert message == f"Invalid BPM returned: {reply.strip()!r}. Expected integer between 40-250."
    assert caught.value.exit_status == ExitStatus.FAILURE


# -- tasks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "limit", "temperature", "max_tokens", "reply", "answer", "fixed"),
    [
        (CASUAL, 900, 0.1, 3500, "<think>x</think>1. Warm 808 drums", "Warm 808 drums", None),
        (STRUCTURE, 2000, 0.7, 3500, '"Calm ambient piece."', "Calm ambient piece.", None),
        # the guide's llama-3.3-70b-versatile as Groq serves it today (its replacement)
        (BPM, None, 0.3, 10, "128 BPM.", 128, "openai/gpt-oss-120b"),
    ],
)
def test_task_parameters_are_the_guides(task, limit, temperature, max_tokens, reply, answer, fixed) -> None:  # type: ignore[no-untyped-def]
    assert (task.limit, task.temperature, task.max_tokens, task.model) == (limit, temperature, max_tokens, fixed)
    assert task.clean(reply) == answer
    assert TASKS[task.name] is task


@pytest.mark.parametrize("task", [CASUAL, STRUCTURE])
def test_a_phrase_empty_after_clean_up_is_a_bad_reply(task) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadReplyError, match="the model returned no phrase"):
        task.clean("<think>only reasoning</think>  ")


# -- prepare and the token limit -------------------------------------------------------------


def groq_models(prepared: Prepared) -> list[str]:
    """The models the Groq provider would send this request to (the named one, bpm's, or the pool)."""
    return Pool(GroqTransport(Connection())).candidates(prepared)


def _long_moods() -> WizardData:
    """As big as an item may be: 50 moods of 500 characters each."""
    return parse_wizard({"genre": "Rock", "mood": [("energetic " * 50).strip()[:500]] * 50})


@pytest.fixture
def fresh_prompt_cache() -> None:
    messages._read.cache_clear()
    yield
    messages._read.cache_clear()


def test_casual_over_the_limit_raises(env: dict[str, str]) -> None:
    wizard = _long_moods()
    with pytest.raises(TokenLimitError) as caught:
        prepare(CASUAL, wizard, Settings())
    measured = prepare(CASUAL, wizard, Settings(), enforce_limit=False)
    assert caught.value.tokens == measured.prompt_tokens > 900
    assert caught.value.limit == 900
    assert caught.value.exit_status == ExitStatus.USAGE
    assert str(caught.value) == f"Token limit exceeded: {measured.prompt_tokens} > 900 (o200k_base); nothing was sent"


def test_over_the_limit_without_enforcing(env: dict[str, str]) -> None:
    prepared = prepare(CASUAL, _long_moods(), Settings(), enforce_limit=False)
    assert prepared.over_limit is True
    assert prepared.prompt_tokens == count_tokens(prepared.messages[0]["content"])
    assert len(prepared.messages) == 1


def test_structure_over_its_limit(env: dict[str, str]) -> None:
    with pytest.raises(TokenLimitError) as caught:
        prepare(STRUCTURE, _long_moods(), Settings())
    assert caught.value.limit == 2000
    assert caught.value.tokens > 2000


def test_bpm_has_no_limit(env: dict[str, str]) -> None:
    moods = [("energetic " * 50).strip()[:500]] * 50
    item = BpmEstimationInput(input_phrase="fast", standardized_phrase="fast", mood=moods, texture=moods)
    prepared = prepare(BPM, item, Settings())
    assert prepared.prompt_tokens > 2000
    assert prepared.over_limit is False
    assert groq_models(prepared) == ["openai/gpt-oss-120b"]
    assert [m["role"] for m in prepared.messages] == ["system", "user"]


def test_limit_is_inclusive(env: dict[str, str], tmp_path: Path, fresh_prompt_cache: None) -> None:
    """Exactly 900 tokens goes; 901 is refused."""
    wizard = parse_wizard({"genre": "Rock"})
    (tmp_path / CASUAL_PROMPT).write_text("a", encoding="utf-8")
    base = prepare(CASUAL, wizard, Settings(prompts_dir=tmp_path)).prompt_tokens
    messages._read.cache_clear()
    (tmp_path / CASUAL_PROMPT).write_text("a" + " a" * (900 - base), encoding="utf-8")
    at_limit = prepare(CASUAL, wizard, Settings(prompts_dir=tmp_path))
    assert at_limit.prompt_tokens == 900
    assert at_limit.over_limit is False
    messages._read.cache_clear()
    (tmp_path / CASUAL_PROMPT).write_text("a" + " a" * (901 - base), encoding="utf-8")
    with pytest.raises(TokenLimitError) as caught:
        prepare(CASUAL, wizard, Settings(prompts_dir=tmp_path))
    assert caught.value.tokens == 901


def test_prepare_defaults_and_overrides(env: dict[str, str]) -> None:
    wizard = parse_wizard({"genre": "Jazz", "mood": "relaxed"})
    prepared = prepare(CASUAL, wizard, Settings())
    assert groq_models(prepared) == [m.value for m in TEXT_GENERATION_MODELS]
    assert (prepared.temperature, prepared.max_tokens) == (0.1, 3500)
    assert prepared.prompt_tokens == count_tokens(prepared.messages[0]["content"])
    assert prepared.over_limit is False

    chosen = prepare(STRUCTURE, wizard, Settings(model="qwen/qwen3-32b", temperature=0.0, max_tokens=50))
    assert groq_models(chosen) == ["qwen/qwen3-32b"]
    assert (chosen.temperature, chosen.max_tokens) == (0.0, 50)

    bpm = prepare(BPM, BpmEstimationInput(input_phrase="fast", standardized_phrase="fast"), Settings(model="x/y"))
    assert groq_models(bpm) == ["x/y"]
    assert (bpm.temperature, bpm.max_tokens) == (0.3, 10)
    assert bpm.prompt_tokens == count_tokens(bpm.messages[0]["content"] + bpm.messages[1]["content"])


def test_casual_and_structure_need_wizard_data(env: dict[str, str]) -> None:
    item = BpmEstimationInput(input_phrase="fast", standardized_phrase="fast")
    with pytest.raises(TypeError):
        prepare(CASUAL, item, Settings())
