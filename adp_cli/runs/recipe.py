"""What made a ``-o`` file: the command's recipe, and the record of it kept beside the file.

A rerun resumes ``-o`` by sending only the items it lacks, which is right only when the rerun
is the same command: results of another task, another input or other settings would be kept
silently beside the new ones. So the recipe (the task, the input, every flag and setting that
changes an answer) is written to ``FILE.adp-run.json`` before the first line, and a command
whose recipe differs is refused while ``-o`` holds anything. ``-o`` itself stays pure JSON
Lines, one result a line, for the tools it feeds. The Batch API keeps the same recipe's
fingerprint in its job state, so both run modes agree on what "the same command" is.
"""

from __future__ import annotations

import errno
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adp_cli.errors import UsageError
from adp_cli.files import is_special, replace_atomically
from adp_cli.tasks.items import Flags
from adp_cli.tasks.settings import Settings
from adp_cli.tasks.task import Task
from adp_cli.text import quote, shorten

if TYPE_CHECKING:
    from adp_cli.runs.captioning import Captioning

RECORD_SUFFIX = ".adp-run.json"
FORMAT_VERSION = 1
_RECORD_LIMIT = 64 * 1024  # a record is a few hundred bytes; more is not one of ours
_PARTS = ("settings", "flags")


@dataclass(frozen=True)
class Recipe:
    """A generation command as far as its answers go (not how fast or where they are sent);
    values are JSON's own types, so a recipe read back from its record compares equal."""

    task: str
    input: str  # the input file, resolved; "-" for stdin
    settings: dict[str, Any]
    flags: dict[str, Any]

    @classmethod
    def of(cls, task: Task, input: str, flags: Flags, settings: Settings, captions: Captioning | None = None) -> Recipe:
        """``captions``: how captions are checked and chosen; its options that differ from their
        defaults (``--check``, ``--variants``) go among the flags, so a plain run's recipe is
        what it always was."""
        source = input if input == "-" else str(Path(input).resolve())
        chosen = asdict(flags)
        if captions is not None:
            chosen |= dict(asdict(captions).items() - asdict(type(captions)()).items())
        return cls(task.name, source, _plain(asdict(settings)), _plain(chosen))

    def fingerprint(self) -> str:
        """16 hex digits of the recipe's hash, the very value a Batch API state file written by
        an earlier adp holds (it hashed the same four parts the same way), so a job in progress
        resumes across an upgrade."""
        recipe = {"task": self.task, "input": self.input, "flags": self.flags, "settings": self.settings}
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode("utf-8")).hexdigest()[:16]

    def difference(self, recorded: Recipe) -> str | None:
        """The first part in which this command differs from the recorded one, in words, or None."""
        if recorded.task != self.task:
            return f"it holds {recorded.task} results, this command is {self.task}"
        if recorded.input != self.input:
            return f"it was made from {shorten(recorded.input)}, this command reads {shorten(self.input)}"
        for part in _PARTS:
            old, new = getattr(recorded, part), getattr(self, part)
            for name in sorted(old.keys() | new.keys()):
                if old.get(name) != new.get(name):
                    return f"--{name.replace('_', '-')} was {_shown(old.get(name))}, now {_shown(new.get(name))}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, "fingerprint": self.fingerprint(), **asdict(self)}

    @classmethod
    def from_json(cls, raw: Any) -> Recipe:
        if not isinstance(raw, dict) or raw.get("version") != FORMAT_VERSION:
            raise ValueError(f"not an adp run record of version {FORMAT_VERSION}")
        task, source, settings, flags = raw["task"], raw["input"], raw["settings"], raw["flags"]
        if not (isinstance(task, str) and isinstance(source, str) and isinstance(settings, dict) and isinstance(flags, dict)):
            raise TypeError("task, input, settings or flags has the wrong type")
        return cls(task, source, settings, flags)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Paths as the text they were given in, as the Batch API's fingerprint always wrote them."""
    plain: dict[str, Any] = json.loads(json.dumps(values, default=str))
    return plain


def _shown(value: Any) -> str:
    return "not set" if value in (None, []) else quote(value, 80)


def record_path(output: Path) -> Path:
    """The record beside ``output`` (the file itself, its links followed)."""
    return output.with_name(output.name + RECORD_SUFFIX)


def check(recipe: Recipe, output: Path, given: Path) -> bool:
    """Refuse ``recipe`` if ``output`` holds lines another command made; True when the record
    has to be (re)written: there is none yet (a new file, or one an older adp made), or a stale
    one beside an empty file."""
    if not _holds_lines(output):
        return True
    path = record_path(output)
    try:
        if is_special(path):  # a FIFO would hang the read
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        with path.open("rb") as handle:
            data = handle.read(_RECORD_LIMIT + 1)
    except FileNotFoundError:
        return True
    except OSError as error:
        raise UsageError(f"-o {shorten(str(given))}: cannot read its run record {shorten(str(path))}: {error.strerror or error}") from None
    try:
        if len(data) > _RECORD_LIMIT:
            raise ValueError(f"over {_RECORD_LIMIT // 1024} KiB")
        recorded = Recipe.from_json(json.loads(data.decode("utf-8")))
    except (ValueError, KeyError, TypeError) as error:  # UnicodeDecodeError and JSONDecodeError too
        raise UsageError(
            f"-o {shorten(str(given))}: its run record {shorten(str(path))} is damaged ({shorten(str(error))}); "
            "delete the record to resume the file with this command, or use another -o"
        ) from None
    difference = recipe.difference(recorded)
    if difference is not None:
        raise UsageError(
            f"-o {shorten(str(given))} holds the results of another command ({difference}); "
            f"use another -o, or delete {shorten(str(given))} to start over"
        )
    return False


def write(recipe: Recipe, output: Path) -> None:
    """Record ``recipe`` beside ``output``, atomically: a kill leaves the old record or the new."""
    path = record_path(output)
    data = (json.dumps(recipe.to_json(), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        replace_atomically(path, data)
    except OSError as error:
        raise UsageError(f"cannot write the run record {shorten(str(path))}: {error.strerror or error}") from None


def _holds_lines(output: Path) -> bool:
    try:
        return output.stat().st_size > 0
    except FileNotFoundError:
        return False
