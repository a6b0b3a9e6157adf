"""``adp casual|structure|bpm`` as one library call: read the input, then answer one item, show a
dry run, or stream a batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from adp_cli import batch
from adp_cli.errors import UsageError
from adp_cli.generation import DryRun, dry_run
from adp_cli.inputs import open_source
from adp_cli.items import Flags
from adp_cli.prepared import prepare
from adp_cli.providers import Connection, open_provider
from adp_cli.results import Result
from adp_cli.tasks import Settings, Task

Outcome = Result | DryRun | Iterator[batch.Line | batch.Totals]


@dataclass(frozen=True)
class Request:
    """One generation command: what to read, how to generate, and where batch lines go."""

    task: Task
    input: str | None = None  # a file, "-" for stdin, or None when the flags are the item
    flags: Flags = field(default_factory=Flags)
    settings: Settings = field(default_factory=Settings)
    provider: str = "groq"
    connection: Connection = field(default_factory=Connection)
    dry_run: bool = False
    concurrency: int = 4
    output: Path | None = None


def run(request: Request) -> Outcome:
    """A result for one item, a ``DryRun``, or a batch's lines then its totals."""
    if request.input is None and not request.flags.any():
        raise UsageError("no input: give a YAML/JSON/JSONL file, - for stdin, or field flags such as --genre")
    source = open_source(request.input)
    task, settings = request.task, request.settings
    provider = open_provider(request.provider, request.connection, settings)
    if source.batch:
        if request.dry_run:
            raise UsageError("--dry-run takes a single item, not a batch")
        return batch.run(
            task, source, request.flags, settings, provider, concurrency=request.concurrency, output=request.output
        )
    if request.output is not None:
        raise UsageError(
            "--output/-o is for batches (JSON Lines or a JSON array); for one item, redirect stdout instead"
        )
    item = task.parse(next(source.documents, {}), request.flags)
    if request.dry_run:
        return dry_run(task, item, settings)
    provider.start()
    return provider.answer(prepare(task, item, settings))
