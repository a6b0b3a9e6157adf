"""Any OpenAI-compatible server (Ollama, LM Studio, vLLM, llama.cpp, LiteLLM) as a provider.

The groq SDK is the HTTP client, routed to the server's own ``/v1`` paths
(``openai_server.make_client``). Without ``-m`` a random pick comes from the server's own
``/models`` list. A local model is free unless the user prices it (``--price`` or
``ADP_PRICES_FILE``), and its calls go to their own part of the ledger, which the Groq budget
does not count.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from adp_cli.accounting import catalog
from adp_cli.errors import ConfigError
from adp_cli.providers.base import Connection
from adp_cli.providers.chat import ChatProvider, Hooks
from adp_cli.providers.client import Server
from adp_cli.providers.openai_server import KEY_VARIABLES, api_key_from_env, make_client, server_label

if TYPE_CHECKING:
    import groq

    from adp_cli.prepared import Prepared
    from adp_cli.settings import Settings


class CompatibleProvider(ChatProvider):
    name = "openai"
    daily_request_headers = False

    def __init__(self, connection: Connection, settings: Settings) -> None:
        if not connection.base_url:
            raise ConfigError("--provider openai needs --base-url (or ADP_BASE_URL), e.g. http://localhost:11434/v1")
        super().__init__(connection, settings)
        host = server_label(connection.base_url)
        self.label = f"openai ({host})"
        self.ledger_server = host
        self.models_hint = "run `adp models --live` with the same --base-url to see the models it serves"
        self.server = Server(
            name=f"the server at {host}",
            key_hint=f"set {' or '.join(KEY_VARIABLES)} to the key it expects",
            errors="server error",
            url_hint="--base-url",
        )
        self._served: list[str] | None = None
        self._served_lock = threading.Lock()

    def make_client(self, hooks: Hooks) -> groq.Groq:
        connection = self.connection
        assert connection.base_url is not None
        return make_client(connection.base_url, api_key_from_env(), connection.timeout, connection.max_retries, hooks)

    def start(self) -> None:
        """Also ask the server for its models when a random pick will need them: a server that
        is down or serves nothing fails the run here."""
        super().start()
        if not self.settings.model:
            self.served()

    def served(self) -> list[str]:
        """The ids the server serves, asked once per run."""
        with self._served_lock:
            if self._served is None:
                self._served = [model for model, _ in self.live_models()]
                if not self._served:
                    raise ConfigError(f"{self.server.name} serves no model; give one with -m")
            return self._served

    def models(self, prepared: Prepared) -> list[str]:
        """The named model, else the server's own list (the Groq task models mean nothing here);
        before the run starts that list is unknown, so a dry run shows none."""
        if prepared.settings.model:
            return [prepared.settings.model]
        return self.served() if self._client is not None else []

    def price_of(self, model: str) -> catalog.Price | None:
        return catalog.override_price(model)
