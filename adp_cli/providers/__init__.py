"""Providers are equals behind one small protocol (``models``, ``start``, ``answer``,
``cancel``, ``waiting``); ``PROVIDERS`` maps each ``--provider`` value to its implementation,
so adding one is adding an entry here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from adp_cli.errors import UsageError
from adp_cli.providers.base import Connection, Provider
from adp_cli.providers.compatible import CompatibleProvider
from adp_cli.providers.groq import GroqProvider
from adp_cli.providers.offline import OfflineProvider
from adp_cli.providers.openai_server import looks_like_openai_root

if TYPE_CHECKING:
    from adp_cli.settings import Settings

PROVIDERS: dict[str, Callable[[Connection, Settings], Provider]] = {
    GroqProvider.name: GroqProvider,
    CompatibleProvider.name: CompatibleProvider,
    OfflineProvider.name: OfflineProvider,
}


def provider_name(name: str | None, connection: Connection) -> str:
    """The provider asked for; when none was, a ``--base-url`` in the ``.../v1`` form every local
    server documents means an OpenAI-compatible server, anything else Groq."""
    if name is not None:
        return name
    if connection.base_url and looks_like_openai_root(connection.base_url):
        return CompatibleProvider.name
    return GroqProvider.name


def open_provider(name: str | None, connection: Connection, settings: Settings) -> Provider:
    """The provider for ``--provider NAME`` (or the one the base URL implies), not yet started."""
    chosen = provider_name(name, connection)
    try:
        make = PROVIDERS[chosen]
    except KeyError:
        raise UsageError(f"unknown provider {chosen!r}: choose one of {', '.join(PROVIDERS)}") from None
    return make(connection, settings)


__all__ = ["PROVIDERS", "Connection", "Provider", "open_provider", "provider_name"]
