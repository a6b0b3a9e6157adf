"""Groq's Files and Batches endpoints through the groq SDK, with every failure turned into ours.

Large files never sit in memory: an upload hands the SDK an open file (given a ``Path`` it reads
the whole file), and a result file is streamed (``with_streaming_response``) into the caller's
file. ``batches.list`` pages by Groq's ``cursor`` query and ``paging.next_cursor`` reply field,
which the SDK does not declare.
"""

from __future__ import annotations

import logging
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
_T = TypeVar("_T")


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
    return GenerationError(f"Groq refused to {what} ({label}): {message}")


class BatchClient:
    """One SDK client for a run's Files and Batches calls; ``GROQ_API_KEY`` must be set."""

    def __init__(self, connection: Connection) -> None:
        self._client = groq_client(connection)

    def _call(self, what: str, call: Callable[[], _T]) -> _T:
        import groq

        try:
            return call()
        except groq.APIStatusError as error:
            raise _translate(error, what) from None
        except groq.APITimeoutError:
            raise GenerationError(f"Groq did not answer within the timeout ({what})") from None
        except groq.APIConnectionError as error:
            raise GenerationError(f"cannot reach Groq at {self._client.base_url} ({what}): {error.__cause__ or error}") from None

    def upload(self, name: str, handle: IO[bytes]) -> str:
        """Upload an open ``.jsonl`` request file; its file id."""
        uploaded = self._call("upload the batch file", lambda: self._client.files.create(file=(name, handle), purpose="batch"))
        if not uploaded.id:
            raise GenerationError("Groq accepted the batch file but returned no file id")
        return uploaded.id

    def create(self, input_file_id: str, window: str, metadata: dict[str, str]) -> RemoteBatch:
        return _remote(
            self._call(
                "create the batch",
                lambda: self._client.batches.create(
                    input_file_id=input_file_id, endpoint=ENDPOINT, completion_window=window, metadata=metadata
                ),
            )
        )

    def retrieve(self, batch_id: str) -> RemoteBatch:
        return _remote(self._call(f"batch {batch_id}", lambda: self._client.batches.retrieve(batch_id)))

    def cancel(self, batch_id: str) -> RemoteBatch:
        return _remote(self._call(f"cancel batch {batch_id}", lambda: self._client.batches.cancel(batch_id)))

    def listed(self) -> Iterator[RemoteBatch]:
        """Every batch of the account, newest first, a page at a time."""
        cursor: str | None = None
        while True:
            query = {"cursor": cursor} if cursor else None
            page = self._call("list batches", partial(self._client.batches.list, extra_query=query))
            for batch in page.data:
                yield _remote(batch)
            paging = (page.model_extra or {}).get("paging") or {}
            cursor = paging.get("next_cursor") if isinstance(paging, dict) else None
            if not cursor or not page.data:
                return

    def find(self, input_file_id: str, not_before: int) -> RemoteBatch | None:
        """The batch created from this upload, if any: a run killed between asking Groq to create
        a batch and saving its id must adopt that batch, not create a second one."""
        for batch in self.listed():
            if batch.input_file_id == input_file_id:
                return batch
            if batch.created_at < not_before:
                return None
        return None

    def each_line(self, file_id: str, take: Callable[[str], None]) -> None:
        """Hand each line of a result file to ``take`` as it streams in; the file is never held."""

        def stream() -> None:
            with self._client.files.with_streaming_response.content(file_id) as response:
                for line in response.iter_lines():
                    if line.strip():
                        take(line)

        self._call(f"download result file {file_id}", stream)
