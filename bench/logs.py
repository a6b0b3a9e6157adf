"""The generation log's cost: how fast it records, and how fast ``adp logs`` queries answer.

    python -m bench.logs [--entries 100000] [--runs 5]

In a temp folder: records 10,000 entries from one thread and from 16 threads (fresh databases),
then builds a database of ``--entries`` entries (16 threads, times spread over the last 90 days,
oldest first) with realistic sizes: a ~1 KB prompt (a fixed instruction text plus the item's
music data), a ~200-byte reply, the item's JSON. Then times each ``adp logs`` query the way the
CLI runs it (open the log, query, close), cold (the first run: a fresh connection, though the OS
file cache is warm from the build) and as the median of ``--runs``, as milliseconds and as a
ratio of the 0.5 s target; then the real ``adp logs`` commands in their own processes, start-up
included; and prints the size on disk. No network.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adp_cli.history import Entry, LogStore, cache_key, open_store
from bench.timing import adp_script, clean_env, interleaved, load, print_medians

QUERY_TARGET_S = 0.5
THREADS = 16
WRITE_SAMPLE = 10_000
RARE_WORD = "theremin"  # in one reply of RARE_EVERY
RARE_EVERY = 5_000
COMMON_WORD = "groove"  # in about a third of the replies

TASKS = ("casual", "casual", "casual", "casual", "structure", "structure", "structure", "bpm")
MODELS = (
    "openai/gpt-oss-120b", "openai/gpt-oss-20b", "llama-3.1-8b-instant", "qwen/qwen3-32b",
    "meta-llama/llama-4-scout-17b-16e-instruct", "moonshotai/kimi-k2-instruct-0905", "groq/compound-mini",
)  # fmt: skip
GENRES = ("Rock", "Electronic", "Hip-Hop", "Jazz", "Ambient", "Funk", "Metal", "Pop", "Soul", "Techno")
MOODS = ("energetic", "melancholic", "dreamy", "dark", "uplifting", "tense", "playful", "calm", "gritty")
INSTRUMENTS = ("808 drums", "analog synth", "electric guitar", "upright bass", "rhodes piano", "strings", "brass section")
REPLY_WORDS = (
    "warm", "punchy", "driving", "shimmering", "hazy", "bright", "rolling", "tight", "lush", "crisp",
    "bassline", "pads", "snare", "hook", "vocal", "chords", "rhythm", "texture", "drop", "swing",
    "late-night", "sunlit", "neon", "dusty", "velvet", "glassy", "heavy", "airy", "steady", "restless",
)  # fmt: skip
INSTRUCTIONS = (
    "You are a music description assistant. Write one vivid, concrete sentence that describes the "
    "track for a listener who has not heard it. Mention the genre, the mood and the most important "
    "instruments and how they interact. Avoid cliches, avoid lists, avoid naming artists, and keep "
    "it under forty words. Use plain English a listener understands; prefer sensory words about "
    "sound and motion over technical terms. Do not repeat the input data verbatim and do not add "
    "facts that the data does not support. Style: match the requested poetic level, from plain "
    "and factual at the low end to imagistic and metaphorical at the high end. Output only the "
    "sentence, without quotes, labels or explanations. When the data names vocals, say how they "
    "sit in the mix; when it names an energy level, let the verbs carry it; when it names several "
    "moods, find the one image that holds them together rather than listing each in turn.\n\nMusic Data: "
)


def make_entry(rng: random.Random, index: int, moment: datetime) -> Entry:
    """One realistic entry: a catalogue-like item, the ~1 KB prompt built from it, a ~200-byte reply."""
    task = TASKS[index % len(TASKS)]
    item: dict[str, Any] = {
        "id": f"track-{index}",
        "genre": {"primary": rng.choice(GENRES), "subgenres": [rng.choice(GENRES).lower() + "-fusion"]},
        "mood": rng.sample(MOODS, 2),
        "energy": rng.randint(1, 10),
        "instrumentation": [{"name": name, "role": "lead"} for name in rng.sample(INSTRUMENTS, 3)],
    }
    music = f"{item['genre']['primary']} / {', '.join(item['mood'])} / energy {item['energy']} / " + ", ".join(
        part["name"] for part in item["instrumentation"]
    )
    words = [rng.choice(REPLY_WORDS) for _ in range(28)]
    if rng.random() < 0.35:
        words[rng.randrange(len(words))] = COMMON_WORD
    if index % RARE_EVERY == RARE_EVERY // 2:
        words[3] = RARE_WORD
    reply = " ".join(words).capitalize() + "."
    result: str | int = rng.randint(60, 180) if task == "bpm" else reply
    model = MODELS[index % len(MODELS)]
    settings = {"temperature": 0.7, "max_tokens": 3500}
    return Entry(
        task=task,
        provider="groq",
        model=model,
        item=item,
        messages=[{"role": "user", "content": INSTRUCTIONS + music}],
        params={**settings, "model": model},
        reply=str(result) if task == "bpm" else reply,
        result=result,
        prompt_tokens=260,
        cached_tokens=128,
        completion_tokens=48,
        cost_usd=round(0.0000123 * (1 + index % 7), 9),
        latency_ms=round(rng.uniform(180, 900), 1),
        run_id=f"run-{index // 1000}",
        item_index=index % 1000,
        item_id=item["id"],
        cache_key=cache_key(task, item, settings, None),
        time=moment,
    )


def make_entries(count: int, days: float = 90.0) -> list[Entry]:
    """``count`` entries, oldest first, spread evenly over the last ``days`` days."""
    rng = random.Random(17)
    start = datetime.now(UTC) - timedelta(days=days)
    step = timedelta(days=days) / max(count, 1)
    return [make_entry(rng, index, start + step * index) for index in range(count)]


def record_all(store: LogStore, entries: list[Entry], threads: int) -> float:
    """Record ``entries`` from ``threads`` threads (thread k takes every k-th); seconds taken."""
    def work(first: int) -> None:
        for entry in entries[first::threads]:
            store.record(entry)

    workers = [threading.Thread(target=work, args=(first,)) for first in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def write_rates(folder: Path, entries: list[Entry]) -> None:
    for threads in (1, THREADS):
        with LogStore(folder / f"write-{threads}.db") as store:
            seconds = record_all(store, entries, threads)
        print(f"record {len(entries):,} entries, {threads:>2} thread(s): {seconds:6.2f} s  "
              f"{len(entries) / seconds:7,.0f} entries/s  {seconds / len(entries) * 1e6:5.0f} us/entry")


def timed(path: Path, query: Callable[[LogStore], Any], runs: int) -> tuple[float, float, Any]:
    """Cold (first) and median seconds of open + query + close, and the last answer."""
    times: list[float] = []
    answer: Any = None
    for _ in range(runs):
        started = time.perf_counter()
        with open_store(path) as store:
            assert isinstance(store, LogStore)
            answer = query(store)
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times), answer


def describe(answer: Any) -> str:
    return f"{len(answer)} rows" if isinstance(answer, list) else ("1 entry" if answer is not None else "none")


def cli_times(path: Path, runs: int) -> None:
    """What a user waits for: the real ``adp logs`` commands in their own processes (start-up
    included), output piped, so tab-separated; median of ``runs`` after one warm-up."""
    script = str(adp_script())
    commands = {
        "adp logs": [script, "logs"],
        f"adp logs -s {RARE_WORD}": [script, "logs", "-s", RARE_WORD],
        f"adp logs -s {COMMON_WORD} --task casual --json": [script, "logs", "-s", COMMON_WORD, "--task", "casual", "--json"],
    }
    env = clean_env(ADP_LOGS_DB=str(path), ADP_CACHE_DIR=str(path.parent / "cache"), COST_TRACKING_FILE="off")
    interleaved(commands, 1, env, str(path.parent))
    print(f"\nthe CLI, start-up included (median of {runs}):")
    medians = print_medians(interleaved(commands, runs, env, str(path.parent)))
    slowest = max(medians.values())
    verdict = "OK" if slowest / 1000 < QUERY_TARGET_S else "MISSED"
    print(f"slowest command: {slowest:.0f} ms = {slowest / 1000 / QUERY_TARGET_S:.2f} of the 0.5 s target ({verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000, help="entries in the query database (default 100000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query (default 5)")
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]}, SQLite {__import__('sqlite3').sqlite_version}; load average {load()}")
    entries = make_entries(args.entries)
    with tempfile.TemporaryDirectory(prefix="adp-bench-logs-") as tmp:
        folder = Path(tmp)
        write_rates(folder, entries[:WRITE_SAMPLE])

        path = folder / "logs.db"
        with LogStore(path) as store:
            seconds = record_all(store, entries, THREADS)
        print(f"build {args.entries:,} entries, {THREADS} threads: {seconds:.1f} s, {args.entries / seconds:,.0f} entries/s")

        week_ago = (datetime.now() - timedelta(days=7)).date().isoformat()
        middle = args.entries // 2
        queries: dict[str, Callable[[LogStore], Any]] = {
            "latest 20": lambda store: store.entries(),
            "--task bpm": lambda store: store.entries(task="bpm"),
            f"--model {MODELS[3]}": lambda store: store.entries(model=MODELS[3]),
            f"--since {week_ago}": lambda store: store.entries(since=week_ago),
            f"-s {COMMON_WORD} (common)": lambda store: store.entries(search=COMMON_WORD),
            f"-s {RARE_WORD} (rare)": lambda store: store.entries(search=RARE_WORD),
            f"-s '{COMMON_WORD} neon' --task casual": lambda store: store.entries(search=f"{COMMON_WORD} neon", task="casual"),
            f"show {middle}": lambda store: store.entry(middle),
            f"costs --since {week_ago}": lambda store: store.costs(since=week_ago),
            "costs, all time": lambda store: store.costs(),
            "cache lookup": lambda store: store.lookup(entries[middle].cache_key or ""),
        }
        print(f"\nqueries on {args.entries:,} entries (open + query + close; cold = first run, median of {args.runs}):")
        print(f"{'query':<40} {'cold ms':>8} {'median ms':>10} {'/0.5 s':>7}  answer")
        worst = 0.0
        for label, query in queries.items():
            cold, median, answer = timed(path, query, args.runs)
            worst = max(worst, cold, median)
            print(f"{label:<40} {cold * 1000:8.1f} {median * 1000:10.1f} {max(cold, median) / QUERY_TARGET_S:7.3f}  {describe(answer)}")
        verdict = "OK" if worst < QUERY_TARGET_S else "MISSED"
        print(f"slowest: {worst * 1000:.1f} ms = {worst / QUERY_TARGET_S:.3f} of the 0.5 s target ({verdict})")

        cli_times(path, args.runs)

        sizes = {name: os.path.getsize(folder / name) for name in ("logs.db", "logs.db-wal") if (folder / name).exists()}
        total = sum(sizes.values())
        print(f"on disk: {total / 1e6:.1f} MB ({', '.join(f'{name} {size / 1e6:.1f} MB' for name, size in sizes.items())}), "
              f"{total / args.entries:,.0f} bytes/entry")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
