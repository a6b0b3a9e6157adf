"""Batches end to end: the real CLI (a subprocess) against the loopback Groq.

What SPEC "Batch" and "Ledger" promise and these tests hold it to: one JSON line per item in
input order with ``index`` and ``id``; a bad item becomes an error line and sends nothing while
the others go on; ``-j N`` bounds requests in flight; a 429 storm pauses every worker and still
ends with every item done; ``-o`` resumes after a kill -9 with every item exactly once; the
ledger loses nothing under 8 concurrent processes; the daily budget stops a batch.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Generator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import start_interruptible
from tests.support.groqstub import GroqStub, Reply, rate_limited, server_error
from tests.support.items import GENRES, file_lines, json_lines, wizard_items, write_jsonl

MODEL = "openai/gpt-oss-20b"
BPM_MODEL = "openai/gpt-oss-120b"
# The stub's default usage: 120 prompt tokens, and 12 answer tokens after 40 of low-effort reasoning.
PROMPT_TOKENS, COMPLETION_TOKENS = 120, 52
# The first call of a prompt prefix: 120 x $0.075/M + 52 x $0.30/M on gpt-oss-20b. The batch's
# later calls share the prefix, so 64 of their prompt tokens are cached at $0.0375/M: 2.22e-05.
COST_PER_CALL = 2.46e-05

# The genre a request is about: casual/bpm say ``Genre: Rock.``, structure says ``"Genre": "Rock"``.
_GENRE_IN_PROMPT = re.compile(r'"?Genre"?:\s*"?([^".(\n]+)')


def genre_of(item: dict[str, Any]) -> str:
    genre = item["genre"]
    return genre["primary"] if isinstance(genre, dict) else genre


def genre_in(request: dict[str, Any]) -> str:
    """The genre named in a chat request's last message (the item it belongs to)."""
    found = _GENRE_IN_PROMPT.findall(request["messages"][-1]["content"])
    assert found, f"no genre in request: {request['messages'][-1]['content'][-300:]!r}"
    return found[-1].strip()


def expected_bpm(genre: str) -> int:
    return 60 + sum(map(ord, genre)) % 150


class Echo:
    """Stub behaviour that ties every reply to its item and measures concurrency.

    The responder runs when a request arrives (before the stub sleeps) and the content callable
    when the reply is written (after it), so the difference is the number of requests in flight.
    Per-genre latency makes items finish out of input order.
    """

    def __init__(self, latency: Callable[[str], float] = lambda genre: 0.0) -> None:
        self.latency = latency
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.finished: list[str] = []

    def install(self, stub: GroqStub) -> GroqStub:
        stub.responder = self.responder
        stub.content = self.content
        return stub

    def responder(self, request: dict[str, Any]) -> Reply:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return Reply(latency=self.latency(genre_in(request)))

    def content(self, request: dict[str, Any]) -> str:
        genre = genre_in(request)
        with self.lock:
            self.in_flight -= 1
            self.finished.append(genre)
        if request["messages"][0]["role"] == "system":  # the bpm estimator
            return str(expected_bpm(genre))
        return f"A {genre} piece, echoed for its item."


def staggered(genre: str) -> float:
    """Every fifth genre is slow, the others quick and varied: completion order != input order."""
    position = GENRES.index(genre) if genre in GENRES else len(genre)
    return 0.25 if position % 5 == 0 else 0.01 * (position % 5)


def assert_lines_match_items(lines: list[dict[str, Any]], items: list[dict[str, Any]]) -> None:
    """Line i is item i: same index, same id (absent when the item had none), its own phrase."""
    assert [line["index"] for line in lines] == list(range(len(items)))
    for line, item in zip(lines, items):
        assert "error" not in line, line
        if "id" in item:
            assert line["id"] == item["id"]
        else:
            assert "id" not in line
        assert line["phrase"] == f"A {genre_of(item)} piece, echoed for its item."
        assert line["provider"] == "groq"
        assert line["prompt_tokens"] == PROMPT_TOKENS and line["completion_tokens"] == COMPLETION_TOKENS


