"""The generation log: what an entry keeps, the ``adp logs`` queries, search that never trips
on FTS5 syntax, the cache's lookup and key, ``ADP_LOGS_DB`` (a path, ``off``, the default)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from adp_cli import history
from adp_cli.errors import LogError, UsageError
from adp_cli.history import Entry, Logged, LogStore, ModelCost, NullStore, cache_key

MOMENT = datetime(2026, 12, 1, 10, 30, 0, 123456, tzinfo=UTC)


def make_entry(**changes: Any) -> Entry:
    """A successful casual entry; ``changes`` override any field."""
    fields: dict[str, Any] = {
        "task": "casual",
        "provider": "groq",
        "model": "llama-3.1-8b-instant",
        "item": {"genre": {"primary": "Rock"}, "mood": ["energetic"]},
        "messages": [{"role": "user", "content": "Describe this track.\n\nMusic Data: Rock / energetic"}],
        "params": {"temperature": 0.7, "max_tokens": 3500},
        "reply": "Driving guitars and a restless beat.",
        "result": "Driving guitars and a restless beat.",
        "time": MOMENT,
        **changes,
    }
    return Entry(**fields)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LogStore]:
    with LogStore(tmp_path / "logs.db") as opened:
        yield opened


def record_all(store: LogStore, *entries: Entry) -> list[int]:
    return [store.record(entry) for entry in entries]


def shown(store: LogStore, entry_id: int) -> Logged:
    """``store.entry`` for an id that must be there."""
    read = store.entry(entry_id)
    assert read is not None
    return read


def test_an_entry_comes_back_whole(store: LogStore) -> None:
    written = make_entry(
        task="bpm",
        provider="openai",
        server="localhost:11434",
        model="qwen3:8b",
        item={"input_phrase": "808 drums, dark trap", "id": 7},
        messages=[{"role": "system", "content": "Estimate BPM."}, {"role": "user", "content": "808 drums"}],
        params={"temperature": 0.3, "max_tokens": 10, "seed": 4},
        reply="140 BPM",
        result=140,
        prompt_tokens=120,
        cached_tokens=64,
        completion_tokens=3,
        reasoning_tokens=0,
        cost_usd=None,
        latency_ms=412.5,
        run_id="run-1",
        item_index=3,
        item_id=7,
        cache_key="k" * 64,
    )

    entry_id = store.record(written)

    read = shown(store, entry_id)
    assert read == Logged(**vars(written), id=entry_id)
    assert type(read.result) is int and type(read.item_id) is int


def test_a_failure_is_logged_with_its_error_and_a_string_id_stays_a_string(store: LogStore) -> None:
    entry_id = store.record(
        make_entry(reply=None, result=None, error_type="bad_reply", error_message="no BPM in 'fast'", item_id="7")
    )

    read = shown(store, entry_id)
    assert (read.result, read.reply, read.error_type, read.error_message) == (None, None, "bad_reply", "no BPM in 'fast'")
    assert read.item_id == "7"
    assert read.succeeded is False


def test_a_lone_surrogate_is_kept_as_its_escape(store: LogStore) -> None:
    """JSON may carry ``"\\ud800"``, UTF-8 (and so SQLite) cannot: the log keeps the escape."""
    entry_id = store.record(make_entry(reply="A broken \ud800 phrase.", item_id="a\udfffb", error_message="bad \ud800"))

    read = shown(store, entry_id)
    assert (read.reply, read.item_id, read.error_message) == ("A broken \\ud800 phrase.", "a\\udfffb", "bad \\ud800")


def test_a_value_json_cannot_write_is_a_log_error_and_the_log_goes_on(store: LogStore) -> None:
    with pytest.raises(LogError, match=r"this entry cannot be written \(Exceeds the limit \(4300 digits\)"):
        store.record(make_entry(item={"id": 16**5000}))

    assert shown(store, store.record(make_entry())).succeeded


def test_show_of_an_unknown_id_is_none(store: LogStore) -> None:
    assert store.entry(12345) is None


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_entry(time=datetime(2026, 12, 1, 10, 30))


def test_entries_are_newest_first_and_twenty_by_default(store: LogStore) -> None:
    ids = record_all(store, *(make_entry(reply=f"reply {n}") for n in range(25)))

    assert [entry.id for entry in store.entries()] == ids[::-1][:20]
    assert [entry.id for entry in store.entries(limit=3)] == ids[::-1][:3]
    assert [entry.id for entry in store.entries(limit=None)] == ids[::-1]
    assert store.entries(limit=0) == []


def test_task_and_model_filters_match_exactly(store: LogStore) -> None:
    casual, bpm, other_model = record_all(
        store, make_entry(), make_entry(task="bpm", result=120), make_entry(model="openai/gpt-oss-20b")
    )

    assert [entry.id for entry in store.entries(task="bpm")] == [bpm]
    assert [entry.id for entry in store.entries(task="casual")] == [other_model, casual]
    assert [entry.id for entry in store.entries(model="openai/gpt-oss-20b")] == [other_model]
    assert store.entries(model="openai/gpt-oss") == []
    assert [entry.id for entry in store.entries(task="casual", model="llama-3.1-8b-instant")] == [casual]


def test_since_takes_an_iso_datetime_with_an_offset(store: LogStore) -> None:
    before, after = record_all(
        store,
        make_entry(time=datetime(2026, 11, 30, 23, 59, tzinfo=UTC)),
        make_entry(time=datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),
    )

    assert [entry.id for entry in store.entries(since="2026-12-01T00:00Z")] == [after]
    assert [entry.id for entry in store.entries(since="2026-12-01T01:00+01:00")] == [after]
    assert [entry.id for entry in store.entries(since=datetime(2026, 11, 30, 23, 59, tzinfo=UTC))] == [after, before]


def test_a_bare_date_or_datetime_is_local_time(store: LogStore) -> None:
    """"What did I generate today": a date means local midnight, whatever the machine's zone."""
    local_midnight = datetime(2026, 12, 1).astimezone()
    before, after = record_all(
        store, make_entry(time=local_midnight - timedelta(seconds=1)), make_entry(time=local_midnight)
    )

    assert [entry.id for entry in store.entries(since="2026-12-01")] == [after]
    assert [entry.id for entry in store.entries(since="2026-11-30T23:59:59")] == [after, before]
    assert [entry.id for entry in store.entries(since=local_midnight.date())] == [after]


