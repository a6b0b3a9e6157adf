"""Running the real CLI: in process through Typer's CliRunner, or as a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from typer.testing import CliRunner, Result

TEST_KEY = "gsk_TESTKEY_do_not_print_0123456789"


def run(cli: CliRunner, *args: str, input: str | None = None) -> Result:
    """The Typer app in process; a fresh console so its width follows this test's COLUMNS."""
    from adp_cli.cli import app
    from adp_cli.output import console as render

    render.err_console.cache_clear()
    render.out_console.cache_clear()
    return cli.invoke(app, list(args), input=input)


def run_adp(*args: str, stdin: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a subprocess, with the current (monkeypatched) environment."""
    return subprocess.run(
        [sys.executable, "-m", "adp_cli", *args],
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        env=dict(os.environ),
    )


def one_line(text: str) -> str:
    """The only non-blank line of ``text``; anything else fails the test."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got: {text!r}"
    return lines[0]


def tsv(text: str) -> list[dict[str, str]]:
    """A piped listing: a header row then tab-separated rows, every row as wide as the header."""
    header, *rows = [line.split("\t") for line in text.splitlines()]
    assert all(len(row) == len(header) for row in rows), f"ragged rows: {text!r}"
    return [dict(zip(header, row, strict=True)) for row in rows]


def start_interruptible(command: list[str], **popen: Any) -> subprocess.Popen[str]:
    """The CLI in a subprocess that takes Ctrl-C (SIGINT) as a terminal user's does. A shell
    without job control starts background jobs with SIGINT ignored, children inherit that, and
    Python then installs no KeyboardInterrupt handler: a suite run from such a job would test
    nothing but the ignore. POSIX only (``preexec_fn``), like sending SIGINT to a child."""
    return subprocess.Popen(
        command, env=dict(os.environ), text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **popen
    )
