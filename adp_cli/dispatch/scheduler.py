"""Living within a server's rate limits: mirror what it says, pace what we send.

The ``Scheduler`` mirrors each model's budgets from the signals of every reply (its headers, a
refusal's wait; see ``transports.signals``) and holds a request back until its model's mirror can
take it, rather than sending it to be refused. Windows are never assumed: a budget's window is
its reset time scaled by how much of it is used, so a server on a compressed clock (tests) or
with other windows needs no change. The dispatcher hands it every reply with the ``Ticket`` the
request was admitted on; nothing here touches HTTP. Nothing here prints either: ``waiting()``
tells the progress line what the run waits for.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from adp_cli.dispatch.budgets import (
    Budget,
    ModelBudgets,
    Ticket,
    delay,
    learn_budget,
    learn_rpm,
    mirror,
)
from adp_cli.errors import RateLimitStop
from adp_cli.transports.signals import (
    RateLimited,
    RateLimitHeaders,
    RateLimitSignal,
    parse_headers,
)

_BACKOFF_FIRST = 0.5
_BACKOFF_MAX = 8.0


class Cancelled(Exception):
    """The run is ending (Ctrl-C): the request waiting for its turn was not sent."""


@dataclass(frozen=True)
class Waiting:
    """What a run waits for now, for a progress line: ``waiting 12 s for <model> <limit>``."""

    model: str
    limit: str
    seconds: float


class Scheduler:
    """One per run, shared by every worker thread: admits each request when its model's
    learned budgets allow it, learns from every reply, stops a model whose limit will not clear
    within ``max_wait`` seconds (or whose daily budget is spent), and wakes all waiters on
    ``cancel()``."""

    def __init__(
        self,
        max_wait: float = 600.0,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        slice_seconds: float = 0.25,
        daily_request_headers: bool = True,
    ) -> None:
        """``rpm``/``tpm`` are the user's hints (the server's figures win once known);
        ``slice_seconds`` bounds any single sleep so no wait outlives its reason.
        ``daily_request_headers``: Groq's ``x-ratelimit-*-requests`` count the day's requests;
        OpenAI's (and what servers relaying it send) count the minute's."""
        self._request_budget = "rpd" if daily_request_headers else "rpm"
        self.max_wait = max_wait
        self._hints = (rpm, tpm)
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()
        self._slice = slice_seconds
        self._cond = threading.Condition()
        self._models: dict[str, ModelBudgets] = {}
        self._cancelled = False
        self._seq = 0
        self._arrivals = 0
        self._queue: dict[int, tuple[int, frozenset[str]]] = {}  # waiting thread -> (turn, models)

    # -- admission ---------------------------------------------------------------------------

    def admit(self, model: str, tokens: int) -> Ticket:
        """Block until ``model`` can take a request of ``tokens`` tokens; charge it and return
        its ticket (``release`` it when the reply is in). Raises the model's ``RateLimitStop``
        instead of waiting past ``max_wait`` or into a spent daily budget, ``Cancelled`` after
        ``cancel()``."""
        return self.admit_any([model], tokens)

    def admit_any(self, models: Sequence[str], tokens: int) -> Ticket:
        """Like ``admit`` for whichever of ``models`` can take the request first; among those
        ready now, a random pick weighted by headroom, so a pool spreads over its budgets.
        Raises the stop that clears soonest when every model is stopped."""
        if not models:
            raise ValueError("admit_any needs at least one model")
        me = threading.get_ident()
        with self._cond:
            self._arrivals += 1
            self._queue[me] = (self._arrivals, frozenset(models))
            try:
                while True:
                    ticket = self._try_admit(models, tokens, me)
                    if ticket is not None:
                        return ticket
            finally:
                self._forget_waits(models, me)
                del self._queue[me]
                self._cond.notify_all()  # the next in line may be first now

    def _try_admit(self, models: Sequence[str], tokens: int, me: int) -> Ticket | None:
        """One look at the pool under the lock: admit, stop, or wait a slice (then None)."""
        if self._cancelled:
            raise Cancelled("cancelled while waiting for a rate limit")
        self._forget_waits(models, me)
        now = self._clock()
        delays = self._delays(models, tokens, now)
        if not delays:
            raise _soonest_stop([self._models[m].stop for m in models])
        ready = [model for model, (delay, _) in delays.items() if delay <= 0]
        if ready and self._first_in_line(me):
            weights = [self._headroom(self._models[m], now) + 1e-3 for m in ready]
            return self._charge(self._rng.choices(ready, weights)[0], tokens, now)
        model, (delay, limit) = min(delays.items(), key=lambda item: item[1][0])
        self._models[model].waits[me] = (limit, now + delay)
        # Not first in line with a slot free: the one ahead is being admitted and notifies.
        self._cond.wait(min(delay, self._slice) if delay > 0 else self._slice)
        return None

    def _first_in_line(self, me: int) -> bool:
        """Whether no request that came earlier waits for any of the same models: slots go in
        the order requests asked, so a batch's oldest item is not overtaken while its lines
        come out in input order."""
        turn, models = self._queue[me]
        return not any(other < turn and others & models for other, others in self._queue.values())

    def _forget_waits(self, models: Sequence[str], me: int) -> None:
        for model in models:
            state = self._models.get(model)
            if state is not None:
                state.waits.pop(me, None)

    def _delays(self, models: Sequence[str], tokens: int, now: float) -> dict[str, tuple[float, str]]:
        """Each live model's wait and the limit it waits for; stops those past ``max_wait``."""
        delays: dict[str, tuple[float, str]] = {}
        for model in models:
            state = self._live(model, now)
            if state is None:
                continue
            wait, limit = delay(state, tokens, now, self._slice)
            if wait > self.max_wait:
                self._stop(model, state, limit, wait, over_max_wait=True)
                continue
            delays[model] = (wait, limit)
        return delays

    def _charge(self, model: str, tokens: int, now: float) -> Ticket:
        state = self._models[model]
        state.rpm.take(1, now)
        state.tpm.take(tokens, now)
        state.rpd.take(1, now)
        self._seq += 1
        ticket = Ticket(model, tokens, self._seq)
        state.in_flight[ticket.seq] = tokens
        return ticket

    def release(self, ticket: Ticket) -> None:
        """The ticket's reply is in (or it failed): it no longer counts as in flight."""
        with self._cond:
            self._models[ticket.model].in_flight.pop(ticket.seq, None)

    def cancel(self) -> None:
        """Wake every waiting ``admit`` at once to raise ``Cancelled``; nothing more is admitted."""
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()

    # -- learning ----------------------------------------------------------------------------

    def observe(self, model: str, headers: Mapping[str, str], ticket: Ticket | None = None) -> None:
        """Learn from the budget headers of one reply of ``model`` (a refusal's too), read while
        ``ticket``, the admission it answers, is still in flight; without one, the reply's age
        is unknown."""
        snapshot = parse_headers(headers)
        with self._cond:
            now = self._clock()
            self._learn_headers(self._state(model, now), snapshot, ticket, now)
            self._cond.notify_all()  # a refund may let the request first in line go sooner

    def answered(self, model: str) -> None:
        """A request to ``model`` got through: its streak of refusals, if any, is over."""
        with self._cond:
            state = self._models.get(model)
            if state is not None:
                state.refused_since = None

    def refused(self, model: str, signal: RateLimitSignal, attempt: int) -> None:
        """A request to ``model`` came back refused for the ``attempt``-th time: hold the model
        for the wait the server named, or for a growing back-off when it named none."""
        wait = signal.wait
        if wait is None:
            wait = min(_BACKOFF_FIRST * 2 ** (attempt - 1), _BACKOFF_MAX) * self._rng.uniform(0.75, 1.0)
        with self._cond:
            now = self._clock()
            self._learn_refusal(model, self._state(model, now), signal, wait, now)
            self._cond.notify_all()

    def _learn_headers(self, state: ModelBudgets, seen: RateLimitHeaders, ticket: Ticket | None, now: float) -> None:
        """Mirror the header budgets: the server's figures less what was admitted after the
        request this reply answers. The reply to the newest request is taken as it is, up or
        down; an older one, or one whose request is unknown, only ever lowers the mirror (it
        may predate admissions it does not show). Requests per minute, in no header, refill
        over the token budget's minute."""
        later, later_tokens = state.admitted_after(ticket)
        newest = ticket is not None and ticket.seq >= state.newest_reply
        if newest and ticket is not None:
            state.newest_reply = ticket.seq
        if seen.limit_tokens and seen.remaining_tokens is not None:
            learn_budget(state.tpm, seen.limit_tokens, seen.remaining_tokens, seen.reset_tokens, now)
            mirror(state.tpm, seen.remaining_tokens - later_tokens, now, newest)
            if state.tpm.window is not None:
                state.rpm.window = state.tpm.window
        if seen.limit_requests and seen.remaining_requests is not None:
            requests = state.rpd if self._request_budget == "rpd" else state.rpm
            learn_budget(requests, seen.limit_requests, seen.remaining_requests, seen.reset_requests, now)
            mirror(requests, seen.remaining_requests - later, now, newest)

    def _learn_refusal(self, model: str, state: ModelBudgets, signal: RateLimitSignal, wait: float, now: float) -> None:
        limit = signal.limit or ("capacity" if signal.status == 498 else "rate limit")
        if state.refused_since is None:
            state.refused_since = now
        # Refused again and again with short waits, the model has not answered for longer than
        # --max-wait: a server that refuses everything (a quota that never clears) stops the run.
        waited = now - state.refused_since + wait
        if signal.daily or wait > self.max_wait or waited > self.max_wait:
            if state.stop is None:
                self._stop(model, state, limit, waited if not signal.daily else wait, over_max_wait=not signal.daily)
            return
        if now + wait > state.paused_until:
            state.paused_until, state.pause_limit = now + wait, limit
        # A refusal is written the moment the request arrives, with everything that arrived
        # before it counted: unlike a reply's headers, it needs no in-flight correction.
        if limit == "RPM":
            learn_rpm(state, signal, wait, now)
        elif limit == "TPM" and signal.requested is not None and state.tpm.rate is not None:
            state.tpm.lower_to(signal.requested - wait * state.tpm.rate, now)

    def _stop(self, model: str, state: ModelBudgets, limit: str, wait: float | None, over_max_wait: bool = False) -> None:
        """From now on every admission to ``model`` raises this stop; waiters learn it at once."""
        resets_at = datetime.fromtimestamp(self._wall_clock() + wait).astimezone() if wait is not None else None
        state.stop = RateLimitStop(model, limit, resets_at, wait if over_max_wait else None)
        self._cond.notify_all()

    # -- reading -----------------------------------------------------------------------------

    def waiting(self) -> list[Waiting]:
        """Per model with waiting workers, the soonest wait: what a progress line shows."""
        with self._cond:
            now = self._clock()
            found = []
            for model, state in self._models.items():
                if state.waits:
                    limit, until = min(state.waits.values(), key=lambda wait: wait[1])
                    found.append(Waiting(model, limit, max(0.0, until - now)))
            return sorted(found, key=lambda wait: wait.seconds)

    def headroom(self, model: str) -> float:
        """0..1: the smallest fraction left of the model's known budgets; 0 when it is stopped
        or held after a refusal, 1 when nothing is known yet."""
        with self._cond:
            now = self._clock()
            return self._headroom(self._state(model, now), now)

    def available(self, models: Sequence[str]) -> list[str]:
        """The models still taking requests, most headroom first (ties keep the given order)."""
        with self._cond:
            now = self._clock()
            live = [m for m in models if self._live(m, now) is not None]
            return sorted(live, key=lambda m: -self._headroom(self._models[m], now))

    def stopped(self, model: str) -> RateLimitStop | None:
        """The stop that ended ``model`` in this run, if any."""
        with self._cond:
            state = self._models.get(model)
            return state.stop if state is not None else None

    def _live(self, model: str, now: float) -> ModelBudgets | None:
        """The model's mirror while it may still be sent to; None once stopped. A spent daily
        request budget stops it here (it refills over hours: not worth a wait)."""
        state = self._state(model, now)
        if state.stop is None and (level := state.rpd.level(now)) is not None and level < 1:
            self._stop(model, state, "RPD", state.rpd.seconds_to_full(now))
        return state if state.stop is None else None

    def _headroom(self, state: ModelBudgets, now: float) -> float:
        if state.stop is not None or state.paused_until > now:
            return 0.0
        fractions = [f for b in (state.rpm, state.tpm, state.rpd) if (f := b.fraction(now)) is not None]
        return max(0.0, min(1.0, min(fractions, default=1.0)))

    def _state(self, model: str, now: float) -> ModelBudgets:
        """The model's mirror, made on first use with the user's hints; callers hold the lock."""
        state = self._models.get(model)
        if state is None:
            rpm, tpm = self._hints
            state = ModelBudgets(rpm=Budget(rpm), tpm=Budget(tpm), rpd=Budget())
            self._models[model] = state
        return state


