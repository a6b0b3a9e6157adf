"""A hostile environment: what a tester trying to break adp found (issue 9), kept fixed.

Keys with stray whitespace or text a header cannot carry, error texts that hold a secret, device
files, symlinks and read-only files where adp writes, a server whose replies are not what Groq
sends (bad usage, HTML, lone surrogates, megabytes of text, terminal escapes), an unusable ledger,
closed or full standard streams, a damaged token cache, two runs sharing one ``-o`` file, and a
budget under parallel workers. Every case drives the real CLI (in process through CliRunner, or
as a subprocess where it needs a real process: streams, terminals, ``.env``, timeouts) and the
real groq SDK against the loopback Groq.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support.cli import TEST_KEY, one_line, run
from tests.support.groqstub import GroqStub, Reply, bad_request, chat_body
from tests.support.items import file_lines, json_lines, wizard_items, write_jsonl

MODEL = "openai/gpt-oss-20b"
# the stub's 120 prompt + 52 completion tokens (12 answer, 40 reasoning) on MODEL, nothing cached:
# 120 x $0.075/M + 52 x $0.30/M
COST_PER_CALL = 2.46e-05
KEY_FRAGMENTS = (TEST_KEY, TEST_KEY[4:16], TEST_KEY[-12:])
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes, FIFOs and file descriptors")


def assert_no_key(*texts: str) -> None:
    for text in texts:
        for fragment in KEY_FRAGMENTS:
            assert fragment not in text, f"key fragment {fragment!r} leaked: {text[:500]!r}"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ledger_file() -> Path:
    return Path(os.environ["COST_TRACKING_FILE"])


def ledger_today() -> dict[str, Any]:
    return json.loads(ledger_file().read_text(encoding="utf-8"))["days"].get(date.today().isoformat(), {})


def content_of(body: dict[str, Any]) -> str:
    return body["messages"][-1]["content"]


# --- 1, 16: the key and other secrets never leave the process ---------------------------------


@pytest.mark.parametrize("padding", ["\n", " ", "\r\n", "\t "], ids=["newline", "space", "crlf", "tab-space"])
def test_a_key_with_surrounding_whitespace_is_stripped(cli: CliRunner, groq: GroqStub, monkeypatch: pytest.MonkeyPatch, padding: str) -> None:
    monkeypatch.setenv("GROQ_API_KEY", padding + TEST_KEY + padding)

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "A warm test phrase.\n"
    assert groq.chat_requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"


def test_a_key_in_dotenv_with_a_quoted_trailing_space_is_stripped(adp, groq: GroqStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY")
    (tmp_path / ".env").write_text(f'GROQ_API_KEY="{TEST_KEY} "\n', encoding="utf-8")

    result = adp("casual", "--genre", "Rock", "-m", MODEL, "-q")

    assert result.returncode == 0, result.stderr
    assert groq.chat_requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"


@pytest.mark.parametrize(
    "key",
    [TEST_KEY[:12] + " " + TEST_KEY[12:], TEST_KEY + "\u00e9", TEST_KEY[:12] + "\u00a0" + TEST_KEY[12:], TEST_KEY + "\x7f", TEST_KEY[:9] + "\n" + TEST_KEY[9:]],
    ids=["inner-space", "non-ascii", "no-break-space", "delete", "inner-newline"],
)
@pytest.mark.parametrize("shape", ["one-shot", "batch", "models"])
def test_a_key_no_header_can_carry_is_refused_before_any_request(
    adp, groq: GroqStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, shape: str
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", key)
    args = {
        "one-shot": ("casual", "--genre", "Rock", "-m", MODEL),
        "batch": ("casual", str(write_jsonl(tmp_path / "items.jsonl", wizard_items(3))), "-m", MODEL, "-q"),
        "models": ("models", "--live"),
    }[shape]

    result = adp(*args)

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("adp: error: GROQ_API_KEY ")
    assert_no_key(result.stderr)
    assert groq.requests == []


def _echoes_the_key(body: dict[str, Any]) -> Reply:
    """A hostile (or careless) server that quotes the request's credentials in its error."""
    return bad_request(f"Invalid header 'Authorization: Bearer {TEST_KEY}' (key {TEST_KEY})")


