"""Groq's Files and Batches endpoints for the loopback stub, so batch runs meet a real lifecycle.

A batch walks validating -> in_progress -> finalizing -> completed (or failed, expired, cancelling ->
cancelled) on a compressed clock: every phase lasts a configurable number of seconds and one Groq
hour of the completion window lasts ``Timings.hour`` seconds. Nothing runs in the background: the
state is worked out from the clock whenever a client looks, so a test can also drive a
``ManualClock``. Result files are generated line by line as they stream out and are the same on
every download. Which behaviour follows Groq's documentation and which follows OpenAI's (where
Groq's is unpublished) is in the research note groq-batch-api.md. Standard library only.

On a ``GroqStub(today=True)`` every line is judged as today's Groq would judge the chat (a
retired model's line fails alone with a 404 ``model_not_found`` body) and every result body carries
today's usage: reasoning tokens out of ``max_tokens``, and cached prompt tokens from a cache that
starts empty for each batch and fills in the order the lines ran.

It can also misbehave on purpose: an upload or a batch create that is done but whose answer is
lost (``lose_answers``: a 500 or a late answer after the work), result lines that are not what
Groq writes (``RawLine``), and a batch list whose cursor never ends (``list_loop``).

    with GroqStub() as stub:
        batches = BatchAPI(stub, timings=Timings(in_progress=0.2))
        batches.outcome = lambda index, custom_id, body: model_not_found("x") if index == 3 else None
        client = Groq(api_key="gsk_test", base_url=stub.base_url)
        upload = client.files.create(file=("in.jsonl", data), purpose="batch")
        batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions",
                                      completion_window="24h")
"""

from __future__ import annotations

import base64
import json
import random
import re
import secrets
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from tests.support.groqstub import GroqStub, Recorded, Reply, chat_body, server_error

if TYPE_CHECKING:
    from tests.support.groqtoday import Today

CHAT_ENDPOINT = "/v1/chat/completions"
API_PREFIX = "/openai/v1/"
# Groq's guide says 50,000 lines and 200MB; its API reference and the SDK say 100 MB. The stricter pair.
MAX_REQUESTS = 50_000
MAX_BYTES = 100_000_000
MIN_WINDOW_HOURS = 24
MAX_WINDOW_HOURS = 7 * 24
MAX_LISTED_IDS = 200
CUSTOM_ID_SLOT = "@custom_id@"
LIST_LOOPS = ("same_cursor", "same_page", "new_ids")
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
CANCELLABLE = frozenset({"validating", "in_progress", "finalizing"})
UNREACHED_MESSAGES = {
    "batch_expired": "This request could not be executed before the completion window expired.",
    "batch_cancelled": "This request could not be executed before the batch was cancelled.",
}
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_LINES_PER_CHUNK = 512
_FILE_CHUNK = 1 << 20


@dataclass(frozen=True)
class Timings:
    """Seconds each phase lasts; ``in_progress`` runs every line, ``hour`` is one hour of the window."""

    validating: float = 0.05
    in_progress: float = 0.2
    finalizing: float = 0.05
    cancelling: float = 0.05
    hour: float = 2.5  # a 24h window lasts 60 s, 7d 420 s


@dataclass
class BatchScript:
    """How the next created batch goes, beyond the defaults.

    ``stop_after`` stalls processing after that many lines (Groq short of capacity), so the batch
    expires with exactly the rest unfinished; ``validation_errors`` makes the batch fail validation
    with those ``errors.data`` entries (see ``validation_error``)."""

    timings: Timings | None = None
    stop_after: int | None = None
    validation_errors: list[dict] | None = None


@dataclass(frozen=True)
class RawLine:
    """A result line exactly as written here, for a test of what adp makes of a damaged result
    file (text, a list, a record without a usable response); ``@custom_id@`` in it becomes the
    request's custom_id as JSON. It goes to the output file."""

    text: str

    def line(self, custom_id: str) -> str:
        return self.text.replace(CUSTOM_ID_SLOT, json.dumps(custom_id))


@dataclass(frozen=True)
class LostAnswer:
    """How the next upload or batch create goes wrong on the way back (a gateway failing behind
    Groq): with ``created`` the file or batch is made first, then the client gets ``reply`` (a
    500 by default) or, with ``delay``, the real answer that many seconds late (past its
    timeout); without ``created`` nothing is made and ``reply`` is the answer."""

    created: bool = True
    reply: Reply = field(default_factory=server_error)
    delay: float | None = None


Scripted = Reply | RawLine


@dataclass
class Counters:
    """What clients did, so tests can check that a resumed run did not upload or submit twice."""

    uploads: int = 0
    rejected_uploads: int = 0
    lines_uploaded: int = 0
    batches_created: int = 0
    cancels: int = 0
    retrieves: int = 0
    lists: int = 0
    downloads: int = 0
    deletes: int = 0


