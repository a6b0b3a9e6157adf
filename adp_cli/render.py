"""The one output layer: the core returns data, and only this module writes it.

Results go to stdout (a phrase, a number, JSON); tables, progress and messages go to stderr.
Rich is imported only when a table or coloured message is drawn, so ``--json -q`` pipelines
never pay for it. Colour follows the terminal and ``NO_COLOR`` (Rich's own handling).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from adp_cli.errors import ExitStatus, one_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from adp_cli.batch import Line, Pulse, Totals
    from adp_cli.batch_api.events import BatchDryRun, BatchRun, BatchView, Finished, JobEnd, JobStatus, Snapshot
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
    """A result line on stdout, flushed so pipelines see it at once."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def out_json(document: Any) -> None:
    out(json.dumps(document, ensure_ascii=False))


def error(message: str) -> None:
    """The one-line error every failure ends in."""
    from rich.markup import escape

    err_console().print(f"[bold red]adp: error:[/] {escape(one_line(message))}", soft_wrap=True)


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
    from adp_cli.batch_api.events import BatchDryRun, BatchRun
    from adp_cli.generation import DryRun
    from adp_cli.results import Answer

    if isinstance(outcome, BatchRun):
        return batch_api(outcome, view)
    if isinstance(outcome, BatchDryRun):
        return batch_dry_run(outcome, view)
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
    if not shown.estimates:
        console.print("no cost estimate: the model is picked from the server's own list when the run starts")
        return
    columns = ("prompt only (USD)", f"with {prepared.max_tokens} completion tokens (USD)")
    table = _table("Estimated cost per candidate model", "model", *columns, justify_right=columns)
    for estimate in shown.estimates:
        table.add_row(estimate.model, usd(estimate.prompt_cost_usd), usd(estimate.max_cost_usd))
    console.print(table)


def batch(events: Iterator[Line | Pulse | Totals], view: View) -> ExitStatus:
    """Each line on stdout as its item finishes in order, progress meanwhile, then the summary;
    a run a rate limit stopped says which limit, when it resets and how to resume."""
    from adp_cli.batch import Pulse, Totals

    with nullcontext(_Silent()) if view.quiet else _batch_progress() as progress:
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
    if shown.first_error:
        from rich.markup import escape

        console.print(f"[red]{shown.unsendable} item(s) cannot be sent[/] ({escape(shown.first_error)})", soft_wrap=True)
    totals = {key: sum(row[key] for row in rows) for key in ("sync_prompt_usd", "sync_max_usd", "batch_prompt_usd", "batch_max_usd")}
    modes = ("synchronous (USD)", "Batch API (USD)")
    costs = _table("Estimated cost", "", *modes, justify_right=modes)
    costs.add_row("prompts only", usd(totals["sync_prompt_usd"]), usd(totals["batch_prompt_usd"]))
    costs.add_row("with every reply at max_tokens", usd(totals["sync_max_usd"]), usd(totals["batch_max_usd"]))
    console.print(costs)
    counts = ("requests", "prompt tokens", "max reply tokens")
    table = _table("Requests per model", "model", *counts, justify_right=counts)
    for row in rows:
        table.add_row(row["model"], str(row["requests"]), str(row["prompt_tokens"]), str(row["max_completion_tokens"]))
    console.print(table)
    return shown.exit_status


def _view_json(batch: BatchView) -> dict[str, Any]:
    from dataclasses import asdict

    return {**asdict(batch), "done": batch.done}


def _local_time(stamp: int | None) -> str:
    from datetime import datetime

    return "" if stamp is None else datetime.fromtimestamp(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def _listing(title: str, columns: Sequence[str], rows: list[list[str]]) -> None:
    """A listing on stdout: a table on a terminal, tab-separated lines with a header row when piped."""
    if not sys.stdout.isatty():
        for cells in [list(columns), *rows]:
            out("\t".join(cell.replace("\t", " ") for cell in cells))
        return
    from rich.console import Console
    from rich.markup import escape

    table = _table(title, *columns)
    for cells in rows:
        table.add_row(*(escape(cell) for cell in cells))
    Console(highlight=False).print(table)


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
        ["" if batch.part is None else str(batch.part + 1), batch.batch_id, "collected" if batch.collected else batch.status, f"{batch.done}/{batch.items}", str(batch.failed), _local_time(batch.expires_at)]
        for batch in status.batches
    ]
    title = f"Batch job: {status.task} -> {status.output}" if status.output else None
    _listing(title or "Batch", ("part", "batch", "status", "done", "failed", "expires"), rows)
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
    rows = [
        [batch.batch_id, batch.status, f"{batch.done}/{batch.items}", str(batch.failed), batch.task or "", _local_time(batch.created_at)]
        for batch in batches
    ]
    _listing("Groq batches, newest first", ("batch", "status", "done", "failed", "adp task", "created"), rows)
