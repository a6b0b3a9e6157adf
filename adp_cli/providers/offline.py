"""The offline provider: the template engine answers, with no network, no key and no cost.

Each task names its template (``Task.template``), so this module needs nothing of the engine
itself and importing the provider registry stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adp_cli.providers.base import Connection
from adp_cli.results import Usage

if TYPE_CHECKING:
    from adp_cli.prepared import Prepared
    from adp_cli.ratelimits import Waiting
    from adp_cli.results import Result
    from adp_cli.settings import Settings

OFFLINE_MODEL = "offline-template"
# The templates consume no tokens, so the usage of every offline answer is all zeros.
_NO_USAGE = Usage(tokens_used=0, cost_usd=0.0, provider="offline", model=OFFLINE_MODEL, prompt_tokens=0, completion_tokens=0, latency_ms=0)


class OfflineProvider:
    name = "offline"

    def __init__(self, connection: Connection, settings: Settings) -> None:
        """Nothing to connect to; the signature matches every provider's."""

    def models(self, prepared: Prepared) -> list[str]:
        return [OFFLINE_MODEL]

    def start(self) -> None:
        """Nothing can be missing."""

    def answer(self, prepared: Prepared) -> Result:
        task = prepared.task
        return task.answered(task.template(prepared.item, prepared.settings), _NO_USAGE)  # type: ignore[return-value]

    def cancel(self) -> None:
        """Nothing waits."""

    def waiting(self) -> list[Waiting]:
        return []
