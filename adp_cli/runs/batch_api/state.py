"""The state file beside ``-o``: which batches a job created and which items each holds.

It is what makes a Batch API run resumable: a rerun reads it instead of submitting again. It
is saved (atomically) before each upload, after it, and after each batch is created, so a kill
at any moment leaves a file that says how far the job got. Items are kept as index ranges, so
the file stays a few hundred bytes for 100,000 items. Only a run that holds the ``-o`` file's
lock reads it to act on it, and only that run rewrites it.

Its paths are relative to its own folder, so a run from any folder reads the same files, and
it belongs to the ``-o`` file it sits beside: one whose ``"output"`` names another file (an
edit, a copy) is refused rather than followed.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adp_cli.errors import ConfigError
from adp_cli.files import replace_atomically
from adp_cli.tasks.registry import TASK_SPECS
from adp_cli.text import quote

STATE_SUFFIX = ".adp-batch.json"
FORMAT_VERSION = 1


def state_path(output: Path) -> Path:
    """The state file of the job writing to ``output``."""
    return output.with_name(output.name + STATE_SUFFIX)


def output_of(path: Path) -> Path:
    """The ``-o`` file of the job in the state file ``path``: the one it sits beside."""
    return path.with_name(path.name.removesuffix(STATE_SUFFIX))


def recorded_input(source: str, path: Path) -> str:
    """How the state file ``path`` records the INPUT argument: relative to its folder ("-" is
    stdin; another drive, absolute)."""
    if source == "-":
        return source
    try:
        return os.path.relpath(Path(source).resolve(), path.parent.resolve())
    except ValueError:
        return str(Path(source).resolve())


def input_of(job: Job, path: Path) -> str:
    """The job's INPUT as a path from here, for messages."""
    return job.input if job.input == "-" else os.path.normpath(path.parent / job.input)


def job_in_progress(output: Path) -> bool:
    """Whether a Batch API job writes to ``output``; a name the file system cannot hold (too
    long) has no job, and the run reports the name when it opens ``output``."""
    try:
        return state_path(output).exists()
    except OSError:
        return False


class Ranges:
    """Ascending item indices as half-open ranges, filled in order: a part's items without a list
    of 50,000 numbers, with an item's position inside the part found by bisection."""

    def __init__(self, pairs: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._stops: list[int] = []
        self._before: list[int] = []  # items in the ranges before each one
        for start, stop in pairs:
            if self._stops and start < self._stops[-1]:
                raise ValueError(f"range {start}-{stop} is not above {self._stops[-1]}")
            if start < stop:
                self._before.append(len(self))
                self._starts.append(start)
                self._stops.append(stop)

    def append(self, index: int) -> None:
        """Add an index above every one held so far."""
        if self._stops and index == self._stops[-1]:
            self._stops[-1] += 1
            return
        if self._stops and index < self._stops[-1]:
            raise ValueError(f"index {index} is not above {self._stops[-1] - 1}")
        self._before.append(len(self))
        self._starts.append(index)
        self._stops.append(index + 1)

    def position(self, index: int) -> int | None:
        """Where ``index`` sits among the held indices (0-based), or None if it is not held."""
        slot = bisect_right(self._starts, index) - 1
        if slot < 0 or index >= self._stops[slot]:
            return None
        return self._before[slot] + index - self._starts[slot]

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and self.position(index) is not None

    def __len__(self) -> int:
        return self._before[-1] + self._stops[-1] - self._starts[-1] if self._starts else 0

    def __iter__(self) -> Iterator[int]:
        for start, stop in zip(self._starts, self._stops):
            yield from range(start, stop)

    def pairs(self) -> list[list[int]]:
        return [[start, stop] for start, stop in zip(self._starts, self._stops)]


@dataclass
class Part:
    """One batch of the job. ``input_file_id`` and ``batch_id`` stay None until Groq has given
    them; ``billed`` is set once its results are in the ledger, ``collected`` once in ``-o``."""

    ranges: Ranges
    bytes: int
    uploaded_at: int  # Unix seconds just before the upload: no batch of it can be older
    input_file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None
    billed: bool = False
    collected: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "items": len(self.ranges),
            "bytes": self.bytes,
            "ranges": self.ranges.pairs(),
            "uploaded_at": self.uploaded_at,
            "input_file_id": self.input_file_id,
            "batch_id": self.batch_id,
            "status": self.status,
            "billed": self.billed,
            "collected": self.collected,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Part:
        return cls(
            ranges=Ranges((int(start), int(stop)) for start, stop in raw["ranges"]),
            bytes=int(raw["bytes"]),
            uploaded_at=int(raw["uploaded_at"]),
            input_file_id=_optional_str(raw.get("input_file_id")),
            batch_id=_optional_str(raw.get("batch_id")),
            status=_optional_str(raw.get("status")),
            billed=bool(raw.get("billed")),
            collected=bool(raw.get("collected")),
        )


def _optional_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"expected a string or null, got {value!r}")