# --- order, ids, sources ---------------------------------------------------------------------


def test_jsonl_batch_streams_lines_in_input_order_with_ids(groq: GroqStub, adp, tmp_path: Path) -> None:
    echo = Echo(staggered)
    echo.install(groq)
    items = wizard_items(20)
    source = write_jsonl(tmp_path / "items.jsonl", items)

    result = adp("casual", str(source), "-j", "4", "-q", "-m", MODEL)

    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert_lines_match_items(lines, items)
    assert len(groq.chat_requests) == 20
    # The stub finished them in another order, so the order on stdout is the batch's doing.
    input_order = [genre_of(item) for item in items]
    assert sorted(echo.finished, key=input_order.index) == input_order
    assert echo.finished != input_order


def test_concurrency_bounds_requests_in_flight(groq: GroqStub, adp, tmp_path: Path) -> None:
    echo = Echo(lambda genre: 0.05)
    echo.install(groq)
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(24))

    result = adp("casual", str(source), "--concurrency", "4", "-q", "-m", MODEL)

    assert result.returncode == 0, result.stderr
    assert len(json_lines(result.stdout)) == 24
    assert 2 <= echo.max_in_flight <= 4


def test_one_job_sends_one_request_at_a_time(groq: GroqStub, adp, tmp_path: Path) -> None:
    echo = Echo(lambda genre: 0.02)
    echo.install(groq)
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(6))

    result = adp("casual", str(source), "-j", "1", "-q", "-m", MODEL)

    assert result.returncode == 0, result.stderr
    assert echo.max_in_flight == 1
    assert echo.finished == [genre_of(item) for item in wizard_items(6)]


@pytest.mark.parametrize("form", ["json array file", "jsonl on stdin", "json array on stdin"])
def test_json_array_and_stdin_are_batches_too(groq: GroqStub, adp, tmp_path: Path, form: str) -> None:
    Echo(staggered).install(groq)
    items = wizard_items(12)
    if form == "json array file":
        path = tmp_path / "items.json"
        path.write_text(json.dumps(items, indent=2), encoding="utf-8")
        result = adp("casual", str(path), "-q", "-m", MODEL)
    elif form == "jsonl on stdin":
        result = adp("casual", "-", "-q", "-m", MODEL, stdin="".join(json.dumps(i) + "\n" for i in items).encode())
    else:
        result = adp("casual", "-", "-q", "-m", MODEL, stdin=json.dumps(items, indent=1).encode())

    assert result.returncode == 0, result.stderr
    assert_lines_match_items(json_lines(result.stdout), items)
    assert len(groq.chat_requests) == 12


def test_structure_batch(groq: GroqStub, adp, tmp_path: Path) -> None:
    Echo(staggered).install(groq)
    items = wizard_items(10)
    source = write_jsonl(tmp_path / "items.jsonl", items)

    result = adp("structure", str(source), "-q", "-m", MODEL)

    assert result.returncode == 0, result.stderr
    assert_lines_match_items(json_lines(result.stdout), items)
    assert all('"Genre"' in r.body["messages"][-1]["content"] for r in groq.chat_requests)


def test_bpm_batch_mixes_wizard_items_and_bpm_inputs(groq: GroqStub, adp, tmp_path: Path) -> None:
    Echo(staggered).install(groq)
    items: list[dict[str, Any]] = wizard_items(6)
    items.append({"id": "phr", "input_phrase": "slow dreamy piano", "standardized_phrase": "slow piano", "genre": "Ambient"})
    items.append({"id": "camel", "inputPhrase": "fast techno", "standardizedPhrase": "techno", "genre": "Techno"})
    source = write_jsonl(tmp_path / "items.jsonl", items)

    result = adp("bpm", str(source), "-q", "-j", "3")

    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert [line["index"] for line in lines] == list(range(len(items)))
    assert [line.get("id") for line in lines] == [item.get("id") for item in items]
    for line, item in zip(lines, items):
        genre = item["genre"] if "input_phrase" in item or "inputPhrase" in item else genre_of(item)
        assert line["bpm"] == expected_bpm(genre), (line, item)
        assert line["model"] == BPM_MODEL


