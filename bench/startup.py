"""Start-up cost of the adp CLI against the floor of importing its UI libraries.

    python bench/startup.py [--runs 7]

Times ``adp --help`` and ``adp models --json`` (the real console script next to this
interpreter) against ``python -c "import typer, rich"``, interleaved round-robin after one
warm-up of each, and prints the medians and the ratios. Target: ``--help`` <= 2.0x the floor.
Standard library only; no API key and no network are needed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELP_TARGET = 2.0


def adp_script() -> Path:
    """The ``adp`` console script installed next to this interpreter (the venv's)."""
    name = "adp.exe" if os.name == "nt" else "adp"
    script = Path(sys.executable).with_name(name)
    if not script.exists():
        sys.exit(f"bench: {script} not found; run with the venv's python after `pip install -e .`")
    return script


def bench_env(cache_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GROQ_", "ADP_", "COST_TRACKING"))}
    env.update(ADP_CACHE_DIR=cache_dir, COST_TRACKING_FILE="off")
    return env


def run_once(argv: list[str], env: dict[str, str], cwd: str) -> float:
    """Wall time of one subprocess in seconds; a failing command stops the bench."""
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} exited {proc.returncode}:\n{proc.stderr.decode(errors='replace')}")
    return elapsed


def interleaved(commands: dict[str, list[str]], runs: int, env: dict[str, str], cwd: str) -> dict[str, list[float]]:
    """One warm-up each, then ``runs`` rounds of every command in turn (round-robin)."""
    for argv in commands.values():
        run_once(argv, env, cwd)
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, argv in commands.items():
            times[label].append(run_once(argv, env, cwd))
    return times


def load() -> str:
    """The 1-minute load average, where the OS has one: a busy machine makes every number worse."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "n/a"


LOAD0 = load()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    args = parser.parse_args()

    adp = str(adp_script())
    commands = {
        "import typer,rich": [sys.executable, "-c", "import typer, rich"],
        "adp --help": [adp, "--help"],
        "adp models --json": [adp, "models", "--json"],
    }
    with tempfile.TemporaryDirectory(prefix="adp-bench-") as tmp:
        times = interleaved(commands, args.runs, bench_env(tmp), tmp)

    medians = {label: statistics.median(values) * 1000 for label, values in times.items()}
    floor = medians["import typer,rich"]
    print(f"python {sys.version.split()[0]} ({sys.executable}); {args.runs} runs each, interleaved, 1 warm-up")
    print(f"load average before/after: {LOAD0} / {load()}")
    print(f"{'command':<20} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for label, values in times.items():
        print(f"{label:<20} {medians[label]:>10.1f} {min(values) * 1000:>8.1f} {max(values) * 1000:>8.1f}")
    help_ratio = medians["adp --help"] / floor
    models_ratio = medians["adp models --json"] / floor
    verdict = "OK" if help_ratio <= HELP_TARGET else "MISSED"
    print(f"adp --help / import typer,rich        = {help_ratio:.2f}x  (target <= {HELP_TARGET:.1f}x: {verdict})")
    print(f"adp models --json / import typer,rich = {models_ratio:.2f}x")


if __name__ == "__main__":
    main()
