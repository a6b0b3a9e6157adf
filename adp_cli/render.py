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
import logging
import math
import os
import sys
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from adp_cli.errors import ExitStatus, UsageError
from adp_cli.text import json_text, one_line, redact, terminal_safe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from adp_cli.batch import Line, Pulse, Totals
    from adp_cli.batch_api.events import BatchDryRun, BatchRun, BatchView, Finished, JobEnd, JobStatus, Snapshot
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


class _SafeFormatter(logging.Formatter):
    """Log lines, tracebacks included, pass the same redaction and escaping as error lines: an
    exception text may hold the key, and a logged reply may hold escape sequences."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_safe(redact(super().format(record)))


def configure_logging(verbose: bool) -> logging.Logger:
    """Logging to stderr only, for the 'adp' logger only (the SDK's own logs stay quiet); level
    from ``--verbose`` or ``LOG_LEVEL``."""
    log = logging.getLogger("adp")
    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("LOG_LEVEL", "WARNING").upper(), logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("adp: %(levelname)s: %(message)s"))
    log.handlers = [handler]
    log.propagate = False
    log.setLevel(level)
    return log


def error(message: str) -> None:
    """The one-line error every failure ends in: no secret, no raw control character."""
    from rich.markup import escape

    err_console().print(f"[bold red]adp: error:[/] {escape(terminal_safe(one_line(redact(message))))}", soft_wrap=True)


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

    if isinstance(outcome, Answer):
        result(outcome, view)
        return ExitStatus.SUCCESS
    if isinstance(outcome, DryRun):
        dry_run(outcome, view)
        return outcome.exit_status
    from adp_cli.batch_api.events import BatchDryRun, BatchRun  # only batch runs pay for the engine

    if isinstance(outcome, BatchRun):
        return batch_api(outcome, view)
    if isinstance(outcome, BatchDryRun):
        return batch_dry_run(outcome, view)
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
    if not shown.estimates:
        console.print("no cost estimate: the model is picked from the server's own list when the run starts")
        return
    columns = ("prompt only", f"+ {prepared.max_tokens} completion")
    rows = [[escape(e.model), usd(e.prompt_cost_usd), usd(e.max_cost_usd)] for e in shown.estimates]
    console.print(_table("Estimated cost per candidate model", ["model", *columns], rows, numeric=columns))


def batch(events: Generator[Line | Pulse | Totals, None, None], view: View) -> ExitStatus:
    """Each line on stdout as its item finishes in order, progress meanwhile, then the summary;
    a run a rate limit stopped says which limit, when it resets and how to resume."""
    from adp_cli.batch import Pulse, Totals

    # Closed on the way out: a Ctrl-C that lands here rather than inside the stream must still
    # cancel its queued items at once, not when the collector gets to the stream.
    with closing(events), (nullcontext(_Silent()) if view.quiet else _batch_progress()) as progress:
        for event in events:
            if isinstance(event, Totals):
                totals = event
                break
            if isinstance(event, Pulse):
                progress.pulse(event)
                continue
            out_json(event.fields)
            progress.line(event)
    if not view.quiet:
        _batch_summary(totals)
    if totals.stop is not None:
        error(str(totals.stop))
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


def _stdout_is_terminal() -> bool:
    """Whether a live progress display may take stdout over: only when stdout is a terminal too
    (then result lines print above the bar); else Rich would send them to stderr with the bar,
    and ``adp ... > results.jsonl`` in a terminal would leave the file empty."""
    return sys.stdout.isatty()


class _Silent:
    """Progress for ``--quiet``: nothing."""

    def line(self, line: Line) -> None:
        pass

    def pulse(self, pulse: Pulse) -> None:
        pass


class _Progress:
    """Rich's progress display, fed with lines and pulses: items done, failures, the pace, and
    what the run waits for when a rate limit holds it."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress
        self._task = progress.add_task("items", total=None, failed=0, waiting="")
        self._failures = 0

    def line(self, line: Line) -> None:
        self._failures += line.failed
        self._progress.update(self._task, advance=1, failed=self._failures)

    def pulse(self, pulse: Pulse) -> None:
        soonest = pulse.waiting[0] if pulse.waiting else None
        text = f"waiting {soonest.seconds:.0f} s for {soonest.model} {soonest.limit}" if soonest else ""
        self._progress.update(self._task, waiting=text)


@contextmanager
def _batch_progress() -> Iterator[_Progress]:
    from rich.progress import MofNCompleteColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class Pace(ProgressColumn):
        """Items per minute: the unit rate limits are counted in."""

        def render(self, task: Any) -> Text:
            return Text(f"{task.speed * 60:.0f}/min" if task.speed else "")

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        Pace(),
        TimeElapsedColumn(),
        TextColumn("[yellow]{task.fields[waiting]}"),
    )
    with Progress(*columns, console=err_console(), transient=True, redirect_stdout=_stdout_is_terminal()) as progress:
        yield _Progress(progress)


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


# Groq's Batch API: a job's lines on stdout; what it submitted, where it stands and how each
# batch ended on stderr; ``adp batch status`` and ``list`` as listings on stdout.

