"""``adp models``: the catalog with prices, optionally checked against the API's live list."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from adp_cli.accounting import catalog
from adp_cli.errors import UsageError
from adp_cli.providers.base import Connection
from adp_cli.providers.client import list_live_models, make_client


def model_rows(category: str | None = None, live: Connection | None = None) -> list[dict[str, Any]]:
    """One row per model: id, enum name, category, owner, price and whether it is in the random pool.

    With a ``live`` connection, known models are marked live or gone and models the API serves that
    adp does not know are added as new (priced when genai-prices knows them).
    """
    wanted = _category(category)
    known = catalog.known_model_ids()
    status: dict[str, str] = {}
    if live is not None:
        served = set(list_live_models(make_client(live)))
        status = {model: "live" if model in served else "gone" for model in known}
        status |= {model: "new" for model in sorted(served - set(known))}
    rows = [_row(model, status.get(model)) for model in (known + [m for m in status if m not in known])]
    return [row for row in rows if wanted is None or row["category"] == wanted]


def _category(name: str | None) -> str | None:
    if name is None:
        return None
    choices = [member.value for member in catalog.Category]
    if name.lower() not in choices:
        raise UsageError(f"--category {name!r}: choose one of {', '.join(choices)}")
    return name.lower()


def _row(model: str, live: str | None) -> dict[str, Any]:
    price = catalog.price_of(model)
    row: dict[str, Any] = {
        "id": model,
        "enum": catalog.enum_name_of(model),
        "category": catalog.category_of(model).value,
        "owner": catalog.owner_of(model),
        "price": None if price is None else {**asdict(price), "estimate": price.estimate},
        "random_pool": model in {m.value for m in catalog.TEXT_GENERATION_MODELS},
    }
    if live is not None:
        row["live"] = live
    return row
