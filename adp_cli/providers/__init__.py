"""Providers are equals behind one small protocol (``start`` and ``answer``); ``PROVIDERS`` maps
each ``--provider`` value to its implementation, so adding one is adding an entry here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from adp_cli.errors import UsageError
from adp_cli.providers.base import Connection, Provider
from adp_cli.providers.groq import GroqProvider
from adp_cli.providers.offline import OfflineProvider

if TYPE_CHECKING:
    from adp_cli.tasks import Settings

PROVIDERS: dict[str, Callable[[Connection, Settings], Provider]] = {
    GroqProvider.name: GroqProvider,
    OfflineProvider.name: OfflineProvider,
}


def open_provider(name: str, connection: Connection, settings: Settings) -> Provider:
    """The provider for ``--provider NAME``, not yet started."""
    try:
        make = PROVIDERS[name]
    except KeyError:
        raise UsageError(f"unknown provider {name!r}: choose one of {', '.join(PROVIDERS)}") from None
    return make(connection, settings)


__all__ = ["PROVIDERS", "Connection", "Provider", "open_provider"]
