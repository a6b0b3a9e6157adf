"""Groq's Files and Batches endpoints through the groq SDK, with every failure turned into ours.

Large files never sit in memory: an upload hands the SDK an open file (given a ``Path`` it reads
the whole file), and a result file is streamed (``with_streaming_response``) into the caller's
file. ``batches.list`` pages by Groq's ``cursor`` query and ``paging.next_cursor`` reply field,
which the SDK does not declare; paging is bounded, as a server's cursor may never end.

An upload and a batch create are not idempotent: a 500 or a timeout may come after Groq stored
the file or made the batch, and the SDK's retry would make another. They are sent without the
SDK's retries; after an answer that leaves it open, adp looks for what the request would have
made (the file by its name, the batch by its input file) and sends it again only if nothing is
there, up to ``--max-retries`` times.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar

from adp_cli.errors import AdpError, ConfigError, GenerationError, UsageError
from adp_cli.transports.base import Connection
from adp_cli.transports.groq import SERVER, groq_client
from adp_cli.transports.sdk import SPENT, error_fields, translate

if TYPE_CHECKING:
    import groq

log = logging.getLogger("adp")

ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"
STATUSES = ("validating", "in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled")
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
MAX_LIST_PAGES = 1000  # of Groq's batch list: tens of thousands of batches, far more than a look-up reads
RETRY_DELAY_S = 0.5  # before the second try of an upload or a create, doubled for each later one
_T = TypeVar("_T")


class Unanswered(GenerationError):
    """Groq may have done what was asked: its answer was a 5xx, or never came (a timeout, a lost
    connection)."""


class EndlessList(GenerationError):
    """Groq's batch list kept offering a next page (a cursor seen before, a page with nothing new,
    or more pages than any account has): a look-up through it cannot tell what is missing."""


@dataclass(frozen=True)
class RemoteBatch:
    """A Groq batch as adp reads it; ``total`` is 0 until Groq has validated the file."""

    id: str
    status: str
    input_file_id: str
    output_file_id: str | None
    error_file_id: str | None
    total: int
    completed: int
    failed: int
    created_at: int
    expires_at: int | None
    completion_window: str
    errors: tuple[str, ...]  # why validation failed, one "line N: code: message" each
    metadata: dict[str, str]

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


def _errors(errors: Any) -> tuple[str, ...]:
    """The SDK types ``errors`` as ``{"data": [...]}``; Groq's guide shows a bare list. Both are read."""
    if errors is None:
        return ()
    data = errors if isinstance(errors, list) else getattr(errors, "data", None) or []
    found = []
    for entry in data:
        fields = entry if isinstance(entry, dict) else entry.model_dump()
        line = f"line {fields['line']}: " if fields.get("line") is not None else ""
        code = f"{fields['code']}: " if fields.get("code") else ""
        found.append(f"{line}{code}{fields.get('message') or 'no message'}")
    return tuple(found)


def _remote(batch: Any) -> RemoteBatch:
    counts = batch.request_counts
    metadata = batch.metadata if isinstance(batch.metadata, dict) else {}
    return RemoteBatch(
        id=batch.id,
        status=batch.status,
        input_file_id=batch.input_file_id,
        output_file_id=batch.output_file_id,
        error_file_id=batch.error_file_id,
        total=counts.total if counts else 0,
        completed=counts.completed if counts else 0,
        failed=counts.failed if counts else 0,
        created_at=batch.created_at,
        expires_at=batch.expires_at,
        completion_window=batch.completion_window,
        errors=_errors(batch.errors),
        metadata={str(key): str(value) for key, value in metadata.items()},
    )


def _translate(error: groq.APIStatusError, what: str) -> AdpError:
    code, message = error_fields(error)
    status = error.status_code
    label = f"{status} {code}".strip()
    if code in SPENT:
        return translate(error, SERVER, what)
    if code == "not_available_for_plan":
        return ConfigError(f"Groq's Batch API is not available for this key's plan ({label}): {message}")
    if status in (401, 403):
        return ConfigError(f"Groq refused the API key ({label}): check GROQ_API_KEY")
    if status == 404:
        return UsageError(f"Groq has no {what} ({label}): {message}")
    if status >= 500:
        return Unanswered(f"Groq refused to {what} ({label}): {message}")
    return GenerationError(f"Groq refused to {what} ({label}): {message}")


