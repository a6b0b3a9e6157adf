"""Listings (``models``, ``cost``, ``cost --ledger``) on stdout: a Rich table on a terminal that
fits 80 columns and never cuts money, tab-separated lines when piped; every other table fits 80
columns too; and the spending chart.

The terminal runs are the real console script in a subprocess with ``TTY_COMPATIBLE=1`` (Rich's
switch for "this is a terminal", portable where a pseudo-terminal is not) and ``COLUMNS``.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adp_cli.accounting.catalog import ALL_GROQ_MODELS, TEXT_GENERATION_MODELS, GroqModel
from adp_cli.accounting.ledger import Call, record
from tests.support.cli import one_line, run, run_adp, tsv
from tests.support.groqstub import GroqStub
from tests.support.items import wizard_items, write_jsonl

FAST = "openai/gpt-oss-20b"  # 0.075 in / 0.30 out / 0.0375 cached per 1M tokens
INSTANT = "llama-3.1-8b-instant"  # retired on 2026-08-16; a ledger keeps what was spent on it
MAVERICK = GroqModel.LLAMA_4_MAVERICK_17B.value  # the longest id: 45 characters (retired on 2026-03-09)
ALL_IDS = [model.value for model in ALL_GROQ_MODELS]  # the guide's 21, then today's
ANSI = re.compile(r"\x1b\[[0-9;]*m")
MONEY = re.compile(r"\$[0-9][0-9,]*(?:\.[0-9]+)?")

Terminal = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def terminal(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Terminal:
    """``adp ARGS`` as a terminal of ``columns`` columns sees it, colour codes removed."""

    def run_in_terminal(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
        monkeypatch.setenv("TTY_COMPATIBLE", "1")
        monkeypatch.setenv("COLUMNS", str(columns))
        result = run_adp(*args)
        result.stdout, result.stderr = ANSI.sub("", result.stdout), ANSI.sub("", result.stderr)
        return result

    return run_in_terminal


def cells(line: str) -> list[str]:
    """A borderless table row's cells: columns are at least two spaces apart."""
    return re.split(r" {2,}", line.strip())


def assert_fits(text: str, columns: int = 80) -> None:
    """Every line within the width, and nothing cut short anywhere."""
    assert "…" not in text, text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= columns, text


def rows_starting_with(text: str, first: str) -> list[list[str]]:
    return [cells(line) for line in text.splitlines() if line.startswith(first)]


# --- models ----------------------------------------------------------------------------------


def test_models_table_on_a_terminal_fits_80_columns_with_prices_whole(terminal: Terminal) -> None:
    result = terminal("models")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert_fits(result.stdout)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Groq models, USD per 1M tokens") and "/h: per audio hour" in lines[0]
    assert cells(lines[1]) == ["id", "category", "$ in", "$ out", "pool", "status"]
    # With the status column, ids longer than what 80 columns leave fold onto the next line, whole.
    body = unfold(lines[2:])
    assert [row[0] for row in body] == ALL_IDS
    by_id = {row[0]: row for row in body}
    assert by_id[FAST] == [FAST, "text", "0.075", "0.30", "yes", "production"]
    assert by_id[INSTANT] == [INSTANT, "text", "0.05", "0.08", "retired"]
    assert by_id["moonshotai/kimi-k2-instruct"] == ["moonshotai/kimi-k2-instruct", "text", "1.00", "3.00", "retired"]
    assert by_id["whisper-large-v3"] == ["whisper-large-v3", "audio", "0.111/h", "0.111/h", "production"]
    assert by_id[MAVERICK][1:] == ["text", "0.20", "0.60", "retired"]
    assert by_id["qwen/qwen3.6-27b"] == ["qwen/qwen3.6-27b", "text", "?", "?", "preview"]  # no price known offline
    assert "genai-prices" not in result.stdout and "GPT_OSS_20B" not in result.stdout


