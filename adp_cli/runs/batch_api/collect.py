"""A finished batch's result and error files as the synchronous batch's lines, in input order.

Groq writes a file of successes and a file of errors, each in any order. Both are streamed
through the task (each reply cleaned and checked exactly as a synchronous answer) into a
temporary file of adp's own lines, remembering where each item's line starts; the lines are
then read back in input order. Memory holds 8 bytes per item, never the results.

Nothing in a result file ends the collection: a line that names no item adp sent (not JSON, not
an object, no custom_id of adp's) is skipped with a warning, and the items it may have held
become ``bad_reply`` lines; a line whose response is no HTTP answer is its item's ``bad_reply``.
"""

from __future__ import annotations

import json
import logging
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from adp_cli.accounting.ledger import Call
from adp_cli.dispatch.dispatcher import Dispatcher
from adp_cli.errors import AdpError, BadReplyError, GenerationError, ModelUnavailableError, NotRun
from adp_cli.runs.batch_api.request_files import parse_custom_id
from adp_cli.runs.batch_api.state import Ranges
from adp_cli.runs.lines import Line, encode, error_line, result_line
from adp_cli.tasks.results import Usage
from adp_cli.tasks.task import Task
from adp_cli.text import quote, shorten
from adp_cli.transports.groq_files import BatchClient, RemoteBatch
from adp_cli.transports.replies import completion, seconds
from adp_cli.transports.sdk import MODEL_GONE

log = logging.getLogger("adp")

_NOT_RUN_WHY = {
    "expired": "its batch expired before it ran",
    "cancelled": "its batch was cancelled before it ran",
    "failed": "its batch failed validation",
}


def _refused(response: dict[str, Any]) -> AdpError:
    """A request Groq answered with an HTTP error, as the synchronous path would report it."""
    status = response.get("status_code")
    body = response.get("body")
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {"message": body} if isinstance(body, str) else {}
    code = shorten(str(error.get("code") or error.get("type") or ""), 80)
    message = shorten(str(error.get("message") or "no message"), 300)
    label = f"{shorten(str(status), 20)} {code}".strip()
    if code in MODEL_GONE:
        return ModelUnavailableError(f"model not available ({label}): {message}")
    return GenerationError(f"Groq API error {label}: {message}")