def test_since_beyond_the_newest_entry_finds_nothing(store: LogStore) -> None:
    record_all(store, make_entry(), make_entry(task="bpm", result=90))

    assert store.entries(since="2026-12-02") == []
    assert store.entries(since="2026-12-02", task="bpm") == []
    assert store.entries(since="2026-12-02", search="guitars") == []


@pytest.mark.parametrize("since", ["today", "2026-13-01", "yesterday 10:00", ""])
def test_since_that_is_no_iso_date_is_a_usage_error(store: LogStore, since: str) -> None:
    with pytest.raises(UsageError) as caught:
        store.entries(since=since)

    assert str(caught.value) == (
        f"--since {since!r} is not an ISO date (2026-12-01) or date and time (2026-12-01T09:30, 2026-12-01T09:30Z)"
    )


@pytest.fixture
def searchable(store: LogStore) -> dict[str, int]:
    """Entries whose words sit in the item, the prompt or the reply."""
    ids = record_all(
        store,
        make_entry(item={"instrument": "808 drums"}, messages=[{"role": "user", "content": "plain"}], reply="Deep."),
        make_entry(item={}, messages=[{"role": "user", "content": "a drum kit, brushed"}], reply="Soft."),
        make_entry(item={}, messages=[{"role": "user", "content": "plain"}], reply='A drum-kit "a"b" Café NOT near'),
        make_entry(item={}, messages=[{"role": "user", "content": "drum and kit"}], reply="Loose."),
        make_entry(task="bpm", item={"input_phrase": "808 cowbell"}, reply="128", result=128),
    )
    return dict(zip(["808-item", "drum-kit-prompt", "reply", "drum-and-kit", "bpm-808"], ids, strict=True))


