"""Bad input never crashes: random and hostile input to every subcommand.

Every run must end in a result or a one-line ``adp: error: ...`` on stderr with exit 2 -
never a traceback, never exit 1 for bad input. Batches (JSON Lines, JSON arrays, YAML lists)
are judged by their own rule: one JSON line per item on stdout, each with ``index``; exit 1
only when an item failed; exit 2 (one error line) when the input as a whole is unusable.

Most runs go through the real console entry point ``adp_cli.cli.main`` in process (fast);
runs that could hang or eat memory (50 MB files, YAML bombs) and runs that need raw argv
bytes go through a subprocess with a time limit.

No network: generations use ``--dry-run`` (no key needed), ``--provider offline``, or the
plain groq provider with no ``GROQ_API_KEY`` (which must end in a one-line exit-2 error).
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from adp_cli.cli import main

# No shrinking: a failing example is reported as found, so a failing run stays as quick as a
# passing one (the whole file runs in well under a minute either way).
FUZZ = settings(
    max_examples=40,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # write nothing into the repository
    derandomize=True,  # the same examples on every run, so CI failures are reproducible
)

FUZZ_MORE = settings(FUZZ, max_examples=80)

# Every test runs in the isolated environment of conftest's ``env`` (no key, private ledger and
# cache, a temporary working directory); as a mark, so Hypothesis does not print it with examples.
pytestmark = pytest.mark.usefixtures("env")

COMMANDS = ("casual", "structure", "bpm")
WIZARD_KEYS = (
    "genre", "mood", "energy", "texture", "instrumentation", "vocals", "bpm", "id", "primary",
    "secondary", "instrument", "role", "descriptors", "presence", "gender", "style",
)


# ---------------------------------------------------------------------------------------------
# Running adp


Result = tuple[int, str, str]


def run_main(capsys: pytest.CaptureFixture[str], args: list[str], stdin_bytes: bytes | None = None) -> Result:
    """``adp ARGS`` through the console entry point, in process: (exit code, stdout, stderr).

    An exception escaping ``main()`` would be a traceback for a real user: it is reported as
    exit 1 with the traceback appended to stderr, so the invariants below catch it.
    """
    saved = sys.argv, sys.stdin
    log = logging.getLogger("adp")
    sys.argv = ["adp", *args]
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin_bytes or b""), encoding="utf-8")
    log.handlers.clear()  # adp binds its log handler to the sys.stderr of its first run
    capsys.readouterr()
    code: int
    crash = ""
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        code, crash = 1, traceback.format_exc()
    finally:
        sys.argv, sys.stdin = saved
        log.handlers.clear()
    out, err = capsys.readouterr()
    return code, out, err + crash


def run_sub(args: list[str], *, stdin: bytes | Path | None = None, timeout: float = 20, memory_mb: int | None = None) -> Result:
    """``python -m adp_cli ARGS`` with raw bytes in and out; a time limit and optionally a memory cap.

    Arguments may hold lone surrogates: they reach the child as the raw (non-UTF-8) bytes a
    shell would pass.
    """

    def limit_memory() -> None:  # pragma: no cover - runs in the child
        import resource

        size = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    handle = stdin.open("rb") if isinstance(stdin, Path) else None
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "adp_cli", *args],
            input=stdin if isinstance(stdin, bytes) else None,
            stdin=handle if handle is not None else (None if isinstance(stdin, bytes) else subprocess.DEVNULL),
            capture_output=True,
            timeout=timeout,
            env=dict(os.environ),
            preexec_fn=limit_memory if memory_mb else None,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"adp {' '.join(a[:40] for a in args)} did not finish within {timeout} s")
    finally:
        if handle is not None:
            handle.close()
    return (
        completed.returncode,
        completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
    )


# ---------------------------------------------------------------------------------------------
# The invariants


def _strict_json(text: str) -> Any:
    """JSON as the RFC has it: NaN and Infinity are not JSON (jq and most parsers refuse them)."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _context(result: Result) -> str:
    code, out, err = result
    return f"exit {code}\n--- stdout ---\n{out[:3000]}\n--- stderr ---\n{err[:3000]}"


def assert_one_error_line(err: str, result: Result) -> str:
    """Exactly one line (a newline or carriage return from the input must not break it)."""
    lines = err.rstrip("\n").replace("\r", "\n").split("\n")
    assert len(lines) == 1, "expected exactly one error line on stderr\n" + _context(result)
    assert lines[0].startswith("adp: error: "), _context(result)
    return lines[0]


def check_common(result: Result) -> None:
    code, out, err = result
    assert "Traceback" not in out and "Traceback" not in err, _context(result)
    assert "internal error" not in err, "an unexpected exception reached the last line of defence\n" + _context(result)


def check_single(result: Result, *, dry_run: bool = False, want_result: str | None = None) -> None:
    """One item: exit 0 with a result, or exit 2 with one error line and nothing on stdout.

    ``--dry-run --json`` over the token limit is the one documented exit 2 that reports on
    stdout: its JSON says ``within_limit: false`` (and with ``-q`` stderr stays empty).
    """
    check_common(result)
    code, out, err = result
    assert code in (0, 2), "bad input must end in exit 0 or 2\n" + _context(result)
    if code == 2:
        if dry_run and out.strip():
            report = _strict_json(out)
            assert report["within_limit"] is False, _context(result)
            assert "adp: error" not in err, _context(result)
        else:
            assert out == "", "stdout must be empty on exit 2\n" + _context(result)
            assert_one_error_line(err, result)
        return
    assert "adp: error" not in err, _context(result)
    if dry_run:
        assert _strict_json(out)["within_limit"] is True, _context(result)
    elif want_result:
        document = _strict_json(out)
        assert want_result in document, _context(result)


def check_batch(result: Result, *, expect_items: int | None = None) -> list[dict[str, Any]]:
    """A batch: JSON lines with ``index`` in order; exit 1 iff an item failed; exit 2 = one line."""
    check_common(result)
    code, out, err = result
    assert code in (0, 1, 2), _context(result)
    lines = []
    for raw in out.split("\n")[:-1] if out else []:  # JSON Lines: split on \n only (U+2028 may be in a string)
        line = _strict_json(raw)
        assert isinstance(line, dict) and isinstance(line.get("index"), int), _context(result)
        if "error" in line:
            assert line["error"]["type"] != "internal_error", _context(result)
        lines.append(line)
    indices = [line["index"] for line in lines]
    assert indices == sorted(indices) and len(set(indices)) == len(indices), _context(result)
    failed = any("error" in line for line in lines)
    if code == 2:
        assert_one_error_line(err, result)
    else:
        assert "adp: error" not in err, _context(result)
        assert failed == (code == 1), "exit 1 exactly when an item failed\n" + _context(result)
        if expect_items is not None:
            assert indices == list(range(expect_items)), _context(result)
    return lines


def check_any(result: Result, *, dry_run: bool = False) -> None:
    """Input of unknown shape (random stdin): judged as a batch if the output is batch lines."""
    code, out, _ = result
    lines = out.split("\n")[:-1] if out else []
    looks_batch = bool(lines) and all(_is_index_line(line) for line in lines)
    if looks_batch or (code == 0 and not out and not dry_run) or (code == 1 and not dry_run):
        check_batch(result)
    else:
        check_single(result, dry_run=dry_run)