def test_an_error_holding_the_key_is_redacted_in_the_one_shot_error_and_the_verbose_log(adp, groq: GroqStub) -> None:
    groq.responder = _echoes_the_key

    quiet = adp("casual", "--genre", "Rock", "-m", MODEL)
    verbose = adp("casual", "--genre", "Rock", "-m", MODEL, "--verbose")

    assert quiet.returncode == verbose.returncode == 1
    assert "Bearer [redacted]" in one_line(quiet.stderr)
    assert "Traceback" in verbose.stderr  # --verbose shows the traceback, redacted too
    assert_no_key(quiet.stderr, verbose.stderr)


def test_an_error_holding_the_key_is_redacted_in_batch_lines_and_the_output_file(adp, groq: GroqStub, tmp_path: Path) -> None:
    groq.responder = _echoes_the_key
    output = tmp_path / "out.jsonl"

    result = adp("casual", str(write_jsonl(tmp_path / "items.jsonl", wizard_items(3))), "-m", MODEL, "-q", "-o", str(output), "-v")

    assert result.returncode == 1
    lines = json_lines(result.stdout)
    assert [line["error"]["type"] for line in lines] == ["api_error"] * 3
    assert all("Bearer [redacted]" in line["error"]["message"] for line in lines)
    assert_no_key(result.stdout, result.stderr, output.read_text(encoding="utf-8"))


def test_userinfo_in_the_base_url_is_redacted(adp, groq: GroqStub) -> None:
    secret = "hunter2-base-url-secret"
    url = f"http://someone:{secret}@127.0.0.1:{closed_port()}"

    results = [adp("casual", "--genre", "Rock", "-m", MODEL, "--base-url", url, "--max-retries", "0", *extra) for extra in ([], ["-v"])]

    for result in results:
        assert result.returncode == 1
        assert "cannot reach Groq at http://127.0.0.1:" in result.stderr  # the URL without its userinfo
        assert secret not in result.stderr and "someone" not in result.stderr


def test_redact_hides_bearer_tokens_groq_keys_and_url_userinfo() -> None:
    from adp_cli.text import redact

    assert redact("Illegal header value b'Bearer gsk_abcDEF123\\n'") == "Illegal header value b'Bearer [redacted]'"
    assert redact("key gsk_Abc_123-x, then more") == "key gsk_[redacted], then more"
    assert redact("at https://user:pa55@api.example.com/v1 and ftp://token@host") == "at https://[redacted]@api.example.com/v1 and ftp://[redacted]@host"
    assert redact("a plain message about gsk and Bearers") == "a plain message about gsk and Bearers"


# --- 2: writing through symlinks, to devices and FIFOs, and read-only files ------------------


def _symlink(link: Path, target: Path) -> None:
    try:
        link.symlink_to(target)
    except OSError as error:  # Windows without the symlink privilege
        pytest.skip(f"cannot create a symlink here: {error}")


def test_replace_writes_through_a_symlink(tmp_path: Path) -> None:
    from adp_cli.files import replace_atomically

    target = tmp_path / "real.json"
    target.write_bytes(b"old")
    link = tmp_path / "link.json"
    _symlink(link, target)

    replace_atomically(link, b"new")

    assert link.is_symlink()
    assert target.read_bytes() == b"new"


@POSIX_ONLY
def test_replace_keeps_the_file_mode(tmp_path: Path) -> None:
    from adp_cli.files import replace_atomically

    path = tmp_path / "shared.json"
    path.write_bytes(b"old")
    path.chmod(0o640)

    replace_atomically(path, b"new")

    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_bytes() == b"new"


