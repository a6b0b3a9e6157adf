"""Shared fixtures: the loopback Groq server, an isolated environment, sample files, and runners
for the real CLI (in process through Typer's CliRunner, or as a subprocess)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support.cli import TEST_KEY, run_adp
from tests.support.groqstub import GroqStub

pytest_plugins = ["tests.support.batchfixtures"]  # the Batch API test files' shared fixtures

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="session", autouse=True)
def token_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One o200k rank cache for the whole session (only the first count pays the parse), and no
    test, with or without the ``env`` fixture, touches the real user's cache, ledger or log."""
    folder = tmp_path_factory.mktemp("adp-cache")
    saved = {name: os.environ.get(name) for name in ("ADP_CACHE_DIR", "COST_TRACKING_FILE", "ADP_LOGS_DB")}
    os.environ["ADP_CACHE_DIR"] = str(folder)
    os.environ["COST_TRACKING_FILE"] = str(tmp_path_factory.mktemp("ledger") / "daily-costs.json")
    os.environ["ADP_LOGS_DB"] = str(tmp_path_factory.mktemp("logs") / "logs.db")
    yield folder
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def _no_remembered_model_list(token_cache: Path) -> None:
    """Groq's list is remembered per API root for a day, and a new stub may get the port an
    earlier test's stub had: each test starts with no list remembered (tests that remember one
    do it themselves)."""
    for remembered in token_cache.glob("groq-models-*.json"):
        remembered.unlink()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, token_cache: Path) -> dict[str, str]:
    """A clean environment: no real key or provider, no forced terminal, a private ledger, log,
    cache and working dir."""
    for name in list(os.environ):
        if name.startswith(("GROQ_", "ADP_", "COST_TRACKING", "LOG_LEVEL", "NO_COLOR", "FORCE_COLOR", "TTY_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ADP_CACHE_DIR", str(token_cache))
    monkeypatch.setenv("COST_TRACKING_FILE", str(tmp_path / "ledger.json"))
    monkeypatch.setenv("ADP_LOGS_DB", str(tmp_path / "logs.db"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    return dict(os.environ)


@pytest.fixture
def groq(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[GroqStub]:
    """A started loopback Groq, with GROQ_BASE_URL and a test key pointing the SDK at it."""
    with GroqStub() as stub:
        monkeypatch.setenv("GROQ_BASE_URL", stub.base_url)
        monkeypatch.setenv("GROQ_API_KEY", TEST_KEY)
        yield stub


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _fresh_console() -> Iterator[None]:
    """adp keeps one Rich console per stream per process; give each test its own (and its COLUMNS)."""
    from adp_cli.output import console as render

    render.err_console.cache_clear()
    render.out_console.cache_clear()
    yield
    render.err_console.cache_clear()
    render.out_console.cache_clear()


@pytest.fixture
def adp():
    return run_adp


@pytest.fixture
def rock_yaml() -> Path:
    return SAMPLES / "rock.yaml"
