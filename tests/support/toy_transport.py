"""A transport that is not one of adp's, defined here alone, as the README's recipe says a new
provider is: one class implementing ``transports.base.Transport`` (and one registry entry,
which the test adds). It answers every request with the last message upper-cased."""

from __future__ import annotations

from typing import Any

from adp_cli.tasks.prepared import Prepared
from adp_cli.transports.base import Connection, Reply, Served


class UpperTransport:
    name = "upper"
    label = "upper"
    models_hint = "the upper server has one model"
    groq_catalog = False
    ledger_server = "upper.test"
    remote = True
    daily_request_headers = False

    def __init__(self, connection: Connection) -> None:
        self.sent: list[dict[str, Any]] = []

    def open(self) -> None:
        """Nothing to check."""

    def served(self) -> list[Served]:
        return [Served("upper-1", "toys")]

    def send(self, body: dict[str, Any], prepared: Prepared) -> Reply:
        self.sent.append(body)
        text = body["messages"][-1]["content"].upper()
        return Reply(content=text, model=body["model"], prompt_tokens=len(text), completion_tokens=len(text.split()), latency_ms=1)