@pytest.mark.parametrize("flag", ["--wide", "-v"])
def test_models_wide_adds_unit_enum_owner_and_source_whole(terminal: Terminal, flag: str) -> None:
    result = terminal("models", flag)

    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    lines = result.stdout.splitlines()
    assert cells(lines[1]) == [
        "id", "category", "$ in", "$ out", "$ cached", "per", "pool", "status", "retired", "replacement", "enum", "owner", "source"
    ]
    fast = next(cells(line) for line in lines if line.startswith(FAST + " "))
    assert fast[:6] == [FAST, "text", "0.075", "0.30", "0.0375", "1M tokens"]
    assert fast[6:] == ["yes", "production", "GPT_OSS_20B", "OpenAI", fast[-1]] and fast[-1].startswith("genai-prices ")
    instant = next(cells(line) for line in lines if line.startswith(INSTANT + " "))
    # no cached price stated: a cached token costs as much as any other
    assert instant[:-1] == [
        INSTANT, "text", "0.05", "0.08", "0.05", "1M tokens", "retired", "2026-08-16", "openai/gpt-oss-20b", "LLAMA_3_1_8B_INSTANT", "Meta"
    ]
    allam = next(cells(line) for line in lines if line.startswith("allam-2-7b "))
    assert allam[-3:] == ["ALLAM_2_7B", "SDAIA", "guide (estimate)"]


def test_models_live_at_80_columns_cuts_nothing(terminal: Terminal, groq: GroqStub) -> None:
    groq.live_models.append("moonshotai/kimi-k3")  # listed without a price, unknown to genai-prices
    result = terminal("models", "--live")

    assert result.returncode == 0, result.stderr
    assert_fits(result.stdout)
    lines = result.stdout.splitlines()
    assert cells(lines[1]) == ["id", "category", "$ in", "$ out", "pool", "status", "live"]
    # Ids longer than what 80 columns leave fold onto the next line, whole.
    body = unfold(lines[2:])
    statuses = [row[-1] for row in body]
    # gone: the 10 retired models and PlayAI's two; new: qwen3.8, Orpheus x2 and kimi-k3
    assert (statuses.count("gone"), statuses.count("new"), len(statuses)) == (12, 4, 27)
    assert rows_starting_with(result.stdout, "gemma2-9b-it ") == [["gemma2-9b-it", "text", "0.20", "0.20", "retired", "gone"]]
    assert rows_starting_with(result.stdout, "moonshotai/kimi-k3 ") == [["moonshotai/kimi-k3", "text", "?", "?", "production", "new"]]
    assert rows_starting_with(result.stdout, FAST + " ") == [[FAST, "text", "0.075", "0.30", "yes", "production", "live"]]
    assert [row[0] for row in body][:23] == ALL_IDS
    assert body[ALL_IDS.index(MAVERICK)] == [MAVERICK, "text", "0.20", "0.60", "retired", "gone"]


def unfold(lines: list[str]) -> list[list[str]]:
    """Table rows with a folded first cell put back together (its tail is a line of one cell)."""
    rows: list[list[str]] = []
    for line in lines:
        row = cells(line)
        if len(row) == 1 and rows:
            rows[-1][0] += row[0]
        else:
            rows.append(row)
    return rows


def test_models_piped_ignores_the_width(cli: CliRunner, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "20")
    narrow = run(cli, "models", "--category", "audio")
    monkeypatch.setenv("COLUMNS", "300")
    wide = run(cli, "models", "--category", "audio", "--wide")

    assert narrow.stdout == wide.stdout
    assert [(row["id"], row["input"], row["unit"]) for row in tsv(narrow.stdout)] == [
        ("whisper-large-v3", "0.111", "audio hour"),
        ("whisper-large-v3-turbo", "0.04", "audio hour"),
    ]


def test_models_json_is_unchanged_by_a_terminal(terminal: Terminal, cli: CliRunner) -> None:
    assert json.loads(terminal("models", "--json").stdout) == json.loads(run(cli, "models", "--json").stdout)


# --- cost ------------------------------------------------------------------------------------


def test_cost_table_on_a_terminal(terminal: Terminal) -> None:
    result = terminal("cost", "--tokens", "1000", "--output-tokens", "1000")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert_fits(result.stdout)
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "Cost of 1000 input + 1000 output tokens"
    assert cells(lines[1]) == ["model", "$/1M in", "$/1M out", "cost"]
    body = {row[0]: row for row in map(cells, lines[2:])}
    # today's text models, none retired: 1000 x in + 1000 x out per 1M
    assert body == {
        "allam-2-7b": ["allam-2-7b", "0.10", "0.10", "$0.0002"],
        FAST: [FAST, "0.075", "0.30", "$0.000375"],
        "openai/gpt-oss-120b": ["openai/gpt-oss-120b", "0.15", "0.60", "$0.00075"],
        "qwen/qwen3.6-27b": ["qwen/qwen3.6-27b", "?", "?", "?"],
    }
    assert list(body) == ["allam-2-7b", FAST, "openai/gpt-oss-120b", "qwen/qwen3.6-27b"]  # cheapest first, unknown last


