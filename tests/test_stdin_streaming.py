"""JSON Lines on stdin stream as a file does (issue 19, item 17).

Stdin that starts with ``{`` is one JSON object (perhaps pretty-printed) or JSON Lines; adp
tells them apart from the first line and the first byte after it, then streams the lines, so a
slow producer's first item is answered before it has sent the next, and stdin has no size
limit. Real pipes and a real process throughout: an in-memory stdin never waits.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from queue import Empty, Queue
from typing import IO, Any

import pytest

from adp_cli.documents import open_source
from tests.support.cli import start_interruptible
from tests.support.items import json_lines

OFFLINE = ["casual", "-", "--provider", "offline", "-q"]
POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child")


def item(number: int, genre: str = "Rock") -> bytes:
    return json.dumps({"id": f"trk-{number}", "genre": genre}).encode("utf-8") + b"\n"


class Lines:
    """A child's stdout read on a thread, so a test can wait for one line with a timeout."""

    def __init__(self, stream: IO[Any]) -> None:
        self._lines: Queue[bytes | str] = Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[Any]) -> None:
        for raw in stream:
            self._lines.put(raw)

    def next(self, timeout: float = 30) -> dict[str, Any] | None:
        try:
            line: dict[str, Any] = json.loads(self._lines.get(timeout=timeout))
        except Empty:
            return None
        return line


def start(args: list[str]) -> subprocess.Popen[bytes]:
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    return subprocess.Popen([sys.executable, "-m", "adp_cli", *args], **pipes, env=dict(os.environ))


def test_a_slow_producers_first_line_is_answered_before_it_sends_the_second(env: dict[str, str]) -> None:
    """The producer sends one item and the first byte of the next, then waits for the answer
    to the first (a generator that reads the answers as it goes would)."""
    child = start(OFFLINE)
    assert child.stdin is not None and child.stdout is not None
    answers = Lines(child.stdout)
    child.stdin.write(item(0) + b'{"id": "trk-1", ')
    child.stdin.flush()

    first = answers.next()
    child.stdin.write(b'"genre": "Jazz"}\n' + item(2, "Folk"))
    child.stdin.close()
    rest = [answers.next(), answers.next()]
    child.wait(timeout=60)

    assert first is not None, "no answer before the producer sent its second line"
    assert (first["index"], first["id"], first["phrase"]) == (0, "trk-0", "A Rock track.")
    assert [(line["index"], line["id"]) for line in rest if line] == [(1, "trk-1"), (2, "trk-2")]
    assert child.returncode == 0, child.stderr.read() if child.stderr else ""


def test_20_mb_of_json_lines_on_stdin_work(env: dict[str, str]) -> None:
    """2,100 items padded with blank space to 10 KiB a line: more than one document may be."""
    lines = []
    for number in range(2_100):
        compact = json.dumps({"id": number, "genre": "Rock"})
        lines.append((compact[:-1] + " " * (10 * 1024 - len(compact)) + "}\n").encode("utf-8"))
    data = b"".join(lines)
    assert len(data) > 20 * 1024 * 1024

    result = subprocess.run([sys.executable, "-m", "adp_cli", *OFFLINE], check=False, input=data, capture_output=True, timeout=120, env=dict(os.environ))

    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert [(line["index"], line["id"]) for line in json_lines(result.stdout.decode("utf-8"))] == [(n, n) for n in range(2_100)]


def test_sniffing_a_pipe_reads_the_first_line_and_one_byte_more(env: dict[str, str]) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, item(0) + b"  \n{")
    found: Queue[object] = Queue()
    with open(read_end, "rb") as stream:
        threading.Thread(target=lambda: found.put(open_source("-", stdin=stream)), daemon=True).start()
        try:
            source = found.get(timeout=30)  # no EOF yet: the writer is still open
            os.write(write_end, b'"genre": "Jazz"}\n')
        finally:
            os.close(write_end)
        assert getattr(source, "batch", None) is True
        assert list(source.documents) == [{"id": "trk-0", "genre": "Rock"}, {"genre": "Jazz"}]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "data",
    [item(0), b"\n\n" + item(0) + b"\n  \n", json.dumps({"genre": "Rock"}, indent=2).encode("utf-8")],
    ids=["one line", "blank lines around it", "pretty-printed"],
)
def test_one_object_on_a_pipe_is_still_one_item(env: dict[str, str], data: bytes) -> None:
    result = subprocess.run([sys.executable, "-m", "adp_cli", *OFFLINE], check=False, input=data, capture_output=True, timeout=60, env=dict(os.environ))

    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8") == "A Rock track.\n"


@POSIX_ONLY
def test_ctrl_c_while_the_producer_is_silent_ends_the_run_cleanly(env: dict[str, str], tmp_path: Path) -> None:
    """The input is read on a thread of its own; one waiting in a read of sys.stdin's own
    buffer would make the interpreter abort at exit ("could not acquire lock")."""
    child = start_interruptible(
        [sys.executable, "-m", "adp_cli", *OFFLINE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None
    answers = Lines(child.stdout)
    child.stdin.write(item(0).decode("utf-8") + "{")  # a text-mode child
    child.stdin.flush()
    first = answers.next()

    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)

    assert first is not None and first["index"] == 0
    assert child.returncode == 130, stderr
    assert "Fatal Python error" not in stderr
