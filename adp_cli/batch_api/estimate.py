"""``--dry-run --batch-api``: what a job would send and cost through the Batch API, beside the
same requests sent synchronously. Every item takes the submit path (request files included, in
a temporary folder), so the figures are the ones a real submission would have."""

from __future__ import annotations

import tempfile
from pathlib import Path

from adp_cli.batch import Line
from adp_cli.batch_api.events import BatchDryRun
from adp_cli.batch_api.request_files import CostEstimate, Limits, requests, split
from adp_cli.inputs import Source
from adp_cli.items import Flags
from adp_cli.tasks import Settings, Task


def dry_run(task: Task, source: Source, flags: Flags, settings: Settings, limits: Limits) -> BatchDryRun:
    estimate = CostEstimate()
    count = batches = size = unsendable = 0
    first_error: str | None = None
    with tempfile.TemporaryDirectory(prefix="adp-batch-dry-") as folder:
        for entry in split(requests(task, enumerate(source.documents), flags, settings, estimate), Path(folder), limits):
            if isinstance(entry, Line):
                unsendable += 1
                first_error = first_error or f"item {entry.fields['index']}: {entry.fields['error']['message']}"
                continue
            batches += 1
            count += len(entry.ranges)
            size += entry.bytes
            entry.path.unlink()
    return BatchDryRun(task.name, count, batches, size, unsendable, first_error, estimate)
