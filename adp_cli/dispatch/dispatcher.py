"""The one way a request goes out and its reply comes back, for every transport and run mode.

A ``Dispatcher`` is made once per run and shared by every worker: it chooses the model (the
``Pool``, limited to what the server lists), paces the request to the model's rate limits (the
``Scheduler``), holds the budget, builds the model's request body (its reasoning parameters and
a token cap with room for its reasoning), has the transport send it, prices the usage (the run's
``PriceBook``), records it in the ledger, and turns the reply into the task's result. A reply the
cap cut off is sent once more with a larger cap. A spend limit stops the whole run. The Batch
API run mode takes the same bodies, prices and finishing for the requests it sends in files.
"""

from __future__ import annotations

import logging
import random
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from adp_cli.accounting import billing
from adp_cli.accounting.capabilities import reasoning_parameters, token_cap
from adp_cli.accounting.catalog import Status, lifecycle_of
from adp_cli.accounting.ledger import Call, Tab
from adp_cli.accounting.prices import PriceBook
from adp_cli.dispatch.logbook import Attempt, ItemRef, RunLog
from adp_cli.dispatch.pool import Pool
from adp_cli.dispatch.scheduler import Cancelled, Scheduler, Waiting, send_with
from adp_cli.errors import AdpError, BadReplyError, ConfigError, GenerationError, ModelUnavailableError, SpendLimitReached
from adp_cli.tasks.cleanup import strip_reasoning
from adp_cli.tasks.results import Answer, Usage
from adp_cli.transports import served_list

if TYPE_CHECKING:
    from adp_cli.group_writer import Receipt
    from adp_cli.history import Logged
    from adp_cli.tasks.prepared import Prepared
    from adp_cli.tasks.settings import Settings
    from adp_cli.tasks.task import Task
    from adp_cli.transports.base import Connection, Reply, Transport
    from adp_cli.transports.served_list import ServedList

log = logging.getLogger("adp")


