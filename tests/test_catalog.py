"""The model catalog: the guide's ids and pool, categories, prices and their sources, costs."""

from __future__ import annotations

from pathlib import Path

import pytest

from adp_cli.accounting import catalog, prices
from adp_cli.accounting.catalog import (
    ALL_GROQ_MODELS,
    TEXT_GENERATION_MODELS,
    GroqModel,
    get_random_model,
)
from adp_cli.accounting.prices import GROQ_PRICING, PriceBook, calculate_cost
from adp_cli.errors import ConfigError

GUIDE_IDS = [
    ("LLAMA_3_1_8B_INSTANT", "llama-3.1-8b-instant"),
    ("LLAMA_3_3_70B_VERSATILE", "llama-3.3-70b-versatile"),
    ("LLAMA_4_SCOUT_17B", "meta-llama/llama-4-scout-17b-16e-instruct"),
    ("LLAMA_4_MAVERICK_17B", "meta-llama/llama-4-maverick-17b-128e-instruct"),
    ("LLAMA_GUARD_4_12B", "meta-llama/llama-guard-4-12b"),
    ("LLAMA_PROMPT_GUARD_2_22M", "meta-llama/llama-prompt-guard-2-22m"),
    ("LLAMA_PROMPT_GUARD_2_86M", "meta-llama/llama-prompt-guard-2-86m"),
    ("GPT_OSS_120B", "openai/gpt-oss-120b"),
    ("GPT_OSS_20B", "openai/gpt-oss-20b"),
    ("KIMI_K2_INSTRUCT", "moonshotai/kimi-k2-instruct"),
    ("KIMI_K2_INSTRUCT_0905", "moonshotai/kimi-k2-instruct-0905"),
    ("QWEN3_32B", "qwen/qwen3-32b"),
    ("GEMMA2_9B_IT", "gemma2-9b-it"),
    ("DEEPSEEK_R1_DISTILL_LLAMA_70B", "deepseek-r1-distill-llama-70b"),
    ("ALLAM_2_7B", "allam-2-7b"),
    ("GROQ_COMPOUND", "groq/compound"),
    ("GROQ_COMPOUND_MINI", "groq/compound-mini"),
    ("WHISPER_LARGE_V3", "whisper-large-v3"),
    ("WHISPER_LARGE_V3_TURBO", "whisper-large-v3-turbo"),
    ("PLAYAI_TTS", "playai-tts"),
    ("PLAYAI_TTS_ARABIC", "playai-tts-arabic"),
]

# Added after the guide: what Groq serves in place of retired models.
TODAY_IDS = [
    ("GPT_OSS_SAFEGUARD_20B", "openai/gpt-oss-safeguard-20b"),
    ("QWEN3_6_27B", "qwen/qwen3.6-27b"),
]
ALL_IDS = [value for _, value in GUIDE_IDS + TODAY_IDS]
# Groq's /models alone prices it: neither genai-prices' snapshot nor the guide has a price.
LIVE_PRICED_ONLY = "qwen/qwen3.6-27b"

GUIDE_POOL = [
    "llama-3.1-8b-instant",
    "llama-3.3-70b-versatile",
    "meta-llama/llama-4-scout-17b-16e-instruct",
    "meta-llama/llama-4-maverick-17b-128e-instruct",
    "openai/gpt-oss-20b",
    "gemma2-9b-it",
    "allam-2-7b",
]
# The guide's pool as Groq serves it today: each retired model replaced by Groq's replacement
# (llama-3.1-8b-instant and gemma2-9b-it by gpt-oss-20b; llama-3.3-70b, Scout and Maverick by
# gpt-oss-120b), without duplicates.
TODAY_POOL = ["openai/gpt-oss-20b", "openai/gpt-oss-120b", "allam-2-7b"]

CATEGORIES = {
    "meta-llama/llama-guard-4-12b": "guard",
    "meta-llama/llama-prompt-guard-2-22m": "guard",
    "meta-llama/llama-prompt-guard-2-86m": "guard",
    "groq/compound": "compound",
    "groq/compound-mini": "compound",
    "whisper-large-v3": "audio",
    "whisper-large-v3-turbo": "audio",
    "playai-tts": "tts",
    "playai-tts-arabic": "tts",
}