@dataclass
class Job:
    """A Batch API job: the command that made it (``fingerprint``) and its parts in input order.
    ``submitted`` is set once every item it was to send is in a part (or an error line)."""

    task: str
    input: str
    fingerprint: str
    output: str
    window: str
    skipped: int = 0  # items already done in -o when the job began
    id: str = field(default_factory=lambda: secrets.token_hex(6))
    created_at: int = field(default_factory=lambda: int(time.time()))
    submitted: bool = False
    parts: list[Part] = field(default_factory=list)

    def covers(self, index: int) -> bool:
        return any(index in part.ranges for part in self.parts)

    @property
    def outstanding(self) -> list[Part]:
        return [part for part in self.parts if not part.collected]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "job": self.id,
            "task": self.task,
            "input": self.input,
            "output": self.output,
            "fingerprint": self.fingerprint,
            "window": self.window,
            "created_at": self.created_at,
            "skipped": self.skipped,
            "submitted": self.submitted,
            "parts": [part.to_json() for part in self.parts],
        }

    @classmethod
    def from_json(cls, raw: Any) -> Job:
        if not isinstance(raw, dict) or raw.get("version") != FORMAT_VERSION:
            raise ValueError(f"not an adp batch state file of version {FORMAT_VERSION}")
        return cls(
            task=str(raw["task"]),
            input=str(raw["input"]),
            fingerprint=str(raw["fingerprint"]),
            output=str(raw["output"]),
            window=str(raw["window"]),
            skipped=int(raw.get("skipped", 0)),
            id=str(raw["job"]),
            created_at=int(raw["created_at"]),
            submitted=bool(raw["submitted"]),
            parts=[Part.from_json(part) for part in raw["parts"]],
        )


def load(path: Path) -> Job | None:
    """The job in ``path``, or None when there is none; a damaged file is a ConfigError that
    leaves it in place (it holds the only record of the batch ids)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the batch state file {path}: {error}") from None
    try:
        job = Job.from_json(json.loads(text))
        if job.task not in TASK_SPECS:
            raise ValueError(f"task {quote(job.task, 60)} is no adp task")
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            f"the batch state file {path} is damaged ({error}); `adp batch list` shows the account's batches"
        ) from None
    _check_output(job, path)
    return job


def _check_output(job: Job, path: Path) -> None:
    """The state file must name the file it sits beside (relative to its folder, or absolutely);
    once checked, it names it by its file name."""
    beside = output_of(path)
    try:
        same = (path.parent / job.output).resolve() == beside.resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL in the recorded name
        same = False
    if not same:
        raise ConfigError(
            f"the batch state file {path} names {quote(job.output, 100)} as its -o file, not {quote(beside.name, 100)} beside it; "
            f'a state file belongs to the -o file it sits beside: set its "output" to {quote(beside.name, 100)} or move it'
        )
    job.output = beside.name


def save(path: Path, job: Job) -> None:
    data = (json.dumps(job.to_json(), indent=1) + "\n").encode("utf-8")
    try:
        replace_atomically(path, data)
    except OSError as error:
        raise ConfigError(f"cannot write the batch state file {path}: {error.strerror or error}") from None


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)
