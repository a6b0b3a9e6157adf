"""The one way a request goes out and its reply comes back, for every transport and run mode.

A ``Dispatcher`` is made once per run and shared by every worker: it chooses the model (the
``Pool``), paces the request to the model's rate limits (the ``Scheduler``), holds the budget,
builds the model's request body, has the transport send it, prices the usage (the run's
``PriceBook``), records it in the ledger, and turns the reply into the task's result. The Batch
API run mode takes the same body, prices and finishing for the requests it sends in files.
"""

from __future__ import annotations

import logging
import random
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from adp_cli.accounting import billing
from adp_cli.accounting.catalog import reasoning_parameters
from adp_cli.accounting.ledger import Call, Tab
from adp_cli.accounting.prices import PriceBook
from adp_cli.dispatch.pool import Pool
from adp_cli.dispatch.scheduler import Scheduler, Waiting, send_with
from adp_cli.errors import BadReplyError, GenerationError, ModelUnavailableError
from adp_cli.tasks.results import Answer, Usage

if TYPE_CHECKING:
    from adp_cli.tasks.prepared import Prepared
    from adp_cli.tasks.settings import Settings
    from adp_cli.tasks.task import Task
    from adp_cli.transports.base import Connection, Reply, Transport

log = logging.getLogger("adp")


class Dispatcher:
    def __init__(self, transport: Transport, connection: Connection, settings: Settings) -> None:
        self.transport = transport
        self.connection = connection
        self.settings = settings
        self.prices = PriceBook(connection.price, groq=transport.groq_catalog)
        self.pool = Pool(transport)
        self.scheduler = Scheduler(
            connection.max_wait,
            connection.rpm,
            connection.tpm,
            rng=random.Random(settings.seed),
            daily_request_headers=transport.daily_request_headers,
        )
        self._tab: Tab | None = None
        self._started = False

    def start(self) -> None:
        """A missing key, an unusable ledger or a server that serves nothing fails here, before
        any item is read."""
        self.transport.open()
        if self.transport.remote:  # a server bills its calls; the templates cost nothing
            self._tab = Tab(server=self.transport.ledger_server)
        self.pool.open(needed=not self.settings.model)
        self._started = True

    def answer(self, prepared: Prepared) -> Answer:
        """The task's result for one prepared request; failures are AdpErrors."""
        if not self._started:
            raise RuntimeError("start() the dispatcher before answer()")
        with self._reserved(prepared):
            reply = self._send(prepared)
            usage = self.usage(reply)
            if self._tab is not None:
                self._tab.add(Call(usage.model, usage.prompt_tokens, usage.completion_tokens, usage.cost_usd))
        return self.finish(prepared.task, reply, usage)

    def body(self, prepared: Prepared, model: str) -> dict[str, Any]:
        """The request for ``model``: the prepared one, plus what the user asked of the server (a
        service tier) and, on Groq, what keeps a reasoning model from paid reasoning."""
        body = prepared.body(model)
        if self.connection.service_tier:
            body["service_tier"] = self.connection.service_tier
        if self.transport.groq_catalog:
            body |= reasoning_parameters(model, prepared.settings.reasoning)
        return body

    def usage(self, reply: Reply, *, batch: bool = False) -> Usage:
        """What the reply consumed and cost (at the batch price for a Batch API result)."""
        cost = self.prices.cost(reply.model, reply.prompt_tokens, reply.completion_tokens, cached_tokens=reply.cached_tokens, batch=batch)
        return Usage(
            tokens_used=reply.prompt_tokens + reply.completion_tokens,
            cost_usd=cost,
            provider=self.transport.label,
            model=reply.model,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            latency_ms=reply.latency_ms,
        )

    def finish(self, task: Task, reply: Reply, usage: Usage) -> Answer:
        """The reply as the task's answer; a count the server garbled makes it a bad reply after
        the call was recorded with what could be trusted."""
        if reply.bad_usage:
            raise BadReplyError(f"the server reported unusable usage ({reply.bad_usage}); the call is in the ledger without it")
        if reply.answer is not None:
            return task.answered(reply.answer, usage)
        return task.finish(reply.content, usage)

    def cancel(self) -> None:
        """Ctrl-C: wake whatever waits for a rate limit, so the run can end at once."""
        self.scheduler.cancel()

    def waiting(self) -> list[Waiting]:
        return self.scheduler.waiting()

    def _reserved(self, prepared: Prepared) -> AbstractContextManager[None]:
        """The budget holds, while the call is in flight, the most it may cost on the dearest
        model it may go to."""
        if self._tab is None:
            return nullcontext()
        prompt_bytes = len(prepared.prompt_text.encode("utf-8", "surrogatepass"))
        most = max(
            (billing.bound(self.prices.price(model), prompt_bytes, prepared.max_tokens) for model in self.pool.candidates(prepared)),
            default=0.0,
        )
        return self._tab.reserve(most)

    def _send(self, prepared: Prepared) -> Reply:
        """Send under the scheduler; a randomly picked model the server does not serve is
        replaced by another from the pool, a named one fails with a hint."""
        tokens = _estimated_tokens(prepared)

        def send(model: str) -> Reply:
            log.info("model: %s", model)
            reply = self.transport.send(self.body(prepared, model), prepared)
            log.debug("raw reply: %r", reply.content)
            return reply

        while True:
            models = self.pool.candidates(prepared)
            if not models:
                raise GenerationError(f"no model in the random pool is available; {self.transport.models_hint}")
            named = self.pool.named(prepared)
            try:
                return send_with(self.scheduler, models[0] if named else models, tokens, send)
            except ModelUnavailableError as error:
                if named:
                    raise ModelUnavailableError(f"{error}; {self.transport.models_hint}", model=error.model) from None
                log.warning("%s; picking another model", error)
                self.pool.gone(error.model)


def _estimated_tokens(prepared: Prepared) -> int:
    """What the request will weigh against a tokens-per-minute budget, without counting it: a
    quarter of its characters, the usual rule (the server corrects the mirror with each reply)."""
    return max(1, len(prepared.prompt_text) // 4)