# --- bad items, exit codes, stdout/stderr ------------------------------------------------------


def bad_items() -> dict[int, tuple[str, Any]]:
    """Position in the batch -> (what the error line must say, the raw line)."""
    return {
        2: ("input_error", json.dumps({"id": "bad-key", "genre": "Bad Key Genre", "colour": "red"})),
        5: ("input_error", json.dumps({"id": "bad-type", "genre": "Bad Type Genre", "bpm": "fast"})),
        9: ("token_limit", json.dumps({"id": "too-long", "genre": "Noise", "mood": [("loud " * 80).strip()] * 50})),
        12: ("input_error", '{"id": "broken", "genre": '),
        14: ("input_error", json.dumps(["not", "an", "object"])),
    }


def test_bad_items_become_error_lines_and_the_rest_succeed(groq: GroqStub, adp, tmp_path: Path) -> None:
    Echo(staggered).install(groq)
    good = wizard_items(15)
    bad = bad_items()
    source = write_jsonl(tmp_path / "items.jsonl", good, {pos: raw for pos, (_, raw) in bad.items()})

    result = adp("casual", str(source), "-j", "4", "-q", "-m", MODEL)

    assert result.returncode == 1, result.stderr
    lines = json_lines(result.stdout)
    assert [line["index"] for line in lines] == list(range(20))
    good_lines = [line for line in lines if line["index"] not in bad]
    assert_lines_match_items([{**line, "index": n} for n, line in enumerate(good_lines)], good)
    for position, (kind, _) in bad.items():
        error = lines[position]["error"]
        assert set(error) == {"type", "message"}, error
        assert error["type"] == kind, lines[position]
        assert "phrase" not in lines[position] and "cost_usd" not in lines[position]
    assert lines[2]["id"] == "bad-key" and "colour" in lines[2]["error"]["message"]
    assert lines[5]["id"] == "bad-type" and "bpm" in lines[5]["error"]["message"]
    assert lines[9]["id"] == "too-long" and "900" in lines[9]["error"]["message"]
    # Nothing was sent for a bad item: one request per good item, each for a good genre.
    assert sorted(genre_in(r.body) for r in groq.chat_requests) == sorted(genre_of(item) for item in good)


def test_all_items_ok_exits_0_and_summary_goes_to_stderr(groq: GroqStub, adp, tmp_path: Path) -> None:
    Echo().install(groq)
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(8))

    result = adp("casual", str(source), "-m", MODEL)  # not quiet: progress and summary on stderr

    assert result.returncode == 0, result.stderr
    assert len(json_lines(result.stdout)) == 8
    assert "items/s" in result.stderr
    assert "Batch summary" in result.stderr


def test_api_failure_of_one_item_is_an_error_line_and_exit_1(groq: GroqStub, adp, tmp_path: Path) -> None:
    echo = Echo()
    groq.content = echo.content

    def responder(request: dict[str, Any]) -> Reply:
        return server_error() if genre_in(request) == "Folk" else echo.responder(request)

    groq.responder = responder
    items = wizard_items(6)
    source = write_jsonl(tmp_path / "items.jsonl", items)

    result = adp("casual", str(source), "-q", "-m", MODEL, "--max-retries", "0")

    assert result.returncode == 1
    lines = json_lines(result.stdout)
    assert [line["index"] for line in lines] == list(range(6))
    assert lines[2]["error"]["type"] == "api_error" and lines[2]["id"] == "trk-02"
    assert all("phrase" in line for n, line in enumerate(lines) if n != 2)


