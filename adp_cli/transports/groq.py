"""The Groq API through the groq SDK: chat completions, the model list, and the client the Batch
API's files and batches share. ``GROQ_API_KEY`` is the key; ``GROQ_BASE_URL`` (or
``--base-url``) is honoured, as the SDK does."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from adp_cli.errors import ConfigError
from adp_cli.transports.base import Connection, Reply, Served
from adp_cli.transports.sdk import Server, chat, clean_key, list_models, make_client
from adp_cli.transports.servers import GROQ_KEY_VARIABLE, redact_url, takes_groq_key

if TYPE_CHECKING:
    import groq

    from adp_cli.tasks.prepared import Prepared

KEY_VARIABLE = GROQ_KEY_VARIABLE
SERVER = Server(
    name="Groq",
    key_hint=f"check {KEY_VARIABLE}",
    errors="Groq API error",
    url_hint="--base-url (or GROQ_BASE_URL)",
    limit_hint="raise it at https://console.groq.com/settings/billing/limits (Settings, Billing, Limits; limits reset on the 1st of the month)",
)


class GroqTransport:
    name = "groq"
    label = "groq"
    models_hint = "run `adp models --live` to see the models Groq serves"
    groq_catalog = True
    ledger_server: str | None = None
    remote = True
    daily_request_headers = True

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._client: groq.Groq | None = None

    def open(self) -> None:
        self._client = self._client or groq_client(self.connection)

    def served(self) -> list[Served]:
        self.open()
        assert self._client is not None
        return list_models(self._client, SERVER)

    def send(self, body: dict[str, Any], prepared: Prepared) -> Reply:
        if self._client is None:
            raise RuntimeError("open() the transport before send()")
        return chat(self._client, SERVER, body)


def groq_key() -> str:
    """The key every Groq request carries; a missing one is a configuration error."""
    key = clean_key(os.environ.get(KEY_VARIABLE, ""), KEY_VARIABLE)
    if not key:
        raise ConfigError(f"{KEY_VARIABLE} is not set: export it or put it in .env (or try --provider offline / --dry-run)")
    return key


def groq_base_url(connection: Connection) -> str | None:
    """The one key rule, for every command that sends ``GROQ_API_KEY`` (chat and the model list
    with ``--provider groq``, ``--batch-api``, ``adp batch ...``): Groq's key goes to Groq only.
    The URL it would go to (``--base-url``/``ADP_BASE_URL``, else ``GROQ_BASE_URL``, which the
    SDK reads itself) must be one that ``transport_name`` takes for Groq; an OpenAI-compatible
    server's ``.../v1`` root is refused before any request (exit 2)."""
    url = connection.base_url or os.environ.get("GROQ_BASE_URL", "").strip()
    if url and not takes_groq_key(url):
        raise ConfigError(
            f"{redact_url(url.strip())} is an OpenAI-compatible server (a URL ending in /v1 that is not Groq's): "
            f"{KEY_VARIABLE} goes only to Groq, so Groq's commands (--provider groq, --batch-api, adp batch) "
            "do not run there; for that server use --provider openai"
        )
    return connection.base_url or None


def groq_client(connection: Connection) -> groq.Groq:
    """A groq SDK client for the Groq API (chat, and the Batch API's files and batches), at the
    URL the key rule allows (``groq_base_url``)."""
    return make_client(connection, groq_key(), base_url=groq_base_url(connection))
