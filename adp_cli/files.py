"""Replacing a file so that a crash at any moment leaves the old or the new one, never half."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def resolved(path: Path) -> Path:
    """``path`` with its symlinks followed, so a write lands in the file a link points to; a
    symlink loop is an OSError like any other unusable path."""
    try:
        return path.resolve()
    except RuntimeError:  # how Python before 3.13 reports a loop
        raise OSError(errno.ELOOP, "too many levels of symbolic links", str(path)) from None


def is_special(path: Path) -> bool:
    """True for something that exists but is no regular file (a device, a FIFO, a folder):
    nothing to read back or to replace by renaming."""
    try:
        return not stat.S_ISREG(path.stat().st_mode)
    except FileNotFoundError:
        return False


def same_regular_file(first: os.stat_result, second: os.stat_result) -> bool:
    """Whether two stats are of one regular file, whatever names (symlinks, hard links) led to
    them: the device and file number (``os.stat`` gives both on Windows too). A file system
    that numbers no files (st_ino 0) tells nothing, and devices are never "the same input"."""
    if not (stat.S_ISREG(first.st_mode) and stat.S_ISREG(second.st_mode)) or not first.st_ino:
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def refuse_read_only(current: os.stat_result, target: Path) -> None:
    """A file with no write permission bit is not written, even by root, who passes every
    permission check (a rename needs none on the file itself): the mode says the user meant it."""
    if not current.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise PermissionError(errno.EACCES, "read-only file", str(target))


def replace_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to the file ``path`` names: a synced temp file beside it, renamed over it.

    A rename replaces whatever is at the name, so this follows symlinks (the link stays, its
    target changes), gives the new file the old one's mode, and refuses what it must not
    replace: anything that is not a regular file (``/dev/null`` would become a plain file), and
    a file with no write permission bit (the mode is checked, since root passes every
    permission check and a rename needs none on the file itself). The temp file never stays.
    """
    import tempfile

    target = resolved(path)
    try:
        current: os.stat_result | None = target.stat()
    except FileNotFoundError:
        current = None
    if current is not None and not stat.S_ISREG(current.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(target))
    if current is not None:
        refuse_read_only(current, target)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp_file:
            temp_file.write(data)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        if current is not None:
            os.chmod(temp_name, stat.S_IMODE(current.st_mode))
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
