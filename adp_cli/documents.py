"""Reading documents: a YAML/JSON/JSONL file or stdin, one item or a streamed batch.

A ``.jsonl`` file or a JSON array is a batch, even of one item, so a script always gets the
same output shape; anything else is one item. Batches are streamed, never loaded whole, stdin
too: one JSON object is told from JSON Lines by the first line and the byte after it.
Readings that would hide a mistake are errors: a key given twice in one mapping (JSON and YAML
keep the last one silently), text after the closing ``]`` of an array.
"""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import IO, Any, cast

from adp_cli.errors import InputError
from adp_cli.streams import Rejoined
from adp_cli.text import quote, shorten

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # one document read whole; batches should be JSON Lines
_CHUNK = 64 * 1024
_SPACE = b" \t\r\n"  # what JSON calls whitespace
_BLANK = b"\xef\xbb\xbf" + _SPACE  # and a BOM before the text


@dataclass(frozen=True)
class Source:
    """Where the items come from and whether they form a batch."""

    documents: Iterator[Any]
    batch: bool
    name: str
    live: bool = False  # a pipe, FIFO or terminal: reading may wait on whoever writes it


def stdin_bytes() -> IO[bytes]:
    """The process's standard input as bytes; closed (``adp casual - <&-``) is an input error."""
    if sys.stdin is None:
        raise InputError("stdin is closed: give a file, or pipe the input in")
    try:
        # A reader of its own on the descriptor: a batch reads on a thread of its own, and the
        # interpreter aborts at exit if such a thread waits in a read holding the lock of
        # sys.stdin's buffer ("could not acquire lock ... at interpreter shutdown").
        return open(sys.stdin.fileno(), "rb", closefd=False)
    except (OSError, ValueError):  # a stdin with no descriptor (io.UnsupportedOperation): tests
        return sys.stdin.buffer


def input_status(path: str) -> os.stat_result | None:
    """What INPUT (a path, or ``-``: whatever stdin reads from) is on disk, without reading a
    byte of it; None when that cannot be told (no such file, no stdin descriptor)."""
    try:
        if path != "-":
            return os.stat(path)
        return os.fstat(sys.stdin.fileno()) if sys.stdin is not None else None
    except (OSError, ValueError):  # io.UnsupportedOperation (stdin without a descriptor) too
        return None


FORMATS = ("json", "jsonl", "yaml", "csv")


def open_source(path: str | None, stdin: IO[bytes] | None = None, *, fmt: str | None = None, keep: frozenset[str] = frozenset()) -> Source:
    """Open INPUT (a path, ``-`` or nothing) and decide whether it is one item or a batch:
    by ``fmt`` (``--format``) when given, else by the file's extension, else by sniffing.
    ``keep``: columns of a CSV file that are no wizard field but go to the output lines."""
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if path is None:
        return Source(iter([{}]), batch=False, name="flags")
    if path == "-":
        stream = stdin if stdin is not None else stdin_bytes()
        live = _may_wait(stream)
        return replace(_sniffed(stream, "stdin") if fmt is None else _formatted(stream, "stdin", fmt, keep), live=live)
    file, name = Path(path), shorten(path)
    try:
        if file.is_dir():
            raise InputError(f"{name}: is a directory, not a YAML/JSON/JSONL file")
        handle = file.open("rb")
    except OSError as error:  # also a name too long for the file system
        raise InputError(f"{name}: cannot open: {error.strerror or error}") from None
    live = _may_wait(handle)
    by_suffix = {".jsonl": "jsonl", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
    chosen = fmt or by_suffix.get(file.suffix.lower())
    return replace(_sniffed(handle, name) if chosen is None else _formatted(handle, name, chosen, keep), live=live)


def _may_wait(stream: IO[bytes]) -> bool:
    """Whether a read may wait for a writer: anything but a regular file (or memory)."""
    try:
        return not stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):  # no descriptor: an in-memory stream
        return False


def _formatted(handle: IO[bytes], name: str, fmt: str, keep: frozenset[str]) -> Source:
    if fmt == "jsonl":
        return Source(_json_lines(handle, name), batch=True, name=name)
    if fmt == "json":
        return _json_source(handle, name)
    if fmt == "yaml":
        return _yaml_source(_read_all(handle, name), name)
    return Source(_csv_rows(handle, name, keep), batch=True, name=name)