def test_replace_refuses_a_read_only_file_even_as_root(tmp_path: Path) -> None:
    from adp_cli.files import replace_atomically

    path = tmp_path / "frozen.json"
    path.write_bytes(b"keep me")
    path.chmod(0o444)

    with pytest.raises(PermissionError, match="read-only"):
        replace_atomically(path, b"new")
    assert path.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["frozen.json"]


@POSIX_ONLY
def test_replace_refuses_a_fifo_and_leaves_it_one(tmp_path: Path) -> None:
    from adp_cli.files import replace_atomically

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    with pytest.raises(OSError, match="not a regular file"):
        replace_atomically(fifo, b"new")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_output_through_a_symlink_resumes_into_its_target(adp, groq: GroqStub, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(4))
    target = tmp_path / "real.jsonl"
    target.write_text('{"index": 0, "phrase": "done before"}\n{"index": 1, "error": {"type": "api_error", "message": "x"}}\n', encoding="utf-8")
    link = tmp_path / "out.jsonl"
    _symlink(link, target)

    result = adp("casual", str(source), "-m", MODEL, "-q", "-o", str(link))

    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert sorted(line["index"] for line in file_lines(target)) == [0, 1, 2, 3]
    assert len(groq.chat_requests) == 3


def test_a_read_only_output_file_is_refused_before_any_request(adp, groq: GroqStub, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(3))
    output = tmp_path / "out.jsonl"
    output.write_text('{"index": 0, "phrase": "kept"}\n', encoding="utf-8")
    output.chmod(0o444)

    result = adp("casual", str(source), "-m", MODEL, "-q", "-o", str(output))

    assert result.returncode == 2
    assert result.stdout == ""
    assert "read-only" in one_line(result.stderr)
    assert output.read_text(encoding="utf-8") == '{"index": 0, "phrase": "kept"}\n'
    assert groq.requests == []


@POSIX_ONLY
def test_output_to_a_fifo_streams_into_it_and_leaves_it_a_fifo(adp, groq: GroqStub, tmp_path: Path) -> None:
    fifo = tmp_path / "lines"
    os.mkfifo(fifo)
    received: list[str] = []

    def read_all() -> None:
        with fifo.open(encoding="utf-8") as reader:
            received.extend(reader)

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    result = adp("casual", str(write_jsonl(tmp_path / "items.jsonl", wizard_items(3))), "-m", MODEL, "-q", "-o", str(fifo), timeout=30)
    reader.join(timeout=10)

    assert result.returncode == 0, result.stderr
    assert sorted(json.loads(line)["index"] for line in received) == [0, 1, 2]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@POSIX_ONLY