def test_cost_of_one_model_wide(terminal: Terminal) -> None:
    result = terminal("cost", "--tokens", "120", "--output-tokens", "12", "-m", FAST, "--wide")

    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout  # wider than 80 columns: printed whole, the terminal wraps
    assert cells(result.stdout.splitlines()[1]) == ["model", "$/1M in", "$/1M out", "per", "cost", "source"]
    [row] = rows_starting_with(result.stdout, FAST)
    assert row[:5] == [FAST, "0.075", "0.30", "1M tokens", "$0.0000126"]  # 120 x 0.075 + 12 x 0.30 per 1M


# --- the ledger --------------------------------------------------------------------------------


@pytest.fixture
def ledger_week(env: dict[str, str]) -> date:
    """A week with gaps: 6 days ago, 3 days ago (two models), yesterday (the longest id), today."""
    today = date.today()
    record([Call(INSTANT, 1200, 120, 0.0000696, 10)], today - timedelta(days=6))
    record([Call(INSTANT, 12000, 1200, 0.000696, 100), Call(FAST, 5000, 9000, 0.003, 40)], today - timedelta(days=3))
    record([Call(MAVERICK, 120000, 12000, 0.0312, 1000)], today - timedelta(days=1))
    record([Call(INSTANT, 120, 12, 0.00000696, 1)], today)
    return today


def test_ledger_table_on_a_terminal_with_total(terminal: Terminal, ledger_week: date) -> None:
    result = terminal("cost", "--ledger")

    assert result.returncode == 0, result.stderr
    assert_fits(result.stdout)
    lines = result.stdout.splitlines()
    assert cells(lines[1]) == ["day", "model", "calls", "cost"]
    yesterday = (ledger_week - timedelta(days=1)).isoformat()
    assert rows_starting_with(result.stdout, yesterday) == [[yesterday, MAVERICK, "1000", "$0.0312"]]
    assert rows_starting_with(result.stdout, ledger_week.isoformat()) == [[ledger_week.isoformat(), INSTANT, "1", "$0.00000696"]]
    assert rows_starting_with(result.stdout, "total") == [["total", "1151", "$0.035"]]


def test_ledger_wide_adds_tokens(terminal: Terminal, ledger_week: date) -> None:
    result = terminal("cost", "--ledger", "--wide", "--days", "2")

    assert result.returncode == 0, result.stderr
    assert cells(result.stdout.splitlines()[1]) == ["day", "model", "calls", "prompt", "completion", "cost"]
    assert rows_starting_with(result.stdout, "total") == [["total", "1001", "120120", "12012", "$0.0312"]]


def test_ledger_piped_has_every_field_and_no_total(cli: CliRunner, ledger_week: date) -> None:
    result = run(cli, "cost", "--ledger", "--days", "4")

    assert result.exit_code == 0, result.stderr
    rows = tsv(result.stdout)
    assert [(row["model"], row["requests"], row["cost_usd"]) for row in rows] == [
        (INSTANT, "100", "0.000696"), (FAST, "40", "0.003"), (MAVERICK, "1000", "0.0312"), (INSTANT, "1", "6.96e-06")
    ]
    assert "total" not in result.stdout


