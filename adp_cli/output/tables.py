"""The house table and the listing conventions: a listing is the answer, so it goes to stdout,
a table on a terminal and tab-separated lines with a header row when piped, so grep, cut and
sort work on it. Tables have no box and fit 80 columns: numbers and money are never wrapped or
cut, text folds instead."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adp_cli.output.console import out, out_console
from adp_cli.text import terminal_safe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from adp_cli.output.view import View


def table(
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


def decimal(amount: float, decimals: int) -> str:
    """Fixed-point with trailing zeros dropped, but at least cents (0.075, 0.20, 1.00)."""
    whole, _, fraction = f"{amount:.{decimals}f}".partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def per_unit(amount: float) -> str:
    """A price per unit exactly as the catalog has it."""
    return decimal(amount, 6)


def usd(amount: float | None) -> str:
    """Dollars readable at a glance and never rounded away: cents from $1 up, three significant
    figures below (one call costs millionths of a dollar); ``?`` when no price is known."""
    if amount is None:
        return "?"
    if amount == 0:
        return "$0"
    if abs(amount) >= 1:
        return f"${amount:,.2f}"
    return "$" + decimal(amount, 2 - math.floor(math.log10(abs(amount))))


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

        return self.show(row) if self.show is not None else escape(terminal_safe(plain(row.get(self.field))))


def plain(value: Any) -> str:
    """A value as the piped form writes it: JSON's spelling for numbers and booleans, empty for
    none, and never a tab or newline inside a field."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return " ".join(str(value).split())


def listing(
    title: str, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], view: View, total: Mapping[str, str] | None = None
) -> None:
    """A listing on stdout: a table on a terminal; piped, every field as tab-separated lines under
    a header row (the same columns whatever the width, so scripts can rely on them)."""
    console = out_console()
    if not console.is_terminal:
        out("\t".join(column.field for column in columns))
        for row in rows:
            out("\t".join(plain(row.get(column.field)) for column in columns))
        return
    shown = [column for column in columns if column.table and (view.wide or not column.wide)]
    drawn = table(
        title,
        [column.heading for column in shown],
        [[column.text(row) for column in shown] for row in rows],
        numeric=[column.heading for column in shown if column.numeric],
        total=None if total is None else [total.get(column.field, "") for column in shown],
    )
    if view.wide:
        console = as_wide_as(drawn, console)
    console.print(drawn)


def as_wide_as(table: Table, console: Console) -> Console:
    """``--wide`` asks for every column whole: a table wider than the terminal is printed at its
    own width (the terminal wraps the lines) rather than folded into slivers."""
    from rich.console import Console
    from rich.measure import Measurement

    width = Measurement.get(console, console.options.update_width(10_000), table).maximum
    return console if width <= console.width else Console(highlight=False, width=width)


def unit_mark(unit: str) -> str:
    """How a price cell says it is not per 1M tokens (``0.111/h``)."""
    return {"audio hour": "/h", "1M characters": "/1Mc"}.get(unit, f"/{unit}")


def price_cell(row: Mapping[str, Any], field: str, tokens: str) -> str:
    """A price per 1M tokens as a bare number; a price per another unit carries its mark."""
    if row[field] is None:
        return "?"
    return per_unit(row[field]) + ("" if row["unit"] == tokens else unit_mark(row["unit"]))


