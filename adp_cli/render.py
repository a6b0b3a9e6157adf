"""The one output layer: the core returns data, and only this module writes it.

Answers go to stdout: a phrase, a number, JSON, or a listing (models, costs, spending), which is
a table on a terminal and tab-separated lines with a header row when piped, so grep, cut and
sort work on it. A generation's usage table, progress and messages go to stderr. Tables have
no box and fit 80 columns: numbers and money are never wrapped or cut, text folds instead.
Rich is imported only when a table or coloured message is drawn, so ``--json -q`` pipelines
never pay for it. Colour and terminal detection are Rich's own (``NO_COLOR``,
``TTY_COMPATIBLE``).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from adp_cli.errors import ExitStatus, one_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from adp_cli.batch import Line, Totals
    from adp_cli.commands.cost import CostReport, Day, LedgerReport
    from adp_cli.commands.generate import Outcome
    from adp_cli.generation import DryRun
    from adp_cli.results import Result


@dataclass(frozen=True)
class View:
    """How the user asked to see results."""

    as_json: bool = False
    quiet: bool = False  # no table, progress or summary on stderr
    wide: bool = False  # every column of a listing, however wide


@cache
def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@cache
def out_console() -> Console:
    """stdout as Rich sees it (no file given: it writes to whatever ``sys.stdout`` is now)."""
    from rich.console import Console

    return Console(highlight=False)


def out(text: str) -> None:
    """A result line on stdout, flushed so pipelines see it at once."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def out_json(document: Any) -> None:
    out(json.dumps(document, ensure_ascii=False))


def error(message: str) -> None:
    """The one-line error every failure ends in."""
    from rich.markup import escape

    err_console().print(f"[bold red]adp: error:[/] {escape(one_line(message))}", soft_wrap=True)


