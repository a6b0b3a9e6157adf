"""The reports of batches: a synchronous batch's summary, a Batch API job's end, its dry run,
and ``adp batch status|cancel|list``. A run that a rate limit stopped says which limit, when it
resets and how to resume."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adp_cli.output.console import err_console, error
from adp_cli.output.live import batch_name
from adp_cli.output.tables import Column, table, usd
from adp_cli.text import terminal_safe

if TYPE_CHECKING:
    from adp_cli.commands.jobs import BatchList, Cancelled
    from adp_cli.output.view import View
    from adp_cli.runs.batch_api.events import BatchDryRun, BatchView, JobEnd, JobStatus
    from adp_cli.runs.lines import Totals


def say(text: str, view: View, *, quiet: bool | None = None) -> None:
    """One line for people on stderr, safe for a terminal whatever Groq's text holds."""
    if view.quiet if quiet is None else quiet:
        return
    from rich.markup import escape

    err_console().print(escape(terminal_safe(text)), soft_wrap=True, highlight=False)


def summary(totals: Totals, view: View) -> None:
    """The closing table of a batch; and the one line that says why a rate limit ended it."""
    if not view.quiet:
        _summary_table(totals)
    if totals.stop is not None:
        error(str(totals.stop))


def _summary_table(totals: Totals) -> None:
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
    title = "Batch summary (skipped: already done in the output file)"
    if totals.unpriced:
        title += f"; cost of {totals.unpriced} item(s) unknown, not counted"
    if totals.asked_again:
        title += f"; {totals.asked_again} item(s) asked again (--regenerate)"
    err_console().print(table(title, numbers, [row], numeric=numbers))


def job_end(end: JobEnd, view: View) -> None:
    if end.unsubmitted:
        say("the submission was interrupted: rerun the same command to submit the remaining items", view)
    if end.outstanding:
        where = f"`adp batch wait {end.output}`" if end.output else "`adp batch wait`"
        say(
            f"{end.outstanding} batch(es) still at Groq: rerun the same command (or {where}) to collect "
            f"the results, --wait to wait for them; the job is in {end.state_file}",
            view,
        )
    elif end.totals.items == 0 and end.output is not None:
        say(f"nothing to send: every item already has a result in {end.output}", view)
    if not view.quiet and end.totals.items:
        _summary_table(end.totals)


def batch_dry_run(shown: BatchDryRun, view: View) -> None:
    """One JSON object with ``--json``; else the estimate table on stderr (nothing was sent)."""
    rows = []
    for entry in shown.estimate.models.values():
        costs = {
            f"{mode}_{part}_usd": entry.cost(shown.estimate.prices, batch=mode == "batch", replies=part == "max")
            for mode in ("sync", "batch")
            for part in ("prompt", "max")
        }
        counts = {"requests": entry.items, "prompt_tokens": entry.prompt_tokens, "max_completion_tokens": entry.max_completion_tokens}
        rows.append({"model": entry.model, **counts, **costs})
    document = {
        "task": shown.task,
        "requests": shown.requests,
        "batches": shown.batches,
        "bytes": shown.bytes,
        "unsendable": shown.unsendable,
        "first_error": shown.first_error,
        "models": rows,
    }
    view.format.report(document, lambda: None if view.quiet else _estimate_tables(shown, rows))


def _estimate_tables(shown: BatchDryRun, rows: list[dict[str, Any]]) -> None:
    """For people, on stderr (nothing was sent, so stdout has nothing to say)."""
    console = err_console()
    console.print(
        f"[bold]{shown.task}[/]: {shown.requests} requests in {shown.batches} batch file(s), {shown.bytes} bytes; nothing was sent",
        soft_wrap=True,
    )
    from rich.markup import escape

    if shown.first_error:
        console.print(f"[red]{shown.unsendable} item(s) cannot be sent[/] ({escape(terminal_safe(shown.first_error))})", soft_wrap=True)
    keys = ("sync_prompt_usd", "sync_max_usd", "batch_prompt_usd", "batch_max_usd")
    totals = {key: sum(row[key] for row in rows if row[key] is not None) for key in keys}
    modes = ("synchronous", "Batch API")
    estimates = [
        ["prompts only", usd(totals["sync_prompt_usd"]), usd(totals["batch_prompt_usd"])],
        ["with every reply at max_tokens", usd(totals["sync_max_usd"]), usd(totals["batch_max_usd"])],
    ]
    console.print(table("Estimated cost", ["", *modes], estimates, numeric=modes))
    counts = ("requests", "prompt tokens", "max reply tokens")
    per_model = [[escape(row["model"]), str(row["requests"]), str(row["prompt_tokens"]), str(row["max_completion_tokens"])] for row in rows]
    console.print(table("Requests per model", ["model", *counts], per_model, numeric=counts))


def _view_json(batch: BatchView) -> dict[str, Any]:
    from dataclasses import asdict

    return {**asdict(batch), "done": batch.done}


def _local_time(stamp: int | None) -> str:
    from datetime import datetime

    return "" if stamp is None else datetime.fromtimestamp(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def batch_status(status: JobStatus, view: View) -> None:
    """A job's batches (or one batch): JSON, or a listing on stdout."""
    document = {
        "task": status.task,
        "output": None if status.output is None else str(status.output),
        "state_file": None if status.state_file is None else str(status.state_file),
        "unsubmitted": status.unsubmitted,
        "batches": [_view_json(batch) for batch in status.batches],
    }
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
    from rich.markup import escape

    title = escape(terminal_safe(f"Batch job: {status.task} -> {status.output}")) if status.output else "Batch"
    view.format.listing(title, columns, rows, document, view)
    if status.unsubmitted:
        say("the submission was interrupted: rerun the generation command to submit the remaining items", view)


def cancelled(report: Cancelled, view: View) -> None:
    """What was asked to stop: JSON on stdout, or a line per batch on stderr."""

    def lines() -> None:
        if not report.batches:
            say("nothing to cancel: every batch of the job has ended", view, quiet=False)
        for batch in report.batches:
            say(f"{batch_name(batch)}: {batch.status}, {batch.done} of {batch.items} had run", view, quiet=False)

    view.format.report([_view_json(batch) for batch in report.batches], lines)


def batch_list(report: BatchList, view: View) -> None:
    """The account's batches: JSON, or a listing on stdout."""
    batches = report.batches
    rows = [{**_batch_row(batch), "task": batch.task or "", "created": _local_time(batch.created_at)} for batch in batches]
    columns = [*_BATCH_COLUMNS, Column("task", "adp task"), Column("created", "created")]
    view.format.listing("Groq batches, newest first", columns, rows, [_view_json(batch) for batch in batches], view)


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
