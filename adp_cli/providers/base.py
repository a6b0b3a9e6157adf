"""The protocol every provider implements, and how to reach one.

A provider answers prepared requests. One instance serves every item, and every worker thread,
of a run, so what a run shares (an HTTP client, the random pick, the ledger tab) lives in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from adp_cli.prepared import Prepared
    from adp_cli.results import Result


@dataclass(frozen=True)
class Connection:
    """How to reach a provider's server; the SDK's own defaults where unset."""

    base_url: str | None = None
    timeout: float = 60.0
    max_retries: int = 2


class Provider(Protocol):
    name: str

    def start(self) -> None:
        """Check everything the first request needs (a key, the ledger), so a run that cannot
        work fails at once instead of once per item."""

    def answer(self, prepared: Prepared) -> Result:
        """The task's result for one prepared request; failures are AdpErrors."""
