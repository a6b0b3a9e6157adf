"""Living within Groq's rate limits, as a user sees it: the real CLI against the stub's limiter
(Groq's per-model budgets, headers and 429 bodies) on a compressed clock.

The scheduler's own logic is tested in test_ratelimits.py; here: no item lost to a 429 whose
wait is reasonable, a daily cap or a long wait stops the run cleanly (exit 3, rate_limited lines,
one line saying which limit, when it resets and how to resume), a random pool spreads over the
models that have budget, Ctrl-C ends a waiting run at once, and the service tier passes through.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adp_cli.accounting.catalog import TEXT_GENERATION_MODELS
from tests.support.cli import run, start_interruptible
from tests.support.groqstub import GroqStub, Reply
from tests.support.items import file_lines, json_lines, wizard_items, write_jsonl
from tests.support.ratelimits import ModelLimits, RateLimiter, capacity_exceeded, refusal

BPM_MODEL = "openai/gpt-oss-120b"
FAST = "openai/gpt-oss-20b"
POOL = [model.value for model in TEXT_GENERATION_MODELS]
GENEROUS = ModelLimits(rpm=1000, tpm=1_000_000, rpd=100_000, tpd=10_000_000)
STOP_LINE = re.compile(
    r"^adp: error: Stopped by the (?P<limit>.+?) rate limit of (?P<model>\S+) \((?P<why>[^)]*)\)"
    r"(?:; it resets at (?P<at>[0-9: -]+) local time)?\. Nothing was lost: rerun the same command "
    r"with -o FILE to resume where it stopped$"
)


def bpm_items(count: int) -> list[dict[str, object]]:
    return [{"id": f"t{n}", "input_phrase": f"track {n}", "standardized_phrase": f"track {n}"} for n in range(count)]


@pytest.fixture
def bpm_replies(groq: GroqStub) -> GroqStub:
    groq.content = "120"
    return groq


def test_a_paced_batch_loses_no_item_and_few_requests_are_refused(
    cli: CliRunner, bpm_replies: GroqStub, tmp_path: Path
) -> None:
    """40 items at 10 requests a 'minute' of 0.5 s: adp paces them instead of hammering; RPM is
    in no header, so each worker may meet one refusal while it is learned."""
    limiter = RateLimiter(minute=0.5, limits={BPM_MODEL: ModelLimits(rpm=10, tpm=12_000, rpd=1_000, tpd=100_000)})
    limiter.attach(bpm_replies)
    source = write_jsonl(tmp_path / "items.jsonl", bpm_items(40))
    result = run(cli, "bpm", str(source), "-j", "4", "-q")

    assert result.exit_code == 0, result.stderr
    lines = json_lines(result.stdout)
    assert [line["bpm"] for line in lines] == [120] * 40
    assert limiter.answered == 40
    assert limiter.refused <= 4


def test_an_rpm_hint_needs_no_refusal_to_learn_the_pace(cli: CliRunner, bpm_replies: GroqStub, tmp_path: Path) -> None:
    limiter = RateLimiter(minute=0.5, limits={BPM_MODEL: ModelLimits(rpm=10, tpm=12_000, rpd=1_000, tpd=100_000)})
    limiter.attach(bpm_replies)
    source = write_jsonl(tmp_path / "items.jsonl", bpm_items(25))
    result = run(cli, "bpm", str(source), "-j", "4", "-q", "--rpm", "10")

    assert result.exit_code == 0, result.stderr
    assert (limiter.answered, limiter.refused) == (25, 0)


def test_a_daily_cap_stops_the_run_and_a_rerun_resumes(cli: CliRunner, bpm_replies: GroqStub, tmp_path: Path) -> None:
    """5 requests a 'day' of 10 minutes: the sixth is never sent; every unsent item gets a
    rate_limited line, exit 3, one line on stderr; the rerun with -o sends exactly the rest."""
    limits = {BPM_MODEL: ModelLimits(rpm=1000, tpm=1_000_000, rpd=5, tpd=100_000)}
    limiter = RateLimiter(minute=1.0, day=600.0, limits=limits).attach(bpm_replies)
    items = bpm_items(12)
    source = write_jsonl(tmp_path / "items.jsonl", items)
    output = tmp_path / "out.jsonl"
    result = run(cli, "bpm", str(source), "-j", "2", "-o", str(output), "-q")

    assert result.exit_code == 3
    lines = json_lines(result.stdout)
    assert [line["index"] for line in lines] == list(range(12))
    done = [line for line in lines if "error" not in line]
    stopped = [line for line in lines if "error" in line]
    assert len(done) == 5
    assert {line["error"]["type"] for line in stopped} == {"rate_limited"}
    assert limiter.answered == 5 and limiter.refused <= 2  # at most one in flight per worker
    match = STOP_LINE.match(result.stderr.strip().splitlines()[-1])
    assert match, result.stderr
    assert (match["limit"], match["model"], match["why"]) == ("requests per day (RPD)", BPM_MODEL, "the budget is used up")
    assert match["at"] is not None

    limiter.limits[BPM_MODEL] = GENEROUS
    limiter._models.clear()  # a new day: the budget is full again
    rerun = run(cli, "bpm", str(source), "-j", "2", "-o", str(output), "-q")
    assert rerun.exit_code == 0, rerun.stderr
    assert len(json_lines(rerun.stdout)) == 7
    assert sorted(line["index"] for line in file_lines(output)) == list(range(12))
    assert limiter.answered == 12


def test_a_one_shot_at_a_daily_cap_exits_3_at_once(cli: CliRunner, groq: GroqStub, rock_yaml: Path) -> None:
    groq.enqueue(refusal(FAST, "RPD", 14_400, 14_400, 1, 2 * 3600 + 13 * 60 + 5.5))
    started = time.monotonic()
    result = run(cli, "casual", str(rock_yaml), "-m", FAST)

    assert time.monotonic() - started < 5
    assert result.exit_code == 3
    assert result.stdout == ""
    match = STOP_LINE.match(result.stderr.strip())
    assert match, result.stderr
    assert (match["limit"], match["model"]) == ("requests per day (RPD)", FAST)
    assert len(groq.chat_requests) == 1


def test_a_wait_past_max_wait_stops_instead_of_waiting(cli: CliRunner, groq: GroqStub, rock_yaml: Path) -> None:
    groq.enqueue(refusal(FAST, "TPM", 6000, 5800, 350, 30.0))
    started = time.monotonic()
    result = run(cli, "casual", str(rock_yaml), "-m", FAST, "--max-wait", "5")

    assert time.monotonic() - started < 5
    assert result.exit_code == 3
    match = STOP_LINE.match(result.stderr.strip())
    assert match, result.stderr
    assert (match["limit"], match["why"]) == ("tokens per minute (TPM)", "waiting 30 s is over --max-wait")


def test_a_random_pool_spreads_over_the_models_with_budget(cli: CliRunner, groq: GroqStub, tmp_path: Path) -> None:
    """One pool model can answer only 2 requests a 'day'; the others take the rest without a
    stall, and no item fails."""
    starved = POOL[0]
    limits = {model: GENEROUS for model in POOL} | {starved: ModelLimits(rpm=1000, tpm=1_000_000, rpd=2, tpd=100_000)}
    limiter = RateLimiter(minute=1.0, day=600.0, limits=limits).attach(groq)
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(40))
    result = run(cli, "casual", str(source), "-j", "4", "-q", "--seed", "5")

    assert result.exit_code == 0, result.stderr
    lines = json_lines(result.stdout)
    assert [line["index"] for line in lines] == list(range(40))
    assert all("error" not in line for line in lines)
    assert limiter.stats(starved).answered <= 2
    used = {model for model in POOL if limiter.stats(model).answered}
    assert set(POOL[1:]) <= used  # today's pool has three models: both others took items


def test_service_tier_is_sent_and_flex_capacity_is_waited_out(cli: CliRunner, groq: GroqStub, rock_yaml: Path) -> None:
    groq.enqueue(capacity_exceeded(), Reply())
    result = run(cli, "casual", str(rock_yaml), "-m", FAST, "--service-tier", "flex", "-q")

    assert result.exit_code == 0, result.stderr
    assert [request.body["service_tier"] for request in groq.chat_requests] == ["flex", "flex"]


def test_without_a_service_tier_none_is_sent(cli: CliRunner, groq: GroqStub, rock_yaml: Path) -> None:
    result = run(cli, "casual", str(rock_yaml), "-m", FAST, "-q")

    assert result.exit_code == 0, result.stderr
    assert "service_tier" not in groq.chat_requests[0].body


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_ends_a_waiting_run_within_a_second(bpm_replies: GroqStub, tmp_path: Path) -> None:
    """2 requests a real minute: after two answers every worker waits ~30 s for a slot; Ctrl-C
    ends the run at once, and nothing queued is sent."""
    limiter = RateLimiter(minute=60.0, limits={BPM_MODEL: ModelLimits(rpm=2, tpm=12_000, rpd=1_000, tpd=100_000)})
    limiter.attach(bpm_replies)
    source = write_jsonl(tmp_path / "items.jsonl", bpm_items(10))
    command = [sys.executable, "-m", "adp_cli", "bpm", str(source), "-j", "2", "-q", "--rpm", "2"]
    process = start_interruptible(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while limiter.answered < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # the workers are waiting for the next slot now
    interrupted = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)

    assert time.monotonic() - interrupted < 1.0
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == "adp: error: interrupted"
    assert limiter.answered + limiter.refused == 2
    assert [json.loads(line)["bpm"] for line in stdout.splitlines()] == [120, 120]


def test_the_progress_line_says_what_the_run_waits_for() -> None:
    """The batch progress shows the pace and the wait the run reports while it waits."""
    from adp_cli.dispatch.scheduler import Waiting
    from adp_cli.output.live import live
    from adp_cli.output.view import View

    with live(View(), job=False) as sink:
        sink.waiting([Waiting(BPM_MODEL, "TPM", 12.2), Waiting(FAST, "RPM", 40.0)])
        progress = sink._items
        assert progress.tasks[0].fields["waiting"] == f"waiting 12 s for {BPM_MODEL} TPM"
        sink.waiting([])
        assert progress.tasks[0].fields["waiting"] == ""
