"""Prices and costs that cannot be (issue 19, item 18 a and b).

A price is at most $1,000,000 per 1M tokens (over 100,000 times Groq's dearest model), from
``ADP_PRICES_FILE`` and ``--price`` alike: a price near 1e308 overflowed to Infinity and made
the ledger unreadable. The ledger itself takes no count or cost no real call has, so nothing
can poison it. ``ADP_PRICES_FILE`` is read as an input document is: a regular file of at most
16 MB (``/dev/zero`` was read forever, a FIFO hung).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adp_cli.accounting import prices
from adp_cli.accounting.ledger import Call, Tab, entries, record
from adp_cli.errors import BadReplyError, ConfigError, UsageError
from tests.support.cli import one_line, run
from tests.support.groqstub import GroqStub

MODEL = "openai/gpt-oss-20b"


@pytest.fixture
def prices_file(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "prices.yaml"
    monkeypatch.setenv("ADP_PRICES_FILE", str(path))
    prices._override_prices.cache_clear()
    yield path
    prices._override_prices.cache_clear()


def test_a_price_near_1e308_is_refused_before_any_request(cli: CliRunner, groq: GroqStub, prices_file: Path) -> None:
    prices_file.write_text(f"{MODEL}: 1e308\n", encoding="utf-8")

    result = run(cli, "casual", "--genre", "Rock", "-m", MODEL)

    assert result.exit_code == 2
    assert one_line(result.stderr) == (
        f"adp: error: ADP_PRICES_FILE {prices_file}: price for '{MODEL}' must be a finite amount from 0 to 1000000 USD per 1M tokens"
    )
    assert groq.requests == []
    assert entries() == []


@pytest.mark.parametrize(
    ("entry", "accepted"),
    [("1000000", True), ("1000000.5", False), ("{input: 1.0, output: 2e6}", False), ("{input: 1.0, batch: 1}", True), ("{input: 1.0, batch: 1.01}", False)],
)
def test_the_bound_on_a_prices_file_entry(prices_file: Path, entry: str, accepted: bool) -> None:
    prices_file.write_text(f"{MODEL}: {entry}\n", encoding="utf-8")

    if accepted:
        assert prices.price_of(MODEL) is not None
    else:
        with pytest.raises(ConfigError, match="must be a finite amount from 0 to 1"):
            prices.price_of(MODEL)


@pytest.mark.parametrize("given", ["1e308", "0.05,1e308", "1000001", "inf", "nan,1"])
def test_a_price_option_over_the_bound_is_refused(given: str) -> None:
    with pytest.raises(UsageError, match=r"each from 0 to 1000000, e\.g\. 0\.05,0\.08$"):
        prices.parse_price(given)


def test_the_dearest_price_accepted_costs_a_finite_amount() -> None:
    assert prices.parse_price("1000000,1000000") == (1e6, 1e6)


@pytest.mark.parametrize(
    "call",
    [
        Call(MODEL, 100, 10, math.inf),
        Call(MODEL, 100, 10, math.nan),
        Call(MODEL, 100, 10, -0.01),
        Call(MODEL, 100, 10, 2.5e22),
        Call(MODEL, 100, 10, 111.0),  # $1,009,091 per 1M tokens
        Call(MODEL, -5, 10, 0.0),
        Call(MODEL, 10**30, 10, 1.0),
    ],
    ids=["inf", "nan", "negative", "2.5e22", "over the dearest price", "negative tokens", "1e30 tokens"],
)
def test_the_ledger_refuses_a_call_no_real_call_can_be_and_keeps_what_it_holds(env: dict[str, str], call: Call) -> None:
    record([Call(MODEL, 100, 10, 0.001)])
    before = Path(os.environ["COST_TRACKING_FILE"]).read_bytes()

    with pytest.raises(BadReplyError, match="^not recorded in the ledger: "):
        record([Call(MODEL, 1, 1, 0.0), call])

    assert Path(os.environ["COST_TRACKING_FILE"]).read_bytes() == before
    assert [(entry.requests, entry.cost_usd) for entry in entries()] == [(1, 0.001)]


def test_a_refused_call_does_not_poison_the_run_s_later_calls(env: dict[str, str]) -> None:
    tab = Tab()
    with pytest.raises(BadReplyError):
        tab.add(Call(MODEL, 100, 10, math.inf))
    tab.add(Call(MODEL, 100, 10, 0.002))

    today = json.loads(Path(os.environ["COST_TRACKING_FILE"]).read_text(encoding="utf-8"))["days"][date.today().isoformat()]
    assert today == {MODEL: {"requests": 1, "prompt_tokens": 100, "completion_tokens": 10, "cost_usd": 0.002}}


def price_of_in_a_child(prices_path: str) -> subprocess.CompletedProcess[str]:
    """``price_of`` in a subprocess with its memory capped (POSIX) and a timeout: reading
    ``/dev/zero`` whole or a FIFO must fail here, not take the machine or hang the suite."""
    code = (
        "import sys, resource\n"
        "if sys.platform != 'win32': resource.setrlimit(resource.RLIMIT_AS, (1024 * 1024 * 1024,) * 2)\n"
        "from adp_cli.accounting import prices\n"
        "from adp_cli.errors import ConfigError\n"
        "try:\n"
        f"    prices.price_of({MODEL!r})\n"
        "except ConfigError as error:\n"
        "    print(error)\n"
    )
    env = dict(os.environ, ADP_PRICES_FILE=prices_path)
    return subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=30, env=env)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_prices_file_that_is_dev_zero_is_refused(env: dict[str, str]) -> None:
    result = price_of_in_a_child("/dev/zero")

    assert (result.returncode, result.stdout) == (0, "ADP_PRICES_FILE /dev/zero: not a regular file\n"), result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_prices_file_that_is_a_fifo_is_refused_without_waiting(env: dict[str, str], tmp_path: Path) -> None:
    fifo = tmp_path / "prices.fifo"
    os.mkfifo(fifo)

    result = price_of_in_a_child(str(fifo))

    assert (result.returncode, result.stdout) == (0, f"ADP_PRICES_FILE {fifo}: not a regular file\n"), result.stderr


def test_a_prices_file_over_16_mb_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    huge = tmp_path / "prices.yaml"
    with huge.open("w", encoding="utf-8") as handle:
        handle.write(f"{MODEL}: 0.05\n")
        handle.writelines("# padding\n" for _ in range(1_700_000))

    result = price_of_in_a_child(str(huge))

    assert (result.returncode, result.stdout) == (0, f"ADP_PRICES_FILE {huge}: larger than 16 MB; a prices file is a few lines\n"), result.stderr