def _csv_rows(handle: IO[bytes], name: str, keep: frozenset[str]) -> Iterator[Any]:
    """A CSV file's rows, streamed: each a wizard document with its kept columns beside its
    fields, or the row's error in its place (imported here: only CSV input needs it)."""
    from adp_cli.csv_rows import RowError, csv_documents

    with io.TextIOWrapper(cast(Any, handle), encoding="utf-8-sig", newline="") as text:
        for row in csv_documents(text, name, keep):
            yield row if isinstance(row, RowError) else {**row.document, **row.kept}


def _read_all(stream: IO[bytes], name: str) -> str:
    try:
        with stream:
            data = stream.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as error:  # EIO and the like, e.g. /proc/self/mem
        raise InputError(f"{name}: cannot read: {error.strerror or error}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"{name}: larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; use JSON Lines for big batches")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{name}: not UTF-8 text (byte {error.start})") from None


def _sniffed(stream: IO[bytes], name: str) -> Source:
    """Stdin and unknown extensions: a JSON array, one JSON object, JSON Lines, or YAML."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(cast(Any, stream))
    head = _head(buffered, name)
    if head.startswith(b"["):
        return Source(_json_array(buffered, name), batch=True, name=name)
    if head.startswith(b"{"):
        return _object_or_lines(buffered, name)
    return _yaml_source(_read_all(buffered, name), name)


def _head(buffered: io.BufferedReader[Any], name: str) -> bytes:
    """The start of the input past a BOM and blank space, read without consuming it."""
    try:
        return buffered.peek(_CHUNK)[:_CHUNK].lstrip(_BLANK)
    except OSError as error:
        raise InputError(f"{name}: cannot read: {error.strerror or error}") from None


def _object_or_lines(buffered: io.BufferedReader, name: str) -> Source:
    """JSON Lines, rather than one (possibly pretty-printed) object, when the first line stands
    alone as JSON and something follows it. Only that much is read to tell, so JSON Lines
    stream from a pipe as from a file: a producer's first line is answered once its second
    begins to arrive (until then it may be the one object of a one-shot)."""
    read = bytearray()
    line = b""
    while not line.strip(_BLANK):  # blank lines before it: _head saw the "{" within _CHUNK
        line = _read(buffered.readline, MAX_DOCUMENT_BYTES + 1, name)
        if not line:
            break
        read += line
    lines = _stands_alone(line) and _more_follows(buffered, read, name)
    whole = io.BufferedReader(Rejoined(bytes(read), buffered))
    if lines:
        return Source(_json_lines(whole, name), batch=True, name=name)
    return _json_document(_read_all(whole, name), name)


def _stands_alone(line: bytes) -> bool:
    try:
        json.loads(line.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # UnicodeDecodeError too
        return False
    return True


def _more_follows(buffered: io.BufferedReader, read: bytearray, name: str) -> bool:
    """Whether more than blank space follows what was read; blank space read on the way is
    added to ``read``, so line numbers stay right. Reads no further than the next non-blank
    byte: on a pipe, that may be all the producer has sent so far."""
    while len(read) <= MAX_DOCUMENT_BYTES:
        ahead = _read(buffered.peek, 1, name)
        if not ahead:
            return False
        if ahead.lstrip(_SPACE):
            return True
        read += buffered.read(len(ahead))
    return False  # a document read whole would be larger than the limit: _read_all says so


def _read(method: Callable[[int], bytes], size: int, name: str) -> bytes:
    try:
        return method(size)
    except OSError as error:
        raise InputError(f"{name}: cannot read: {error.strerror or error}") from None


class _KeyCheck:
    """An ``object_pairs_hook``: builds each object as ``json`` does, and notes the first key an
    object gives twice, so the caller can refuse that document (and only that one)."""

    def __init__(self) -> None:
        self.repeated: list[str] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        built = dict(pairs)
        if len(built) < len(pairs) and not self.repeated:
            self.repeated.append(_first_repeated(key for key, _ in pairs))
        return built

    def problem(self) -> str | None:
        """What was wrong with the document just decoded, if anything; resets for the next."""
        if not self.repeated:
            return None
        key = self.repeated.pop()
        return f"duplicate key {quote(key, 80)} (a key may appear once per object)"


def _first_repeated(keys: Iterable[Any]) -> Any:
    seen: set[Any] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    raise ValueError("no key is repeated")


def _json_document(text: str, name: str) -> Source:
    check = _KeyCheck()
    try:
        document = json.loads(text, object_pairs_hook=check)
    except json.JSONDecodeError as error:
        raise InputError(f"{name}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None
    except ValueError as error:  # e.g. an integer beyond Python's digit limit
        raise InputError(f"{name}: invalid JSON value: {error}") from None
    except RecursionError:
        raise InputError(f"{name}: JSON nested too deeply") from None
    if problem := check.problem():
        raise InputError(f"{name}: {problem}")
    return Source(iter([document]), batch=False, name=name)


def _json_source(handle: IO[bytes], name: str) -> Source:
    buffered = io.BufferedReader(cast(Any, handle))
    if _head(buffered, name).startswith(b"["):
        return Source(_json_array(buffered, name), batch=True, name=name)
    return _json_document(_read_all(buffered, name), name)


@cache
def _strict_loader() -> type:
    """yaml's safe loader (the C one where built), refusing a mapping that gives a key twice:
    yaml itself keeps the last. Keys merged in with ``<<`` may be overridden, as YAML intends."""
    import yaml
    from yaml.constructor import ConstructorError

    class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value if isinstance(node, yaml.MappingNode) else ():
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    repeated = key in seen
                    seen.add(key)
                except TypeError:  # unhashable: the base class reports it
                    continue
                if repeated:
                    raise ConstructorError(
                        "while constructing a mapping", node.start_mark, f"duplicate key {quote(key, 80)}", key_node.start_mark
                    )
            return super().construct_mapping(node, deep)

    return StrictLoader


def parse_yaml(text: str, name: str) -> Any:
    """``yaml.safe_load`` with every way it can fail (bad syntax, a 13th month, a 5000-digit int,
    deep nesting, a key given twice) turned into one InputError line."""
    import yaml

    try:
        return yaml.load(text, Loader=_strict_loader())
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
    check = _KeyCheck()
    decoder = json.JSONDecoder(object_pairs_hook=check)
    with stream:
        for number, raw in enumerate(_read_lines(stream, name), 1):
            if not raw.strip():
                continue
            try:
                document = _decoded(decoder, raw.decode("utf-8-sig"))
                problem = check.problem()
                yield document if problem is None else ItemError(f"{name} line {number}: {problem}")
            except UnicodeDecodeError:
                yield ItemError(f"{name} line {number}: not UTF-8 text")
            except json.JSONDecodeError as error:
                yield ItemError(f"{name} line {number}: invalid JSON: {error.msg} (column {error.colno})")
            except ValueError as error:
                yield ItemError(f"{name} line {number}: invalid JSON value: {error}")
            except RecursionError:
                yield ItemError(f"{name} line {number}: JSON nested too deeply")


def _decoded(decoder: json.JSONDecoder, text: str) -> Any:
    """``json.loads(text, object_pairs_hook=...)`` with one decoder for a whole batch: given a
    hook, ``json.loads`` builds a decoder for every call (a fifth of decoding a big batch). The
    same refusal of a BOM left at the start, the same decoding."""
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return decoder.decode(text)


def _read_lines(stream: IO[bytes], name: str) -> Iterator[bytes]:
    """The stream's lines; a read error (EIO) stops the whole input with one line."""
    try:
        yield from stream
    except OSError as error:
        raise InputError(f"{name}: cannot read: {error.strerror or error}") from None