_STATUS_TEXT = {
    "validating": "Groq is validating the request file",
    "in_progress": "running",
    "finalizing": "finalizing: Groq is writing the results",
    "cancelling": "cancelling: requests already running finish first",
}


def _batch_name(batch: BatchView) -> str:
    return f"batch {batch.batch_id}" + ("" if batch.part is None else f" (part {batch.part + 1})")


def _standing(batch: BatchView) -> str:
    """Where a batch stands, in a few words."""
    if batch.terminal:
        return f"{batch.status}; collected once the batches before it are"
    text = _STATUS_TEXT.get(batch.status, batch.status)
    if batch.status == "in_progress":
        text += f": {batch.done} of {batch.items} done ({batch.failed} failed)"
    return text


def _finished_text(ended: Finished) -> str:
    """The one line each terminal state gets."""
    batch, status = ended.batch, ended.batch.status
    tally = f"{ended.succeeded} succeeded, {ended.failed} failed"
    rerun = "rerun the same command to send them again"
    if status == "completed":
        return f"{_batch_name(batch)} completed: {tally}" + (f", {ended.not_run} not run ({rerun})" if ended.not_run else "")
    if status == "failed":
        why = ended.errors[0] if ended.errors else "Groq gave no reason"
        more = f" (and {len(ended.errors) - 1} more)" if len(ended.errors) > 1 else ""
        return f"{_batch_name(batch)} failed validation: {why}{more}; its {ended.not_run} items are error lines"
    if status == "expired":
        return (
            f"{_batch_name(batch)} expired at the end of its {ended.window} window: {tally}, {ended.not_run} not run; "
            f"{rerun} (a longer --window helps)"
        )
    if status == "cancelled":
        return f"{_batch_name(batch)} cancelled: {tally}, {ended.not_run} not run; {rerun}"
    return f"{_batch_name(batch)} ended {status}: {tally}, {ended.not_run} not run"


class _JobDisplay:
    """stderr for a Batch API run: one-line messages, and a progress bar from Groq's
    ``request_counts`` while the run waits (Rich prints the messages above it)."""

    def __init__(self, view: View) -> None:
        self._quiet = view.quiet
        self._progress: Any = None
        self._task: Any = None

    def say(self, text: str) -> None:
        if not self._quiet:
            from rich.markup import escape

            err_console().print(escape(text), soft_wrap=True, highlight=False)

    def snapshot(self, shown: Snapshot) -> None:
        if self._quiet:
            return
        if not shown.waiting:
            for batch in shown.batches:
                if not batch.collected:
                    self.say(f"{_batch_name(batch)}: {_standing(batch)}")
            return
        if self._progress is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            self._progress = Progress(*columns, console=err_console(), transient=True, redirect_stdout=_stdout_is_terminal())
            self._progress.start()
            self._task = self._progress.add_task("batch requests")
        from collections import Counter

        statuses = Counter("collected" if batch.collected else batch.status for batch in shown.batches)
        described = ", ".join(f"{count} {status}" for status, count in statuses.items())
        self._progress.update(
            self._task,
            total=sum(batch.items for batch in shown.batches),
            completed=sum(batch.done for batch in shown.batches),
            description=f"batches: {described}",
        )

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def batch_api(run: BatchRun, view: View) -> ExitStatus:
    """Result lines on stdout as they are collected; on stderr a line per batch submitted and per
    batch that ends, the standing (or a progress bar while waiting), then the summary."""
    from adp_cli.batch import Line
    from adp_cli.batch_api.events import Finished, JobEnd, Snapshot, Submitted

    display = _JobDisplay(view)
    end: JobEnd | None = None
    try:
        for event in run:
            if isinstance(event, Line):
                out_json(event.fields)
            elif isinstance(event, Submitted):
                display.say(
                    f"submitted batch {event.batch_id} (part {event.part + 1}): {event.items} requests, "
                    f"{event.bytes} bytes, window {event.window}"
                )
            elif isinstance(event, Snapshot):
                display.snapshot(event)
            elif isinstance(event, Finished):
                display.say(_finished_text(event))
            elif isinstance(event, JobEnd):
                end = event
    finally:
        run.events.close()  # as in ``batch``: a Ctrl-C that lands here stops the run now
        display.close()
    assert end is not None, "a Batch API run ends with JobEnd"
    _job_end(end, display, view)
    return end.exit_status


def _job_end(end: JobEnd, display: _JobDisplay, view: View) -> None:
    if end.unsubmitted:
        display.say("the submission was interrupted: rerun the same command to submit the remaining items")
    if end.outstanding:
        where = f"`adp batch wait {end.output}`" if end.output else "`adp batch wait`"
        display.say(
            f"{end.outstanding} batch(es) still at Groq: rerun the same command (or {where}) to collect "
            f"the results, --wait to wait for them; the job is in {end.state_file}"
        )
    elif end.totals.items == 0 and end.output is not None:
        display.say(f"nothing to send: every item already has a result in {end.output}")
    if not view.quiet and end.totals.items:
        _batch_summary(end.totals)


