"""The command line: the Typer app (``app``), every option declared once (``options``), and the
one boundary where errors become one line on stderr and an exit status."""

from adp_cli.cli.program import app, main

__all__ = ["app", "main"]
