"""The one output layer: the core returns data, and only this module writes it.

Results go to stdout (a phrase, a number, JSON); tables, progress and messages go to stderr.
Rich is imported only when a table or coloured message is drawn, so ``--json -q`` pipelines
never pay for it. Colour follows the terminal and ``NO_COLOR`` (Rich's own handling).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from adp_cli.errors import ExitStatus, UsageError
from adp_cli.text import json_text, one_line, redact, terminal_safe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from adp_cli.batch import Line, Totals
    from adp_cli.commands.cost import CostReport, LedgerReport
    from adp_cli.commands.generate import Outcome
    from adp_cli.generation import DryRun
    from adp_cli.results import Result


@dataclass(frozen=True)
class View:
    """How the user asked to see results."""

    as_json: bool = False
    quiet: bool = False  # no table, progress or summary on stderr


@cache
def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def out(text: str) -> None:
    """A result line on stdout, flushed so pipelines see it at once. On a terminal, control and
    bidi characters a model may answer with are shown escaped; a pipe gets the text as is."""
    stream = sys.stdout
    if stream is None:
        raise UsageError("cannot write results: stdout is closed")
    if stream.isatty():
        text = terminal_safe(text)
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as failure:
        discard_stdout()
        raise UsageError(f"cannot write results to stdout: {failure.strerror or failure}") from None


def discard_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush of what is still
    buffered cannot fail again (a closed pipe, a full disk) after the error was reported."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # no stdout, or one with no descriptor (tests)
        pass


def out_json(document: Any) -> None:
    out(json_text(document))


def error(message: str) -> None:
    """The one-line error every failure ends in: no secret, no raw control character."""
    from rich.markup import escape

    err_console().print(f"[bold red]adp: error:[/] {escape(terminal_safe(one_line(redact(message))))}", soft_wrap=True)


def _table(title: str | None, *columns: str, justify_right: Sequence[str] = ()) -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for position, column in enumerate(columns):
        table.add_column(column, justify="right" if column in justify_right else "left", no_wrap=position == 0)
    return table


def usd(amount: float) -> str:
    return f"${amount:.7f}" if amount else "$0"


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
    verdict = "[red]over the limit[/]" if prepared.over_limit else "[green]within the limit[/]"
    limit_text = f"{prepared.prompt_tokens} / {limit} o200k tokens, {verdict}" if limit else f"{prepared.prompt_tokens} o200k tokens (no limit)"
    console = err_console()
    console.print(f"[bold]{prepared.task.name}[/]: {limit_text}; temperature {prepared.temperature}, max_tokens {prepared.max_tokens}")
    columns = ("prompt only (USD)", f"with {prepared.max_tokens} completion tokens (USD)")
    table = _table("Estimated cost per candidate model", "model", *columns, justify_right=columns)
    for estimate in shown.estimates:
        table.add_row(estimate.model, usd(estimate.prompt_cost_usd), usd(estimate.max_cost_usd))
    console.print(table)


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


def models(rows: list[dict[str, Any]], *, live: bool, view: View) -> None:
    """The catalog: JSON on stdout, or a table on stderr."""
    if view.as_json:
        out_json(rows)
        return
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


def cost(report: CostReport, view: View) -> None:
    """stdout: the cost in USD with ``--model``, else the token count; the price table on stderr."""
    if view.as_json:
        out_json(report.to_json())
        return
    out(f"{report.rows[0]['cost_usd']:.7g}" if report.model else str(report.tokens))
    columns = ("input $/1M", "output $/1M", "cost (USD)")
    title = f"Cost of {report.tokens} input + {report.output_tokens} output tokens"
    table = _table(title, "model", *columns, "source", justify_right=columns)
    for row in report.rows:
        table.add_row(row["model"], f"{row['input_price']:g}", f"{row['output_price']:g}", usd(row["cost_usd"]), row["source"])
    err_console().print(table)


def spending(report: LedgerReport, view: View) -> None:
    """stdout: the total in USD; the table per day and model on stderr."""
    if view.as_json:
        out_json(report.to_json())
        return
    out(f"{report.total_usd:.7g}")
    columns = ("requests", "prompt", "completion", "cost (USD)")
    table = _table("Spending by day and model", "day", "model", *columns, justify_right=columns)
    for row in report.rows:
        table.add_row(row["day"], row["model"], str(row["requests"]), str(row["prompt_tokens"]), str(row["completion_tokens"]), usd(row["cost_usd"]))
    table.add_section()
    table.add_row("total", "", str(sum(r["requests"] for r in report.rows)), "", "", usd(report.total_usd))
    err_console().print(table)


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
    numbers = ("items", "succeeded", "failed", "skipped (done)", "prompt", "completion", "cost (USD)", "items/s")
    table = _table("Batch summary", *numbers, justify_right=numbers)
    table.add_row(
        str(totals.items),
        str(totals.items - totals.failed),
        str(totals.failed),
        str(totals.skipped),
        str(totals.prompt_tokens),
        str(totals.completion_tokens),
        usd(totals.cost_usd),
        f"{totals.items_per_second:.1f}",
    )
    err_console().print(table)
