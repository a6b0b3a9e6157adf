"""What adp knows of OpenAI-compatible servers (Ollama, LM Studio, vLLM, llama.cpp, LiteLLM):
their URLs, labels, keys, the way each says "no such model", and how to route the groq SDK to them.

The groq SDK always asks for ``{base_url}/openai/v1/chat/completions`` and ``.../openai/v1/models``,
while these servers document an API root such as ``http://localhost:11434/v1`` with
``/chat/completions`` and ``/models`` under it. Rather than a second SDK (``import openai`` alone
costs over a second), a request event hook drops the SDK's ``/openai/v1`` segment after the root,
so retries, timeouts and error mapping stay the SDK's own. Event hooks, not a custom transport:
httpx ignores ``HTTP(S)_PROXY`` once a transport is given, and hooks run before the proxy choice.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from adp_cli.errors import ConfigError

if TYPE_CHECKING:
    import httpx

GROQ_KEY_VARIABLE = "GROQ_API_KEY"
"""Groq's key, which goes to Groq only (``groq.groq_base_url``)."""
KEY_VARIABLES = ("ADP_API_KEY", "OPENAI_API_KEY")
"""An OpenAI-compatible server's key, checked in this order: adp's own variable wins over one
that may be meant for api.openai.com."""
ALL_KEY_VARIABLES = (GROQ_KEY_VARIABLE, *KEY_VARIABLES)

_SDK_PREFIX = b"/openai/v1/"
_GROQ_HOST = "groq.com"

_UNKNOWN_MODEL_TEXT = re.compile(
    r"\bmodel\b.{0,200}?\b(?:not found|does not exist|is not accessible)"  # Ollama, vLLM, llama.cpp, LM Studio 0.3.5
    r"|\binvalid model (?:name|identifier)\b",  # LiteLLM, LM Studio 0.3.x/0.4.x
    re.IGNORECASE | re.DOTALL,
)


def api_key_from_env() -> str | None:
    """The key to send, or None: local servers mostly need none, and blank values count as unset."""
    for name in KEY_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def redact_url(url: str) -> str:
    """``url`` without ``user:pass@``, so a URL can go into logs and error messages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def server_label(base_url: str) -> str:
    """``host[:port][/path]`` of the server, for ``"openai (localhost:11434/v1)"`` labels.

    No scheme, userinfo, query or fragment: a label names the server, it never carries a secret.
    """
    parts = urlsplit(base_url.strip())
    host = parts.netloc.rpartition("@")[2]
    if not host:
        return redact_url(base_url.strip())
    return host + parts.path.rstrip("/")


def looks_like_openai_root(url: str) -> bool:
    """A ``--base-url`` in the ``.../v1`` form every local server documents, on a non-Groq host."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not host or host == _GROQ_HOST or host.endswith("." + _GROQ_HOST):
        return False
    return parts.path.rstrip("/").endswith("/v1")


def takes_groq_key(url: str) -> bool:
    """The one key rule: ``GROQ_API_KEY`` may go to ``url`` unless it is an OpenAI-compatible
    server's root, which gets ``ADP_API_KEY``/``OPENAI_API_KEY`` only (``transport_name`` picks
    the OpenAI-compatible transport for the same URLs, ``groq.groq_base_url`` refuses them)."""
    return not looks_like_openai_root(url)


def _error_fields(body: object) -> tuple[str, str]:
    """(code, message) from the shapes these servers use, the code lower-cased.

    ``{"error": {...}}`` (OpenAI, LiteLLM, Ollama, current vLLM, llama.cpp, LM Studio),
    a flat ``{"message", "type", "code"}`` (vLLM before 0.10), ``{"detail": "..."}`` (LiteLLM's
    FastAPI answers), ``{"error": "..."}`` (LM Studio, vLLM's 401) or a bare string.
    """
    if isinstance(body, dict) and "error" in body:
        body = body["error"]
    if isinstance(body, dict):
        message = body.get("message") or body.get("detail") or ""
        return str(body.get("code") or "").lower(), str(message)
    return "", "" if body is None else str(body)


def is_unknown_model(status: int, body: object) -> bool:
    """Whether a 400/404 says the requested model is not served (so another may be picked).

    Other 400s (bad parameters, context too long, a model that exists but fails to load, no model
    loaded at all) and 404s for an unknown route (``{"detail": "Not Found"}``) are not.
    """
    if status not in (400, 404):
        return False
    code, message = _error_fields(body)
    return code == "model_not_found" or bool(_UNKNOWN_MODEL_TEXT.search(message))


def api_root(base_url: str) -> str:
    """The API root as given, minus trailing slashes; only http(s) URLs with a host make sense."""
    root = base_url.strip().rstrip("/")
    parts = urlsplit(root)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--base-url must be an http(s) URL such as http://localhost:11434/v1, not {redact_url(root)!r}")
    return root


def route_to(root: str) -> Callable[[httpx.Request], None]:
    """A request hook mapping ``{root}/openai/v1/X`` (what the SDK builds) to ``{root}/X``."""
    import httpx

    root_path = httpx.URL(root).raw_path.split(b"?", 1)[0].rstrip(b"/")
    sdk_prefix = root_path + _SDK_PREFIX

    def route(request: httpx.Request) -> None:
        raw_path = request.url.raw_path
        if raw_path.startswith(sdk_prefix):
            request.url = request.url.copy_with(raw_path=root_path + b"/" + raw_path[len(sdk_prefix) :])

    return route


def adopt_proxied_retry_after(response: httpx.Response) -> None:
    """LiteLLM relays an upstream's ``retry-after`` as ``llm_provider-retry-after``; the SDK (and
    any rate gate after this hook) only read the plain names, so copy it over unless LiteLLM set
    its own (its router cooldown answers carry a plain ``retry-after``)."""
    for name in ("retry-after-ms", "retry-after"):
        relayed = response.headers.get("llm_provider-" + name)
        if relayed is not None and name not in response.headers:
            response.headers[name] = relayed