def test_a_ledger_that_is_a_fifo_is_refused_before_any_request(adp, groq: GroqStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What /dev/null as COST_TRACKING_FILE once did: a special file replaced by a regular one."""
    fifo = tmp_path / "ledger-pipe"
    os.mkfifo(fifo)
    monkeypatch.setenv("COST_TRACKING_FILE", str(fifo))

    result = adp("casual", "--genre", "Rock", "-m", MODEL, "-q", timeout=30)

    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "not a regular file" in line and "COST_TRACKING_FILE=off" in line
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert groq.requests == []


@POSIX_ONLY
def test_the_ledger_keeps_its_mode_and_its_symlink(cli: CliRunner, groq: GroqStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "shared" / "costs.json"
    target.parent.mkdir()
    target.write_text('{"version": 1, "days": {}}', encoding="utf-8")
    target.chmod(0o664)
    link = tmp_path / "costs-link.json"
    _symlink(link, target)
    monkeypatch.setenv("COST_TRACKING_FILE", str(link))

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")

    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert stat.S_IMODE(target.stat().st_mode) == 0o664
    assert json.loads(target.read_text(encoding="utf-8"))["days"][date.today().isoformat()][MODEL]["requests"] == 1


# --- 3: usage the server should never send ---------------------------------------------------

BAD_USAGE = {"negative": -120, "fraction": 1.5, "string": "120 tokens", "null": None, "absurd": 10**20}


@pytest.mark.parametrize("field", ["prompt_tokens", "completion_tokens"])
@pytest.mark.parametrize("case", list(BAD_USAGE))
def test_bad_usage_is_a_bad_reply_and_the_ledger_keeps_what_can_be_trusted(cli: CliRunner, groq: GroqStub, field: str, case: str) -> None:
    body = chat_body("A phrase.", MODEL, 120, 12)
    body["usage"][field] = BAD_USAGE[case]
    groq.enqueue(Reply(body=body))

    first = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "--json", "-q")
    second = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "--json", "-q")
    report = run(cli, "cost", "--ledger", "--json")

    assert first.exit_code == 1 and first.stdout == ""
    assert "usage" in one_line(first.stderr)
    assert second.exit_code == 0, second.stderr  # the ledger is not poisoned
    assert report.exit_code == 0, report.stderr
    [entry] = json.loads(report.stdout)["entries"]
    trusted_prompt, trusted_completion = (0, 12) if field == "prompt_tokens" else (120, 0)
    # the second call is the stub's own: 120 prompt tokens, 12 answer + 40 reasoning tokens
    assert (entry["requests"], entry["prompt_tokens"], entry["completion_tokens"]) == (2, 120 + trusted_prompt, 52 + trusted_completion)
    assert 0 < entry["cost_usd"] < 2 * COST_PER_CALL


def test_bad_usage_fails_only_its_batch_item(adp, groq: GroqStub, tmp_path: Path) -> None:
    def negative_for_jazz(body: dict[str, Any]) -> Reply | None:
        if "Jazz" not in content_of(body):
            return None
        bad = chat_body("A phrase.", MODEL, -5, 12)
        return Reply(body=bad)

    groq.responder = negative_for_jazz
    result = adp("casual", str(write_jsonl(tmp_path / "items.jsonl", wizard_items(4))), "-m", MODEL, "-q")

    assert result.returncode == 1
    lines = json_lines(result.stdout)
    assert ["error" in line for line in lines] == [False, True, False, False]
    assert lines[1]["error"]["type"] == "bad_reply"
    assert ledger_today()[MODEL]["requests"] == 4


# --- 4: an unusable ledger is found before anything is paid for -------------------------------


def _spoil_ledger(problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = ledger_file()
    if problem == "corrupt":
        path.write_text("{not json", encoding="utf-8")
    elif problem == "read-only":
        path.write_text('{"version": 1, "days": {}}', encoding="utf-8")
        path.chmod(0o444)
    elif problem == "directory":
        path.mkdir()
    else:  # its folder is a file
        blocker = tmp_path / "blocker"
        blocker.write_text("", encoding="utf-8")
        monkeypatch.setenv("COST_TRACKING_FILE", str(blocker / "ledger.json"))


@pytest.mark.parametrize("problem", ["corrupt", "read-only", "directory", "folder-is-a-file"])
@pytest.mark.parametrize("shape", ["one-shot", "batch"])
def test_an_unusable_ledger_stops_the_run_before_any_request(
    adp, groq: GroqStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: str, shape: str
) -> None:
    _spoil_ledger(problem, tmp_path, monkeypatch)
    source = ["--genre", "Rock"] if shape == "one-shot" else [str(write_jsonl(tmp_path / "items.jsonl", wizard_items(5)))]

    result = adp("casual", *source, "-m", MODEL, "-q")

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "ledger" in one_line(result.stderr)
    assert groq.requests == []


# --- 7: a reply that cannot be written -------------------------------------------------------


def _surrogate_for_jazz(body: dict[str, Any]) -> Reply | None:
    return Reply(body=chat_body("A broken \ud800 phrase.", MODEL, 120, 12)) if "Jazz" in content_of(body) else None


def test_a_reply_with_a_lone_surrogate_fails_only_its_item(adp, groq: GroqStub, tmp_path: Path) -> None:
    groq.responder = _surrogate_for_jazz
    output = tmp_path / "out.jsonl"

    result = adp("casual", str(write_jsonl(tmp_path / "items.jsonl", wizard_items(6))), "-m", MODEL, "-q", "-o", str(output))

    assert result.returncode == 1, result.stderr
    lines = json_lines(result.stdout)
    assert [line["index"] for line in lines] == list(range(6))
    assert [line["error"]["type"] for line in lines if "error" in line] == ["bad_reply"]
    assert "error" in lines[1]  # wizard_items(6)[1] is the Jazz item
    assert sorted(line["index"] for line in file_lines(output)) == list(range(6))


def test_a_reply_with_a_lone_surrogate_is_one_error_line(cli: CliRunner, groq: GroqStub) -> None:
    groq.responder = _surrogate_for_jazz

    result = run(cli, "casual", "--genre", "Jazz", "-m", MODEL)

    assert result.exit_code == 1
    assert "not valid Unicode" in one_line(result.stderr)


def test_an_id_with_a_lone_surrogate_is_echoed_escaped(adp, env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "items.jsonl"
    source.write_text('{"id": "a\\ud800b", "genre": "Rock"}\n{"id": "plain", "genre": "Jazz"}\n', encoding="utf-8")
    output = tmp_path / "out.jsonl"

    result = adp("casual", str(source), "--provider", "offline", "-q", "-o", str(output))

    assert result.returncode == 0, result.stderr
    assert [line["id"] for line in json_lines(result.stdout)] == ["a\ud800b", "plain"]
    assert '"a\\ud800b"' in result.stdout
    assert [line["id"] for line in sorted(file_lines(output), key=lambda line: line["index"])] == ["a\ud800b", "plain"]  # -o is in finishing order


# --- 9: every failure is one line, never "internal error" ------------------------------------


def run_with_fds(
    args: list[str], *, stdin: Any = subprocess.DEVNULL, stdout: Any = subprocess.PIPE, close: tuple[int, ...] = (), memory_mb: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``python -m adp_cli ARGS`` with chosen standard streams; ``close`` closes descriptors in the
    child, ``memory_mb`` caps its address space (POSIX) so a runaway case cannot take the machine."""

    def in_child() -> None:  # pragma: no cover - runs in the child
        for fd in close:
            os.close(fd)
        if memory_mb is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024,) * 2)

    return subprocess.run(
        [sys.executable, "-m", "adp_cli", *args],
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
        timeout=60,
        preexec_fn=in_child if close or (memory_mb and sys.platform != "win32") else None,
    )


