"""adp's user cache folder: derived data that is slow to compute and safe to lose."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from adp_cli.files import replace_atomically

log = logging.getLogger("adp")


def cache_dir() -> Path:
    """``ADP_CACHE_DIR``, else the platform's user cache folder for adp."""
    folder = os.environ.get("ADP_CACHE_DIR")
    if folder:
        return Path(folder)
    import platformdirs

    return platformdirs.user_cache_path("adp", appauthor=False)


def write_best_effort(path: Path, payload: bytes) -> None:
    """Replace ``path`` atomically, or log and go on: a read-only or full disk only costs the next
    run the work again (unlike ``files.replace_atomically``, which raises)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, payload)
    except OSError as error:
        log.debug("could not write cache file %s: %s", path, error)
