"""Any OpenAI-compatible server (Ollama, LM Studio, vLLM, llama.cpp, LiteLLM) as a transport.

The groq SDK is the HTTP client, routed to the server's own ``/v1`` paths (see ``servers``). A
key is sent only when ``ADP_API_KEY`` or ``OPENAI_API_KEY`` holds one, never ``GROQ_API_KEY``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adp_cli.errors import ConfigError
from adp_cli.transports.base import Connection, Reply, Served
from adp_cli.transports.sdk import Hooks, Server, chat, list_models, make_client
from adp_cli.transports.servers import KEY_VARIABLES, adopt_proxied_retry_after, api_key_from_env, api_root, route_to, server_label

if TYPE_CHECKING:
    import groq

    from adp_cli.tasks.prepared import Prepared

# The SDK constructor demands a key; this one is never sent (the Authorization header is omitted).
_UNUSED_KEY = "no-key"


class CompatibleTransport:
    name = "openai"
    groq_catalog = False
    remote = True
    daily_request_headers = False

    def __init__(self, connection: Connection) -> None:
        if not connection.base_url:
            raise ConfigError("--provider openai needs --base-url (or ADP_BASE_URL), e.g. http://localhost:11434/v1")
        self.connection = connection
        host = server_label(connection.base_url)
        self.label = f"openai ({host})"
        self.ledger_server: str | None = host
        self.models_hint = "run `adp models --live` with the same --base-url to see the models it serves"
        self.server = Server(
            name=f"the server at {host}",
            key_hint=f"set {' or '.join(KEY_VARIABLES)} to the key it expects",
            errors="server error",
            url_hint="--base-url",
        )
        self._client: groq.Groq | None = None

    def open(self) -> None:
        if self._client is None:
            assert self.connection.base_url is not None
            self._client = server_client(self.connection.base_url, api_key_from_env(), self.connection)

    def served(self) -> list[Served]:
        self.open()
        assert self._client is not None
        return list_models(self._client, self.server)

    def send(self, body: dict[str, Any], prepared: Prepared) -> Reply:
        if self._client is None:
            raise RuntimeError("open() the transport before send()")
        return chat(self._client, self.server, body)


def server_client(base_url: str, api_key: str | None, connection: Connection, hooks: Hooks | None = None) -> groq.Groq:
    """A client whose requests go to ``{root}/chat/completions`` and ``{root}/models``, ``root``
    being the API root as the server documents it; without a key no Authorization header is sent
    at all (the SDK's own ``omit``). ``hooks`` run after the routing, so they see the URL actually
    requested and a relayed ``retry-after``."""
    import groq

    root = api_root(base_url)
    key = (api_key or "").strip()
    extra = hooks or {}
    routed: Hooks = {
        "request": [route_to(root), *extra.get("request", [])],
        "response": [adopt_proxied_retry_after, *extra.get("response", [])],
    }
    headers = {} if key else {"Authorization": groq.omit}
    return make_client(connection, key or _UNUSED_KEY, base_url=root, hooks=routed, default_headers=headers)