@dataclass
class Collection:
    """One terminal batch read into ordered lines, with what it cost for the ledger.

    With ``ranges`` (a job's part) lines come in the part's order and an item Groq did not
    report becomes a not-run error line; without (a batch named by id) they come by index."""

    task: Task
    batch: RemoteBatch
    dispatcher: Dispatcher  # the synchronous path's check, prices and finishing
    ranges: Ranges | None = None
    succeeded: int = field(default=0, init=False)
    failed: int = field(default=0, init=False)
    not_run: int = field(default=0, init=False)
    calls: dict[str, Call] = field(default_factory=dict, init=False)  # the ledger rows, per model
    unreadable: int = field(default=0, init=False)  # result lines that name no item adp sent
    _sample: str = field(default="", init=False)  # the first of them
    _spool: IO[bytes] = field(init=False)
    _slots: array = field(init=False)  # a part's items: where each one's line starts in the spool
    _by_index: dict[int, int] = field(default_factory=dict, init=False)  # the same, for a batch by id

    def __post_init__(self) -> None:
        self._slots = array("q", [-1]) * (0 if self.ranges is None else len(self.ranges))
        self._spool = tempfile.TemporaryFile(prefix="adp-results-")

    def read(self, client: BatchClient) -> None:
        """Download the result files (when there are any) into the spool; then, if Groq left items
        out (a failed, expired or cancelled batch may), find them in the uploaded request file."""
        for file_id in (self.batch.output_file_id, self.batch.error_file_id):
            if file_id:
                client.each_line(file_id, self._take)
        if self._missing():
            try:
                client.each_line(self.batch.input_file_id, self._take_unreported)
            except AdpError as error:  # Groq keeps files 30 days; without it the lines carry no id
                log.warning("batch %s: cannot read its request file to name the items it did not run: %s", self.batch.id, error)
        if self.ranges is not None:
            missing = sum(1 for slot in self._slots if slot < 0)
            if self.unreadable:
                self.failed += missing
            else:
                self.not_run += missing

    def close(self) -> None:
        self._spool.close()

    def _missing(self) -> bool:
        if self.ranges is not None:
            return any(slot < 0 for slot in self._slots)
        return self.batch.status != "completed" or len(self._by_index) < self.batch.total

    def _take(self, raw: str) -> None:
        mapped = self._mapped(raw)
        if mapped is not None:
            index, item_id, record = mapped
            self._store(index, self._fields(index, item_id, record))

    def _take_unreported(self, raw: str) -> None:
        mapped = self._mapped(raw)
        if mapped is None or self._reported(mapped[0]):
            return
        index, item_id, _ = mapped
        self._store(index, error_line(index, item_id, self._unreported()))

    def _mapped(self, raw: str) -> tuple[int, Any, dict[str, Any]] | None:
        try:
            record = json.loads(raw)
            custom_id = record.get("custom_id") if isinstance(record, dict) else None
            if not isinstance(custom_id, str):
                raise ValueError("no custom_id")
            index, item_id = parse_custom_id(custom_id)
        except ValueError:  # not JSON, not an object, no custom_id adp wrote
            log.warning("batch %s: skipped a line adp cannot map to an item: %.120s", self.batch.id, raw)
            self.unreadable += 1
            self._sample = self._sample or raw
            return None
        return index, item_id, record

    def _reported(self, index: int) -> bool:
        if self.ranges is None:
            return index in self._by_index
        position = self.ranges.position(index)
        return position is None or self._slots[position] >= 0

    def _unreported(self) -> AdpError:
        """Why an item has no result line: Groq did not run it, or (when some lines could not be
        read) its line is most likely one of those."""
        batch = self.batch
        if self.unreadable:
            return BadReplyError(
                f"Groq's result for this item could not be read: its batch {batch.id} has {self.unreadable} result line(s) "
                f"adp cannot read (such as {quote(self._sample, 80)}); rerun with -o to send it again"
            )
        why = _NOT_RUN_WHY.get(batch.status, f"its batch ended {batch.status} without reporting it")
        if batch.status == "failed" and batch.errors:
            why += f" ({batch.errors[0]})"
        return NotRun(f"Groq ran no request for this item: {why} ({batch.id}); rerun with -o to send it again")

    def _store(self, index: int, line: Line) -> None:
        position = None if self.ranges is None else self.ranges.position(index)
        if self.ranges is not None and position is None:
            log.warning("batch %s: a result for item %d, which it did not hold; skipped", self.batch.id, index)
            return
        if not line.failed:
            self.succeeded += 1
        elif line.fields["error"]["type"] == NotRun.kind:
            self.not_run += 1
        else:
            self.failed += 1
        offset = self._spool.seek(0, 2)
        self._spool.write((encode(line) + "\n").encode("utf-8"))
        if position is None:
            self._by_index[index] = offset
        else:
            self._slots[position] = offset

    def _fields(self, index: int, item_id: Any, record: dict[str, Any]) -> Line:
        response, error = record.get("response"), record.get("error")
        status = response.get("status_code") if isinstance(response, dict) else None
        if response is not None and (type(status) is not int):
            shown = f"status_code {quote(status, 20)}" if isinstance(response, dict) else quote(response, 60)
            return error_line(index, item_id, BadReplyError(f"Groq's result line for this item holds no response adp can read: {shown}"))
        if isinstance(response, dict) and status == 200:
            return self._answered(index, item_id, response.get("body"))
        if isinstance(response, dict):
            return error_line(index, item_id, _refused(response))
        error = error if isinstance(error, dict) else {}
        code = shorten(str(error.get("code") or "not_run"), 80)
        message = shorten(str(error.get("message") or "Groq did not run this request"), 300)
        return error_line(index, item_id, NotRun(f"{message} ({code}); rerun with -o to send it again"))

    def _answered(self, index: int, item_id: Any, body: Any) -> Line:
        """A result line checked, priced and finished exactly as a synchronous reply is, at the
        batch price; what can be trusted of its usage is billed even when the reply is unusable."""
        try:
            usage_times = body.get("usage") if isinstance(body, dict) else None
            took = seconds(usage_times.get("total_time")) if isinstance(usage_times, dict) else 0.0
            reply = completion(body, "", latency_ms=round(took * 1000))  # Groq's own time for the request
        except AdpError as error:
            return error_line(index, item_id, error)
        usage = self.dispatcher.usage(reply, batch=True)
        self._bill(usage)
        try:
            return result_line(index, item_id, self.dispatcher.finish(self.task, reply, usage))
        except AdpError as error:
            return error_line(index, item_id, error)

    def _bill(self, usage: Usage) -> None:
        """The ledger rows of this batch, per model."""
        row = self.calls.get(usage.model) or Call(usage.model, 0, 0, 0.0, requests=0)
        self.calls[usage.model] = Call(
            usage.model,
            row.prompt_tokens + usage.prompt_tokens,
            row.completion_tokens + usage.completion_tokens,
            row.cost_usd + (usage.cost_usd or 0.0),
            row.requests + 1,
        )

    def lines(self) -> Iterator[Line]:
        """Every line in input order; an item of the part that nobody named is a not-run line."""
        if self.ranges is None:
            for index in sorted(self._by_index):
                yield self._line_at(self._by_index[index])
            return
        for position, index in enumerate(self.ranges):
            offset = self._slots[position]
            if offset < 0:
                yield error_line(index, None, self._unreported())
            else:
                yield self._line_at(offset)

    def _line_at(self, offset: int) -> Line:
        self._spool.seek(offset)
        return Line(json.loads(self._spool.readline()))
