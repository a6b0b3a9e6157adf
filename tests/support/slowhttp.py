"""Loopback HTTP(S) servers that answer slowly, a byte at a time, or never, and a forwarding proxy.

Each server runs one scripted ``answer`` per request on its own thread, so a test can make the
status line, the headers, the body or the reading of the request body as slow as it likes.
Standard library only. Every wait is on the server's ``stopped`` event, so stopping a server ends
its trickles at once; ``stop`` ends the server.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

TLS = Path(__file__).resolve().parent / "tls"
# A CA made for these tests (key discarded) and a certificate it signed for IP 127.0.0.1, valid to 2126.
TLS_CA = TLS / "loopback-ca.pem"

TRICKLE_S = 0.2  # one byte every TRICKLE_S seconds

COMPLETION = json.dumps(
    {
        "id": "chatcmpl-slow",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "llama-3.1-8b-instant",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
).encode("utf-8")

HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(COMPLETION)).encode("ascii")
    + b"\r\n\r\n"
)

Answer = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK expects
    timeout = 30  # an idle kept-alive connection ends its thread eventually
    server: SlowServer
    body: bytes

    def setup(self) -> None:
        if self.server.tls is not None:
            self.request.settimeout(self.timeout)
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def do_POST(self) -> None:
        with self.server.lock:
            self.server.seen.append(self.path)
        try:
            self.server.answer(self)
        except OSError:  # the client gave up on a slow answer: what the tests are about
            self.close_connection = True
        if self.server.stopped.is_set():  # an answer cut short leaves the stream mid-message
            self.close_connection = True

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def log_message(self, format: str, *args: object) -> None:
        return


class SlowServer(ThreadingHTTPServer):
    """A started loopback server; ``url`` is its root, ``seen`` the request targets it got (an
    absolute URL when it is used as a proxy), ``connections`` how many it accepted."""

    daemon_threads = True

    def __init__(self, answer: Answer, *, tls: bool = False, receive_buffer: int | None = None) -> None:
        self.answer = answer
        self.tls: ssl.SSLContext | None = None
        if tls:
            self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls.load_cert_chain(TLS / "loopback-server.pem", TLS / "loopback-server.key")
        self.receive_buffer = receive_buffer
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.seen: list[str] = []
        self.connections = 0
        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server_address[1]}"
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def server_bind(self) -> None:
        if self.receive_buffer is not None:  # accepted sockets inherit it; it stops autotuning
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        super().server_bind()

    def stop(self) -> None:
        self.stopped.set()
        self.shutdown()
        self.server_close()
        self._thread.join()


def _trickle(handler: Handler, data: bytes) -> None:
    for index in range(len(data)):
        if handler.server.stopped.wait(TRICKLE_S):
            return
        handler.wfile.write(data[index : index + 1])


def quick(handler: Handler) -> None:
    """A normal answer, all at once."""
    handler.read_body()
    handler.wfile.write(HEAD + COMPLETION)


def pause_then_quick(seconds: float) -> Answer:
    def answer(handler: Handler) -> None:
        handler.read_body()
        if not handler.server.stopped.wait(seconds):
            handler.wfile.write(HEAD + COMPLETION)

    return answer


def trickle_body(handler: Handler) -> None:
    """Status line and headers at once, then the body one byte every ``TRICKLE_S``."""
    handler.read_body()
    handler.wfile.write(HEAD)
    _trickle(handler, COMPLETION)


def trickle_head(handler: Handler) -> None:
    """The status line and headers (then the body) one byte every ``TRICKLE_S``."""
    handler.read_body()
    _trickle(handler, HEAD + COMPLETION)


def silent(handler: Handler) -> None:
    """Takes the request and never answers."""
    handler.read_body()
    handler.server.stopped.wait()


def slow_reader(bytes_per_second: int) -> Answer:
    """Reads the request body at ``bytes_per_second`` (in sixteenths of it), then answers."""
    piece = bytes_per_second // 16

    def answer(handler: Handler) -> None:
        left = int(handler.headers.get("Content-Length", "0"))
        while left > 0:
            if handler.server.stopped.wait(1 / 16):
                return
            data = handler.rfile.read(min(piece, left))
            if not data:
                return
            left -= len(data)
        handler.wfile.write(HEAD + COMPLETION)

    return answer


def forward(handler: Handler) -> None:
    """A plain-HTTP forwarding proxy: relays the absolute-form request to its origin."""
    target = urlsplit(handler.path)
    upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=10)
    try:
        headers = {name: value for name, value in handler.headers.items() if name.lower() not in {"connection", "proxy-connection"}}
        upstream.request(handler.command, target.path, body=handler.read_body(), headers=headers)
        reply = upstream.getresponse()
        data = reply.read()
    finally:
        upstream.close()
    handler.send_response(reply.status)
    handler.send_header("Content-Type", reply.getheader("Content-Type", "application/json"))
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