def _is_index_line(raw: str) -> bool:
    try:
        line = json.loads(raw)
    except ValueError:
        return False
    return isinstance(line, dict) and "index" in line


@pytest.fixture
def offline_provider() -> None:
    pytest.importorskip("adp_cli.offline", reason="the offline provider is not written yet")


# ---------------------------------------------------------------------------------------------
# Strategies

TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", " ", "none", "lead", "Rock", "x" * 600])
)
KEYS = st.sampled_from(WIZARD_KEYS) | st.text(max_size=12)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)
WORDS = st.text(max_size=20) | st.sampled_from(["calm", "high", "Rock", "warm", ""])
WORD_LISTS = WORDS | st.lists(WORDS, max_size=4) | SCALARS
INSTRUMENT = st.fixed_dictionaries(
    {},
    optional={"instrument": WORDS | SCALARS, "role": WORDS | SCALARS, "descriptors": WORD_LISTS, "extra": SCALARS},
)
# Shaped like wizard data, with any field possibly of the wrong type: reaches the validators.
WIZARDISH = st.fixed_dictionaries(
    {},
    optional={
        "id": SCALARS,
        "genre": WORDS | SCALARS | st.fixed_dictionaries({}, optional={"primary": WORDS | SCALARS, "secondary": WORD_LISTS}),
        "mood": WORD_LISTS,
        "energy": WORD_LISTS,
        "texture": WORD_LISTS,
        "instrumentation": INSTRUMENT | st.lists(INSTRUMENT | SCALARS, max_size=3) | SCALARS,
        "vocals": st.fixed_dictionaries({}, optional={k: WORDS | SCALARS for k in ("presence", "gender", "style")}) | SCALARS,
        "bpm": st.integers(-10, 2000) | SCALARS,
        "input_phrase": WORDS | SCALARS,
        "standardized_phrase": WORDS | SCALARS,
        "subgenres": WORD_LISTS,
    },
)
ANY_DOCUMENT = WIZARDISH | DOCUMENTS


def _yaml_text(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=False, sort_keys=False)


def write_document(folder: Path, fmt: str, document: Any) -> Path:
    """One document as a .json/.yaml/.yml file or an extension-less file (JSON or YAML text)."""
    name = {"json": "item.json", "yaml": "item.yaml", "yml": "item.yml", "noext-json": "item", "noext-yaml": "item-y"}[fmt]
    path = folder / name
    text = _yaml_text(document) if "yaml" in fmt or fmt == "yml" else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return path


def write_batch(folder: Path, fmt: str, documents: list[Any]) -> Path:
    if fmt == "jsonl":
        path = folder / "items.jsonl"
        path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    elif fmt == "json-array":
        path = folder / "items.json"
        path.write_text(json.dumps(documents), encoding="utf-8")
    else:
        path = folder / "items.yaml"
        path.write_text(_yaml_text(documents), encoding="utf-8")
    return path


def _wizard_flags(command: str) -> st.SearchStrategy[list[str]]:
    """Field flags that override a file's fields (including over a wrongly typed field)."""
    choices = ["--genre=Rock", "--subgenre=Indie", "--mood=calm", "--energy=high", "--texture=warm"]
    if command == "bpm":
        choices += ["--phrase=fast techno", "--standardized=techno"]
    else:
        choices += ["--instrument=Guitar:lead:clean", "--vocals=lead:female:breathy", "--bpm=120"]
    return st.lists(st.sampled_from(choices), max_size=3, unique=True)


# ---------------------------------------------------------------------------------------------
# Random documents in files


@FUZZ_MORE
@given(
    command=st.sampled_from(COMMANDS),
    fmt=st.sampled_from(["json", "yaml", "yml", "noext-json", "noext-yaml"]),
    document=ANY_DOCUMENT,
    data=st.data(),
)
@example(command="casual", fmt="json", document={"genre": 0}, data=None).via("a wrongly typed genre under --genre")
def test_random_documents_dry_run(capsys, tmp_path, command, fmt, document, data) -> None:
    flags = data.draw(_wizard_flags(command)) if data is not None else ["--genre=Rock"]
    path = write_document(tmp_path, fmt, document)
    result = run_main(capsys, [command, str(path), "--dry-run", "--json", "-q", *flags])
    check_single(result, dry_run=True)


@pytest.mark.usefixtures("offline_provider")
@FUZZ
@given(command=st.sampled_from(COMMANDS), fmt=st.sampled_from(["json", "yaml", "noext-json"]), document=ANY_DOCUMENT)
def test_random_documents_offline(capsys, tmp_path, command, fmt, document) -> None:
    path = write_document(tmp_path, fmt, document)
    result = run_main(capsys, [command, str(path), "--provider", "offline", "--json", "-q"])
    if isinstance(document, list):
        check_batch(result, expect_items=None)
    else:
        check_single(result, want_result="bpm" if command == "bpm" else "phrase")


@FUZZ
@given(command=st.sampled_from(COMMANDS), document=WIZARDISH)
def test_random_documents_groq_without_key(capsys, tmp_path, command, document) -> None:
    """No key: a valid item ends in 'GROQ_API_KEY is not set', an invalid one in its input error."""
    path = write_document(tmp_path, "json", document)
    result = run_main(capsys, [command, str(path), "-q"])
    check_single(result)
    assert result[0] == 2, _context(result)


@pytest.mark.usefixtures("offline_provider")
@FUZZ
@given(
    command=st.sampled_from(COMMANDS),
    fmt=st.sampled_from(["jsonl", "json-array", "yaml-list"]),
    documents=st.lists(ANY_DOCUMENT, max_size=6),
)
def test_random_batches_offline(capsys, tmp_path, command, fmt, documents) -> None:
    path = write_batch(tmp_path, fmt, documents)
    result = run_main(capsys, [command, str(path), "--provider", "offline", "-q", "-j", "2"])
    check_batch(result, expect_items=len(documents))


@pytest.mark.parametrize("fmt", ["jsonl", "json-array", "yaml-list"])
def test_batch_with_dry_run_is_one_line_error(capsys, tmp_path, fmt) -> None:
    path = write_batch(tmp_path, fmt, [{"genre": "Rock"}, {"genre": "Jazz"}])
    result = run_main(capsys, ["casual", str(path), "--dry-run"])
    check_single(result)
    assert result[0] == 2


# ---------------------------------------------------------------------------------------------
# Wrong types for every field

WRONG_VALUES = {
    "int": 123,
    "float": 1.5,
    "bool": True,
    "null": None,
    "empty-list": [],
    "empty-dict": {},
    "nested-list": [[]],
    "empty-string": "",
    "10k-string": "x" * 10_000,
    "5000-digit-string": "9" * 5000,
}