class ManualClock:
    """A clock that moves only when told, for tests that must see each status without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def validation_error(code: str, message: str, line: int | None = None, param: str | None = None) -> dict:
    """One ``errors.data`` entry of a batch that failed validation, in the SDK's ``ErrorsData`` shape."""
    return {"code": code, "message": message, "param": param, "line": line}


def _groq_id(prefix: str) -> str:
    """Groq's ids are ULID-like: ``batch_01jh6xa7reempvjyh6n3yst2zw`` (26 base32 characters)."""
    return prefix + "01" + "".join(secrets.choice(_CROCKFORD) for _ in range(24))


def _invalid(message: str, code: str, param: str | None = None, status: int = 400) -> Reply:
    error: dict = {"message": message, "type": "invalid_request_error", "code": code}
    if param is not None:
        error["param"] = param
    return Reply(status=status, body={"error": error})


def not_available_for_plan() -> Reply:
    """What a free-tier key gets from the Files and Batches endpoints (message text unconfirmed)."""
    return Reply(
        status=403,
        body={
            "error": {
                "message": "The Batch API is not available for your plan. Please upgrade to use it.",
                "type": "permissions_error",
                "code": "not_available_for_plan",
            }
        },
    )


def _not_found(kind: str, object_id: str) -> Reply:
    return _invalid(f"{kind} with id '{object_id}' not found", "not_found", status=404)


@dataclass(frozen=True)
class _Span:
    """A stretch of a request body, kept without copying: an upload is stored as the body it came in."""

    data: bytes
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start

    def text(self) -> str:
        return self.data[self.start : self.end].decode("utf-8", "replace")

    def chunks(self) -> Iterator[bytes]:
        for offset in range(self.start, self.end, _FILE_CHUNK):
            yield self.data[offset : min(offset + _FILE_CHUNK, self.end)]


def _form_fields(content_type: str, raw: bytes) -> dict[str, tuple[str | None, _Span]]:
    """A multipart/form-data body as name -> (filename, value); by hand, because the stdlib email
    parser would copy a 40 MB upload several times over."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/form-data") or boundary is None:
        return {}
    delimiter = b"--" + boundary.group(1).encode("latin-1")
    fields: dict[str, tuple[str | None, _Span]] = {}
    position = raw.find(delimiter)
    while position != -1 and not raw.startswith(b"--", position + len(delimiter)):
        head_start = position + len(delimiter) + 2
        head_end = raw.find(b"\r\n\r\n", head_start)
        next_part = raw.find(b"\r\n" + delimiter, head_end)
        if head_end == -1 or next_part == -1:
            break
        head = raw[head_start:head_end].decode("utf-8", "replace")
        name = re.search(r'\bname="([^"]*)"', head)
        filename = re.search(r'\bfilename="([^"]*)"', head)
        if name is not None:
            fields[name.group(1)] = (
                filename.group(1) if filename else None,
                _Span(raw, head_end + 4, next_part),
            )
        position = next_part + 2
    return fields


def _window_hours(window: object) -> int | None:
    """Hours in a completion window such as ``24h`` or ``7d``, or None outside Groq's 24h..7d."""
    match = re.fullmatch(r"(\d+)([hd])", window) if isinstance(window, str) else None
    if match is None:
        return None
    hours = int(match.group(1)) * (24 if match.group(2) == "d" else 1)
    return hours if MIN_WINDOW_HOURS <= hours <= MAX_WINDOW_HOURS else None


class _LineError(Exception):
    """The first bad line of an upload, reported the way a batch's ``errors.data`` would."""

    def __init__(self, line: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.line, self.code, self.message, self.param = line, code, message, param


def _check_line(number: int, raw_line: bytes, seen: set[str]) -> tuple[str, str]:
    """The custom_id and model of one request line, or the _LineError Groq would report for it."""
    try:
        request = json.loads(raw_line)
    except ValueError:
        request = None
    if not isinstance(request, dict):
        raise _LineError(number, "invalid_json_line", "This line is not parseable as valid JSON.")
    custom_id = request.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise _LineError(
            number, "missing_required_parameter", "Missing required parameter: 'custom_id'.", "custom_id"
        )
    if custom_id in seen:
        raise _LineError(
            number,
            "duplicate_custom_id",
            "The custom_id for this request is a duplicate of another request. "
            "The custom_id parameter must be unique for each request in a batch.",
            "custom_id",
        )
    method = request.get("method")
    if method != "POST":
        raise _LineError(
            number, "invalid_method", f"Invalid value: '{method}'. Supported values are: 'POST'", "method"
        )
    url = request.get("url")
    if url != CHAT_ENDPOINT:
        raise _LineError(
            number, "invalid_url", f"Invalid value: '{url}'. Supported values are: '{CHAT_ENDPOINT}'", "url"
        )
    body = request.get("body")
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, str) or not model:
        raise _LineError(
            number, "missing_required_parameter", "Missing required parameter: 'body.model'.", "body.model"
        )
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages:
        raise _LineError(
            number,
            "missing_required_parameter",
            "Missing required parameter: 'body.messages'.",
            "body.messages",
        )
    seen.add(custom_id)
    return custom_id, model


