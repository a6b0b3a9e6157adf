"""adp with the generation log's steps timed by a per-thread CPU clock (``bench/batch.py`` runs it).

    python bench/log_cpu.py OUT.json casual items.jsonl -j 16 ...   (argv after OUT.json: adp's)

Wall-clock A/B runs (logs on, logs off) vary by 5-10 % a run on a shared machine, more than the
log costs; the thread CPU spent inside the log's steps barely varies, so it says which step
costs what inside a busy run, where every step costs two to five times what it costs alone. At
exit OUT.json gets the process's CPU seconds and each step's thread CPU seconds, summed over
the run's threads. A commit is timed inside the entry that leads it, so ``record`` includes it.
"""

from __future__ import annotations

import atexit
import gc
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

STEPS = {
    "adp_cli.dispatch.logbook:RunLog": ("key", "expect", "record", "settle"),
    "adp_cli.history.store:LogStore": ("record", "_commit"),
}


def timed(spent: dict[str, float], label: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def step(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return method(*args, **kwargs)
        finally:
            spent[label] += time.thread_time() - started

    return step


def main() -> None:
    gc.disable()  # as adp's own __main__ starts
    out = Path(sys.argv[1])
    sys.argv = ["adp", *sys.argv[2:]]
    from importlib import import_module

    spent: dict[str, float] = defaultdict(float)
    for target, names in STEPS.items():
        module, name = target.split(":")
        owner = getattr(import_module(module), name)
        for method in names:
            setattr(owner, method, timed(spent, f"{name}.{method}", getattr(owner, method)))
    atexit.register(lambda: out.write_text(json.dumps({"process_cpu_s": time.process_time(), **spent}), encoding="utf-8"))
    from adp_cli.__main__ import main as adp

    adp()


if __name__ == "__main__":
    main()
