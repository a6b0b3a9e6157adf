"""``adp models``: the catalog with prices and where each model stands at Groq (production,
preview, retired with its date and replacement), optionally checked against a server's live
list. Groq's own prices (its ``/models``, as last read) beat the snapshot's."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from adp_cli.accounting import catalog, prices
from adp_cli.errors import UsageError
from adp_cli.transports import open_transport, served_list
from adp_cli.transports.base import Connection


@dataclass(frozen=True)
class ModelsReport:
    """``adp models``: a row per model; ``live`` when the server's list was asked."""

    rows: list[dict[str, Any]]
    live: bool = False


def models(category: str | None = None, live: Connection | None = None, provider: str | None = None) -> ModelsReport:
    return ModelsReport(model_rows(category, live, provider), live is not None)


def model_rows(category: str | None = None, live: Connection | None = None, provider: str | None = None) -> list[dict[str, Any]]:
    """One row per model: id, enum name, category, owner, price and whether it is in the random pool.

    With a ``live`` connection to Groq, known models are marked live or gone and models the API
    serves that adp does not know are added as new (priced when genai-prices knows them). To an
    OpenAI-compatible server, the rows are what that server serves (its random pool).
    """
    wanted = _category(category)
    if live is not None:
        rows = _live_rows(live, provider)
    else:
        book = served_list.price_book(served_list.remembered(Connection()))
        rows = [_row(model, None, book) for model in prices.known_model_ids()]
    return [row for row in rows if wanted is None or row["category"] == wanted]


def _live_rows(connection: Connection, provider: str | None) -> list[dict[str, Any]]:
    server = open_transport(provider, connection)
    if not server.remote:
        raise UsageError("--live asks a server; the offline provider has none")
    served = served_list.served(server, connection, refresh=True)
    if not server.groq_catalog:
        return [_server_row(model.id, model.owner) for model in served.models]
    book = served_list.price_book(served)
    known = prices.known_model_ids()
    ids = set(served.ids)
    status = {model: "live" if model in ids else "gone" for model in known}
    status |= {model: "new" for model in sorted(ids - set(known))}
    return [_row(model, live, book) for model, live in status.items()]


def _category(name: str | None) -> str | None:
    if name is None:
        return None
    choices = [member.value for member in catalog.Category]
    if name.lower() not in choices:
        raise UsageError(f"--category {name!r}: choose one of {', '.join(choices)}")
    return name.lower()


def _row(model: str, live: str | None, book: prices.PriceBook) -> dict[str, Any]:
    price = book.price(model)
    moved = catalog.lifecycle_of(model)
    row: dict[str, Any] = {
        "id": model,
        "enum": catalog.enum_name_of(model),
        "category": catalog.category_of(model).value,
        "owner": catalog.owner_of(model),
        "price": None if price is None else {**asdict(price), "estimate": price.estimate},
        "random_pool": model in {m.value for m in catalog.TEXT_GENERATION_MODELS},
        "status": moved.status.value,
        "retired": moved.retired_on,
        "replacement": moved.replacement,
    }
    if live is not None:
        row["live"] = live
    return row


def _server_row(model: str, owner: str) -> dict[str, Any]:
    """A model an OpenAI-compatible server serves: free unless ADP_PRICES_FILE prices it, and in
    the random pool, since a random pick there comes from the server's own list."""
    price = prices.override_price(model) or prices.FREE
    return {
        "id": model,
        "enum": "",
        "category": catalog.Category.TEXT.value,
        "owner": owner or "unknown",
        "price": {**asdict(price), "estimate": price.estimate},
        "random_pool": True,
        "status": catalog.Status.PRODUCTION.value,
        "retired": None,
        "replacement": None,
        "live": "live",
    }
