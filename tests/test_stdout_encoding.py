"""A stdout that cannot take every character (issue 19, item 18 c).

An ASCII or Latin-1 stdout (``PYTHONIOENCODING=ascii``, a C locale on a terminal, a Windows
code page such as cp1252) lost a paid phrase to an internal error. adp writes what the stream
cannot encode as ``\\u`` escapes, as JSON does: a JSON line parses to the very same value, a
text phrase reads as its escapes; the ``-o`` file is UTF-8 and takes every character as is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.items import write_jsonl

GENRE = "Música 🎵"  # one character Latin-1 has, one no 8-bit code page has
ITEM_ID = "café-№1"
OFFLINE = ("--provider", "offline", "-q")
ENCODINGS = ["ascii", "latin-1", "cp1252"]


def adp(encoding: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The CLI with stdout in ``encoding`` (strict, as ``PYTHONIOENCODING=ascii`` makes it)."""
    return subprocess.run(
        [sys.executable, "-m", "adp_cli", *args], check=False, capture_output=True, timeout=60, env=dict(os.environ, PYTHONIOENCODING=encoding)
    )


def unescaped(text: str) -> str:
    """``\\uXXXX`` escapes (surrogate pairs too) read back, as a JSON string would be."""
    return json.loads(f'"{text}"')


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_phrase_the_stdout_cannot_encode_is_written_escaped(env: dict[str, str], encoding: str) -> None:
    reference = adp("utf-8", "casual", "--genre", GENRE, *OFFLINE)
    result = adp(encoding, "casual", "--genre", GENRE, *OFFLINE)

    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    shown = result.stdout.decode(encoding).rstrip("\n")
    assert "\\ud83c\\udfb5" in shown and GENRE not in shown
    assert unescaped(shown) == reference.stdout.decode("utf-8").rstrip("\n")


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_json_answer_parses_to_the_same_value(env: dict[str, str], encoding: str) -> None:
    result = adp(encoding, "casual", "--genre", GENRE, "--json", *OFFLINE)

    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert GENRE in json.loads(result.stdout.decode(encoding))["phrase"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_batch_lines_parse_to_the_same_values_and_the_output_file_stays_utf8(env: dict[str, str], tmp_path: Path, encoding: str) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", [{"id": ITEM_ID, "genre": GENRE}, {"id": "plain", "genre": "Rock"}])
    output = tmp_path / "out.jsonl"

    result = adp(encoding, "casual", str(source), "-o", str(output), *OFFLINE)

    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    lines = [json.loads(raw) for raw in result.stdout.decode(encoding).splitlines()]
    assert [(line["id"], GENRE in line["phrase"]) for line in lines] == [(ITEM_ID, True), ("plain", False)]
    written = output.read_bytes().decode("utf-8")
    assert ITEM_ID in written and GENRE in written  # as is, no escapes
