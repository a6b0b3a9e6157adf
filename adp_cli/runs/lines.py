"""Result lines, one per item, and the ``-o`` file they go to: one format and one writer for the
synchronous stream and the Batch API alike.

A line is ``index``, the item's ``id``, then the result's fields or ``"error": {"type",
"message"}``; it is encoded one way (``encode``) for stdout and for ``-o``. The ``-o`` file is
locked while a run writes it, whichever run mode writes: ``FILE.lock`` beside it, and a lock
keyed on the file's identity, so that a hard link is the same file too. Beside it, the record
of the command that made it (``runs.recipe``) keeps another command from resuming it. It is
appended one flushed line at a time, so a kill loses at most the line being written, and read
back on a rerun: a torn line, a line that is not ours and a repeated index are dropped, as are
error lines unless the run keeps them (a Batch API job's collected errors are its outcome).
Only indices are kept in memory, one bit each, never lines."""

from __future__ import annotations

import errno
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from adp_cli.cache import cache_dir
from adp_cli.errors import AdpError, ExitStatus, InputError, RunStop, UsageError
from adp_cli.files import is_special, refuse_read_only, resolved
from adp_cli.runs import recipe as run_record
from adp_cli.runs.recipe import Recipe
from adp_cli.text import json_text, redact, shorten

if TYPE_CHECKING:
    from filelock import BaseFileLock

    from adp_cli.dispatch.scheduler import Waiting
    from adp_cli.tasks.results import Answer

log = logging.getLogger("adp")


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
    stopped_by: RunStop | None = None  # the item was not sent: a limit that will not clear ended the run

    @property
    def failed(self) -> bool:
        return "error" in self.fields

    @property
    def index(self) -> int:
        index: int = self.fields["index"]
        return index


def _head(index: int, identifier: str | int | None, kept: dict[str, Any] | None) -> dict[str, Any]:
    """What every line starts with: the item's place and id, then the fields ``--keep`` carries."""
    head: dict[str, Any] = {"index": index} if identifier is None else {"index": index, "id": identifier}
    return head | kept if kept else head


def result_line(index: int, identifier: str | int | None, answer: Answer, kept: dict[str, Any] | None = None) -> Line:
    return Line({**_head(index, identifier, kept), **answer.to_json()})


def error_line(index: int, identifier: str | int | None, error: BaseException, kept: dict[str, Any] | None = None) -> Line:
    kind = error.kind if isinstance(error, AdpError) else "internal_error"
    stop = error if isinstance(error, RunStop) else None
    return Line({**_head(index, identifier, kept), "error": {"type": kind, "message": redact(str(error))}}, stopped_by=stop)


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
    cost_usd: float = 0.0  # of the items whose price is known
    unpriced: int = 0  # items whose model has no known price
    asked_again: int = 0  # items whose caption was asked for again (--regenerate)
    seconds: float = 0.0
    stop: RunStop | None = None  # the limit that ended the run, if one did

    def add(self, line: Line) -> None:
        self.items += 1
        if line.failed:
            self.failed += 1
            self.stop = self.stop or line.stopped_by
            return
        self.prompt_tokens += line.fields["prompt_tokens"]
        self.completion_tokens += line.fields["completion_tokens"]
        captions = len(line.fields.get("variants") or [None])
        self.asked_again += line.fields.get("attempts", captions) > captions
        cost = line.fields["cost_usd"]
        if cost is None:
            self.unpriced += 1
        else:
            self.cost_usd += cost

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_status(self) -> ExitStatus:
        if self.stop is not None:
            return ExitStatus.RATE_LIMITED
        return ExitStatus.FAILURE if self.failed else ExitStatus.SUCCESS


class Indices(AbstractSet[int]):
    """The item indices ``-o`` already holds, one bit each: resuming a 200,000-line file holds
    33 KiB instead of the 14 MiB of a set of ints (bench/resume.py). An index past ``DENSE``
    (only a hand-edited line has one) goes to a set, so such a line cannot make the bitmap huge."""

    DENSE = 1 << 27  # a bitmap of at most 16 MB

    def __init__(self) -> None:
        self._bits = bytearray()
        self._others: set[int] = set()
        self._count = 0

    def add(self, index: int) -> None:
        if not 0 <= index < self.DENSE:
            if index not in self._others:
                self._others.add(index)
                self._count += 1
            return
        byte, mask = index >> 3, 1 << (index & 7)
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1, 2 * len(self._bits)) - len(self._bits)))
        if not self._bits[byte] & mask:
            self._bits[byte] |= mask
            self._count += 1

    def __contains__(self, index: object) -> bool:
        if type(index) is not int:
            return False
        if not 0 <= index < self.DENSE:
            return index in self._others
        byte = index >> 3
        return byte < len(self._bits) and bool(self._bits[byte] & 1 << (index & 7))

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        for byte, bits in enumerate(self._bits):
            if bits:
                yield from (byte << 3 | bit for bit in range(8) if bits >> bit & 1)
        yield from sorted(self._others)