def chart_rows(text: str) -> dict[str, list[str]]:
    """Day label -> [bar, cost, calls] (an empty bar for a day with nothing spent)."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines()[1:]:
        match = re.fullmatch(r"(\w{3} \d{4}-\d{2}-\d{2})\s+([▏▎▍▌▋▊▉█]*)\s+(\$[\d.,]+)\s+(\d+ calls?)", line.strip())
        assert match, line
        rows[match[1]] = [match[2], match[3], match[4]]
    return rows


def test_chart_shows_a_week_with_its_gaps(cli: CliRunner, ledger_week: date) -> None:
    result = run(cli, "cost", "--ledger", "--chart")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].strip() == "Spending per day, last 7 days: $0.035"
    rows = chart_rows(result.stdout)
    labels = [f"{ledger_week - timedelta(days=back):%a %Y-%m-%d}" for back in range(6, -1, -1)]
    assert list(rows) == labels
    yesterday, three_ago, today = rows[labels[5]], rows[labels[3]], rows[labels[6]]
    assert yesterday[1:] == ["$0.0312", "1000 calls"]
    assert three_ago[1:] == ["$0.0037", "140 calls"]
    assert today[1:] == ["$0.00000696", "1 call"]
    assert [rows[labels[n]] for n in (1, 2, 4)] == [["", "$0", "0 calls"]] * 3
    longest = len(yesterday[0])
    assert longest > 20 and set(yesterday[0]) == {"█"}
    assert abs(len(three_ago[0]) - longest * 0.0037 / 0.0312) <= 1  # bars are proportional


def test_chart_days_and_terminal_width(terminal: Terminal, ledger_week: date) -> None:
    result = terminal("cost", "--ledger", "--chart", "--days", "2")

    assert result.returncode == 0, result.stderr
    assert_fits(result.stdout)
    rows = chart_rows(result.stdout)
    assert [row[1] for row in rows.values()] == ["$0.0312", "$0.00000696"]


def test_chart_of_an_empty_ledger(cli: CliRunner, env: dict[str, str]) -> None:
    result = run(cli, "cost", "--ledger", "--chart", "--days", "3")

    assert result.exit_code == 0, result.stderr
    assert [row for row in chart_rows(result.stdout).values()] == [["", "$0", "0 calls"]] * 3


@pytest.mark.parametrize(
    ("args", "says"),
    [(["--chart"], "--ledger"), (["--ledger", "--chart", "--json"], "--json")],
    ids=["without-ledger", "with-json"],
)
def test_chart_needs_the_ledger_and_no_json(adp, env: dict[str, str], args: list[str], says: str) -> None:
    result = adp("cost", *args)

    assert result.returncode == 2
    assert result.stdout == ""
    assert says in one_line(result.stderr)


def test_chart_with_the_ledger_off(cli: CliRunner, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COST_TRACKING_FILE", "off")
    result = run(cli, "cost", "--ledger", "--chart")

    assert result.exit_code == 2
    assert "COST_TRACKING_FILE" in one_line(result.stderr)


# --- the generation tables on stderr ---------------------------------------------------------


def test_usage_table_of_the_longest_model_id_at_80_columns(terminal: Terminal, groq: GroqStub) -> None:
    groq.live_models.append(MAVERICK)  # an enterprise plan with committed spend still serves it
    result = terminal("casual", "--genre", "Jazz", "-m", MAVERICK)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "A warm test phrase.\n"  # the answer alone; the table is on stderr
    assert_fits(result.stderr)
    header, *body = result.stderr.splitlines()
    assert cells(header) == ["model", "prompt", "completion", "total", "cost", "latency"]
    [row] = unfold(body)
    assert row[:5] == [MAVERICK, "120", "12", "132", "$0.0000312"]  # 120 x 0.20 + 12 x 0.60 per 1M


def test_batch_summary_at_80_columns(terminal: Terminal, groq: GroqStub, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "items.jsonl", wizard_items(3))
    result = terminal("casual", str(source), "-m", FAST)

    assert result.returncode == 0, result.stderr
    assert_fits(result.stderr)
    header = next(line for line in result.stderr.splitlines() if line.lstrip().startswith("items"))
    assert cells(header) == ["items", "succeeded", "failed", "skipped", "prompt", "completion", "cost", "items/s"]
    values = cells(result.stderr.splitlines()[result.stderr.splitlines().index(header) + 1])
    # 3 x (12 answer + 40 reasoning) completion tokens. The first call of the prompt prefix costs
    # 120 x 0.075 + 52 x 0.30 per 1M, the other two have 64 prompt tokens cached at 0.0375:
    # 2.46e-05 + 2 x 2.22e-05
    assert values[:7] == ["3", "3", "0", "0", "360", "156", "$0.000069"]


def test_dry_run_costs_at_80_columns(terminal: Terminal) -> None:
    result = terminal("casual", "--genre", "Jazz", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert_fits(result.stderr)
    pool = [model.value for model in TEXT_GENERATION_MODELS]
    rows = [row for row in map(cells, result.stderr.splitlines()) if row[0] in pool]
    assert sorted(row[0] for row in rows) == sorted(pool)
    assert all(len(row) == 4 and row[1].isdigit() and MONEY.fullmatch(row[2]) and MONEY.fullmatch(row[3]) for row in rows), rows
    fast = next(row for row in rows if row[0] == FAST)
    assert fast[1] == "4524"  # 3500 for the answer + 1024 for low-effort reasoning
    assert fast[3].startswith("$0.00137")  # 4524 completion tokens x 0.30 per 1M, plus the prompt