WIZARD_BASE = {
    "id": "t1",
    "genre": {"primary": "Rock", "secondary": ["Indie"]},
    "mood": ["calm"],
    "energy": ["low"],
    "texture": ["warm"],
    "instrumentation": [{"instrument": "Guitar", "role": "lead", "descriptors": ["clean"]}],
    "vocals": {"presence": "lead", "gender": "female", "style": "breathy", "descriptors": ["soft"]},
    "bpm": 120,
}
WIZARD_FIELDS = [
    ("id",),
    ("genre",),
    ("genre", "primary"),
    ("genre", "secondary"),
    ("mood",),
    ("energy",),
    ("texture",),
    ("instrumentation",),
    ("instrumentation", 0, "instrument"),
    ("instrumentation", 0, "role"),
    ("instrumentation", 0, "descriptors"),
    ("vocals",),
    ("vocals", "presence"),
    ("vocals", "gender"),
    ("vocals", "style"),
    ("vocals", "descriptors"),
    ("bpm",),
]
BPM_BASE = {
    "id": 7,
    "input_phrase": "A fast techno track",
    "standardized_phrase": "Driving electronic music",
    "genre": "Electronic",
    "subgenres": ["Techno"],
    "mood": ["energetic"],
    "energy": ["high"],
    "texture": ["dense"],
    "bpm": 130,
}
BPM_FIELDS = list(BPM_BASE)


def _with(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(document))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _assert_names_field(result: Result, names: list[str]) -> None:
    if result[0] == 2:
        message = assert_one_error_line(result[2], result)
        assert any(name in message for name in names), f"the error should name {names[0]!r}\n" + _context(result)


def _problems(result: Result, names: list[str], label: str) -> list[str]:
    """What is wrong with one run (empty when it ended well): for the wrong-type tables."""
    try:
        check_single(result, dry_run=True)
        if result[0] == 2 and not result[1]:
            message = result[2].strip()
            if not any(name in message for name in names):
                return [f"{label}: the error does not name {names[0]!r}: {message}"]
    except AssertionError as error:
        return [f"{label}: {str(error).splitlines()[0]} | exit {result[0]} | {result[2].strip()[:300]}"]
    return []


@pytest.mark.parametrize("path", WIZARD_FIELDS, ids=lambda p: ".".join(map(str, p)))
def test_wrong_type_for_wizard_field(capsys, tmp_path, path) -> None:
    """Each wrong value: exit 0 (accepted) or one exit-2 line that names the field."""
    dotted = ".".join(map(str, path))
    file = tmp_path / "item.json"
    problems: list[str] = []
    for value_name, value in WRONG_VALUES.items():
        file.write_text(json.dumps(_with(WIZARD_BASE, path, value)), encoding="utf-8")
        result = run_main(capsys, ["casual", str(file), "--dry-run", "--json", "-q"])  # one parser for all three
        problems += _problems(result, [dotted], f"{dotted}={value_name}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("field", BPM_FIELDS)
@pytest.mark.parametrize("spelling", ["snake", "camel"])
def test_wrong_type_for_bpm_input_field(capsys, tmp_path, field, spelling) -> None:
    base = BPM_BASE if spelling == "snake" else {_camel(k): v for k, v in BPM_BASE.items()}
    key = field if spelling == "snake" else _camel(field)
    file = tmp_path / "bpm.yaml"
    problems: list[str] = []
    for value_name, value in WRONG_VALUES.items():
        file.write_text(_yaml_text(dict(base, **{key: value})), encoding="utf-8")
        result = run_main(capsys, ["bpm", str(file), "--dry-run", "--json", "-q"])
        problems += _problems(result, [field, _camel(field)], f"bpm {key}={value_name}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key", ["a\nb", "x\r\nadp: error: forged", "tab\there", "\u2028"])
def test_unknown_key_with_line_breaks_stays_one_line(capsys, tmp_path, key) -> None:
    """The error quotes the unknown key; a newline inside it must not split (or forge) lines."""
    file = tmp_path / "item.json"
    file.write_text(json.dumps({"genre": "Rock", key: 1}), encoding="utf-8")
    result = run_main(capsys, ["casual", str(file), "--dry-run", "-q"])
    check_single(result)
    assert result[0] == 2, _context(result)


@pytest.mark.parametrize("genre", [0, 1.5, True, [1, 2], ["ab"], [["a", "b", "c"]], {"primary": 5}])
@pytest.mark.parametrize("command", COMMANDS)
def test_flag_over_wrongly_typed_file_field(capsys, tmp_path, command, genre) -> None:
    """``--genre``/``--subgenre`` replace the file's genre; a non-mapping genre there must not crash."""
    file = tmp_path / "item.json"
    file.write_text(json.dumps({"genre": genre}), encoding="utf-8")
    for flags in (["--genre=Rock"], ["--subgenre=Indie"]):
        result = run_main(capsys, [command, str(file), "--dry-run", "--json", "-q", *flags])
        check_single(result, dry_run=True)
        _assert_names_field(result, ["genre"])


# ---------------------------------------------------------------------------------------------
# Random flag values

INTS = st.integers() | st.sampled_from([0, -1, 1, 50, 100, 101, 999, 1000, 131072, 131073, 2**63, -(2**63)])
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 0.1, 2.0, 2.0000001, 3600.0, 3600.5])
PROVIDERS = TEXT | st.sampled_from(["groq", "offline", "OFFLINE", "Groq"])
MODELS = TEXT | st.sampled_from(["random", "llama-3.3-70b-versatile", "whisper-large-v3", "openai/gpt-oss-20b", ""])


@st.composite
def generation_flags(draw: st.DrawFn, command: str) -> list[str]:
    args: list[str] = []

    def maybe(flag: str, strategy: st.SearchStrategy[Any]) -> None:
        if draw(st.booleans()):
            value = draw(strategy)
            args.append(f"{flag}={value!r}" if isinstance(value, float) else f"{flag}={value}")

    def repeat(flag: str) -> None:
        for _ in range(draw(st.integers(0, 2))):
            args.append(f"{flag}={draw(TEXT)}")

    maybe("--genre", TEXT)
    for flag in ("--subgenre", "--mood", "--energy", "--texture"):
        repeat(flag)
    if command == "bpm":
        maybe("--phrase", TEXT)
        maybe("--standardized", TEXT)
    else:
        repeat("--instrument")
        maybe("--vocals", TEXT)
        maybe("--bpm", INTS)
        maybe("--poetic-level", INTS)
    maybe("--model", MODELS)
    maybe("--seed", INTS)
    maybe("--temperature", FLOATS)
    maybe("--max-tokens", INTS)
    maybe("--timeout", FLOATS)
    maybe("--max-retries", INTS)
    maybe("--concurrency", INTS)
    maybe("--provider", PROVIDERS)
    return draw(st.permutations(args))


@FUZZ
@given(command=st.sampled_from(COMMANDS), data=st.data())
def test_random_flags_dry_run(capsys, command, data) -> None:
    flags = data.draw(generation_flags(command))
    result = run_main(capsys, [command, *flags, "--dry-run", "--json", "-q"])
    check_single(result, dry_run=True)


@pytest.mark.usefixtures("offline_provider")
@FUZZ
@given(command=st.sampled_from(COMMANDS), data=st.data())
def test_random_flags_offline(capsys, command, data) -> None:
    flags = [f for f in data.draw(generation_flags(command)) if not f.startswith("--provider")]
    result = run_main(capsys, [command, *flags, "--provider", "offline", "--json", "-q"])
    check_single(result, want_result="bpm" if command == "bpm" else "phrase")