@dataclass
class _File:
    """A stored file: uploaded bytes, or result lines generated on demand (``bytes`` counted once)."""

    id: str
    filename: str
    purpose: str
    created_at: int
    content: _Span | None = None
    generate: Callable[[], Iterator[bytes]] | None = None
    size: int | None = None

    def chunks(self) -> Iterator[bytes]:
        if self.content is not None:
            return self.content.chunks()
        return self.generate() if self.generate is not None else iter(())

    def info(self) -> dict:
        if self.size is None:
            self.size = (
                len(self.content) if self.content is not None else sum(len(chunk) for chunk in self.chunks())
            )
        return {
            "id": self.id,
            "object": "file",
            "bytes": self.size,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
        }


@dataclass
class _Requests:
    """A validated input file's lines: where each starts in the upload, its custom_id and model (bodies
    are re-read when a script or a content callable needs them)."""

    data: bytes
    starts: array
    custom_ids: list[str]
    models: list[str]

    @property
    def count(self) -> int:
        return len(self.custom_ids)

    def body(self, index: int) -> dict:
        return json.loads(self.data[self.starts[index] : self.starts[index + 1]])["body"]


def _parse_requests(upload: _Span) -> _Requests:
    """Validate an upload line by line without splitting it into 100,000 copies."""
    data, end = upload.data, upload.end
    while end > upload.start and data[end - 1] in b" \t\r\n":
        end -= 1
    if end == upload.start:
        raise _LineError(0, "empty_file", "The batch input file is empty.")
    starts = array("Q")
    custom_ids: list[str] = []
    models: list[str] = []
    seen: set[str] = set()
    interned: dict[str, str] = {}
    position = upload.start
    while position < end:
        newline = data.find(b"\n", position, end)
        stop = end if newline == -1 else newline + 1
        custom_id, model = _check_line(len(custom_ids) + 1, data[position:stop], seen)
        starts.append(position)
        custom_ids.append(custom_id)
        models.append(interned.setdefault(model, model))
        position = stop
    starts.append(end)
    return _Requests(data, starts, custom_ids, models)


def _error_body(reply: Reply) -> dict:
    """A scripted per-request error's Groq body; a bare status gets the generic envelope."""
    if isinstance(reply.body, dict):
        return reply.body
    kind = "invalid_request_error" if reply.status < 500 else "internal_server_error"
    return {"error": {"message": _REASONS.get(reply.status) or HTTPStatus(reply.status).phrase, "type": kind}}


