"""Start-up cost of the adp CLI against the floor of importing its UI libraries.

    python -m bench.startup [--runs 7]

Times ``adp --help`` and ``adp models --json`` (the real console script next to this
interpreter) against ``python -c "import typer, rich"``, interleaved round-robin after one
warm-up of each, and prints the medians and the ratios. Target: ``--help`` <= 1.3x the floor.
Standard library only; no API key and no network are needed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from bench.timing import adp_script, clean_env, interleaved, load, print_medians

HELP_TARGET = 1.3  # issue 12: completion on, and still within 1.3x


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
        env = clean_env(ADP_CACHE_DIR=tmp, COST_TRACKING_FILE="off")
        interleaved(commands, 1, env, tmp)  # warm-up
        times = interleaved(commands, args.runs, env, tmp)

    print(f"python {sys.version.split()[0]} ({sys.executable}); {args.runs} runs each, interleaved, 1 warm-up")
    print(f"load average before/after: {LOAD0} / {load()}")
    medians = print_medians(times)
    floor = medians["import typer,rich"]
    help_ratio = medians["adp --help"] / floor
    models_ratio = medians["adp models --json"] / floor
    verdict = "OK" if help_ratio <= HELP_TARGET else "MISSED"
    print(f"adp --help / import typer,rich        = {help_ratio:.2f}x  (target <= {HELP_TARGET:.1f}x: {verdict})")
    print(f"adp models --json / import typer,rich = {models_ratio:.2f}x")


if __name__ == "__main__":
    main()
