"""Reading documents: a YAML/JSON/JSONL file or stdin, one item or a streamed batch.

A ``.jsonl`` file or a JSON array is a batch, even of one item, so a script always gets the
same output shape; anything else is one item. Batches are streamed, never loaded whole.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from adp_cli.errors import InputError

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # one document read whole; batches should be JSON Lines
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Source:
    """Where the items come from and whether they form a batch."""

    documents: Iterator[Any]
    batch: bool
    name: str


def open_source(path: str | None, stdin: IO[bytes] | None = None) -> Source:
    """Open INPUT (a path, ``-`` or nothing) and decide whether it is one item or a batch."""
    if path is None:
        return Source(iter([{}]), batch=False, name="flags")
    if path == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return _sniffed(stream, "stdin")
    file = Path(path)
    if file.is_dir():
        raise InputError(f"{path}: is a directory, not a YAML/JSON/JSONL file")
    try:
        handle = file.open("rb")
    except OSError as error:
        raise InputError(f"{path}: cannot open: {error.strerror or error}") from None
    suffix = file.suffix.lower()
    if suffix == ".jsonl":
        return Source(_json_lines(handle, path), batch=True, name=path)
    if suffix == ".json":
        return _json_source(handle, path)
    if suffix in (".yaml", ".yml"):
        return _yaml_source(_read_all(handle, path), path)
    return _sniffed(handle, path)


def _read_all(stream: IO[bytes], name: str) -> str:
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    stream.close()
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"{name}: larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; use JSON Lines for big batches")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{name}: not UTF-8 text (byte {error.start})") from None


def _sniffed(stream: IO[bytes], name: str) -> Source:
    """Stdin and unknown extensions: a JSON array, one JSON object, JSON Lines, or YAML."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)  # type: ignore[arg-type]
    head = _head(buffered)
    if head.startswith(b"["):
        return Source(_json_array(buffered, name), batch=True, name=name)
    if head.startswith(b"{"):
        text = _read_all(buffered, name)
        if _first_line_is_json(text):
            return Source(_json_lines(io.BytesIO(text.encode("utf-8")), name), batch=True, name=name)
        return _json_document(text, name)
    return _yaml_source(_read_all(buffered, name), name)


def _head(buffered: io.BufferedReader) -> bytes:
    """The start of the input past a BOM and blank space, read without consuming it."""
    return buffered.peek(_CHUNK)[:_CHUNK].lstrip(b"\xef\xbb\xbf \t\r\n")


def _first_line_is_json(text: str) -> bool:
    """JSON Lines, rather than one (possibly pretty-printed) object: the first line stands alone
    and something follows it."""
    first, _, rest = text.strip().partition("\n")
    if not rest.strip():
        return False
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        return False
    return True


def _json_document(text: str, name: str) -> Source:
    try:
        return Source(iter([json.loads(text)]), batch=False, name=name)
    except json.JSONDecodeError as error:
        raise InputError(f"{name}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None
    except ValueError as error:  # e.g. an integer beyond Python's digit limit
        raise InputError(f"{name}: invalid JSON value: {error}") from None
    except RecursionError:
        raise InputError(f"{name}: JSON nested too deeply") from None


def _json_source(handle: IO[bytes], name: str) -> Source:
    buffered = io.BufferedReader(handle)  # type: ignore[arg-type]
    if _head(buffered).startswith(b"["):
        return Source(_json_array(buffered, name), batch=True, name=name)
    return _json_document(_read_all(buffered, name), name)


def parse_yaml(text: str, name: str) -> Any:
    """``yaml.safe_load`` with every way it can fail (bad syntax, a 13th month, a 5000-digit int,
    deep nesting) turned into one InputError line."""
    import yaml

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"{name}: invalid YAML{where}: {problem}") from None
    except RecursionError:
        raise InputError(f"{name}: YAML nested too deeply") from None
    except Exception as error:
        raise InputError(f"{name}: invalid YAML value: {type(error).__name__}: {error}") from None


def _yaml_source(text: str, name: str) -> Source:
    if not text.strip():
        raise InputError(f"{name}: empty input")
    document = parse_yaml(text, name)
    if isinstance(document, list):
        return Source(iter(document), batch=True, name=name)
    return Source(iter([document]), batch=False, name=name)


class ItemError(InputError):
    """One unreadable line of a batch: it becomes that item's error line, the rest go on."""


def _json_lines(stream: IO[bytes], name: str) -> Iterator[Any]:
    """One document per non-blank line; a bad line yields an ItemError in its place."""
    with stream:
        for number, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            try:
                yield json.loads(raw.decode("utf-8-sig"))
            except UnicodeDecodeError:
                yield ItemError(f"{name} line {number}: not UTF-8 text")
            except json.JSONDecodeError as error:
                yield ItemError(f"{name} line {number}: invalid JSON: {error.msg} (column {error.colno})")
            except ValueError as error:
                yield ItemError(f"{name} line {number}: invalid JSON value: {error}")
            except RecursionError:
                yield ItemError(f"{name} line {number}: JSON nested too deeply")


def _json_array(stream: IO[bytes], name: str) -> Iterator[Any]:
    """The elements of a top-level JSON array, decoded one at a time from a sliding buffer."""
    decoder = json.JSONDecoder()
    reader = io.TextIOWrapper(stream, encoding="utf-8-sig")  # type: ignore[arg-type]
    buffer, position, opened, eof = "", 0, False, False
    with reader:
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n,":
                position += 1
            if not opened and position < len(buffer):
                if buffer[position] != "[":
                    raise InputError(f"{name}: expected a JSON array")
                opened, position = True, position + 1
                continue
            if position < len(buffer) and buffer[position] == "]":
                return
            if position < len(buffer):
                try:
                    document, end = decoder.raw_decode(buffer, position)
                except json.JSONDecodeError as error:
                    if eof or len(buffer) - position > MAX_DOCUMENT_BYTES:
                        raise InputError(f"{name}: invalid JSON array element: {error.msg}") from None
                    document = None
                    end = -1
                except ValueError as error:
                    raise InputError(f"{name}: invalid JSON array element: {error}") from None
                except RecursionError:
                    raise InputError(f"{name}: JSON nested too deeply") from None
                if end >= 0 and (eof or (end < len(buffer) and buffer[end] in " \t\r\n,]")):
                    yield document
                    buffer, position = buffer[end:], 0
                    continue
            if eof:
                raise InputError(f"{name}: JSON array is not closed")
            try:
                chunk = reader.read(_CHUNK)
            except UnicodeDecodeError as error:
                raise InputError(f"{name}: not UTF-8 text (byte {error.start})") from None
            eof = not chunk
            buffer = buffer[position:] + chunk
            position = 0
