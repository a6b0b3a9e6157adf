"""Everything adp shows: results on stdout, tables and messages on stderr.

Rich is imported only when a table or coloured message is drawn, so ``--json -q`` pipelines
never pay for it. Colour follows the terminal and ``NO_COLOR`` (Rich's own handling).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from adp_cli.generation import Prepared, Result


@cache
def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def out(text: str) -> None:
    """A result line on stdout, flushed so pipelines see it at once."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def out_json(document: Any) -> None:
    out(json.dumps(document, ensure_ascii=False))


def error(message: str) -> None:
    """The one-line error every failure ends in."""
    from rich.markup import escape

    from adp_cli.errors import one_line

    err_console().print(f"[bold red]adp: error:[/] {escape(one_line(message))}", soft_wrap=True)


def _table(title: str | None, *columns: str, justify_right: Sequence[str] = ()) -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for position, column in enumerate(columns):
        table.add_column(column, justify="right" if column in justify_right else "left", no_wrap=position == 0)
    return table


def usd(amount: float) -> str:
    return f"${amount:.7f}" if amount else "$0"


def result(outcome: Result, *, as_json: bool, quiet: bool) -> None:
    """The phrase or BPM alone (or one JSON object) on stdout; the usage table on stderr."""
    if as_json:
        out_json(outcome.to_json())
    else:
        out(str(outcome.to_json()["phrase" if hasattr(outcome, "phrase") else "bpm"]))
    if quiet:
        return
    numbers = ("prompt", "completion", "total", "cost (USD)", "latency")
    table = _table(None, "model", *numbers, justify_right=numbers)
    table.add_row(
        outcome.model,
        str(outcome.prompt_tokens),
        str(outcome.completion_tokens),
        str(outcome.tokens_used),
        usd(outcome.cost_usd),
        f"{outcome.latency_ms} ms",
    )
    err_console().print(table)


def dry_run(prepared: Prepared, estimates: list[tuple[str, float, float]], *, as_json: bool, quiet: bool) -> None:
    """The exact messages on stdout; token count against the limit and costs per model on stderr."""
    limit = prepared.task.limit
    if as_json:
        out_json(
            {
                "messages": prepared.messages,
                "prompt_tokens": prepared.prompt_tokens,
                "limit": limit,
                "within_limit": not prepared.over_limit,
                "temperature": prepared.temperature,
                "max_tokens": prepared.max_tokens,
                "candidates": [
                    {"model": model, "prompt_cost_usd": low, "max_cost_usd": high} for model, low, high in estimates
                ],
            }
        )
    else:
        for message in prepared.messages:
            out(f"--- {message['role']} ---\n{message['content']}")
    if quiet:
        return
    verdict = "[red]over the limit[/]" if prepared.over_limit else "[green]within the limit[/]"
    limit_text = f"{prepared.prompt_tokens} / {limit} o200k tokens, {verdict}" if limit else f"{prepared.prompt_tokens} o200k tokens (no limit)"
    console = err_console()
    console.print(f"[bold]{prepared.task.name}[/]: {limit_text}; temperature {prepared.temperature}, max_tokens {prepared.max_tokens}")
    columns = ("prompt only (USD)", f"with {prepared.max_tokens} completion tokens (USD)")
    table = _table("Estimated cost per candidate model", "model", *columns, justify_right=columns)
    for model, low, high in estimates:
        table.add_row(model, usd(low), usd(high))
    console.print(table)


def models_table(rows: Iterable[dict[str, Any]], *, live: bool) -> None:
    prices = ("input $", "output $")
    columns = ["id", "enum", "category", "owner", *prices, "per", "source", "random pool"]
    if live:
        columns.append("live")
    table = _table("Groq models", *columns, justify_right=prices)
    for row in rows:
        price = row["price"]
        cells = [
            row["id"],
            row["enum"] or "[dim]-[/]",
            row["category"],
            row["owner"],
            *(("?", "?", "", "unknown") if price is None else (f"{price['input']:g}", f"{price['output']:g}", price["unit"], price["source"])),
            "yes" if row["random_pool"] else "",
        ]
        if live:
            status = row["live"]
            cells.append({"live": "[green]live[/]", "gone": "[red]gone[/]", "new": "[cyan]new[/]"}.get(status, status))
        table.add_row(*cells)
    err_console().print(table)


def cost_table(tokens: int, output_tokens: int, rows: list[dict[str, Any]]) -> None:
    columns = ("input $/1M", "output $/1M", "cost (USD)")
    table = _table(f"Cost of {tokens} input + {output_tokens} output tokens", "model", *columns, "source", justify_right=columns)
    for row in rows:
        table.add_row(row["model"], f"{row['input_price']:g}", f"{row['output_price']:g}", usd(row["cost_usd"]), row["source"])
    err_console().print(table)


def ledger_table(rows: list[dict[str, Any]], total: float) -> None:
    columns = ("requests", "prompt", "completion", "cost (USD)")
    table = _table("Spending by day and model", "day", "model", *columns, justify_right=columns)
    for row in rows:
        table.add_row(row["day"], row["model"], str(row["requests"]), str(row["prompt_tokens"]), str(row["completion_tokens"]), usd(row["cost_usd"]))
    table.add_section()
    table.add_row("total", "", str(sum(r["requests"] for r in rows)), "", "", usd(total))
    err_console().print(table)


def batch_progress() -> Any:
    """A progress display on stderr; entering it gives a callback to call once per finished line."""
    from contextlib import contextmanager

    from rich.progress import (
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    @contextmanager
    def running() -> Any:
        columns = (SpinnerColumn(), TextColumn("{task.description}"), MofNCompleteColumn(), TextColumn("[red]{task.fields[failed]} failed"), TimeElapsedColumn())
        with Progress(*columns, console=err_console(), transient=True) as progress:
            task = progress.add_task("items", total=None, failed=0)
            failures = [0]

            def advance(line: dict[str, Any]) -> None:
                failures[0] += "error" in line
                progress.update(task, advance=1, failed=failures[0])

            yield advance

    return running()


def batch_summary(totals: Any, seconds: float) -> None:
    numbers = ("items", "succeeded", "failed", "skipped (done)", "prompt", "completion", "cost (USD)", "items/s")
    table = _table("Batch summary", *numbers, justify_right=numbers)
    rate = totals.items / seconds if seconds > 0 else 0.0
    table.add_row(
        str(totals.items),
        str(totals.items - totals.failed),
        str(totals.failed),
        str(totals.skipped),
        str(totals.prompt_tokens),
        str(totals.completion_tokens),
        usd(totals.cost_usd),
        f"{rate:.1f}",
    )
    err_console().print(table)
