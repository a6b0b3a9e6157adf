"""The working folder's ``.env`` (issue 19, items 1, 12 and 13): it may say where a key goes only
for a key it supplies itself, a file that is not UTF-8 is one error line, and ``ADP_PROVIDER``,
``ADP_BASE_URL`` and ``ADP_MODEL`` from it are defaults like the environment's.

The rule is tested on ``load_env_file`` in process (every variable that steers traffic or trust);
what a user sees (the one warning line, the requests that reach which server) through the real
console script in a subprocess, since ``.env`` is read from the working folder of a process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import TEST_KEY, one_line
from tests.support.groqstub import GroqStub

MODEL = "openai/gpt-oss-20b"
KEYS = ("GROQ_API_KEY", "ADP_API_KEY", "OPENAI_API_KEY")
STEERING = {
    "GROQ_BASE_URL": "http://127.0.0.1:9",
    "ADP_BASE_URL": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "ALL_PROXY": "socks5://127.0.0.1:9",
    "NO_PROXY": "*",
    "SSL_CERT_FILE": "/tmp/hostile-ca.pem",
    "SSL_CERT_DIR": "/tmp/hostile-ca",
    "REQUESTS_CA_BUNDLE": "/tmp/hostile-ca.pem",
    "CURL_CA_BUNDLE": "/tmp/hostile-ca.pem",
    "OPENSSL_CONF": "/tmp/hostile-openssl.cnf",
    "SSLKEYLOGFILE": "/tmp/tls-keys.log",
    "GROQ_CUSTOM_HEADERS": "Authorization: Bearer gsk_someone_elses_account",
}
LATIN_1 = "GROQ_API_KEY=gsk_x\n# caf\xe9 au lait\nADP_PROVIDER=offline\n".encode("latin-1")


@pytest.fixture
def clean(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No key and none of the steering variables in the environment, and each as it was after
    the test, whatever ``load_env_file`` set (``delenv`` alone records nothing for a variable
    that is not set, so each is set first)."""
    for name in (*KEYS, *STEERING, "http_proxy", "all_proxy", "no_proxy", "ADP_MODEL", "LOG_LEVEL", "COPIED"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    return monkeypatch


def write_env(folder: Path, **values: str) -> Path:
    path = folder / ".env"
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()), encoding="utf-8")
    return path


def load() -> list[str]:
    """The names ``load_env_file`` ignored."""
    from adp_cli.cli.boundary import load_env_file

    return list(load_env_file())


# --- the rule, variable by variable -----------------------------------------------------------


@pytest.mark.parametrize("name", list(STEERING))
def test_a_steering_value_is_ignored_when_the_key_comes_from_the_environment(clean: pytest.MonkeyPatch, tmp_path: Path, name: str) -> None:
    clean.setenv("GROQ_API_KEY", TEST_KEY)
    write_env(tmp_path, **{name: STEERING[name], "ADP_MODEL": MODEL})

    ignored = load()

    assert ignored == [name]
    assert name not in os.environ
    assert os.environ["ADP_MODEL"] == MODEL  # the rest of the file applies


@pytest.mark.parametrize("name", list(STEERING))
def test_a_steering_value_applies_with_the_key_the_same_file_supplies(clean: pytest.MonkeyPatch, tmp_path: Path, name: str) -> None:
    write_env(tmp_path, GROQ_API_KEY="gsk_from_dotenv", **{name: STEERING[name]})

    ignored = load()

    assert ignored == []
    assert (os.environ[name], os.environ["GROQ_API_KEY"]) == (STEERING[name], "gsk_from_dotenv")


@pytest.mark.parametrize("key", ["ADP_API_KEY", "OPENAI_API_KEY"])
def test_any_key_from_the_environment_holds_back_a_proxy(clean: pytest.MonkeyPatch, tmp_path: Path, key: str) -> None:
    clean.setenv(key, "sk-from-the-environment")
    write_env(tmp_path, GROQ_API_KEY="gsk_from_dotenv", HTTPS_PROXY="http://127.0.0.1:9")

    assert load() == ["HTTPS_PROXY"]
    assert "HTTPS_PROXY" not in os.environ


