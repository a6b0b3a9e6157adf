"""What a model costs, and where that figure comes from.

A run resolves every price the same way (``PriceBook``): ``--price``, then ``ADP_PRICES_FILE``,
then the server's own live list (Groq's ``/models`` states its prices), then genai-prices'
bundled snapshot (offline), then the design guide's flat table, marked as an estimate. A server
other than Groq is free unless the user prices it. genai-prices and yaml are imported only when
a price is actually needed.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from adp_cli.accounting.catalog import ALL_GROQ_MODELS, BATCH_PRICE_FACTOR, GUIDE_PRICES, GroqModel, model_id
from adp_cli.cache import cache_dir, write_best_effort
from adp_cli.documents import parse_yaml
from adp_cli.errors import ConfigError, InputError, UsageError
from adp_cli.text import quote

log = logging.getLogger("adp")
TOKENS = "1M tokens"
# genai-prices price fields, in order of preference, with the unit each one is per.
_PRICE_FIELDS: list[tuple[str, str, str]] = [
    ("input_mtok", "output_mtok", TOKENS),
    ("input_audio_hours", "audio_hours", "audio hour"),
    ("input_mchars", "output_mchars", "1M characters"),
]


@dataclass(frozen=True)
class Price:
    """What a model costs: USD per ``unit`` for input and for output, and where that came from."""

    input: float
    output: float
    unit: str
    source: str
    batch_factor: float = BATCH_PRICE_FACTOR  # the Batch API's price as a share of this one
    cached_input: float | None = None  # a prompt token served from the prompt cache; None: as input

    @property
    def estimate(self) -> bool:
        return self.source.startswith("guide")

    @property
    def batch(self) -> Price:
        """What the same model costs through the Batch API (already a batch price: no further discount)."""
        factor = self.batch_factor
        cached = None if self.cached_input is None else self.cached_input * factor
        return Price(self.input * factor, self.output * factor, self.unit, f"{self.source}, batch x{factor:g}", 1.0, cached)


def _genai_price(model: str) -> Price | None:
    """The bundled genai-prices snapshot's price for a Groq model, or None if it has none."""
    import genai_prices
    from genai_prices import data_snapshot

    try:
        _, info = data_snapshot.get_snapshot().find_provider_model(model, None, "groq", None)
    except LookupError:
        return None
    prices = info.prices if not isinstance(info.prices, list) else info.prices[-1].prices
    for input_field, output_field, unit in _PRICE_FIELDS:
        paid_in = getattr(prices, input_field, None)
        paid_out = getattr(prices, output_field, None)
        if paid_in is not None or paid_out is not None:
            cached = getattr(prices, "cache_read_mtok", None) if unit == TOKENS else None
            first = paid_in if paid_in is not None else paid_out
            assert first is not None
            return Price(
                input=float(first),
                output=float(paid_out if paid_out is not None else 0),
                unit=unit,
                source=f"genai-prices {genai_prices.__version__}",
                cached_input=None if cached is None else float(cached),
            )
    return None


