"""What every command shares: the working folder's ``.env`` (applied before any option is read),
the one boundary where errors become one line on stderr and an exit status, the view a report
is shown in, and the core's ``Connection`` from the connection options. Only typer and the
standard library are imported at start-up."""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from adp_cli.cli.options import ServiceTier
from adp_cli.errors import ConfigError, ExitStatus

if TYPE_CHECKING:
    from adp_cli.output.view import View


ENV_FILE = ".env"
_STEERING_VARIABLES = frozenset(
    {"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "OPENSSL_CONF", "SSLKEYLOGFILE", "GROQ_CUSTOM_HEADERS"}
)
"""Besides base URLs and proxies: whom a TLS connection trusts (httpx reads the first two, other
clients the next two, OpenSSL its configuration), where its session keys are written (Python's
ssl honours ``SSLKEYLOGFILE``: whoever reads that file reads the traffic), and the headers the
groq SDK adds to every request of every transport (an ``Authorization`` or ``Host`` there puts
the requests on another account or site)."""


def load_env_file() -> dict[str, tuple[str, ...]]:
    """Apply the working folder's ``.env`` without overriding the environment; what it set that
    was ignored, each name with the keys from the environment it would have steered.

    A cloned repository's ``.env`` is not the user's choice, so it may steer a key (its base URL,
    proxy, CA bundle) only when the same file supplies that key: see ``env_file_values``. The
    file is read whole and decoded here, so a file that is not UTF-8 is one ConfigError naming
    the line; python-dotenv is imported only when there is a file to read.
    """
    try:
        path = Path.cwd() / ENV_FILE
        if not path.is_file():
            return {}
        content = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read {ENV_FILE}: {error.strerror or error}") from None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        raise ConfigError(f"{ENV_FILE} is not UTF-8 text (line {line}): save it as UTF-8; adp reads none of it until then") from None
    applied, ignored = env_file_values(text, os.environ)
    for name, value in applied.items():
        try:
            os.environ[name] = value
        except ValueError:  # a NUL character, or a name such as "" that no environment holds
            raise ConfigError(f"{ENV_FILE} sets {name[:40]!r} to something an environment variable cannot hold") from None
    return ignored


def env_file_values(text: str, environ: Mapping[str, str]) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """What a ``.env`` holding ``text`` sets beside ``environ``: the values to apply, and the
    names ignored with the keys from ``environ`` that each would have steered or copied.

    The environment wins, and a bare ``NAME`` sets nothing, as python-dotenv has it. A value that
    decides where a key goes or whom its connection trusts (``steered_keys``) is ignored when one
    of the keys it steers comes from the environment; so is a value that copies such a key
    (``X=${GROQ_API_KEY}``, or through another variable), which could carry it anywhere."""
    from io import StringIO

    from dotenv import dotenv_values

    from adp_cli.transports.servers import ALL_KEY_VARIABLES

    expanded = dotenv_values(stream=StringIO(text))
    written = dotenv_values(stream=StringIO(text), interpolate=False)
    outside = {key: secret for key in ALL_KEY_VARIABLES if (secret := environ.get(key, "").strip())}
    applied: dict[str, str] = {}
    ignored: dict[str, tuple[str, ...]] = {}
    for name, value in expanded.items():
        if value is None or name in environ:
            continue
        steered = [key for key in steered_keys(name, value) if key in outside]
        interpolated = "${" in (written.get(name) or "")
        copied = [key for key, secret in outside.items() if interpolated and secret in value]
        if steered or copied:
            ignored[name] = tuple(key for key in ALL_KEY_VARIABLES if key in steered or key in copied)
        else:
            applied[name] = value
    return applied, ignored


def steered_keys(name: str, value: str) -> tuple[str, ...]:
    """The keys whose requests ``name=value`` decides the destination, route or trust of (none
    for most variables). ``GROQ_BASE_URL`` is Groq's alone; ``ADP_BASE_URL`` at an
    OpenAI-compatible root steers that server's keys only, since Groq's key never goes there
    (``transports.groq.groq_base_url``), and at any other URL every key (``--provider`` picks
    which); a proxy (any ``*_PROXY``, ``NO_PROXY`` included: it decides which requests bypass
    the user's proxy) and the rest of ``_STEERING_VARIABLES`` steer every key."""
    from adp_cli.transports.servers import (
        ALL_KEY_VARIABLES,
        GROQ_KEY_VARIABLE,
        KEY_VARIABLES,
        looks_like_openai_root,
    )

    upper = name.upper()
    if upper == "GROQ_BASE_URL":
        return (GROQ_KEY_VARIABLE,)
    if upper == "ADP_BASE_URL" and looks_like_openai_root(value):
        return KEY_VARIABLES
    if upper == "ADP_BASE_URL" or upper.endswith("_PROXY") or upper in _STEERING_VARIABLES:
        return ALL_KEY_VARIABLES
    return ()


def settle_env_file() -> None:
    """The root command's first step, before Typer reads any option's environment variable
    (``ADP_PROVIDER``, ``ADP_BASE_URL``, ``ADP_MODEL``), so a ``.env`` sets those defaults too;
    what it may not set is named in one warning line (names only, never a value)."""
    from adp_cli.output import console
    from adp_cli.transports.servers import ALL_KEY_VARIABLES

    with reported(verbose=False):
        ignored = load_env_file()
        if ignored:
            keys = [key for key in ALL_KEY_VARIABLES if any(key in steered for steered in ignored.values())]
            console.configure_logging(False).warning(
                "ignored %s from %s: %s %s from the environment, and a .env may say where a key goes only for a key it sets itself",
                ", ".join(ignored),
                ENV_FILE,
                " and ".join(keys),
                "comes" if len(keys) == 1 else "come",
            )


@contextmanager
def reported(verbose: bool) -> Iterator[None]:
    """Every command runs in here: logging set up, and the one place where errors become one
    line on stderr and an exit status.

    A termination signal raises where the main thread happens to be, and a library may wrap what
    it raised in an error of its own (pydantic building a validator makes it a SchemaError): once
    the process was told to stop, such a failure is the stop, and is reported as one. adp's own
    ``Interrupted`` keeps its message, which says how to resume."""
    from adp_cli.errors import AdpError, Interrupted
    from adp_cli.output import console
    from adp_cli.process import terminated

    log = console.configure_logging(verbose)

    try:
        yield
    except AdpError as error:
        if verbose:
            log.exception("traceback")
        stop = None if isinstance(error, Interrupted) else terminated()
        if stop is not None:
            raise typer.Exit(stopped(stop)) from None
        console.error(str(error))
        raise typer.Exit(error.exit_status) from None
    except KeyboardInterrupt as stop:
        raise typer.Exit(stopped(stop)) from None
    except BrokenPipeError:  # `adp ... | head`: the reader has all it wanted; stop quietly
        console.discard_stdout()
        raise typer.Exit(ExitStatus.FAILURE) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:
        if verbose:
            log.exception("traceback")
        wrapped = terminated()
        if wrapped is not None:
            raise typer.Exit(stopped(wrapped)) from None
        console.error(f"internal error: {type(error).__name__}: {error} (run with --verbose for the traceback)")
        raise typer.Exit(ExitStatus.FAILURE) from None


def stopped(stop: KeyboardInterrupt) -> int:
    """The one line for Ctrl-C or a termination signal, and the exit status it ends with. A
    terminal that hung up takes no more writes; the status still says what happened."""
    from adp_cli.errors import Terminated
    from adp_cli.output import console

    with suppress(OSError):
        console.error("terminated" if isinstance(stop, Terminated) else "interrupted")
    return stop.exit_status if isinstance(stop, Terminated) else ExitStatus.INTERRUPTED


def view_of(as_json: bool = False, fmt: str = "text", quiet: bool = False, wide: bool = False) -> "View":
    """How the report is shown (``--json`` is ``--format json``)."""
    from adp_cli.output.formats import named
    from adp_cli.output.view import View

    return View(named("json" if as_json else fmt), quiet=quiet, wide=wide)


def shown(report: Any, view: "View") -> None:
    """The report on the screen, and the process ends with the status it carries."""
    from adp_cli.output import present

    present(report, view)
    status = getattr(report, "exit_status", ExitStatus.SUCCESS)
    if status != ExitStatus.SUCCESS:
        raise typer.Exit(status)


def connection_of(
    base_url: str | None,
    timeout: float,
    max_retries: int,
    max_wait: float = 600.0,
    rpm: int | None = None,
    tpm: int | None = None,
    service_tier: ServiceTier | None = None,
    price: str | None = None,
) -> Any:
    """The core's ``Connection`` from the connection options (imported here: start-up speed)."""
    from adp_cli.accounting.prices import parse_price
    from adp_cli.transports.base import Connection

    return Connection(
        base_url=base_url,
        timeout=timeout,
        max_retries=max_retries,
        max_wait=max_wait,
        rpm=rpm,
        tpm=tpm,
        service_tier=service_tier.value if service_tier else None,
        price=parse_price(price) if price is not None else None,
    )


