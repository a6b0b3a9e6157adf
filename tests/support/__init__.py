"""What the tests and the benchmarks share: the loopback Groq server, CLI runners, sample items.

Importable as ``tests.support`` from the repository root (pytest puts it on ``sys.path``;
benchmarks run as ``python -m bench.NAME``), so nothing needs a ``sys.path`` insert.
"""
