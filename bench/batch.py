"""Batch throughput and memory: the real CLI in a subprocess against the loopback Groq.

    python -m bench.batch [--items 2000] [--latency 0.2] [--jobs 16] [--rss-items 10000] [--runs 3]
                          [--floor-items 2000] [--floor-runs 3] [--log-cpu-runs 5] [--profile] [--no-ledger]

Part 1 (throughput): ``adp casual items.jsonl -j JOBS -q -m openai/gpt-oss-20b`` over ITEMS
items with the stub answering each request after LATENCY seconds. With JOBS requests in flight
the ideal is JOBS / LATENCY items/s (80 for the defaults). Reported two ways: wall clock of the
whole process (start-up included), and steady state as the stub saw it (first request in to
last reply out). Target: >= 0.9 of ideal. Median of RUNS runs, each followed by a run of the
floor (see part 2) on the same requests, whose figures show what the machine allows. 2,000 items
by default (25 s a run): over 400, Python's start-up and exit (0.35-0.4 s) are 7 % of the run, and
the plain SDK script itself reaches only 0.90 of ideal.

Part 2 (the floor, and the log's cost): FLOOR-ITEMS items at zero latency, ``-j JOBS``, three
processes in turn, FLOOR-RUNS rounds: adp; adp with ``ADP_LOGS_DB=off``; and
``bench/floor_batch.py``, a plain script that sends the very bodies adp sent (recorded by the
stub in a warm-up run, and checked on the stub again) with the groq SDK from JOBS threads of a
ThreadPoolExecutor sharing one client. Each round's ratios, their range and median: adp / floor
(target <= 1.18x), wall clock of the processes (interpreter start-up and exit included) and the
stub's first request in to last reply out (excluded); and the log's share of adp's wall clock,
(on - off) / on (target <= 5 %). Then LOG-CPU-RUNS runs of adp through ``bench/log_cpu.py``,
which times each of the log's steps with a per-thread CPU clock: the log's CPU as a share of
adp's, and per entry step by step (steadier than the wall-clock share, which varies by 5-10 %
a run on a shared machine).

Part 3 (memory): RSS-ITEMS items at zero latency; the peak RSS of the adp process (its own
``ru_maxrss`` from ``os.wait4``, not the children's maximum) and RSS samples along the run from
/proc, to show it stays flat. Target: < 150 MB. Also its items/s at zero latency (CPU bound:
adp and the stub share the machine).

Every run's stdout is checked: one JSON line per item, in input order, none an error.
``--profile`` adds a cProfile of a zero-latency batch run in-process, worker threads included;
``--no-ledger`` sets COST_TRACKING_FILE=off to show what the per-call ledger writes cost.
Standard library only; COST_TRACKING_FILE, ADP_LOGS_DB and ADP_CACHE_DIR point into a temp folder
and the token cache is warmed once before anything is timed.
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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.timing import REPO, clean_env, load, rss_samples
from tests.support.groqstub import GroqStub
from tests.support.items import catalogue_items, write_jsonl

MODEL = "openai/gpt-oss-20b"  # served by today's Groq, as the stub plays it
THROUGHPUT_TARGET = 0.9
FLOOR_TARGET = 1.18  # issue 20 item 8: adp's wall time at most 1.18x the SDK floor's
LOG_TARGET = 0.05  # issue 17 item 5: the generation log at most 5 % of a zero-latency batch
RSS_TARGET_MB = 150.0


def bench_env(folder: Path, base_url: str) -> dict[str, str]:
    """The caller's environment without its Groq/adp settings (and with bytecode written, as a
    user's install has it), pointed at the stub, with ledger, log and caches in ``folder``."""
    return clean_env(
        ADP_CACHE_DIR=str(folder / "cache"),
        COST_TRACKING_FILE=str(folder / "daily-costs.json"),
        ADP_LOGS_DB=str(folder / "logs.db"),
        GROQ_API_KEY="gsk_bench_dummy_key",
        GROQ_BASE_URL=base_url,
    )


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
    cpu_s: float  # the process's user + system time: steadier than wall time on a loaded machine
    rss_samples_mb: list[float] = field(default_factory=list)

    @property
    def wall_rate(self) -> float:
        return self.items / self.wall_s

    @property
    def steady_rate(self) -> float:
        return self.items / self.steady_s


