"""One-shot overhead: ``adp casual`` against the same request sent by a bare groq SDK script.

    python -m bench.oneshot [--runs 7] [--profile]

Starts the loopback Groq server from tests/support/groqstub.py at zero latency, so the network costs
nothing and what is left is process start-up, imports and adp's own work. Times (a)
``adp casual samples/rock.yaml -m openai/gpt-oss-20b --json -q`` against (b)
``bench/floor_client.py``, which sends the identical request (checked on the stub; a reasoning
model's parameters included) with the groq SDK and prints the reply. Runs are interleaved after one warm-up each; the ledger stays on
(a temp file) because it is part of a real one-shot. Target: adp / floor <= 1.4x. A third
command, adp started without its console script (so with Python's garbage collector on during
start-up, as the floor has it), is timed for the record.

``--profile`` adds ``python -X importtime`` (top 15 cumulative imports) and a cProfile of the
same adp run in-process. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

from bench.timing import REPO, adp_script, clean_env, interleaved, load, print_medians, run
from tests.support.groqstub import GroqStub

MODEL = "openai/gpt-oss-20b"  # Groq's replacement for the guide's llama-3.1-8b-instant
COLLECTOR_ON = "import sys; sys.argv[0] = 'adp'; from adp_cli.cli import main; main()"
TARGET = 1.4  # issue 7: the redesign must keep a one-shot within 1.4x
ROCK_YAML = """\
genre:
  primary: Rock
  secondary: [Alternative Rock]
mood: [energetic, uplifting]
energy: [high]
texture: [dense]
instrumentation:
  - instrument: Electric Guitar
    role: lead
    descriptors: [distorted, aggressive]
  - instrument: Drums
    role: rhythm
    descriptors: [driving, powerful]
vocals:
  presence: lead
  gender: male
  style: powerful
bpm: 140
"""


def ledger_requests(path: Path) -> int:
    """Requests the ledger has counted, whatever the day; 0 when it was never written."""
    if not path.exists():
        return 0
    found = 0

    def walk(node: object) -> None:
        nonlocal found
        if isinstance(node, dict):
            if isinstance(node.get("requests"), int):
                found += node["requests"]
            else:
                for value in node.values():
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text(encoding="utf-8")))
    return found


def import_times(argv: list[str], env: dict[str, str], cwd: str) -> list[tuple[int, int, int, str]]:
    """``python -X importtime`` rows of one run: (cumulative us, self us, depth, module)."""
    _, proc = run([sys.executable, "-X", "importtime", *argv], env, cwd)
    rows = []
    for line in proc.stderr.decode(errors="replace").splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if match:
            rows.append((int(match.group(2)), int(match.group(1)), len(match.group(3)) // 2, match.group(4)))
    return rows


def profile(adp_args: list[str], floor_argv: list[str], env: dict[str, str], cwd: str) -> None:
    """Where adp's time goes: import times (all, and those the floor does not pay), then cProfile."""
    rows = import_times(["-m", "adp_cli", *adp_args], env, cwd)
    total = sum(self_us for _, self_us, _, _ in rows)
    print(f"\n-X importtime of adp: {len(rows)} modules, {total / 1000:.1f} ms in imports (sum of self times)")
    print(f"{'cumulative ms':>13} {'self ms':>8}  module (depth)")
    for cumulative, self_us, depth, name in sorted(rows, reverse=True)[:15]:
        print(f"{cumulative / 1000:>13.1f} {self_us / 1000:>8.1f}  {name} ({depth})")

    floor_modules = {name for _, _, _, name in import_times(floor_argv[1:], env, cwd)}
    extra: dict[str, int] = {}
    for _, self_us, _, name in rows:
        if name not in floor_modules:
            group = name if name.startswith("adp_cli") else name.split(".")[0]
            extra[group] = extra.get(group, 0) + self_us
    print(f"\nimports the floor does not pay: {sum(extra.values()) / 1000:.1f} ms (self times, by package)")
    for group, self_us in sorted(extra.items(), key=lambda item: -item[1])[:15]:
        print(f"{self_us / 1000:>13.1f}  {group}")

    script = (
        "import cProfile, pstats, sys, time\n"
        f"sys.argv = ['adp', *{adp_args!r}]\n"
        "profiler = cProfile.Profile()\n"
        "started = time.perf_counter()\n"
        "profiler.enable()\n"
        "try:\n"
        "    from adp_cli.cli import main\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "profiler.disable()\n"
        "elapsed = time.perf_counter() - started\n"
        "print(f'in-process wall time under cProfile: {elapsed * 1000:.1f} ms', file=sys.stderr)\n"
        "stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats('cumulative')\n"
        "stats.print_stats(r'adp_cli[/\\\\]', 25)\n"
    )
    _, proc = run([sys.executable, "-c", script], env, cwd)
    print("\ncProfile of import adp_cli.cli + main(), adp_cli functions by cumulative time (imports included):")
    print(proc.stderr.decode(errors="replace").rstrip())


