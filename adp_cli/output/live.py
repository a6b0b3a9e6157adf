"""The sink a run hands its lines and events to while it runs: each line on stdout as it comes
(in input order), and on stderr a progress display: items, failures, the pace and what the run
waits for (a synchronous batch), or the batches' standing (a Batch API job). Nothing with
``--quiet`` but the lines. The display starts with the first event, so a one-shot never
starts it, and it is gone before the report is presented.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from adp_cli.output.console import err_console, stdout_is_terminal
from adp_cli.text import terminal_safe

if TYPE_CHECKING:
    from adp_cli.dispatch.scheduler import Waiting
    from adp_cli.output.view import View
    from adp_cli.runs.batch_api.events import BatchView, Finished, JobEvent, Snapshot
    from adp_cli.runs.lines import Line

_STATUS_TEXT = {
    "validating": "Groq is validating the request file",
    "in_progress": "running",
    "finalizing": "finalizing: Groq is writing the results",
    "cancelling": "cancelling: requests already running finish first",
}


def batch_name(batch: BatchView) -> str:
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
        return f"{batch_name(batch)} completed: {tally}" + (f", {ended.not_run} not run ({rerun})" if ended.not_run else "")
    if status == "failed":
        why = ended.errors[0] if ended.errors else "Groq gave no reason"
        more = f" (and {len(ended.errors) - 1} more)" if len(ended.errors) > 1 else ""
        return f"{batch_name(batch)} failed validation: {why}{more}; its {ended.not_run} items are error lines"
    if status == "expired":
        return (
            f"{batch_name(batch)} expired at the end of its {ended.window} window: {tally}, {ended.not_run} not run; "
            f"{rerun} (a longer --window helps)"
        )
    if status == "cancelled":
        return f"{batch_name(batch)} cancelled: {tally}, {ended.not_run} not run; {rerun}"
    return f"{batch_name(batch)} ended {status}: {tally}, {ended.not_run} not run"




class Live:
    """A run's sink for people (``runs.lines.LineSink`` and ``JobSink``)."""

    def __init__(self, view: View, *, job: bool) -> None:
        self._view = view
        self._job = job  # a Batch API job shows its batches, not items
        self._items: Any = None
        self._items_task: Any = None
        self._failures = 0
        self._batches: Any = None
        self._batches_task: Any = None

    def line(self, line: Line) -> None:
        self._view.format.record(line)
        if self._view.quiet or self._job:
            return
        self._failures += line.failed
        progress = self._item_progress()
        progress.update(self._items_task, advance=1, failed=self._failures)

    def waiting(self, waiting: list[Waiting]) -> None:
        if self._view.quiet:
            return
        soonest = waiting[0] if waiting else None
        text = f"waiting {soonest.seconds:.0f} s for {soonest.model} {soonest.limit}" if soonest else ""
        self._item_progress().update(self._items_task, waiting=text)

    def job(self, event: JobEvent) -> None:
        from adp_cli.runs.batch_api.events import Finished, Snapshot, Submitted

        if isinstance(event, Submitted):
            self.say(
                f"submitted batch {event.batch_id} (part {event.part + 1}): {event.items} requests, "
                f"{event.bytes} bytes, window {event.window}"
            )
        elif isinstance(event, Snapshot):
            self._snapshot(event)
        elif isinstance(event, Finished):
            self.say(_finished_text(event))

    def say(self, text: str) -> None:
        """A line for people: Groq's text in it (ids, statuses, validation errors) is shown escaped."""
        if not self._view.quiet:
            from rich.markup import escape

            err_console().print(escape(terminal_safe(text)), soft_wrap=True, highlight=False)

    def close(self) -> None:
        for progress in (self._items, self._batches):
            if progress is not None:
                progress.stop()

    def _item_progress(self) -> Any:
        if self._items is None:
            self._items = _items_display()
            self._items.start()
            self._items_task = self._items.add_task("items", total=None, failed=0, waiting="")
        return self._items

    def _snapshot(self, shown: Snapshot) -> None:
        """Where each batch stands, a line each, or a progress bar from Groq's ``request_counts``
        while the run waits (Rich prints the messages above it)."""
        if self._view.quiet:
            return
        if not shown.waiting:
            for batch in shown.batches:
                if not batch.collected:
                    self.say(f"{batch_name(batch)}: {_standing(batch)}")
            return
        from rich.markup import escape

        if self._batches is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            self._batches = Progress(*columns, console=err_console(), transient=True, redirect_stdout=stdout_is_terminal())
            self._batches.start()
            self._batches_task = self._batches.add_task("batch requests")
        statuses = Counter("collected" if batch.collected else batch.status for batch in shown.batches)
        described = escape(terminal_safe(", ".join(f"{count} {status}" for status, count in statuses.items())))
        self._batches.update(
            self._batches_task,
            total=sum(batch.items for batch in shown.batches),
            completed=sum(batch.done for batch in shown.batches),
            description=f"batches: {described}",
        )


@contextmanager
def live(view: View, *, job: bool = False) -> Iterator[Live]:
    sink = Live(view, job=job)
    try:
        yield sink
    finally:
        sink.close()


def _items_display() -> Any:
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
    return Progress(*columns, console=err_console(), transient=True, redirect_stdout=stdout_is_terminal())
