"""``adp cost``: count tokens and price them, or report what the ledger says was spent."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from adp_cli.accounting import billing, catalog, ledger, prices
from adp_cli.accounting.tokens import count_tokens
from adp_cli.documents import MAX_DOCUMENT_BYTES, stdin_bytes
from adp_cli.errors import InputError, UsageError
from adp_cli.transports import served_list
from adp_cli.transports.base import Connection


def text_tokens(text: str | None, file: Path | None, tokens: int | None) -> int:
    """The input token count from exactly one of TEXT, ``-`` (stdin), ``--file`` or ``--tokens``."""
    given = [value is not None for value in (text, file, tokens)]
    if sum(given) != 1:
        raise UsageError("give exactly one of TEXT, - (stdin), --file FILE or --tokens N")
    if tokens is not None:
        return tokens
    return count_tokens(_read_text(text, file))


def _read_text(text: str | None, file: Path | None) -> str:
    try:
        if file is not None:
            return _limited(file.open("rb"), str(file))
        if text == "-":
            return _limited(stdin_bytes(), "stdin")
    except UnicodeDecodeError as error:
        raise InputError(f"{file or 'stdin'}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise InputError(f"{file}: cannot read: {error.strerror or error}") from None
    return text or ""


def _limited(stream: IO[bytes], name: str) -> str:
    """Read up to the document limit: counting is for prompts, not corpora."""
    with stream:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"{name}: larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; too large to count")
    return data.decode("utf-8")


def cost_rows(tokens: int, output_tokens: int, model: str | None) -> list[dict[str, Any]]:
    """One row per model, cheapest first: prices per 1M tokens and the cost of these tokens, at the
    prices a run would pay (Groq's own list as last read beats the snapshot). Without ``model``,
    every text model Groq serves (or may still serve: not the retired ones); a model with no
    known price is listed last, its price and cost unknown (None)."""
    if model is not None:
        models = [model]
    else:
        models = [
            m
            for m in prices.known_model_ids()
            if catalog.category_of(m) is catalog.Category.TEXT and catalog.lifecycle_of(m).status is not catalog.Status.RETIRED
        ]
    book = served_list.price_book(served_list.remembered(Connection()))
    rows = []
    for name in models:
        price = book.price(name)
        if price is None and name not in prices.known_model_ids():
            raise UsageError(f"no price known for model {name!r}; see `adp models` or set ADP_PRICES_FILE")
        rows.append(
            {
                "model": name,
                "input_price": None if price is None else price.input,
                "output_price": None if price is None else price.output,
                "unit": None if price is None else price.unit,
                "source": None if price is None else price.source,
                "cost_usd": None if price is None else billing.cost(price, tokens, output_tokens),
            }
        )
    return sorted(rows, key=lambda row: (row["cost_usd"] is None, row["cost_usd"] or 0.0, row["model"]))


@dataclass(frozen=True)
class CostReport:
    """The tokens counted and what they cost on each model, cheapest first."""

    tokens: int
    output_tokens: int
    rows: list[dict[str, Any]]
    model: str | None  # the one model asked for, else every text model

    def to_json(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "output_tokens": self.output_tokens, "encoding": "o200k_base", "models": self.rows}


def cost(text: str | None, file: Path | None, tokens: int | None, output_tokens: int, model: str | None) -> CostReport:
    count = text_tokens(text, file, tokens)
    return CostReport(count, output_tokens, cost_rows(count, output_tokens, model), model)


@dataclass(frozen=True)
class LedgerReport:
    """The ledger's entries per day and model, and their total."""

    path: Path
    rows: list[dict[str, Any]]

    @property
    def total_usd(self) -> float:
        return float(f"{sum(row['cost_usd'] for row in self.rows):.7g}")

    def to_json(self) -> dict[str, Any]:
        return {"ledger": str(self.path), "entries": self.rows, "total_usd": self.total_usd}


def spending(days: int | None) -> LedgerReport:
    return LedgerReport(_ledger_path(), [asdict(entry) for entry in ledger.entries(days)])


def _ledger_path() -> Path:
    path = ledger.ledger_path()
    if path is None:
        raise UsageError("the ledger is off (COST_TRACKING_FILE=off)")
    return path


CHART_DAYS = 7  # a week: what people look at to see how their spending goes


@dataclass(frozen=True)
class Day:
    """One calendar day's spending over every model."""

    day: date
    requests: int
    cost_usd: float


@dataclass(frozen=True)
class Chart:
    """``adp cost --ledger --chart``: every day of the span, oldest first."""

    days: list[Day]


def chart(days: int | None = None) -> Chart:
    return Chart(daily_spending(days))


def daily_spending(days: int | None = None) -> list[Day]:
    """Every one of the last ``days`` days (default a week) up to today, oldest first, with the
    days nothing was spent included, so a chart shows the gaps."""
    _ledger_path()
    count = days or CHART_DAYS
    today = date.today()
    span = [today - timedelta(days=back) for back in range(count - 1, -1, -1)]
    requests: dict[str, int] = {}
    costs: dict[str, float] = {}
    for entry in ledger.entries(count):
        requests[entry.day] = requests.get(entry.day, 0) + entry.requests
        costs[entry.day] = costs.get(entry.day, 0.0) + entry.cost_usd
    return [
        Day(day, requests.get(day.isoformat(), 0), float(f"{costs.get(day.isoformat(), 0.0):.7g}")) for day in span
    ]