def assert_clean_error(completed: subprocess.CompletedProcess[bytes], status: int = 2) -> str:
    stderr = completed.stderr.decode("utf-8", "replace")
    assert completed.returncode == status, stderr
    line = one_line(stderr)
    assert line.startswith("adp: error: ") and "internal error" not in line
    return line


@POSIX_ONLY
@pytest.mark.parametrize("args", [["casual", "-", "--provider", "offline"], ["cost", "-"]], ids=["casual", "cost"])
def test_closed_stdin(env: dict[str, str], args: list[str]) -> None:
    line = assert_clean_error(run_with_fds(args, stdin=None, close=(0,)))
    assert "stdin" in line


@POSIX_ONLY
def test_closed_stdout(env: dict[str, str]) -> None:
    line = assert_clean_error(run_with_fds(["casual", "--genre", "Rock", "--provider", "offline", "-q"], stdout=None, close=(1,)))
    assert "stdout" in line


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("input", [["--genre", "Rock"], ["items.jsonl"]], ids=["one-shot", "batch"])
def test_full_stdout(env: dict[str, str], tmp_path: Path, input: list[str]) -> None:
    write_jsonl(tmp_path / "items.jsonl", wizard_items(3))
    with open("/dev/full", "wb") as full:
        line = assert_clean_error(run_with_fds(["casual", *input, "--provider", "offline", "-q"], stdout=full))
    assert "stdout" in line and "No space left" in line


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_input_that_fails_with_an_io_error(env: dict[str, str]) -> None:
    line = assert_clean_error(run_with_fds(["casual", "/proc/self/mem", "--provider", "offline", "-q"]))
    assert "cannot read" in line


