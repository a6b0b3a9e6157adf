"""The fixtures every Batch API test file shares (registered by ``tests/conftest.py``): a
manual clock, the Batch API stand-in on it, the real SDK to look at what adp left at Groq, a
ten-item input and the ``-o`` beside it. A file that needs another one defines its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from groq import Groq

from tests.support.batchapi import BatchAPI, ManualClock
from tests.support.batchjobs import COUNT, STEPS
from tests.support.cli import TEST_KEY
from tests.support.groqstub import GroqStub
from tests.support.items import wizard_items, write_jsonl


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def api(groq: GroqStub, clock: ManualClock) -> BatchAPI:
    return BatchAPI(groq, timings=STEPS, clock=clock)


@pytest.fixture
def sdk(groq: GroqStub) -> Groq:
    """The real SDK, to look at what adp left at Groq."""
    return Groq(api_key=TEST_KEY, base_url=groq.base_url, max_retries=0)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "items.jsonl", wizard_items(COUNT))


@pytest.fixture
def output(tmp_path: Path) -> Path:
    return tmp_path / "out.jsonl"
