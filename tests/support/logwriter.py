"""A process that writes to the generation log from many threads, for the fault tests.

    python -m tests.support.logwriter DB PROCESS THREADS COUNT

Each thread records COUNT entries (COUNT 0: until killed) whose item names the process, the
thread and the entry's number, and prints ``id process thread number`` for each entry once
``record`` has returned, so the test knows which entries were committed when it killed us.
"""

from __future__ import annotations

import itertools
import sys
import threading
from pathlib import Path

from adp_cli.history import Entry, LogStore


def entry(process: int, thread: int, number: int) -> Entry:
    """The entry a writer records; the test rebuilds it to compare what it reads back."""
    return Entry(
        task="casual",
        provider="offline",
        model="offline",
        item={"process": process, "thread": thread, "number": number},
        messages=[{"role": "user", "content": f"process {process} thread {thread} entry {number} " + "x" * 900}],
        params={"temperature": 0.7},
        reply=f"reply {process}-{thread}-{number}",
        result=f"reply {process}-{thread}-{number}",
        cost_usd=0.0,
    )


def main() -> None:
    path, process, threads, count = Path(sys.argv[1]), *map(int, sys.argv[2:5])
    printed = threading.Lock()
    with LogStore(path) as store:

        def write(thread: int) -> None:
            numbers = range(count) if count else itertools.count()
            for number in numbers:
                entry_id = store.record(entry(process, thread, number))
                with printed:
                    print(entry_id, process, thread, number, flush=True)

        workers = [threading.Thread(target=write, args=(thread,)) for thread in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


if __name__ == "__main__":
    main()