@pytest.mark.parametrize("where", ["input", "output"])
def test_a_5000_character_file_name(env: dict[str, str], tmp_path: Path, where: str) -> None:
    name = "x" * 5000 + ".jsonl"
    args = [name] if where == "input" else [str(write_jsonl(tmp_path / "items.jsonl", wizard_items(2))), "-o", name]
    line = assert_clean_error(run_with_fds(["casual", *args, "--provider", "offline", "-q"]))
    assert len(line) < 400  # the name is shortened, not echoed whole


NOT_A_COMPLETION = {
    "html": ("<html><body>Welcome to the proxy</body></html>", "text/html"),
    "json-list": ("[1, 2]", "application/json"),
    "json-null": ("null", "application/json"),
    "broken-json": ('{"choices": [', "application/json"),
    "object-without-choices": ('{"status": "ok"}', "application/json"),
}


@pytest.mark.parametrize("case", list(NOT_A_COMPLETION))
def test_a_200_reply_that_is_not_a_chat_completion(cli: CliRunner, groq: GroqStub, case: str) -> None:
    body, content_type = NOT_A_COMPLETION[case]
    groq.enqueue(Reply(body=body, headers={"content-type": content_type}))

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")

    assert result.exit_code == 2, result.stderr
    line = one_line(result.stderr)
    assert "not a chat completion" in line and "--base-url" in line


@pytest.mark.parametrize(
    "choices",
    [[{"message": {"content": 5}}], "five", [{"message": "text"}], [7]],
    ids=["content-not-text", "choices-not-a-list", "message-not-an-object", "choice-not-an-object"],
)
def test_a_chat_completion_with_broken_fields_is_a_bad_reply(cli: CliRunner, groq: GroqStub, choices: Any) -> None:
    body = chat_body("x", MODEL, 120, 12)
    body["choices"] = choices
    groq.enqueue(Reply(body=body))

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")

    assert result.exit_code == 1, result.stderr
    assert "internal error" not in one_line(result.stderr)


