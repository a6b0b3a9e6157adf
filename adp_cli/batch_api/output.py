"""The ``-o`` file of a Batch API job: which items it already holds, and appending lines to it.

A job collects batch after batch into the same file, over several runs, so unlike a synchronous
resume (which drops error lines to send those items again) a job in progress keeps its error
lines: they are the collected outcome of its batches. Either way a line torn by a kill is
dropped. Everything is streamed: the file is read line by line and, only when a line must go,
rewritten through a temporary file that replaces it atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from adp_cli.batch import Line
from adp_cli.errors import UsageError


def _index_of(raw: bytes, keep_errors: bool) -> int | None:
    """The line's item index if the line stays, else None."""
    if not raw.endswith(b"\n"):
        return None  # torn by a kill mid-write: the next line would be glued to it
    try:
        line: Any = json.loads(raw)
    except ValueError:
        return None
    index = line.get("index") if isinstance(line, dict) else None
    if type(index) is not int or (not keep_errors and "error" in line):
        return None
    return index


def scan(output: Path, *, keep_errors: bool) -> set[int]:
    """The indices ``output`` holds a line for; lines that must go are removed first."""
    if not output.exists():
        return set()
    if not output.is_file():
        raise UsageError(f"--output {output} is not a regular file; a Batch API job needs one to resume from")
    present: set[int] = set()
    dropped = False
    try:
        with output.open("rb") as lines:
            for raw in lines:
                index = _index_of(raw, keep_errors)
                if index is None:
                    dropped = True
                else:
                    present.add(index)
        if dropped:
            _rewrite(output, keep_errors)
    except OSError as error:
        raise UsageError(f"--output {output}: {error.strerror or error}") from None
    return present


def _rewrite(output: Path, keep_errors: bool) -> None:
    """Keep only the lines that stay, through a synced temporary file renamed over the original."""
    fd, temp_name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as kept, output.open("rb") as lines:
            for raw in lines:
                if _index_of(raw, keep_errors) is not None:
                    kept.write(raw)
            kept.flush()
            os.fsync(kept.fileno())
        os.replace(temp_name, output)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


class Appender:
    """Lines appended to ``-o`` as they are collected, one flushed write each, so a kill loses at
    most the line being written (and ``scan`` drops it)."""

    def __init__(self, output: Path) -> None:
        self._path = output
        try:
            self._file: IO[str] = output.open("a", encoding="utf-8")
        except OSError as error:
            raise UsageError(f"--output {output}: {error.strerror or error}") from None

    def write(self, line: Line) -> None:
        try:
            self._file.write(json.dumps(line.fields, ensure_ascii=False) + "\n")
            self._file.flush()
        except OSError as error:
            raise UsageError(f"cannot write --output {self._path}: {error.strerror or error}; rerun to resume") from None

    def close(self) -> None:
        try:
            self._file.close()
        except OSError:  # the flush of a full disk, already reported by write
            pass
