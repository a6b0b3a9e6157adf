"""Result lines, one per item, and the ``-o`` file they go to: one format and one writer for the
synchronous stream and the Batch API alike.

A line is ``index``, the item's ``id``, then the result's fields or ``"error": {"type",
"message"}``; it is encoded one way (``encode``) for stdout and for ``-o``. The ``-o`` file is
locked while a run writes it (``FILE.lock`` beside it, whichever run mode writes), appended one
flushed line at a time, so a kill loses at most the line being written, and read back on a
rerun: a torn line, a line that is not ours and a repeated index are dropped, as are error lines
unless the run keeps them (a Batch API job's collected errors are its outcome). Only indices are
kept in memory, never lines.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from adp_cli.errors import AdpError, ExitStatus, InputError, RateLimitStop, UsageError
from adp_cli.files import is_special, refuse_read_only, resolved
from adp_cli.text import json_text, redact, shorten

if TYPE_CHECKING:
    from filelock import BaseFileLock

    from adp_cli.dispatch.scheduler import Waiting
    from adp_cli.tasks.results import Answer


MAX_ID_CHARACTERS = 500
_ID_KINDS = {bool: "a boolean", float: "a decimal number", list: "a list", dict: "a mapping"}


def item_id(document: Any) -> str | int | None:
    """The id every line of the item carries (and a Batch API ``custom_id``), or None when it has
    none. An id is kept exactly or the item is refused (InputError), never dropped from its line:
    a string of at most ``MAX_ID_CHARACTERS``, or an integer that fits 64 bits (what databases
    and JSON readers hold as a number; a larger one is given as a string)."""
    value = document.get("id") if isinstance(document, dict) else None
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) > MAX_ID_CHARACTERS:
            raise InputError(f"id is {len(value)} characters long, over the {MAX_ID_CHARACTERS} an id may have")
        return value
    if type(value) is int:
        if not -(2**63) <= value < 2**63:
            raise InputError("id is an integer outside 64 bits (-2**63 to 2**63-1): give it as a string")
        return value
    kind = _ID_KINDS.get(type(value), f"a {type(value).__name__}")
    raise InputError(f"id must be a string or an integer, not {kind}")


@dataclass(frozen=True)
class Line:
    """One item's output line: ``index``, the item's ``id``, and the result fields or an error."""

    fields: dict[str, Any]
    stopped_by: RateLimitStop | None = None  # the item was not sent: a rate limit ended the run

    @property
    def failed(self) -> bool:
        return "error" in self.fields

    @property
    def index(self) -> int:
        index: int = self.fields["index"]
        return index


def _head(index: int, identifier: str | int | None) -> dict[str, Any]:
    return {"index": index} if identifier is None else {"index": index, "id": identifier}


def result_line(index: int, identifier: str | int | None, answer: Answer) -> Line:
    return Line({**_head(index, identifier), **answer.to_json()})


def error_line(index: int, identifier: str | int | None, error: BaseException) -> Line:
    kind = error.kind if isinstance(error, AdpError) else "internal_error"
    stop = error if isinstance(error, RateLimitStop) else None
    return Line({**_head(index, identifier), "error": {"type": kind, "message": redact(str(error))}}, stopped_by=stop)


def encode(line: Line) -> str:
    """The line as stdout and ``-o`` carry it: one line of JSON, escaped where an output could
    not take a character safely (see ``text.json_text``)."""
    return json_text(line.fields)


class LineSink(Protocol):
    """Where a run mode hands each line as it is ready, in input order, and what it waits for
    meanwhile; the CLI's presenter implements it (stdout and a progress bar)."""

    def line(self, line: Line) -> None: ...

    def waiting(self, waiting: list[Waiting]) -> None: ...


