"""What Groq's Batch API says (batch ids, statuses, validation errors) reaches a terminal with its
control and bidi characters shown escaped, in every listing, status line and the progress bar;
JSON output keeps the text exact (issue 19, item 15). Runs are subprocesses that Rich takes for
a terminal (``TTY_COMPATIBLE=1``); Rich's own colour codes are removed before looking."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support.batchapi import BatchAPI, BatchScript, ManualClock, validation_error
from tests.support.batchjobs import COUNT, FAST, STEPS, adp_process, job_args, state_of
from tests.support.cli import run
from tests.support.groqstub import GroqStub, Recorded, Reply

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\u202e"  # retitle the window, clear the screen, reverse the line
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\u202e"
COLOUR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")


def on_terminal(*args: str) -> subprocess.CompletedProcess[str]:
    shown = adp_process(*args)
    shown.stdout, shown.stderr = COLOUR.sub("", shown.stdout), COLOUR.sub("", shown.stderr)
    return shown


def assert_escaped(text: str) -> None:
    assert SHOWN in text, text
    assert "\x1b]" not in text and "\x1b[2J" not in text and "\u202e" not in text and "\x07" not in text


class HostileBatches:
    """A route ahead of the stand-in's that appends ``HOSTILE`` to the id and status of every
    batch it answers with (retrieve and list), for its first ``times`` answers."""

    def __init__(self, groq: GroqStub, api: BatchAPI, times: int = 1_000_000) -> None:
        self.api, self.times = api, times
        groq.routes.insert(0, self)

    def __call__(self, recorded: Recorded, raw: bytes) -> Reply | None:
        if recorded.method != "GET" or not recorded.path.startswith("/openai/v1/batches") or self.times <= 0:
            return None
        self.times -= 1
        reply = self.api.route(recorded, raw)
        assert reply is not None and isinstance(reply.body, dict)
        body: dict[str, Any] = reply.body
        for batch in body.get("data", [body]):
            batch["id"] += HOSTILE
            batch["status"] += HOSTILE
        return Reply(status=reply.status, body=body)


def test_batch_status_and_list_show_groq_text_escaped(
    cli: CliRunner, groq: GroqStub, terminal: None, source: Path, tmp_path: Path
) -> None:
    api = BatchAPI(groq, timings=STEPS, clock=ManualClock())
    output = tmp_path / f"out{HOSTILE}.jsonl"  # a file name is text from outside too
    run(cli, *job_args(source, output))
    batch_id = state_of(output)["parts"][0]["batch_id"]
    HostileBatches(groq, api)

    shown = [on_terminal("batch", "status", str(output)), on_terminal("batch", "status", batch_id), on_terminal("batch", "list")]

    for listing in shown:
        assert listing.returncode == 0, listing.stderr
        assert f"{batch_id}{SHOWN}" in listing.stdout.replace("\n", "")
        assert_escaped(listing.stdout)
    assert f"out{SHOWN}.jsonl" in shown[0].stdout


def test_batch_status_json_keeps_groq_text_exact(cli: CliRunner, groq: GroqStub, source: Path, output: Path) -> None:
    api = BatchAPI(groq, timings=STEPS, clock=ManualClock())
    run(cli, *job_args(source, output))
    batch_id = state_of(output)["parts"][0]["batch_id"]
    HostileBatches(groq, api)

    shown = adp_process("batch", "status", str(output), "--json")

    (batch,) = json.loads(shown.stdout)["batches"]
    assert (batch["batch_id"], batch["status"]) == (batch_id + HOSTILE, "validating" + HOSTILE)
    assert "\x1b" not in shown.stdout and "\u202e" not in shown.stdout  # JSON escapes them


def test_status_lines_show_groq_text_escaped(cli: CliRunner, groq: GroqStub, terminal: None, source: Path, output: Path) -> None:
    api = BatchAPI(groq, timings=STEPS, clock=ManualClock())
    run(cli, *job_args(source, output))
    HostileBatches(groq, api)

    rerun = on_terminal(*job_args(source, output))

    assert rerun.returncode == 0, rerun.stderr
    assert f": validating{SHOWN}" in rerun.stderr
    assert_escaped(rerun.stderr)


def test_the_failed_validation_line_shows_groqs_message_escaped(
    cli: CliRunner, groq: GroqStub, terminal: None, source: Path, output: Path
) -> None:
    clock = ManualClock()
    api = BatchAPI(groq, timings=STEPS, clock=clock)
    api.enqueue(BatchScript(validation_errors=[validation_error("invalid_request", f"bad line{HOSTILE}", line=3)]))
    run(cli, *job_args(source, output))
    clock.advance(2.0)

    collected = on_terminal(*job_args(source, output))

    assert collected.returncode == 1
    assert f"failed validation: line 3: invalid_request: bad line{SHOWN}; its {COUNT} items are error lines" in collected.stderr
    assert_escaped(collected.stderr)


def test_the_progress_bar_shows_groq_statuses_escaped(groq: GroqStub, terminal: None, source: Path, output: Path) -> None:
    api = BatchAPI(groq, timings=FAST)
    HostileBatches(groq, api, times=3)  # then the batches are seen as they are and end

    waited = on_terminal(*job_args(source, output, "--wait"))

    assert waited.returncode == 0, waited.stderr
    assert f"batches: 1 validating{SHOWN}" in waited.stderr or f"batches: 1 in_progress{SHOWN}" in waited.stderr
    assert_escaped(waited.stderr)
