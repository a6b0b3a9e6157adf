"""Text that leaves the process: one line, no secrets, bounded, safe for a terminal, encodable.

Error messages quote what the user, the server or the model gave. Before any of it is shown
(the error line, batch lines, the ``-o`` file, logs) it passes through here, so a key that an
exception text happens to hold, a 5 MB reply or an escape sequence never reaches the output.
"""

from __future__ import annotations

import json
import os
import re
import reprlib
from typing import Any

REDACTED = "[redacted]"
_MIN_KEY_TO_REDACT = 8  # shorter values are no real key, and replacing them would mangle text
_BEARER = re.compile(r"\b(bearer)\s+[^\s'\"]+", re.IGNORECASE)
_GROQ_KEY = re.compile(r"\bgsk_[A-Za-z0-9_-]+")
_URL_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@'\"]+@")

# C0 and C1 controls (but tab and newline) and the bidi controls that reorder what a terminal shows.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # lone surrogates
# What JSON text may hold raw but a terminal, a UTF-8 file or a line splitter should not: lone
# surrogates (no UTF-8 for them), C1 and bidi controls, and the Unicode line separators.
_JSON_UNSAFE = re.compile("[\ud800-\udfff\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def one_line(message: str) -> str:
    """Errors are one line even when they quote user input that holds line breaks."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


def redact(text: str) -> str:
    """Hide the credentials an error text may carry: the configured key itself, ``Bearer``
    tokens, Groq keys (``gsk_...``) and the user:password part of URLs."""
    key = os.environ.get("GROQ_API_KEY", "").strip()
    if len(key) >= _MIN_KEY_TO_REDACT:
        text = text.replace(key, REDACTED)
    # Each pattern needs a literal the text rarely holds; testing for it first makes a 1 KB
    # prompt cost 4 us instead of 75 (the generation log redacts every text it stores).
    if "bearer" in text.lower():
        text = _BEARER.sub(lambda match: f"{match.group(1)} {REDACTED}", text)
    if "gsk_" in text:
        text = _GROQ_KEY.sub(f"gsk_{REDACTED}", text)
    if "://" in text:
        text = _URL_USERINFO.sub(rf"\g<1>{REDACTED}@", text)
    return text


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def well_formed(text: str) -> str:
    """``text`` with each lone surrogate (JSON may carry ``"\\ud800"``) as its visible escape, as
    UTF-8, and so SQLite, has no form for one."""
    return _SURROGATE.sub(_escaped, text)


def terminal_safe(text: str) -> str:
    """Control and bidi characters written as visible escapes (``\\x1b``, ``\\u202e``), so text
    from a model or a server cannot move the cursor, retitle the window or reorder a line."""
    return _TERMINAL_UNSAFE.sub(_escaped, text)


def json_text(document: Any) -> str:
    """One line of JSON, non-ASCII as is, except characters JSON may carry raw but an output
    cannot take safely; they get ``\\u`` escapes, which decode to the same value."""
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", json.dumps(document, ensure_ascii=False))


def quote(value: Any, limit: int = 200) -> str:
    """``repr(value)`` cut to about ``limit`` characters without walking the whole value, so a
    5 MB reply or a YAML anchor bomb is quoted by its beginning in microseconds."""
    shortened = reprlib.Repr()  # one per call: worker threads quote at the same time
    shortened.maxlevel, shortened.maxdict, shortened.maxlist, shortened.maxtuple = 3, 4, 6, 6
    shortened.maxset = shortened.maxfrozenset = shortened.maxdeque = shortened.maxarray = 6
    shortened.maxstring = shortened.maxother = shortened.maxlong = limit
    text = shortened.repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def shorten(name: str, limit: int = 200) -> str:
    """A file name as an error shows it: whole up to ``limit`` characters, else its start and length."""
    return name if len(name) <= limit else f"{name[:limit]}... ({len(name)} characters)"