def batch_dry_run(shown: BatchDryRun, view: View) -> ExitStatus:
    """One JSON object with ``--json``; else the estimate table on stderr (nothing was sent)."""
    rows = []
    for entry in shown.estimate.models.values():
        costs = {
            f"{mode}_{part}_usd": entry.cost(batch=mode == "batch", replies=part == "max")
            for mode in ("sync", "batch")
            for part in ("prompt", "max")
        }
        rows.append({"model": entry.model, "requests": entry.items, "prompt_tokens": entry.prompt_tokens, "max_completion_tokens": entry.max_completion_tokens, **costs})
    if view.as_json:
        out_json(
            {
                "task": shown.task,
                "requests": shown.requests,
                "batches": shown.batches,
                "bytes": shown.bytes,
                "unsendable": shown.unsendable,
                "first_error": shown.first_error,
                "models": rows,
            }
        )
    if view.quiet or view.as_json:
        return shown.exit_status
    console = err_console()
    console.print(
        f"[bold]{shown.task}[/]: {shown.requests} requests in {shown.batches} batch file(s), {shown.bytes} bytes; nothing was sent",
        soft_wrap=True,
    )
    from rich.markup import escape

    if shown.first_error:
        console.print(f"[red]{shown.unsendable} item(s) cannot be sent[/] ({escape(shown.first_error)})", soft_wrap=True)
    totals = {key: sum(row[key] for row in rows) for key in ("sync_prompt_usd", "sync_max_usd", "batch_prompt_usd", "batch_max_usd")}
    modes = ("synchronous", "Batch API")
    estimates = [
        ["prompts only", usd(totals["sync_prompt_usd"]), usd(totals["batch_prompt_usd"])],
        ["with every reply at max_tokens", usd(totals["sync_max_usd"]), usd(totals["batch_max_usd"])],
    ]
    console.print(_table("Estimated cost", ["", *modes], estimates, numeric=modes))
    counts = ("requests", "prompt tokens", "max reply tokens")
    per_model = [[escape(row["model"]), str(row["requests"]), str(row["prompt_tokens"]), str(row["max_completion_tokens"])] for row in rows]
    console.print(_table("Requests per model", ["model", *counts], per_model, numeric=counts))
    return shown.exit_status


def _view_json(batch: BatchView) -> dict[str, Any]:
    from dataclasses import asdict

    return {**asdict(batch), "done": batch.done}


def _local_time(stamp: int | None) -> str:
    from datetime import datetime

    return "" if stamp is None else datetime.fromtimestamp(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def batch_status(status: JobStatus, view: View) -> None:
    """A job's batches (or one batch): JSON, or a listing on stdout."""
    if view.as_json:
        out_json(
            {
                "task": status.task,
                "output": None if status.output is None else str(status.output),
                "state_file": None if status.state_file is None else str(status.state_file),
                "unsubmitted": status.unsubmitted,
                "batches": [_view_json(batch) for batch in status.batches],
            }
        )
        return
    rows = [
        {
            "part": None if batch.part is None else batch.part + 1,
            **_batch_row(batch),
            "status": "collected" if batch.collected else batch.status,
            "expires": _local_time(batch.expires_at),
        }
        for batch in status.batches
    ]
    columns = [Column("part", "part", numeric=True), *_BATCH_COLUMNS, Column("expires", "expires")]
    title = f"Batch job: {status.task} -> {status.output}" if status.output else "Batch"
    _listing(title, columns, rows, view)
    if status.unsubmitted:
        err_console().print("the submission was interrupted: rerun the generation command to submit the remaining items", soft_wrap=True, highlight=False)


def batch_cancelled(batches: tuple[BatchView, ...], view: View) -> None:
    """What was asked to stop: JSON on stdout, or a line per batch on stderr."""
    if view.as_json:
        out_json([_view_json(batch) for batch in batches])
        return
    console = err_console()
    if not batches:
        console.print("nothing to cancel: every batch of the job has ended", highlight=False)
    for batch in batches:
        console.print(f"{_batch_name(batch)}: {batch.status}, {batch.done} of {batch.items} had run", highlight=False, soft_wrap=True)


def batch_list(batches: list[BatchView], view: View) -> None:
    """The account's batches: JSON, or a listing on stdout."""
    if view.as_json:
        out_json([_view_json(batch) for batch in batches])
        return
    rows = [{**_batch_row(batch), "task": batch.task or "", "created": _local_time(batch.created_at)} for batch in batches]
    columns = [*_BATCH_COLUMNS, Column("task", "adp task"), Column("created", "created")]
    _listing("Groq batches, newest first", columns, rows, view)


# What every batch listing shows of a batch (done reads "3/5" in the table; piped, the two
# counts are fields of their own).
_BATCH_COLUMNS = (
    Column("batch", "batch"),
    Column("status", "status"),
    Column("done", "done", lambda row: f"{row['done']}/{row['items']}", numeric=True),
    Column("items", "items", table=False),
    Column("failed", "failed", numeric=True),
)


def _batch_row(batch: BatchView) -> dict[str, Any]:
    return {"batch": batch.batch_id, "status": batch.status, "done": batch.done, "items": batch.items, "failed": batch.failed}
