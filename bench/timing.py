"""What the benchmarks share: the adp script, timed subprocess runs, round-robin timing, and
a printed table of medians."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def adp_script() -> Path:
    """The ``adp`` console script installed next to this interpreter (the venv's)."""
    name = "adp.exe" if os.name == "nt" else "adp"
    script = Path(sys.executable).with_name(name)
    if not script.exists():
        sys.exit(f"bench: {script} not found; run with the venv's python after `pip install -e .`")
    return script


def clean_env(**settings: str) -> dict[str, str]:
    """This environment without the caller's Groq/adp settings, plus ``settings``.

    Without ``PYTHONDONTWRITEBYTECODE`` too: a user's adp runs from compiled bytecode (pip
    compiles a package when it installs it; an editable install writes it on the first run), as
    the SDK and Typer always do here; with it, every timed run would compile adp's own modules
    from source and measure the compiler."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GROQ_", "ADP_", "COST_TRACKING")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(settings)
    return env


def run(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    """Wall time of one subprocess in seconds; a failing command stops the bench."""
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} exited {proc.returncode}:\n{proc.stderr.decode(errors='replace')}")
    return elapsed, proc


def interleaved(commands: dict[str, list[str]], runs: int, env: dict[str, str], cwd: str) -> dict[str, list[float]]:
    """``runs`` rounds of every command in turn (round-robin), so machine noise hits all alike."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, argv in commands.items():
            times[label].append(run(argv, env, cwd)[0])
    return times


def load() -> str:
    """The 1-minute load average, where the OS has one: a busy machine makes every number worse."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "n/a"


def print_medians(times: dict[str, list[float]]) -> dict[str, float]:
    """A table of median, min and max in ms; returns the medians."""
    medians = {label: statistics.median(values) * 1000 for label, values in times.items()}
    width = max(map(len, times)) + 2
    print(f"{'command':<{width}} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for label, values in times.items():
        print(f"{label:<{width}} {medians[label]:>10.1f} {min(values) * 1000:>8.1f} {max(values) * 1000:>8.1f}")
    return medians


def vm_rss_mb(pid: int) -> float | None:
    """A process's resident memory now, from /proc (Linux); None elsewhere or once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


@contextmanager
def rss_samples(pid: int, every: float = 0.05) -> Iterator[list[float]]:
    """The process's RSS every ``every`` seconds while the block runs: a flat curve shows memory
    does not grow with the input."""
    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(every):
            if (rss := vm_rss_mb(pid)) is not None:
                samples.append(rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield samples
    finally:
        done.set()
        sampler.join()
