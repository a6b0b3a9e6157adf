"""The listings: ``adp models``, ``adp cost``, ``adp cost --ledger`` (and its chart)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adp_cli.output.console import out_console
from adp_cli.output.tables import Column, per_unit, price_cell, unit_mark, usd

if TYPE_CHECKING:
    from adp_cli.commands.cost import Chart, CostReport, LedgerReport
    from adp_cli.commands.models import ModelsReport
    from adp_cli.output.view import View


_LIVE_STYLE = {"live": "[green]live[/]", "gone": "[red]gone[/]", "new": "[cyan]new[/]"}
_STATUS_STYLE = {"retired": "[red]retired[/]", "preview": "[yellow]preview[/]"}


def models(report: ModelsReport, view: View) -> None:
    """The catalog on stdout: JSON, a table, or tab-separated lines."""
    from adp_cli.accounting.prices import TOKENS

    rows, live = report.rows, report.live
    flat = [{**{key: value for key, value in row.items() if key != "price"}, **_flat_price(row["price"])} for row in rows]
    columns = [
        Column("id", "id"),
        Column("category", "category"),
        Column("input", "$ in", lambda row: price_cell(row, "input", TOKENS), numeric=True),
        Column("output", "$ out", lambda row: price_cell(row, "output", TOKENS), numeric=True),
        Column("cached_input", "$ cached", lambda row: price_cell(row, "cached_input", TOKENS), numeric=True, wide=True),
        Column("unit", "per", wide=True),
        Column("random_pool", "pool", lambda row: "yes" if row["random_pool"] else ""),
        Column("status", "status", lambda row: _STATUS_STYLE.get(row["status"], row["status"])),
        *([Column("live", "live", lambda row: _LIVE_STYLE[row["live"]])] if live else []),
        Column("retired", "retired", wide=True),
        Column("replacement", "replacement", wide=True),
        Column("enum", "enum", wide=True),
        Column("owner", "owner", wide=True),
        Column("source", "source", wide=True),
    ]
    other_units = sorted({row["unit"] for row in flat if row["unit"] not in (None, TOKENS)})
    title = f"Groq models, USD per {TOKENS}" + "".join(f"; {unit_mark(unit)}: per {unit}" for unit in other_units)
    view.format.listing(title, columns, flat, rows, view)


def _flat_price(price: Mapping[str, Any] | None) -> dict[str, Any]:
    fields = ("input", "output", "cached_input", "unit", "source")
    flat = {field: None if price is None else price[field] for field in fields}
    if price is not None and flat["cached_input"] is None:
        flat["cached_input"] = price["input"]  # no discount stated: a cached token costs as much
    return flat


def cost(report: CostReport, view: View) -> None:
    """What the tokens cost on each model, cheapest first, on stdout."""
    rows = [{**row, "tokens": report.tokens, "output_tokens": report.output_tokens} for row in report.rows]
    columns = [
        Column("model", "model"),
        Column("tokens", "tokens", table=False),
        Column("output_tokens", "output tokens", table=False),
        Column("input_price", "$/1M in", lambda row: "?" if row["input_price"] is None else per_unit(row["input_price"]), numeric=True),
        Column("output_price", "$/1M out", lambda row: "?" if row["output_price"] is None else per_unit(row["output_price"]), numeric=True),
        Column("unit", "per", wide=True),
        Column("cost_usd", "cost", lambda row: usd(row["cost_usd"]), numeric=True),
        Column("source", "source", wide=True),
    ]
    title = f"Cost of {report.tokens} input + {report.output_tokens} output tokens"
    view.format.listing(title, columns, rows, report.to_json(), view)


def spending(report: LedgerReport, view: View) -> None:
    """The ledger per day and model on stdout, with the total on a terminal."""
    columns = [
        Column("day", "day"),
        Column("model", "model"),
        Column("requests", "calls", numeric=True),
        Column("prompt_tokens", "prompt", numeric=True, wide=True),
        Column("completion_tokens", "completion", numeric=True, wide=True),
        Column("cost_usd", "cost", lambda row: usd(row["cost_usd"]), numeric=True),
    ]
    total = {
        "day": "total",
        "requests": str(sum(row["requests"] for row in report.rows)),
        "prompt_tokens": str(sum(row["prompt_tokens"] for row in report.rows)),
        "completion_tokens": str(sum(row["completion_tokens"] for row in report.rows)),
        "cost_usd": usd(report.total_usd),
    }
    view.format.listing("Spending by day and model", columns, report.rows, report.to_json(), view, total)


def spending_chart(report: Chart, view: View) -> None:
    """Spending per day as bars on stdout: a week is easier to look at than to read (so it is
    printed even when piped)."""
    from rich.bar import Bar
    from rich.table import Table

    days = report.days
    top = max((day.cost_usd for day in days), default=0.0) or 1.0
    total = float(f"{sum(day.cost_usd for day in days):.7g}")
    title = f"Spending per day, last {len(days)} days: {usd(total)}"
    table = Table(title=title, title_justify="left", box=None, padding=(0, 1), pad_edge=False, expand=True, show_header=False)
    table.add_column("day", no_wrap=True)
    table.add_column("bar", ratio=1)
    table.add_column("cost", justify="right", no_wrap=True)
    table.add_column("calls", justify="right", no_wrap=True)
    for day in days:
        calls = f"{day.requests} call{'' if day.requests == 1 else 's'}"
        table.add_row(f"{day.day:%a %Y-%m-%d}", Bar(top, 0, day.cost_usd, color="cyan"), usd(day.cost_usd), calls)
    out_console().print(table)


