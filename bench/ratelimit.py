"""Rate-limit pacing: the real ``adp`` CLI against the stub's Groq limiter on a compressed clock.

    python -m bench.ratelimit [--items 300] [--minute 1.5] [--latency 0.02] [--jobs 8] [--pool-jobs 16]

Each case is a fresh stub (today's Groq) with the same free-tier limits for every model (30 RPM,
6K TPM, as the guide's llama-3.1-8b-instant had; a "minute" of MINUTE seconds, a day of 1440 of
them), and one run of ``adp casual items.jsonl -j JOBS -q`` (a subprocess, as a user runs it)
on openai/gpt-oss-20b, whose 40 tokens of low-effort reasoning count against TPM too:

- RPM-bound: short prompts (~110 tokens a request), so 30 requests a minute bind first; RPM
  is in no header, so adp learns it from the first refusals.
- TPM-bound: long prompts (~410 tokens a request), so 6000 tokens a minute bind first.
- pool: the TPM-bound workload without ``-m``, so each item goes to a random model of today's
  pool (gpt-oss-20b, gpt-oss-120b, allam-2-7b; the same limits each); its throughput against the
  TPM-bound case's is the pool's gain. (The RPM-bound workload would not do: full budgets of 30
  requests take most of the items at once, and what is left measures how fast one process
  sends, not pacing.)

The clock is a trade-off: the pool sends (its size) x 300 / (the TPM-bound case's seconds)
requests a second. A minute of 1.5 s kept that near 70/s for the guide's pool of 7, which the
stub and adp sustain on a small busy machine; at 0.6 s the pool case measures the CPU rather
than the pacing.

Throughput is measured as the stub saw it, from the first request to the last reply (so the
interpreter's start-up is not counted), against the limit-bound ideal (a full budget at the
start, then the refill rate of the binding budget, plus one reply's latency; ideal spread for
the pool). Also printed: refused requests as a share of all requests, failed items (error
lines on stdout), and the pool's throughput against the one-model case's. Targets: >= 0.9 of
ideal, <= 10 % refused, 0 failed, pool >= 5/7 of its size times one model (5x for the guide's
pool of 7). Standard library + adp.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from adp_cli.accounting.catalog import TEXT_GENERATION_MODELS
from bench.timing import adp_script, clean_env, load
from tests.support.groqstub import GroqStub
from tests.support.groqtoday import THINKING
from tests.support.items import write_jsonl
from tests.support.ratelimits import FREE_TIER, ModelLimits, RateLimiter

MODEL = "openai/gpt-oss-20b"  # Groq's replacement for the guide's llama-3.1-8b-instant
LIMITS = FREE_TIER["llama-3.1-8b-instant"]  # 30 RPM, 6000 TPM: the guide's free tier, for every model
POOL = [model.value for model in TEXT_GENERATION_MODELS]
THROUGHPUT_TARGET = 0.9
REFUSED_TARGET = 0.10
POOL_TARGET = 5.0 / 7 * len(POOL)  # the guide's pool of 7 was to reach 5x one model


@dataclass(frozen=True)
class Case:
    name: str
    models: list[str]
    prompt_tokens: int
    jobs: int
    baseline: str | None = None  # the one-model case this pool is compared with


@dataclass(frozen=True)
class Outcome:
    """What the run did: items done and failed, and seconds from its first request to its last
    reply as the stub saw them."""

    done: int
    failed: int
    elapsed: float


@dataclass(frozen=True)
class Result:
    case: Case
    outcome: Outcome
    answered: int
    refused: int
    ideal: float

    @property
    def items_per_s(self) -> float:
        return self.outcome.done / self.outcome.elapsed

    @property
    def ratio(self) -> float:
        return self.ideal / self.outcome.elapsed

    @property
    def refused_share(self) -> float:
        return self.refused / max(1, self.answered + self.refused)


def prompts_dir(folder: Path) -> Path:
    """One-word prompt files, so an item's own text sets the size of each request."""
    prompts = folder / "prompts"
    prompts.mkdir(exist_ok=True)
    for name in ("casual-phrase-generator-prompt.md", "phrase-prompt.md", "bpm-estimator-prompt.md"):
        (prompts / name).write_text("Describe.", encoding="utf-8")
    return prompts


