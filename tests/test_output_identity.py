"""Which file ``-o`` is, whatever name leads to it (issue 19, items 3 and 19).

``-o`` naming the input, by the same name, a symlink, a hard link or stdin redirected from it,
is refused before anything is read or sent, in both run modes: resuming ``-o`` would drop the
input's lines as "not ours" and empty it. And two runs through two names of one file (hard
links, even in two folders) are two runs on the same file: the second is refused, because the
lock is keyed on the file's identity, not only on its name.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from adp_cli.errors import UsageError
from adp_cli.runs.lines import OutputFile
from tests.support.batchapi import BatchAPI
from tests.support.cli import one_line
from tests.support.groqstub import GroqStub
from tests.support.items import file_lines, wizard_items, write_jsonl

MODEL = "openai/gpt-oss-20b"


def adp(*args: str, stdin: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adp_cli", *args], check=False, stdin=stdin, capture_output=True, text=True, encoding="utf-8", timeout=60, env=dict(os.environ)
    )


def output_name(how: str, source: Path, folder: Path) -> Path:
    """``-o`` as another name of ``source`` (or ``source`` itself)."""
    if how in ("same name", "stdin"):
        return source
    other = folder / "results.jsonl"
    try:
        (os.symlink if how == "symlink" else os.link)(source, other)
    except OSError as error:  # Windows without the symlink privilege
        pytest.skip(f"cannot make a {how}: {error}")
    return other


@pytest.mark.parametrize("mode", [[], ["--batch-api"]], ids=["synchronous", "batch-api"])
@pytest.mark.parametrize("how", ["same name", "symlink", "hard link", "stdin"])
def test_an_output_that_is_the_input_is_refused_before_anything_is_read(groq: GroqStub, tmp_path: Path, how: str, mode: list[str]) -> None:
    api = BatchAPI(groq)
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(3))
    before = source.read_bytes()
    output = output_name(how, source, tmp_path)

    with source.open("rb") as redirected:
        given = ["-"] if how == "stdin" else [str(source)]
        result = adp("casual", *given, "-o", str(output), "-m", MODEL, "-q", *mode, stdin=redirected if how == "stdin" else subprocess.DEVNULL)

    shown = "stdin" if how == "stdin" else str(source)
    assert result.returncode == 2, result.stderr
    assert one_line(result.stderr) == (
        f"adp: error: -o {output} is the input file ({shown}): the results would overwrite the items; write them to another file"
    )
    assert source.read_bytes() == before
    assert groq.requests == [] and api.counters.uploads == 0
    assert {path.name for path in tmp_path.iterdir()} == {source.name, output.name}  # no lock, record, state file or ledger


def test_an_output_beside_an_input_of_the_same_content_is_not_the_input(env: dict[str, str], tmp_path: Path) -> None:
    """Identity is the file, not its bytes: a copy of the input is another file."""
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(2))
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(b"")

    result = adp("casual", str(source), "-o", str(copy), "--provider", "offline", "-q")

    assert result.returncode == 0, result.stderr
    assert sorted(line["index"] for line in file_lines(copy)) == [0, 1]


def test_two_names_of_one_output_file_cannot_be_opened_at_once(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first_name, second_name = tmp_path / "a" / "out.jsonl", tmp_path / "b" / "same.jsonl"
    first_name.write_text('{"index": 0, "phrase": "kept"}\n', encoding="utf-8")
    os.link(first_name, second_name)
    first = OutputFile(first_name)
    assert first.open() == {0}
    try:
        with pytest.raises(UsageError, match=r"another adp run is writing to it through another name \(a hard link\)"):
            OutputFile(second_name).open()
    finally:
        first.close()
    second = OutputFile(second_name)
    assert second.open() == {0}  # free again once the first run is done
    second.close()


def test_the_identity_lock_follows_a_file_the_resume_scan_rewrote(env: dict[str, str], tmp_path: Path) -> None:
    """Dropping an error line replaces the file (a new one, by rename): a name linked to the new
    file afterwards finds it locked as well."""
    output = tmp_path / "out.jsonl"
    output.write_text('{"index": 0, "phrase": "kept"}\n{"index": 1, "error": {"type": "api_error", "message": "x"}}\n', encoding="utf-8")
    first = OutputFile(output)
    assert first.open() == {0}
    try:
        os.link(output, tmp_path / "late-link.jsonl")
        with pytest.raises(UsageError, match="through another name"):
            OutputFile(tmp_path / "late-link.jsonl").open()
    finally:
        first.close()


def test_a_second_run_through_a_hard_link_in_another_folder_is_refused(groq: GroqStub, tmp_path: Path) -> None:
    """The first run's requests are held at the server until the second run has ended, so the
    two overlap whatever the machine's speed (as for two runs on one name, in test_hostile)."""
    second_done = threading.Event()

    def hold_until_the_second_run_ends(body: dict[str, Any]) -> None:
        second_done.wait(timeout=60)

    groq.responder = hold_until_the_second_run_ends
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(10))
    (tmp_path / "elsewhere").mkdir()
    output, link = tmp_path / "out.jsonl", tmp_path / "elsewhere" / "out.jsonl"
    output.write_bytes(b"")
    os.link(output, link)
    command = [sys.executable, "-m", "adp_cli", "casual", str(source), "-j", "2", "-q", "-m", MODEL, "-o"]
    first = subprocess.Popen([*command, str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 30
        while not groq.chat_requests and time.monotonic() < deadline:  # the first run holds the file
            time.sleep(0.01)
        second = adp(*command[3:], str(link))
    finally:
        second_done.set()
    _, first_err = first.communicate(timeout=60)

    assert first.returncode == 0, first_err
    assert second.returncode == 2, second.stderr
    assert "another adp run is writing to it through another name (a hard link)" in one_line(second.stderr)
    assert second.stdout == ""
    assert len(groq.chat_requests) == 10
    assert sorted(line["index"] for line in file_lines(link)) == list(range(10))
