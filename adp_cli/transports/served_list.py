"""What a server lists now, remembered: Groq's ``/models`` is read at most once a day and kept
in the user cache folder with the time it was read (``--live`` reads it again), so a run's random
pick only ever goes to a model Groq serves, and its prices are Groq's own, without a request per
run. Other servers are asked once per run (a local server's models change as its user loads
them), and a dry run never asks: it uses what is remembered, if anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from adp_cli.accounting.prices import Price, PriceBook, live_price
from adp_cli.cache import cache_dir, write_best_effort
from adp_cli.transports.base import Connection, Served, Transport
from adp_cli.transports.servers import redact_url

log = logging.getLogger("adp")

MAX_AGE_S = 86_400.0
_DEFAULT_ROOT = "https://api.groq.com"


@dataclass(frozen=True)
class ServedList:
    """A server's models and when they were read (Unix seconds)."""

    models: list[Served]
    read_at: float

    @property
    def age_s(self) -> float:
        return max(0.0, time.time() - self.read_at)

    @property
    def ids(self) -> list[str]:
        return [model.id for model in self.models]

    def get(self, model: str) -> Served | None:
        return next((entry for entry in self.models if entry.id == model), None)

    def prices(self) -> dict[str, Price]:
        """What the server says its models cost (Groq's ``pricing``), for a ``PriceBook``."""
        return {model.id: price for model in self.models if (price := live_price(model.pricing)) is not None}


def price_book(served: ServedList | None) -> PriceBook:
    """Prices as a run resolves them: Groq's own list, when it is known, beats the snapshot."""
    book = PriceBook()
    if served is not None:
        book.adopt(served.prices())
    return book


def served(transport: Transport, connection: Connection, *, refresh: bool = False) -> ServedList:
    """The server's list: Groq's from the cache while it is under a day old (unless
    ``refresh``), else asked now (and, for Groq, remembered)."""
    if transport.groq_catalog and not refresh and (known := remembered(connection)) is not None and known.age_s < MAX_AGE_S:
        return known
    fresh = ServedList(transport.served(), time.time())
    if transport.groq_catalog:
        payload = {"url": _root(connection), "read_at": fresh.read_at, "models": [asdict(model) for model in fresh.models]}
        write_best_effort(_cache_file(connection), json.dumps(payload).encode("utf-8"))
    return fresh


def remembered(connection: Connection) -> ServedList | None:
    """Groq's list as last read, whatever its age, without asking; None when never read (or the
    cache file is damaged: it is derived data, read again next time)."""
    try:
        payload = json.loads(_cache_file(connection).read_text(encoding="utf-8"))
        return ServedList([_entry(raw) for raw in payload["models"]], float(payload["read_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _entry(raw: dict[str, Any]) -> Served:
    pricing = raw.get("pricing")
    return Served(
        id=str(raw["id"]),
        owner=str(raw.get("owner") or ""),
        pricing={str(key): float(value) for key, value in pricing.items()} if isinstance(pricing, dict) else None,
        context_length=raw.get("context_length") if type(raw.get("context_length")) is int else None,
        max_output=raw.get("max_output") if type(raw.get("max_output")) is int else None,
    )


def _root(connection: Connection) -> str:
    """The API root the client goes to: ``--base-url``, else ``GROQ_BASE_URL`` (as the SDK reads
    it), else Groq's."""
    return redact_url((connection.base_url or os.environ.get("GROQ_BASE_URL") or _DEFAULT_ROOT).strip().rstrip("/"))


def _cache_file(connection: Connection) -> Path:
    """One file per API root: a test server, a proxy and api.groq.com each keep their own list."""
    name = hashlib.sha256(_root(connection).encode("utf-8")).hexdigest()[:16]
    return cache_dir() / f"groq-models-{name}.json"