@cache
def _override_prices(path: str | None) -> dict[str, Price]:
    """Prices from ``ADP_PRICES_FILE``: ``{model: {input, output, cached_input?, unit?, batch?}}``
    or ``{model: flat}``.

    Read like an input document: a regular file of at most ``MAX_DOCUMENT_BYTES`` (a FIFO
    would hang the read, ``/dev/zero`` would never end). A price is at most ``MAX_PRICE_USD``
    and a batch factor at most 1 (the Batch API is never dearer), so no cost can overflow to
    Infinity and reach the ledger."""
    from adp_cli.accounting.ledger_checks import MAX_PRICE_USD
    from adp_cli.documents import MAX_DOCUMENT_BYTES
    from adp_cli.files import is_special

    if not path:
        return {}
    try:
        if is_special(Path(path)):
            raise ConfigError(f"ADP_PRICES_FILE {path}: not a regular file")
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ConfigError(f"ADP_PRICES_FILE {path}: larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; a prices file is a few lines")
        doc = parse_yaml(data.decode("utf-8"), f"ADP_PRICES_FILE {path}") or {}
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"ADP_PRICES_FILE {path}: cannot read it: {error}") from None
    except InputError as error:
        raise ConfigError(str(error)) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"ADP_PRICES_FILE {path}: expected a mapping of model id to price")
    overrides: dict[str, Price] = {}
    for model, entry in doc.items():
        try:
            if isinstance(entry, dict):
                paid_in = float(entry.get("input", entry.get("output")))  # type: ignore[arg-type]  # None: TypeError, reported below
                paid_out = float(entry.get("output", paid_in))
                unit = entry.get("unit", TOKENS)
                if not isinstance(unit, str):
                    raise TypeError("the unit is not text")
                batch = float(entry.get("batch", BATCH_PRICE_FACTOR))
                cached = None if entry.get("cached_input") is None else float(entry["cached_input"])
            else:
                paid_in = paid_out = float(entry)
                unit = TOKENS
                batch = BATCH_PRICE_FACTOR
                cached = None
        except (TypeError, ValueError):
            raise ConfigError(f"ADP_PRICES_FILE {path}: bad price for {quote(model, 80)}: {quote(entry, 80)}") from None
        if not all(math.isfinite(value) and 0 <= value <= MAX_PRICE_USD for value in (paid_in, paid_out, cached or 0.0)):
            raise ConfigError(
                f"ADP_PRICES_FILE {path}: price for {quote(model, 80)} must be a finite amount from 0 to {MAX_PRICE_USD:.0f} USD per {unit}"
            )
        if not (math.isfinite(batch) and 0 <= batch <= 1):
            raise ConfigError(f"ADP_PRICES_FILE {path}: batch factor for {quote(model, 80)} must be a finite amount from 0 to 1 (a share of the price)")
        overrides[str(model)] = Price(paid_in, paid_out, unit, "ADP_PRICES_FILE", batch, cached)
    return overrides


def _overrides() -> dict[str, Price]:
    return _override_prices(os.environ.get("ADP_PRICES_FILE"))


def override_price(model: str) -> Price | None:
    """The model's price from ``ADP_PRICES_FILE`` alone: what a model on another server costs
    when the user says so (it is free otherwise)."""
    return _overrides().get(model)


def price_of(model: str) -> Price | None:
    """The price of one Groq model without a live list: override file, then genai-prices, then
    the guide (estimate)."""
    return PriceBook().price(model)


def _catalog_price(model: str) -> Price | None:
    """genai-prices' snapshot, then the guide's flat table (an estimate)."""
    found = _cached_genai_price(model)
    if found:
        return found
    try:
        flat = GUIDE_PRICES.get(GroqModel(model))
    except ValueError:
        return None
    return None if flat is None else Price(flat, flat, TOKENS, "guide (estimate)")


def _cached_genai_price(model: str) -> Price | None:
    """genai-prices' answer, remembered in the user cache per genai-prices version: loading its
    snapshot costs ~70 ms, more than a one-shot call can spare."""
    known = _price_cache()
    if model not in known:
        price = _genai_price(model)
        known[model] = None if price is None else asdict(price)
        write_best_effort(_price_cache_file(), json.dumps(known, indent=1).encode("utf-8"))
    entry = known[model]
    return None if entry is None else Price(**entry)


@cache
def _price_cache() -> dict[str, dict[str, Any] | None]:
    try:
        loaded = json.loads(_price_cache_file().read_text(encoding="utf-8"))
        return loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError):
        return {}


@cache
def _price_cache_file() -> Path:
    from importlib.metadata import version

    return cache_dir() / f"groq-prices-v2-genai-{version('genai-prices')}.json"  # v2: with cached-input prices


def known_model_ids() -> list[str]:
    """Every model adp can price: the guide's 21 and any the override file adds."""
    extra = [m for m in _overrides() if m not in GroqModel._value2member_map_]
    return [m.value for m in ALL_GROQ_MODELS] + extra