@FUZZ
@given(command=st.sampled_from(COMMANDS), data=st.data())
def test_random_flags_groq_without_key(capsys, command, data) -> None:
    flags = [f for f in data.draw(generation_flags(command)) if not f.startswith("--provider")]
    result = run_main(capsys, [command, *flags, "-q"])
    check_single(result)
    assert result[0] == 2, _context(result)


@pytest.mark.parametrize(
    "args",
    [
        ["casual", "--genre=x", "--bpm=1" + "0" * 5000],  # over Python's int digit limit
        ["casual", "--genre=x", "--seed=1" + "0" * 5000],
        ["casual", "--genre=x", "--poetic-level=0"],
        ["casual", "--genre=x", "--poetic-level=101"],
        ["casual", "--genre=x", "--temperature=nan"],
        ["casual", "--genre=x", "--temperature=-inf"],
        ["casual", "--genre=x", "--timeout=nan"],
        ["casual", "--genre=x", "--timeout=inf"],
        ["casual", "--genre=x", "--max-tokens=0"],
        ["casual", "--genre=x", "--provider=ollama"],
        ["casual", "--genre=x", "--concurrency=0"],
        ["casual", "--genre=" + "x" * 100_000],
        ["casual", "--mood=" + ",".join(["calm"] * 1000), "--genre=x"],
        ["casual", "--instrument=:", "--genre=x"],
        ["casual", "--instrument=a", "--genre=x"],
        ["casual", "--vocals=:", "--genre=x"],
        ["casual", "--vocals=", "--genre=x"],
        ["casual", "--no-such-flag"],
        ["casual"],
        ["bpm", "--phrase="],
        ["bpm", "--standardized=only"],
        ["nope"],
        ["casual", "a.json", "b.json"],
    ],
    ids=lambda args: " ".join(a[:30] for a in args),
)
@pytest.mark.parametrize("mode", ["dry-run", "offline", "groq"])
def test_bad_flag_values(capsys, args, mode) -> None:
    extra = {"dry-run": ["--dry-run", "--json", "-q"], "offline": ["--provider=offline", "--json", "-q"], "groq": ["-q"]}[mode]
    if mode == "offline":
        pytest.importorskip("adp_cli.offline")
    result = run_main(capsys, [*args, *extra])
    check_single(result, dry_run=mode == "dry-run")
    if mode == "groq":
        assert result[0] == 2, _context(result)


def test_usage_errors_are_one_line_from_the_console_script() -> None:
    """Typer's own usage errors (not just adp's) end in one line and exit 2 outside the test runner."""
    for args in (["casual", "--poetic-level", "abc"], ["cost", "--tokens", "-1"], ["models", "--nope"], ["frobnicate"]):
        result = run_sub(args)
        check_single(result)
        assert result[0] == 2, _context(result)


@FUZZ
@given(
    text=st.none() | TEXT | st.just("-"),
    tokens=st.none() | INTS,
    output_tokens=st.none() | INTS,
    model=st.none() | MODELS,
    as_json=st.booleans(),
)
@example(text=None, tokens=10**400, output_tokens=None, model=None, as_json=True).via("more tokens than a float holds")
@example(text=None, tokens=1, output_tokens=10**400, model="llama-3.3-70b-versatile", as_json=False).via("output tokens")
def test_random_cost_arguments(capsys, text, tokens, output_tokens, model, as_json) -> None:
    args = ["cost"]
    if tokens is not None:
        args.append(f"--tokens={tokens}")
    if output_tokens is not None:
        args.append(f"--output-tokens={output_tokens}")
    if model is not None:
        args.append(f"--model={model}")
    if as_json:
        args.append("--json")
    if text is not None:
        args += ["--", text]
    result = run_main(capsys, args)
    check_single(result)
    if result[0] == 0 and as_json:
        _strict_json(result[1])


@FUZZ
@given(category=st.none() | TEXT | st.sampled_from(["text", "TEXT", "guard", "tts", "audio", "compound"]), as_json=st.booleans(), live=st.booleans())
def test_random_models_arguments(capsys, category, as_json, live) -> None:
    args = ["models"]
    if category is not None:
        args.append(f"--category={category}")
    if as_json:
        args.append("--json")
    if live:
        args.append("--live")  # no key here: a one-line error, never a request
    result = run_main(capsys, args)
    check_single(result)
    if live:
        assert result[0] == 2, _context(result)
    elif result[0] == 0 and as_json:
        assert isinstance(_strict_json(result[1]), list)


@FUZZ
@given(days=INTS)
@example(days=1_000_000).via("more days back than the calendar holds")
@example(days=10**12)
def test_random_ledger_days(capsys, days) -> None:
    Path(os.environ["COST_TRACKING_FILE"]).write_text(json.dumps({"version": 1, "days": {}}), encoding="utf-8")
    result = run_main(capsys, ["cost", "--ledger", f"--days={days}", "--json"])
    check_single(result)


# ---------------------------------------------------------------------------------------------
# Random bytes on stdin

STDIN = (
    st.binary(max_size=4096)
    | ANY_DOCUMENT.map(lambda d: json.dumps(d).encode())
    | ANY_DOCUMENT.map(lambda d: _yaml_text(d).encode())
    | st.lists(ANY_DOCUMENT, max_size=4).map(lambda ds: "".join(json.dumps(d) + "\n" for d in ds).encode())
    | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.sampled_from([b"", b"\xef\xbb\xbf", b"[", b"{", b"[{", b"{}\n{", b"---\n---\n", b"\xff\xfe\x00bad", b"\x00"])
)


@FUZZ
@given(command=st.sampled_from(COMMANDS), payload=STDIN)
def test_random_stdin_dry_run(capsys, command, payload) -> None:
    result = run_main(capsys, [command, "-", "--dry-run", "--json", "-q"], stdin_bytes=payload)
    check_single(result, dry_run=True)


@pytest.mark.usefixtures("offline_provider")
@FUZZ
@given(command=st.sampled_from(COMMANDS), payload=STDIN)
def test_random_stdin_offline(capsys, command, payload) -> None:
    result = run_main(capsys, [command, "-", "--provider", "offline", "--json", "-q"], stdin_bytes=payload)
    check_any(result)


@FUZZ
@given(payload=STDIN, as_json=st.booleans())
def test_random_stdin_cost(capsys, payload, as_json) -> None:
    result = run_main(capsys, ["cost", "-", *(["--json"] if as_json else [])], stdin_bytes=payload)
    check_single(result)
    if result[0] == 0 and as_json:
        _strict_json(result[1])


# ---------------------------------------------------------------------------------------------
# Edge files