def test_a_damaged_token_cache_is_rebuilt(env: dict[str, str], tmp_path: Path, token_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from adp_cli.accounting import tokens

    text = "hello world, a damaged cache"
    expected = tokens.count_tokens(text)
    copy = tmp_path / "cache"
    shutil.copytree(token_cache, copy)
    [cache_file] = copy.glob("*.buckets")
    original = cache_file.read_bytes()
    _, offsets, blob = tokens._index()
    key = ord("h") << 8 | ord("e")  # the bucket of tokens starting "he", which the text needs
    bucket = bytes(blob[offsets[key] : offsets[key + 1]])
    start = original.index(bucket)
    cache_file.write_bytes(original[:start] + b"\xff" * len(bucket) + original[start + len(bucket) :])
    monkeypatch.setenv("ADP_CACHE_DIR", str(copy))

    counts = [run_with_fds(["cost", text, "--json"]) for _ in range(2)]

    for completed in counts:
        assert completed.returncode == 0, completed.stderr.decode()
        assert json.loads(completed.stdout)["tokens"] == expected
    assert cache_file.read_bytes().find(bucket) >= 0  # rebuilt, so the second run found it whole


# --- 10: a YAML bomb in the prices file ------------------------------------------------------


def _laughs(levels: int = 9) -> str:
    """A flow list whose last element expands to 9**levels strings (a few lines of YAML)."""
    names = "abcdefghijk"[:levels]
    parts = ["&a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    parts += [f"&{name} [" + ", ".join([f"*{previous}"] * 9) + "]" for previous, name in zip(names, names[1:])]
    return "[" + ", ".join(parts) + "]"


@pytest.mark.parametrize("use", ["as-a-price", "as-an-input-price", "as-a-unit"])
def test_a_yaml_bomb_in_the_prices_file_is_one_short_line(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use: str) -> None:
    prices = tmp_path / "prices.yaml"
    value = {"as-a-price": _laughs(), "as-an-input-price": f"{{input: {_laughs()}}}", "as-a-unit": f"{{input: 1, unit: {_laughs()}}}"}[use]
    prices.write_text(f"{MODEL}: {value}\n", encoding="utf-8")
    monkeypatch.setenv("ADP_PRICES_FILE", str(prices))

    started = time.monotonic()
    line = assert_clean_error(run_with_fds(["cost", "--tokens", "1000", "-m", MODEL], memory_mb=1500))

    assert time.monotonic() - started < 10
    assert len(line) < 600 and "ADP_PRICES_FILE" in line


# --- 11, 12: the -o file --------------------------------------------------------------------


def test_a_second_run_on_the_same_output_is_refused(groq: GroqStub, tmp_path: Path) -> None:
    """The first run's requests are held at the server until the second run has ended, so the
    two overlap whatever the machine's speed."""
    second_done = threading.Event()

    def hold_until_the_second_run_ends(body: dict[str, Any]) -> None:
        second_done.wait(timeout=60)

    groq.responder = hold_until_the_second_run_ends
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(10))
    output = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "adp_cli", "casual", str(source), "-o", str(output), "-j", "2", "-q", "-m", MODEL]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 30
        while not groq.chat_requests and time.monotonic() < deadline:  # the first run holds the file
            time.sleep(0.01)
        second = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ), timeout=60)
    finally:
        second_done.set()
    _, first_err = first.communicate(timeout=60)

    assert first.returncode == 0, first_err
    assert second.returncode == 2, second.stderr
    assert second.stdout == ""
    assert "another adp run" in one_line(second.stderr)
    assert len(groq.chat_requests) == 10
    assert sorted(line["index"] for line in file_lines(output)) == list(range(10))


def test_output_into_a_missing_folder_is_refused_and_creates_nothing(cli: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(2))

    result = run(cli, "casual", str(source), "--provider", "offline", "-q", "-o", str(tmp_path / "no" / "such" / "out.jsonl"))

    assert result.exit_code == 2
    assert "No such file or directory" in one_line(result.stderr)
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("input", ["--genre=Rock", "item.yaml", "item.json"])
def test_output_with_a_single_item_is_refused(cli: CliRunner, groq: GroqStub, tmp_path: Path, input: str) -> None:
    (tmp_path / "item.yaml").write_text("genre: Rock\n", encoding="utf-8")
    (tmp_path / "item.json").write_text('{"genre": "Rock"}', encoding="utf-8")
    output = tmp_path / "out.jsonl"

    result = run(cli, "casual", input, "-m", MODEL, "-o", str(output))

    assert result.exit_code == 2
    assert "--output" in one_line(result.stderr)
    assert not output.exists()
    assert groq.requests == []


# --- 14, 15: what a model says is shown safely ------------------------------------------------

HOSTILE_PHRASE = "Red\x1b[31m alert, \u202etxt.exe\x07 and \x9b2J done."


@POSIX_ONLY
def test_escapes_and_bidi_controls_are_shown_escaped_on_a_terminal(groq: GroqStub) -> None:
    import pty

    groq.content = HOSTILE_PHRASE
    controller, terminal = pty.openpty()
    try:
        completed = run_with_fds(["casual", "--genre", "Rock", "-m", MODEL, "-q"], stdout=terminal)
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # Linux: EIO once the terminal side is closed and drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)

    assert completed.returncode == 0, completed.stderr
    text = shown.decode("utf-8")
    assert text.strip() == "Red\\x1b[31m alert, \\u202etxt.exe\\x07 and \\x9b2J done."


