"""Batch throughput and memory: the real CLI in a subprocess against the loopback Groq.

    python -m bench.batch [--items 400] [--latency 0.2] [--jobs 16] [--rss-items 10000] [--runs 3]
                          [--profile] [--no-ledger]

Part 1 (throughput): ``adp casual items.jsonl -j JOBS -q -m openai/gpt-oss-20b`` over ITEMS
items with the stub answering each request after LATENCY seconds. With JOBS requests in flight
the ideal is JOBS / LATENCY items/s (80 for the defaults). Reported two ways: wall clock of the
whole process (start-up included), and steady state as the stub saw it (first request in to
last reply out). Target: >= 0.9 of ideal. Median of RUNS runs.

Part 2 (memory): RSS-ITEMS items at zero latency; the peak RSS of the adp process (its own
``ru_maxrss`` from ``os.wait4``, not the children's maximum) and RSS samples along the run from
/proc, to show it stays flat. Target: < 150 MB. Also its items/s at zero latency (CPU bound:
adp and the stub share the machine).

Every run's stdout is checked: one JSON line per item, in input order, none an error.
``--profile`` adds a cProfile of a zero-latency batch run in-process, worker threads included;
``--no-ledger`` sets COST_TRACKING_FILE=off to show what the per-call ledger writes cost.
Standard library only; COST_TRACKING_FILE and ADP_CACHE_DIR point into a temp folder and the
token cache is warmed once before anything is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.timing import load, rss_samples
from tests.support.groqstub import GroqStub
from tests.support.items import catalogue_items, write_jsonl

MODEL = "openai/gpt-oss-20b"  # Groq's replacement for the guide's llama-3.1-8b-instant
THROUGHPUT_TARGET = 0.9
RSS_TARGET_MB = 150.0

def bench_env(folder: Path, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GROQ_", "ADP_", "COST_TRACKING", "LOG_LEVEL"))}
    env.update(
        ADP_CACHE_DIR=str(folder / "cache"),
        COST_TRACKING_FILE=str(folder / "daily-costs.json"),
        GROQ_API_KEY="gsk_bench_dummy_key",
        GROQ_BASE_URL=base_url,
    )
    return env


class StubClock:
    """When the stub saw the first chat request arrive and the last reply leave."""

    def __init__(self, stub: GroqStub) -> None:
        self.lock = threading.Lock()
        self.first_in: float | None = None
        self.last_out: float | None = None
        stub.responder = self.arrived
        stub.content = self.replied

    def reset(self) -> None:
        with self.lock:
            self.first_in = self.last_out = None

    def arrived(self, request: dict) -> None:
        with self.lock:
            if self.first_in is None:
                self.first_in = time.perf_counter()
        return None  # the default reply, after the stub's latency

    def replied(self, request: dict) -> str:
        with self.lock:
            self.last_out = time.perf_counter()
        return "A warm bench phrase."

    @property
    def span(self) -> float:
        assert self.first_in is not None and self.last_out is not None
        return self.last_out - self.first_in


@dataclass
class Run:
    items: int
    wall_s: float
    steady_s: float
    maxrss_mb: float
    rss_samples_mb: list[float] = field(default_factory=list)

    @property
    def wall_rate(self) -> float:
        return self.items / self.wall_s

    @property
    def steady_rate(self) -> float:
        return self.items / self.steady_s


def run_batch(items_file: Path, count: int, jobs: int, env: dict[str, str], folder: Path, clock: StubClock) -> Run:
    """One ``adp casual`` batch in a subprocess; its own peak RSS from wait4, output checked."""
    out_path = folder / "stdout.jsonl"
    err_path = folder / "stderr.txt"
    argv = [sys.executable, "-m", "adp_cli", "casual", str(items_file), "-j", str(jobs), "-q", "-m", MODEL]
    clock.reset()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=folder)
        with rss_samples(process.pid) as samples:
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
    if process.returncode != 0:
        sys.exit(f"bench: adp exited {process.returncode}:\n{err_path.read_text(errors='replace')[-2000:]}")
    check_output(out_path, count)
    maxrss_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 1024 / 1024
    return Run(count, wall, clock.span, maxrss_mb, samples)


def check_output(path: Path, count: int) -> None:
    """One JSON line per item, in input order, all successes."""
    seen = 0
    with path.open(encoding="utf-8") as handle:
        for expected, raw in enumerate(handle):
            line = json.loads(raw)
            if line.get("index") != expected or "error" in line or line.get("id") != f"item-{expected:05d}":
                sys.exit(f"bench: bad output line {expected}: {raw[:300]}")
            seen += 1
    if seen != count:
        sys.exit(f"bench: {seen} output lines for {count} items")


def warm_token_cache(env: dict[str, str], folder: Path) -> None:
    """One token count (and the o200k rank cache it writes) before anything is timed."""
    warm = subprocess.run(
        [sys.executable, "-m", "adp_cli", "cost", "warm the token cache", "--json"],
        env=env, cwd=folder, capture_output=True, text=True,
    )
    if warm.returncode != 0:
        sys.exit(f"bench: warm-up failed:\n{warm.stderr}")


def profile_in_process(items_file: Path, jobs: int, env: dict[str, str], top: int = 30) -> None:
    """cProfile of the batch core in this process, worker threads included (stub at zero latency).

    Each thread gets its own profiler (``threading.setprofile`` starts one on the thread's first
    event); their stats are merged, so the report shows where the workers spend their time.
    """
    import cProfile
    import io
    import pstats

    os.environ.update(env)
    from adp_cli.dispatch.dispatcher import Dispatcher
    from adp_cli.documents import open_source
    from adp_cli.runs import stream
    from adp_cli.tasks.casual import CASUAL
    from adp_cli.tasks.items import Flags
    from adp_cli.tasks.settings import Settings
    from adp_cli.transports import open_transport
    from adp_cli.transports.base import Connection

    class Discard:
        """The core hands each line to its sink; nothing is written."""

        def line(self, line: object) -> None:
            pass

        def waiting(self, waiting: object) -> None:
            pass

    profilers: list[cProfile.Profile] = []

    def start_thread_profiler(*_: object) -> None:
        sys.setprofile(None)
        profiler = cProfile.Profile()
        profilers.append(profiler)
        profiler.enable()

    settings = Settings(model=MODEL)
    dispatcher = Dispatcher(open_transport("groq", Connection()), Connection(), settings)
    main_profiler = cProfile.Profile()
    threading.setprofile(start_thread_profiler)
    started = time.perf_counter()
    try:
        main_profiler.enable()
        stream.run(CASUAL, open_source(str(items_file)), Flags(), settings, dispatcher, Discard(), concurrency=jobs)
        main_profiler.disable()
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(main_profiler, stream=(report := io.StringIO()))
    for profiler in profilers:
        profiler.disable()
        stats.add(profiler)
    print(f"{len(profilers)} threads profiled; {elapsed:.2f} s wall under the profiler (times below are summed over threads)")
    stats.sort_stats("cumulative").print_stats(top)
    print(report.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=400, help="items for the throughput part")
    parser.add_argument("--latency", type=float, default=0.2, help="stub latency per request (s) for the throughput part")
    parser.add_argument("--jobs", type=int, default=16, help="-j for both parts")
    parser.add_argument("--rss-items", type=int, default=10_000, help="items for the memory part (zero latency)")
    parser.add_argument("--runs", type=int, default=3, help="throughput runs (median reported)")
    parser.add_argument("--profile", action="store_true", help="also cProfile a zero-latency batch in-process (all threads)")
    parser.add_argument("--no-ledger", action="store_true", help="COST_TRACKING_FILE=off, to see what the ledger costs")
    args = parser.parse_args()

    print(f"bench/batch.py: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load()}")
    with tempfile.TemporaryDirectory(prefix="adp-bench-batch-") as tmp, GroqStub() as stub:
        folder = Path(tmp)
        env = bench_env(folder, stub.base_url)
        if args.no_ledger:
            env["COST_TRACKING_FILE"] = "off"
        clock = StubClock(stub)
        warm_token_cache(env, folder)

        # Part 1: throughput at LATENCY.
        ideal = args.jobs / args.latency if args.latency > 0 else float("inf")
        items_file = write_jsonl(folder / "throughput.jsonl", catalogue_items(args.items))
        stub.latency = args.latency
        runs = []
        for number in range(args.runs):
            run = run_batch(items_file, args.items, args.jobs, env, folder, clock)
            runs.append(run)
            print(f"  throughput run {number + 1}: {run.wall_s:.2f} s wall ({run.wall_rate:.1f} items/s), "
                  f"{run.steady_s:.2f} s steady ({run.steady_rate:.1f} items/s)")
        wall_rate = statistics.median(r.wall_rate for r in runs)
        steady_rate = statistics.median(r.steady_rate for r in runs)
        startup = statistics.median(r.wall_s - r.steady_s for r in runs)

        # Part 2: memory and zero-latency throughput.
        stub.latency = 0.0
        big_file = write_jsonl(folder / "memory.jsonl", catalogue_items(args.rss_items))
        big = run_batch(big_file, args.rss_items, args.jobs, env, folder, clock)
        samples = big.rss_samples_mb
        curve = [samples[int(len(samples) * q)] for q in (0.1, 0.25, 0.5, 0.75, 0.9)] if samples else []
        ledger_requests = None
        if not args.no_ledger:
            ledger = json.loads((folder / "daily-costs.json").read_text(encoding="utf-8"))
            ledger_requests = sum(t["requests"] for day in ledger["days"].values() for t in day.values())

        if args.profile:
            print("\n--- cProfile: zero-latency batch in-process ---")
            profile_in_process(write_jsonl(folder / "profile.jsonl", catalogue_items(min(args.rss_items, 2000))), args.jobs, env)

    expected_requests = args.items * args.runs + args.rss_items
    wall_ratio, steady_ratio = wall_rate / ideal, steady_rate / ideal
    print()
    print("=== adp batch benchmark ===")
    print(f"throughput: {args.items} items, stub latency {args.latency * 1000:.0f} ms, -j {args.jobs} "
          f"(ideal {ideal:.1f} items/s), median of {args.runs}")
    print(f"  wall clock (incl. start-up, {startup:.2f} s before the first request/after the last): "
          f"{wall_rate:.1f} items/s = {wall_ratio:.2f} of ideal  "
          f"[{'PASS' if wall_ratio >= THROUGHPUT_TARGET else 'FAIL'} >= {THROUGHPUT_TARGET}]")
    print(f"  steady state (stub: first request in -> last reply out): "
          f"{steady_rate:.1f} items/s = {steady_ratio:.2f} of ideal  "
          f"[{'PASS' if steady_ratio >= THROUGHPUT_TARGET else 'FAIL'} >= {THROUGHPUT_TARGET}]")
    print(f"memory: {args.rss_items} items, zero latency, -j {args.jobs}")
    print(f"  peak RSS of adp: {big.maxrss_mb:.1f} MB  [{'PASS' if big.maxrss_mb < RSS_TARGET_MB else 'FAIL'} < {RSS_TARGET_MB:.0f} MB]")
    if curve:
        print("  RSS along the run (10/25/50/75/90 %): " + " / ".join(f"{mb:.1f}" for mb in curve) + " MB")
    print(f"  zero-latency throughput: {big.wall_rate:.1f} items/s wall, {big.steady_rate:.1f} items/s steady")
    if ledger_requests is None:
        print("ledger: off (--no-ledger)")
    else:
        print(f"ledger: {ledger_requests} requests recorded for {expected_requests} sent "
              f"[{'OK' if ledger_requests == expected_requests else 'MISMATCH'}]")


if __name__ == "__main__":
    main()