LOAD0 = load()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    parser.add_argument("--profile", action="store_true", help="also show import times and a cProfile of adp")
    args = parser.parse_args()

    adp = str(adp_script())
    stub = GroqStub(latency=0.0).start()
    try:
        with tempfile.TemporaryDirectory(prefix="adp-bench-") as tmp:
            sample = REPO / "samples" / "rock.yaml"
            if not sample.exists():
                sample = Path(tmp) / "rock.yaml"
                sample.write_text(ROCK_YAML, encoding="utf-8")
            ledger = Path(tmp) / "ledger.json"
            env = clean_env(
                GROQ_API_KEY="gsk_bench",
                GROQ_BASE_URL=stub.base_url,
                ADP_CACHE_DIR=str(Path(tmp) / "cache"),
                COST_TRACKING_FILE=str(ledger),
            )
            workdir = Path(tmp) / "cwd"  # no stray .env from the caller's folder
            workdir.mkdir()
            cwd = str(workdir)

            # The exact request adp sends (with the reasoning parameters and the token cap it picks
            # for the model), for the floor script; this also warms the token cache and reads
            # the server's model list once, as a user's first run of the day does.
            adp_args = ["casual", str(sample), "-m", MODEL, "--json", "-q"]
            seen = len(stub.chat_requests)
            run([adp, *adp_args], env, cwd)
            if len(stub.chat_requests) != seen + 1:
                sys.exit(f"bench: adp sent {len(stub.chat_requests) - seen} chat requests, expected 1")
            request_file = Path(tmp) / "request.json"
            request_file.write_text(json.dumps(stub.chat_requests[seen].body), encoding="utf-8")

            commands = {
                "adp casual": [adp, *adp_args],
                "floor (groq SDK)": [sys.executable, str(REPO / "bench" / "floor_client.py"), str(request_file)],
                # adp as it would be without its console script turning the garbage collector off
                # for start-up (adp_cli/__main__.py): shown so the saving is on record.
                "adp, collector on": [sys.executable, "-c", COLLECTOR_ON, *adp_args],
            }
            # Warm-up of each, then check all sent the very same request body.
            for label, argv in commands.items():
                seen = len(stub.chat_requests)
                run(argv, env, cwd)
                if len(stub.chat_requests) != seen + 1:
                    sys.exit(f"bench: {label} sent {len(stub.chat_requests) - seen} chat requests, expected 1")
            bodies = {label: r.body for label, r in zip(commands, stub.chat_requests[-len(commands) :])}
            if any(body != bodies["floor (groq SDK)"] for body in bodies.values()):
                sys.exit("bench: the requests differ:\n" + "\n".join(f"{label}: {body}" for label, body in bodies.items()))

            times = interleaved(commands, args.runs, env, cwd)
            counted = ledger_requests(ledger)

            print(f"python {sys.version.split()[0]}; stub {stub.base_url} (latency 0); {args.runs} runs each, interleaved, 1 warm-up")
            print(f"input {sample}; identical request bodies checked on the stub; ledger counted {counted} adp requests")
            print(f"load average before/after: {LOAD0} / {load()}")
            medians = print_medians(times)
            ratio = medians["adp casual"] / medians["floor (groq SDK)"]
            verdict = "OK" if ratio <= TARGET else "MISSED"
            print(f"adp / floor = {ratio:.2f}x  (target <= {TARGET:.1f}x: {verdict})")
            print(f"adp with the collector on / floor = {medians['adp, collector on'] / medians['floor (groq SDK)']:.2f}x  (for the record)")

            if args.profile:
                profile(adp_args, commands["floor (groq SDK)"], env, cwd)
    finally:
        stub.stop()


if __name__ == "__main__":
    main()
