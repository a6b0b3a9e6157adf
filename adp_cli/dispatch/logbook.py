"""A run's side of the generation log (``adp_cli.history``): every request the dispatcher makes,
answered or failed, becomes one entry, written before its result is shown, as its cost is; and
with ``--cache`` a request the log answered before is answered from it, sending nothing.

The log is opened before the first request, so a corrupt or unwritable log stops the run before
anything is paid for. Once the run is under way, a failed write costs the entry, never the
result: one warning, and the run goes on.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adp_cli.errors import AdpError, LogError

if TYPE_CHECKING:
    from adp_cli.history import Logged, LogStore, NullStore
    from adp_cli.tasks.prepared import Prepared
    from adp_cli.tasks.results import Answer, Usage
    from adp_cli.transports.base import Reply

log = logging.getLogger("adp")


@dataclass(frozen=True)
class ItemRef:
    """Where a request's item sits in its run (a batch's index and the item's id)."""

    index: int | None = None
    item_id: str | int | None = None


@dataclass
class Attempt:
    """What one answer cost in requests: the last body sent (the entry shows it), and its reply."""

    body: dict[str, Any] | None = None
    reply: Reply | None = None


@dataclass
class RunLog:
    """One run's entries. ``caching``: answer from the log what it answered before."""

    caching: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _store: LogStore | NullStore | None = None
    _warned: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self) -> None:
        from adp_cli import history

        self._store = history.open_store()

    @property
    def on(self) -> bool:
        """Whether entries are written (``ADP_LOGS_DB=off`` turns the log, and the cache, off)."""
        from adp_cli.history import NullStore

        return self._store is not None and not isinstance(self._store, NullStore)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def key(self, prepared: Prepared, model: str) -> str:
        """What makes two requests the same: the task, the exact messages and the sampling they
        are sent with, and the model (the named one, or the pool and its seed)."""
        from adp_cli import history

        settings = {
            "temperature": prepared.temperature,
            "max_tokens": prepared.max_tokens,
            "reasoning": prepared.settings.reasoning,
            "seed": prepared.seed,
        }
        return history.cache_key(prepared.task.name, prepared.messages, settings, model)

    def expect(self, attempt: Attempt, answered_in: float) -> None:
        """``attempt``'s reply is in (after ``answered_in`` seconds) and its entry is on the way:
        a commit under way may wait for it (see ``LogStore.expect``), so the entries of a busy
        batch share transactions."""
        if self._store is not None:
            self._store.expect(id(attempt), answered_in)

    def settle(self, attempt: Attempt) -> None:
        """``attempt`` is over: if its entry was expected but never recorded (an error the
        request path does not log), no commit waits for it any more."""
        if self._store is not None:
            self._store.forget(id(attempt))

    def lookup(self, key: str) -> Logged | None:
        store = self._store
        return None if store is None else store.lookup(key)

    def record(
        self,
        prepared: Prepared,
        attempt: Attempt,
        where: ItemRef | None,
        key: str | None,
        *,
        provider: str,
        server: str | None,
        answer: Answer | None = None,
        usage: Usage | None = None,
        error: AdpError | None = None,
        cached: bool = False,
    ) -> None:
        """One entry; a failed write is a warning (once a run), never the end of the run."""
        from adp_cli.history import Entry

        store = self._store
        if store is None or not self.on:  # no entry is built for a log that is off
            return
        body = attempt.body or prepared.body(usage.model if usage else "")
        reply = attempt.reply
        place = where or ItemRef()
        entry = Entry(
            task=prepared.task.name,
            provider=usage.provider if usage else provider,
            server=server,
            model=usage.model if usage else str(body.get("model", "")),
            item=prepared.item_values,
            messages=prepared.messages,
            params={name: value for name, value in body.items() if name != "messages"},
            reply=None if reply is None else reply.content,
            result=None if answer is None else answer.answer,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            cached_tokens=usage.cached_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            reasoning_tokens=usage.reasoning_tokens if usage else 0,
            cost_usd=usage.cost_usd if usage else None,
            latency_ms=usage.latency_ms if usage else None,
            error_type=None if error is None else error.kind,
            error_message=None if error is None else str(error),
            run_id=self.run_id,
            item_index=place.index,
            item_id=place.item_id,
            cache_key=key,
            cached=cached,
        )
        try:
            store.record(entry, id(attempt))
        except LogError as failure:
            with self._lock:
                warn, self._warned = not self._warned, True
            if warn:
                log.warning("%s; the run goes on without logging what it cannot write", failure)
