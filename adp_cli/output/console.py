"""The process's two streams as adp writes them: answers on stdout (flushed line by line, so
pipelines see them at once), everything for people on stderr (errors, logs, tables, progress).
Rich is imported only when a console is asked for, so ``--json -q`` pipelines never pay for it.
Colour and terminal detection are Rich's own (``NO_COLOR``, ``TTY_COMPATIBLE``).
"""

from __future__ import annotations

import codecs
import logging
import os
import sys
from functools import cache
from typing import TYPE_CHECKING, Any, TextIO

from adp_cli.errors import UsageError
from adp_cli.text import json_text, one_line, redact, terminal_safe

if TYPE_CHECKING:
    from rich.console import Console


@cache
def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@cache
def out_console() -> Console:
    """stdout as Rich sees it (no file given: it writes to whatever ``sys.stdout`` is now)."""
    from rich.console import Console

    return Console(highlight=False)


def out(text: str) -> None:
    """A result line on stdout, flushed so pipelines see it at once. On a terminal, control and
    bidi characters a model may answer with are shown escaped; a pipe gets the text as is."""
    stream = sys.stdout
    if stream is None:
        raise UsageError("cannot write results: stdout is closed")
    if stream.isatty():
        text = terminal_safe(text)
    try:
        stream.write(_encodable(text, stream) + "\n")
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as failure:
        discard_stdout()
        raise UsageError(f"cannot write results to stdout: {failure.strerror or failure}") from None


def _encodable(text: str, stream: TextIO) -> str:
    """``text`` with what the stream's encoding cannot carry written as ``\\u`` escapes, as JSON
    writes them: an ASCII or Latin-1 stdout (``PYTHONIOENCODING=ascii``, a C locale on a
    terminal, a Windows code page) would otherwise fail to take a phrase that was paid for.
    A JSON line stays valid JSON with the same value; the ``-o`` file is UTF-8 and takes it all."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return text
    try:
        text.encode(encoding, getattr(stream, "errors", None) or "strict")
    except UnicodeEncodeError:
        return text.encode(encoding, _ESCAPES).decode(encoding)
    except LookupError:  # an encoding Python does not know: the stream fails as it would
        pass
    return text


def _json_escapes(error: UnicodeError) -> tuple[str, int]:
    """A codec error handler: the characters the encoding lacks as ``\\uXXXX``, beyond the
    Basic Multilingual Plane as a surrogate pair, as ``json.dumps`` writes them."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    units = error.object[error.start : error.end].encode("utf-16-be", "surrogatepass")
    escaped = "".join(f"\\u{int.from_bytes(units[at : at + 2], 'big'):04x}" for at in range(0, len(units), 2))
    return escaped, error.end


_ESCAPES = "adp.json-escapes"
codecs.register_error(_ESCAPES, _json_escapes)


def discard_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush of what is still
    buffered cannot fail again (a closed pipe, a full disk) after the error was reported."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # no stdout, or one with no descriptor (tests)
        pass


def out_json(document: Any) -> None:
    out(json_text(document))


class _SafeFormatter(logging.Formatter):
    """Log lines, tracebacks included, pass the same redaction and escaping as error lines: an
    exception text may hold the key, and a logged reply may hold escape sequences."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_safe(redact(super().format(record)))


def configure_logging(verbose: bool) -> logging.Logger:
    """Logging to stderr only, for the 'adp' logger only (the SDK's own logs stay quiet); level
    from ``--verbose`` or ``LOG_LEVEL``."""
    log = logging.getLogger("adp")
    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("LOG_LEVEL", "WARNING").upper(), logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("adp: %(levelname)s: %(message)s"))
    log.handlers = [handler]
    log.propagate = False
    log.setLevel(level)
    return log


def error(message: str) -> None:
    """The one-line error every failure ends in: no secret, no raw control character."""
    from rich.markup import escape

    err_console().print(f"[bold red]adp: error:[/] {escape(terminal_safe(one_line(redact(message))))}", soft_wrap=True)




def stdout_is_terminal() -> bool:
    """Whether a live progress display may take stdout over: only when stdout is a terminal too
    (then result lines print above the bar); else Rich would send them to stderr with the bar,
    and ``adp ... > results.jsonl`` in a terminal would leave the file empty."""
    return sys.stdout.isatty()