def adp_argv(items_file: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "adp_cli", "casual", str(items_file), "-j", str(jobs), "-q", "-m", MODEL]


def floor_argv(bodies_file: Path, jobs: int) -> list[str]:
    return [sys.executable, str(REPO / "bench" / "floor_batch.py"), str(bodies_file), str(jobs)]


def run_batch(
    argv: list[str], count: int, env: dict[str, str], folder: Path, clock: StubClock, check: Callable[[Path, int], None]
) -> Run:
    """One batch process; its own peak RSS from wait4, its output checked by ``check``."""
    out_path = folder / "stdout.jsonl"
    err_path = folder / "stderr.txt"
    clock.reset()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=folder)
        with rss_samples(process.pid) as samples:
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
    if process.returncode != 0:
        sys.exit(f"bench: {argv[1]} exited {process.returncode}:\n{err_path.read_text(errors='replace')[-2000:]}")
    check(out_path, count)
    maxrss_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 1024 / 1024
    return Run(count, wall, clock.span, maxrss_mb, usage.ru_utime + usage.ru_stime, samples)


def check_output(path: Path, count: int) -> None:
    """adp's lines: one JSON line per item, in input order, all successes."""
    seen = 0
    with path.open(encoding="utf-8") as handle:
        for expected, raw in enumerate(handle):
            line = json.loads(raw)
            if line.get("index") != expected or "error" in line or line.get("id") != f"item-{expected:05d}":
                sys.exit(f"bench: bad output line {expected}: {raw[:300]}")
            seen += 1
    if seen != count:
        sys.exit(f"bench: {seen} output lines for {count} items")


def check_floor_output(path: Path, count: int) -> None:
    """The floor's lines: one per request, in order, each with the stub's phrase."""
    lines = [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines()]
    if [line.get("index") for line in lines] != list(range(count)) or any(line.get("phrase") != "A warm bench phrase." for line in lines):
        sys.exit(f"bench: the floor printed {len(lines)} lines for {count} requests, or not the stub's phrases")


def warm_token_cache(env: dict[str, str], folder: Path) -> None:
    """One token count (and the o200k rank cache it writes) before anything is timed."""
    warm = subprocess.run(
        [sys.executable, "-m", "adp_cli", "cost", "warm the token cache", "--json"],
        env=env, cwd=folder, capture_output=True, text=True,
    )
    if warm.returncode != 0:
        sys.exit(f"bench: warm-up failed:\n{warm.stderr}")


def sent_bodies(stub: GroqStub) -> list[str]:
    """The chat bodies the stub received since it was last cleared, each as canonical JSON."""
    return [json.dumps(recorded.body, sort_keys=True) for recorded in stub.chat_requests]


@dataclass
class Round:
    adp: Run
    logs_off: Run
    floor: Run


def floor_bodies(stub: GroqStub, clock: StubClock, items_file: Path, count: int, jobs: int, env: dict[str, str], folder: Path) -> Path:
    """The bodies of one adp run over ``items_file`` as the stub received them, in a file for the
    floor, after checking on the stub that the floor sends exactly those (both runs warm-ups)."""
    bodies_file = items_file.with_suffix(".bodies.jsonl")
    stub.requests.clear()  # between runs: nothing is in flight
    run_batch(adp_argv(items_file, jobs), count, env, folder, clock, check_output)
    adp_bodies = sent_bodies(stub)
    bodies_file.write_text("".join(body + "\n" for body in adp_bodies), encoding="utf-8")
    stub.requests.clear()
    run_batch(floor_argv(bodies_file, jobs), count, env, folder, clock, check_floor_output)
    if Counter(sent_bodies(stub)) != Counter(adp_bodies):
        sys.exit("bench: the floor's requests differ from adp's")
    return bodies_file


