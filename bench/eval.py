"""Caption checks and run evaluation: how long ``adp_cli.captions`` takes, against what a batch costs.

    python -m bench.eval [--items 100000] [--batch-items 20000] [--stub-items 2000]

Part 1 (evaluation): ITEMS catalogue items (``tests.support.items``) and an offline caption for
each (the six registers in turn), as the result lines a batch writes. Timed: ``evaluate`` over
the lines in memory, and reading them back from a JSON Lines file and evaluating them (what an
``adp eval`` would do). Target: 100,000 lines in under 10 s.

Part 2 (one check): microseconds per ``check`` on the offline captions and on model-style
captions of the sample items (longer, some with invented words and tempos), beside the
microseconds per offline ``describe``.

Part 3 (against a batch): what one more item costs ``adp casual --provider offline`` over
BATCH-ITEMS items, and a zero-latency batch against the loopback Groq stub over STUB-ITEMS items
(-j 16), in the adp process's own CPU time (``os.wait4``; a one-item run's start-up taken off);
a check's share of each. Target: a check adds under 5 % to a zero-latency batch.

Timings are CPU time of the process doing the work, best of a few runs, because the machine
may be shared: wall time would count what other processes take. Linux/macOS (``os.wait4``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adp_cli.captions import check, evaluate
from adp_cli.offline import Register, describe
from adp_cli.tasks.wizard import WizardData, parse_wizard
from bench.batch import MODEL, bench_env, warm_token_cache
from bench.timing import adp_script, load, run
from tests.support.groqstub import GroqStub
from tests.support.items import catalogue_items, write_jsonl

REPO = Path(__file__).resolve().parent.parent
EVAL_TARGET_S = 10.0
BATCH_SHARE_TARGET = 0.05
REGISTERS = list(Register)

# What a model writes for the samples/batch.jsonl items of the same ids (by hand, in the style
# of the casual prompt's replies): longer than a template, a few inventions and tempos.
MODEL_STYLE = {
    "track-001": "A warm, groovy deep house cut built on lush Rhodes chords and a rolling sub bass, "
    "with soulful female background vocals drifting over a steady four-on-the-floor kick at 122 BPM.",
    "track-002": "Relentless, high-energy drum and bass with a dense wall of breakbeats and "
    "reese bass, no vocals, racing along at 174 bpm.",
    "track-003": "An aggressive, intense dubstep assault where a growling wobble bass takes the lead "
    "over half-time drums and metallic snares.",
    "track-005": "Angry, high-energy punk rock: fast, distorted electric guitars and pounding drums "
    "drive the rhythm while a male lead singer shouts over a wall of noise.",
    "track-008": "Gritty boom bap hip-hop with a dusty sampled piano melody, punchy drum machine "
    "rhythms and a male rapper riding the beat at 90 BPM, with a touch of jazz-tinged organ.",
    "track-012": "A sad, tender pop ballad carried by gentle piano accompaniment and an emotional "
    "female lead vocal, soft strings swelling in the background.",
    "track-013": "High-energy bebop: a virtuosic alto saxophone solo flies over a walking upright bass "
    "and crisp ride cymbal at around 280 beats per minute.",
    "track-016": "A joyful salsa number where congas keep the percussion bubbling and bright brass "
    "takes the lead, with piano montunos and timbales filling out the groove.",
}


def timed(action: Callable[[], Any], repeat: int = 3) -> float:
    """The best of ``repeat`` runs, in seconds of this process's CPU time: the machine is shared,
    and what other processes take of it would otherwise count as ours."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        action()
        best = min(best, time.process_time() - started)
    return best


def wall(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def per_call_us(pairs: list[tuple[str, WizardData]], rounds: int) -> float:
    seconds = timed(lambda: [check(phrase, wizard) for _ in range(rounds) for phrase, wizard in pairs])
    return seconds / (rounds * len(pairs)) * 1e6


def adp_run(path: Path, extra: list[str], env: dict[str, str], folder: Path) -> tuple[float, float]:
    """``adp casual PATH -q EXTRA`` in a subprocess: (its own CPU seconds, wall seconds)."""
    argv = [sys.executable, "-m", "adp_cli", "casual", str(path), "-q", *extra]
    started = time.perf_counter()
    with (folder / "stdout.jsonl").open("wb") as out, (folder / "stderr.txt").open("wb") as err:
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=folder)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"bench: adp exited {process.returncode}: {(folder / 'stderr.txt').read_text(errors='replace')[-1000:]}")
    return usage.ru_utime + usage.ru_stime, elapsed