def test_a_pipe_gets_the_phrase_as_is_and_json_escapes_bidi_controls(adp, groq: GroqStub) -> None:
    groq.content = HOSTILE_PHRASE

    plain = adp("casual", "--genre", "Rock", "-m", MODEL, "-q")
    as_json = adp("casual", "--genre", "Rock", "-m", MODEL, "-q", "--json")

    assert plain.stdout == HOSTILE_PHRASE + "\n"
    assert "\u202e" not in as_json.stdout and "\x9b" not in as_json.stdout and "\x1b" not in as_json.stdout
    assert json.loads(as_json.stdout)["phrase"] == HOSTILE_PHRASE


def test_escapes_in_a_server_error_are_shown_escaped(cli: CliRunner, groq: GroqStub) -> None:
    groq.enqueue(bad_request("bad \x1b]0;pwned\x07 request \u202eevil"))

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL)

    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "\x1b" not in line and "\u202e" not in line and "\x07" not in line
    assert "\\x1b]0;pwned\\x07" in line


@pytest.mark.parametrize("shape", ["one-shot", "batch"])
def test_a_huge_non_bpm_reply_is_quoted_short(adp, groq: GroqStub, tmp_path: Path, shape: str) -> None:
    groq.content = "lots of words " * 400_000  # 5.6 MB
    items = [{"input_phrase": "fast techno", "standardized_phrase": "techno"}]
    source = ["--phrase", "fast techno"] if shape == "one-shot" else [str(write_jsonl(tmp_path / "items.jsonl", items))]

    result = adp("bpm", *source, "-q")

    assert result.returncode == 1
    message = one_line(result.stderr) if shape == "one-shot" else json_lines(result.stdout)[0]["error"]["message"]
    assert "Invalid BPM returned: 'lots of words lots" in message
    assert len(message) < 400
    assert len(result.stdout) < 1000


# --- 17: the daily budget ---------------------------------------------------------------------


def test_a_budget_under_a_cent_is_printed_as_it_is(cli: CliRunner, groq: GroqStub, monkeypatch: pytest.MonkeyPatch) -> None:
    from adp_cli.accounting import ledger

    ledger.record([ledger.Call(MODEL, 1000, 100, 0.002)])
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "0.001")

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL)

    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "$0.002 spent today of $0.001" in line
    assert groq.chat_requests == []
    # what was read is the free list of models (for today's prices), never a chat
    assert [(request.method, request.path) for request in groq.requests] == [("GET", "/openai/v1/models")]


def test_a_budget_without_a_ledger_says_it_covers_this_run_only(cli: CliRunner, groq: GroqStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COST_TRACKING_FILE", "off")
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", "1")

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL, "-q")

    assert result.exit_code == 0
    assert result.stdout == "A warm test phrase.\n"
    warning = one_line(result.stderr)
    assert "ADP_DAILY_BUDGET_USD" in warning and "this run only" in warning


def test_a_budget_is_not_passed_by_parallel_workers(adp, groq: GroqStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight workers, a budget of ten and a half calls: calls in flight count at their estimated
    cost, so the eleventh call is the last one sent (not the eleventh plus seven in flight)."""
    groq.latency = 0.05
    assert groq.today is not None
    groq.today.cached_tokens = 0  # no prompt caching: every call costs COST_PER_CALL
    monkeypatch.setenv("ADP_DAILY_BUDGET_USD", repr(COST_PER_CALL * 10.5))

    result = adp("casual", str(write_jsonl(tmp_path / "items.jsonl", wizard_items(40))), "-j", "8", "-q", "-m", MODEL)

    assert result.returncode == 1
    lines = json_lines(result.stdout)
    succeeded = [line for line in lines if "error" not in line]
    assert len(succeeded) == len(groq.chat_requests) == 11
    assert {line["error"]["type"] for line in lines if "error" in line} == {"budget_exceeded"}
    assert ledger_today()[MODEL]["requests"] == 11
