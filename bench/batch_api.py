"""Groq's Batch API at catalogue scale: the real CLI in its own process against the stand-in.

    python -m bench.batch_api [--items 100000] [--in-progress 2.0] [--budget USD]

Step 1 (submit): ``adp casual items.jsonl --batch-api -o out.jsonl -q -m openai/gpt-oss-20b``
prepares every item on the synchronous path, writes the request files (split at Groq's 50,000
requests), uploads them and creates the batches. Preparation rate = items / (first upload
arriving at the stub - process start), so start-up counts against it; also shown without the
start-up of ``adp casual --help``. Target: >= 5,000 items/s. With ``--budget`` the run sets
ADP_DAILY_BUDGET_USD, so every prompt is also counted (o200k) for the estimate the budget checks.

Step 2 (collect): once the stand-in has run the batches (IN_PROGRESS seconds), the same command
again streams the result files in, writes one line per item in input order to ``-o`` and stdout,
and bills the ledger. Checked: every item once, in order, with its id, none an error; the
ledger holds one request per item.

Both steps: the adp process's own peak RSS and RSS samples along the run, from /proc. The peak is
``VmHWM`` read by the process itself at exit: ``ru_maxrss`` from ``wait4`` would report this
bench's own size instead, since the kernel carries the forking parent's high-water mark across
``exec`` and here the parent holds the stand-in's 100 MB of uploads. Target: < 150 MB each.
Linux (/proc); standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.batch import bench_env, check_output
from bench.timing import load, rss_samples
from tests.support.batchapi import BatchAPI, Timings
from tests.support.groqstub import GroqStub, Recorded, Reply
from tests.support.items import catalogue_items, write_jsonl

MODEL = "openai/gpt-oss-20b"  # in Groq's Batch API list; the guide's llama-3.1-8b-instant is retired
RSS_TARGET_MB = 150.0
PREPARE_TARGET = 5_000.0


# adp's entry point with an exit hook that writes the process's own peak RSS (VmHWM) to a file.
_RUNNER = """
import atexit, sys

def _peak(path):
    with open("/proc/self/status", encoding="ascii") as status, open(path, "w", encoding="ascii") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])

atexit.register(_peak, sys.argv[1])
sys.argv = ["adp", *sys.argv[2:]]
from adp_cli.cli import main
main()
"""


class FirstUpload:
    """A route ahead of the stand-in's that notes when the first upload starts to arrive (the
    stub calls routes once the whole body is read, so the request's first byte is estimated by
    nothing: the note is when the upload was received, an upper bound on when preparation ended)."""

    def __init__(self, stub: GroqStub) -> None:
        self.at: float | None = None
        stub.routes.insert(0, self)

    def __call__(self, recorded: Recorded, raw: bytes) -> Reply | None:
        if self.at is None and recorded.method == "POST" and recorded.path == "/openai/v1/files":
            self.at = time.perf_counter()
        return None


@dataclass
class Run:
    seconds: float
    maxrss_mb: float
    samples_mb: list[float] = field(default_factory=list)
    started: float = 0.0

    def curve(self) -> str:
        samples = self.samples_mb
        if not samples:
            return "no samples"
        return " / ".join(f"{samples[int(len(samples) * q)]:.1f}" for q in (0.1, 0.25, 0.5, 0.75, 0.9)) + " MB"


def run_adp(argv: list[str], env: dict[str, str], folder: Path, stdout: Path) -> Run:
    """adp in its own process; its own peak RSS (VmHWM at exit) and RSS samples every 50 ms."""
    err_path = folder / "stderr.txt"
    peak_path = folder / "peak-kb.txt"
    with stdout.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", _RUNNER, str(peak_path), *argv], stdout=out, stderr=err, env=env, cwd=folder)
        with rss_samples(process.pid) as samples:
            process.wait()
            seconds = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"bench: adp exited {process.returncode}:\n{err_path.read_text(errors='replace')[-2000:]}")
    return Run(seconds, int(peak_path.read_text(encoding="ascii")) / 1024, samples, started)


def start_up(env: dict[str, str], folder: Path) -> float:
    """Median wall time of ``adp casual --help`` (interpreter and Typer start-up), over 5 runs."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "adp_cli", "casual", "--help"], env=env, cwd=folder, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return sorted(times)[2]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="items in the job")
    parser.add_argument("--in-progress", type=float, default=2.0, help="seconds the stand-in takes to run a batch")
    parser.add_argument("--budget", help="set ADP_DAILY_BUDGET_USD (USD): the submission then counts its estimate")
    args = parser.parse_args()

    print(f"bench/batch_api.py: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load()}")
    with tempfile.TemporaryDirectory(prefix="adp-bench-batch-api-") as tmp, GroqStub() as stub:
        folder = Path(tmp)
        env = bench_env(folder, stub.base_url)
        if args.budget:
            env["ADP_DAILY_BUDGET_USD"] = args.budget
        api = BatchAPI(stub, timings=Timings(validating=0.1, in_progress=args.in_progress, finalizing=0.1))
        upload = FirstUpload(stub)
        items = write_jsonl(folder / "items.jsonl", catalogue_items(args.items))
        output = folder / "out.jsonl"
        command = ["casual", str(items), "--batch-api", "-o", str(output), "-q", "-m", MODEL]
        boot = start_up(env, folder)

        submit = run_adp(command, env, folder, folder / "submit.stdout")
        assert upload.at is not None, "no upload reached the stub"
        prepare_s = upload.at - submit.started
        time.sleep(args.in_progress + 0.5)
        collect = run_adp([*command, "--wait"], env, folder, folder / "collect.stdout")

        check_output(folder / "collect.stdout", args.items)
        check_output(output, args.items)
        ledger = json.loads((folder / "daily-costs.json").read_text(encoding="utf-8"))
        billed = sum(totals["requests"] for day in ledger["days"].values() for totals in day.values())
        counters = api.counters

    rate = args.items / prepare_s
    rate_after_boot = args.items / (prepare_s - boot)
    print()
    print("=== adp Batch API benchmark ===")
    print(f"budget: {'ADP_DAILY_BUDGET_USD=' + args.budget + ' (every prompt counted)' if args.budget else 'none (prompts not counted)'}")
    print(f"job: {args.items} items, {counters.uploads} uploads, {counters.batches_created} batches, {counters.lines_uploaded} request lines")
    print(f"submit: {submit.seconds:.2f} s wall; first upload received {prepare_s:.2f} s after the process started")
    print(f"  preparation: {rate:,.0f} items/s including start-up [{verdict(rate >= PREPARE_TARGET)} >= {PREPARE_TARGET:,.0f}]; "
          f"{rate_after_boot:,.0f} items/s without the {boot:.2f} s start-up of `adp casual --help`")
    rss = f"{submit.maxrss_mb:.1f} MB [{verdict(submit.maxrss_mb < RSS_TARGET_MB)} < {RSS_TARGET_MB:.0f} MB]"
    print(f"  peak RSS: {rss}; along the run (10/25/50/75/90 %): {submit.curve()}")
    print(f"collect: {collect.seconds:.2f} s wall, {args.items / collect.seconds:,.0f} lines/s; every item once, in order, with its id")
    print(f"  peak RSS: {collect.maxrss_mb:.1f} MB [{verdict(collect.maxrss_mb < RSS_TARGET_MB)} < {RSS_TARGET_MB:.0f} MB]; along the run: {collect.curve()}")
    print(f"ledger: {billed} requests billed for {args.items} items [{'OK' if billed == args.items else 'MISMATCH'}]")


if __name__ == "__main__":
    main()