@dataclass
class Totals:
    """What a run's lines add up to, for the closing summary and the exit status."""

    items: int = 0
    failed: int = 0
    skipped: int = 0  # done by an earlier run into the same --output
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    stop: RateLimitStop | None = None  # the rate limit that ended the run, if one did

    def add(self, line: Line) -> None:
        self.items += 1
        if line.failed:
            self.failed += 1
            self.stop = self.stop or line.stopped_by
            return
        self.prompt_tokens += line.fields["prompt_tokens"]
        self.completion_tokens += line.fields["completion_tokens"]
        self.cost_usd += line.fields["cost_usd"]

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_status(self) -> ExitStatus:
        if self.stop is not None:
            return ExitStatus.RATE_LIMITED
        return ExitStatus.FAILURE if self.failed else ExitStatus.SUCCESS


class OutputFile:
    """The ``-o`` file of one run. ``open()`` locks it and returns the indices it already holds;
    ``write()`` may be called from any thread."""

    def __init__(self, path: Path, *, keep_errors: bool = False, streams: bool = True) -> None:
        self.path = path
        self._keep_errors = keep_errors
        self._streams = streams  # a FIFO or device is written as a stream, with nothing to resume
        self._lock: BaseFileLock | None = None
        self._file: IO[str] | None = None
        self._write_lock = threading.Lock()

    def open(self) -> set[int]:
        try:
            target = resolved(self.path)
            if is_special(target):
                if not self._streams:
                    raise UsageError(f"--output {self.path} is not a regular file; a Batch API job needs one to resume from")
                present: set[int] = set()
            else:
                self._lock = _claim(target, self.path)
                if target.exists():
                    refuse_read_only(target.stat(), target)
                present = self._scan()
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as error:
            self.close()
            raise UsageError(f"--output {shorten(str(self.path))}: {error.strerror or error}") from None
        except BaseException:
            self.close()
            raise
        return present

    def write(self, line: Line) -> None:
        """Append one line, flushed; a failure (a full disk) is one UsageError."""
        text = encode(line) + "\n"
        with self._write_lock:
            try:
                assert self._file is not None, "open() the output file first"
                self._file.write(text)
                self._file.flush()
            except OSError as error:
                raise UsageError(f"cannot write --output {self.path}: {error.strerror or error}; the run stopped") from None

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:  # the flush of a full disk, already reported by write
                pass
            self._file = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _scan(self) -> set[int]:
        """The indices of the lines that stay; the file is rewritten without the others."""
        if not self.path.exists():
            return set()
        present: set[int] = set()
        dropped = False
        with self.path.open("rb") as lines:
            for raw in lines:
                index = self._kept(raw, present)
                if index is None:
                    dropped = True
                else:
                    present.add(index)
        if dropped:
            self._rewrite()
        return present

    def _kept(self, raw: bytes, present: set[int]) -> int | None:
        """The line's index if the line stays, else None."""
        if not raw.endswith(b"\n"):
            return None  # torn by a kill mid-write: the next line would be glued to it
        try:
            line: Any = json.loads(raw)
        except ValueError:
            return None
        index = line.get("index") if isinstance(line, dict) else None
        if type(index) is not int or index in present or (not self._keep_errors and "error" in line):
            return None
        return index

    def _rewrite(self) -> None:
        """Keep only the lines that stay, through a synced temporary file renamed over the file."""
        target = resolved(self.path)
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        seen: set[int] = set()
        try:
            with os.fdopen(fd, "wb") as kept, target.open("rb") as lines:
                for raw in lines:
                    index = self._kept(raw, seen)
                    if index is not None:
                        seen.add(index)
                        kept.write(raw)
                kept.flush()
                os.fsync(kept.fileno())
            os.chmod(temp_name, target.stat().st_mode & 0o7777)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise


def _claim(target: Path, given: Path) -> BaseFileLock:
    """Lock the file (through ``FILE.lock`` beside it) for this run: a second run on the same
    file would send every item the first has not finished yet."""
    from filelock import FileLock, Timeout

    if not target.parent.is_dir():  # filelock would create the folders for its lock file
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(target.parent))
    lock = FileLock(f"{target}.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise UsageError(
            f"--output {shorten(str(given))}: another adp run is writing to it (it holds {shorten(lock.lock_file)}); "
            "let it finish, or choose another file"
        ) from None
    return lock