def items_of(count: int, prompt_tokens: int, base_chars: int) -> list[dict[str, object]]:
    """Items whose casual prompt is ``prompt_tokens`` tokens as the stub counts them (a quarter
    of the characters): moods pad the prompt from ``base_chars`` to the size wanted."""
    padding = max(0, prompt_tokens * 4 - base_chars)
    moods = [f"m{n:03d}" + "x" * 395 for n in range(padding // 400)] + (["y" * (padding % 400)] if padding % 400 > 5 else [])
    return [{"id": f"i{number}", "genre": "Rock", "mood": moods} for number in range(count)]


def workload(stub: GroqStub, folder: Path, case: Case, items: int) -> tuple[int, int]:
    """``adp casual`` over the items in a subprocess; returns (items done, items failed)."""
    env = clean_env(GROQ_BASE_URL=stub.base_url, GROQ_API_KEY="gsk_bench_dummy_key", COST_TRACKING_FILE="off",
                    ADP_CACHE_DIR=str(folder / "cache"))
    prompts = prompts_dir(folder)
    dry_run = _adp(["casual", "--genre", "Rock", "--dry-run", "--json", "-q", "--prompts-dir", str(prompts)], env, folder)
    base = len(json.loads(dry_run.stdout)["messages"][0]["content"])
    source = write_jsonl(folder / f"{case.name}.jsonl", items_of(items, case.prompt_tokens, base))
    model = ["-m", case.models[0]] if len(case.models) == 1 else []
    run = _adp(["casual", str(source), "-j", str(case.jobs), "-q", "--prompts-dir", str(prompts), *model], env, folder)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    failed = sum("error" in line for line in lines)
    return len(lines) - failed, failed


def _adp(args: list[str], env: dict[str, str], folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(adp_script()), *args], env=env, cwd=folder, capture_output=True, text=True, timeout=600)


def stub_seconds(limiter: RateLimiter, models: list[str], latency: float) -> float:
    """From the first request the limiter judged to the last reply (admission + latency)."""
    events = [event for model in models for event in limiter.stats(model).timeline]
    answered = [event.at for event in events if event.status == 200]
    return max(answered) + latency - min(event.at for event in events)


def ideal_seconds(limits: ModelLimits, minute: float, items: int, case: Case, costs: list[int], latency: float) -> float:
    """The floor: each model's budgets start full and refill at their rate, items spread
    evenly, and the binding budget (requests or tokens, at each model's tokens a request) of
    the slowest model sets the time, plus one reply; or what ``jobs`` workers can send at
    ``latency`` a reply, when that is slower."""
    per_model = items / len(case.models)
    requests = (per_model - limits.rpm) * minute / limits.rpm
    tokens = max((per_model * cost - limits.tpm) * minute / limits.tpm for cost in costs)
    return max(max(0.0, requests, tokens) + latency, items * latency / case.jobs)


def run_case(case: Case, items: int, minute: float, latency: float, folder: Path) -> Result:
    completion = 12
    with GroqStub(latency=latency, prompt_tokens=case.prompt_tokens, completion_tokens=completion) as stub:
        assert stub.today is not None
        limits = {model: LIMITS for model in case.models}
        limiter = RateLimiter(minute=minute, limits=limits).attach(stub)
        done, failed = workload(stub, folder, case, items)
        outcome = Outcome(done, failed, stub_seconds(limiter, case.models, latency))
        answered, refused = limiter.answered, limiter.refused
        # adp asks a reasoning model for its lowest effort; those tokens are billed and counted
        reasoning = stub.today.reasoning_tokens["low"]
    costs = [case.prompt_tokens + completion + (reasoning if model in THINKING else 0) for model in case.models]
    ideal = ideal_seconds(LIMITS, minute, items, case, costs, latency)
    return Result(case, outcome, answered, refused, ideal)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(result: Result) -> bool:
    """Print one case; True when it meets the throughput, refusal and failure targets."""
    ok_rate = result.ratio >= THROUGHPUT_TARGET
    ok_refused = result.refused_share <= REFUSED_TARGET
    ok_failed = result.outcome.failed == 0
    print(
        f"{result.case.name:<10} {result.outcome.done:>4} items in {result.outcome.elapsed:6.2f} s "
        f"({result.items_per_s:6.1f}/s; ideal {result.ideal:5.2f} s)  "
        f"throughput {result.ratio:5.3f} of ideal [{verdict(ok_rate)}]  "
        f"refused {result.refused}/{result.answered + result.refused} = {result.refused_share:5.1%} "
        f"[{verdict(ok_refused)}]  failed {result.outcome.failed} [{verdict(ok_failed)}]"
    )
    return ok_rate and ok_refused and ok_failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--minute", type=float, default=1.5, help="seconds the stub's minute lasts")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the stub takes per reply")
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--pool-jobs", type=int, default=16)
    args = parser.parse_args()
    print(f"bench/ratelimit.py: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load()}")
    print("workload: the real adp CLI in a subprocess (adp casual ITEMS.jsonl -j JOBS -q)")
    print(
        f"{args.items} items per case; a minute lasts {args.minute} s; stub latency "
        f"{args.latency * 1000:.0f} ms; free-tier limits per model (30 RPM, 6000 TPM)"
    )
    cases = [
        Case("RPM-bound", [MODEL], prompt_tokens=110, jobs=args.jobs),
        Case("TPM-bound", [MODEL], prompt_tokens=410, jobs=args.jobs),
        Case(f"pool of {len(POOL)}", POOL, prompt_tokens=410, jobs=args.pool_jobs, baseline="TPM-bound"),
    ]
    with tempfile.TemporaryDirectory(prefix="adp-bench-") as tmp:
        results = {case.name: run_case(case, args.items, args.minute, args.latency, Path(tmp)) for case in cases}
    passed = [report(result) for result in results.values()]
    for result in results.values():
        if result.case.baseline is not None:
            passed.append(report_pool(result, results[result.case.baseline]))
    sys.exit(0 if all(passed) else 1)


def report_pool(pool: Result, single: Result) -> bool:
    speedup = pool.items_per_s / single.items_per_s
    print(
        f"{pool.case.name} vs {single.case.name}: {speedup:.1f}x the throughput "
        f"[{verdict(speedup >= POOL_TARGET)} >= {POOL_TARGET:.1f}x]"
    )
    return speedup >= POOL_TARGET


if __name__ == "__main__":
    main()
