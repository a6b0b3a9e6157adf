"""The protocol every transport implements, what a transport returns, and how to reach a server.

A transport sends one request body and returns a ``Reply``, or raises a domain error: it knows
HTTP (or templates) and nothing of pools, budgets, prices or the ledger, which the dispatcher
applies the same way for every transport. What differs between servers in that policy is data
the transport declares (``groq_catalog``, ``ledger_server``, ...), never a hook called back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from adp_cli.tasks.prepared import Prepared


@dataclass(frozen=True)
class Connection:
    """How to reach a provider's server and how hard to push it; the SDK's defaults where unset."""

    base_url: str | None = None
    timeout: float = 60.0
    max_retries: int = 2  # the SDK's retries of 5xx, timeouts and lost connections
    max_wait: float = 600.0  # longer rate-limit waits stop the run (exit 3) instead
    rpm: int | None = None  # the user's hints for their tier, until the server's figures are known
    tpm: int | None = None
    service_tier: str | None = None  # Groq's on_demand, flex or auto
    price: tuple[float, float] | None = None  # USD per 1M input and output tokens, overriding the catalog


@dataclass(frozen=True)
class Reply:
    """One answered request, checked: the text, which model answered, and the usage the server
    reported (``bad_usage`` names a count that could not be trusted; its count here is 0). The
    status and headers are the reply's own, for the scheduler."""

    content: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens served from the server's prompt cache
    reasoning_tokens: int = 0  # completion tokens spent reasoning
    finish_reason: str | None = None
    latency_ms: int = 0
    bad_usage: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    answer: Any = None  # the task's answer itself, when the transport is no model (the templates)


@dataclass(frozen=True)
class Served:
    """A model a server lists now; ``pricing`` in USD per token when the server states it."""

    id: str
    owner: str = ""
    pricing: Mapping[str, float] | None = None
    context_length: int | None = None
    max_output: int | None = None


class Transport(Protocol):
    """One kind of server. A run opens one and sends every item of every worker through it."""

    name: str  # the --provider value
    label: str  # the "provider" field of results
    models_hint: str  # how the user finds the models the server serves
    groq_catalog: bool  # Groq's catalog applies: its random pool, prices, lifecycle, reasoning
    ledger_server: str | None  # None: Groq spending, which the daily budget counts
    remote: bool  # a server: it lists its models and its calls are spending (False: the templates)
    daily_request_headers: bool  # Groq's x-ratelimit-*-requests count the day, OpenAI's the minute

    def open(self) -> None:
        """Check what the first request needs (a key, a URL), so a run that cannot work fails
        once, before any item, instead of once per item."""

    def served(self) -> list[Served]:
        """The models the server lists now."""

    def send(self, body: dict[str, Any], prepared: Prepared) -> Reply:
        """Send ``body`` (the prepared request for one model); failures are AdpErrors."""