@pytest.fixture
def prices_file(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Write an ADP_PRICES_FILE at a path no other test used (the parse is cached by path)."""
    counter = iter(range(1000))

    def write(text: str) -> Path:
        path = tmp_path / f"prices-{next(counter)}.yaml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("ADP_PRICES_FILE", str(path))
        return path

    return write


# -- the guide's unit tests -------------------------------------------------------------------


def test_calculate_cost(env: dict[str, str]) -> None:
    cost = calculate_cost(1_000_000, GroqModel.LLAMA_3_1_8B_INSTANT)
    assert cost == 0.05

    cost = calculate_cost(500_000, GroqModel.LLAMA_3_3_70B_VERSATILE)
    expected = 0.59 * 0.5
    assert abs(cost - expected) < 0.001
    assert cost == 0.295


def test_get_random_model() -> None:
    model = get_random_model()
    assert model in TEXT_GENERATION_MODELS


def test_pricing_coverage(env: dict[str, str]) -> None:
    for model in GroqModel:
        if model.value == LIVE_PRICED_ONLY:
            assert model not in GROQ_PRICING and model.value not in GROQ_PRICING
            continue
        assert model in GROQ_PRICING
        assert model.value in GROQ_PRICING
        assert GROQ_PRICING[model] == GROQ_PRICING[model.value] > 0
    assert dict(GROQ_PRICING).keys() == set(ALL_IDS) - {LIVE_PRICED_ONLY}  # every key it lists it can price


# -- ids, pool, categories -------------------------------------------------------------------


def test_the_guides_21_model_ids() -> None:
    assert [(m.name, m.value) for m in GroqModel] == GUIDE_IDS + TODAY_IDS
    assert [m.value for m in ALL_GROQ_MODELS] == ALL_IDS
    assert len(GUIDE_IDS) == 21 and len(ALL_GROQ_MODELS) == 23


def test_the_guides_7_pool_models() -> None:
    assert [m.value for m in catalog.GUIDE_TEXT_GENERATION_MODELS] == GUIDE_POOL
    assert [m.value for m in TEXT_GENERATION_MODELS] == TODAY_POOL
    assert all(isinstance(m, GroqModel) for m in TEXT_GENERATION_MODELS)
    assert [catalog.today(model) for model in GUIDE_POOL] == [
        "openai/gpt-oss-20b", "openai/gpt-oss-120b", "openai/gpt-oss-120b", "openai/gpt-oss-120b",
        "openai/gpt-oss-20b", "openai/gpt-oss-20b", "allam-2-7b",
    ]


@pytest.mark.parametrize("model", ALL_IDS)
def test_categories(model: str) -> None:
    expected = {**CATEGORIES, "openai/gpt-oss-safeguard-20b": "guard"}
    assert catalog.category_of(model).value == expected.get(model, "text")


def test_pool_models_are_text_models() -> None:
    assert {catalog.category_of(m.value).value for m in TEXT_GENERATION_MODELS} == {"text"}


def test_unknown_model_is_text_with_no_price(env: dict[str, str]) -> None:
    assert catalog.category_of("someone/new-model").value == "text"
    assert prices.price_of("someone/new-model") is None
    assert "someone/new-model" not in GROQ_PRICING
    with pytest.raises(KeyError):
        GROQ_PRICING["someone/new-model"]
    assert PriceBook().cost("someone/new-model", 1000, 1000) is None  # unknown, never a silent $0


def test_enum_names() -> None:
    assert catalog.enum_name_of("llama-3.1-8b-instant") == "LLAMA_3_1_8B_INSTANT"
    assert catalog.enum_name_of("nope") == ""


# -- prices and their sources ----------------------------------------------------------------


def test_genai_prices_for_llama_3_1_8b(env: dict[str, str]) -> None:
    price = prices.price_of("llama-3.1-8b-instant")
    assert price is not None
    assert (price.input, price.output, price.unit) == (0.05, 0.08, "1M tokens")
    assert price.source.startswith("genai-prices")
    assert not price.estimate


def test_guide_estimate_for_allam(env: dict[str, str]) -> None:
    price = prices.price_of("allam-2-7b")
    assert price is not None
    assert (price.input, price.output, price.unit) == (0.1, 0.1, "1M tokens")
    assert price.source.startswith("guide")
    assert price.estimate


@pytest.mark.parametrize("model", ["whisper-large-v3", "whisper-large-v3-turbo"])
def test_whisper_is_priced_per_audio_hour(env: dict[str, str], model: str) -> None:
    price = prices.price_of(model)
    assert price is not None
    assert price.unit == "audio hour"


@pytest.mark.parametrize("model", [value for _, value in GUIDE_IDS])
def test_every_model_has_a_full_price(env: dict[str, str], model: str) -> None:
    price = prices.price_of(model)
    assert price is not None
    assert price.input >= 0 and price.output >= 0
    assert price.unit
    assert price.source.startswith(("genai-prices", "guide"))
    if price.estimate:
        assert price.input == price.output == catalog.GUIDE_PRICES[GroqModel(model)]


def test_groq_pricing_is_the_input_price(env: dict[str, str]) -> None:
    assert GROQ_PRICING["llama-3.1-8b-instant"] == 0.05
    assert GROQ_PRICING[GroqModel.LLAMA_3_3_70B_VERSATILE] == 0.59
    assert GROQ_PRICING["openai/gpt-oss-safeguard-20b"] == 0.075
    assert len(GROQ_PRICING) == 22  # the guide's 21 and gpt-oss-safeguard-20b; qwen3.6 has no offline price
    assert list(GROQ_PRICING) == [model for model in ALL_IDS if model != LIVE_PRICED_ONLY]


# -- costs -----------------------------------------------------------------------------------


def test_usage_cost_prices_input_and_output_apart(env: dict[str, str]) -> None:
    expected = float(f"{(1000 * 0.05 + 500 * 0.08) / 1_000_000:.7g}")
    assert PriceBook().cost("llama-3.1-8b-instant", 1000, 500) == expected == 9e-05
    assert PriceBook().cost(GroqModel.LLAMA_3_1_8B_INSTANT, 1000, 500) == expected
    assert PriceBook().cost("llama-3.1-8b-instant", 0, 0) == 0.0


@pytest.mark.parametrize(
    ("tokens", "model", "expected"),
    [
        (123_457, "llama-3.3-70b-versatile", 0.07283963),  # 0.07283962999... rounded to 7 s.f.
        (1, "llama-3.1-8b-instant", 5e-08),
        (333_333, "allam-2-7b", 0.0333333),
        (7, "allam-2-7b", 7e-07),
        (0, "llama-3.1-8b-instant", 0.0),
        (2_000_000, GroqModel.ALLAM_2_7B, 0.2),
    ],
)
def test_calculate_cost_seven_significant_figures(
    env: dict[str, str], tokens: int, model: str, expected: float
) -> None:
    assert calculate_cost(tokens, model) == expected


def test_calculate_cost_uses_the_input_price_only(env: dict[str, str]) -> None:
    # llama-3.1-8b-instant has a dearer output price; the guide's estimate ignores it
    assert calculate_cost(1500, "llama-3.1-8b-instant") == float(f"{1500 * 0.05 / 1e6:.7g}")


# -- ADP_PRICES_FILE -------------------------------------------------------------------------


def test_prices_file_overrides_and_adds(prices_file) -> None:  # type: ignore[no-untyped-def]
    prices_file(
        "llama-3.1-8b-instant:\n"
        "  input: 1.5\n"
        "  output: 2.5\n"
        "acme/new-model: 0.7\n"
        "whisper-large-v3:\n"
        "  input: 0.2\n"
        "  unit: audio hour\n"
    )
    price = prices.price_of("llama-3.1-8b-instant")
    assert price == prices.Price(1.5, 2.5, "1M tokens", "ADP_PRICES_FILE")
    assert prices.price_of("acme/new-model") == prices.Price(0.7, 0.7, "1M tokens", "ADP_PRICES_FILE")
    assert prices.price_of("whisper-large-v3") == prices.Price(0.2, 0.2, "audio hour", "ADP_PRICES_FILE")
    assert prices.known_model_ids() == ALL_IDS + ["acme/new-model"]
    assert GROQ_PRICING["acme/new-model"] == 0.7
    assert "acme/new-model" in GROQ_PRICING
    assert len(GROQ_PRICING) == 23  # 22 priced without the file, and the model it adds
    assert calculate_cost(1_000_000, "llama-3.1-8b-instant") == 1.5
    assert PriceBook().cost("llama-3.1-8b-instant", 1_000_000, 1_000_000) == 4.0
    # untouched models keep their normal source
    assert prices.price_of("allam-2-7b").source.startswith("guide")  # type: ignore[union-attr]


def test_prices_file_can_price_cached_input(prices_file) -> None:  # type: ignore[no-untyped-def]
    prices_file("openai/gpt-oss-20b:\n  input: 0.1\n  output: 0.4\n  cached_input: 0.02\n")

    assert prices.price_of("openai/gpt-oss-20b") == prices.Price(0.1, 0.4, "1M tokens", "ADP_PRICES_FILE", cached_input=0.02)
    # 1M prompt tokens, 600,000 of them cached, and 1M completion tokens
    assert PriceBook().cost("openai/gpt-oss-20b", 1_000_000, 1_000_000, cached_tokens=600_000) == pytest.approx(0.04 + 0.012 + 0.4)


def test_without_prices_file_nothing_is_added(env: dict[str, str]) -> None:
    assert prices.known_model_ids() == ALL_IDS


@pytest.mark.parametrize(
    "text",
    [
        "- just\n- a list\n",
        "llama-3.1-8b-instant: cheap\n",
        "llama-3.1-8b-instant:\n  input: lots\n",
        "llama-3.1-8b-instant: -1\n",
        "llama-3.1-8b-instant: [1, 2\n",
        "llama-3.1-8b-instant:\n  unit: audio hour\n",
        "llama-3.1-8b-instant:\n  input: 1\n  cached_input: -1\n",
    ],
    ids=["list", "word", "bad-input", "negative", "bad-yaml", "no-price", "negative-cached"],
)
def test_bad_prices_file_is_a_config_error(prices_file, text: str) -> None:  # type: ignore[no-untyped-def]
    path = prices_file(text)
    with pytest.raises(ConfigError, match="ADP_PRICES_FILE") as caught:
        prices.price_of("llama-3.1-8b-instant")
    assert str(path) in str(caught.value)


def test_missing_prices_file_is_a_config_error(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "absent-prices.yaml"
    monkeypatch.setenv("ADP_PRICES_FILE", str(path))
    with pytest.raises(ConfigError, match="cannot read"):
        prices.price_of("llama-3.1-8b-instant")


# -- random picks ----------------------------------------------------------------------------


def test_seeded_random_model_is_repeatable() -> None:
    picks = [get_random_model(seed) for seed in range(20)]
    assert picks == [get_random_model(seed) for seed in range(20)]
    assert all(pick in TEXT_GENERATION_MODELS for pick in picks)
    assert len(set(picks)) > 1


def test_random_model_with_a_pool() -> None:
    pool = [GroqModel.QWEN3_32B]
    assert get_random_model(3, pool) is GroqModel.QWEN3_32B
    assert get_random_model(pool=pool) is GroqModel.QWEN3_32B


def test_unseeded_random_model_covers_the_pool() -> None:
    assert {get_random_model() for _ in range(500)} == set(TEXT_GENERATION_MODELS)


@pytest.fixture
def fresh_price_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An empty cache folder and no price remembered in this process."""
    monkeypatch.setenv("ADP_CACHE_DIR", str(tmp_path))
    for cached in (prices._price_cache, prices._price_cache_file):
        cached.cache_clear()
    yield tmp_path
    for cached in (prices._price_cache, prices._price_cache_file):
        cached.cache_clear()


def test_genai_prices_answers_are_cached_per_version(env: dict[str, str], fresh_price_cache: Path) -> None:
    """Loading genai-prices' snapshot costs ~70 ms per process, so its answers are kept on disk."""
    import json
    from importlib.metadata import version

    assert prices.price_of("llama-3.1-8b-instant") == prices.Price(0.05, 0.08, "1M tokens", f"genai-prices {version('genai-prices')}")
    cache_file = fresh_price_cache / f"groq-prices-v2-genai-{version('genai-prices')}.json"
    assert json.loads(cache_file.read_text(encoding="utf-8"))["llama-3.1-8b-instant"]["input"] == 0.05


def test_a_cached_price_is_used_without_asking_genai_prices(
    env: dict[str, str], fresh_price_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    from importlib.metadata import version

    cache_file = fresh_price_cache / f"groq-prices-v2-genai-{version('genai-prices')}.json"
    entry = {"input": 0.5, "output": 0.7, "unit": "1M tokens", "source": "genai-prices (cached)"}
    cache_file.write_text(json.dumps({"llama-3.1-8b-instant": entry, "allam-2-7b": None}), encoding="utf-8")

    def no_lookup(model: str) -> None:
        raise AssertionError(f"asked genai-prices about {model} although the cache knows it")

    monkeypatch.setattr(prices, "_genai_price", no_lookup)
    assert prices.price_of("llama-3.1-8b-instant") == prices.Price(**entry)
    assert prices.price_of("allam-2-7b") == prices.Price(0.1, 0.1, "1M tokens", "guide (estimate)")
