"""Transports are equals behind one small protocol (``base.Transport``: ``open``, ``served``,
``send``). ``TRANSPORTS`` maps each ``--provider`` value to its implementation, by name, so the
registry costs nothing to import and adding a transport is one module plus one entry here."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from adp_cli.errors import UsageError
from adp_cli.transports.servers import takes_groq_key

if TYPE_CHECKING:
    from adp_cli.transports.base import Connection, Transport

TRANSPORTS: dict[str, str] = {
    "groq": "adp_cli.transports.groq:GroqTransport",
    "openai": "adp_cli.transports.compatible:CompatibleTransport",
    "offline": "adp_cli.transports.offline:OfflineTransport",
}


def transport_name(name: str | None, connection: Connection) -> str:
    """The provider asked for; when none was, a ``--base-url`` in the ``.../v1`` form every local
    server documents means an OpenAI-compatible server, anything else Groq: the URLs that the
    one key rule (``servers.takes_groq_key``) keeps Groq's key from."""
    if name is not None:
        return name.lower()
    if connection.base_url and not takes_groq_key(connection.base_url):
        return "openai"
    return "groq"


def open_transport(name: str | None, connection: Connection) -> Transport:
    """The transport for ``--provider NAME`` (or the one the base URL implies), not yet opened."""
    chosen = transport_name(name, connection)
    target = TRANSPORTS.get(chosen)
    if target is None:
        raise UsageError(f"unknown provider {chosen!r}: choose one of {', '.join(TRANSPORTS)}")
    module, _, attribute = target.partition(":")
    made: Transport = getattr(import_module(module), attribute)(connection)
    return made