def _soonest_stop(stops: Sequence[RateLimitStop | None]) -> RateLimitStop:
    """Of several stopped models, the one to report: the one that resets first."""
    found = [stop for stop in stops if stop is not None]
    dated = [stop for stop in found if stop.resets_at is not None]
    return min(dated, key=lambda stop: stop.resets_at or datetime.max) if dated else found[0]


class Answered(Protocol):
    """What a send returns: anything that carries its reply's headers."""

    @property
    def headers(self) -> Mapping[str, str]: ...


A = TypeVar("A", bound=Answered)


def send_with(scheduler: Scheduler, models: str | Sequence[str], tokens: int, send: Callable[[str], A]) -> A:
    """Send one request under the scheduler: admit it (to whichever of ``models`` has budget),
    call ``send(model)``, learn from the reply's headers, and when it raises ``RateLimited`` let
    the scheduler hold the model for the wait and send again, for as long as the waits stay
    within ``max_wait``. Raises the ``RateLimitStop`` of a model that will not clear (of the
    soonest one for a pool)."""
    pool = [models] if isinstance(models, str) else list(models)
    attempts: dict[str, int] = {}
    while True:
        ticket = scheduler.admit_any(pool, tokens)
        try:
            reply = send(ticket.model)
            scheduler.observe(ticket.model, reply.headers, ticket)
            scheduler.answered(ticket.model)
            return reply
        except RateLimited as refusal:
            attempts[ticket.model] = attempts.get(ticket.model, 0) + 1
            scheduler.observe(ticket.model, refusal.headers, ticket)
            scheduler.refused(ticket.model, refusal.signal, attempts[ticket.model])
        finally:
            scheduler.release(ticket)