def test_offline_provider_batch_needs_no_key_and_no_server(env: dict[str, str], adp, tmp_path: Path) -> None:
    pytest.importorskip("adp_cli.offline")
    items = wizard_items(10)
    source = write_jsonl(tmp_path / "items.jsonl", items, {4: json.dumps({"id": "bad", "colour": "red"})})

    result = adp("casual", str(source), "--provider", "offline", "-q")

    assert result.returncode == 1, result.stderr
    lines = json_lines(result.stdout)
    assert [line["index"] for line in lines] == list(range(11))
    assert lines[4]["error"]["type"] == "input_error"
    good = [line for line in lines if line["index"] != 4]
    for line, item in zip(good, items):
        assert line.get("id") == item.get("id")
        assert line["provider"] == "offline" and line["cost_usd"] == 0
        assert genre_of(item).lower() in line["phrase"].lower()


# --- resume -----------------------------------------------------------------------------------


def test_output_file_gets_every_line_and_a_rerun_sends_nothing(groq: GroqStub, adp, tmp_path: Path) -> None:
    Echo(staggered).install(groq)
    items = wizard_items(10)
    source = write_jsonl(tmp_path / "items.jsonl", items)
    output = tmp_path / "out.jsonl"

    first = adp("casual", str(source), "-o", str(output), "-q", "-m", MODEL)
    assert first.returncode == 0, first.stderr
    assert sorted(file_lines(output), key=lambda line: line["index"]) == json_lines(first.stdout)
    assert len(groq.chat_requests) == 10

    again = adp("casual", str(source), "--output", str(output), "-q", "-m", MODEL)
    assert again.returncode == 0, again.stderr
    assert json_lines(again.stdout) == []
    assert len(groq.chat_requests) == 10
    assert sorted(line["index"] for line in file_lines(output)) == list(range(10))


def test_every_line_the_run_hands_on_is_in_the_output_file_already(env: dict[str, str], tmp_path: Path) -> None:
    """What a user saw on stdout a resume will not send again: each item's worker appends its
    -o line before the item is done, so the run never shows a line -o lacks."""
    from adp_cli.dispatch.dispatcher import Dispatcher
    from adp_cli.documents import open_source
    from adp_cli.runs import stream
    from adp_cli.tasks.casual import CASUAL
    from adp_cli.tasks.items import Flags
    from adp_cli.tasks.settings import Settings
    from adp_cli.transports import open_transport
    from adp_cli.transports.base import Connection

    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(300))
    output = tmp_path / "out.jsonl"
    missing: list[int] = []

    class Checking:
        def line(self, line: Any) -> None:
            written = {entry["index"] for entry in file_lines(output)}
            if line.fields["index"] not in written:
                missing.append(line.fields["index"])

        def waiting(self, waiting: Any) -> None:
            pass

    settings = Settings()
    dispatcher = Dispatcher(open_transport("offline", Connection()), Connection(), settings)
    totals = stream.run(CASUAL, open_source(str(source)), Flags(), settings, dispatcher, Checking(), concurrency=8, output=output)

    assert (totals.items, totals.failed) == (300, 0)
    assert missing == []


def test_rerun_retries_the_items_that_failed(groq: GroqStub, adp, tmp_path: Path) -> None:
    echo = Echo()
    groq.content = echo.content
    failing = {"Folk", "Ambient"}
    groq.responder = lambda request: server_error() if genre_in(request) in failing else echo.responder(request)
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(8))
    output = tmp_path / "out.jsonl"

    first = adp("casual", str(source), "-o", str(output), "-q", "-m", MODEL, "--max-retries", "0")
    assert first.returncode == 1
    assert sum("error" in line for line in json_lines(first.stdout)) == 2

    failing.clear()
    second = adp("casual", str(source), "-o", str(output), "-q", "-m", MODEL, "--max-retries", "0")
    assert second.returncode == 0, second.stderr
    assert sorted(line["index"] for line in json_lines(second.stdout)) == [2, 4]
    final = file_lines(output)
    assert sorted(line["index"] for line in final) == list(range(8))
    assert not any("error" in line for line in final)
    assert len(groq.chat_requests) == 8 + 2


