"""How the user asked to see a command's report."""

from __future__ import annotations

from dataclasses import dataclass, field

from adp_cli.output.formats import Format, named


@dataclass(frozen=True)
class View:
    format: Format = field(default_factory=lambda: named("text"))  # how answers are written on stdout
    quiet: bool = False  # no table, progress or summary on stderr
    wide: bool = False  # every column of a listing, however wide