class OutputFile:
    """The ``-o`` file of one run. ``open()`` locks it, checks (and keeps) the record of the
    command that writes it, and returns the indices it already holds; ``write()`` may be called
    from any thread. ``claim()`` takes the lock first, for a run that must read something under
    it (a Batch API job, its state file) to set ``keep_errors``."""

    def __init__(self, path: Path, *, keep_errors: bool = False, streams: bool = True) -> None:
        self.path = path
        self.keep_errors = keep_errors
        self._streams = streams  # a FIFO or device is written as a stream, with nothing to resume
        self._name_lock: BaseFileLock | None = None
        self._identity_lock: BaseFileLock | None = None
        self._file: IO[str] | None = None
        self._write_lock = threading.Lock()

    def claim(self) -> None:
        """Take the lock on the name now rather than in ``open()``; a FIFO or a device has none."""
        try:
            target = resolved(self.path)
            if not is_special(target):
                self._name_lock = self._name_lock or _claim(target, self.path)
        except OSError as error:
            raise UsageError(f"--output {shorten(str(self.path))}: {error.strerror or error}") from None

    def open(self, recipe: Recipe | None = None) -> Indices:
        """``recipe``: the command about to write; None for a Batch API collection, which has
        no command line (its job was checked when it was submitted)."""
        try:
            target = resolved(self.path)
            if is_special(target):
                if not self._streams:
                    raise UsageError(f"--output {self.path} is not a regular file; a Batch API job needs one to resume from")
                self._file = self.path.open("a", encoding="utf-8")
                return Indices()
            self._name_lock = self._name_lock or _claim(target, self.path)
            if target.exists():
                refuse_read_only(target.stat(), target)
            self._append_to(target)
            stale = recipe is not None and run_record.check(recipe, target, self.path)
            present = self._scan(target)
            if recipe is not None and stale:
                run_record.write(recipe, target)
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
        for lock in (self._identity_lock, self._name_lock):
            if lock is not None:
                lock.release()
        self._identity_lock = self._name_lock = None

    def _append_to(self, target: Path) -> None:
        """Open the file for appending (creating it) and lock it by its identity too: a hard
        link is another name for the same file, and ``FILE.lock`` beside each name would let a
        run through each name write it at once. Called again after a rewrite (a new file), it
        locks that one and lets the old one go: what other names it has are another file now."""
        if self._file is not None:
            self._file.close()
        self._file = target.open("a", encoding="utf-8")
        identity = _lock_by_identity(os.fstat(self._file.fileno()), self.path)
        if self._identity_lock is not None:
            self._identity_lock.release()
        self._identity_lock = identity

    def _scan(self, target: Path) -> Indices:
        """The indices of the lines that stay; the file is rewritten without the others (a new
        file then, so it is opened and locked again)."""
        present = Indices()
        dropped = False
        with target.open("rb") as lines:
            for raw in lines:
                index = self._kept(raw, present)
                if index is None:
                    dropped = True
                else:
                    present.add(index)
        if dropped:
            self._rewrite(target)
            self._append_to(target)
        return present

    def _kept(self, raw: bytes, present: Indices) -> int | None:
        """The line's index if the line stays, else None."""
        if not raw.endswith(b"\n"):
            return None  # torn by a kill mid-write: the next line would be glued to it
        try:
            line: Any = json.loads(raw)
        except ValueError:
            return None
        index = line.get("index") if isinstance(line, dict) else None
        if type(index) is not int or index in present or (not self.keep_errors and "error" in line):
            return None
        return index

    def _rewrite(self, target: Path) -> None:
        """Keep only the lines that stay, through a synced temporary file renamed over the file."""
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        seen = Indices()
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
            if self._file is not None:  # Windows renames no file over one that is open
                self._file.close()
                self._file = None
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise


def _claim(target: Path, given: Path) -> BaseFileLock:
    """Lock the file (through ``FILE.lock`` beside it) for this run: a second run on the same
    file would send every item the first has not finished yet."""
    if not target.parent.is_dir():  # filelock would create the folders for its lock file
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(target.parent))
    return _locked(f"{target}.lock", given, "")


def _lock_by_identity(status: os.stat_result, given: Path) -> BaseFileLock | None:
    """The lock keyed on the file itself (device and file number, which ``os.stat`` gives on
    Windows too) in adp's cache folder, where every name of the file, in any folder, finds the
    same one. None where the file system numbers no files (st_ino 0) or the cache folder is
    unusable: then the name's own lock is all there is, as before."""
    if not status.st_ino:
        return None
    folder = cache_dir() / "output-locks"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return _locked(str(folder / f"{status.st_dev}-{status.st_ino}.lock"), given, " through another name (a hard link)")
    except OSError as error:
        log.info("no lock on --output by its identity (%s): %s", folder, error)
        return None


def _locked(lock_file: str, given: Path, how: str) -> BaseFileLock:
    from filelock import FileLock, Timeout

    lock = FileLock(lock_file, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise UsageError(
            f"--output {shorten(str(given))}: another adp run is writing to it{how} (it holds {shorten(lock.lock_file)}); "
            "let it finish, or choose another file"
        ) from None
    return lock
