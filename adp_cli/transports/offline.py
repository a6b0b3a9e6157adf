"""The offline transport: the template engine answers, with no network, no key and no cost.

Each task names its template (``Task.template``), so this module needs nothing of the engine
itself and importing the transport registry stays light. The template's value is the task's
answer already (a phrase, a tempo): it needs none of the clean-up a model's reply gets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adp_cli.transports.base import Connection, Reply, Served

if TYPE_CHECKING:
    from adp_cli.tasks.prepared import Prepared

OFFLINE_MODEL = "offline-template"


class OfflineTransport:
    name = "offline"
    label = "offline"
    models_hint = "the offline provider has one model"
    groq_catalog = False
    ledger_server: str | None = None
    remote = False
    daily_request_headers = False

    def __init__(self, connection: Connection) -> None:
        """Nothing to connect to; the signature matches every transport's."""

    def open(self) -> None:
        """Nothing can be missing."""

    def served(self) -> list[Served]:
        return [Served(OFFLINE_MODEL, "adp")]

    def send(self, body: dict[str, Any], prepared: Prepared) -> Reply:
        answer = prepared.task.template(prepared.item, prepared.settings)
        return Reply(content="", model=OFFLINE_MODEL, answer=answer)
