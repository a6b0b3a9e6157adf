"""The ``adp`` console script, and ``python -m adp_cli``.

Most of a one-shot is start-up: some 600 modules and thousands of classes whose objects live
until the process exits. Python's cyclic garbage collector scans them again and again while they
are created and finds nothing to free: about 110 ms of a ~540 ms one-shot, most of what adp adds
to a bare SDK script (bench/oneshot.py). So the process starts with the collector off; a command
that streams a batch or waits for one turns it back on (``process.long_running``) before its
long part begins.
"""

import gc


def main() -> None:
    gc.disable()
    from adp_cli.cli.program import main as run

    run()


if __name__ == "__main__":
    main()
