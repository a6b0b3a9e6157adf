"""An httpx client for the groq SDK whose every request ends within one total timeout.

httpx (so the SDK, so ``--timeout``) times each socket operation on its own: the connect, and
then every read and every write. A server that trickles its reply a byte at a time resets the
read timeout with every byte, so without this a request can last forever and one slow request
stalls a one-shot or a whole batch.

How: :func:`http_client` stamps each request, when it is sent, with a deadline ``timeout``
seconds ahead, and every connection pool the client owns (the direct one and each
environment-proxy mount) talks to the network through :class:`_DeadlineBackend`, whose streams
wait at most ``min(the operation's own timeout, the time left until the deadline)``. The socket
calls stay the blocking ones httpcore makes with a timeout (no signal, no watchdog thread, no
polling), so this works alike on Linux, macOS and Windows. A passed deadline raises the
operation's own ``httpcore`` timeout, which httpx turns into an ``httpx.TimeoutException`` and
the SDK into ``groq.APITimeoutError``, exactly as for a per-operation timeout.

Why a network backend and not ``transport=``: httpx reads ``HTTP(S)_PROXY``, ``ALL_PROXY`` and
``NO_PROXY`` only when it builds its own transports, so a custom transport would silently drop
the user's proxies. Instead the client is built as usual and the backend is slipped into the
pools httpx made.

This module imports httpx, httpcore and groq at its top (its classes subclass theirs): import it
from inside the function that builds an SDK client, never from a module on the CLI start-up path.
"""

from __future__ import annotations

import ssl
import time
import typing
from collections.abc import Callable, Iterable, Mapping

import groq
import httpcore
import httpx

# A request body is written in pieces of this size, each waiting at most the time left: httpcore
# writes a whole buffer with as many socket sends as the peer's reading needs, each timed anew.
_WRITE_PIECE = 64 * 1024

_OPERATIONS = ("connect", "read", "write", "pool")


class _Budget(float):
    """One operation's timeout (its float value, all that httpcore and the socket see) that also
    carries the deadline of its request.

    httpcore passes the values of a request's ``timeout`` extension untouched to the network
    stream of whichever pooled connection serves that request: the one channel from a request to
    the socket calls it causes. Carrying the deadline there (not in a thread-local or on the
    connection) keeps it right for kept-alive connections, redirects and streamed bodies read
    after ``send`` returns.
    """

    __slots__ = ("deadline",)
    deadline: float

    def __new__(cls, seconds: float, deadline: float) -> typing.Self:
        budget = super().__new__(cls, seconds)
        budget.deadline = deadline
        return budget


def _within(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    """The wait one socket operation may take: its own timeout, cut to the time left until its
    request's deadline; a passed deadline raises ``expired`` without touching the socket (a zero
    socket timeout would mean non-blocking, not "no time")."""
    if not isinstance(timeout, _Budget):
        return timeout
    left = timeout.deadline - time.monotonic()
    if left <= 0:
        raise expired("the request's total timeout passed")
    return min(float(timeout), left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection's stream whose reads, writes and TLS handshake respect the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _within(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for start in range(0, len(buffer), _WRITE_PIECE):
            self._inner.write(buffer[start : start + _WRITE_PIECE], _within(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        # httpcore times the handshake with the request's connect timeout.
        inner = self._inner.start_tls(ssl_context, server_hostname, _within(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Opens connections through the pool's own backend and wraps their streams.

    Only ``connect_tcp`` is needed: httpcore calls ``connect_unix_socket`` only for ``uds=`` and
    ``sleep`` only for transport ``retries=``, neither of which :func:`http_client` sets.
    """

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _within(timeout, httpcore.ConnectTimeout), local_address, socket_options)
        return _DeadlineStream(stream)


def _install_deadlines(transport: httpx.BaseTransport) -> None:
    """Route one httpx transport's pool through :class:`_DeadlineBackend`.

    httpx offers no public way to choose the network backend of the pools it builds, so this
    swaps the pool's ``_network_backend`` before it opens any connection (pools read it when they
    create a connection). Reading the old value first makes an httpx/httpcore that renamed these
    internals fail here, loudly, instead of silently losing the deadline.
    """
    if not isinstance(transport, httpx.HTTPTransport):
        raise TypeError(f"cannot bound requests sent through {type(transport).__name__}")
    pool = transport._pool
    pool._network_backend = _DeadlineBackend(pool._network_backend)


class _DeadlineClient(groq.DefaultHttpxClient):
    """The SDK's default httpx client (its limits, redirects and proxies) with a total timeout."""

    def __init__(self, timeout: float, **kwargs: typing.Any) -> None:
        super().__init__(timeout=timeout, **kwargs)
        self._total = timeout
        # A mount of None (a NO_PROXY host) sends through the default transport.
        for transport in (self._transport, *self._mounts.values()):
            if transport is not None:
                _install_deadlines(transport)

    def send(self, request: httpx.Request, **kwargs: typing.Any) -> httpx.Response:
        """Start the request's clock: ``send`` is where every request enters (``request``,
        ``stream`` and the SDK all call it, once per SDK attempt), and redirects it follows
        inside share the stamped extension, so they share the deadline too."""
        deadline = time.monotonic() + self._total
        timeouts: Mapping[str, float | None] = request.extensions.get("timeout", {})
        stamped = {}
        for operation in _OPERATIONS:
            seconds = timeouts.get(operation)
            stamped[operation] = _Budget(self._total if seconds is None else min(seconds, self._total), deadline)
        request.extensions = {**request.extensions, "timeout": stamped}
        return super().send(request, **kwargs)


def http_client(
    timeout: float,
    event_hooks: Mapping[str, list[Callable[..., typing.Any]]] | None = None,
) -> httpx.Client:
    """An httpx client for ``groq.Groq(http_client=...)`` on which every request (connect, TLS,
    sending, status line, headers and body) ends within ``timeout`` seconds in total.

    Each SDK attempt is a new request with its own ``timeout``: with ``max_retries=N`` a call lasts
    at most about ``(N + 1) * timeout`` plus the SDK's back-off. Pass the same ``timeout`` to
    ``groq.Groq`` too: the SDK stamps it on each request as the per-operation timeouts, which this
    client keeps (each operation also ends at the deadline).
    """
    return _DeadlineClient(timeout, event_hooks=event_hooks)