# The reasons the stand-in writes, fixed: Python 3.13 renamed 422's phrase ("Unprocessable
# Content"), and Groq's bodies do not change with the Python a test runs on.
_REASONS = {400: "Bad Request", 404: "Not Found", 422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error"}


@dataclass(frozen=True)
class _Moment:
    """A batch as seen at one instant: status, lines run so far, and when each status began."""

    status: str
    processed: int
    began: dict[str, float]


@dataclass
class _Batch:
    id: str
    input_file_id: str
    requests: _Requests
    completion_window: str
    window_hours: int
    metadata: dict | None
    created: float
    created_wall: float
    timings: Timings
    stop_after: int | None
    validation_errors: list[dict] | None
    order: array
    overrides: dict[int, Scripted]
    failed_before: array | None
    cancel_at: float | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    settled: bool = False

    def failures_in(self, processed: int) -> int:
        return self.failed_before[processed] if self.failed_before is not None else 0

    def processed_by(self, since_created: float) -> int:
        """Lines run by then: processing spreads the whole file evenly over ``in_progress`` seconds."""
        count = self.requests.count
        cap = count if self.stop_after is None else min(self.stop_after, count)
        running = since_created - self.timings.validating
        if running <= 0:
            return 0
        if self.timings.in_progress <= 0:
            return cap
        return min(cap, int(count * running / self.timings.in_progress))

    def natural_path(self) -> list[tuple[float, str]]:
        """Status changes, uncancelled: completion if every line runs inside the window, else expiry."""
        timings = self.timings
        if self.validation_errors:
            return [(0.0, "validating"), (timings.validating, "failed")]
        window = self.window_hours * timings.hour
        count = self.requests.count
        cap = count if self.stop_after is None else min(self.stop_after, count)
        all_run = timings.validating + (timings.in_progress * cap / count if count else 0.0)
        if cap == count and all_run <= window:
            return [
                (0.0, "validating"),
                (timings.validating, "in_progress"),
                (all_run, "finalizing"),
                (all_run + timings.finalizing, "completed"),
            ]
        path = [(0.0, "validating")]
        if timings.validating < window:
            path.append((timings.validating, "in_progress"))
        return [*path, (window, "expired")]

    def moment(self, now: float) -> _Moment:
        since = now - self.created
        path = self.natural_path()
        if self.cancel_at is not None:
            cancelled = self.cancel_at - self.created
            path = [step for step in path if step[0] <= cancelled]
            path += [(cancelled, "cancelling"), (cancelled + self.timings.cancelling, "cancelled")]
        reached = [(start, status) for start, status in path if start <= since]
        status = reached[-1][1] if reached else "validating"
        began = {name: start for start, name in reached}
        return _Moment(status, self._processed(status, since, began), began)

    def _processed(self, status: str, since: float, began: dict[str, float]) -> int:
        """Lines run: none if validation failed, all once finalizing began, else as many as had run
        when processing stopped (expiry, cancel) or by now."""
        if status == "failed":
            return 0
        if "finalizing" in began:
            return self.requests.count
        return self.processed_by(began.get("expired", began.get("cancelling", since)))


class _LineRenderer:
    """Writes result lines fast: the success line is a template cut from ``chat_body``'s own output,
    so 100,000 lines cost a few string joins each and keep Groq's exact shape."""

    _SLOT = re.compile(r'"@@(\w+)@@"')

    def __init__(self, batch: _Batch, run: array, stub: GroqStub, created: int) -> None:
        body = chat_body("@@content@@", "@@model@@", stub.prompt_tokens, stub.completion_tokens)
        body["id"] = "@@completion_id@@"
        body["created"] = created
        body["x_groq"] = {"id": "@@request_id@@"}
        line = {
            "id": "@@line_id@@",
            "custom_id": "@@custom_id@@",
            "response": {"status_code": 200, "request_id": "@@request_id@@", "body": body},
            "error": None,
        }
        self._parts = self._SLOT.split(json.dumps(line))
        self._batch = batch
        self._stem = batch.id.removeprefix("batch_")[:18]
        self._completion_stem = secrets.token_hex(10)
        self._contents = self._contents_for(batch, run, stub)
        self._models: dict[str, str] = {}
        # Today's Groq renders each line's own usage (reasoning, cache) from its request body.
        self._stub, self._today = stub, stub.today
        self._fingerprint = body["system_fingerprint"]
        self._created = created
        self._uncached = (
            set()
            if self._today is None
            else self._today.first_of_each_prefix(
                (index, batch.requests.body(index)) for index in run if index not in batch.overrides
            )
        )

    @staticmethod
    def _contents_for(batch: _Batch, run: array, stub: GroqStub) -> Callable[[int], str]:
        """The reply text per line, fixed now so that every download of a file is the same."""
        content = stub.content
        if not callable(content):
            return lambda index: content
        texts = {index: content(batch.requests.body(index)) for index in run if index not in batch.overrides}
        return texts.__getitem__

    def _line_id(self, index: int) -> str:
        return f"batch_req_{self._stem}{index:08x}"

    def _request_id(self, index: int) -> str:
        return f"req_{self._stem}{index:08x}"

    def _completion_id(self, index: int) -> str:
        stem = self._completion_stem
        return f"chatcmpl-{stem[:8]}-{stem[8:12]}-{stem[12:16]}-{stem[16:20]}-{index:012x}"

    def success(self, index: int) -> str:
        if self._today is not None:
            return self._today_success(self._today, index)
        requests = self._batch.requests
        model = requests.models[index]
        slots = {
            "line_id": f'"{self._line_id(index)}"',
            "request_id": f'"{self._request_id(index)}"',
            "completion_id": f'"{self._completion_id(index)}"',
            "custom_id": json.dumps(requests.custom_ids[index]),
            "content": json.dumps(self._contents(index)),
            "model": self._models.setdefault(model, json.dumps(model)),
        }
        parts = self._parts
        return "".join(part if position % 2 == 0 else slots[part] for position, part in enumerate(parts))

    def _today_success(self, today: Today, index: int) -> str:
        body = today.chat_body(
            self._batch.requests.body(index),
            self._contents(index),
            self._stub.prompt_tokens,
            self._stub.completion_tokens,
            repeat=index not in self._uncached,
        )
        body.update(
            id=self._completion_id(index),
            created=self._created,
            system_fingerprint=self._fingerprint,
            x_groq={"id": self._request_id(index)},
        )
        response = {"status_code": 200, "request_id": self._request_id(index), "body": body}
        return self._envelope(index, response, None)

    def _envelope(self, index: int, response: dict | None, error: dict | None) -> str:
        custom_id = self._batch.requests.custom_ids[index]
        return json.dumps(
            {"id": self._line_id(index), "custom_id": custom_id, "response": response, "error": error}
        )

    def scripted(self, index: int, reply: Reply) -> str:
        """A line whose outcome a test scripted: a custom success body or a per-request HTTP error."""
        body = reply.body if reply.status < 400 and isinstance(reply.body, dict) else _error_body(reply)
        response = {"status_code": reply.status, "request_id": self._request_id(index), "body": body}
        return self._envelope(index, response, None)

    def unreached(self, index: int, code: str) -> str:
        return self._envelope(index, None, {"code": code, "message": UNREACHED_MESSAGES[code]})


def _chunked(lines: Iterable[str]) -> Iterator[bytes]:
    """Group lines into writes of a few hundred KB: a socket write per line would dominate a big file."""
    pending: list[str] = []
    for line in lines:
        pending.append(line)
        if len(pending) == _LINES_PER_CHUNK:
            yield ("\n".join(pending) + "\n").encode("utf-8")
            pending = []
    if pending:
        yield ("\n".join(pending) + "\n").encode("utf-8")


class BatchAPI:
    """Groq's Files and Batches endpoints, plugged into a GroqStub's routes.

    ``outcome(index, custom_id, body)`` scripts single lines: return a ``Reply`` with status >= 400
    (e.g. ``model_not_found(...)``) for a per-request error, a ``Reply(body=...)`` for a custom
    success, a ``RawLine`` for a damaged line, or None for the stub's normal chat answer. It is
    consulted when a batch is created.
    ``enqueue(BatchScript(...))`` scripts whole batches (timings, a stall, a failed validation)."""

    def __init__(
        self,
        stub: GroqStub,
        *,
        timings: Timings | None = None,
        max_requests: int = MAX_REQUESTS,
        max_bytes: int = MAX_BYTES,
        shuffle: bool = True,
        available: bool = True,
        page_size: int = 20,
        clock: Callable[[], float] = time.monotonic,
        list_loop: str | None = None,
    ) -> None:
        self.stub = stub
        self.timings = timings or Timings()
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.shuffle = shuffle
        self.available = available
        self.page_size = page_size
        self.clock = clock
        # A batch list whose paging never ends (see LIST_LOOPS): every page, the first one again,
        # says there is a next page, under the same cursor, a new one, or with new batch ids.
        assert list_loop is None or list_loop in LIST_LOOPS, list_loop
        self.list_loop = list_loop
        self.outcome: Callable[[int, str, dict], Scripted | None] | None = None
        self.counters = Counters()
        self._scripts: deque[BatchScript] = deque()
        self._lost: dict[str, deque[LostAnswer]] = {"files": deque(), "batches": deque()}
        self._files: dict[str, _File] = {}
        self._requests: dict[str, _Requests] = {}
        self._batches: dict[str, _Batch] = {}
        # Re-entrant: an ``outcome`` script runs under the lock and may itself call ``enqueue``.
        self._lock = threading.RLock()
        stub.routes.append(self.route)

    def enqueue(self, *scripts: BatchScript) -> None:
        """Script the next created batches, FIFO; once empty, batches follow ``timings``."""
        with self._lock:
            self._scripts.extend(scripts)

    def lose_answers(self, kind: str, *answers: LostAnswer) -> None:
        """Script the next uploads (``kind`` "files") or batch creates ("batches"), FIFO."""
        with self._lock:
            self._lost[kind].extend(answers)

    def route(self, recorded: Recorded, raw: bytes) -> Reply | None:
        """Answer a Files or Batches request, or None for any other path."""
        path, _, query = recorded.path.partition("?")
        if not path.startswith(API_PREFIX):
            return None
        parts = [unquote(part) for part in path[len(API_PREFIX) :].split("/")]
        if parts[0] not in ("files", "batches"):
            return None
        if not self.available:
            return not_available_for_plan()
        with self._lock:
            return self._dispatch(recorded, raw, parts, parse_qs(query))

    def _dispatch(
        self, recorded: Recorded, raw: bytes, parts: list[str], query: dict[str, list[str]]
    ) -> Reply | None:
        match recorded.method, parts:
            case "POST", ["files"]:
                return self._made("files", lambda: self._upload(recorded.headers.get("content-type", ""), raw))
            case "GET", ["files"]:
                self._settle_all()
                return Reply(body={"object": "list", "data": [file.info() for file in self._files.values()]})
            case "GET", ["files", file_id]:
                return self._with_file(file_id, lambda file: Reply(body=file.info()))
            case "GET", ["files", file_id, "content"]:
                return self._with_file(file_id, self._download)
            case "DELETE", ["files", file_id]:
                return self._with_file(file_id, self._delete)
            case "POST", ["batches"]:
                return self._made("batches", lambda: self._create(recorded.body))
            case "GET", ["batches"]:
                return self._list(query)
            case "GET", ["batches", batch_id]:
                self.counters.retrieves += 1
                return self._with_batch(batch_id, lambda batch: Reply(body=self._view(batch)))
            case "POST", ["batches", batch_id, "cancel"]:
                return self._with_batch(batch_id, self._cancel)
        return None

    def _made(self, kind: str, make: Callable[[], Reply]) -> Reply:
        """An upload or a batch create, answered as ``lose_answers`` scripted it, else as Groq does."""
        lost = self._lost[kind].popleft() if self._lost[kind] else None
        if lost is None:
            return make()
        if not lost.created:
            return lost.reply
        made = make()
        if made.status >= 400:
            return made
        return lost.reply if lost.delay is None else Reply(body=made.body, latency=lost.delay)

    # Files

    def _upload(self, content_type: str, raw: bytes) -> Reply:
        accepted = self._accept_upload(_form_fields(content_type, raw))
        if isinstance(accepted, Reply):
            self.counters.rejected_uploads += 1
            return accepted
        file, requests = accepted
        self._files[file.id] = file
        self._requests[file.id] = requests
        self.counters.uploads += 1
        self.counters.lines_uploaded += requests.count
        return Reply(body=file.info())

    def _accept_upload(self, fields: dict[str, tuple[str | None, _Span]]) -> Reply | tuple[_File, _Requests]:
        """The stored file and its parsed lines, or the 400 that Groq would answer instead."""
        rejection = self._reject_upload(fields)
        if rejection is not None:
            return rejection
        filename, upload = fields["file"]
        try:
            requests = _parse_requests(upload)
        except _LineError as bad:
            where = f"Line {bad.line}: " if bad.line else ""
            return _invalid(where + bad.message, bad.code, bad.param)
        if requests.count > self.max_requests:
            return _invalid(
                f"The batch input file has {requests.count} lines; the maximum is {self.max_requests}.",
                "too_many_requests_in_file",
                "file",
            )
        return _File(_groq_id("file_"), str(filename), "batch", int(time.time()), content=upload), requests

    def _reject_upload(self, fields: dict[str, tuple[str | None, _Span]]) -> Reply | None:
        """File-level checks, before any line is read; the line count is checked once lines are known."""
        if "file" not in fields or "purpose" not in fields:
            missing = "file" if "file" not in fields else "purpose"
            return _invalid(
                f"Missing required parameter: '{missing}'.", "missing_required_parameter", missing
            )
        purpose = fields["purpose"][1].text()
        if purpose != "batch":
            return _invalid(
                f"Invalid value: '{purpose}'. Supported values are: 'batch'", "invalid_value", "purpose"
            )
        filename, upload = fields["file"]
        if not (filename or "").endswith(".jsonl"):
            return _invalid("Invalid file format for Batch API. Must be .jsonl", "invalid_file", "file")
        if len(upload) > self.max_bytes:
            return _invalid(
                f"File is too large: {len(upload)} bytes; the maximum for a batch file is {self.max_bytes} bytes.",
                "file_too_large",
                "file",
            )
        return None

    def _with_file(self, file_id: str, answer: Callable[[_File], Reply]) -> Reply:
        self._settle_all()
        file = self._files.get(file_id)
        return _not_found("File", file_id) if file is None else answer(file)

    def _download(self, file: _File) -> Reply:
        self.counters.downloads += 1
        return Reply(chunks=file.chunks())

    def _delete(self, file: _File) -> Reply:
        del self._files[file.id]
        self._requests.pop(file.id, None)
        self.counters.deletes += 1
        return Reply(body={"id": file.id, "object": "file", "deleted": True})

    # Batches

    def _create(self, body: dict | None) -> Reply:
        body = body or {}
        rejection = self._reject_batch(body)
        if rejection is not None:
            return rejection
        hours = _window_hours(body["completion_window"])
        if hours is None:
            return _invalid(
                f"Invalid completion_window '{body['completion_window']}': durations from 24h to 7d are supported.",
                "invalid_value",
                "completion_window",
            )
        file_id = body["input_file_id"]
        requests = self._requests.get(file_id)
        if requests is None:
            return _not_found("File", file_id)
        script = self._scripts.popleft() if self._scripts else BatchScript()
        batch_id = _groq_id("batch_")
        overrides = self._overrides(requests)
        order = self._order(batch_id, requests.count)
        batch = _Batch(
            id=batch_id,
            input_file_id=file_id,
            requests=requests,
            completion_window=body["completion_window"],
            window_hours=hours,
            metadata=body.get("metadata"),
            created=self.clock(),
            created_wall=time.time(),
            timings=script.timings or self.timings,
            stop_after=script.stop_after,
            validation_errors=script.validation_errors,
            order=order,
            overrides=overrides,
            failed_before=self._failed_before(order, overrides),
        )
        self._batches[batch.id] = batch
        self.counters.batches_created += 1
        return Reply(body=self._view(batch))

    def _reject_batch(self, body: dict) -> Reply | None:
        """Everything but the window, which _create reads as it checks it."""
        for name in ("input_file_id", "endpoint", "completion_window"):
            if not isinstance(body.get(name), str):
                return _invalid(f"Missing required parameter: '{name}'.", "missing_required_parameter", name)
        if body["endpoint"] != CHAT_ENDPOINT:
            message = f"Invalid value: '{body['endpoint']}'. Supported values are: '{CHAT_ENDPOINT}'"
            return _invalid(message, "invalid_value", "endpoint")
        metadata = body.get("metadata")
        if metadata is not None and not (
            isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
        ):
            return _invalid("metadata must be an object of string values.", "invalid_value", "metadata")
        file = self._files.get(body["input_file_id"])
        if file is not None and file.purpose != "batch":
            return _invalid(
                "The input file must be uploaded with purpose 'batch'.", "invalid_file", "input_file_id"
            )
        return None

    def _overrides(self, requests: _Requests) -> dict[int, Scripted]:
        outcome, today, live = self.outcome, self.stub.today, self.stub.live_models
        if outcome is None and today is None:
            return {}

        def judged(index: int) -> Scripted | None:
            """Today's Groq refuses a line as it would the chat (a retired model: 404), first."""
            body = requests.body(index)
            refusal = today.refuse(body, live) if today is not None else None
            if refusal is not None or outcome is None:
                return refusal
            return outcome(index, requests.custom_ids[index], body)

        scripted = ((index, judged(index)) for index in range(requests.count))
        # A success without its own body is the stub's normal answer, not an override.
        return {
            index: reply
            for index, reply in scripted
            if isinstance(reply, RawLine)
            or (reply is not None and (reply.status >= 400 or isinstance(reply.body, dict)))
        }

    def _order(self, batch_id: str, count: int) -> array:
        """The order Groq runs (and reports) lines in: scrambled, as results 'may not appear in order'."""
        indices = list(range(count))
        if self.shuffle:
            random.Random(batch_id).shuffle(indices)
        return array("I", indices)

    @staticmethod
    def _failed_before(order: array, overrides: dict[int, Scripted]) -> array | None:
        """failed_before[k]: per-request errors among the first k lines run, for request_counts."""
        if not any(_failed(reply) for reply in overrides.values()):
            return None
        counts, failed = array("I", [0]), 0
        for index in order:
            reply = overrides.get(index)
            failed += reply is not None and _failed(reply)
            counts.append(failed)
        return counts

    def _with_batch(self, batch_id: str, answer: Callable[[_Batch], Reply]) -> Reply:
        batch = self._batches.get(batch_id)
        return _not_found("Batch", batch_id) if batch is None else answer(batch)

    def _cancel(self, batch: _Batch) -> Reply:
        status = batch.moment(self.clock()).status
        if status in TERMINAL:
            return _invalid(f"Cannot cancel a batch with status '{status}'.", "invalid_state", status=409)
        if status in CANCELLABLE:
            batch.cancel_at = self.clock()
            self.counters.cancels += 1
        return Reply(body=self._view(batch))

    def _list(self, query: dict[str, list[str]]) -> Reply:
        self.counters.lists += 1
        wanted = query.get("id")
        if wanted:
            if len(wanted) > MAX_LISTED_IDS:
                return _invalid(f"At most {MAX_LISTED_IDS} batch ids per request.", "invalid_value", "id")
            found = [self._batches[batch_id] for batch_id in wanted if batch_id in self._batches]
            return Reply(body={"object": "list", "data": [self._view(batch) for batch in found]})
        newest_first = sorted(self._batches.values(), key=lambda batch: batch.created, reverse=True)
        start = 0
        cursor = query.get("cursor", [""])[0]
        if self.list_loop is not None:
            return self._endless_page(newest_first[: self.page_size], cursor)
        if cursor:
            after = _cursor_id(cursor)
            start = next(
                (i + 1 for i, batch in enumerate(newest_first) if batch.id == after), len(newest_first)
            )
        page = newest_first[start : start + self.page_size]
        more = start + self.page_size < len(newest_first)
        next_cursor = _cursor_for(page[-1].id) if more and page else None
        return Reply(
            body={
                "object": "list",
                "data": [self._view(b) for b in page],
                "paging": {"next_cursor": next_cursor},
            }
        )

    def _endless_page(self, page: list[_Batch], cursor: str) -> Reply:
        """The first page again, always with a next page (``list_loop``)."""
        views = [self._view(batch) for batch in page]
        if self.list_loop == "new_ids":
            views = [{**view, "id": _groq_id("batch_")} for view in views]
        after = cursor or _cursor_for(page[-1].id if page else "none")
        next_cursor = after if self.list_loop == "same_cursor" else _cursor_for(secrets.token_hex(8))
        return Reply(body={"object": "list", "data": views, "paging": {"next_cursor": next_cursor}})

    # State

    def _settle_all(self) -> None:
        """Terminal batches publish their result files; listing or fetching files must see them."""
        for batch in self._batches.values():
            self._settle(batch, batch.moment(self.clock()))

    def _settle(self, batch: _Batch, moment: _Moment) -> None:
        if batch.settled or moment.status not in TERMINAL:
            return
        batch.settled = True
        if moment.status == "failed":
            return
        created = int(batch.created_wall + moment.began[moment.status])
        run = batch.order[: moment.processed]
        renderer = _LineRenderer(batch, run, self.stub, created)
        failed = batch.failures_in(moment.processed)
        unreached_code = "batch_expired" if moment.status == "expired" else "batch_cancelled"
        if moment.processed - failed > 0:
            batch.output_file_id = self._result_file(
                batch, "output", created, lambda: self._outputs(batch, run, renderer)
            )
        if failed > 0 or moment.processed < batch.requests.count:
            rest = batch.order[moment.processed :]
            batch.error_file_id = self._result_file(
                batch, "error", created, lambda: self._errors(batch, run, rest, unreached_code, renderer)
            )

    def _result_file(self, batch: _Batch, kind: str, created: int, lines: Callable[[], Iterable[str]]) -> str:
        file = _File(
            _groq_id("file_"),
            f"{batch.id}_{kind}.jsonl",
            "batch_output",
            created,
            generate=lambda: _chunked(lines()),
        )
        self._files[file.id] = file
        return file.id

    @staticmethod
    def _outputs(batch: _Batch, run: array, renderer: _LineRenderer) -> Iterator[str]:
        for index in run:
            reply = batch.overrides.get(index)
            if reply is None:
                yield renderer.success(index)
            elif isinstance(reply, RawLine):
                yield reply.line(batch.requests.custom_ids[index])
            elif reply.status < 400:
                yield renderer.scripted(index, reply)

    @staticmethod
    def _errors(batch: _Batch, run: array, rest: array, code: str, renderer: _LineRenderer) -> Iterator[str]:
        for index in run:
            reply = batch.overrides.get(index)
            if isinstance(reply, Reply) and reply.status >= 400:
                yield renderer.scripted(index, reply)
        for index in rest:
            yield renderer.unreached(index, code)

    def _view(self, batch: _Batch) -> dict:
        """The Batch object exactly as Groq returns it from create, retrieve, list and cancel."""
        moment = batch.moment(self.clock())
        self._settle(batch, moment)
        stamps = {status: int(batch.created_wall + start) for status, start in moment.began.items()}
        total = batch.requests.count if "in_progress" in moment.began else 0
        failed = batch.failures_in(moment.processed)
        errors = batch.validation_errors if moment.status == "failed" else None
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": CHAT_ENDPOINT,
            "errors": {"object": "list", "data": errors} if errors else None,
            "input_file_id": batch.input_file_id,
            "completion_window": batch.completion_window,
            "status": moment.status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": int(batch.created_wall),
            "in_progress_at": stamps.get("in_progress"),
            # The real window, uncompressed: what Groq would show a user waiting on this batch.
            "expires_at": int(batch.created_wall) + batch.window_hours * 3600,
            "finalizing_at": stamps.get("finalizing"),
            "completed_at": stamps.get("completed"),
            "failed_at": stamps.get("failed"),
            "expired_at": stamps.get("expired"),
            "cancelling_at": stamps.get("cancelling"),
            "cancelled_at": stamps.get("cancelled"),
            "request_counts": {"total": total, "completed": moment.processed - failed, "failed": failed},
            "metadata": batch.metadata,
        }


def _failed(reply: Scripted) -> bool:
    """Whether a scripted line is a per-request error (it goes to the error file)."""
    return isinstance(reply, Reply) and reply.status >= 400


def _cursor_for(batch_id: str) -> str:
    """Groq's cursors look like ``cursor_eyJpZCI6...``: base64 of ``{"id": ...}``."""
    return "cursor_" + base64.urlsafe_b64encode(json.dumps({"id": batch_id}).encode()).decode().rstrip("=")


def _cursor_id(cursor: str) -> str:
    encoded = cursor.removeprefix("cursor_")
    try:
        return str(json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))["id"])
    except (ValueError, KeyError, TypeError):
        return ""