class BatchClient:
    """One SDK client for a run's Files and Batches calls; ``GROQ_API_KEY`` must be set."""

    def __init__(self, connection: Connection) -> None:
        self._client = groq_client(connection)
        self._once = self._client.with_options(max_retries=0)  # for what must not be sent twice blindly
        self._retries = connection.max_retries

    def _call(self, what: str, call: Callable[[], _T]) -> _T:
        import groq

        try:
            return call()
        except groq.APIStatusError as error:
            raise _translate(error, what) from None
        except groq.APITimeoutError:
            raise Unanswered(f"Groq did not answer within the timeout ({what})") from None
        except groq.APIConnectionError as error:
            raise Unanswered(f"cannot reach Groq at {self._client.base_url} ({what}): {error.__cause__ or error}") from None

    def _made_once(self, what: str, send: Callable[[], _T], look_up: Callable[[], _T | None]) -> _T:
        """``send`` what makes something at Groq; after an answer that leaves open whether it
        did, ``look_up`` what it would have made, and send again only when nothing is found."""
        attempt = 0
        while True:
            try:
                return self._call(what, send)
            except Unanswered as error:
                found = look_up()
                if found is not None:
                    log.info("%s: Groq's answer was lost (%s), but it had done it", what, error)
                    return found
                if attempt >= self._retries:
                    raise
                log.info("%s: %s; nothing was made, sending it again", what, error)
                time.sleep(RETRY_DELAY_S * 2**attempt)
                attempt += 1

    def upload(self, name: str, handle: IO[bytes]) -> str:
        """Upload an open ``.jsonl`` request file; its file id. After a lost answer the file is
        looked for by ``name`` and size, so the name should be the upload's alone."""
        size = handle.seek(0, 2)

        def send() -> str | None:
            handle.seek(0)
            return self._once.files.create(file=(name, handle), purpose="batch").id

        file_id = self._made_once("upload the batch file", send, lambda: self.find_file(name, size))
        if not file_id:
            raise GenerationError("Groq accepted the batch file but returned no file id")
        return file_id

    def find_file(self, name: str, size: int) -> str | None:
        """The newest request file of this name and size at Groq, if any."""
        files = self._call("list files", self._client.files.list).data
        found = [file for file in files if file.filename == name and file.purpose == "batch" and file.bytes == size and file.id]
        return max(found, key=lambda file: file.created_at or 0).id if found else None

    def create(self, input_file_id: str, window: str, metadata: dict[str, str], *, not_before: int) -> RemoteBatch:
        """A batch of the uploaded file; ``not_before`` (Unix seconds) bounds the look-up for one
        that Groq made before an answer was lost."""

        def send() -> RemoteBatch:
            made = self._once.batches.create(input_file_id=input_file_id, endpoint=ENDPOINT, completion_window=window, metadata=metadata)
            return _remote(made)

        return self._made_once("create the batch", send, lambda: self.find(input_file_id, not_before))

    def retrieve(self, batch_id: str) -> RemoteBatch:
        return _remote(self._call(f"batch {batch_id}", lambda: self._client.batches.retrieve(batch_id)))

    def cancel(self, batch_id: str) -> RemoteBatch:
        return _remote(self._call(f"cancel batch {batch_id}", lambda: self._client.batches.cancel(batch_id)))

    def listed(self) -> Iterator[RemoteBatch]:
        """Every batch of the account, newest first, each once, a page at a time. A list that
        does not end (a cursor seen before, a page with nothing new, ``MAX_LIST_PAGES`` pages)
        raises ``EndlessList`` after what it brought."""
        cursor: str | None = None
        seen: set[str] = set()
        cursors: set[str] = set()
        for _ in range(MAX_LIST_PAGES):
            query = {"cursor": cursor} if cursor else None
            page = self._call("list batches", partial(self._client.batches.list, extra_query=query))
            fresh = [batch for batch in page.data if batch.id not in seen]
            for batch in fresh:
                seen.add(batch.id)
                yield _remote(batch)
            paging = (page.model_extra or {}).get("paging") or {}
            cursor = paging.get("next_cursor") if isinstance(paging, dict) else None
            if not cursor or not page.data:
                return
            if not fresh or cursor in cursors:
                raise EndlessList(f"Groq's batch list does not end: page {len(cursors) + 2} repeats an earlier one")
            cursors.add(cursor)
        raise EndlessList(f"Groq's batch list does not end: still more after {MAX_LIST_PAGES} pages")

    def find(self, input_file_id: str, not_before: int) -> RemoteBatch | None:
        """The batch created from this upload, if any: a run killed between asking Groq to create
        a batch and saving its id must adopt that batch, not create a second one. A list that
        does not end is an error, not a "no": creating again could run every item twice."""
        try:
            for batch in self.listed():
                if batch.input_file_id == input_file_id:
                    return batch
                if batch.created_at < not_before:
                    return None
        except EndlessList as error:
            raise EndlessList(f"{error}; cannot tell whether Groq made the batch of {input_file_id}: run it again later") from None
        return None

    def each_line(self, file_id: str, take: Callable[[str], None]) -> None:
        """Hand each line of a result file to ``take`` as it streams in; the file is never held."""

        def stream() -> None:
            with self._client.files.with_streaming_response.content(file_id) as response:
                for line in response.iter_lines():
                    if line.strip():
                        take(line)

        self._call(f"download result file {file_id}", stream)
