"""Rate-limit pacing: items against the stub's Groq limiter on a compressed clock.

    python -m bench.ratelimit [--items 300] [--minute 1.5] [--latency 0.02] [--jobs 8] [--pool-jobs 16]

Each case is a fresh stub with Groq's free-tier limits per model (30 RPM, 6K TPM for
llama-3.1-8b-instant; a "minute" of MINUTE seconds, a day of 1440 of them):

- RPM-bound: short prompts (112 tokens a request), so 30 requests a minute bind first; RPM
  is in no header, so the scheduler learns it from the first refusals.
- TPM-bound: long prompts (412 tokens a request), so 6000 tokens a minute bind first.
- pool of 7: the TPM-bound workload over 7 models with the same limits each; its throughput
  against the TPM-bound case's is the pool's gain. (The RPM-bound workload would not do: 7
  full budgets of 30 requests take most of the items at once, and what is left measures how
  fast one Python process sends, not pacing.)

The clock is a trade-off: with the same limits per model, the pool sends 7 x 300 / (the
TPM-bound case's seconds) requests a second. A minute of 1.5 s keeps that near 70/s, which the
stub and the SDK sharing one process sustain on a small, busy machine (2 CPUs, load 5: the
process gets about half a CPU and needs ~4 ms of it per request); at 0.6 s the pool case
measures the CPU rather than the pacing. The whole run takes about 45 s.

Workers are threads, each sending with the real groq SDK through ``adp_cli.ratelimits``
(``send_with`` + the scheduler's response hook); ``workload`` is the only part that knows how
items are sent. Printed per case: throughput against the limit-bound ideal (a full budget at
the start, then the refill rate of the binding budget, plus one reply's latency; ideal spread
for the pool), refused requests as a share of all requests, failed items; and the pool's
throughput against the one-model case's. Targets: >= 0.9 of ideal, <= 10 % refused, 0 failed,
pool >= 5x one model. Standard library + adp + groq.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import groq

from adp_cli.ratelimits import Scheduler, rate_limited_from, send_with
from tests.support.groqstub import GroqStub
from tests.support.ratelimits import FREE_TIER, ModelLimits, RateLimiter

MODEL = "llama-3.1-8b-instant"
POOL = [MODEL] + [f"pool-model-{n}" for n in range(1, 7)]
THROUGHPUT_TARGET = 0.9
REFUSED_TARGET = 0.10
POOL_TARGET = 5.0


@dataclass(frozen=True)
class Case:
    name: str
    models: list[str]
    prompt_tokens: int
    jobs: int
    baseline: str | None = None  # the one-model case this pool is compared with


@dataclass(frozen=True)
class Outcome:
    """What the workload saw: items done and failed, and seconds from start to last reply."""

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


def workload(base_url: str, models: Sequence[str], items: int, jobs: int, prompt_tokens: int) -> Outcome:
    """Send ``items`` chat requests over ``jobs`` threads, each through the rate-limit scheduler
    (the main session will make this run the real CLI instead)."""
    scheduler = Scheduler()
    client = groq.Groq(
        api_key="gsk_bench_dummy_key",
        base_url=base_url,
        http_client=groq.DefaultHttpxClient(event_hooks={"response": [scheduler.response_hook]}),
    )
    messages = [{"role": "user", "content": "x" * (prompt_tokens * 4)}]  # the stub counts chars / 4

    def send(model: str) -> None:
        try:
            client.chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]
        except groq.APIStatusError as error:
            limited = rate_limited_from(error, model)
            if limited is None:
                raise
            raise limited from error

    failures = 0
    lock = threading.Lock()

    def one(_: int) -> None:
        nonlocal failures
        try:
            send_with(scheduler, models, prompt_tokens, send)
        except Exception:  # a failed item is counted, as a batch reports it, never raised
            with lock:
                failures += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, range(items)))
    return Outcome(items - failures, failures, time.perf_counter() - started)


def ideal_seconds(limits: ModelLimits, minute: float, items: int, case: Case, cost: int, latency: float) -> float:
    """The floor: each model's budgets start full and refill at their rate, items spread
    evenly, and the binding budget (requests or tokens) sets the time, plus one reply; or
    what ``jobs`` workers can send at ``latency`` a reply, when that is slower."""
    per_model = items / len(case.models)
    requests = (per_model - limits.rpm) * minute / limits.rpm
    tokens = (per_model * cost - limits.tpm) * minute / limits.tpm
    return max(max(0.0, requests, tokens) + latency, items * latency / case.jobs)


def run_case(case: Case, items: int, minute: float, latency: float) -> Result:
    completion = 12
    with GroqStub(latency=latency, prompt_tokens=case.prompt_tokens, completion_tokens=completion) as stub:
        limits = {model: FREE_TIER[MODEL] for model in case.models}
        limiter = RateLimiter(minute=minute, limits=limits).attach(stub)
        outcome = workload(stub.base_url, case.models, items, case.jobs, case.prompt_tokens)
        answered, refused = limiter.answered, limiter.refused
    cost = case.prompt_tokens + completion
    ideal = ideal_seconds(FREE_TIER[MODEL], minute, items, case, cost, latency)
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
    print(
        f"{args.items} items per case; a minute lasts {args.minute} s; stub latency "
        f"{args.latency * 1000:.0f} ms; free-tier limits per model (30 RPM, 6000 TPM)"
    )
    cases = [
        Case("RPM-bound", [MODEL], prompt_tokens=100, jobs=args.jobs),
        Case("TPM-bound", [MODEL], prompt_tokens=400, jobs=args.jobs),
        Case("pool of 7", POOL, prompt_tokens=400, jobs=args.pool_jobs, baseline="TPM-bound"),
    ]
    results = {case.name: run_case(case, args.items, args.minute, args.latency) for case in cases}
    passed = [report(result) for result in results.values()]
    for result in results.values():
        if result.case.baseline is not None:
            passed.append(report_pool(result, results[result.case.baseline]))
    sys.exit(0 if all(passed) else 1)


def report_pool(pool: Result, single: Result) -> bool:
    speedup = pool.items_per_s / single.items_per_s
    print(
        f"{pool.case.name} vs {single.case.name}: {speedup:.1f}x the throughput "
        f"[{verdict(speedup >= POOL_TARGET)} >= {POOL_TARGET:.0f}x]"
    )
    return speedup >= POOL_TARGET


def load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):  # Windows has no load average
        return "n/a"


if __name__ == "__main__":
    main()
