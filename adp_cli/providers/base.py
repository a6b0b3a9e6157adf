"""The protocol every provider implements, and how to reach one.

A provider answers prepared requests. One instance serves every item, and every worker thread,
of a run, so what a run shares (an HTTP client, the rate-limit scheduler, the random pick, the
ledger tab) lives in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from adp_cli.prepared import Prepared
    from adp_cli.ratelimits import Waiting
    from adp_cli.results import Result


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


class Provider(Protocol):
    name: str

    def models(self, prepared: Prepared) -> list[str]:
        """The models this request may go to, known without asking the server: the one named,
        or the pool a random pick comes from (empty when only the server can say)."""

    def start(self) -> None:
        """Check everything the first request needs (a key, the ledger, the server's model list),
        so a run that cannot work fails at once instead of once per item."""

    def answer(self, prepared: Prepared) -> Result:
        """The task's result for one prepared request; failures are AdpErrors."""

    def cancel(self) -> None:
        """Ctrl-C: wake whatever waits (for a rate limit) so the run can end at once."""

    def waiting(self) -> list[Waiting]:
        """What requests wait for right now, for the progress line."""
