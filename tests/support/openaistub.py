"""A loopback OpenAI-compatible server (LiteLLM, Ollama, vLLM, llama.cpp, LM Studio) for tests.

The GroqStub machinery (threads, scripted replies, recorded requests) answering like a local
server: the API under ``/v1``, no key needed unless asked, the server's own model list, chat
replies without Groq's fields (no ``x_groq``, OpenAI-shaped usage), and each server's own answer
to a model it does not serve. LiteLLM's shapes were recorded from its 1.108.7 proxy; the others
come from their sources and issue threads (see the notes in ``openai-servers.md``).

    with OpenAIStub(flavour="ollama", models=["llama3.2:3b"]) as stub:
        client = make_client(stub.api_url, None, timeout=5, max_retries=2)

``stub.exhaust_quota()`` makes every later request answer OpenAI's 429 ``insufficient_quota``,
which a server proxying to a paid upstream relays once the account runs dry, and which no wait
clears. Standard library only, like groqstub.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from tests.support.groqstub import GroqStub, Recorded, Reply

DEFAULT_MODELS: list[str] = ["llama3.2:3b", "qwen2.5:7b-instruct"]


def openai_chat_body(content: str, model: str, prompt_tokens: int, completion_tokens: int) -> dict:
    """A chat completion as these servers shape it: OpenAI's fields only."""
    return {
        "id": f"chatcmpl-{uuid.uuid4()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _error(status: int, **error: object) -> Reply:
    return Reply(status=status, body={"error": error})


def litellm_unknown_model(model: str) -> Reply:
    """LiteLLM 1.108.7's answer to a chat naming a model outside its ``model_list`` (recorded)."""
    message = (
        f"/chat/completions: Invalid model name passed in model={model}. "
        "Call `/v1/models` to view available models for your key."
    )
    return _error(
        400,
        message=message,
        type="invalid_request_error",
        param=None,
        code="400",
        provider_specific_fields={"error": message},
    )


def litellm_unknown_model_lookup(model: str) -> Reply:
    """LiteLLM's ``GET /v1/models/{id}`` for an id it lacks: FastAPI's ``detail`` (recorded)."""
    return Reply(status=404, body={"detail": f"The model `{model}` does not exist or is not accessible"})


def ollama_unknown_model(model: str) -> Reply:
    """Ollama: its native ``model 'x' not found`` wrapped by the OpenAI layer (openai.NewError)."""
    return _error(404, message=f"model '{model}' not found", type="not_found_error", param=None, code=None)


def vllm_unknown_model(model: str) -> Reply:
    """vLLM's ``_check_model``; before 0.10 the same fields came flat, without ``error``."""
    return _error(404, message=f"The model `{model}` does not exist.", type="NotFoundError", param="model", code=404)


def llamacpp_unknown_model(model: str) -> Reply:
    """llama-server in router mode (several models); with one model it ignores the field."""
    return _error(400, code=400, message="model not found", type="invalid_request_error")


def lmstudio_unknown_model(model: str) -> Reply:
    """LM Studio 0.3.3x/0.4.x with models loaded; with exactly one loaded it ignores the field."""
    return _error(
        400,
        message=f'Invalid model identifier "{model}". Please specify a valid downloaded model (e.g., qwen3-8b).',
        type="invalid_request_error",
        param="model",
        code="model_not_found",
    )


def insufficient_quota() -> Reply:
    """OpenAI's 429 for an account out of credit: no ``retry-after``, and retrying never helps."""
    return _error(
        429,
        message=(
            "You exceeded your current quota, please check your plan and billing details. For more "
            "information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
        ),
        type="insufficient_quota",
        param=None,
        code="insufficient_quota",
    )


def unauthorized() -> Reply:
    """vLLM's answer when started with ``--api-key`` and the request lacks it."""
    return Reply(status=401, body={"error": "Unauthorized"})


def not_found_route() -> Reply:
    """FastAPI's 404 for an unknown route (LiteLLM, vLLM): what a mis-routed ``/openai/v1`` gets."""
    return Reply(status=404, body={"detail": "Not Found"})


def litellm_cooldown(retry_after: float, model: str = "local-llama") -> Reply:
    """LiteLLM's router when every deployment of ``model`` is cooling down: a plain ``retry-after``
    (LiteLLM rounds up to whole seconds; the stub takes fractions, for a compressed clock)."""
    reply = _error(
        429,
        message=(
            f"No deployments available for selected model, Try again in {retry_after:g} seconds. "
            f"All deployments for selected model are in cooldown. Passed model={model}. "
            "pre-call-checks=False, cooldown_list=['12ce07226b19']"
        ),
        type="all_deployments_in_cooldown",
        param=None,
        code="429",
    )
    reply.headers = {"retry-after": f"{retry_after:g}"}
    return reply


def litellm_upstream_rate_limited(retry_after: float, model: str = "local-llama") -> Reply:
    """An upstream's 429 relayed by LiteLLM: the upstream's headers come back ``llm_provider-``
    prefixed, so its wait is ``llm_provider-retry-after`` and there is no plain ``retry-after``."""
    reply = _error(
        429,
        message=(
            f"litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for model `{model}`. "
            f"Please try again in {retry_after:g}s.\n\nLiteLLM: model group '{model}' failed with the error "
            "above. No fallback was attempted."
        ),
        type="throttling_error",
        param=None,
        code="429",
    )
    reply.headers = {
        "llm_provider-retry-after": f"{retry_after:g}",
        "llm_provider-x-ratelimit-remaining-requests": "0",
        "x-ratelimit-remaining-requests": "0",
    }
    return reply


@dataclass(frozen=True)
class Flavour:
    """What differs between the servers: unknown-model answers, model entries, extra headers."""

    unknown_model: Callable[[str], Reply]
    unknown_model_lookup: Callable[[str], Reply]
    model_entry: Callable[[str], dict]
    headers: Callable[[], dict[str, str]]
    body_extra: dict


def _litellm_headers() -> dict[str, str]:
    return {"x-litellm-version": "1.108.7", "x-litellm-call-id": str(uuid.uuid4())}


def _no_headers() -> dict[str, str]:
    return {}


FLAVOURS: dict[str, Flavour] = {
    "litellm": Flavour(
        litellm_unknown_model,
        litellm_unknown_model_lookup,
        lambda model: {"id": model, "object": "model", "created": 1677610602, "owned_by": "openai"},
        _litellm_headers,
        {},
    ),
    "ollama": Flavour(
        ollama_unknown_model,
        ollama_unknown_model,
        lambda model: {"id": model, "object": "model", "created": 1733000000, "owned_by": "library"},
        _no_headers,
        {"system_fingerprint": "fp_ollama"},
    ),
    "vllm": Flavour(
        vllm_unknown_model,
        vllm_unknown_model,
        lambda model: {
            "id": model,
            "object": "model",
            "created": 1733000000,
            "owned_by": "vllm",
            "root": model,
            "parent": None,
            "max_model_len": 8192,
        },
        _no_headers,
        {},
    ),
    "llamacpp": Flavour(
        llamacpp_unknown_model,
        llamacpp_unknown_model,
        lambda model: {"id": model, "object": "model", "created": 1733000000, "owned_by": "llamacpp"},
        _no_headers,
        {},
    ),
    "lmstudio": Flavour(
        lmstudio_unknown_model,
        lmstudio_unknown_model,
        lambda model: {"id": model, "object": "model", "owned_by": "organization_owner"},
        _no_headers,
        {},
    ),
}


class OpenAIStub(GroqStub):
    """A local OpenAI-compatible server: chats naming a model outside ``models`` get the flavour's
    unknown-model answer before any scripted reply, as a real server checks the model first."""

    def __init__(
        self,
        flavour: str = "litellm",
        models: list[str] | None = None,
        require_key: bool = False,
        root: str = "/v1",
        latency: float = 0.0,
        content: str | Callable[[dict], str] = "A warm local phrase.",
        prompt_tokens: int = 10,
        completion_tokens: int = 20,
    ) -> None:
        super().__init__(
            latency=latency,
            content=content,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            live_models=list(DEFAULT_MODELS if models is None else models),
        )
        self.flavour = FLAVOURS[flavour]
        self.requires_key = require_key
        self.api_root = root

    @property
    def api_url(self) -> str:
        """The API root as the server documents it, e.g. ``http://127.0.0.1:PORT/v1``."""
        return self.base_url + self.api_root

    def exhaust_quota(self) -> None:
        """From now on every request answers ``insufficient_quota``: the credit never comes back."""
        self.blocked = insufficient_quota

    def _chat_reply(self, body: dict) -> Reply:
        model = str(body.get("model", ""))
        if model not in self.live_models:
            return self.flavour.unknown_model(model)
        return super()._chat_reply(body)

    def _default_body(self, recorded: Recorded) -> dict:
        request = recorded.body or {}
        content = self.content(request) if callable(self.content) else self.content
        body = openai_chat_body(content, str(request.get("model", "")), self.prompt_tokens, self.completion_tokens)
        return {**body, **self.flavour.body_extra}

    def _base_headers(self) -> dict[str, str]:
        return self.flavour.headers()

    def _model_entry(self, model: str) -> dict:
        return self.flavour.model_entry(model)

    def _unauthorized(self) -> Reply:
        return unauthorized()

    def _unknown_model(self, model: str) -> Reply:
        return self.flavour.unknown_model_lookup(model)

    def _unknown_url(self, path: str) -> Reply:
        return not_found_route()
