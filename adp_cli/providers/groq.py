"""The Groq provider: the groq SDK client, the random pick from the pool, and the ledger tab.

Every call Groq answers is priced (prompt tokens at the input price, completion tokens at the
output price) and recorded before its reply is judged, since an unusable reply was paid for
all the same.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING

from adp_cli.accounting import catalog
from adp_cli.accounting.ledger import Call, Tab
from adp_cli.errors import BadReplyError, GenerationError, ModelUnavailableError
from adp_cli.providers.base import Connection
from adp_cli.providers.client import Completion, RateGate, complete, make_client
from adp_cli.results import Usage

if TYPE_CHECKING:
    import groq

    from adp_cli.prepared import Prepared
    from adp_cli.results import Result
    from adp_cli.tasks import Settings

log = logging.getLogger("adp")


def most_a_call_may_cost(prepared: Prepared) -> float:
    """What the budget holds for a call in flight: as many prompt tokens as the prompt has UTF-8
    bytes (no token of a byte-level tokenizer is shorter than a byte) plus a full ``max_tokens``
    reply, on the dearest model the call may go to."""
    prompt_bytes = len(prepared.prompt_text.encode("utf-8", "surrogatepass"))
    return max(catalog.usage_cost(prompt_bytes, prepared.max_tokens, model) for model in prepared.candidates)


class GroqProvider:
    name = "groq"

    def __init__(self, connection: Connection, settings: Settings) -> None:
        self._connection = connection
        self._rng = random.Random(settings.seed)
        self._gone: set[str] = set()  # random picks Groq said it no longer serves
        self._gate = RateGate()
        self._client: groq.Groq | None = None
        self._tab: Tab | None = None

    def start(self) -> None:
        """A missing or unusable key, or an unusable ledger, fails here, before any request."""
        self._client = make_client(self._connection, self._gate)
        self._tab = Tab()

    def answer(self, prepared: Prepared) -> Result:
        if self._client is None or self._tab is None:
            raise RuntimeError("start() the provider before answer()")
        with self._tab.reserve(most_a_call_may_cost(prepared)):
            reply = self._send(self._client, prepared)
            if catalog.price_of(reply.model) is None:
                log.warning("no price known for %s; its cost is reported as 0", reply.model)
            usage = Usage(
                tokens_used=reply.prompt_tokens + reply.completion_tokens,
                cost_usd=catalog.usage_cost(reply.prompt_tokens, reply.completion_tokens, reply.model),
                provider=self.name,
                model=reply.model,
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
                latency_ms=reply.latency_ms,
            )
            self._tab.add(Call(usage.model, usage.prompt_tokens, usage.completion_tokens, usage.cost_usd))
        if reply.bad_usage:
            raise BadReplyError(f"Groq reported unusable usage ({reply.bad_usage}); the call is in the ledger without it")
        return prepared.task.finish(reply.content, usage)  # type: ignore[return-value]

    def _pick(self, prepared: Prepared) -> tuple[str, bool]:
        """The model to try next and whether it was picked at random (and may be replaced)."""
        if len(prepared.candidates) == 1:
            return prepared.candidates[0], False
        pool = [model for model in prepared.candidates if model not in self._gone]
        if not pool:
            raise GenerationError("no model in the random pool is available; see `adp models --live`")
        return self._rng.choice(pool), True

    def _send(self, client: groq.Groq, prepared: Prepared) -> Completion:
        """Send, replacing a randomly picked model that Groq no longer serves."""
        while True:
            model, at_random = self._pick(prepared)
            log.info("model: %s%s", model, " (random pick)" if at_random else "")
            try:
                reply = complete(client, model, prepared.messages, prepared.temperature, prepared.max_tokens)
            except ModelUnavailableError as error:
                if not at_random:
                    raise ModelUnavailableError(f"{error}; run `adp models --live` to see the models Groq serves") from None
                log.warning("%s; picking another model", error)
                self._gone.add(model)
                continue
            log.debug("raw reply: %r", reply.content)
            return reply
