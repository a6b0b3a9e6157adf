"""One key rule for every command (issue 19, item 2): ``GROQ_API_KEY`` goes to Groq only. A
non-Groq ``.../v1`` root is an OpenAI-compatible server: a generation picks that transport for
it (which never sends Groq's key), and whatever would send Groq's key there (``--provider
groq``, the ``adp batch`` commands, ``GROQ_BASE_URL``) is refused with exit 2 before any request,
naming the URL without its credentials. Through the real CLI against a loopback LiteLLM-style
server that records every request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from tests.support.cli import TEST_KEY, one_line, run
from tests.support.openaistub import OpenAIStub

REFUSAL = (
    "adp: error: {url} is an OpenAI-compatible server (a URL ending in /v1 that is not Groq's): GROQ_API_KEY goes"
    " only to Groq, so Groq's commands (--provider groq, --batch-api, adp batch) do not run there;"
    " for that server use --provider openai"
)


@pytest.fixture
def server(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIStub]:
    monkeypatch.setenv("GROQ_API_KEY", TEST_KEY)
    stub = OpenAIStub(flavour="litellm")
    with stub:
        yield stub


def with_credentials(url: str) -> str:
    return url.replace("http://", "http://admin:hunter2@")


@pytest.mark.parametrize(
    "command",
    [("list",), ("status", "batch_01abc"), ("wait", "batch_01abc"), ("results", "batch_01abc"), ("cancel", "batch_01abc")],
    ids=lambda command: command[0],
)
def test_batch_commands_refuse_an_openai_compatible_base_url(
    cli: CliRunner, server: OpenAIStub, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("ADP_BASE_URL", with_credentials(server.api_url))

    result = run(cli, "batch", *command)

    assert result.exit_code == 2
    assert one_line(result.stderr) == REFUSAL.format(url=server.api_url)
    assert server.requests == []


def test_batch_list_refuses_such_a_base_url_option_too(cli: CliRunner, server: OpenAIStub) -> None:
    result = run(cli, "batch", "list", "--base-url", server.api_url + "/")

    assert result.exit_code == 2
    assert one_line(result.stderr) == REFUSAL.format(url=server.api_url + "/")
    assert server.requests == []


@pytest.mark.parametrize("command", [("casual", "--genre", "Rock", "-m", "llama3.2:3b"), ("models", "--live")], ids=["casual", "models"])
def test_provider_groq_at_such_a_url_is_refused_by_the_same_rule(cli: CliRunner, server: OpenAIStub, command: tuple[str, ...]) -> None:
    result = run(cli, *command, "--provider", "groq", "--base-url", server.api_url)

    assert result.exit_code == 2
    assert one_line(result.stderr) == REFUSAL.format(url=server.api_url)
    assert server.requests == []


def test_groq_base_url_at_such_a_url_is_refused(cli: CliRunner, server: OpenAIStub, monkeypatch: pytest.MonkeyPatch) -> None:
    """GROQ_BASE_URL is read by the SDK itself; it is Groq's URL by name, so it never selects the
    OpenAI-compatible transport, and Groq's key must not follow it to a server's root either."""
    monkeypatch.setenv("GROQ_BASE_URL", server.api_url)

    result = run(cli, "casual", "--genre", "Rock", "-m", "llama3.2:3b")

    assert result.exit_code == 2
    assert one_line(result.stderr) == REFUSAL.format(url=server.api_url)
    assert server.requests == []


def test_the_same_url_without_provider_goes_to_that_server_without_groqs_key(cli: CliRunner, server: OpenAIStub) -> None:
    result = run(cli, "casual", "--genre", "Rock", "-m", "llama3.2:3b", "--base-url", server.api_url, "-q")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "A warm local phrase.\n"
    [request] = server.requests
    assert "authorization" not in request.headers


@pytest.mark.parametrize(
    ("url", "groq"),
    [
        ("http://localhost:11434/v1", False),
        ("http://admin:hunter2@10.0.0.5:4000/v1/", False),
        ("https://api.groq.com/openai/v1", True),
        ("https://api.groq.com", True),
        ("http://127.0.0.1:8000", True),
        ("http://localhost:11434/v1beta", True),
    ],
)
def test_which_urls_take_groqs_key(url: str, groq: bool) -> None:
    from adp_cli.transports import transport_name
    from adp_cli.transports.base import Connection
    from adp_cli.transports.servers import takes_groq_key

    assert takes_groq_key(url) is groq
    assert transport_name(None, Connection(base_url=url)) == ("groq" if groq else "openai")
