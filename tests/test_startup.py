"""Start-up: the console script keeps Python's garbage collector off while a one-shot imports and
sends (adp_cli/__main__.py), and a batch turns it back on before its items go out."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adp_cli.cli import app
from adp_cli.transports import groq as groq_transport
from tests.support.groqstub import GroqStub

FAST = "openai/gpt-oss-20b"


@pytest.fixture
def collector_off() -> Iterator[None]:
    """The collector as the console script leaves it, here in process so that each request's
    moment can be seen; afterwards as it was, nothing left frozen."""
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


@pytest.fixture
def collector_at_send(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the collector was on as each request went out."""
    seen: list[bool] = []
    send = groq_transport.chat

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return send(*args, **kwargs)

    monkeypatch.setattr(groq_transport, "chat", recording)
    return seen


def test_the_console_script_starts_with_the_collector_off() -> None:
    (script,) = [entry for entry in metadata.entry_points(group="console_scripts") if entry.name == "adp"]
    probe = "import gc, adp_cli.cli.program as cli, adp_cli.__main__ as entry; cli.main = lambda: print(gc.isenabled()); entry.main()"

    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout

    assert script.value == "adp_cli.__main__:main"
    assert shown == "False\n"


@pytest.mark.usefixtures("collector_off")
def test_a_one_shot_sends_with_the_collector_still_off(
    cli: CliRunner, groq: GroqStub, rock_yaml: Path, collector_at_send: list[bool]
) -> None:
    result = cli.invoke(app, ["casual", str(rock_yaml), "-m", FAST, "-q"])

    assert result.exit_code == 0, result.stderr
    assert collector_at_send == [False]


@pytest.mark.usefixtures("collector_off")
def test_a_batch_sends_with_the_collector_on(
    cli: CliRunner, groq: GroqStub, rock_yaml: Path, tmp_path: Path, collector_at_send: list[bool]
) -> None:
    batch = tmp_path / "items.jsonl"
    batch.write_text("\n".join(json.dumps({"genre": {"primary": name}}) for name in ("Rock", "Jazz", "Folk")) + "\n", encoding="utf-8")

    result = cli.invoke(app, ["casual", str(batch), "-m", FAST, "-q", "-j", "1"])

    assert result.exit_code == 0, result.stderr
    assert collector_at_send == [True, True, True]
    assert gc.isenabled()