def found(store: LogStore, text: str, **filters: Any) -> list[int]:
    return [entry.id for entry in store.entries(search=text, **filters)]


def test_search_looks_in_the_item_the_prompt_and_the_reply(store: LogStore, searchable: dict[str, int]) -> None:
    assert found(store, "808") == [searchable["bpm-808"], searchable["808-item"]]
    assert found(store, "brushed") == [searchable["drum-kit-prompt"]]
    assert found(store, "loose") == [searchable["drum-and-kit"]]
    assert found(store, "808", task="casual") == [searchable["808-item"]]


def test_search_words_must_all_be_there(store: LogStore, searchable: dict[str, int]) -> None:
    assert found(store, "808 cowbell") == [searchable["bpm-808"]]
    assert found(store, "808 brushed") == []


def test_a_hyphenated_word_finds_its_parts_side_by_side(store: LogStore, searchable: dict[str, int]) -> None:
    expected = [searchable["reply"], searchable["drum-kit-prompt"]]

    assert found(store, "drum-kit") == expected
    assert found(store, "drum kit") == [searchable["drum-and-kit"], *expected]


def test_search_ignores_diacritics_and_field_names(store: LogStore, searchable: dict[str, int]) -> None:
    assert found(store, "cafe") == [searchable["reply"]]
    assert found(store, "instrument") == []


@pytest.mark.parametrize(
    "text",
    ['a"b', '"', "NOT", "OR near", "drum*", "reply:deep", "(808", "^808", "808)", "-808", "NEAR(a b)", "{input}: x", "'"],
)
def test_fts5_syntax_in_search_text_is_just_text(store: LogStore, searchable: dict[str, int], text: str) -> None:
    """No query is an error; each finds exactly the entries that hold its words as words."""
    expected = {
        'a"b': [searchable["reply"]],
        "NOT": [searchable["reply"]],
        "808)": [searchable["bpm-808"], searchable["808-item"]],
        "(808": [searchable["bpm-808"], searchable["808-item"]],
        "^808": [searchable["bpm-808"], searchable["808-item"]],
        "drum*": [searchable["drum-and-kit"], searchable["reply"], searchable["drum-kit-prompt"]],
        "-808": [searchable["bpm-808"], searchable["808-item"]],
    }

    assert found(store, text) == expected.get(text, [])


def test_empty_search_text_is_a_usage_error(store: LogStore) -> None:
    with pytest.raises(UsageError, match="^the search text is empty: give a word to search for$"):
        store.entries(search="   ")


@pytest.fixture
def cache_entries(store: LogStore) -> dict[str, int]:
    key = "a" * 64
    ids = record_all(
        store,
        make_entry(cache_key=key, reply="first", result="first"),
        make_entry(cache_key=key, reply="second", result="second"),
        make_entry(cache_key=key, reply=None, result=None, error_type="api_error", error_message="503"),
        make_entry(cache_key=key, reply="second", result="second", cached=True, cost_usd=0.0),
        make_entry(cache_key="b" * 64, reply="other", result="other"),
    )
    return dict(zip(["first", "second", "failed", "served", "other"], ids, strict=True))


def test_lookup_returns_the_newest_real_success_for_the_key(store: LogStore, cache_entries: dict[str, int]) -> None:
    hit = store.lookup("a" * 64)

    assert hit is not None and (hit.id, hit.result, hit.cached) == (cache_entries["second"], "second", False)


def test_lookup_misses_an_unknown_key_and_a_key_that_only_failed(store: LogStore) -> None:
    store.record(make_entry(cache_key="c" * 64, reply=None, result=None, error_type="api_error", error_message="x"))

    assert store.lookup("c" * 64) is None
    assert store.lookup("d" * 64) is None


