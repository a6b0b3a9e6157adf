"""``adp casual|structure|bpm`` as one library call: read the input, then answer one item, show a
dry run, stream a batch, or run a Batch API job; the result is a typed report that carries the
process's exit status."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from adp_cli.dispatch.dispatcher import Dispatcher
from adp_cli.documents import Source, input_status, open_source
from adp_cli.errors import UsageError
from adp_cli.files import same_regular_file
from adp_cli.runs.captioning import Captioning
from adp_cli.runs.dry_run import DryRun, dry_run
from adp_cli.runs.oneshot import Answered, answer
from adp_cli.tasks.items import Flags
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task
from adp_cli.text import shorten
from adp_cli.transports import open_transport, transport_name
from adp_cli.transports.base import Connection

# A one-shot imports neither the batch runner nor the Batch API engine: they cost a one-shot
# ~25 ms of its ~380 ms (bench/oneshot.py), so each is imported where its branch begins.
if TYPE_CHECKING:
    from adp_cli.runs.batch_api.events import BatchDryRun, JobEnd, JobSink
    from adp_cli.runs.lines import Totals

    Report = Answered | DryRun | Totals | JobEnd | BatchDryRun


@dataclass(frozen=True)
class Request:
    """One generation command: what to read, how to generate, and where batch lines go."""

    task: Task
    input: str | None = None  # a file, "-" for stdin, or None when the flags are the item
    flags: Flags = field(default_factory=Flags)
    settings: Settings = field(default_factory=Settings)
    provider: str | None = None  # None: Groq, or an OpenAI-compatible server its base URL implies
    connection: Connection = field(default_factory=Connection)
    dry_run: bool = False
    concurrency: int = 4
    output: Path | None = None
    batch_api: bool = False  # through Groq's Batch API instead of one request per item
    wait: bool = False  # Batch API: poll until the results are written
    window: str = "24h"  # Batch API completion window
    batch_size: int | None = None  # Batch API: requests per batch at most (None: Groq's maximum)
    cache: bool = False  # answer from the generation log what it answered before
    input_format: str | None = None  # --format: how to read INPUT, instead of by its extension
    captioning: Captioning = field(default_factory=Captioning)  # --check, --regenerate, --variants


def run(request: Request, sink: JobSink) -> Report:
    """The command's report; a batch's lines (and a job's events) go to ``sink`` as they come."""
    if request.input is None and not request.flags.any():
        raise UsageError("no input: give a YAML/JSON/JSONL file, - for stdin, or field flags such as --genre")
    _refuse_the_input_as_output(request)
    source = open_source(request.input, fmt=request.input_format, keep=frozenset(request.flags.keep))
    task, settings = request.task, request.settings
    if request.wait and not request.batch_api:
        raise UsageError("--wait goes with --batch-api (a synchronous run always waits)")
    if request.batch_api:
        return _batch_api(request, source, sink)
    dispatcher = Dispatcher(open_transport(request.provider, request.connection), request.connection, settings, cache=request.cache)
    if source.batch:
        return _stream(request, source, dispatcher, sink)
    if request.output is not None:
        raise UsageError(
            "--output/-o is for batches (JSON Lines or a JSON array); for one item, redirect stdout instead"
        )
    item = task.parse(next(source.documents, {}), request.flags)
    if request.dry_run:
        return dry_run(task, item, settings, dispatcher)
    return answer(task, item, settings, dispatcher, request.captioning)


def _refuse_the_input_as_output(request: Request) -> None:
    """``-o`` naming the input, by any name (a symlink, a hard link, stdin redirected from it),
    is refused before anything is read: resuming ``-o`` drops the lines that are no results,
    which would empty the input, and a Batch API job would empty it at submission."""
    if request.output is None or request.input is None:
        return
    try:
        output = os.stat(request.output)
    except (OSError, ValueError):  # not there yet (so no input), or a name the system refuses
        return
    source = input_status(request.input)
    if source is not None and same_regular_file(source, output):
        shown = "stdin" if request.input == "-" else shorten(request.input)
        raise UsageError(f"-o {shorten(str(request.output))} is the input file ({shown}): the results would overwrite the items; write them to another file")


def _stream(request: Request, source: Source, dispatcher: Dispatcher, sink: JobSink) -> Totals:
    from adp_cli.process import long_running
    from adp_cli.runs import stream
    from adp_cli.runs.batch_api.state import job_in_progress, state_path
    from adp_cli.runs.recipe import Recipe

    if request.dry_run:
        raise UsageError("--dry-run takes a single item, not a batch")
    if request.output is not None and job_in_progress(request.output):
        raise UsageError(
            f"-o {request.output} has a Batch API job in progress ({state_path(request.output)}); "
            "finish it (rerun with --batch-api, or `adp batch wait`) before sending its items again"
        )
    long_running()
    recipe = Recipe.of(request.task, request.input or "-", request.flags, request.settings, request.captioning)
    return stream.run(
        request.task,
        source,
        request.flags,
        request.settings,
        dispatcher,
        sink,
        concurrency=request.concurrency,
        output=request.output,
        policy=request.captioning,
        recipe=recipe,
    )


def _batch_api(request: Request, source: Source, sink: JobSink) -> JobEnd | BatchDryRun:
    """``--batch-api``: a job from the state file beside ``-o``, or its dry-run estimate (the
    engine is imported only here: a one-shot must not pay for it)."""
    from adp_cli.process import long_running
    from adp_cli.runs.batch_api import estimate, job
    from adp_cli.runs.batch_api.request_files import MAX_REQUESTS, Limits

    chosen = transport_name(request.provider, request.connection)
    if not request.captioning.plain or request.flags.keep:
        raise UsageError("--check, --regenerate, --variants and --keep work on synchronous runs; check a Batch API job's -o with `adp eval`")
    if chosen != "groq":
        raise UsageError(f"--batch-api is Groq's Batch API; it cannot run with --provider {chosen}")
    if not source.batch:
        raise UsageError("--batch-api takes a batch: a .jsonl file or a JSON array")
    if request.batch_size is not None and not 0 < request.batch_size <= MAX_REQUESTS:
        raise UsageError(f"--batch-size {request.batch_size}: Groq takes 1 to {MAX_REQUESTS} requests per batch")
    limits = Limits(max_requests=request.batch_size or MAX_REQUESTS)
    if request.dry_run:
        dispatcher = job.dispatcher_for(request.connection, request.settings)
        return estimate.dry_run(request.task, source, request.flags, request.settings, limits, dispatcher)
    if request.output is None:
        raise UsageError("--batch-api needs -o FILE: its results arrive later, and the job's state is kept beside that file")
    spec = job.JobSpec(
        task=request.task,
        input=request.input or "-",
        output=request.output,
        flags=request.flags,
        settings=request.settings,
        window=request.window,
        wait=request.wait,
        limits=limits,
    )
    long_running()
    return job.run(spec, source, request.connection, sink)