def kill_when_written(command: list[str], output: Path, lines: int, log: Path) -> None:
    """Start the batch, SIGKILL it as soon as ``output`` holds ``lines`` lines, and reap it."""
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=dict(os.environ))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if output.exists() and len(file_lines(output)) >= lines:
            break
        time.sleep(0.01)
    assert process.poll() is None, f"finished before the kill: {log.read_text(errors='replace')}"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


def test_resume_after_kill_9_ends_with_every_item_exactly_once(groq: GroqStub, tmp_path: Path) -> None:
    """Killed twice mid-run (SIGKILL), then rerun to the end: each index once, and nothing sent
    twice beyond what was in flight at each kill (at most -j requests)."""
    jobs, count = 2, 30
    groq.latency = 0.2
    Echo().install(groq)
    groq.responder = None  # the stub's own latency (0.2 s) for every request
    items = wizard_items(count)
    source = write_jsonl(tmp_path / "items.jsonl", items)
    output = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "adp_cli", "casual", str(source), "-o", str(output), "-j", str(jobs), "-q", "-m", MODEL]

    kills = 0
    for threshold in (5, 15):
        kill_when_written(command, output, threshold, tmp_path / f"stderr-{kills}.txt")
        kills += 1
        assert len(file_lines(output)) < count

    done_before = {line["index"] for line in file_lines(output) if "error" not in line}
    final = subprocess.run(command, capture_output=True, text=True, timeout=120, env=dict(os.environ))

    assert final.returncode == 0, final.stderr
    assert sorted(line["index"] for line in json_lines(final.stdout)) == sorted(set(range(count)) - done_before)
    lines = file_lines(output)
    assert sorted(line["index"] for line in lines) == list(range(count))
    assert not any("error" in line for line in lines)
    for line in lines:
        assert line["phrase"] == f"A {genre_of(items[line['index']])} piece, echoed for its item."
        assert line.get("id") == items[line["index"]].get("id")
    assert output.read_text(encoding="utf-8").endswith("\n")
    assert len(output.read_text(encoding="utf-8").splitlines()) == count  # torn lines were dropped
    sent = [genre_in(r.body) for r in groq.chat_requests]
    assert set(sent) == {genre_of(item) for item in items}
    assert len(sent) <= count + kills * jobs, f"{len(sent)} requests for {count} items"