def test_cache_key_is_sha256_of_the_documented_canonical_json() -> None:
    canonical = (
        '{"messages":[{"content":"Genre: Rock. Mood: énergique.","role":"user"}],"model":null,'
        '"settings":{"seed":4,"temperature":0.7},"task":"casual","v":2}'
    )

    key = cache_key("casual", [{"role": "user", "content": "Genre: Rock. Mood: énergique."}], {"temperature": 0.7, "seed": 4}, None)

    assert key == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_cache_key_ignores_order_but_not_what_changes_the_reply() -> None:
    messages = [{"role": "user", "content": "Genre: Rock. Mood: dark."}]
    settings = {"temperature": 0.7, "seed": 4}
    key = cache_key("casual", messages, settings, None)

    assert cache_key("casual", [{"content": "Genre: Rock. Mood: dark.", "role": "user"}], {"seed": 4, "temperature": 0.7}, None) == key
    changed = [
        cache_key("structure", messages, settings, None),
        cache_key("casual", [{"role": "user", "content": "Genre: Rock. Mood: calm."}], settings, None),
        cache_key("casual", [{"role": "system", "content": "Be brief."}, *messages], settings, None),
        cache_key("casual", messages, {"temperature": 0.3, "seed": 4}, None),
        cache_key("casual", messages, {"temperature": 0.7, "seed": 4, "max_tokens": 100}, None),
        cache_key("casual", messages, settings, "openai/gpt-oss-20b"),
    ]
    assert key not in changed and len(set(changed)) == len(changed)


def test_cache_key_refuses_what_json_cannot_hold() -> None:
    messages = [{"role": "user", "content": "Tempo?"}]
    with pytest.raises(ValueError):
        cache_key("bpm", messages, {"temperature": float("nan")}, None)
    with pytest.raises(TypeError):
        cache_key("bpm", messages, {"when": datetime(2026, 12, 1)}, None)


def test_costs_sum_per_model_most_expensive_first(store: LogStore) -> None:
    record_all(
        store,
        make_entry(model="a", prompt_tokens=100, completion_tokens=10, cost_usd=0.25),
        make_entry(model="a", prompt_tokens=50, completion_tokens=5, cost_usd=0.5),
        make_entry(model="a", cost_usd=0.0, cached=True),
        make_entry(model="b", prompt_tokens=7, completion_tokens=1, cost_usd=None),
        make_entry(model="b", cost_usd=1.0, reply=None, result=None, error_type="bad_reply", error_message="x"),
        make_entry(model="qwen3:8b", provider="openai", server="localhost:11434", cost_usd=None),
        make_entry(model="a", cost_usd=9.0, time=MOMENT - timedelta(days=8)),
    )

    assert store.costs(since="2026-11-25T00:00Z") == [
        ModelCost("groq", None, "b", 2, 0, 1, 1, 7, 1, 1.0),
        ModelCost("groq", None, "a", 3, 1, 0, 0, 150, 15, 0.75),
        ModelCost("openai", "localhost:11434", "qwen3:8b", 1, 0, 0, 1, 0, 0, 0.0),
    ]
    assert store.costs()[0] == ModelCost("groq", None, "a", 4, 1, 0, 0, 150, 15, 9.75)
    assert store.costs(task="bpm") == []


def test_no_key_reaches_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    groq_key, server_key = "gsk_live_key_0123456789abcdef", "sk-local-server-key-987654"
    monkeypatch.setenv("GROQ_API_KEY", groq_key)
    monkeypatch.setenv("OPENAI_API_KEY", server_key)
    with LogStore(tmp_path / "logs.db") as store:
        entry_id = store.record(
            make_entry(
                item={"note": f"pasted {server_key} by mistake"},
                params={"temperature": 0.7, "api_key": server_key, "extra_headers": {"Authorization": f"Bearer {groq_key}"}},
                error_type="api_error",
                error_message=f"401 for key {groq_key}: Authorization: Bearer {server_key}",
                reply=None,
                result=None,
            )
        )
        read = shown(store, entry_id)
        stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())

    assert read.error_message == "401 for key [redacted]: Authorization: Bearer [redacted]"
    assert read.item == {"note": "pasted [redacted] by mistake"}
    assert read.params == {"temperature": 0.7, "api_key": "[redacted]", "extra_headers": "[redacted]"}
    assert groq_key.encode() not in stored and server_key.encode() not in stored
    assert b"gsk_live" not in stored


