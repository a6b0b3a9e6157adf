"""Resuming a large ``-o`` file: the peak RSS of the rerun against that of the first run.

    python -m bench.resume [--items 200000]

Runs ``adp casual items.jsonl --provider offline -q -o out.jsonl`` over ITEMS catalogue items
(no server: the offline provider), then the same command again, which finds every item done in
``-o`` and sends nothing. Each process's own peak RSS (``ru_maxrss`` from ``os.wait4``) and wall
time are printed, with the ratio of the two peaks; a rerun that kept the lines, or a set of
200,000 ints (about 14 MB), would show here. Also, for the record, what the resume set itself
holds for ITEMS indices (tracemalloc): adp's bitmap against a plain set. POSIX only (wait4);
COST_TRACKING_FILE=off and ADP_CACHE_DIR in a temp folder.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.timing import load
from tests.support.items import catalogue_items, write_jsonl


def run_once(items: Path, output: Path, env: dict[str, str]) -> tuple[float, float]:
    """Peak RSS in MB and wall seconds of one ``adp casual ... -o`` process."""
    argv = [sys.executable, "-m", "adp_cli", "casual", str(items), "--provider", "offline", "-q", "-o", str(output)]
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
    if process.returncode != 0:
        sys.exit(f"bench: adp exited {process.returncode}: {process.stderr.read().decode(errors='replace')[-2000:] if process.stderr else ''}")
    return usage.ru_maxrss / 1024, wall


def held_bytes(count: int) -> tuple[int, int]:
    """What ``count`` indices take as adp's resume set and as a set of ints."""
    from adp_cli.runs.lines import Indices

    sizes = []
    for held in (Indices(), set[int]()):
        tracemalloc.start()
        for index in range(count):
            held.add(index)
        sizes.append(tracemalloc.get_traced_memory()[0])
        tracemalloc.stop()
    return sizes[0], sizes[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="adp-bench-resume-") as name:
        folder = Path(name)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GROQ_", "ADP_", "COST_TRACKING"))}
        env.update(COST_TRACKING_FILE="off", ADP_CACHE_DIR=str(folder / "cache"))
        items, output = folder / "items.jsonl", folder / "out.jsonl"
        write_jsonl(items, catalogue_items(args.items))
        print(f"load average: {load()}; {args.items:,} items, {items.stat().st_size / 1e6:.1f} MB of JSON Lines")
        first_mb, first_s = run_once(items, output, env)
        lines = sum(1 for _ in output.open("rb"))
        resume_mb, resume_s = run_once(items, output, env)
        print(f"first run: peak RSS {first_mb:.1f} MB, {first_s:.1f} s, {lines:,} lines in -o")
        print(f"resume:    peak RSS {resume_mb:.1f} MB, {resume_s:.1f} s (nothing to send)")
        print(f"resume / first peak RSS: {resume_mb / first_mb:.2f}")
        bitmap, plain = held_bytes(args.items)
        print(f"resume set for {args.items:,} indices: {bitmap / 1024:.0f} KiB (a set of ints: {plain / 1024 / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
