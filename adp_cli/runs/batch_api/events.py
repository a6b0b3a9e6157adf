"""What a Batch API run reports, as typed data that the CLI layer shows: each batch submitted,
status snapshots (from Groq's ``request_counts``), one ``Finished`` per batch that ends, result
and error lines (``runs.lines.Line``, the synchronous batch's shape) and a closing ``JobEnd``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from adp_cli.errors import ExitStatus
from adp_cli.runs.lines import Line, LineSink, Totals
from adp_cli.transports.groq_files import TERMINAL, RemoteBatch

if TYPE_CHECKING:
    from adp_cli.runs.batch_api.request_files import CostEstimate


@dataclass(frozen=True)
class BatchView:
    """One batch at one moment. ``items`` is what adp sent (Groq reports a total of 0 while it
    validates); ``part`` is the batch's place in its job, None for a batch named by id alone."""

    batch_id: str
    status: str
    items: int
    completed: int
    failed: int
    part: int | None = None
    collected: bool = False
    created_at: int | None = None
    expires_at: int | None = None
    task: str | None = None  # from the batch's metadata, when adp made it

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def done(self) -> int:
        """Requests that have run (or, once collected, every item)."""
        return self.items if self.collected else self.completed + self.failed

    @classmethod
    def of(cls, remote: RemoteBatch, items: int | None = None, part: int | None = None) -> BatchView:
        return cls(
            batch_id=remote.id,
            status=remote.status,
            items=remote.total if items is None else items,
            completed=remote.completed,
            failed=remote.failed,
            part=part,
            created_at=remote.created_at,
            expires_at=remote.expires_at,
            task=remote.metadata.get("task"),
        )


@dataclass(frozen=True)
class Submitted:
    """A batch Groq accepted."""

    part: int
    batch_id: str
    items: int
    bytes: int
    window: str


@dataclass(frozen=True)
class Snapshot:
    """Every batch of the job after one poll; ``waiting`` when the run keeps polling."""

    batches: tuple[BatchView, ...]
    waiting: bool


@dataclass(frozen=True)
class Finished:
    """A batch reached a terminal state (and, in a job, its lines are written)."""

    batch: BatchView
    succeeded: int
    failed: int
    not_run: int
    window: str
    errors: tuple[str, ...] = ()  # why validation failed


@dataclass(frozen=True)
class JobEnd:
    """How the run leaves the job: ``outstanding`` batches still to collect, or none."""

    totals: Totals
    output: Path | None = None
    state_file: Path | None = None
    outstanding: int = 0
    unsubmitted: bool = False  # a submission was interrupted: rerun the command to finish it

    @property
    def exit_status(self) -> ExitStatus:
        return self.totals.exit_status


Event = Line | Submitted | Snapshot | Finished | JobEnd
JobEvent = Submitted | Snapshot | Finished


class JobSink(LineSink, Protocol):
    """A line sink that also hears how the job's batches stand."""

    def job(self, event: JobEvent) -> None: ...


@dataclass(frozen=True)
class JobStatus:
    """``adp batch status``: a job's batches (or one batch named by id), nothing collected."""

    batches: tuple[BatchView, ...]
    task: str | None = None
    output: Path | None = None
    state_file: Path | None = None
    unsubmitted: bool = False


@dataclass(frozen=True)
class BatchDryRun:
    """Nothing was sent. ``estimate`` holds the per-model tokens; ``unsendable`` items would be
    error lines (the first one's message is kept)."""

    task: str
    requests: int
    batches: int
    bytes: int
    unsendable: int
    first_error: str | None
    estimate: CostEstimate

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.FAILURE if self.unsendable else ExitStatus.SUCCESS
