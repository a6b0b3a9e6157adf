"""``--dry-run --batch-api``: what a job would send and cost through the Batch API, beside the
same requests sent synchronously. Every item takes the submit path (request files included, in
a temporary folder), so the figures are the ones a real submission would have."""

from __future__ import annotations

import tempfile
from pathlib import Path

from adp_cli.dispatch.dispatcher import Dispatcher
from adp_cli.documents import Source
from adp_cli.runs.batch_api.events import BatchDryRun
from adp_cli.runs.batch_api.request_files import CostEstimate, Limits, requests, split
from adp_cli.runs.lines import Line
from adp_cli.tasks.items import Flags
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task


def dry_run(task: Task, source: Source, flags: Flags, settings: Settings, limits: Limits, dispatcher: Dispatcher) -> BatchDryRun:
    dispatcher.use_remembered_list()
    estimate = CostEstimate(dispatcher.prices)
    count = batches = size = unsendable = 0
    first_error: str | None = None
    with tempfile.TemporaryDirectory(prefix="adp-batch-dry-") as folder:
        for entry in split(requests(task, enumerate(source.documents), flags, settings, dispatcher, estimate), Path(folder), limits):
            if isinstance(entry, Line):
                unsendable += 1
                first_error = first_error or f"item {entry.fields['index']}: {entry.fields['error']['message']}"
                continue
            batches += 1
            count += len(entry.ranges)
            size += entry.bytes
            entry.path.unlink()
    return BatchDryRun(task.name, count, batches, size, unsendable, first_error, estimate)
