"""What the ledger takes in: the file's structure as it is loaded, and each call before it is
added, so that no figure can make the file unreadable or its totals meaningless.

A call's figures are bounded by what a real call can be: no request uses 100 million tokens
(the largest context windows hold a few million), and no price adp accepts is over
``MAX_PRICE_USD`` per 1M tokens. So a total stays finite, and a bad reply or a bad price file
cannot record Infinity, NaN or $1e22 (which would make every later run refuse the ledger).
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, Any

from adp_cli.errors import BadReplyError

if TYPE_CHECKING:
    from adp_cli.accounting.ledger import Call

FORMAT_VERSION = 1
COUNTERS = ("requests", "prompt_tokens", "completion_tokens")
# USD per 1M tokens: over 100,000 times Groq's dearest model and over 1,000 times the dearest
# anywhere, so no real price is refused, while a request's cost stays far from overflowing.
MAX_PRICE_USD = 1_000_000.0
MAX_TOKENS_PER_REQUEST = 100_000_000
_ROUNDING = 1e-6  # costs are rounded to 7 significant digits before they get here


def check_call(call: Call) -> None:
    """Refuse a call whose counts or cost no real call can have; BadReplyError, since only a
    server's figures (or a bug) can get one past the bounded prices."""
    for name in COUNTERS:
        value = getattr(call, name)
        if type(value) is not int or value < 0:
            raise BadReplyError(f"not recorded in the ledger: {call.model} {name} is {value!r}, not a count >= 0")
    tokens = call.prompt_tokens + call.completion_tokens
    if tokens > max(call.requests, 1) * MAX_TOKENS_PER_REQUEST:
        raise BadReplyError(
            f"not recorded in the ledger: {tokens} tokens for {call.requests} request(s) of {call.model}, "
            f"over {MAX_TOKENS_PER_REQUEST:,} a request"
        )
    cost = call.cost_usd
    most = tokens / 1_000_000 * MAX_PRICE_USD * (1 + _ROUNDING)
    if type(cost) not in (int, float) or not (math.isfinite(cost) and 0 <= cost <= most):
        raise BadReplyError(
            f"not recorded in the ledger: a cost of {cost!r} USD for {tokens} tokens of {call.model} "
            f"(at most ${MAX_PRICE_USD:,.0f} per 1M tokens is accepted)"
        )


def check_ledger(ledger: Any) -> None:
    """Check the whole structure up front so a bad file is reported before anything is written."""
    if not isinstance(ledger, dict):
        raise ValueError("top level is not an object")
    if ledger.get("version") != FORMAT_VERSION:
        raise ValueError(f"version is {ledger.get('version')!r}, expected {FORMAT_VERSION}")
    _validate_days("", ledger.get("days"))
    servers = ledger.get("servers", {})
    if not isinstance(servers, dict):
        raise ValueError('"servers" is not an object')
    for server, days in servers.items():
        _validate_days(f"{server}: ", days)


def _validate_days(where: str, days: Any) -> None:
    """``{day: {model: totals}}``, Groq's under "days" and each other server's under "servers"."""
    if not isinstance(days, dict):
        raise ValueError(f'{where}"days" is not an object')
    for day, models in days.items():
        if not _is_iso_day(day) or not isinstance(models, dict):
            raise ValueError(f"{where}day {day!r} is not a YYYY-MM-DD key holding an object")
        for model, totals in models.items():
            _validate_totals(f"{where}{day}/{model}", totals)


def _is_iso_day(day: str) -> bool:
    """True for ``YYYY-MM-DD`` only, so string order is date order (fromisoformat takes more)."""
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return len(day) == 10


def _validate_totals(where: str, totals: Any) -> None:
    """One model's totals: non-negative integer counters and a non-negative finite cost."""
    if not isinstance(totals, dict):
        raise ValueError(f"{where} is not an object")
    for name in COUNTERS:
        value = totals.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{where} {name} is {value!r}, expected an integer >= 0")
    cost = totals.get("cost_usd")
    if not isinstance(cost, (int, float)) or isinstance(cost, bool) or not (0 <= cost < math.inf):
        raise ValueError(f"{where} cost_usd is {cost!r}, expected a number >= 0")