def test_kill_9_mid_batch_loses_no_ledger_entry(groq: GroqStub, tmp_path: Path) -> None:
    """A call whose line is in the --output file is paid for and is skipped by the rerun, so it
    must already be in the ledger when the line is written: after a kill -9 and a rerun, the
    ledger holds at least one call per item (and no more than the requests the stub answered)."""
    count = 20
    groq.latency = 0.1
    groq.content = Echo().content
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(count))
    output = tmp_path / "out.jsonl"
    ledger_file = Path(os.environ["COST_TRACKING_FILE"])
    command = [sys.executable, "-m", "adp_cli", "casual", str(source), "-o", str(output), "-j", "2", "-q", "-m", MODEL]

    kill_when_written(command, output, 4, tmp_path / "stderr.txt")
    paid = sum("error" not in line for line in file_lines(output))
    recorded = _ledger_today(ledger_file)[MODEL]["requests"] if ledger_file.exists() else 0
    assert recorded >= paid, f"{paid} results written to the output file, {recorded} calls in the ledger"

    final = subprocess.run(command, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert final.returncode == 0, final.stderr
    totals = _ledger_today(ledger_file)[MODEL]
    assert count <= totals["requests"] <= len(groq.chat_requests)
    assert totals["cost_usd"] >= sum(line["cost_usd"] for line in file_lines(output)) - 1e-12


# --- rate limits ------------------------------------------------------------------------------


def test_429_storm_pauses_all_workers_and_every_item_succeeds(groq: GroqStub, adp, tmp_path: Path) -> None:
    """The first requests succeed with staggered latencies, so the workers are out of step; then
    the stub answers 429 (retry-after) to the next ``storm`` requests. Every item must still
    succeed, and the workers must back off together: while the first 429's retry-after runs,
    the workers that were busy elsewhere finish their items and must not send new requests.

    The storm starts at the 16th request, once the process is in its steady state: around the
    9th item adp builds its full o200k encoder, which holds the GIL for ~0.15 s per build, and a
    429 arriving then is only seen when the build ends (see the report on tokens._full_encoder).
    """
    retry_after, storm, calm, count = 0.3, 12, 16, 24
    arrivals: list[float] = []
    limited: list[float] = []
    lock = threading.Lock()

    def limit() -> Reply:
        with lock:
            limited.append(time.monotonic())
        return rate_limited(retry_after)

    def arrive(request: dict[str, Any]) -> Reply | None:
        with lock:
            arrivals.append(time.monotonic())
            number = len(arrivals)
        if number < calm:
            return Reply(latency=0.04 + 0.03 * (number % 4))
        if number == calm:
            groq.fail_first(storm, limit)  # this request is the storm's first 429
        return None  # fail_first, then the default success

    groq.responder = arrive
    groq.content = Echo().content
    items = wizard_items(count)
    source = write_jsonl(tmp_path / "items.jsonl", items)

    result = adp("casual", str(source), "-j", "4", "--max-retries", "5", "-q", "-m", MODEL)

    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert_lines_match_items(lines, items)
    assert len(limited) == storm
    assert len(groq.chat_requests) == count + storm
    # Backing off together: after the first 429 nothing new is sent until its retry-after has
    # (nearly) passed; the first 30 ms are for requests already on the wire.
    first = limited[0]
    early = [round(t - first, 3) for t in arrivals if first + 0.03 < t < first + retry_after - 0.06]
    assert early == [], f"requests sent inside the retry-after window after the first 429: {early}"


# --- ledger and budget ------------------------------------------------------------------------


def _ledger_today(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))["days"][date.today().isoformat()]


def test_ledger_loses_nothing_with_8_concurrent_processes(groq: GroqStub, tmp_path: Path) -> None:
    """8 adp processes at once, each making 10 calls through the real entry point (in a loop
    inside the process, so the test pays 8 start-ups, not 80)."""
    lanes, calls = 8, 10
    single = tmp_path / "one.yaml"
    single.write_text("genre: Rock\nmood: [energetic]\n", encoding="utf-8")
    loop = (
        "import sys\n"
        "from adp_cli.cli import main\n"
        f"for _ in range({calls}):\n"
        f"    sys.argv = ['adp', 'casual', {str(single)!r}, '-m', {MODEL!r}, '--json', '-q']\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit as done:\n"
        "        if done.code:\n"
        "            raise\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", loop], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
        for _ in range(lanes)
    ]
    outputs = [process.communicate(timeout=180) for process in processes]
    failures = [err for process, (_, err) in zip(processes, outputs) if process.returncode != 0]
    results = [json.loads(line) for out, _ in outputs for line in out.splitlines()]

    assert failures == []
    assert len(results) == lanes * calls
    assert len(groq.chat_requests) == lanes * calls
    ledger_file = Path(os.environ["COST_TRACKING_FILE"])
    totals = _ledger_today(ledger_file)[MODEL]
    assert totals["requests"] == lanes * calls
    assert totals["prompt_tokens"] == sum(r["prompt_tokens"] for r in results)
    assert totals["completion_tokens"] == sum(r["completion_tokens"] for r in results)
    assert totals["cost_usd"] == pytest.approx(sum(r["cost_usd"] for r in results), abs=1e-12)
    assert sorted(p.name for p in ledger_file.parent.glob(f".{ledger_file.name}.*")) == []  # no temp files left


def test_batch_adds_every_call_to_the_ledger(groq: GroqStub, adp, tmp_path: Path) -> None:
    Echo(staggered).install(groq)
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(20))

    result = adp("casual", str(source), "-j", "4", "-q", "-m", MODEL)

    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    totals = _ledger_today(Path(os.environ["COST_TRACKING_FILE"]))[MODEL]
    assert totals["requests"] == 20
    assert totals["cost_usd"] == pytest.approx(sum(line["cost_usd"] for line in lines), abs=1e-12)


