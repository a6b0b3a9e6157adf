"""The Groq provider: the Groq API through the groq SDK, the guide's random pool, and prices
from the catalog (prompt tokens at the input price, completion tokens at the output price)."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from adp_cli.accounting import catalog
from adp_cli.accounting.catalog import TEXT_GENERATION_MODELS
from adp_cli.errors import ConfigError
from adp_cli.providers.base import Connection
from adp_cli.providers.chat import ChatProvider, Hooks
from adp_cli.providers.client import Server, clean_key

if TYPE_CHECKING:
    import groq

    from adp_cli.prepared import Prepared
    from adp_cli.settings import Settings

log = logging.getLogger("adp")

KEY_VARIABLE = "GROQ_API_KEY"


class GroqProvider(ChatProvider):
    name = "groq"
    label = "groq"
    ledger_server = None
    daily_request_headers = True
    models_hint = "run `adp models --live` to see the models Groq serves"
    server = Server(
        name="Groq", key_hint=f"check {KEY_VARIABLE}", errors="Groq API error", url_hint="--base-url (or GROQ_BASE_URL)"
    )

    def __init__(self, connection: Connection, settings: Settings) -> None:
        super().__init__(connection, settings)
        self._unpriced: set[str] = set()  # models already warned about, once per run

    def make_client(self, hooks: Hooks) -> groq.Groq:
        return groq_client(self.connection, hooks)

    def models(self, prepared: Prepared) -> list[str]:
        return groq_models(prepared)

    def request_fields(self, model: str, prepared: Prepared) -> dict[str, Any]:
        """Also what keeps a reasoning model from paid reasoning (the catalog knows each one's
        switch), unless ``--reasoning`` opts back in."""
        return super().request_fields(model, prepared) | catalog.reasoning_parameters(model, prepared.settings.reasoning)

    def price_of(self, model: str) -> catalog.Price | None:
        price = catalog.price_of(model)
        if price is None and model not in self._unpriced:
            self._unpriced.add(model)
            log.warning("no price known for %s; its cost is reported as 0", model)
        return price


def groq_models(prepared: Prepared) -> list[str]:
    """The models a request may go to on Groq: the named one, else the task's own (bpm), else
    the guide's random pool."""
    if prepared.settings.model:
        return [prepared.settings.model]
    if prepared.task.model:
        return [prepared.task.model]
    return [model.value for model in TEXT_GENERATION_MODELS]


def groq_client(connection: Connection, hooks: Hooks | None = None) -> groq.Groq:
    """A groq SDK client for the Groq API (chat, and the Batch API's files and batches):
    ``GROQ_API_KEY`` must be set; ``GROQ_BASE_URL`` (or ``--base-url``) is honoured."""
    key = clean_key(os.environ.get(KEY_VARIABLE, ""), KEY_VARIABLE)
    if not key:
        raise ConfigError(f"{KEY_VARIABLE} is not set: export it or put it in .env (or try --provider offline / --dry-run)")
    import groq

    return groq.Groq(
        api_key=key,
        base_url=connection.base_url or None,
        timeout=connection.timeout,
        max_retries=connection.max_retries,
        http_client=groq.DefaultHttpxClient(event_hooks=hooks or {}),
    )