@pytest.mark.parametrize(
    ("variable", "changes", "field", "expected"),
    [
        ("OPENAI_API_KEY", {"reply": "the key is sk-plain-123456 here"}, "reply", "the key is [redacted] here"),
        ("ADP_API_KEY", {"item": {"note": 'key sk"quoted\\123456'}}, "item", {"note": "key [redacted]"}),
        (None, {"params": {"temperature": 0.7, "X-API-KEY": "plainvalue"}}, "params", {"temperature": 0.7, "X-API-KEY": "[redacted]"}),
        (None, {"item": {"login": {"Password": "hunter22"}}}, "item", {"login": {"Password": "[redacted]"}}),
        (None, {"error_message": "no route to http://user:pw@proxy.example", "error_type": "x"}, "error_message", "no route to http://[redacted]@proxy.example"),
        (None, {"reply": "half a pair \ud800 here"}, "reply", "half a pair \\ud800 here"),
    ],
    ids=["key-value", "key-with-quote", "credential-name", "nested-name", "url-userinfo", "lone-surrogate"],
)
def test_one_thing_to_hide_is_enough_to_have_the_entry_cleaned(
    store: LogStore, monkeypatch: pytest.MonkeyPatch, variable: str | None, changes: dict[str, Any], field: str, expected: Any
) -> None:
    """Entries are walked only when their text holds something to hide; each kind alone is found."""
    if variable is not None:
        monkeypatch.setenv(variable, "sk-plain-123456" if variable == "OPENAI_API_KEY" else 'sk"quoted\\123456')
    read = shown(store, store.record(make_entry(**changes)))
    assert getattr(read, field) == expected


def test_off_logs_nothing_and_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_LOGS_DB", "Off")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    with history.open_store() as store:
        assert isinstance(store, NullStore)
        assert store.record(make_entry()) is None
        assert store.lookup("a" * 64) is None
    assert history.logs_path() is None
    assert (history.entries(), history.entry(1), history.costs()) == ([], None, [])
    assert list(tmp_path.iterdir()) == []


def test_off_never_imports_sqlite3(tmp_path: Path) -> None:
    code = "import sys; from adp_cli import history; print(history.entries(), 'sqlite3' in sys.modules)"
    env = {**os.environ, "ADP_LOGS_DB": "off"}

    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, check=True)

    assert output.stdout == "[] False\n"


def test_the_path_comes_from_adp_logs_db_and_its_folders_are_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "deep" / "er" / "mine.db"
    monkeypatch.setenv("ADP_LOGS_DB", str(path))

    with history.open_store() as store:
        entry_id = store.record(make_entry())
    assert isinstance(entry_id, int)

    assert history.logs_path() == path
    assert path.is_file()
    assert [entry.id for entry in history.entries()] == [entry_id]
    assert [entry.result for entry in history.entries()] == [make_entry().result]


def test_a_home_relative_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADP_LOGS_DB", "~/adp/logs.db")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))

    assert history.logs_path() == tmp_path / "adp" / "logs.db"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG_DATA_HOME steers platformdirs on Linux only")
def test_the_default_is_logs_db_beside_the_cost_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from adp_cli.accounting.ledger import ledger_path

    monkeypatch.delenv("ADP_LOGS_DB", raising=False)
    monkeypatch.delenv("COST_TRACKING_FILE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    assert history.logs_path() == tmp_path / "xdg" / "adp" / "logs.db"
    assert ledger_path() == tmp_path / "xdg" / "adp" / "daily-costs.json"


def test_importing_the_package_imports_no_sqlite3() -> None:
    code = "import sys, adp_cli.history; print('sqlite3' in sys.modules)"

    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert output.stdout == "False\n"


def test_every_exported_name_resolves() -> None:
    for name in history.__all__:
        assert getattr(history, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        history.nope  # noqa: B018


def test_times_read_back_in_utc(store: LogStore) -> None:
    written = make_entry(time=datetime(2026, 12, 1, 11, 30, tzinfo=timezone(timedelta(hours=1))))

    read = shown(store, store.record(written))

    assert read.time == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    assert read.time.utcoffset() == timedelta(0)
