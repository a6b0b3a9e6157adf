"""How long the process lives: as far as Python's memory management cares, and how it ends
when told to (SIGTERM, SIGHUP).

The ``adp`` console script starts with the cyclic garbage collector off (see ``__main__``): a
one-shot is mostly start-up, some 600 modules and their classes, objects that live until the
process exits, which the collector would scan again and again and find nothing to free (about
110 ms of a ~540 ms one-shot). A run mode that may go on for hours (a batch, a Batch API job)
calls ``long_running()`` before its long part: the start-up's objects are frozen out of the
collector's scans and the collector is back on, so long runs keep Python's memory behaviour.
"""

from __future__ import annotations

import gc
import signal
from types import FrameType

from adp_cli.errors import Terminated

_STOPPING_SIGNALS = ("SIGTERM", "SIGHUP")
_received: list[Terminated] = []


def long_running() -> None:
    """A no-op where the collector was never off (a library caller, the tests)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def stop_on_termination() -> None:
    """SIGTERM and SIGHUP become ``Terminated`` (a KeyboardInterrupt) in the main thread, so a
    run stops as for Ctrl-C: requests in flight finish and are written and recorded, queued
    items are dropped. The console script calls this; a library caller keeps its own handlers.

    A signal the process was started with ignored (``nohup`` ignores SIGHUP) stays ignored.
    Windows has no SIGHUP and sends no SIGTERM to another process (it ends it outright), so
    only the signals the platform defines are handled there, with no POSIX-only call."""
    for name in _STOPPING_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, _terminate)


def _terminate(signum: int, frame: FrameType | None) -> None:
    """Stop once: a repeated signal (a supervisor sending SIGTERM again, SIGHUP after it) would
    cut short the clean-up that writes the answers already paid for; SIGKILL still ends it."""
    for name in _STOPPING_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is _terminate:
            signal.signal(number, signal.SIG_IGN)
    stop = Terminated(signum)
    _received.append(stop)
    raise stop


def terminated() -> Terminated | None:
    """The termination signal this process received, if any: Typer turns a KeyboardInterrupt met
    while it parses the command line into a silent exit 130, so the entry point asks here."""
    return _received[0] if _received else None
