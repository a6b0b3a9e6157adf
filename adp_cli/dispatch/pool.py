"""Which models a request may go to: the one the user named (always sent: an enterprise plan may
still serve a model Groq retired), the task's own, or the random pool (Groq's pool of today's
models, limited to what Groq lists; the server's own list elsewhere), less those the server said
it does not serve during this run."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from adp_cli.accounting.catalog import TEXT_GENERATION_MODELS

if TYPE_CHECKING:
    from adp_cli.tasks.prepared import Prepared
    from adp_cli.transports.base import Transport


class Pool:
    """One per run, shared by every worker."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._served: list[str] | None = None
        self._gone: set[str] = set()
        self._lock = threading.Lock()

    def serve(self, served: list[str]) -> None:
        """What the server lists: a random pick only ever goes to one of these."""
        with self._lock:
            self._served = list(served)

    def candidates(self, prepared: Prepared) -> list[str]:
        """The models known without asking the server: the one named, the task's own, or the
        pool a random pick comes from (empty when only the server can say and it was not asked)."""
        if prepared.settings.model:
            return [prepared.settings.model]
        if not self._transport.groq_catalog:
            return [model for model in self._served or [] if model not in self._gone]
        if prepared.task.model:
            return [prepared.task.model]
        listed = None if self._served is None else set(self._served)
        return [model.value for model in TEXT_GENERATION_MODELS if model.value not in self._gone and (listed is None or model.value in listed)]

    def named(self, prepared: Prepared) -> bool:
        """Whether the request goes to one given model (the user's, or the task's) rather than a
        random pick, so a model the server does not serve cannot be replaced."""
        return bool(prepared.settings.model) or (self._transport.groq_catalog and prepared.task.model is not None)

    def gone(self, model: str) -> None:
        with self._lock:
            self._gone.add(model)
