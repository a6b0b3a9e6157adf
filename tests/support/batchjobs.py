"""What the Batch API tests share: the job they run (ten wizard items, one model), the command
lines, the stand-in's compressed clock, and readers of what a run left behind (the state file,
-o, the ledger)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from tests.support.batchapi import BatchAPI, Timings
from tests.support.groqstub import GroqStub, Recorded, Reply
from tests.support.items import wizard_items

MODEL = "openai/gpt-oss-20b"
COUNT = 10
# The stub's default usage: 120 prompt tokens, and 12 answer tokens after 40 of low-effort reasoning.
PROMPT_TOKENS, COMPLETION_TOKENS = 120, 52
# One phase per step of a ManualClock: validating 0-1 s, in_progress 1-11 s (one line a second
# for 10 items), finalizing 11-12 s; one Groq hour is 1 s, so a 24h window ends at 24 s.
STEPS = Timings(validating=1.0, in_progress=10.0, finalizing=1.0, cancelling=1.0, hour=1.0)
# Real time, for runs that --wait: a batch is done in a third of a second.
FAST = Timings(validating=0.05, in_progress=0.2, finalizing=0.05, cancelling=0.05, hour=2.5)


def job_args(source: Path, output: Path, *extra: str, command: str = "casual") -> list[str]:
    return [command, str(source), "--batch-api", "-o", str(output), "-m", MODEL, *extra]


def adp_process(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adp_cli", *args],
        capture_output=True,
        check=False,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        env=dict(os.environ),
    )


def state_file(output: Path) -> Path:
    return Path(f"{output}.adp-batch.json")


def state_of(output: Path) -> dict[str, Any]:
    return json.loads(state_file(output).read_text(encoding="utf-8"))


def state_exists(output: Path) -> bool:
    return state_file(output).exists()


def ledger_today() -> dict[str, Any]:
    path = Path(os.environ["COST_TRACKING_FILE"])
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["days"].get(date.today().isoformat(), {})


def expected_ids(count: int = COUNT) -> list[Any]:
    return [item.get("id") for item in wizard_items(count)]


def assert_complete(lines: list[dict[str, Any]], count: int = COUNT) -> None:
    """One successful line per item, in input order, with the item's id (item 7 has none)."""
    assert [line["index"] for line in lines] == list(range(count))
    assert [line.get("id") for line in lines] == expected_ids(count)
    assert all("error" not in line and line["phrase"] for line in lines), lines


class KillOn:
    """A route ahead of the stand-in's that lets one kind of request reach Groq and then kills
    the adp process before it hears the answer: a kill -9 at the worst moment, every time."""

    def __init__(self, groq: GroqStub, api: BatchAPI, method: str, path: str) -> None:
        self.api, self.method, self.path = api, method, path
        self.process: subprocess.Popen[bytes] | None = None
        groq.routes.insert(0, self)

    def __call__(self, recorded: Recorded, raw: bytes) -> Reply | None:
        if (recorded.method, recorded.path.split("?")[0]) != (self.method, self.path) or self.process is None:
            return None
        reply = self.api.route(recorded, raw)
        self.process.kill()
        self.process = None
        return reply

    def run(self, command: list[str]) -> int:
        self.process = process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
        return process.wait(timeout=60)