class Dispatcher:
    def __init__(self, transport: Transport, connection: Connection, settings: Settings, *, cache: bool = False) -> None:
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
        self._served: ServedList | None = None
        self.log = RunLog(caching=cache)
        self._tab: Tab | None = None
        self._started = False
        self._stop: SpendLimitReached | None = None
        self._stop_lock = threading.Lock()

    def start(self) -> None:
        """A missing key, an unusable ledger or a server that serves nothing fails here, before
        any item is read."""
        self.transport.open()
        if self.transport.remote:  # a server bills its calls; the templates cost nothing
            self._tab = Tab(server=self.transport.ledger_server)
        self.log.open()
        if self.transport.groq_catalog or not self.settings.model:
            self._learn(served_list.served(self.transport, self.connection))
            if not self.transport.groq_catalog and not self.settings.model and self._served is not None and not self._served.models:
                raise ConfigError(f"{self.transport.label} serves no model; give one with -m")
        self._started = True

    def close(self) -> None:
        """The run is over: the log and the ledger's writer are closed (what they were handed is
        on disk already)."""
        self.log.close()
        if self._tab is not None:
            self._tab.close()

    def use_remembered_list(self) -> None:
        """What a dry run knows without asking: the server's list as last read, if ever."""
        if self.transport.groq_catalog and (known := served_list.remembered(self.connection)) is not None:
            self._learn(known)

    def _learn(self, served: ServedList) -> None:
        self._served = served
        self.pool.serve(served.ids)
        self.prices.adopt(served.prices())

    def answer(self, prepared: Prepared, where: ItemRef | None = None) -> Answer:
        """The task's result for one prepared request (``where``: its place in a batch, for the
        log); failures are AdpErrors. Every request made is in the ledger and the log before its
        result is returned: its cost goes to the ledger's writer as soon as the reply is in, and
        once it is written (the reply is finished meanwhile) the entry goes to the log; the items
        whose costs one ledger write took reach the log about together and tend to share a commit.
        A ledger that cannot be written is the item's error, in its line and in its log entry."""
        if not self._started:
            raise RuntimeError("start() the dispatcher before answer()")
        self._stopped()
        key = self.log.key(prepared, self._model_key(prepared)) if self.log.on else None  # later --cache runs find it
        if key is not None and self.log.caching and (hit := self.log.lookup(key)) is not None:
            return self._from_log(prepared, hit, where, key)
        attempt = Attempt()
        usage: Usage | None = None
        billed: list[Receipt[None]] = []
        try:
            with self._reserved(prepared):
                usage = self._call(prepared, attempt, billed)
                if _cut_off(attempt.reply):
                    log.warning("the reply of %s was cut off at max_tokens with nothing in it; sending it once more with more room", usage.model)
                    usage = usage.plus(self._call(prepared, attempt, billed, model=usage.model, retry=True))
                    if _cut_off(attempt.reply):
                        raise BadReplyError(
                            f"{usage.model} was cut off by max_tokens twice ({attempt.reply.completion_tokens if attempt.reply else 0} tokens, "
                            f"{attempt.reply.reasoning_tokens if attempt.reply else 0} of them reasoning) and answered nothing: "
                            "raise --max-tokens (a reasoning model's thinking takes room from it)"
                        )
            assert attempt.reply is not None
            answer = self.finish(prepared.task, attempt.reply, usage)
            _in_ledger(billed)
        except AdpError as error:
            if attempt.body is not None:  # a request went out: it is logged, failed or not
                self._record(prepared, attempt, where, key, usage=usage, error=error)
            _in_ledger(billed)  # a failed item's paid calls are in the ledger before its line too
            raise
        else:
            self._record(prepared, attempt, where, key, answer=answer, usage=usage)
        finally:
            self.log.settle(attempt)
            if self._tab is not None:
                self._tab.forget(id(attempt))
        return answer

    def _record(self, prepared: Prepared, attempt: Attempt, where: ItemRef | None, key: str | None, **outcome: Any) -> None:
        self.log.record(prepared, attempt, where, key, provider=self.transport.label, server=self.transport.ledger_server, **outcome)

    def _model_key(self, prepared: Prepared) -> str:
        """The model part of the cache key: the one named (or the task's), else the pool a pick
        comes from with its seed, so a random pick may be answered by any model of the pool."""
        if self.pool.named(prepared):
            return self.pool.candidates(prepared)[0]
        return f"random pool of {self.transport.name} (seed {self.settings.seed})"

    def _from_log(self, prepared: Prepared, hit: Logged, where: ItemRef | None, key: str) -> Answer:
        """An answer the log holds: nothing is sent, nothing is paid, the ledger is untouched."""
        usage = Usage(
            tokens_used=0, cost_usd=0.0, provider=hit.provider, model=hit.model, prompt_tokens=0, completion_tokens=0, latency_ms=0, cached=True
        )
        answer = prepared.task.answered(hit.result, usage)
        self._record(prepared, Attempt(hit.params | {"messages": hit.messages}), where, key, answer=answer, usage=usage, cached=True)
        return answer

    def body(self, prepared: Prepared, model: str, *, retry: bool = False) -> dict[str, Any]:
        """The request for ``model``: the prepared one, plus what the user asked of the server (a
        service tier) and, on Groq, what keeps a reasoning model from paid reasoning and the
        token cap with room for its reasoning."""
        body = prepared.body(model)
        if self.connection.service_tier:
            body["service_tier"] = self.connection.service_tier
        if self.transport.groq_catalog:
            body |= reasoning_parameters(model, prepared.settings.reasoning)
            body["max_tokens"] = self.cap(prepared, model, retry=retry)
        return body

    def cap(self, prepared: Prepared, model: str, *, retry: bool = False) -> int:
        """``max_tokens`` for ``model``: the task's answer budget, and on Groq the reasoning's
        headroom within the model's output limit (from the server's list when it states it)."""
        if not self.transport.groq_catalog:
            return prepared.max_tokens
        listed = self._served.get(model) if self._served is not None else None
        limit = listed.max_output if listed is not None else None
        return token_cap(model, prepared.max_tokens, prepared.settings.reasoning, max_output=limit, retry=retry)

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
            cached_tokens=reply.cached_tokens,
            reasoning_tokens=reply.reasoning_tokens,
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

    def _call(self, prepared: Prepared, attempt: Attempt, billed: list[Receipt[None]], *, model: str | None = None, retry: bool = False) -> Usage:
        """One request, sent, and its cost handed to the ledger (its receipt added to ``billed``):
        every answered call is in the ledger before its result is shown."""
        reply = self._send(prepared, attempt, model=model, retry=retry)
        attempt.reply = reply
        self.log.expect(attempt, reply.latency_ms / 1000)
        usage = self.usage(reply)
        if self._tab is not None:
            self._tab.answered_in(reply.latency_ms / 1000)
            call = Call(usage.model, usage.prompt_tokens, usage.completion_tokens, usage.cost_usd or 0.0)
            billed.append(self._tab.submit(call, id(attempt)))
        return usage

    def _reserved(self, prepared: Prepared) -> AbstractContextManager[None]:
        """The budget holds, while the call is in flight, the most it may cost on the dearest
        model it may go to."""
        if self._tab is None:
            return nullcontext()
        prompt_bytes = len(prepared.prompt_text.encode("utf-8", "surrogatepass"))
        most = max(
            (
                billing.bound(self.prices.price(model), prompt_bytes, self.cap(prepared, model))
                for model in self.pool.candidates(prepared)
            ),
            default=0.0,
        )
        return self._tab.reserve(most)

    def _send(self, prepared: Prepared, attempt: Attempt, *, model: str | None = None, retry: bool = False) -> Reply:
        """Send under the scheduler; a randomly picked model the server does not serve is
        replaced by another from the pool, a named one fails with what Groq says replaced it."""
        tokens = _estimated_tokens(prepared)

        def send(chosen: str) -> Reply:
            self._stopped()  # a spend limit seen by another worker while this one waited
            log.info("model: %s", chosen)
            attempt.body = self.body(prepared, chosen, retry=retry)
            if self._tab is not None:
                self._tab.expect(id(attempt))  # a ledger write under way may wait for its cost
            try:
                reply = self.transport.send(attempt.body, prepared)
            except SpendLimitReached as reached:
                self._stop_run(reached)
                raise
            log.debug("raw reply: %r", reply.content)
            return reply

        while True:
            models = [model] if model is not None else self.pool.candidates(prepared)
            if not models:
                raise GenerationError(f"no model in the random pool is served now; {self.transport.models_hint}")
            named = model is not None or self.pool.named(prepared)
            try:
                return send_with(self.scheduler, models[0] if named else models, tokens, send)
            except Cancelled:
                self._stopped()
                raise
            except ModelUnavailableError as error:
                if named:
                    raise ModelUnavailableError(f"{str(error).rstrip('.')}; {self._moved(error.model)}", model=error.model) from None
                log.warning("%s; picking another model", error)
                self.pool.gone(error.model)

    def _moved(self, model: str) -> str:
        """What to do about a named model the server does not serve: Groq's replacement when the
        catalog knows it retired, else where to look."""
        moved = lifecycle_of(model)
        if not self.transport.groq_catalog or moved.status is not Status.RETIRED:
            return self.transport.models_hint
        when = f"Groq retired it on {moved.retired_on}" if moved.retired_on and moved.retired_on[0].isdigit() else f"Groq retired it ({moved.retired_on})"
        if moved.replacement is None:
            return f"{when}; {self.transport.models_hint}"
        who = "its replacement" if moved.named else "Groq named none; the closest it serves"
        return f"{when}: use -m {moved.replacement} ({who})"

    def _stop_run(self, stop: SpendLimitReached) -> None:
        """Nothing more is sent by any worker: those waiting for a rate limit are woken and fail
        with the stop, the ones after them fail with it before sending."""
        with self._stop_lock:
            if self._stop is None:
                self._stop = stop
        self.scheduler.cancel()

    def _stopped(self) -> None:
        """Raise the run's stop, if one came: every item's line then says why and how to resume."""
        if self._stop is not None:
            raise SpendLimitReached(str(self._stop))


def _in_ledger(billed: list[Receipt[None]]) -> None:
    """Wait until every call in ``billed`` is in the ledger; a write that failed raises its
    ConfigError (after the wait for the others, so none is left unwritten behind it)."""
    failure: ConfigError | None = None
    for receipt in billed:
        try:
            receipt.result()
        except ConfigError as error:
            failure = failure or error
    if failure is not None:
        raise failure


def _cut_off(reply: Reply | None) -> bool:
    """The cap ended the reply before any answer (a reasoning model spent it thinking)."""
    return reply is not None and reply.answer is None and reply.finish_reason == "length" and not strip_reasoning(reply.content)


def _estimated_tokens(prepared: Prepared) -> int:
    """What the request will weigh against a tokens-per-minute budget, without counting it: a
    quarter of its characters, the usual rule (the server corrects the mirror with each reply)."""
    return max(1, len(prepared.prompt_text) // 4)
