"""Groq's per-model rate limits, enforced by the loopback stub on a compressed clock.

Groq limits every model separately on four budgets: requests per minute (RPM), tokens per
minute (TPM), requests per day (RPD) and tokens per day (TPD). Each budget here is a bucket
that refills continuously over its window (a full bucket after ``window`` seconds of rest),
which is what Groq's headers describe: ``x-ratelimit-reset-*`` is the time until the budget is
full again, so a ``minute`` of 0.6 s makes a test see exactly what a client sees in a minute.

    limiter = RateLimiter(minute=0.6).attach(stub)   # stub.limiter = limiter

Tokens: on admission a request is charged its prompt estimate (``estimate``, by default a
quarter of the characters of its messages, roughly what a tokenizer gives for English), plus
its ``max_tokens`` when ``reserve_max_tokens`` is on (Groq is reported to reserve the answer
budget too); the reply then settles the charge to the ``usage.total_tokens`` it reports.
A request larger than the whole TPM budget gets Groq's 413 "Request too large"; a refused
request is not charged. Standard library only.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self

from tests.support.groqstub import Reply

if TYPE_CHECKING:
    from tests.support.groqstub import GroqStub

ORGANIZATION = "org_01kstub0ratelimit0000000000"


@dataclass(frozen=True)
class ModelLimits:
    """One model's four budgets, in requests or tokens per minute / per day."""

    rpm: int
    tpm: int
    rpd: int
    tpd: int


FREE_TIER: dict[str, ModelLimits] = {
    "llama-3.1-8b-instant": ModelLimits(rpm=30, tpm=6_000, rpd=14_400, tpd=500_000),
    "llama-3.3-70b-versatile": ModelLimits(rpm=30, tpm=12_000, rpd=1_000, tpd=100_000),
}
DEFAULT_LIMITS = FREE_TIER["llama-3.1-8b-instant"]

# How each budget appears in Groq's 429 message, and the error ``type`` it carries.
_NAMES = {
    "RPM": ("requests per minute (RPM)", "requests"),
    "RPD": ("requests per day (RPD)", "requests"),
    "TPM": ("tokens per minute (TPM)", "tokens"),
    "TPD": ("tokens per day (TPD)", "tokens"),
}


