"""A finished batch's result and error files as the synchronous batch's lines, in input order.

Groq writes a file of successes and a file of errors, each in any order. Both are streamed
through the task (each reply cleaned and checked exactly as a synchronous answer) into a
temporary file of adp's own lines, remembering where each item's line starts; the lines are
then read back in input order. Memory holds 8 bytes per item, never the results.
"""

from __future__ import annotations

import json
import logging
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from adp_cli.accounting import catalog
from adp_cli.accounting.ledger import Call
from adp_cli.batch import Line, _error_line
from adp_cli.batch_api.request_files import parse_custom_id
from adp_cli.batch_api.state import Ranges
from adp_cli.errors import AdpError, GenerationError, ModelUnavailableError, NotRun
from adp_cli.providers.groq_batch import BatchClient, RemoteBatch
from adp_cli.results import Usage
from adp_cli.tasks import Task

log = logging.getLogger("adp")

_MODEL_GONE = {"model_not_found", "model_decommissioned"}
_NOT_RUN_WHY = {
    "expired": "its batch expired before it ran",
    "cancelled": "its batch was cancelled before it ran",
    "failed": "its batch failed validation",
}


def _answered(task: Task, index: int, item_id: Any, body: dict[str, Any], usage: Usage) -> dict[str, Any]:
    choices = body.get("choices") or [{}]
    content = (choices[0].get("message") or {}).get("content") or ""
    try:
        answer = task.finish(content, usage)
    except AdpError as error:
        return _error_line(index, item_id, error)
    return {"index": index, **({} if item_id is None else {"id": item_id}), **answer.to_json()}


def _refused(response: dict[str, Any]) -> AdpError:
    """A request Groq answered with an HTTP error, as the synchronous path would report it."""
    status = response.get("status_code")
    error = (response.get("body") or {}).get("error") or {}
    code = str(error.get("code") or error.get("type") or "")
    message = str(error.get("message") or "no message")
    label = f"{status} {code}".strip()
    if code in _MODEL_GONE:
        return ModelUnavailableError(f"model not available ({label}): {message}")
    return GenerationError(f"Groq API error {label}: {message}")


@dataclass
class Collection:
    """One terminal batch read into ordered lines, with what it cost for the ledger.

    With ``ranges`` (a job's part) lines come in the part's order and an item Groq did not
    report becomes a not-run error line; without (a batch named by id) they come by index."""

    task: Task
    batch: RemoteBatch
    ranges: Ranges | None = None
    succeeded: int = field(default=0, init=False)
    failed: int = field(default=0, init=False)
    not_run: int = field(default=0, init=False)
    calls: dict[str, Call] = field(default_factory=dict, init=False)  # the ledger rows, per model
    _spool: IO[bytes] = field(init=False)
    _slots: array = field(init=False)  # a part's items: where each one's line starts in the spool
    _by_index: dict[int, int] = field(default_factory=dict, init=False)  # the same, for a batch by id
    _unpriced: set[str] = field(default_factory=set, init=False)

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
            self.not_run += sum(1 for slot in self._slots if slot < 0)

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
        self._store(index, _error_line(index, item_id, NotRun(self._unreported_reason())))

    def _mapped(self, raw: str) -> tuple[int, Any, dict[str, Any]] | None:
        try:
            record = json.loads(raw)
            index, item_id = parse_custom_id(record["custom_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("batch %s: skipped a line adp cannot map to an item: %.120s", self.batch.id, raw)
            return None
        return index, item_id, record

    def _reported(self, index: int) -> bool:
        if self.ranges is None:
            return index in self._by_index
        position = self.ranges.position(index)
        return position is None or self._slots[position] >= 0

    def _unreported_reason(self) -> str:
        batch = self.batch
        why = _NOT_RUN_WHY.get(batch.status, f"its batch ended {batch.status} without reporting it")
        if batch.status == "failed" and batch.errors:
            why += f" ({batch.errors[0]})"
        return f"Groq ran no request for this item: {why} ({batch.id}); rerun with -o to send it again"

    def _store(self, index: int, fields: dict[str, Any]) -> None:
        position = None if self.ranges is None else self.ranges.position(index)
        if self.ranges is not None and position is None:
            log.warning("batch %s: a result for item %d, which it did not hold; skipped", self.batch.id, index)
            return
        if "error" not in fields:
            self.succeeded += 1
        elif fields["error"]["type"] == NotRun.kind:
            self.not_run += 1
        else:
            self.failed += 1
        offset = self._spool.seek(0, 2)
        self._spool.write((json.dumps(fields, ensure_ascii=False) + "\n").encode("utf-8"))
        if position is None:
            self._by_index[index] = offset
        else:
            self._slots[position] = offset

    def _fields(self, index: int, item_id: Any, record: dict[str, Any]) -> dict[str, Any]:
        response, error = record.get("response"), record.get("error")
        if isinstance(response, dict) and response.get("status_code") == 200:
            return _answered(self.task, index, item_id, response.get("body") or {}, self._billed(response.get("body") or {}))
        if isinstance(response, dict):
            return _error_line(index, item_id, _refused(response))
        error = error if isinstance(error, dict) else {}
        code = error.get("code") or "not_run"
        message = error.get("message") or "Groq did not run this request"
        return _error_line(index, item_id, NotRun(f"{message} ({code}); rerun with -o to send it again"))

    def _billed(self, body: dict[str, Any]) -> Usage:
        """The request's usage at the batch price, added to the ledger rows (an unusable reply is
        billed all the same)."""
        usage = body.get("usage") or {}
        model = str(body.get("model") or "")
        prompt, completion = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        if catalog.price_of(model) is None and model not in self._unpriced:
            self._unpriced.add(model)
            log.warning("no price known for %s; its cost is reported as 0", model)
        cost = catalog.usage_cost(prompt, completion, model, batch=True)
        row = self.calls.get(model) or Call(model, 0, 0, 0.0, requests=0)
        self.calls[model] = Call(model, row.prompt_tokens + prompt, row.completion_tokens + completion, row.cost_usd + cost, row.requests + 1)
        return Usage(
            tokens_used=prompt + completion,
            cost_usd=cost,
            provider="groq",
            model=model,
            prompt_tokens=prompt,
            completion_tokens=completion,
            latency_ms=round(float(usage.get("total_time") or 0) * 1000),  # Groq's own time for the request
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
                yield Line(_error_line(index, None, NotRun(self._unreported_reason())))
            else:
                yield self._line_at(offset)

    def _line_at(self, offset: int) -> Line:
        self._spool.seek(offset)
        return Line(json.loads(self._spool.readline()))