def per_item_us(count: int, path: Path, one: Path, extra: list[str], env: dict[str, str], folder: Path) -> tuple[float, float]:
    """What one more item costs a batch, in CPU and wall microseconds: a one-item run (start-up,
    imports, exit) taken off a COUNT-item run, best of a few."""
    one_cpu, one_wall = map(min, zip(*(adp_run(one, extra, env, folder) for _ in range(3))))
    cpu, elapsed = map(min, zip(*(adp_run(path, extra, env, folder) for _ in range(2))))
    return (cpu - one_cpu) / (count - 1) * 1e6, (elapsed - one_wall) / (count - 1) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="result lines to evaluate")
    parser.add_argument("--batch-items", type=int, default=20_000, help="items for the offline-provider batch")
    parser.add_argument("--stub-items", type=int, default=2_000, help="items for the zero-latency stub batch")
    args = parser.parse_args()
    print(f"bench/eval.py: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load()}")

    # Part 1: evaluation.
    started = time.perf_counter()
    items = [parse_wizard(document) for document in catalogue_items(args.items)]
    phrases = [describe(wizard, REGISTERS[index % len(REGISTERS)]) for index, wizard in enumerate(items)]
    lines: list[dict[str, Any]] = [
        {"index": index, "id": wizard.id, "phrase": phrase, "provider": "offline"}
        for index, (wizard, phrase) in enumerate(zip(items, phrases))
    ]
    print(f"{args.items} items and offline captions made in {time.perf_counter() - started:.1f} s")
    in_memory_wall = wall(lambda: evaluate(lines, items))
    in_memory = timed(lambda: evaluate(lines, items), repeat=2)
    report = evaluate(lines, items)
    with tempfile.TemporaryDirectory(prefix="adp-bench-eval-") as tmp:
        results = Path(tmp) / "results.jsonl"
        results.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")

        def from_file() -> None:
            with results.open(encoding="utf-8") as handle:
                evaluate((json.loads(raw) for raw in handle), items)

        with_reading = timed(from_file, repeat=2)
        items_file = write_jsonl(Path(tmp) / "items.jsonl", catalogue_items(args.items))
        env = bench_env(Path(tmp), "http://127.0.0.1:9")
        command = [str(adp_script()), "eval", str(results), "--input", str(items_file), "--json"]
        cli_wall, finished = run(command, env, tmp)
        if json.loads(finished.stdout)["items"] != args.items:
            sys.exit(f"bench: adp eval did not report {args.items} items: {finished.stdout[:300]!r}")

        # Part 2: one check.
        samples = {wizard.id: wizard for wizard in map(parse_wizard, map(json.loads, (REPO / "samples" / "batch.jsonl").open(encoding="utf-8")))}
        model_pairs = [(phrase, samples[item_id]) for item_id, phrase in MODEL_STYLE.items()]
        offline_pairs = list(zip(phrases[:6000], items[:6000]))
        offline_us = per_call_us(offline_pairs, rounds=2)
        model_us = per_call_us(model_pairs, rounds=1000)
        describe_us = timed(lambda: [describe(w, REGISTERS[i % 6]) for i, w in enumerate(items[:6000] * 2)]) / 12000 * 1e6
        model_checks = [check(phrase, wizard).to_json() for phrase, wizard in model_pairs]

        # Part 3: against a batch.
        folder = Path(tmp)
        one_file = write_jsonl(folder / "one.jsonl", catalogue_items(1))
        batch_file = write_jsonl(folder / "batch.jsonl", catalogue_items(args.batch_items))
        offline_cpu, offline_wall = per_item_us(
            args.batch_items, batch_file, one_file, ["--provider", "offline"], bench_env(folder, "http://127.0.0.1:9"), folder
        )
        with GroqStub() as stub:
            env = bench_env(folder, stub.base_url)
            warm_token_cache(env, folder)
            stub.latency = 0.0
            stub_file = write_jsonl(folder / "stub.jsonl", catalogue_items(args.stub_items))
            stub_cpu, stub_wall = per_item_us(args.stub_items, stub_file, one_file, ["-j", "16", "-m", MODEL], env, folder)

    print()
    print("=== adp caption checks and evaluation ===")
    print(f"evaluation of {args.items} result lines (offline captions, one a line):")
    print(f"  in memory: {in_memory:.2f} s CPU = {args.items / in_memory:,.0f} lines/s ({in_memory_wall:.2f} s wall, first run)  "
          f"[{'PASS' if in_memory < EVAL_TARGET_S else 'FAIL'} < {EVAL_TARGET_S:.0f} s]")
    print(f"  read from JSON Lines and evaluated: {with_reading:.2f} s CPU = {args.items / with_reading:,.0f} lines/s")
    verdict = "PASS" if cli_wall < EVAL_TARGET_S else "FAIL"
    print(f"  adp eval RESULTS --input ITEMS --json, its own process, start-up and both files included: {cli_wall:.2f} s wall  [{verdict} < 10 s]")
    print("  report: " + json.dumps(report.to_json()))
    print("one check (best of 3, CPU time):")
    offline_words = statistics.mean(len(p.split()) for p, _ in offline_pairs)
    model_words = statistics.mean(len(p.split()) for p, _ in model_pairs)
    print(f"  offline captions ({len(offline_pairs)} catalogue items, mean {offline_words:.0f} words): {offline_us:.1f} us")
    print(f"  model-style captions ({len(model_pairs)} sample items, mean {model_words:.0f} words): {model_us:.1f} us")
    print(f"  offline describe() for comparison: {describe_us:.1f} us")
    for (item_id, _), result in zip(MODEL_STYLE.items(), model_checks):
        print(f"    {item_id}: {json.dumps(result)}")
    print("against a batch (what one more item costs adp's own process, one-item run taken off):")
    print(f"  adp casual --provider offline, {args.batch_items} items: {offline_cpu:.0f} us CPU ({offline_wall:.0f} us wall) an item; "
          f"a check of its offline caption adds {offline_us / offline_cpu:.1%} of the CPU")
    share = model_us / stub_cpu
    print(f"  zero-latency Groq stub batch, {args.stub_items} items, -j 16: {stub_cpu:.0f} us CPU ({stub_wall:.0f} us wall) an item; "
          f"a check of a model-style caption adds {share:.1%} of the CPU  "
          f"[{'PASS' if share < BATCH_SHARE_TARGET else 'FAIL'} < {BATCH_SHARE_TARGET:.0%}]")


if __name__ == "__main__":
    main()