def go_duration(seconds: float) -> str:
    """Groq's durations are Go's: ``120ms``, ``7.66s``, ``2m59.56s``, ``2h13m5.5s``.

    Rounded up (to the microsecond below a second, the millisecond above), so a client that
    waits exactly this long is never early; sub-millisecond precision matters on a compressed
    clock, where a whole budget refills in well under a second.
    """
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        return _trim(_ceil(seconds * 1_000_000) / 1000) + "ms"
    millis = _ceil(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    text = _trim(rest / 1000) + "s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    return f"{minutes}m{text}" if minutes else text


def _ceil(number: float) -> int:
    """Round up, but not for float noise: 28739.000000004 ms is 28739 ms."""
    return math.ceil(round(number, 6))


def _trim(number: float) -> str:
    """``1.500`` -> ``1.5``, ``2.000`` -> ``2``: Go prints no trailing zeros."""
    return f"{number:.3f}".rstrip("0").rstrip(".")


def prompt_estimate(request: dict) -> int:
    """About one token per four characters of message text: what a server can count up front."""
    messages = request.get("messages") or []
    chars = sum(len(str(m.get("content") or "")) for m in messages if isinstance(m, dict))
    return max(1, math.ceil(chars / 4))


class Bucket:
    """A budget that refills continuously: ``capacity`` units per ``window`` seconds, full at rest."""

    def __init__(self, capacity: int, window: float, now: float) -> None:
        self.capacity = capacity
        self.rate = capacity / window
        self._level = float(capacity)
        self._stamp = now

    def level(self, now: float) -> float:
        return min(self.capacity, self._level + (now - self._stamp) * self.rate)

    def take(self, amount: float, now: float) -> None:
        """Charge (or refund, when negative) ``amount``; the level may go below zero, as on Groq
        when a reply uses more tokens than were reserved for it."""
        self._level = self.level(now) - amount
        self._stamp = now

    def wait_for(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` fits; 0 when it fits now."""
        return max(0.0, (amount - self.level(now)) / self.rate)

    def reset_in(self, now: float) -> float:
        """Seconds until the bucket is full again: Groq's ``x-ratelimit-reset-*``."""
        return (self.capacity - self.level(now)) / self.rate


@dataclass(frozen=True)
class Event:
    """One chat request as the limiter judged it: when (seconds since the limiter was made),
    the status it got (200 admitted, 429 refused, 413 too large), the budget that refused it,
    and the tokens it asked for."""

    at: float
    status: int
    limit: str | None
    tokens: int


@dataclass
class ModelStats:
    answered: int = 0
    refused: int = 0
    timeline: list[Event] = field(default_factory=list)


class _ModelBudgets:
    """The four buckets of one model, in the order a refusal is reported when several are empty."""

    def __init__(self, limits: ModelLimits, minute: float, day: float, now: float) -> None:
        self.buckets = {
            "RPD": Bucket(limits.rpd, day, now),
            "TPD": Bucket(limits.tpd, day, now),
            "RPM": Bucket(limits.rpm, minute, now),
            "TPM": Bucket(limits.tpm, minute, now),
        }

    def refusal(self, tokens: int, now: float) -> tuple[str, float] | None:
        """The budget that cannot take this request now and how long until it can; of several,
        the longest wait, so that the wait the 429 names is the one that really frees it."""
        waits = [
            (bucket.wait_for(1 if name.startswith("R") else tokens, now), name)
            for name, bucket in self.buckets.items()
        ]
        wait, name = max(waits, key=lambda pair: pair[0])
        return (name, wait) if wait > 0 else None

    def charge(self, tokens: int, now: float) -> None:
        for name, bucket in self.buckets.items():
            bucket.take(1 if name.startswith("R") else tokens, now)

    def settle(self, tokens: int, now: float) -> None:
        """Correct the token budgets by the difference between the reply's usage and the charge."""
        self.buckets["TPM"].take(tokens, now)
        self.buckets["TPD"].take(tokens, now)

    def headers(self, now: float) -> dict[str, str]:
        """Groq's six headers: the request pair is the daily budget, the token pair the minute's."""
        rpd, tpm = self.buckets["RPD"], self.buckets["TPM"]
        return {
            "x-ratelimit-limit-requests": str(rpd.capacity),
            "x-ratelimit-limit-tokens": str(tpm.capacity),
            "x-ratelimit-remaining-requests": str(max(0, math.floor(rpd.level(now)))),
            "x-ratelimit-remaining-tokens": str(max(0, math.floor(tpm.level(now)))),
            "x-ratelimit-reset-requests": go_duration(rpd.reset_in(now)),
            "x-ratelimit-reset-tokens": go_duration(tpm.reset_in(now)),
        }


class RateLimiter:
    """Per-model Groq budgets for the stub, with the counters tests and benchmarks read back."""

    def __init__(
        self,
        minute: float = 60.0,
        day: float | None = None,
        limits: dict[str, ModelLimits] | None = None,
        default: ModelLimits = DEFAULT_LIMITS,
        estimate: Callable[[dict], int] = prompt_estimate,
        reserve_max_tokens: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``day`` defaults to 1440 minutes, so a compressed clock compresses days alike."""
        self.minute = minute
        self.day = minute * 1440 if day is None else day
        self.limits = dict(FREE_TIER if limits is None else limits)
        self.default = default
        self.estimate = estimate
        self.reserve_max_tokens = reserve_max_tokens
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self._models: dict[str, _ModelBudgets] = {}
        self._stats: dict[str, ModelStats] = {}

    def attach(self, stub: GroqStub) -> Self:
        """Put this limiter in front of the stub's chat replies."""
        stub.limiter = self
        return self

    def limits_for(self, model: str) -> ModelLimits:
        return self.limits.get(model, self.default)

    def admit(self, request: dict) -> Reply | None:
        """None when the request may be answered (its estimate is charged), else the refusal."""
        model = str(request.get("model", ""))
        tokens = self._requested(request)
        with self._lock:
            now = self._clock()
            budgets = self._budgets(model, now)
            stats = self._stats.setdefault(model, ModelStats())
            if tokens > budgets.buckets["TPM"].capacity:
                stats.timeline.append(Event(now - self._started, 413, "TPM", tokens))
                return _too_large(model, budgets.buckets["TPM"].capacity, tokens, budgets.headers(now))
            refusal = budgets.refusal(tokens, now)
            if refusal is not None:
                name, wait = refusal
                stats.refused += 1
                stats.timeline.append(Event(now - self._started, 429, name, tokens))
                return _refused(model, name, budgets, tokens, wait, now)
            budgets.charge(tokens, now)
            stats.answered += 1
            stats.timeline.append(Event(now - self._started, 200, None, tokens))
        return None

    def reply_headers(self, request: dict, body: object) -> dict[str, str]:
        """Settle a success's charge to the usage it reports; the headers as they are now."""
        model = str(request.get("model", ""))
        usage = body.get("usage") if isinstance(body, dict) else None
        with self._lock:
            now = self._clock()
            budgets = self._budgets(model, now)
            if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
                budgets.settle(usage["total_tokens"] - self._requested(request), now)
            return budgets.headers(now)

    def stats(self, model: str) -> ModelStats:
        """A copy of one model's counters and timeline."""
        with self._lock:
            held = self._stats.get(model, ModelStats())
            return ModelStats(held.answered, held.refused, list(held.timeline))

    @property
    def answered(self) -> int:
        with self._lock:
            return sum(s.answered for s in self._stats.values())

    @property
    def refused(self) -> int:
        with self._lock:
            return sum(s.refused for s in self._stats.values())

    def _requested(self, request: dict) -> int:
        tokens = self.estimate(request)
        max_tokens = request.get("max_completion_tokens") or request.get("max_tokens")
        if self.reserve_max_tokens and isinstance(max_tokens, int):
            tokens += max_tokens
        return tokens

    def _budgets(self, model: str, now: float) -> _ModelBudgets:
        """The model's buckets, made full on first use; callers hold the lock."""
        if model not in self._models:
            self._models[model] = _ModelBudgets(self.limits_for(model), self.minute, self.day, now)
        return self._models[model]


def _refused(model: str, name: str, budgets: _ModelBudgets, tokens: int, wait: float, now: float) -> Reply:
    bucket = budgets.buckets[name]
    requested = 1 if name.startswith("R") else tokens
    used = max(0, math.ceil(bucket.capacity - bucket.level(now)))
    return refusal(model, name, bucket.capacity, used, requested, wait, budgets.headers(now))


def refusal(
    model: str,
    limit: str,
    capacity: int,
    used: int,
    requested: int,
    wait: float,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Groq's 429 for ``limit`` (RPM, RPD, TPM, TPD): the message names the budget, its limit
    and use, and the precise wait; also for scripting one refusal without running buckets.

    Groq's ``retry-after`` is whole seconds; on a compressed clock that would be a minute or
    more, so the stub keeps the fraction (the SDK and adp parse floats).
    """
    label, type_ = _NAMES[limit]
    message = (
        f"Rate limit reached for model `{model}` in organization `{ORGANIZATION}` service tier "
        f"`on_demand` on {label}: Limit {capacity}, Used {used}, Requested {requested}. "
        f"Please try again in {go_duration(wait)}. "
        "Visit https://console.groq.com/docs/rate-limits for more information."
    )
    error = {"message": message, "type": type_, "code": "rate_limit_exceeded"}
    retry_after = {"retry-after": _trim(_ceil(wait * 1000) / 1000)}
    return Reply(status=429, body={"error": error}, headers={**(headers or {}), **retry_after})


def _too_large(model: str, limit: int, tokens: int, headers: dict[str, str]) -> Reply:
    """Groq's 413 for a request that would not fit even in a full TPM budget: never retry it."""
    message = (
        f"Request too large for model `{model}` in organization `{ORGANIZATION}` service tier "
        f"`on_demand` on tokens per minute (TPM): Limit {limit}, Requested {tokens}, please reduce "
        "your message size and try again. "
        "Visit https://console.groq.com/docs/rate-limits for more information."
    )
    error = {"message": message, "type": "tokens", "code": "rate_limit_exceeded"}
    return Reply(status=413, body={"error": error}, headers=headers)


def capacity_exceeded() -> Reply:
    """The flex tier's 498 when it has no capacity; the SDK does not retry it (not 429, not 5xx)."""
    error = {
        "message": "Flex tier capacity exceeded. This is a known issue and we are working on it. "
        "Please try again later.",
        "type": "internal_server_error",
        "code": "capacity_exceeded",
    }
    return Reply(status=498, body={"error": error})
