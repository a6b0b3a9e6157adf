"""What every command shares: the one boundary where errors become one line on stderr and an
exit status (with logging and ``.env`` set up first), the view a report is shown in, and the
core's ``Connection`` from the connection options. Only typer and the standard library are
imported at start-up."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from adp_cli.cli.options import ServiceTier
from adp_cli.errors import ExitStatus

if TYPE_CHECKING:
    from adp_cli.output.view import View


def load_env_file() -> None:
    """A ``.env`` in the working directory, without overriding the environment."""
    env_file = Path.cwd() / ".env"
    if env_file.is_file():
        from dotenv import load_dotenv

        load_dotenv(env_file, override=False, encoding="utf-8")


@contextmanager
def reported(verbose: bool) -> Iterator[None]:
    """Every command runs in here: logging and .env set up, and the one place where errors
    become one line on stderr and an exit status."""
    from adp_cli.errors import AdpError
    from adp_cli.output import console

    log = console.configure_logging(verbose)
    load_env_file()

    try:
        yield
    except AdpError as error:
        if verbose:
            log.exception("traceback")
        console.error(str(error))
        raise typer.Exit(error.exit_status) from None
    except KeyboardInterrupt:
        console.error("interrupted")
        raise typer.Exit(ExitStatus.INTERRUPTED) from None
    except BrokenPipeError:  # `adp ... | head`: the reader has all it wanted; stop quietly
        console.discard_stdout()
        raise typer.Exit(ExitStatus.FAILURE) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:
        if verbose:
            log.exception("traceback")
        console.error(f"internal error: {type(error).__name__}: {error} (run with --verbose for the traceback)")
        raise typer.Exit(ExitStatus.FAILURE) from None


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