def _read_chunk(reader: io.TextIOWrapper, name: str) -> str:
    try:
        return reader.read(_CHUNK)
    except UnicodeDecodeError as error:
        raise InputError(f"{name}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise InputError(f"{name}: cannot read: {error.strerror or error}") from None


def _nothing_after(reader: io.TextIOWrapper, rest: str, name: str) -> None:
    """Only blank space may follow the array's closing ``]``: anything else is a damaged file or
    two documents run together, and its items would be lost without a word."""
    while rest:
        if rest.strip():
            raise InputError(f"{name}: text after the closing ] of the JSON array: {quote(rest.strip(), 40)}")
        rest = _read_chunk(reader, name)


def _json_array(stream: IO[bytes], name: str) -> Iterator[Any]:
    """The elements of a top-level JSON array, decoded one at a time from a sliding buffer."""
    check = _KeyCheck()
    decoder = json.JSONDecoder(object_pairs_hook=check)
    reader = io.TextIOWrapper(cast(Any, stream), encoding="utf-8-sig")
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
                _nothing_after(reader, buffer[position + 1 :] or _read_chunk(reader, name), name)
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
                    problem = check.problem()
                    yield document if problem is None else ItemError(f"{name}: JSON array element: {problem}")
                    buffer, position = buffer[end:], 0
                    continue
            if eof:
                raise InputError(f"{name}: JSON array is not closed")
            chunk = _read_chunk(reader, name)
            eof = not chunk
            buffer = buffer[position:] + chunk
            position = 0
