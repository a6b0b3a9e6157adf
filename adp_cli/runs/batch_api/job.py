"""A Batch API job, from items to results: submit once, then report, wait and collect; any run
can be killed and the same command picks up where it stopped.

Submitting prepares every item on the synchronous path into request files under Groq's limits,
checks the estimate against the daily budget, then uploads and creates one batch per file. The
state file is saved before each upload, after it, and after each batch is created, and each
batch carries the job and part in its metadata, so a rerun never submits an item twice: a part
whose batch id was lost to a kill is found again in Groq's batch list by its input file.

Collecting takes the job's batches in input order, each once it is terminal: its lines go to
``-o`` (and to the caller) in input order, its cost to the ledger at the batch price, on the
day it is collected. Once every batch is collected the state file is removed; a later run of the
same command then starts a new job for whatever ``-o`` lacks or holds as an error line.

Every run that submits or collects holds ``-o``'s lock (``runs.lines.OutputFile``) from before
it reads the state file until it ends, so a second run at the same time refuses instead of
acting on what the first is changing: nothing is submitted, written or billed twice.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from adp_cli.accounting import ledger
from adp_cli.dispatch.dispatcher import Dispatcher
from adp_cli.documents import Source
from adp_cli.errors import AdpError, ConfigError, Interrupted, UsageError
from adp_cli.runs.batch_api import state
from adp_cli.runs.batch_api.collect import Collection
from adp_cli.runs.batch_api.events import BatchView, Event, Finished, JobEnd, JobSink, Snapshot, Submitted
from adp_cli.runs.batch_api.request_files import CostEstimate, Limits, PartFile, requests, split
from adp_cli.runs.batch_api.state import Job, Part, state_path
from adp_cli.runs.lines import Indices, Line, OutputFile, Totals
from adp_cli.runs.recipe import Recipe
from adp_cli.tasks.items import Flags
from adp_cli.tasks.registry import TASKS
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task
from adp_cli.transports.base import Connection
from adp_cli.transports.groq import GroqTransport
from adp_cli.transports.groq_files import BatchClient, RemoteBatch

log = logging.getLogger("adp")

POLL_FIRST_S = 0.25  # then 1.5 times longer each poll, up to POLL_MAX_S
POLL_GROWTH = 1.5
POLL_MAX_S = 30.0
CLOCK_SLACK_S = 3600  # how far Groq's clock may be behind ours when a lost batch is looked for
_WINDOW = re.compile(r"(\d{1,4})([hd])")
WINDOW_HOURS = (24, 7 * 24)  # Groq: "durations from 24h to 7d are supported"


def check_window(window: str) -> str:
    """``24h`` .. ``7d`` (hours or days), refused here rather than after an upload."""
    match = _WINDOW.fullmatch(window.strip())
    hours = int(match.group(1)) * (24 if match.group(2) == "d" else 1) if match else 0
    if not WINDOW_HOURS[0] <= hours <= WINDOW_HOURS[1]:
        raise UsageError(f"--window {window!r}: Groq takes a completion window from 24h to 7d (such as 24h, 48h, 7d)")
    return window.strip()


@dataclass(frozen=True)
class JobSpec:
    """What a generation command asks of the Batch API."""

    task: Task
    input: str  # the INPUT argument, "-" for stdin
    output: Path
    flags: Flags = field(default_factory=Flags)
    settings: Settings = field(default_factory=Settings)
    window: str = "24h"
    wait: bool = False
    limits: Limits = field(default_factory=Limits)

    @property
    def recipe(self) -> Recipe:
        """The command's recipe, as a synchronous run has it: a rerun with the same one resumes
        the job (and a synchronous run resumes ``-o`` after it), another is refused."""
        return Recipe.of(self.task, self.input, self.flags, self.settings)

    def fingerprint(self) -> str:
        return self.recipe.fingerprint()


def dispatcher_for(connection: Connection, settings: Settings) -> Dispatcher:
    """The dispatcher whose model choice, request bodies, prices and finishing a job shares with
    a synchronous run on Groq (its transport never sends: the job's requests go in files)."""
    return Dispatcher(GroqTransport(connection), connection, settings)


def started_dispatcher(connection: Connection, settings: Settings, waiting: Path | str | None = None) -> Dispatcher:
    """A job's dispatcher, started: the ledger is opened and Groq's list read. ``waiting`` names
    the job (its ``-o``) or batch whose results are at Groq already, where an unusable ledger
    leaves them."""
    dispatcher = dispatcher_for(connection, settings)
    if waiting is None:
        dispatcher.start()
    else:
        _ledger_usable(dispatcher.start, waiting)
    return dispatcher


def drive(events: Generator[Event, None, None], sink: JobSink) -> JobEnd:
    """Hand a job's events to the sink until its end; the events are closed on the way out, so
    a Ctrl-C anywhere stops the job's run at once."""
    try:
        for event in events:
            if isinstance(event, JobEnd):
                return event
            if isinstance(event, Line):
                sink.line(event)
            else:
                sink.job(event)
    finally:
        events.close()
    raise AssertionError("a job's events end with JobEnd")


def run(spec: JobSpec, source: Source, connection: Connection, sink: JobSink) -> JobEnd:
    """Submit the job, or resume it from the state file beside ``-o``; checks that need no
    network happen before anything is read."""
    check_window(spec.window)
    path = state_path(spec.output)
    output = OutputFile(spec.output, streams=False)
    output.claim()  # before the state file is read: what it says stays true while this run holds -o
    try:
        job = state.load(path)
        if job is not None and job.fingerprint != spec.fingerprint():
            raise UsageError(
                f"-o {spec.output} belongs to another batch job ({job.task} {state.input_of(job, path)}, state file {path}); "
                f"collect it with `adp batch wait {spec.output}`, cancel it with `adp batch cancel {spec.output}`, or use another -o"
            )
        client = BatchClient(connection)  # a missing key fails here, before any item is read
        # so does an unusable ledger, before anything is uploaded; and Groq's list is read
        dispatcher = started_dispatcher(connection, spec.settings, spec.output if job is not None and job.parts else None)
    except BaseException:
        output.close()
        raise
    try:
        return drive(_run(spec, source, job, path, client, dispatcher, output), sink)
    finally:
        dispatcher.close()


def _run(
    spec: JobSpec, source: Source, job: Job | None, path: Path, client: BatchClient, dispatcher: Dispatcher, output: OutputFile
) -> Generator[Event, None, None]:
    started = time.perf_counter()
    try:
        output.keep_errors = job is not None  # a job's error lines are its outcome; a new job sends them again
        present = output.open(spec.recipe)
        if job is None:
            recorded = state.recorded_input(spec.input, path)
            job = Job(spec.task.name, recorded, spec.fingerprint(), spec.output.name, spec.window, skipped=len(present))
        totals = Totals(skipped=job.skipped)
        if not job.submitted:
            yield from _submit(spec, source, job, path, client, dispatcher, present, output, totals)
        yield from _follow(job, path, spec.task, client, dispatcher, output, present, totals, spec.wait, started)
    finally:
        output.close()


def _submit(
    spec: JobSpec,
    source: Source,
    job: Job,
    path: Path,
    client: BatchClient,
    dispatcher: Dispatcher,
    present: Indices,
    output: OutputFile,
    totals: Totals,
) -> Iterator[Event]:
    """Prepare what neither ``-o`` nor an earlier batch of the job holds, check the budget, then
    upload and create a batch per request file."""
    yield from _adopt(job, path, client)
    pending = ((index, document) for index, document in enumerate(source.documents) if index not in present and not job.covers(index))
    estimate = CostEstimate(dispatcher.prices) if ledger.budget_set() else None
    with tempfile.TemporaryDirectory(prefix="adp-batch-") as folder:
        files: list[PartFile] = []
        for entry in split(requests(spec.task, pending, spec.flags, spec.settings, dispatcher, estimate), Path(folder), spec.limits):
            if isinstance(entry, Line):
                output.write(entry)
                present.add(entry.fields["index"])
                totals.add(entry)
                yield entry
            else:
                files.append(entry)
        if estimate is not None:
            ledger.check_estimate(estimate.total(batch=True, replies=True))
        for file in files:
            yield _upload(job, path, client, file)
            file.path.unlink()
    job.submitted = True
    if job.parts:
        state.save(path, job)


def _upload(job: Job, path: Path, client: BatchClient, file: PartFile) -> Submitted:
    part = Part(ranges=file.ranges, bytes=file.bytes, uploaded_at=int(time.time()))
    job.parts.append(part)
    state.save(path, job)
    try:
        with file.path.open("rb") as handle:
            part.input_file_id = client.upload(f"adp-{job.task}-{job.id}-{len(job.parts) - 1}.jsonl", handle)
    except AdpError:  # Groq refused the file: the part never was, and a job with no part is no job
        job.parts.remove(part)
        if job.parts:
            state.save(path, job)
        else:
            state.remove(path)
        raise
    state.save(path, job)
    return _create(job, path, client, part)


def _create(job: Job, path: Path, client: BatchClient, part: Part) -> Submitted:
    number = job.parts.index(part)
    assert part.input_file_id is not None
    metadata = {"app": "adp", "task": job.task, "adp_job": job.id, "adp_part": str(number)}
    remote = client.create(part.input_file_id, job.window, metadata, not_before=part.uploaded_at - CLOCK_SLACK_S)
    part.batch_id, part.status = remote.id, remote.status
    state.save(path, job)
    return Submitted(number, remote.id, len(part.ranges), part.bytes, job.window)


def _adopt(job: Job, path: Path, client: BatchClient) -> Iterator[Submitted]:
    """Finish the parts a kill interrupted: one Groq never got is dropped (its items are prepared
    again), one uploaded but without a known batch is found in Groq's list, or created now."""
    for part in list(job.parts):
        if part.batch_id is not None:
            continue
        if part.input_file_id is None:
            job.parts.remove(part)
            state.save(path, job)
            continue
        found = client.find(part.input_file_id, part.uploaded_at - CLOCK_SLACK_S)
        if found is None:
            yield _create(job, path, client, part)
            continue
        log.info("found batch %s, created for part %d before the last run stopped", found.id, job.parts.index(part))
        part.batch_id, part.status = found.id, found.status
        state.save(path, job)


def poll_delays() -> Iterator[float]:
    """Seconds between polls: quick at first (a small batch is done in seconds), then longer, as
    a large one can take hours."""
    delay = POLL_FIRST_S
    while True:
        yield delay
        delay = min(delay * POLL_GROWTH, POLL_MAX_S)


def resume(path: Path, client: BatchClient, dispatcher: Dispatcher, *, wait: bool) -> Generator[Event, None, None]:
    """Collect the finished batches (all of them, with ``wait``) of the job in the state file
    ``path`` without its command line: the state file names the task, ``-o`` is beside it."""
    started = time.perf_counter()
    output = OutputFile(state.output_of(path), keep_errors=True, streams=False)
    try:
        output.claim()  # before the state file is read, as in run()
        job = state.load(path)
        if job is None:
            raise UsageError(f"no batch job for {output.path}: {path} is gone (another adp run has collected the job)")
        present = output.open()
        yield from _follow(job, path, TASKS[job.task], client, dispatcher, output, present, Totals(skipped=job.skipped), wait, started)
    finally:
        output.close()


def _follow(
    job: Job,
    path: Path,
    task: Task,
    client: BatchClient,
    dispatcher: Dispatcher,
    output: OutputFile,
    present: Indices,
    totals: Totals,
    wait: bool,
    started: float,
) -> Iterator[Event]:
    """Poll the job's batches, collect each terminal one in input order, and end the job once all
    are collected; with ``wait``, keep polling until then."""
    delays = poll_delays()
    try:
        while True:
            remotes = {number: client.retrieve(part.batch_id or "") for number, part in enumerate(job.parts) if not part.collected}
            for number, part in enumerate(job.parts):
                if part.collected:
                    continue
                if not remotes[number].terminal:
                    break
                yield from _collect(job, path, task, client, dispatcher, number, remotes[number], output, present, totals)
            outstanding = len(job.outstanding)
            if outstanding:
                yield Snapshot(tuple(view_of(number, part, remotes.get(number)) for number, part in enumerate(job.parts)), wait)
            if outstanding == 0 and job.submitted:
                state.remove(path)
            if outstanding == 0 or not wait:
                totals.seconds = time.perf_counter() - started
                ended = outstanding == 0 and job.submitted
                yield JobEnd(totals, output.path, None if ended else path, outstanding, not job.submitted)
                return
            time.sleep(next(delays))
    except KeyboardInterrupt as stop:
        raise Interrupted(
            f"stopped; the batches go on at Groq: rerun the same command or `adp batch wait {output.path}` to collect them", stop
        ) from None


def _ledger_usable(use: Callable[[], object], output: Path | str) -> None:
    """A batch is billed before its lines are written; with an unusable ledger neither happens
    and its results wait at Groq for a run once the ledger is fixed."""
    try:
        use()
    except ConfigError as error:
        raise ConfigError(f"{error}; the results stay at Groq: `adp batch wait {output}` collects them once the ledger is usable") from None


def view_of(number: int, part: Part, remote: RemoteBatch | None) -> BatchView:
    """A part as shown: from Groq's answer, or from the state file once collected."""
    if remote is None:
        return BatchView(part.batch_id or "", part.status or "completed", len(part.ranges), 0, 0, part=number, collected=True)
    return BatchView.of(remote, items=len(part.ranges), part=number)


def _collect(
    job: Job,
    path: Path,
    task: Task,
    client: BatchClient,
    dispatcher: Dispatcher,
    number: int,
    remote: RemoteBatch,
    output: OutputFile,
    present: Indices,
    totals: Totals,
) -> Iterator[Event]:
    """One terminal batch: billed (once), its lines written in input order (those ``-o`` already
    has from an interrupted collection are not written again), then marked collected."""
    part = job.parts[number]
    if not part.billed:
        _ledger_usable(ledger.open_ledger, output.path)  # before the download: an unusable ledger stops it
    collection = Collection(task, remote, dispatcher, part.ranges)
    try:
        collection.read(client)
        if not part.billed:
            _ledger_usable(lambda: ledger.record(collection.calls.values()), output.path)
            part.billed, part.status = True, remote.status
            state.save(path, job)
        for line in collection.lines():
            index = line.fields["index"]
            if index in present:
                continue
            output.write(line)
            present.add(index)
            totals.add(line)
            yield line
    finally:
        collection.close()
    part.collected = True
    state.save(path, job)
    view = BatchView.of(remote, items=len(part.ranges), part=number)
    yield Finished(view, collection.succeeded, collection.failed, collection.not_run, remote.completion_window, remote.errors)