def floor_rounds(stub: GroqStub, clock: StubClock, count: int, jobs: int, rounds: int, env: dict[str, str], folder: Path) -> list[Round]:
    """adp, adp without its log, and the SDK floor in turn at zero latency, after a warm-up run of
    each; the floor sends the bodies the stub recorded of adp's warm-up."""
    stub.latency = 0.0
    items_file = write_jsonl(folder / "floor-items.jsonl", catalogue_items(count))
    logs_off = env | {"ADP_LOGS_DB": "off"}
    bodies_file = floor_bodies(stub, clock, items_file, count, jobs, env, folder)
    run_batch(adp_argv(items_file, jobs), count, logs_off, folder, clock, check_output)
    measured = []
    for number in range(rounds):
        stub.requests.clear()  # the stub keeps every request; tens of thousands cost it memory
        measured.append(
            Round(
                adp=run_batch(adp_argv(items_file, jobs), count, env, folder, clock, check_output),
                logs_off=run_batch(adp_argv(items_file, jobs), count, logs_off, folder, clock, check_output),
                floor=run_batch(floor_argv(bodies_file, jobs), count, env, folder, clock, check_floor_output),
            )
        )
        last = measured[-1]
        print(f"  floor round {number + 1}: adp {last.adp.wall_s:.2f} s wall ({last.adp.steady_s:.2f} s steady), "
              f"logs off {last.logs_off.wall_s:.2f} s ({last.logs_off.steady_s:.2f} s), "
              f"floor {last.floor.wall_s:.2f} s ({last.floor.steady_s:.2f} s)")
    return measured


def log_cpu_runs(stub: GroqStub, clock: StubClock, count: int, jobs: int, runs: int, env: dict[str, str], folder: Path) -> list[dict[str, float]]:
    """``runs`` zero-latency batches through ``bench/log_cpu.py``: each step's thread CPU."""
    stub.latency = 0.0
    items_file = write_jsonl(folder / "log-cpu-items.jsonl", catalogue_items(count))
    out = folder / "log-cpu.json"
    argv = [sys.executable, str(REPO / "bench" / "log_cpu.py"), str(out), *adp_argv(items_file, jobs)[3:]]
    measured = []
    for number in range(runs + 1):  # the first warms up
        stub.requests.clear()
        run_batch(argv, count, env, folder, clock, check_output)
        if number:
            measured.append(json.loads(out.read_text(encoding="utf-8")))
    return measured


def log_cpu_report(measured: list[dict[str, float]], count: int) -> list[str]:
    """The log's CPU as a share of adp's, and per entry, step by step (medians of the runs)."""

    def median(step: Callable[[dict[str, float]], float]) -> float:
        return statistics.median(step(run) for run in measured)

    def log_total(run: dict[str, float]) -> float:
        return sum(run.get(f"RunLog.{name}", 0.0) for name in ("key", "expect", "record", "settle"))

    steps = {
        "cache key": lambda run: run.get("RunLog.key", 0.0),
        "entry": lambda run: run.get("RunLog.record", 0.0) - run.get("LogStore.record", 0.0),
        "waiting for the commit": lambda run: run.get("LogStore.record", 0.0) - run.get("LogStore._commit", 0.0),
        "commit (rows and SQLite)": lambda run: run.get("LogStore._commit", 0.0),
        "expect and settle": lambda run: run.get("RunLog.expect", 0.0) + run.get("RunLog.settle", 0.0),
    }
    per_entry = ", ".join(f"{name} {median(step) / count * 1e6:.0f} µs" for name, step in steps.items())
    return [
        f"  the log's own CPU (thread CPU inside its steps, bench/log_cpu.py, median of {len(measured)} runs): "
        f"{median(log_total) * 1000:.0f} ms a run = {median(lambda run: log_total(run) / run['process_cpu_s']) * 100:.1f} % of adp's CPU",
        f"  per entry: {per_entry}",
    ]