class _InputPrices(Mapping[str, float]):
    """``GROQ_PRICING[model]``: the input price per 1M tokens, resolved lazily so importing is cheap.
    Its keys are the models with a known price, so ``dict(GROQ_PRICING)`` never meets a key it
    cannot look up (a model priced only by Groq's live list, such as qwen3.6, is not one)."""

    def __getitem__(self, model: str) -> float:
        price = price_of(model_id(model))
        if price is None:
            raise KeyError(model)
        return price.input

    def __iter__(self) -> Iterator[str]:
        return (model for model in known_model_ids() if price_of(model) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and price_of(model_id(model)) is not None


GROQ_PRICING: Mapping[str, float] = _InputPrices()


def parse_price(text: str) -> tuple[float, float]:
    """``--price IN,OUT`` (USD per 1M tokens); one number prices input and output alike. Each
    is at most ``MAX_PRICE_USD``, as in ``ADP_PRICES_FILE``."""
    from adp_cli.accounting.ledger_checks import MAX_PRICE_USD

    parts = [part.strip() for part in text.split(",")]
    try:
        prices = [float(part) for part in parts]
    except ValueError:
        prices = []
    if len(prices) not in (1, 2) or not all(math.isfinite(price) and 0 <= price <= MAX_PRICE_USD for price in prices):
        raise UsageError(f"--price {text!r}: expected IN,OUT in USD per 1M tokens, each from 0 to {MAX_PRICE_USD:.0f}, e.g. 0.05,0.08")
    return prices[0], prices[-1]


def round_cost(cost: float) -> float:
    """Costs are reported to 7 significant figures, as the guide does."""
    return float(f"{cost:.7g}")


def calculate_cost(total_tokens: int, model: str | GroqModel) -> float:
    """The guide's estimate: every token at the input price, to 7 significant figures."""
    return round_cost(total_tokens / 1_000_000 * GROQ_PRICING[model])




FREE = Price(0.0, 0.0, TOKENS, "local (free)")
LIVE_SOURCE = "Groq /models"


def live_price(pricing: Mapping[str, float] | None) -> Price | None:
    """A price from a server's model list (USD per token, as Groq states it) per 1M tokens."""
    if not pricing or "prompt" not in pricing:
        return None
    per_million = {key: round(value * 1_000_000, 9) for key, value in pricing.items()}
    return Price(
        per_million["prompt"],
        per_million.get("completion", per_million["prompt"]),
        TOKENS,
        LIVE_SOURCE,
        cached_input=per_million.get("input_cache_read"),
    )


class PriceBook:
    """Every price of one run, resolved one way for every run mode (one-shot, batch, Batch API,
    dry run, budget): ``--price``, ``ADP_PRICES_FILE``, the server's live list, the snapshot,
    the guide. ``groq=False`` is a server Groq's catalog says nothing about: free unless priced."""

    def __init__(self, given: tuple[float, float] | None = None, *, groq: bool = True) -> None:
        self._given = None if given is None else Price(given[0], given[1], TOKENS, "--price")
        if self._given is None:
            _overrides()  # a broken ADP_PRICES_FILE fails here, before any request (Groq's list too)
        self._live: dict[str, Price] = {}
        self._groq = groq
        self._unpriced: set[str] = set()
        self._lock = threading.Lock()

    def adopt(self, live: Mapping[str, Price]) -> None:
        """The prices the server states for its models (Groq's ``/models``)."""
        self._live = dict(live)

    def price(self, model: str) -> Price | None:
        model = model_id(model)
        if self._given is not None:
            return self._given
        override = override_price(model)
        if override is not None:
            return override
        if not self._groq:
            return FREE
        return self._live.get(model) or _catalog_price(model)

    def cost(
        self, model: str, prompt_tokens: int, completion_tokens: int, *, cached_tokens: int = 0, batch: bool = False
    ) -> float | None:
        """USD for one call's usage on ``model``; None for a model with no known price (shown as
        unknown, never as a silent $0), with a warning once per run."""
        from adp_cli.accounting import billing

        price = self.price(model)
        if price is None:
            with self._lock:
                warn = model not in self._unpriced
                self._unpriced.add(model)
            if warn:
                log.warning("no price known for %s: its cost is unknown (set it in ADP_PRICES_FILE)", model)
            return None
        return billing.cost(price, prompt_tokens, completion_tokens, cached_tokens=cached_tokens, batch=batch)
