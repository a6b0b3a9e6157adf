"""How long the process lives, as far as Python's memory management cares.

The ``adp`` console script starts with the cyclic garbage collector off (see ``__main__``): a
one-shot is mostly start-up, some 600 modules and their classes, objects that live until the
process exits, which the collector would scan again and again and find nothing to free (about
110 ms of a ~540 ms one-shot). A run mode that may go on for hours (a batch, a Batch API job)
calls ``long_running()`` before its long part: the start-up's objects are frozen out of the
collector's scans and the collector is back on, so long runs keep Python's memory behaviour.
"""

from __future__ import annotations

import gc


def long_running() -> None:
    """A no-op where the collector was never off (a library caller, the tests)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