BOM = b"\xef\xbb\xbf"
EDGE_FILES: dict[str, tuple[str, bytes | None, set[int]]] = {
    # name: (file name, content or None for "no file", allowed exit codes with --dry-run)
    "empty.json": ("empty.json", b"", {2}),
    "empty.yaml": ("empty.yaml", b"", {2}),
    "empty.yml": ("empty.yml", b"", {2}),
    "empty.jsonl": ("empty.jsonl", b"", {2}),  # a batch: --dry-run refuses it
    "empty-no-extension": ("empty", b"", {2}),
    "whitespace.json": ("ws.json", b" \n\t\r\n ", {2}),
    "whitespace.yaml": ("ws.yaml", b" \n\t\r\n ", {2}),
    "whitespace-no-extension": ("ws", b"   \n\n", {2}),
    "non-utf8.json": ("bad.json", b"\xff\xfe\x00bad", {2}),
    "non-utf8.yaml": ("bad.yaml", b"\xff\xfe\x00bad", {2}),
    "non-utf8-no-extension": ("bad", b"\xff\xfe\x00bad", {2}),
    "latin1.yaml": ("latin1.yaml", "genre: Caf\xe9".encode("latin-1"), {2}),
    "nul-in-yaml": ("nul.yaml", b"genre: a\x00b\n", {2}),
    "bom-json": ("bom.json", BOM + b'{"genre": "Rock"}', {0}),
    "bom-yaml": ("bom.yaml", BOM + b"genre: Rock\n", {0}),
    "bom-no-extension": ("bom", BOM + b'{"genre": "Rock"}', {0}),
    "json-in-txt": ("item.txt", b'{"genre": "Rock"}', {0}),
    "null.json": ("null.json", b"null", {2}),
    "scalar.json": ("scalar.json", b'"Rock"', {2}),
    "number.yaml": ("number.yaml", b"42\n", {2}),
    "two-yaml-documents": ("two.yaml", b"genre: a\n---\ngenre: b\n", {2}),
    "truncated.json": ("cut.json", b'{"genre": {"primary": "Ro', {2}),
    "trailing-garbage.json": ("trail.json", b'{"genre": "Rock"} xyz', {2}),
    "unknown-key": ("unknown.json", b'{"genre": "Rock", "tempo": 120}', {2}),
    "nonexistent": ("missing.json", None, {2}),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", list(EDGE_FILES))
def test_edge_files(capsys, tmp_path, case, command) -> None:
    name, content, allowed = EDGE_FILES[case]
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = run_main(capsys, [command, str(path), "--dry-run", "--json", "-q"])
    check_single(result, dry_run=True)
    assert result[0] in allowed, _context(result)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", ["folder", "folder.json", "folder.yaml", "folder.jsonl", ""])
def test_directory_as_input(capsys, tmp_path, command, name) -> None:
    target = tmp_path / name if name else Path(".")  # "" is the working directory
    target.mkdir(exist_ok=True)
    for extra in (["--dry-run"], ["--provider", "offline"], []):
        result = run_main(capsys, [command, str(target) if name else "", *extra, "-q"])
        check_single(result)
        assert result[0] == 2, _context(result)


@pytest.mark.parametrize(
    "payload",
    [BOM + b'{"genre": "Rock"}', BOM + b"genre: Rock\n", b'\n\n  {"genre": "Rock"}\n'],
    ids=["bom-json", "bom-yaml", "leading-blank-lines"],
)
def test_stdin_bom_and_blank_lines_work(capsys, payload) -> None:
    result = run_main(capsys, ["casual", "-", "--dry-run", "--json", "-q"], stdin_bytes=payload)
    check_single(result, dry_run=True)
    assert result[0] == 0, _context(result)


@pytest.mark.parametrize(
    "case",
    ["directory", "missing", "non-utf8", "empty"],
)
def test_cost_edge_files(capsys, tmp_path, case) -> None:
    path = tmp_path / "input.txt"
    if case == "directory":
        path.mkdir()
    elif case == "non-utf8":
        path.write_bytes(b"\xff\xfe\x00bad")
    elif case == "empty":
        path.write_bytes(b"")
    result = run_main(capsys, ["cost", "--file", str(path)])
    check_single(result)
    assert result[0] == (0 if case == "empty" else 2), _context(result)


# ---------------------------------------------------------------------------------------------
# Lenient readings that would hide a mistake: each is an error that says what is wrong

DUPLICATE_KEYS = {
    "json": ("item.json", '{"genre": "Rock", "mood": "calm", "genre": "Jazz"}', "genre"),
    "json-nested": ("item.json", '{"genre": {"primary": "Rock", "primary": "Jazz"}}', "primary"),
    "json-no-extension": ("item", '{"mood": "calm", "mood": "dark", "genre": "Rock"}', "mood"),
    "yaml": ("item.yaml", "genre: Rock\nmood: calm\ngenre: Jazz\n", "genre"),
    "yaml-nested": ("item.yaml", "genre:\n  primary: Rock\n  primary: Jazz\n", "primary"),
    "yaml-flow": ("item.yml", "genre: Rock\nvocals: {presence: lead, style: soft, style: airy}\n", "style"),
    "yaml-no-extension": ("item-y", "genre: Rock\ngenre: Jazz\n", "genre"),
}


@pytest.mark.parametrize("case", list(DUPLICATE_KEYS))
@pytest.mark.parametrize("where", ["file", "stdin"])
def test_duplicate_keys_are_an_error_naming_the_key(capsys, tmp_path, case, where) -> None:
    name, text, key = DUPLICATE_KEYS[case]
    for command in COMMANDS:
        if where == "stdin":
            result = run_main(capsys, [command, "-", "--dry-run", "--json", "-q"], stdin_bytes=text.encode())
        else:
            (tmp_path / name).write_text(text, encoding="utf-8")
            result = run_main(capsys, [command, str(tmp_path / name), "--dry-run", "--json", "-q"])
        check_single(result, dry_run=True)
        assert result[0] == 2 and f"duplicate key '{key}'" in result[2], _context(result)


def test_yaml_merge_keys_are_not_duplicates(capsys, tmp_path) -> None:
    """``<<: *base`` then an explicit key is YAML's way to override, not a mistake."""
    path = tmp_path / "item.yaml"
    path.write_text("genre:\n  <<: {primary: Rock, secondary: [Indie]}\n  primary: Jazz\n", encoding="utf-8")
    result = run_main(capsys, ["casual", str(path), "--dry-run", "--json", "-q"])
    check_single(result, dry_run=True)
    assert result[0] == 0 and "Genre: Jazz. (Indie)" in result[1], _context(result)


@pytest.mark.usefixtures("offline_provider")
@pytest.mark.parametrize("fmt", ["jsonl", "json-array"])
def test_a_duplicate_key_in_a_batch_fails_only_its_item(capsys, tmp_path, fmt) -> None:
    items = ['{"genre": "Rock"}', '{"genre": "Rock", "genre": "Jazz"}', '{"genre": "Folk"}']
    path = tmp_path / ("items.jsonl" if fmt == "jsonl" else "items.json")
    path.write_text("\n".join(items) + "\n" if fmt == "jsonl" else "[" + ", ".join(items) + "]", encoding="utf-8")
    result = run_main(capsys, ["casual", str(path), "--provider", "offline", "-q"])
    lines = check_batch(result, expect_items=3)
    assert result[0] == 1, _context(result)
    assert ["error" in line for line in lines] == [False, True, False], _context(result)
    assert "duplicate key 'genre'" in lines[1]["error"]["message"]


@pytest.mark.usefixtures("offline_provider")
@pytest.mark.parametrize("tail", [' {"genre": "Folk"}', "]", " xyz", ",[]"])
@pytest.mark.parametrize("where", ["items.json", "items", "stdin"])
def test_text_after_the_closing_bracket_is_an_error(capsys, tmp_path, tail, where) -> None:
    text = '[{"genre": "Rock"}, {"genre": "Jazz"}]' + tail + "\n"
    if where == "stdin":
        result = run_main(capsys, ["casual", "-", "--provider", "offline", "-q"], stdin_bytes=text.encode())
    else:
        (tmp_path / where).write_text(text, encoding="utf-8")
        result = run_main(capsys, ["casual", str(tmp_path / where), "--provider", "offline", "-q"])
    check_batch(result)
    assert result[0] == 2 and "after the closing ]" in result[2], _context(result)


@pytest.mark.parametrize(
    "flag",
    ["--mood=,,,", "--energy= , ", "--texture=", "--subgenre=,", "--mood=,calm,", "--instrument=Guitar:lead:, ,"],
)
def test_a_flag_given_only_commas_is_an_error(capsys, flag) -> None:
    name = flag.split("=")[0]
    commands = [command for command in COMMANDS if not (command == "bpm" and name == "--instrument")]
    results = [run_main(capsys, [command, "--genre=Rock", flag, "--mood=calm", "--dry-run", "--json", "-q"]) for command in commands]
    for result in results:
        check_single(result, dry_run=True)
        if flag == "--mood=,calm,":  # empty parts beside a value are just separators
            assert result[0] == 0, _context(result)
        else:
            assert result[0] == 2 and name in result[2], _context(result)


@pytest.mark.parametrize(
    "document,spellings",
    [
        ({"inputPhrase": "fast", "input_phrase": "slow", "standardized_phrase": "x"}, ("inputPhrase", "input_phrase")),
        ({"input_phrase": "fast", "standardizedPhrase": "a", "standardized_phrase": "b"}, ("standardizedPhrase", "standardized_phrase")),
    ],
)
def test_both_spellings_of_a_bpm_field_are_an_error(capsys, tmp_path, document, spellings) -> None:
    path = tmp_path / "item.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = run_main(capsys, ["bpm", str(path), "--dry-run", "--json", "-q"])
    check_single(result, dry_run=True)
    assert result[0] == 2 and all(spelling in result[2] for spelling in spellings), _context(result)


@pytest.mark.parametrize("text", ["null\n", "~\n", "--- null\n", "---\n...\n"], ids=["null", "tilde", "explicit-null", "empty-document"])
@pytest.mark.parametrize("where", ["item.yaml", "stdin"])
def test_a_null_document_is_an_error(capsys, tmp_path, text, where) -> None:
    for command in COMMANDS:
        args = ["--provider", "offline", "-q"] if command != "bpm" else ["--dry-run", "--json", "-q"]
        if where == "stdin":
            result = run_main(capsys, [command, "-", *args], stdin_bytes=text.encode())
        else:
            (tmp_path / where).write_text(text, encoding="utf-8")
            result = run_main(capsys, [command, str(tmp_path / where), *args])
        check_single(result, dry_run="--dry-run" in args)
        assert result[0] == 2 and "no item" in result[2], _context(result)


@pytest.mark.usefixtures("offline_provider")
def test_a_null_line_in_a_batch_fails_only_its_item(capsys, tmp_path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"genre": "Rock"}\nnull\n{"genre": "Jazz"}\n', encoding="utf-8")
    result = run_main(capsys, ["casual", str(path), "--provider", "offline", "-q"])
    lines = check_batch(result, expect_items=3)
    assert ["error" in line for line in lines] == [False, True, False], _context(result)


# ---------------------------------------------------------------------------------------------
# Batches with bad lines


@pytest.mark.usefixtures("offline_provider")
def test_jsonl_one_bad_line_among_good_ones(capsys, tmp_path) -> None:
    lines = [
        b'{"genre": "a"}',  # 0 ok
        b"{bad",  # 1 invalid JSON
        b'{"genre": "b"}',  # 2 ok
        b"\xff\xfe",  # 3 not UTF-8
        b"",  # blank: skipped, no index
        b'{"genre": "c"}',  # 4 ok
        b"[1, 2]",  # 5 not a mapping
        b'"str"',  # 6 not a mapping
        b'{"genre": 123}',  # 7 wrong type
        b'{"mood": NaN}',  # 8 NaN
        b"[" * 5000 + b"]" * 5000,  # 9 nested too deeply
        b'{"genre": "d"}',  # 10 ok
    ]
    path = tmp_path / "items.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    for command in COMMANDS:
        result = run_main(capsys, [command, str(path), "--provider", "offline", "-q"])
        out = check_batch(result, expect_items=11)
        assert result[0] == 1, _context(result)
        assert [line["index"] for line in out if "error" not in line] == [0, 2, 4, 10], _context(result)


@pytest.mark.usefixtures("offline_provider")
@pytest.mark.parametrize("where", ["jsonl", "json-array"])
def test_batch_huge_int_item_does_not_stop_the_others(capsys, tmp_path, where) -> None:
    """An integer over Python's 4300-digit limit is one bad item (or a bad input), not a crash."""
    huge = "1" + "0" * 5000
    items = ['{"genre": "a"}', '{"bpm": ' + huge + "}", '{"genre": "b"}']
    path = tmp_path / ("items.jsonl" if where == "jsonl" else "items.json")
    path.write_text("\n".join(items) + "\n" if where == "jsonl" else "[" + ", ".join(items) + "]", encoding="utf-8")
    result = run_main(capsys, ["casual", str(path), "--provider", "offline", "-q"])
    out = check_batch(result)
    if where == "jsonl":
        assert result[0] == 1 and [line["index"] for line in out] == [0, 1, 2], _context(result)


@pytest.mark.usefixtures("offline_provider")
@pytest.mark.parametrize(
    "item_id",
    ["2024-01-01", "2024-01-01 10:00:00", "!!binary aGVsbG8=", "!!set {a}", "&a [*a]", ".nan", "0x" + "f" * 5000],
    ids=["date", "datetime", "bytes", "set", "recursive", "nan", "huge-hex-int"],
)
def test_yaml_batch_with_odd_ids(capsys, tmp_path, item_id) -> None:
    """A YAML batch item whose id is no JSON value still gets its own line; the others go on."""
    path = tmp_path / "items.yaml"
    path.write_text(f"- id: {item_id}\n  genre: Rock\n- id: two\n  genre: Jazz\n", encoding="utf-8")
    result = run_main(capsys, ["casual", str(path), "--provider", "offline", "-q"])
    out = check_batch(result, expect_items=2)
    assert out[1].get("id") == "two" and "phrase" in out[1], _context(result)


@pytest.mark.usefixtures("offline_provider")
@pytest.mark.parametrize("case", ["missing-folder", "directory", "non-utf8-previous"])
def test_batch_output_file_problems(capsys, tmp_path, case) -> None:
    source = tmp_path / "items.jsonl"
    source.write_text('{"genre": "Rock"}\n', encoding="utf-8")
    output = tmp_path / "out.jsonl"
    if case == "missing-folder":
        output = tmp_path / "no" / "such" / "out.jsonl"
    elif case == "directory":
        output.mkdir()
    else:
        output.write_bytes(b"\xff\xfe\x00junk\n")
    result = run_main(capsys, ["casual", str(source), "--provider", "offline", "-q", "-o", str(output)])
    check_batch(result)


# ---------------------------------------------------------------------------------------------
# Deep nesting, huge numbers, NaN, YAML tags

DEEP_LIST = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000
DEEP_IN_FIELD = '{"genre": ' + "[" * 50_000 + "]" * 50_000 + "}"


@pytest.mark.parametrize("text", [DEEP_LIST, DEEP_OBJECT, DEEP_IN_FIELD], ids=["list", "object", "in-field"])
@pytest.mark.parametrize("where", ["item.json", "item.yaml", "item", "item.jsonl", "stdin"])
@pytest.mark.parametrize("mode", ["dry-run", "offline"])
def test_deeply_nested_input(capsys, tmp_path, text, where, mode) -> None:
    if where == "item.yaml" and mode == "offline":
        pytest.skip("pure-Python YAML at this depth is slow; the dry-run case covers it")
    if mode == "offline":
        pytest.importorskip("adp_cli.offline")
    extra = ["--dry-run", "--json", "-q"] if mode == "dry-run" else ["--provider", "offline", "--json", "-q"]
    if where == "stdin":
        result = run_main(capsys, ["casual", "-", *extra], stdin_bytes=text.encode())
    else:
        (tmp_path / where).write_text(text, encoding="utf-8")
        result = run_main(capsys, ["casual", str(tmp_path / where), *extra])
    batch = where == "item.jsonl" or text is DEEP_LIST
    if batch and mode == "offline":
        check_batch(result)
    else:
        check_single(result, dry_run=mode == "dry-run")
        assert result[0] == 2, _context(result)


HUGE = "1" + "0" * 5000  # over Python 3.11's 4300-digit int limit


@pytest.mark.parametrize("field", ["bpm", "id"])
@pytest.mark.parametrize("where", ["item.json", "item.yaml", "item", "stdin"])
def test_huge_integers(capsys, tmp_path, field, where) -> None:
    text = f'{{"{field}": {HUGE}, "genre": "Rock"}}'
    if where == "stdin":
        result = run_main(capsys, ["casual", "-", "--dry-run", "--json", "-q"], stdin_bytes=text.encode())
    else:
        (tmp_path / where).write_text(text, encoding="utf-8")
        result = run_main(capsys, ["casual", str(tmp_path / where), "--dry-run", "--json", "-q"])
    check_single(result, dry_run=True)
    assert result[0] == 2, _context(result)


@pytest.mark.parametrize(
    "text",
    [
        '{"bpm": NaN}',
        '{"bpm": Infinity}',
        '{"bpm": -Infinity}',
        '{"bpm": 1e308}',
        '{"bpm": 1e999}',
        '{"mood": [NaN]}',
        '{"id": NaN}',
        '{"id": Infinity}',
        '{"genre": {"primary": -Infinity}}',
        '{"instrumentation": [{"instrument": NaN, "role": "lead"}]}',
    ],
)
@pytest.mark.parametrize("command", COMMANDS)
def test_json_non_finite_numbers(capsys, tmp_path, text, command) -> None:
    path = tmp_path / "item.json"
    path.write_text(text, encoding="utf-8")
    result = run_main(capsys, [command, str(path), "--dry-run", "--json", "-q"])
    check_single(result, dry_run=True)
    assert result[0] == 2, _context(result)


YAML_HOSTILE = {
    "python-object": "genre: !!python/object:os.system {}\n",
    "python-apply": "genre: !!python/object/apply:os.system ['touch pwned']\n",
    "python-name": "genre: !!python/name:os.system\n",
    "bad-month": "genre: 2024-13-01\n",
    "bad-day": "genre: 2024-02-30\n",
    "bad-time": "genre: 2024-01-01 25:61:61\n",
    "timestamp-tag": "genre: !!timestamp x\n",
    "int-tag": "genre: !!int x\n",
    "float-tag": "genre: !!float x\n",
    "bool-tag": "genre: !!bool x\n",
    "binary-tag": "genre: !!binary '%%%'\n",
    "unknown-tag": "genre: !shiny x\n",
    "unhashable-key": "? [a]\n: b\n",
    "merge-non-mapping": "<<: 5\ngenre: Rock\n",
    "huge-int": f"bpm: {HUGE}\n",
    "recursive": "genre: &a {primary: *a}\n",
    "undefined-alias": "genre: *nope\n",
    "tab-indent": "genre:\n\tprimary: Rock\n",
}


@pytest.mark.parametrize("case", list(YAML_HOSTILE))
@pytest.mark.parametrize("where", ["item.yaml", "stdin"])
def test_hostile_yaml(capsys, tmp_path, case, where) -> None:
    text = YAML_HOSTILE[case]
    for command in COMMANDS:
        if where == "stdin":
            result = run_main(capsys, [command, "-", "--dry-run", "--json", "-q"], stdin_bytes=text.encode())
        else:
            (tmp_path / where).write_text(text, encoding="utf-8")
            result = run_main(capsys, [command, str(tmp_path / where), "--dry-run", "--json", "-q"])
        check_single(result, dry_run=True)
        assert result[0] == 2, _context(result)
    assert not (tmp_path / "pwned").exists()


def _billion_laughs(use: str) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n" + use + "\n"


YAML_BOMBS = {
    "unknown-keys": _billion_laughs(""),
    "as-mood": "bomb:\n" + "".join("  " + line + "\n" for line in _billion_laughs("").splitlines()) + "mood: *i\n",
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("bomb", list(YAML_BOMBS))
def test_yaml_billion_laughs_single(tmp_path, command, bomb) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(YAML_BOMBS[bomb], encoding="utf-8")
    started = time.monotonic()
    result = run_sub([command, str(path), "--dry-run", "-q"], timeout=6, memory_mb=1500)
    check_single(result)
    assert result[0] == 2 and time.monotonic() - started < 6, _context(result)


@pytest.mark.usefixtures("offline_provider")
def test_yaml_billion_laughs_as_batch_item_id(tmp_path) -> None:
    """A bomb in a batch item's ``id`` must not be expanded into the output line."""
    laughs = _billion_laughs("").replace("\n", "\n  ").rstrip()
    path = tmp_path / "bomb.yaml"
    path.write_text(f"- bombs:\n  {laughs}\n  genre: Rock\n- id: *i\n  genre: Rock\n- genre: Jazz\n", encoding="utf-8")
    result = run_sub(["casual", str(path), "--provider", "offline", "-q"], timeout=6, memory_mb=1500)
    out = check_batch(result, expect_items=3)
    assert len(result[1]) < 100_000, "the output must not carry the expanded bomb"
    assert "phrase" in out[2], _context(result)


# ---------------------------------------------------------------------------------------------
# 50 MB files (in a subprocess, with a time limit)

FIFTY_MB = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("big")
    files = {
        "json-string": folder / "big.json",
        "json-string-no-extension": folder / "big",
        "yaml-scalar": folder / "big.yaml",
        "yaml-garbage": folder / "garbage.yaml",
        "over-64mb-json": folder / "huge.json",
        "yaml-scalar-15mb": folder / "just-under-the-cap.yaml",
        "letters-5mb": folder / "sequence.txt",
    }
    value = b"x" * FIFTY_MB
    files["json-string"].write_bytes(b'{"genre": "' + value + b'"}')
    files["json-string-no-extension"].write_bytes(b'{"genre": "' + value + b'"}')
    files["yaml-scalar"].write_bytes(b"genre: " + b"junk " * (FIFTY_MB // 5) + b"\n")
    files["yaml-garbage"].write_bytes(b"@@@@ junk ] [ {\n" * (FIFTY_MB // 16))
    files["over-64mb-json"].write_bytes(b'{"genre": "' + b"x" * (65 * 1024 * 1024) + b'"}')
    files["yaml-scalar-15mb"].write_bytes(b"genre: " + b"junk " * (3 * 1024 * 1024) + b"\n")
    files["letters-5mb"].write_bytes(b"ACGT" * (5 * 1024 * 1024 // 4))  # one 5 MB "word": no whitespace
    return files


@pytest.mark.parametrize(
    "case,command",
    [*(("json-string", command) for command in COMMANDS), ("json-string-no-extension", "casual"), ("over-64mb-json", "bpm"), ("yaml-garbage", "structure")],
)
def test_50mb_file_fails_fast(big_files, case, command) -> None:
    started = time.monotonic()
    result = run_sub([command, str(big_files[case]), "--dry-run", "-q"], timeout=10)
    check_single(result)
    assert result[0] == 2, _context(result)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("case", ["yaml-scalar", "yaml-scalar-15mb"])
def test_big_yaml_scalar_fails_fast(big_files, case) -> None:
    """Megabytes of plain YAML text: one line of error in seconds (pure-Python PyYAML once took
    35 s and 1 GB for 50 MB), also just under the size cap."""
    started = time.monotonic()
    result = run_sub(["casual", str(big_files[case]), "--dry-run", "-q"], timeout=6, memory_mb=4000)
    check_single(result)
    assert result[0] == 2 and time.monotonic() - started < 6, _context(result)


def test_50mb_on_stdin_fails_fast(big_files) -> None:
    result = run_sub(["casual", "-", "--dry-run", "-q"], stdin=big_files["json-string"], timeout=10)
    check_single(result)
    assert result[0] == 2, _context(result)


def test_50mb_file_for_cost_finishes(big_files) -> None:
    """``cost --file`` on 50 MB: a count or a one-line error in reasonable time, not a hang."""
    result = run_sub(["cost", "--file", str(big_files["json-string"]), "--json"], timeout=8)
    check_single(result)


def test_cost_of_one_long_word_finishes(big_files) -> None:
    """5 MB without whitespace is one pre-token: counting it must stay about linear (it once took
    19 s per MB), giving a count or a one-line error."""
    result = run_sub(["cost", "--file", str(big_files["letters-5mb"]), "--json"], timeout=8)
    check_single(result)


# ---------------------------------------------------------------------------------------------
# Raw argv bytes and bad configuration


@pytest.mark.parametrize(
    "args",
    [
        ["cost", "\udcff"],
        ["cost", "--tokens=1", "--model=\udcff"],
        ["casual", "--genre=\udcff", "--dry-run", "-q"],
        ["structure", "--genre=x", "--instrument=g:\udcff", "--dry-run", "-q"],
        ["casual", "--genre=x", "--model=\udcff", "--dry-run", "-q"],
        ["bpm", "--phrase=\udcff", "--dry-run", "-q"],
    ],
    ids=lambda args: " ".join(args).encode("utf-8", "backslashreplace").decode(),
)
def test_non_utf8_argv(args) -> None:
    """Arguments that are not UTF-8 (a shell passes such bytes): exit 0 or a one-line exit 2."""
    check_single(run_sub(args))


PRICE_FILES = {
    "junk-bytes": b"\xff\xfe\x00junk",
    "bad-yaml": b"a: [1, 2\n",
    "not-a-mapping": b"- 1\n- 2\n",
    "bad-price": b"llama-3.3-70b-versatile: cheap\n",
    "negative": b"llama-3.3-70b-versatile: -1\n",
    "nan": b"llama-3.3-70b-versatile: {input: .nan, output: .nan}\n",
    "infinite": b"llama-3.3-70b-versatile: {input: 1e400}\n",
    "bad-date": b"llama-3.3-70b-versatile: 2024-13-01\n",
    "huge-int": b"llama-3.3-70b-versatile: " + HUGE.encode() + b"\n",
}


@pytest.mark.parametrize("case", [*PRICE_FILES, "directory", "missing"])
def test_bad_prices_file(capsys, tmp_path, monkeypatch, case) -> None:
    path = tmp_path / f"prices-{case}.yaml"
    if case == "directory":
        path.mkdir()
    elif case != "missing":
        path.write_bytes(PRICE_FILES[case])
    monkeypatch.setenv("ADP_PRICES_FILE", str(path))
    cost = ["cost", "--tokens=1000", "--model=llama-3.3-70b-versatile", "--json"]
    for args in (cost, ["models", "--json"], ["casual", "--genre=x", "--dry-run", "--json", "-q"]):
        result = run_main(capsys, args)
        check_single(result, dry_run="--dry-run" in args)
        if result[0] == 0:
            _strict_json(result[1])  # a price that is no number must not leak NaN into --json


@pytest.mark.parametrize("content", [b"", b"\xff\xfe", b"[]", b"{}", b'{"version": 1, "days": []}', b"{" * 100_000, b'{"version": 1, "days": {"x": {}}}'])
def test_corrupt_ledger(capsys, content) -> None:
    Path(os.environ["COST_TRACKING_FILE"]).write_bytes(content)
    result = run_main(capsys, ["cost", "--ledger", "--json"])
    check_single(result)


@pytest.mark.parametrize(
    "name,value",
    [
        ("ADP_PROVIDER", "ollama"),
        ("ADP_PROVIDER", ""),
        ("ADP_DAILY_BUDGET_USD", "abc"),
        ("ADP_DAILY_BUDGET_USD", "nan"),
        ("ADP_DAILY_BUDGET_USD", "-1"),
        ("ADP_PROMPTS_DIR", "/nonexistent/prompts"),
        ("LOG_LEVEL", "LOUDEST"),
        ("COST_TRACKING_FILE", "/nonexistent/dir/ledger.json"),
    ],
)
def test_bad_environment(capsys, monkeypatch, name, value) -> None:
    monkeypatch.setenv(name, value)
    for args in (["casual", "--genre=x", "-q"], ["casual", "--genre=x", "--dry-run", "-q", "--json"], ["cost", "--ledger"]):
        result = run_main(capsys, args)
        check_single(result, dry_run="--dry-run" in args)


def test_prompts_dir_options(capsys, tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("casual-phrase-generator-prompt.md", "phrase-prompt.md", "bpm-estimator-prompt.md"):
        (bad / name).write_bytes(b"\xff\xfe not utf-8")
    a_file = tmp_path / "file.md"
    a_file.write_text("x", encoding="utf-8")
    for folder in (empty, bad, a_file, tmp_path / "missing"):
        for command in COMMANDS:
            result = run_main(capsys, [command, "--genre=x", f"--prompts-dir={folder}", "--dry-run", "-q"])
            check_single(result)
            assert result[0] == 2, _context(result)


def test_strict_json_helper() -> None:
    """The helpers above refuse NaN in JSON: make sure that refusal itself works."""
    with pytest.raises(ValueError):
        _strict_json('{"a": NaN}')
    assert math.isfinite(_strict_json('{"a": 1.5}')["a"])