def _table(
    title: str | None,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[str] = (),
    total: Sequence[str] | None = None,
) -> Table:
    """The house table: no box, two spaces between columns. A numeric column is right-aligned,
    never wrapped, and never narrower than its widest cell, so when the width is short Rich folds
    the text columns (an id on two lines beats an id cut short) and money is never cut."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", header_style="bold", box=None, padding=(0, 1), pad_edge=False)
    cells = [*rows, *([total] if total is not None else [])]
    for index, heading in enumerate(headings):
        if heading in numeric:
            widest = max([len(heading), *(Text.from_markup(row[index]).cell_len for row in cells)])
            table.add_column(heading, justify="right", no_wrap=True, min_width=widest)
        else:
            table.add_column(heading, overflow="fold")
    for row in rows:
        table.add_row(*row)
    if total is not None:
        table.add_section()
        table.add_row(*total, style="bold")
    return table


def _decimal(amount: float, decimals: int) -> str:
    """Fixed-point with trailing zeros dropped, but at least cents (0.075, 0.20, 1.00)."""
    whole, _, fraction = f"{amount:.{decimals}f}".partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def _per_unit(amount: float) -> str:
    """A price per unit exactly as the catalog has it."""
    return _decimal(amount, 6)


def usd(amount: float) -> str:
    """Dollars readable at a glance and never rounded away: cents from $1 up, three significant
    figures below (one call costs millionths of a dollar)."""
    if amount == 0:
        return "$0"
    if abs(amount) >= 1:
        return f"${amount:,.2f}"
    return "$" + _decimal(amount, 2 - math.floor(math.log10(abs(amount))))


@dataclass(frozen=True)
class Column:
    """One column of a listing: its field (the piped form's heading) and its table heading."""

    field: str
    heading: str
    show: Callable[[Mapping[str, Any]], str] | None = None  # table text; default: the plain value
    numeric: bool = False  # right-aligned, never wrapped or cut
    wide: bool = False  # in the table only with --wide (or -v)
    table: bool = True  # False: only in the piped form (the same in every row of the table)

    def text(self, row: Mapping[str, Any]) -> str:
        """The cell as Rich markup: data is escaped, a ``show`` function may style."""
        from rich.markup import escape

        return self.show(row) if self.show is not None else escape(_plain(row.get(self.field)))


def _plain(value: Any) -> str:
    """A value as the piped form writes it: JSON's spelling for numbers and booleans, empty for
    none, and never a tab or newline inside a field."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return " ".join(str(value).split())


def _listing(
    title: str, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], view: View, total: Mapping[str, str] | None = None
) -> None:
    """A listing on stdout: a table on a terminal; piped, every field as tab-separated lines under
    a header row (the same columns whatever the width, so scripts can rely on them)."""
    console = out_console()
    if not console.is_terminal:
        out("\t".join(column.field for column in columns))
        for row in rows:
            out("\t".join(_plain(row.get(column.field)) for column in columns))
        return
    shown = [column for column in columns if column.table and (view.wide or not column.wide)]
    table = _table(
        title,
        [column.heading for column in shown],
        [[column.text(row) for column in shown] for row in rows],
        numeric=[column.heading for column in shown if column.numeric],
        total=None if total is None else [total.get(column.field, "") for column in shown],
    )
    if view.wide:
        console = _as_wide_as(table, console)
    console.print(table)


def _as_wide_as(table: Table, console: Console) -> Console:
    """``--wide`` asks for every column whole: a table wider than the terminal is printed at its
    own width (the terminal wraps the lines) rather than folded into slivers."""
    from rich.console import Console
    from rich.measure import Measurement

    width = Measurement.get(console, console.options.update_width(10_000), table).maximum
    return console if width <= console.width else Console(highlight=False, width=width)


def generation(outcome: Outcome, view: View) -> ExitStatus:
    """Show what a generation command returned, and say what the process exits with."""
    from adp_cli.generation import DryRun
    from adp_cli.results import Answer

    if isinstance(outcome, DryRun):
        dry_run(outcome, view)
        return outcome.exit_status
    if isinstance(outcome, Answer):
        result(outcome, view)
        return ExitStatus.SUCCESS
    return batch(outcome, view)


def result(outcome: Result, view: View) -> None:
    """The phrase or BPM alone (or one JSON object) on stdout; the usage table on stderr."""
    if view.as_json:
        out_json(outcome.to_json())
    else:
        out(str(outcome.answer))
    if view.quiet:
        return
    from rich.markup import escape

    numbers = ("prompt", "completion", "total", "cost", "latency")
    row = [
        escape(outcome.model),
        str(outcome.prompt_tokens),
        str(outcome.completion_tokens),
        str(outcome.tokens_used),
        usd(outcome.cost_usd),
        f"{outcome.latency_ms} ms",
    ]
    table = _table(None, ["model", *numbers], [row], numeric=numbers)
    err_console().print(table)


def dry_run(shown: DryRun, view: View) -> None:
    """The exact messages on stdout; token count against the limit and costs per model on stderr."""
    prepared = shown.prepared
    limit = prepared.task.limit
    if view.as_json:
        out_json(
            {
                "messages": prepared.messages,
                "prompt_tokens": prepared.prompt_tokens,
                "limit": limit,
                "within_limit": not prepared.over_limit,
                "temperature": prepared.temperature,
                "max_tokens": prepared.max_tokens,
                "candidates": [
                    {"model": e.model, "prompt_cost_usd": e.prompt_cost_usd, "max_cost_usd": e.max_cost_usd}
                    for e in shown.estimates
                ],
            }
        )
    else:
        for message in prepared.messages:
            out(f"--- {message['role']} ---\n{message['content']}")
    if view.quiet:
        return
    from rich.markup import escape

    verdict = "[red]over the limit[/]" if prepared.over_limit else "[green]within the limit[/]"
    limit_text = f"{prepared.prompt_tokens} / {limit} o200k tokens, {verdict}" if limit else f"{prepared.prompt_tokens} o200k tokens (no limit)"
    console = err_console()
    console.print(f"[bold]{prepared.task.name}[/]: {limit_text}; temperature {prepared.temperature}, max_tokens {prepared.max_tokens}")
    columns = ("prompt only", f"+ {prepared.max_tokens} completion")
    rows = [[escape(e.model), usd(e.prompt_cost_usd), usd(e.max_cost_usd)] for e in shown.estimates]
    console.print(_table("Estimated cost per candidate model", ["model", *columns], rows, numeric=columns))


def batch(events: Iterator[Line | Totals], view: View) -> ExitStatus:
    """Each line on stdout as its item finishes in order, progress meanwhile, then the summary."""
    from adp_cli.batch import Totals

    with nullcontext(lambda line: None) if view.quiet else _batch_progress() as advance:
        for event in events:
            if isinstance(event, Totals):
                totals = event
                break
            out_json(event.fields)
            advance(event)
    if not view.quiet:
        _batch_summary(totals)
    return totals.exit_status


def _unit_mark(unit: str) -> str:
    """How a price cell says it is not per 1M tokens (``0.111/h``)."""
    return {"audio hour": "/h", "1M characters": "/1Mc"}.get(unit, f"/{unit}")


def _price_cell(row: Mapping[str, Any], field: str, tokens: str) -> str:
    """A price per 1M tokens as a bare number; a price per another unit carries its mark."""
    if row[field] is None:
        return "?"
    return _per_unit(row[field]) + ("" if row["unit"] == tokens else _unit_mark(row["unit"]))


_LIVE_STYLE = {"live": "[green]live[/]", "gone": "[red]gone[/]", "new": "[cyan]new[/]"}


def models(rows: list[dict[str, Any]], *, live: bool, view: View) -> None:
    """The catalog on stdout: JSON, a table, or tab-separated lines."""
    if view.as_json:
        out_json(rows)
        return
    from adp_cli.accounting.catalog import TOKENS

    flat = [{**{key: value for key, value in row.items() if key != "price"}, **_flat_price(row["price"])} for row in rows]
    columns = [
        Column("id", "id"),
        Column("category", "category"),
        Column("input", "$ in", lambda row: _price_cell(row, "input", TOKENS), numeric=True),
        Column("output", "$ out", lambda row: _price_cell(row, "output", TOKENS), numeric=True),
        Column("unit", "per", wide=True),
        Column("random_pool", "pool", lambda row: "yes" if row["random_pool"] else ""),
        *([Column("live", "live", lambda row: _LIVE_STYLE[row["live"]])] if live else []),
        Column("enum", "enum", wide=True),
        Column("owner", "owner", wide=True),
        Column("source", "source", wide=True),
    ]
    other_units = sorted({row["unit"] for row in flat if row["unit"] not in (None, TOKENS)})
    title = f"Groq models, USD per {TOKENS}" + "".join(f"; {_unit_mark(unit)}: per {unit}" for unit in other_units)
    _listing(title, columns, flat, view)


def _flat_price(price: Mapping[str, Any] | None) -> dict[str, Any]:
    fields = ("input", "output", "unit", "source")
    return {field: None if price is None else price[field] for field in fields}


def cost(report: CostReport, view: View) -> None:
    """What the tokens cost on each model, cheapest first, on stdout."""
    if view.as_json:
        out_json(report.to_json())
        return
    rows = [{**row, "tokens": report.tokens, "output_tokens": report.output_tokens} for row in report.rows]
    columns = [
        Column("model", "model"),
        Column("tokens", "tokens", table=False),
        Column("output_tokens", "output tokens", table=False),
        Column("input_price", "$/1M in", lambda row: _per_unit(row["input_price"]), numeric=True),
        Column("output_price", "$/1M out", lambda row: _per_unit(row["output_price"]), numeric=True),
        Column("unit", "per", wide=True),
        Column("cost_usd", "cost", lambda row: usd(row["cost_usd"]), numeric=True),
        Column("source", "source", wide=True),
    ]
    title = f"Cost of {report.tokens} input + {report.output_tokens} output tokens"
    _listing(title, columns, rows, view)


def spending(report: LedgerReport, view: View) -> None:
    """The ledger per day and model on stdout, with the total on a terminal."""
    if view.as_json:
        out_json(report.to_json())
        return
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
    _listing("Spending by day and model", columns, report.rows, view, total)


def spending_chart(days: Sequence[Day]) -> None:
    """Spending per day as bars on stdout: a week is easier to look at than to read."""
    from rich.bar import Bar
    from rich.table import Table

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


@contextmanager
def _batch_progress() -> Iterator[Any]:
    """A progress display on stderr; it gives a callback to call once per finished line."""
    from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), MofNCompleteColumn(), TextColumn("[red]{task.fields[failed]} failed"), TimeElapsedColumn())
    with Progress(*columns, console=err_console(), transient=True) as progress:
        task = progress.add_task("items", total=None, failed=0)
        failures = 0

        def advance(line: Line) -> None:
            nonlocal failures
            failures += line.failed
            progress.update(task, advance=1, failed=failures)

        yield advance


def _batch_summary(totals: Totals) -> None:
    numbers = ("items", "succeeded", "failed", "skipped", "prompt", "completion", "cost", "items/s")
    row = [
        str(totals.items),
        str(totals.items - totals.failed),
        str(totals.failed),
        str(totals.skipped),
        str(totals.prompt_tokens),
        str(totals.completion_tokens),
        usd(totals.cost_usd),
        f"{totals.items_per_second:.1f}",
    ]
    err_console().print(_table("Batch summary (skipped: already done in the output file)", numbers, [row], numeric=numbers))