def spread(values: list[float], digits: int = 2, suffix: str = "") -> str:
    """Median and range, as ``1.12x (1.09-1.15)``."""
    return f"{statistics.median(values):.{digits}f}{suffix} ({min(values):.{digits}f}-{max(values):.{digits}f}{suffix})"


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
        threading.setprofile(None)
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(main_profiler, stream=(report := io.StringIO()))
    for profiler in profilers:
        profiler.disable()
        stats.add(profiler)
    print(f"{len(profilers)} threads profiled; {elapsed:.2f} s wall under the profiler (times below are summed over threads)")
    stats.sort_stats("tottime").print_stats(top)
    print(report.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000, help="items for the throughput part")
    parser.add_argument("--latency", type=float, default=0.2, help="stub latency per request (s) for the throughput part")
    parser.add_argument("--jobs", type=int, default=16, help="-j for every part")
    parser.add_argument("--floor-items", type=int, default=2000, help="items for the floor part (zero latency); 0 skips it")
    parser.add_argument("--floor-runs", type=int, default=3, help="rounds of the floor part (each: adp, adp without log, floor)")
    parser.add_argument("--log-cpu-runs", type=int, default=5, help="zero-latency runs with the log's steps timed (thread CPU); 0 skips them")
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
        throughput_bodies = floor_bodies(stub, clock, items_file, args.items, args.jobs, env, folder)
        runs, floor_runs = [], []
        for number in range(args.runs):
            stub.requests.clear()
            run = run_batch(adp_argv(items_file, args.jobs), args.items, env, folder, clock, check_output)
            floor = run_batch(floor_argv(throughput_bodies, args.jobs), args.items, env, folder, clock, check_floor_output)
            runs.append(run)
            floor_runs.append(floor)
            print(f"  throughput run {number + 1}: {run.wall_s:.2f} s wall ({run.wall_rate:.1f} items/s), "
                  f"{run.steady_s:.2f} s steady ({run.steady_rate:.1f} items/s); floor {floor.wall_s:.2f} s wall, {floor.steady_s:.2f} s steady")
        wall_rate = statistics.median(r.wall_rate for r in runs)
        steady_rate = statistics.median(r.steady_rate for r in runs)
        startup = statistics.median(r.wall_s - r.steady_s for r in runs)

        # Part 2: adp against the SDK floor, and with the log off, at zero latency.
        rounds = floor_rounds(stub, clock, args.floor_items, args.jobs, args.floor_runs, env, folder) if args.floor_items else []
        log_cpu = log_cpu_runs(stub, clock, args.floor_items, args.jobs, args.log_cpu_runs, env, folder) if args.floor_items and args.log_cpu_runs else []

        # Part 3: memory and zero-latency throughput.
        stub.latency = 0.0
        stub.requests.clear()
        big_file = write_jsonl(folder / "memory.jsonl", catalogue_items(args.rss_items))
        big = run_batch(adp_argv(big_file, args.jobs), args.rss_items, env, folder, clock, check_output)
        samples = big.rss_samples_mb
        curve = [samples[int(len(samples) * q)] for q in (0.1, 0.25, 0.5, 0.75, 0.9)] if samples else []
        ledger_requests = None
        if not args.no_ledger:
            ledger = json.loads((folder / "daily-costs.json").read_text(encoding="utf-8"))
            ledger_requests = sum(t["requests"] for day in ledger["days"].values() for t in day.values())

        if args.profile:
            print("\n--- cProfile: zero-latency batch in-process ---")
            profile_in_process(write_jsonl(folder / "profile.jsonl", catalogue_items(min(args.rss_items, 2000))), args.jobs, env)

    adp_runs = (
        args.items * (args.runs + 1)
        + args.rss_items
        + (args.floor_items * (2 * (args.floor_runs + 1) + (args.log_cpu_runs + 1 if args.log_cpu_runs else 0)) if args.floor_items else 0)
    )
    wall_ratio, steady_ratio = wall_rate / ideal, steady_rate / ideal
    print()
    print("=== adp batch benchmark ===")
    print(f"throughput: {args.items} items, stub latency {args.latency * 1000:.0f} ms, -j {args.jobs} "
          f"(ideal {ideal:.1f} items/s), median of {args.runs}")
    print(f"  wall clock (incl. start-up, {startup:.2f} s before the first request/after the last): "
          f"{wall_rate:.1f} items/s = {wall_ratio:.2f} of ideal ({spread([r.wall_rate / ideal for r in runs])})  "
          f"[{'PASS' if wall_ratio >= THROUGHPUT_TARGET else 'FAIL'} >= {THROUGHPUT_TARGET}]")
    print(f"  steady state (stub: first request in -> last reply out): "
          f"{steady_rate:.1f} items/s = {steady_ratio:.2f} of ideal ({spread([r.steady_rate / ideal for r in runs])})  "
          f"[{'PASS' if steady_ratio >= THROUGHPUT_TARGET else 'FAIL'} >= {THROUGHPUT_TARGET}]")
    print(f"  the groq SDK script on the same requests, for scale: wall clock {spread([r.wall_rate / ideal for r in floor_runs])} of ideal, "
          f"steady state {spread([r.steady_rate / ideal for r in floor_runs])}")
    if rounds:
        wall = [r.adp.wall_s / r.floor.wall_s for r in rounds]
        steady = [r.adp.steady_s / r.floor.steady_s for r in rounds]
        log_share = [(r.adp.wall_s - r.logs_off.wall_s) / r.adp.wall_s * 100 for r in rounds]
        log_steady = [(r.adp.steady_s - r.logs_off.steady_s) / r.adp.steady_s * 100 for r in rounds]
        print(f"floor: {args.floor_items} items, zero latency, -j {args.jobs}, {args.floor_runs} rounds; median (range) of the rounds' ratios")
        print(f"  adp / groq SDK script, whole processes: {spread(wall, suffix='x')}  "
              f"[{'PASS' if statistics.median(wall) <= FLOOR_TARGET else 'FAIL'} <= {FLOOR_TARGET}x]")
        print(f"  adp / groq SDK script, first request in -> last reply out: {spread(steady, suffix='x')}  "
              f"[{'PASS' if statistics.median(steady) <= FLOOR_TARGET else 'FAIL'} <= {FLOOR_TARGET}x]")
        print(f"  generation log's share of adp's wall clock (logs on vs ADP_LOGS_DB=off): {spread(log_share, 1, ' %')}, "
              f"steady {spread(log_steady, 1, ' %')}  [{'PASS' if statistics.median(log_share) <= LOG_TARGET * 100 else 'FAIL'} <= {LOG_TARGET * 100:.0f} %]")
    for line in log_cpu_report(log_cpu, args.floor_items) if log_cpu else []:
        print(line)
    print(f"memory: {args.rss_items} items, zero latency, -j {args.jobs}")
    print(f"  peak RSS of adp: {big.maxrss_mb:.1f} MB  [{'PASS' if big.maxrss_mb < RSS_TARGET_MB else 'FAIL'} < {RSS_TARGET_MB:.0f} MB]")
    if curve:
        print("  RSS along the run (10/25/50/75/90 %): " + " / ".join(f"{mb:.1f}" for mb in curve) + " MB")
    print(f"  zero-latency throughput: {big.wall_rate:.1f} items/s wall, {big.steady_rate:.1f} items/s steady")
    if ledger_requests is None:
        print("ledger: off (--no-ledger)")
    else:
        print(f"ledger: {ledger_requests} requests recorded for {adp_runs} sent by adp "
              f"[{'OK' if ledger_requests == adp_runs else 'MISMATCH'}]")


if __name__ == "__main__":
    main()