def test_a_server_root_in_adp_base_url_is_held_back_only_for_that_servers_keys(clean: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Groq's key never goes to a ``.../v1`` root (the one key rule), so with only GROQ_API_KEY in
    the environment a local server's root from ``.env`` steers no key; with OPENAI_API_KEY there
    it would steer that one."""
    clean.setenv("GROQ_API_KEY", TEST_KEY)
    write_env(tmp_path, ADP_BASE_URL="http://localhost:11434/v1")
    assert load() == []
    assert os.environ["ADP_BASE_URL"] == "http://localhost:11434/v1"

    clean.delenv("ADP_BASE_URL")
    clean.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    assert load() == ["ADP_BASE_URL"]
    assert "ADP_BASE_URL" not in os.environ


def test_groq_base_url_is_held_back_only_for_groqs_key(clean: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    write_env(tmp_path, GROQ_API_KEY="gsk_from_dotenv", GROQ_BASE_URL="http://127.0.0.1:9")

    assert load() == []
    assert os.environ["GROQ_BASE_URL"] == "http://127.0.0.1:9"


def test_a_value_that_copies_a_key_from_the_environment_is_ignored(clean: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean.setenv("GROQ_API_KEY", TEST_KEY)
    write_env(tmp_path, COPIED="${GROQ_API_KEY}", ADP_MODEL="${COPIED:-x}")

    assert load() == ["COPIED", "ADP_MODEL"]
    assert "COPIED" not in os.environ and "ADP_MODEL" not in os.environ


def test_the_environment_still_wins_and_is_not_reported(clean: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean.setenv("GROQ_API_KEY", TEST_KEY)
    clean.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    write_env(tmp_path, GROQ_API_KEY="gsk_from_dotenv", HTTPS_PROXY="http://127.0.0.1:9")

    assert load() == []
    assert (os.environ["GROQ_API_KEY"], os.environ["HTTPS_PROXY"]) == (TEST_KEY, "http://proxy.example:3128")


def test_a_utf8_bom_is_no_part_of_the_first_name(clean: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"\xef\xbb\xbfGROQ_API_KEY=gsk_from_dotenv\nADP_MODEL=" + MODEL.encode() + b"\n")

    assert load() == []
    assert (os.environ["GROQ_API_KEY"], os.environ["ADP_MODEL"]) == ("gsk_from_dotenv", MODEL)


# --- what a user sees -------------------------------------------------------------------------


@pytest.fixture
def hostile(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[GroqStub]:
    """The host a cloned repository's ``.env`` would send the key to. No proxy from the machine
    for plain HTTP; HTTPS goes to a closed loopback port, so a request meant for api.groq.com
    (a ``.env`` not read as it should be) fails here instead of leaving the machine."""
    for name in ("HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed_port()}")
    with GroqStub(content="A hostile phrase.") as stub:
        yield stub


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_a_dotenv_base_url_does_not_take_the_environments_key(adp, groq: GroqStub, hostile: GroqStub, tmp_path: Path) -> None:
    write_env(tmp_path, ADP_BASE_URL=hostile.base_url)

    result = adp("casual", "--genre", "Rock", "-m", MODEL, "-q")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "A warm test phrase.\n"
    assert hostile.requests == []
    assert groq.chat_requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    assert result.stderr == (
        "adp: WARNING: ignored ADP_BASE_URL from .env: GROQ_API_KEY comes from the environment,"
        " and a .env may say where a key goes only for a key it sets itself\n"
    )


def test_a_dotenv_proxy_and_ca_bundle_do_not_see_the_environments_key(adp, groq: GroqStub, hostile: GroqStub, tmp_path: Path) -> None:
    write_env(tmp_path, HTTP_PROXY=hostile.base_url, SSL_CERT_FILE=str(tmp_path / "hostile-ca.pem"))

    result = adp("models", "--live", "--json")

    assert result.returncode == 0, result.stderr
    assert hostile.requests == []
    assert [request.headers["authorization"] for request in groq.requests] == [f"Bearer {TEST_KEY}"]
    warning = one_line(result.stderr)
    assert warning.startswith("adp: WARNING: ignored HTTP_PROXY, SSL_CERT_FILE from .env: ")
    assert TEST_KEY[4:16] not in warning


def test_a_dotenv_that_brings_its_own_key_may_say_where_it_goes(adp, hostile: GroqStub, tmp_path: Path) -> None:
    """Also item 13: ADP_BASE_URL from .env is the --base-url default."""
    write_env(tmp_path, GROQ_API_KEY="gsk_from_dotenv_file", ADP_BASE_URL=hostile.base_url)

    result = adp("casual", "--genre", "Rock", "-m", MODEL, "-q")

    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("A hostile phrase.\n", "")
    assert hostile.chat_requests[0].headers["authorization"] == "Bearer gsk_from_dotenv_file"


# --- 13: ADP_PROVIDER, ADP_MODEL and ADP_BASE_URL from .env are option defaults ---------------


def test_adp_provider_offline_in_dotenv_sends_nothing(adp, groq: GroqStub, tmp_path: Path) -> None:
    write_env(tmp_path, ADP_PROVIDER="offline")

    result = adp("casual", "--genre", "Rock", "--json", "-q")

    assert result.returncode == 0, result.stderr
    assert '"provider": "offline"' in result.stdout
    assert groq.requests == []


def test_adp_model_in_dotenv_is_the_model_asked_for(adp, groq: GroqStub, tmp_path: Path) -> None:
    write_env(tmp_path, ADP_MODEL="openai/gpt-oss-20b")

    result = adp("casual", "--genre", "Rock", "-q")

    assert result.returncode == 0, result.stderr
    assert [request.body["model"] for request in groq.chat_requests if request.body] == ["openai/gpt-oss-20b"]


# --- 12: a .env that is not UTF-8 -------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [("cost", "--tokens", "10", "-m", MODEL), ("casual", "--genre", "Rock", "--provider", "offline"), ("batch", "list")],
    ids=["cost", "offline", "batch-list"],
)
def test_a_dotenv_that_is_not_utf8_is_one_error_line(adp, groq: GroqStub, tmp_path: Path, command: tuple[str, ...]) -> None:
    (tmp_path / ".env").write_bytes(LATIN_1)

    result = adp(*command)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "adp: error: .env is not UTF-8 text (line 2): save it as UTF-8; adp reads none of it until then\n"
    assert groq.requests == []


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_dotenv_that_is_no_file_is_no_dotenv(adp, groq: GroqStub, tmp_path: Path) -> None:
    (tmp_path / ".env").mkdir()  # not a file: like no .env at all
    assert adp("cost", "--tokens", "10", "-m", MODEL, "--json").returncode == 0

    (tmp_path / ".env").rmdir()
    (tmp_path / ".env").symlink_to(tmp_path / "elsewhere" / ".env")  # dangling: no .env either
    assert adp("cost", "--tokens", "10", "-m", MODEL, "--json").returncode == 0


# --- start-up ---------------------------------------------------------------------------------


def _imports_dotenv(folder: Path) -> bool:
    probe = (
        "import sys\n"
        "from adp_cli.cli import program\n"
        "sys.argv = ['adp', 'cost', '--tokens', '5', '-m', 'openai/gpt-oss-20b', '--json']\n"
        "try:\n    program.main()\nexcept SystemExit:\n    pass\n"
        "print('dotenv' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True, text=True, cwd=folder, env=dict(os.environ), timeout=60)
    return done.stderr.splitlines()[-1] == "True"


def test_dotenv_is_imported_only_when_there_is_a_dotenv(env: dict[str, str], tmp_path: Path) -> None:
    assert not _imports_dotenv(tmp_path)
    write_env(tmp_path, ADP_MODEL=MODEL)
    assert _imports_dotenv(tmp_path)


def test_the_warning_names_the_keys_each_ignored_value_would_steer(adp, hostile: GroqStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both base URLs held back: the request goes to Groq's own URL, which here is the closed
    loopback proxy (no network in tests), so it fails; the hostile host saw nothing."""
    monkeypatch.setenv("GROQ_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    write_env(tmp_path, ADP_BASE_URL=hostile.base_url + "/v1", GROQ_BASE_URL=hostile.base_url)

    result = adp("casual", "--genre", "Rock", "-m", MODEL, "-q", "--max-retries", "0")

    assert result.returncode == 1
    assert hostile.requests == []
    warning, failure = result.stderr.splitlines()
    assert warning == (
        "adp: WARNING: ignored ADP_BASE_URL, GROQ_BASE_URL from .env: GROQ_API_KEY and OPENAI_API_KEY come from the environment,"
        " and a .env may say where a key goes only for a key it sets itself"
    )
    assert failure.startswith("adp: error: cannot reach Groq at https://api.groq.com")
