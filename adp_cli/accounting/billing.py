"""What a call costs, in one formula for every run mode: prompt tokens the server served from
its prompt cache at the cached-input price, the other prompt tokens at the input price,
completion tokens (reasoning included) at the output price; through the Batch API, at the batch
price. Costs are rounded to the guide's 7 significant figures."""

from __future__ import annotations

from adp_cli.accounting.prices import Price, round_cost


def cost(price: Price, prompt_tokens: int, completion_tokens: int, *, cached_tokens: int = 0, batch: bool = False) -> float:
    paid = price.batch if batch else price
    cached = min(max(cached_tokens, 0), prompt_tokens)
    cached_rate = paid.input if paid.cached_input is None else paid.cached_input
    total = (prompt_tokens - cached) * paid.input + cached * cached_rate + completion_tokens * paid.output
    return round_cost(total / 1_000_000)


def bound(price: Price | None, prompt_bytes: int, max_tokens: int) -> float:
    """The most a call may cost: as many prompt tokens as the prompt has UTF-8 bytes (no token
    of a byte-level tokenizer is shorter than a byte), none of them cached, plus a full
    ``max_tokens`` reply."""
    return 0.0 if price is None else cost(price, prompt_bytes, max_tokens)
