"""The cache key: one hex digest that is equal exactly when two requests would be the same request.

    sha256( UTF-8 of canonical JSON {"v": 1, "task": task, "item": item without "id",
                                     "settings": settings, "model": model} )

Canonical JSON is ``json.dumps`` with sorted keys at every depth, ``(",", ":")`` separators,
non-ASCII as is and NaN/Infinity refused, so the digest does not depend on dict order, on the
platform or on the Python version. What the caller puts in:

- ``task``: ``"casual"``, ``"structure"`` or ``"bpm"`` (a new task picks a new name).
- ``item``: the input item as the generation sees it, after field flags are merged. Its top-level
  ``id`` is left out here: it is passed through to the output and never reaches the model, so the
  same music data under another id is answered from the cache.
- ``settings``: everything else that changes the messages or the reply: temperature, max_tokens,
  seed, poetic level, reasoning, service tier, provider and server (base URL), and the prompt
  texts (or their digest) so an edited prompt file misses the cache. Numbers must keep one type
  (``1.0`` and ``1`` are different keys).
- ``model``: the model the user asked for, or None when the model is picked at random (then an
  answer from any model of the pool serves).

``"v"`` is the key format's version: changing what goes in bumps it, so old entries stop
matching instead of matching wrongly.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

KEY_VERSION = 1


def cache_key(task: str, item: dict[str, Any], settings: dict[str, Any], model: str | None) -> str:
    """The sha256 hex digest of the request's canonical JSON (see the module docstring).

    Raises TypeError for a value JSON cannot hold and ValueError for NaN or infinity: a key
    built from ``str(value)`` could make two different requests equal."""
    document = {
        "v": KEY_VERSION,
        "task": task,
        "item": {name: value for name, value in item.items() if name != "id"},
        "settings": settings,
        "model": model,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()  # lone surrogates too