def test_budget_stops_a_batch_and_the_rest_are_not_sent(
    groq: GroqStub, adp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Echo().install(groq)
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", repr(COST_PER_CALL * 2.5))  # three calls reach it
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(20))

    result = adp("casual", str(source), "-j", "1", "-q", "-m", MODEL)

    assert result.returncode == 1
    lines = json_lines(result.stdout)
    assert [line["index"] for line in lines] == list(range(20))
    assert all("phrase" in line for line in lines[:3])
    assert lines[0]["cost_usd"] == pytest.approx(COST_PER_CALL, rel=1e-6)
    # 56 x 0.075 + 64 x 0.0375 (cached) + 52 x 0.30 per 1M: the prefix is cached from the second call on
    assert [(line["cached_tokens"], line["cost_usd"]) for line in lines[1:3]] == [(64, 2.22e-05)] * 2
    assert [line["error"]["type"] for line in lines[3:]] == ["budget_exceeded"] * 17
    assert len(groq.chat_requests) == 3
    assert _ledger_today(Path(os.environ["COST_TRACKING_FILE"]))[MODEL]["requests"] == 3


def test_budget_already_spent_sends_nothing(groq: GroqStub, adp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from adp_cli.accounting import ledger

    ledger.record([ledger.Call(MODEL, 1000, 100, 0.01)])
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "0.01")
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(5))

    result = adp("casual", str(source), "-j", "4", "-q", "-m", MODEL)

    assert result.returncode == 1
    lines = json_lines(result.stdout)
    assert [line["error"]["type"] for line in lines] == ["budget_exceeded"] * 5
    assert groq.chat_requests == []


def test_budget_with_parallel_workers_overshoots_by_at_most_the_in_flight(
    groq: GroqStub, adp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Echo(lambda genre: 0.02).install(groq)
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", repr(COST_PER_CALL * 2.5))
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(20))

    result = adp("casual", str(source), "-j", "4", "-q", "-m", MODEL)

    assert result.returncode == 1
    lines = json_lines(result.stdout)
    succeeded = [line for line in lines if "error" not in line]
    assert 3 <= len(succeeded) <= 3 + 4 - 1
    assert len(groq.chat_requests) == len(succeeded)
    assert {line["error"]["type"] for line in lines if "error" in line} == {"budget_exceeded"}


def test_a_reader_that_stops_early_ends_the_batch_quietly(env: dict[str, str], tmp_path: Path) -> None:
    """`adp ... | head -1`: no traceback and no error line when the pipe closes."""
    items = write_jsonl(tmp_path / "items.jsonl", wizard_items(400))
    command = [sys.executable, "-m", "adp_cli", "casual", str(items), "--provider", "offline", "-q"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    assert proc.stdout is not None and proc.stderr is not None
    first = json.loads(proc.stdout.readline())
    proc.stdout.close()
    stderr = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=60) == 1
    assert first["index"] == 0
    assert stderr == ""


