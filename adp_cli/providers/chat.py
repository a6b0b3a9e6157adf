"""What every chat-completions server adp reaches with the groq SDK has in common: the run's
rate-limit scheduler, the random pick and its replacement, pricing the usage, the ledger tab,
and turning the reply into the task's result. ``GroqProvider`` and ``CompatibleProvider``
differ only in the hooks at the bottom: how to make the client, which models a random pick
comes from, what a model costs, and how results and errors name the server.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from adp_cli.accounting import catalog
from adp_cli.accounting.ledger import Call, Tab
from adp_cli.errors import BadReplyError, GenerationError, ModelUnavailableError
from adp_cli.providers.base import Connection
from adp_cli.providers.client import Completion, Server, complete, list_models, log_request
from adp_cli.ratelimits import Scheduler, Waiting, send_with
from adp_cli.results import Usage

if TYPE_CHECKING:
    import groq

    from adp_cli.prepared import Prepared
    from adp_cli.results import Result
    from adp_cli.settings import Settings

log = logging.getLogger("adp")

Hooks = dict[str, list[Callable[..., Any]]]


class ChatProvider:
    """A chat-completions server behind the groq SDK; subclasses fill in the hooks."""

    name: str
    server: Server

    def __init__(self, connection: Connection, settings: Settings) -> None:
        self.connection = connection
        self.settings = settings
        self.scheduler = Scheduler(
            connection.max_wait,
            connection.rpm,
            connection.tpm,
            rng=random.Random(settings.seed),
            daily_request_headers=self.daily_request_headers,
        )
        self._gone: set[str] = set()  # random picks the server said it does not serve
        self._client: groq.Groq | None = None
        self._tab: Tab | None = None

    def start(self) -> None:
        """A missing key or an unusable ledger fails here, before any item is read."""
        self._client = self._connect()
        self._tab = Tab(server=self.ledger_server)

    def live_models(self) -> list[tuple[str, str]]:
        """``(id, owner)`` of every model the server serves now (``adp models --live``)."""
        return list_models(self._client or self._connect(), self.server)

    def _connect(self) -> groq.Groq:
        hooks: Hooks = {"request": [log_request], "response": [self.scheduler.response_hook]}
        return self.make_client(hooks)

    def answer(self, prepared: Prepared) -> Result:
        if self._client is None or self._tab is None:
            raise RuntimeError("start() the provider before answer()")
        with self._tab.reserve(self._most_it_may_cost(prepared)):
            reply = self._send(self._client, prepared)
            usage = Usage(
                tokens_used=reply.prompt_tokens + reply.completion_tokens,
                cost_usd=self.cost(reply.model, reply.prompt_tokens, reply.completion_tokens),
                provider=self.label,
                model=reply.model,
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
                latency_ms=reply.latency_ms,
            )
            self._tab.add(Call(usage.model, usage.prompt_tokens, usage.completion_tokens, usage.cost_usd))
        if reply.bad_usage:
            raise BadReplyError(f"{self.server.name} reported unusable usage ({reply.bad_usage}); the call is in the ledger without it")
        return prepared.task.finish(reply.content, usage)  # type: ignore[return-value]

    def _most_it_may_cost(self, prepared: Prepared) -> float:
        """What the budget holds for a call in flight: as many prompt tokens as the prompt has
        UTF-8 bytes (no token of a byte-level tokenizer is shorter than a byte) plus a full
        ``max_tokens`` reply, on the dearest model the call may go to."""
        prompt_bytes = len(prepared.prompt_text.encode("utf-8", "surrogatepass"))
        return max((self.cost(model, prompt_bytes, prepared.max_tokens) for model in self.models(prepared)), default=0.0)

    def cancel(self) -> None:
        self.scheduler.cancel()

    def waiting(self) -> list[Waiting]:
        return self.scheduler.waiting()

    def _send(self, client: groq.Groq, prepared: Prepared) -> Completion:
        """Send under the scheduler; a randomly picked model the server does not serve is
        replaced by another from the pool, a named one fails with a hint."""
        tokens = _estimated_tokens(prepared)

        def send(model: str) -> Completion:
            log.info("model: %s", model)
            reply = complete(client, self.server, prepared.body(model) | self.request_fields(model, prepared))
            log.debug("raw reply: %r", reply.content)
            return reply

        while True:
            models = [model for model in self.models(prepared) if model not in self._gone]
            if not models:
                raise GenerationError(f"no model in the random pool is available; {self.models_hint}")
            try:
                return send_with(self.scheduler, models[0] if self.named(prepared) else models, tokens, send)
            except ModelUnavailableError as error:
                if self.named(prepared):
                    raise ModelUnavailableError(f"{error}; {self.models_hint}", model=error.model) from None
                log.warning("%s; picking another model", error)
                self._gone.add(error.model)

    def named(self, prepared: Prepared) -> bool:
        """Whether the request goes to one given model rather than a random pick."""
        return len(self.models(prepared)) == 1

    def request_fields(self, model: str, prepared: Prepared) -> dict[str, Any]:
        """Optional request fields for ``model``: the service tier the user asked for."""
        tier = self.connection.service_tier
        return {"service_tier": tier} if tier else {}

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        """USD for these tokens on ``model``: at ``--price`` when given, else at the model's price."""
        given = self.connection.price
        price = catalog.Price(given[0], given[1], catalog.TOKENS, "--price") if given else self.price_of(model)
        return 0.0 if price is None else catalog.priced(prompt_tokens, completion_tokens, price)

    # -- what subclasses fill in ---------------------------------------------------------------

    label: str  # the "provider" field of results
    ledger_server: str | None  # None: Groq spending, which the daily budget counts
    daily_request_headers: bool  # Groq's request headers count the day, OpenAI's the minute
    models_hint: str  # how the user finds the models the server serves

    def make_client(self, hooks: Hooks) -> groq.Groq:
        raise NotImplementedError

    def models(self, prepared: Prepared) -> list[str]:
        raise NotImplementedError

    def price_of(self, model: str) -> catalog.Price | None:
        raise NotImplementedError


def _estimated_tokens(prepared: Prepared) -> int:
    """What the request will weigh against a tokens-per-minute budget, without counting it: a
    quarter of its characters, the usual rule (the server corrects the mirror with each reply)."""
    return max(1, len(prepared.prompt_text) // 4)
