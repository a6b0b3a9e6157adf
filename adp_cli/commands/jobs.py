"""``adp batch status|wait|results|cancel|list``: a Batch API job from its state file (or the
``-o`` file it sits beside), or one batch by its id."""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from adp_cli.dispatch.dispatcher import Dispatcher
from adp_cli.errors import Interrupted, UsageError
from adp_cli.process import long_running
from adp_cli.runs.batch_api import job, state
from adp_cli.runs.batch_api.collect import Collection
from adp_cli.runs.batch_api.events import BatchView, Event, Finished, JobEnd, JobSink, JobStatus, Snapshot
from adp_cli.runs.batch_api.state import Job
from adp_cli.runs.lines import Totals
from adp_cli.tasks.registry import TASKS
from adp_cli.tasks.settings import Settings
from adp_cli.transports.base import Connection
from adp_cli.transports.groq_files import BatchClient, EndlessList

log = logging.getLogger("adp")


def _target(target: str) -> tuple[Path, Job] | str:
    """A state file, the ``-o`` file it sits beside, or a batch id. A run that collects reads
    the state file again once it holds ``-o``'s lock (``job.resume``)."""
    given = Path(target)
    path = given if given.name.endswith(state.STATE_SUFFIX) else state.state_path(given)
    found = state.load(path)
    if found is not None:
        return path, found
    if target.startswith("batch_") and not given.exists():
        return target
    raise UsageError(
        f"no batch job for {target}: {path} does not exist (a job's state file is removed once all its results are collected)"
    )


def status(target: str, connection: Connection) -> JobStatus:
    """Where a job's batches (or one batch) stand; nothing is collected."""
    found = _target(target)
    client = BatchClient(connection)
    if isinstance(found, str):
        return JobStatus((BatchView.of(client.retrieve(found)),))
    path, running = found
    views = tuple(
        job.view_of(number, part, None if part.collected else client.retrieve(part.batch_id))
        for number, part in enumerate(running.parts)
        if part.batch_id is not None
    )
    return JobStatus(views, running.task, state.output_of(path), path, not running.submitted)


def collect(target: str, connection: Connection, sink: JobSink, *, wait: bool) -> JobEnd:
    """``adp batch results``: collect what has finished into a job's ``-o``, or show one finished
    batch's lines (an id); ``wait=True`` (``adp batch wait``) first polls until every batch has
    ended."""
    found = _target(target)
    client = BatchClient(connection)
    dispatcher = job.started_dispatcher(connection, Settings(), found if isinstance(found, str) else state.output_of(found[0]))
    long_running()
    try:
        if isinstance(found, str):
            return job.drive(_wait_for(client, found) if wait else _results_of(client, dispatcher, found), sink)
        return job.drive(job.resume(found[0], client, dispatcher, wait=wait), sink)
    finally:
        dispatcher.close()


def _wait_for(client: BatchClient, batch_id: str) -> Generator[Event, None, None]:
    """One batch by id: poll until it ends; its results stay at Groq (``adp batch results``)."""
    started = time.perf_counter()
    delays = job.poll_delays()
    while True:
        remote = client.retrieve(batch_id)
        view = BatchView.of(remote)
        if remote.terminal:
            not_run = max(0, remote.total - remote.completed - remote.failed)
            yield Finished(view, remote.completed, remote.failed, not_run, remote.completion_window, remote.errors)
            yield JobEnd(Totals(seconds=time.perf_counter() - started))
            return
        yield Snapshot((view,), True)
        try:
            time.sleep(next(delays))
        except KeyboardInterrupt as stop:
            raise Interrupted(f"stopped waiting; batch {batch_id} goes on at Groq", stop) from None


def _results_of(client: BatchClient, dispatcher: Dispatcher, batch_id: str) -> Generator[Event, None, None]:
    """One finished batch by id, read with the task its metadata names, in index order: shown,
    not collected, so nothing goes to the ledger (the job that made it records it)."""
    started = time.perf_counter()
    remote = client.retrieve(batch_id)
    task = TASKS.get(remote.metadata.get("task", ""))
    if task is None:
        raise UsageError(f"batch {batch_id} names no adp task in its metadata; adp reads only the batches it made")
    if not remote.terminal:
        raise UsageError(f"batch {batch_id} is {remote.status}: no results yet (`adp batch wait {batch_id}`)")
    totals = Totals()
    collection = Collection(task, remote, dispatcher)
    try:
        collection.read(client)
        for line in collection.lines():
            totals.add(line)
            yield line
    finally:
        collection.close()
    yield Finished(BatchView.of(remote), collection.succeeded, collection.failed, collection.not_run, remote.completion_window, remote.errors)
    totals.seconds = time.perf_counter() - started
    yield JobEnd(totals)


@dataclass(frozen=True)
class Cancelled:
    """``adp batch cancel``: the batches asked to stop, as they stand now."""

    batches: tuple[BatchView, ...]


@dataclass(frozen=True)
class BatchList:
    """``adp batch list``: the account's batches, newest first."""

    batches: list[BatchView]


def cancel(target: str, connection: Connection) -> Cancelled:
    """Cancel a job's unfinished batches (or one batch). What they ran is collected as usual; the
    rest comes back as not-run lines that a rerun sends again."""
    found = _target(target)
    client = BatchClient(connection)
    if isinstance(found, str):
        return Cancelled((BatchView.of(client.cancel(found)),))
    views = []
    for number, part in enumerate(found[1].parts):
        if part.collected or part.batch_id is None:
            continue
        remote = client.retrieve(part.batch_id)
        if not remote.terminal and remote.status != "cancelling":
            remote = client.cancel(part.batch_id)
        views.append(BatchView.of(remote, items=len(part.ranges), part=number))
    return Cancelled(tuple(views))


def listing(connection: Connection, limit: int) -> BatchList:
    """The account's batches, newest first, at most ``limit``; a list that does not end is
    shown as far as it went, with a warning."""
    views: list[BatchView] = []
    try:
        for remote in BatchClient(connection).listed():
            views.append(BatchView.of(remote))
            if len(views) >= limit:
                break
    except EndlessList as error:
        log.warning("%s; the batches listed are those it brought before", error)
    return BatchList(views)