# --- stopping: Ctrl-C and a failed write -------------------------------------------------------


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_sends_nothing_more_and_a_rerun_finishes(groq: GroqStub, tmp_path: Path) -> None:
    """Queued items are dropped at once; the 4 requests in flight finish, are paid for, recorded
    in the ledger and written to -o, so the rerun sends exactly the other 60."""
    items = wizard_items(64)
    source = write_jsonl(tmp_path / "items.jsonl", items)
    output = tmp_path / "out.jsonl"
    echo = Echo(latency=lambda genre: 1.0)  # the 4 requests are still in flight when Ctrl-C comes
    echo.install(groq)
    command = [sys.executable, "-m", "adp_cli", "casual", str(source), "-m", MODEL, "-j", "4", "-o", str(output), "-q"]
    process = start_interruptible(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while len(groq.chat_requests) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 130
    assert stderr.splitlines()[-1] == "adp: error: interrupted"
    assert len(groq.chat_requests) == 4
    assert sorted(line["index"] for line in file_lines(output)) == [0, 1, 2, 3]
    assert _ledger_today(tmp_path / "ledger.json")[MODEL]["requests"] == 4

    echo.latency = lambda genre: 0.0
    rerun = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert len(groq.chat_requests) == 64
    assert_lines_match_items(sorted(file_lines(output), key=lambda line: line["index"]), items)


class _InterruptingSink:
    """A sink whose first line meets Ctrl-C, as a terminal user's does while a line is shown."""

    def line(self, line: Any) -> None:
        raise KeyboardInterrupt

    def waiting(self, waiting: Any) -> None:
        pass

    def job(self, event: Any) -> None:
        pass


def test_ctrl_c_while_a_line_is_shown_stops_the_batch_at_once(env: dict[str, str], tmp_path: Path) -> None:
    """Ctrl-C lands wherever the main thread is; when that is the sink writing a line rather than
    the run waiting for one, the queued items are still dropped at once: only the window read
    ahead of the shown line can have run."""
    from adp_cli.dispatch.dispatcher import Dispatcher
    from adp_cli.documents import open_source
    from adp_cli.runs import stream
    from adp_cli.tasks.casual import CASUAL
    from adp_cli.tasks.items import Flags
    from adp_cli.tasks.settings import Settings
    from adp_cli.transports import open_transport
    from adp_cli.transports.base import Connection

    source = open_source(str(write_jsonl(tmp_path / "items.jsonl", wizard_items(200))))
    dispatcher = Dispatcher(open_transport("offline", Connection()), Connection(), Settings())
    output = tmp_path / "out.jsonl"

    with pytest.raises(KeyboardInterrupt):
        stream.run(CASUAL, source, Flags(), Settings(), dispatcher, _InterruptingSink(), concurrency=2, output=output)

    assert 1 <= len(file_lines(output)) <= 2 * 4  # the window: 4 items per worker


def test_ctrl_c_while_a_job_line_is_shown_closes_the_job_at_once() -> None:
    """The same for a Batch API job: its events are closed on the way out (which saves its state
    and releases -o), not whenever the garbage collector reaches them."""
    from adp_cli.runs.batch_api.job import drive
    from adp_cli.runs.lines import Line

    ended: list[str] = []

    def events() -> Generator[Any, None, None]:
        try:
            yield Line({"index": 0, "phrase": "first"})
            yield Line({"index": 1, "phrase": "second"})
        finally:
            ended.append("cleaned up")

    with pytest.raises(KeyboardInterrupt):
        drive(events(), _InterruptingSink())
    assert ended == ["cleaned up"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_failed_write_to_output_stops_the_run_with_one_line(groq: GroqStub, tmp_path: Path) -> None:
    """`-o /dev/full`: the first write fails with ENOSPC; the run stops, sending nothing after the
    requests already in flight, and says so in one line."""
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(300))
    groq.latency = 0.05
    command = [sys.executable, "-m", "adp_cli", "casual", str(source), "-m", MODEL, "-j", "4", "-o", "/dev/full", "-q"]
    result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ), timeout=120)

    assert result.returncode == 2
    assert result.stderr == "adp: error: cannot write --output /dev/full: No space left on device; the run stopped\n"
    assert len(groq.chat_requests) <= 4
    assert Path("/dev/full").is_char_device()


def test_results_stay_on_stdout_while_a_progress_bar_is_drawn_on_a_terminal(
    groq: GroqStub, adp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With stderr on a terminal and stdout redirected (``adp ... > out.jsonl``), the live bar must
    not take stdout over: Rich would print the result lines on stderr and leave the file empty."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # Rich draws as on a terminal; stdout is a pipe
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    groq.latency = 0.05
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(10))

    result = adp("casual", str(source), "-j", "1", "-m", MODEL)

    assert result.returncode == 0, result.stderr
    assert [line["index"] for line in json_lines(result.stdout)] == list(range(10))
    assert '"index"' not in result.stderr
